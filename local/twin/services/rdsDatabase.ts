import type { ApplicationConfig } from '../../../shared/config/LifeboatConfig.ts';
import { SimulatedServiceError } from '../../world/faults.ts';
import type { World } from '../../world/World.ts';
import { NOT_MINE, type ServiceOperations, type TwinCallContext, text } from './ServiceTwin.ts';

/**
 * Who a promotion is by, for the invariant checker, from the step's invocation: the failback's
 * writer switch is planned; a promotion a person approved on Slack, an automatic run's, or a
 * person's run (the same attribution the port-level runtime's steps give the world).
 */
export function promotionActor(event: unknown): { planned: boolean; by: string } {
  const e = (event ?? {}) as {
    operation?: unknown;
    executionName?: unknown;
    request?: { mode?: unknown; workflow?: unknown };
    approval?: { by?: unknown } | null;
  };
  const execution = typeof e.executionName === 'string' ? e.executionName : 'unknown';
  if (e.operation === 'switchWriter') {
    const workflow = typeof e.request?.workflow === 'string' ? e.request.workflow : 'failback';
    return { planned: true, by: `${workflow}:${execution}` };
  }
  if (typeof e.approval?.by === 'string') return { planned: false, by: `approved:${e.approval.by}` };
  if (e.request?.mode === 'automatic') return { planned: false, by: 'automatic' };
  return { planned: false, by: `human:${execution}` };
}

/** The engine version the simulated databases run (RDS for PostgreSQL, Aurora PostgreSQL). */
const ENGINE_VERSION = '16.4';

function instanceArn(context: TwinCallContext, region: string, id: string): string {
  return `arn:${context.partition}:rds:${region}:${context.account}:db:${id}`;
}

function clusterArn(context: TwinCallContext, region: string, id: string): string {
  return `arn:${context.partition}:rds:${region}:${context.account}:cluster:${id}`;
}

/** The application and region whose configured RDS instance has this identifier (or ARN). */
function instanceOf(
  world: World,
  identifier: unknown,
): { app: ApplicationConfig; region: string } | undefined {
  const id = text(identifier).split(':').at(-1)?.toLowerCase();
  for (const app of world.config.applications) {
    if (app.database.engine !== 'rds-read-replica') continue;
    for (const [region, instance] of Object.entries(app.database.instances))
      if (instance.toLowerCase() === id) return { app, region };
  }
  return undefined;
}

function globalOf(world: World, identifier: unknown): ApplicationConfig | undefined {
  return world.config.applications.find(
    (a) => a.database.engine === 'aurora-global' && a.database.globalClusterIdentifier === identifier,
  );
}

/** The region of the app's Aurora cluster a request names by ARN (or identifier). */
function clusterRegion(app: ApplicationConfig, target: unknown): string | undefined {
  if (app.database.engine !== 'aurora-global') return undefined;
  const named = text(target);
  const region = named.startsWith('arn:') ? named.split(':')[3] : undefined;
  const id = named.split(':').at(-1)?.toLowerCase();
  return Object.entries(app.database.clusters).find(
    ([r, c]) => c.toLowerCase() === id && (region === undefined || region === r),
  )?.[0];
}

/** An instance as DescribeDBInstances returns it, from the world's database in that region. */
function describeInstance(
  world: World,
  context: TwinCallContext,
  app: ApplicationConfig,
  region: string,
): Record<string, unknown> {
  const d = world.describeDatabase(app.name, region);
  if (world.databaseRole(app.name, region) === 'down') {
    throw new SimulatedServiceError(
      'ServiceUnavailableException',
      `rds DescribeDBInstances in ${region}: the region is unavailable`,
      503,
    );
  }
  const replicas =
    d.role === 'replica'
      ? []
      : app.regions.flatMap((r) => {
          const other = r === region ? undefined : world.inspectDatabase(app.name, r);
          return other?.role === 'replica' && other.sourceRegion === region
            ? [instanceArn(context, r, other.identifier)]
            : [];
        });
  const sourceId =
    d.role === 'replica' && d.sourceRegion !== undefined
      ? world.inspectDatabase(app.name, d.sourceRegion)?.identifier
      : undefined;
  const source =
    sourceId === undefined || d.sourceRegion === undefined
      ? undefined
      : instanceArn(context, d.sourceRegion, sourceId);
  return {
    DBInstanceIdentifier: d.identifier,
    DBInstanceArn: instanceArn(context, region, d.identifier),
    DBInstanceStatus: d.status,
    Engine: 'postgres',
    EngineVersion: ENGINE_VERSION,
    DBInstanceClass: 'db.r6g.large',
    MultiAZ: true,
    ...(source === undefined ? {} : { ReadReplicaSourceDBInstanceIdentifier: source }),
    ReadReplicaDBInstanceIdentifiers: replicas,
    VpcSecurityGroups: world
      .databaseSecurityGroups(app.name, region)
      .map((g) => ({ VpcSecurityGroupId: g.id, Status: g.status })),
    ...(d.role === 'replica'
      ? { StatusInfos: [{ StatusType: 'read replication', Normal: true, Status: 'replicating' }] }
      : {}),
    DBParameterGroups: [{ DBParameterGroupName: 'default.postgres16', ParameterApplyStatus: 'in-sync' }],
    OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-16', Status: 'in-sync' }],
    DBSubnetGroup: { DBSubnetGroupName: 'default', SubnetGroupStatus: 'Complete' },
    TagList: [{ Key: 'lifeboat:application', Value: app.name }],
  };
}

