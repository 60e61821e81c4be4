import { createHash } from 'node:crypto';
import type { ApplicationConfig } from '../../../shared/config/LifeboatConfig.ts';
import { SimulatedServiceError } from '../../world/faults.ts';
import type { World } from '../../world/World.ts';
import { text, type ServiceOperations, type TwinCallContext } from './ServiceTwin.ts';

/** The applications whose workloads in the region run on the cluster. */
export function applicationsOnCluster(world: World, region: string, cluster: string): ApplicationConfig[] {
  return world.config.applications.filter((a) => a.workloads[region]?.clusterName === cluster);
}

/** A stable UUID for a node group, as EKS puts at the end of its ARN. */
function uuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('/')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function clusterArn(
  context: Pick<TwinCallContext, 'partition' | 'account'>,
  region: string,
  cluster: string,
): string {
  return `arn:${context.partition}:eks:${region}:${context.account}:cluster/${cluster}`;
}

export function nodegroupArn(
  context: Pick<TwinCallContext, 'partition' | 'account'>,
  region: string,
  cluster: string,
  nodegroup: string,
): string {
  return `arn:${context.partition}:eks:${region}:${context.account}:nodegroup/${cluster}/${nodegroup}/${uuid(region, cluster, nodegroup)}`;
}

function owner(context: TwinCallContext, cluster: unknown, nodegroup?: unknown): ApplicationConfig {
  const apps = applicationsOnCluster(context.world, context.region, text(cluster));
  const app =
    nodegroup === undefined
      ? apps[0]
      : apps.find((a) => a.workloads[context.region]?.nodeGroups.some((g) => g.name === nodegroup));
  if (app === undefined) {
    throw new SimulatedServiceError(
      'ResourceNotFoundException',
      nodegroup === undefined
        ? `No cluster found for name: ${text(cluster)}.`
        : `No node group found for name: ${text(nodegroup)}.`,
      404,
    );
  }
  return app;
}

/**
 * EKS over the simulated world: the clusters (their API endpoint and CA are the Kubernetes twin's),
 * and their managed node groups, described and scaled.
 */
export function eksOperations(
  clusterAccess: (region: string, cluster: string) => { endpoint: string; certificateAuthorityData: string },
): ServiceOperations {
  return {
    DescribeCluster: (input, context) => {
      context.world.faults.check('eks', 'DescribeCluster', context.region);
      owner(context, input.name);
      const name = text(input.name);
      const access = clusterAccess(context.region, name);
      return {
        cluster: {
          name,
          arn: clusterArn(context, context.region, name),
          status: 'ACTIVE',
          version: '1.31',
          platformVersion: 'eks.12',
          endpoint: access.endpoint,
          certificateAuthority: { data: access.certificateAuthorityData },
          accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
          createdAt: new Date(context.world.clock.secondsToIso(-90 * 86_400)),
        },
      };
    },
    DescribeNodegroup: (input, context) => {
      const app = owner(context, input.clusterName, input.nodegroupName);
      const group = context.world.describeNodegroup(app.name, context.region, text(input.nodegroupName));
      return {
        nodegroup: {
          nodegroupName: input.nodegroupName,
          nodegroupArn: nodegroupArn(
            context,
            context.region,
            text(input.clusterName),
            text(input.nodegroupName),
          ),
          clusterName: input.clusterName,
          status: group.ready === group.desired ? 'ACTIVE' : 'UPDATING',
          capacityType: 'ON_DEMAND',
          scalingConfig: { minSize: group.min, maxSize: group.max, desiredSize: group.desired },
          health: {
            issues: group.issues.map((issue) => ({
              code: issue.code,
              message: issue.message,
              resourceIds: [`eks-${text(input.nodegroupName)}-asg`],
            })),
          },
        },
      };
    },
    UpdateNodegroupConfig: (input, context) => {
      const app = owner(context, input.clusterName, input.nodegroupName);
      const scaling = (input.scalingConfig ?? {}) as {
        minSize?: number;
        maxSize?: number;
        desiredSize?: number;
      };
      const current = context.world.describeNodegroup(app.name, context.region, text(input.nodegroupName));
      const desired = scaling.desiredSize ?? current.desired;
      context.world.updateNodegroupConfig(app.name, context.region, text(input.nodegroupName), {
        desired,
        ...(scaling.minSize === undefined ? {} : { min: scaling.minSize }),
        ...(scaling.maxSize === undefined ? {} : { max: scaling.maxSize }),
      });
      return {
        update: {
          id: uuid(text(context.world.clock.seconds), text(input.nodegroupName), text(desired)),
          status: 'InProgress',
          type: 'ConfigUpdate',
          params: [
            { type: 'DesiredSize', value: text(desired) },
            ...(scaling.minSize === undefined ? [] : [{ type: 'MinSize', value: text(scaling.minSize) }]),
            ...(scaling.maxSize === undefined ? [] : [{ type: 'MaxSize', value: text(scaling.maxSize) }]),
          ],
          createdAt: context.world.clock.now(),
          errors: [],
        },
      };
    },
  };
}
