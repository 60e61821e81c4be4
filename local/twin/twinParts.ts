import type { ApplicationConfig, ScaledWorkloadConfig } from '../../shared/config/LifeboatConfig.ts';
import type { RbacObject } from '../../shared/config/kubernetesRbac.ts';
import { workloadResource } from '../../shared/config/workloadKinds.ts';
import type { VirtualClock } from '../clock/VirtualClock.ts';
import type { WorkflowRunner } from '../runner/WorkflowRunner.ts';
import type { World } from '../world/World.ts';
import type { RoleCredentials, TwinChecks } from './AwsTwin.ts';
import type { Deployment } from './Deployment.ts';
import { KubernetesTwin, type KubernetesCall, type WorkloadTarget } from './KubernetesTwin.ts';
import { SlackApiTwin } from './SlackApiTwin.ts';
import { cloudWatchOperations } from './services/cloudWatch.ts';
import { elastiCacheOperations } from './services/elastiCache.ts';
import { applicationsOnCluster, eksOperations } from './services/eks.ts';
import { lambdaOperations } from './services/lambda.ts';
import { promotionActor, rdsDatabaseOperations } from './services/rdsDatabase.ts';
import { rdsSnapshotOperations } from './services/rdsSnapshots.ts';
import { route53Operations } from './services/route53.ts';
import { secretsManagerOperations, slackSecrets } from './services/secretsManager.ts';
import type { ServiceOperations } from './services/ServiceTwin.ts';
import { twinChecks } from './twinChecks.ts';
import type { AwsCallRecord, TwinService } from './types.ts';