/**
 * RDS for the applications' own databases over the simulated world: read replicas (describe,
 * promote, rename out of the way, create a cross-region replica) and Aurora global clusters
 * (describe, failover, switchover). Identifiers that are not an application's database are passed
 * on (`NOT_MINE`) to the snapshot twin, which knows the restored ones.
 */
export function rdsDatabaseOperations(): ServiceOperations {
  return {
    DescribeDBInstances: (input, context) => {
      const found = instanceOf(context.world, input.DBInstanceIdentifier);
      if (found === undefined) return NOT_MINE;
      if (found.region !== context.region) {
        throw new SimulatedServiceError(
          'DBInstanceNotFoundFault',
          `DBInstance ${text(input.DBInstanceIdentifier)} not found.`,
          404,
        );
      }
      try {
        return { DBInstances: [describeInstance(context.world, context, found.app, found.region)] };
      } catch (error) {
        // After a rename the configured identifier names nothing until the new replica exists.
        if (/has no database|no database/.test((error as Error).message)) {
          throw new SimulatedServiceError(
            'DBInstanceNotFoundFault',
            `DBInstance ${text(input.DBInstanceIdentifier)} not found.`,
            404,
          );
        }
        throw error;
      }
    },
    PromoteReadReplica: (input, context) => {
      const found = instanceOf(context.world, input.DBInstanceIdentifier);
      if (found === undefined || found.region !== context.region) {
        throw new SimulatedServiceError(
          'DBInstanceNotFoundFault',
          `DBInstance ${text(input.DBInstanceIdentifier)} not found.`,
          404,
        );
      }
      const before = context.world.describeDatabase(found.app.name, found.region);
      if (before.role !== 'replica') {
        throw new SimulatedServiceError(
          'InvalidDBInstanceStateFault',
          'DB Instance is not a read replica.',
          400,
        );
      }
      context.world.promoteDatabase(found.app.name, found.region, promotionActor(context.event));
      return {
        DBInstance: {
          ...describeInstance(context.world, context, found.app, found.region),
          DBInstanceStatus: 'modifying',
        },
      };
    },
    ModifyDBInstance: (input, context) => {
      const found = instanceOf(context.world, input.DBInstanceIdentifier);
      if (found === undefined || found.region !== context.region) return NOT_MINE;
      const groups = input.VpcSecurityGroupIds as string[] | undefined;
      if (groups !== undefined && input.NewDBInstanceIdentifier === undefined) {
        const described = describeInstance(context.world, context, found.app, found.region);
        context.world.setDatabaseSecurityGroups(found.app.name, found.region, groups);
        return {
          DBInstance: {
            ...described,
            VpcSecurityGroups: groups.map((id) => ({ VpcSecurityGroupId: id, Status: 'adding' })),
          },
        };
      }
      if (typeof input.NewDBInstanceIdentifier !== 'string' || groups !== undefined) {
        throw new SimulatedServiceError(
          'InvalidParameterCombination',
          'The rehearsal models ModifyDBInstance renaming an instance or changing its VpcSecurityGroupIds, one at a time',
          400,
        );
      }
      const described = describeInstance(context.world, context, found.app, found.region);
      context.world.retireDatabase(found.app.name, found.region, input.NewDBInstanceIdentifier);
      return { DBInstance: { ...described, DBInstanceStatus: 'renaming' } };
    },
    RebootDBInstance: (input, context) => {
      const found = instanceOf(context.world, input.DBInstanceIdentifier);
      if (found === undefined || found.region !== context.region) return NOT_MINE;
      context.world.rebootDatabase(found.app.name, found.region);
      return { DBInstance: describeInstance(context.world, context, found.app, found.region) };
    },
    CreateDBInstanceReadReplica: (input, context) => {
      const found = instanceOf(context.world, input.DBInstanceIdentifier);
      const source = instanceOf(context.world, input.SourceDBInstanceIdentifier);
      if (
        found === undefined ||
        source === undefined ||
        found.app !== source.app ||
        found.region !== context.region
      ) {
        throw new SimulatedServiceError(
          'DBInstanceNotFoundFault',
          `DBInstance ${text(input.SourceDBInstanceIdentifier)} not found.`,
          404,
        );
      }
      context.world.createReadReplica(found.app.name, found.region, source.region);
      return { DBInstance: describeInstance(context.world, context, found.app, found.region) };
    },
    DescribeGlobalClusters: (input, context) => {
      const app = globalOf(context.world, input.GlobalClusterIdentifier);
      if (app === undefined || app.database.engine !== 'aurora-global') {
        throw new SimulatedServiceError(
          'GlobalClusterNotFoundFault',
          `Global cluster ${text(input.GlobalClusterIdentifier)} not found`,
          404,
        );
      }
      context.world.faults.check('rds', 'DescribeGlobalClusters', context.region);
      const database = app.database;
      const members = Object.entries(database.clusters).flatMap(([region, cluster]) => {
        const role = context.world.databaseRole(app.name, region);
        if (role === 'down' && region !== context.region) {
          // The global cluster still lists a member whose region is down.
          return [{ DBClusterArn: clusterArn(context, region, cluster), IsWriter: false, Readers: [] }];
        }
        return [
          {
            DBClusterArn: clusterArn(context, region, cluster),
            IsWriter: role === 'writer' || role === 'standalone',
            Readers: [],
            SynchronizationStatus: context.world.synchronization(app.name, region),
          },
        ];
      });
      const promoting = Object.keys(database.clusters).find(
        (r) =>
          context.world.databaseRole(app.name, r) !== 'down' &&
          context.world.describeDatabase(app.name, r).status === 'modifying',
      );
      return {
        GlobalClusters: [
          {
            GlobalClusterIdentifier: database.globalClusterIdentifier,
            GlobalClusterArn: `arn:${context.partition}:rds::${context.account}:global-cluster:${database.globalClusterIdentifier}`,
            Status: 'available',
            Engine: 'aurora-postgresql',
            EngineVersion: ENGINE_VERSION,
            GlobalClusterMembers: members,
            ...(promoting === undefined
              ? {}
              : {
                  FailoverState: {
                    Status: 'failing-over',
                    ToDbClusterArn: clusterArn(context, promoting, database.clusters[promoting] ?? ''),
                  },
                }),
          },
        ],
      };
    },
    FailoverGlobalCluster: (input, context) => globalPromotion(input, context, false),
    SwitchoverGlobalCluster: (input, context) => globalPromotion(input, context, true),
  };
}