/** The twin's parts for one rehearsal: its checks, its service twins and its loopback servers. */
export interface TwinParts {
  readonly checks: TwinChecks;
  readonly services: Readonly<Partial<Record<TwinService, readonly ServiceOperations[]>>>;
  /** The Slack Web API's base URL (`slackApiUrl`), once started. */
  slackApiUrl(): string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TwinPartsOptions {
  readonly world: World;
  readonly clock: VirtualClock;
  readonly deployment: Deployment;
  readonly slack: { readonly botToken: string; readonly signingSecret: string };
  readonly credentials: (accessKeyId: string) => RoleCredentials | undefined;
  readonly runner: () => WorkflowRunner;
  /** The events of a function's invocations running now in a region (whom a Kubernetes call is by). */
  readonly runningEvents: (name: string, region: string) => readonly unknown[];
  /** The RBAC objects each cluster's owner applied (by default what `lifeboat kubernetes-rbac` prints). */
  readonly rbac: (region: string, cluster: string) => readonly RbacObject[];
  /** A call to a cluster's Kubernetes API, with its violation when it was refused. */
  readonly onKubernetesCall: (record: { call: AwsCallRecord; violation?: string }) => void;
}

/** The function behind a role (the first one the deployment gives it), for the report. */
function functionOf(deployment: Deployment, roleArn: string | undefined, region: string): string {
  return (
    deployment.functions.find((f) => f.roleArn === roleArn && f.region === region)?.name ??
    deployment.functions.find((f) => f.roleArn === roleArn)?.name ??
    'unknown caller'
  );
}

/** Builds the parts of one rehearsal's twin over its world. */
export function twinParts(options: TwinPartsOptions): TwinParts {
  const { world, clock, deployment, runner } = options;
  const kubernetes = new KubernetesTwin({
    now: () => clock.now(),
    credentials: options.credentials,
    accessEntries: (region, cluster) =>
      deployment.accessEntries.filter((e) => e.region === region && e.clusterName === cluster),
    rbac: (region, cluster) => options.rbac(region, cluster),
    workloads: {
      check: (operation, region) => {
        world.faults.check('kubernetes', operation, region);
      },
      workload: (region, cluster, target) => {
        const app = workloadOwner(world, region, cluster, target);
        if (app === undefined) return undefined;
        const w = world.readWorkload(app.name, region, target.namespace, target.name, null);
        return {
          kind: w.kind,
          replicas: w.replicas,
          readyReplicas: w.readyReplicas,
          generation: world.workloadGeneration(app.name, region, target.namespace, target.name),
        };
      },
      scale: (region, cluster, target, replicas) => {
        const app = workloadOwner(world, region, cluster, target);
        if (app !== undefined)
          world.scaleWorkload(app.name, region, target.namespace, target.name, replicas, false);
      },
      autoscaler: (region, cluster, kind, namespace, name) => {
        const found = autoscalerOwner(world, region, cluster, kind, namespace, name);
        if (found === undefined) return undefined;
        const a = world.readAutoscaler(found.app.name, region, namespace, kind, name, false);
        return {
          min: a.min,
          max: a.max,
          target: {
            apiVersion: workloadResource(found.workload).apiVersion,
            kind: a.target.kind,
            name: a.target.name,
          },
          paused: a.paused,
        };
      },
      patchAutoscaler: (region, cluster, kind, namespace, name, bounds) => {
        const found = autoscalerOwner(world, region, cluster, kind, namespace, name);
        if (found !== undefined)
          world.patchAutoscaler(found.app.name, region, namespace, kind, name, bounds, false);
      },
      createJob: (region, cluster, namespace, name, labels) => {
        const application = labels['lifeboat.io/application'] ?? '';
        if (!applicationsOnCluster(world, region, cluster).some((a) => a.name === application)) {
          throw new Error(`a Job without Lifeboat's application label on ${cluster}: ${name}`);
        }
        world.customSteps.createJob(
          application,
          labels['lifeboat.io/step'] ?? name,
          region,
          namespace,
          name,
          false,
        );
      },
      job: (region, _cluster, namespace, name) => world.customSteps.job(region, namespace, name, false),
      deleteJob: (region, _cluster, namespace, name) =>
        world.customSteps.deleteJob(region, namespace, name, false),
      cnpgCluster: (region, cluster, namespace, name) => {
        const app = cnpgOwner(world, region, cluster, namespace, name);
        return app === undefined ? undefined : world.cnpgCluster(app.name, region);
      },
      patchCnpgCluster: (region, cluster, namespace, name, patch, roleArn) => {
        const app = cnpgOwner(world, region, cluster, namespace, name);
        if (app === undefined) return;
        // The invocation that sent it, for the world's record of who promoted (an automatic run's,
        // a person's approval, a planned switch): the one of this application, among the function's.
        const fn = functionOf(deployment, roleArn, region);
        const event = options
          .runningEvents(fn, region)
          .find(
            (e) => (e as { request?: { application?: unknown } } | null)?.request?.application === app.name,
          );
        world.patchCnpgCluster(
          app.name,
          region,
          patch,
          event === undefined ? {} : { by: promotionActor(event).by },
        );
      },
      nodes: (region, cluster, nodegroup) =>
        applicationsOnCluster(world, region, cluster).flatMap((app) =>
          (app.workloads[region]?.nodeGroups ?? [])
            .filter((g) => nodegroup === undefined || g.name === nodegroup)
            .flatMap((g) => {
              const group = world.describeNodegroup(app.name, region, g.name);
              return Array.from({ length: Math.max(group.desired, group.ready) }, (_, i) => ({
                name: `ip-10-0-${i}-${g.name}.${region}.compute.internal`,
                ready: i < group.ready,
              }));
            }),
        ),
    },
    onCall: (call: KubernetesCall) => {
      const fn = functionOf(deployment, call.roleArn, call.region);
      const refused = call.status === 401 || call.status === 403;
      const record: AwsCallRecord = {
        at: clock.seconds,
        function: fn,
        region: call.region,
        service: 'kubernetes',
        operation: call.operation,
        decision: refused ? 'denied' : 'allowed',
        modelErrors: [],
        ...(refused ? { denied: `${call.cluster}: ${call.status} ${call.reason ?? ''}` } : {}),
      };
      options.onKubernetesCall({
        call: record,
        ...(refused
          ? {
              violation: `iam: ${fn}: kubernetes ${call.operation} on ${call.cluster} (${call.region}) refused: ${call.status} ${call.reason ?? ''}`,
            }
          : {}),
      });
    },
  });
  const slack = new SlackApiTwin({
    token: options.slack.botToken,
    channel: world.config.slack.channelId,
    backend: {
      check: (method) => {
        world.faults.check('slack', method, 'global');
      },
      post: (channel, text, blocks, thread) => {
        clock.touch();
        return world.postSlackMessage(channel, text, blocks, thread);
      },
      update: (ts, text, blocks) => {
        world.updateSlackMessage(ts, text, blocks);
      },
      postEphemeral: (channel, user, text) => {
        world.postSlackEphemeral(channel, user, text);
      },
    },
    onCall: () => undefined,
  });
  const forced = (execution: string): boolean => {
    const run = runner().executions.find((e) => e.name === execution);
    const input = run?.input as { force?: unknown } | undefined;
    return input?.force === true;
  };
  const tags = new Map<string, Readonly<Record<string, string>>>();
  const secrets = slackSecrets(world.config, deployment.account, deployment.partition, options.slack);
  return {
    checks: twinChecks(world, deployment, secrets, tags),
    services: {
      route53: [route53Operations(forced)],
      rds: [rdsDatabaseOperations(), rdsSnapshotOperations(tags)],
      elasticache: [elastiCacheOperations()],
      eks: [eksOperations((region, cluster) => kubernetes.access(region, cluster))],
      cloudwatch: [cloudWatchOperations()],
      lambda: [lambdaOperations()],
      secretsmanager: [
        secretsManagerOperations(
          slackSecrets(world.config, deployment.account, deployment.partition, options.slack),
        ),
      ],
    },
    slackApiUrl: () => slack.url,
    start: async () => {
      await Promise.all([kubernetes.start(), slack.start()]);
    },
    stop: async () => {
      await Promise.all([kubernetes.stop(), slack.stop()]);
    },
  };
}

/** The application whose config has this workload on the cluster. */
function workloadOwner(
  world: World,
  region: string,
  cluster: string,
  target: WorkloadTarget,
): ApplicationConfig | undefined {
  return applicationsOnCluster(world, region, cluster).find((a) =>
    a.workloads[region]?.deployments.some((w) => {
      const api = workloadResource(w);
      return (
        w.namespace === target.namespace &&
        w.name === target.name &&
        api.resource === target.resource &&
        (api.apiVersion.includes('/') ? api.apiVersion.split('/')[0] : '') === target.group
      );
    }),
  );
}

/** The application and workload whose config names this autoscaler on the cluster. */
function autoscalerOwner(
  world: World,
  region: string,
  cluster: string,
  kind: string,
  namespace: string,
  name: string,
): { app: ApplicationConfig; workload: ScaledWorkloadConfig } | undefined {
  for (const app of applicationsOnCluster(world, region, cluster)) {
    const workload = app.workloads[region]?.deployments.find(
      (w) => w.namespace === namespace && w.autoscaler?.kind === kind && w.autoscaler.name === name,
    );
    if (workload !== undefined) return { app, workload };
  }
  return undefined;
}

/** The application whose CloudNativePG Cluster in `region` is this one, on that EKS cluster. */
function cnpgOwner(
  world: World,
  region: string,
  cluster: string,
  namespace: string,
  name: string,
): ApplicationConfig | undefined {
  return world.config.applications.find((app) => {
    const member = app.database.engine === 'cloudnativepg' ? app.database.clusters[region] : undefined;
    return (
      member !== undefined &&
      member.namespace === namespace &&
      member.name === name &&
      app.workloads[region]?.clusterName === cluster
    );
  });
}