function globalPromotion(
  input: Readonly<Record<string, unknown>>,
  context: TwinCallContext,
  planned: boolean,
): unknown {
  const app = globalOf(context.world, input.GlobalClusterIdentifier);
  const region = app === undefined ? undefined : clusterRegion(app, input.TargetDbClusterIdentifier);
  if (app === undefined || region === undefined) {
    throw new SimulatedServiceError(
      'GlobalClusterNotFoundFault',
      `Global cluster ${text(input.GlobalClusterIdentifier)} not found`,
      404,
    );
  }
  if (!planned && input.AllowDataLoss !== true && context.world.writers(app.name).length === 0) {
    throw new SimulatedServiceError(
      'InvalidGlobalClusterStateFault',
      'The primary cluster is unavailable: a failover needs AllowDataLoss',
      400,
    );
  }
  const outcome = context.world.promoteDatabase(app.name, region, {
    planned,
    by: promotionActor(context.event).by,
  });
  if (outcome === 'already-promoted') {
    throw new SimulatedServiceError(
      'InvalidGlobalClusterStateFault',
      `The cluster ${text(input.TargetDbClusterIdentifier)} is already the primary of ${text(input.GlobalClusterIdentifier)}`,
      400,
    );
  }
  return {
    GlobalCluster: { GlobalClusterIdentifier: input.GlobalClusterIdentifier, Status: 'failing-over' },
  };
}
