import type { ApplicationConfig } from '../../../shared/config/LifeboatConfig.ts';
import type { SnapshotInfo } from '../../../shared/ports/Backups.ts';
import { SimulatedServiceError } from '../../world/faults.ts';
import type { World } from '../../world/World.ts';
import {
  NOT_MINE,
  text,
  type ServiceOperations,
  type TwinCallContext,
  type TwinInput,
} from './ServiceTwin.ts';

type Tags = Record<string, string>;

function tagsOf(input: TwinInput): Tags {
  return Object.fromEntries(
    ((input.Tags ?? []) as { Key?: string; Value?: string }[]).map((t) => [t.Key ?? '', t.Value ?? '']),
  );
}

/** The application whose database in some region has this identifier (an instance or an Aurora cluster). */
function appOfDatabase(world: World, id: unknown): ApplicationConfig | undefined {
  const wanted = text(id).split(':').at(-1)?.toLowerCase();
  return world.config.applications.find((a) =>
    Object.values(a.database.engine === 'rds-read-replica' ? a.database.instances : a.database.clusters).some(
      (x) => x.toLowerCase() === wanted,
    ),
  );
}

/** A snapshot's id and region from an identifier or ARN, as the call names it in `region`. */
function located(id: unknown, region: string): { id: string; region: string } {
  const named = text(id);
  if (!named.startsWith('arn:')) return { id: named, region };
  const parts = named.split(':');
  return { id: parts.slice(6).join(':'), region: parts[3] ?? region };
}

function ownerOfSnapshot(world: World, id: string, region: string): ApplicationConfig | undefined {
  const found = world.snapshots
    .all()
    .find((s) => s.region === region && s.id.toLowerCase() === id.toLowerCase());
  return found === undefined ? undefined : world.application(found.application);
}

/** A snapshot as DescribeDBSnapshots (or the cluster form) returns it. */
function shape(info: SnapshotInfo, cluster: boolean, context: TwinCallContext): Record<string, unknown> {
  const created = info.createdAt === undefined ? undefined : new Date(info.createdAt);
  const tagList = Object.entries(info.tags).map(([Key, Value]) => ({ Key, Value }));
  const arn = info.arn.replace(
    /^arn:aws:rds:([^:]+):\d{12}:/,
    `arn:${context.partition}:rds:$1:${context.account}:`,
  );
  return cluster
    ? {
        DBClusterSnapshotIdentifier: info.id,
        DBClusterSnapshotArn: arn,
        DBClusterIdentifier: info.sourceId,
        Status: info.status,
        SnapshotCreateTime: created,
        Engine: info.engine,
        AllocatedStorage: info.sizeGiB,
        StorageEncrypted: info.encrypted,
        SnapshotType: 'manual',
        TagList: tagList,
      }
    : {
        DBSnapshotIdentifier: info.id,
        DBSnapshotArn: arn,
        DBInstanceIdentifier: info.sourceId,
        Status: info.status,
        SnapshotCreateTime: created,
        OriginalSnapshotCreateTime: created,
        Engine: info.engine,
        AllocatedStorage: info.sizeGiB,
        Encrypted: info.encrypted,
        SnapshotType: 'manual',
        TagList: tagList,
      };
}

const notFound = (kind: string, id: string): SimulatedServiceError =>
  new SimulatedServiceError(
    kind === 'cluster' ? 'DBClusterSnapshotNotFoundFault' : 'DBSnapshotNotFoundFault',
    `${kind === 'cluster' ? 'DBClusterSnapshot' : 'DBSnapshot'} ${id} not found.`,
    404,
  );

/**
 * RDS snapshots, cross-region copies and restores over the world's simulated snapshots: the backup
 * and the restore test's calls. Describe and delete calls for databases that are not restores are
 * passed on (`NOT_MINE`) to the database twin.
 */
export function rdsSnapshotOperations(
  /** Where the tags of the databases a restore creates are kept, by ARN (IAM's aws:ResourceTag). */
  tags: Map<string, Readonly<Record<string, string>>> = new Map(),
): ServiceOperations {
  const create = (cluster: boolean) => (input: TwinInput, context: TwinCallContext) => {
    const app = appOfDatabase(
      context.world,
      cluster ? input.DBClusterIdentifier : input.DBInstanceIdentifier,
    );
    if (app === undefined) {
      throw new SimulatedServiceError(
        cluster ? 'DBClusterNotFoundFault' : 'DBInstanceNotFoundFault',
        `${cluster ? 'DBCluster' : 'DBInstance'} ${text(cluster ? input.DBClusterIdentifier : input.DBInstanceIdentifier)} not found.`,
        404,
      );
    }
    const id = text(cluster ? input.DBClusterSnapshotIdentifier : input.DBSnapshotIdentifier);
    const info = context.world.snapshots.create(app.name, context.region, id, tagsOf(input));
    return { [cluster ? 'DBClusterSnapshot' : 'DBSnapshot']: shape(info, cluster, context) };
  };
  const copy = (cluster: boolean) => (input: TwinInput, context: TwinCallContext) => {
    const source = located(
      cluster ? input.SourceDBClusterSnapshotIdentifier : input.SourceDBSnapshotIdentifier,
      context.region,
    );
    const app = ownerOfSnapshot(context.world, source.id, source.region);
    if (app === undefined) throw notFound(cluster ? 'cluster' : 'instance', source.id);
    const target = text(cluster ? input.TargetDBClusterSnapshotIdentifier : input.TargetDBSnapshotIdentifier);
    const info = context.world.snapshots.copy(app.name, source, context.region, target, tagsOf(input));
    return { [cluster ? 'DBClusterSnapshot' : 'DBSnapshot']: shape(info, cluster, context) };
  };
  const describe = (cluster: boolean) => (input: TwinInput, context: TwinCallContext) => {
    const { world } = context;
    const id = cluster ? input.DBClusterSnapshotIdentifier : input.DBSnapshotIdentifier;
    if (id !== undefined) {
      const app = ownerOfSnapshot(world, text(id), context.region);
      const info =
        app === undefined ? undefined : world.snapshots.describe(app.name, context.region, text(id));
      if (info === undefined) throw notFound(cluster ? 'cluster' : 'instance', text(id));
      return { [cluster ? 'DBClusterSnapshots' : 'DBSnapshots']: [shape(info, cluster, context)] };
    }
    // Every manual snapshot of the region, one page (the twin's regions hold fewer than MaxRecords).
    world.faults.check('rds', cluster ? 'DescribeDBClusterSnapshots' : 'DescribeDBSnapshots', context.region);
    const infos = world.snapshots
      .all()
      .filter((s) => s.region === context.region && s.cluster === cluster)
      .map((s) => world.snapshots.describeQuietly(s.application, s.region, s.id))
      .filter((s): s is SnapshotInfo => s !== undefined);
    return { [cluster ? 'DBClusterSnapshots' : 'DBSnapshots']: infos.map((i) => shape(i, cluster, context)) };
  };
  const remove = (cluster: boolean) => (input: TwinInput, context: TwinCallContext) => {
    const id = text(cluster ? input.DBClusterSnapshotIdentifier : input.DBSnapshotIdentifier);
    const app = ownerOfSnapshot(context.world, id, context.region);
    if (app === undefined) throw notFound(cluster ? 'cluster' : 'instance', id);
    context.world.snapshots.delete(app.name, context.region, id);
    return {
      [cluster ? 'DBClusterSnapshot' : 'DBSnapshot']: {
        [cluster ? 'DBClusterSnapshotIdentifier' : 'DBSnapshotIdentifier']: id,
        Status: 'deleting',
      },
    };
  };
  const restore = (cluster: boolean) => (input: TwinInput, context: TwinCallContext) => {
    const snapshot = located(cluster ? input.SnapshotIdentifier : input.DBSnapshotIdentifier, context.region);
    const app = ownerOfSnapshot(context.world, snapshot.id, snapshot.region);
    if (app === undefined) throw notFound(cluster ? 'cluster' : 'instance', snapshot.id);
    const id = text(cluster ? input.DBClusterIdentifier : input.DBInstanceIdentifier);
    const arn = `arn:${context.partition}:rds:${context.region}:${context.account}:${cluster ? 'cluster' : 'db'}:${id.toLowerCase()}`;
    tags.set(arn, tagsOf(input));
    if (context.world.snapshots.restore(app.name, snapshot, id) === 'exists') {
      throw new SimulatedServiceError(
        cluster ? 'DBClusterAlreadyExistsFault' : 'DBInstanceAlreadyExistsFault',
        `${cluster ? 'DB Cluster' : 'DB instance'} already exists`,
        400,
      );
    }
    return cluster
      ? { DBCluster: { DBClusterIdentifier: id, Status: 'creating', Engine: input.Engine } }
      : { DBInstance: { DBInstanceIdentifier: id, DBInstanceStatus: 'creating' } };
  };
  /** A restore's application, or NOT_MINE for a database the database twin knows. */
  const restoreOf = (id: unknown, context: TwinCallContext): string | undefined =>
    context.world.snapshots.restoreOwner(context.region, text(id));
  return {
    CreateDBSnapshot: create(false),
    CreateDBClusterSnapshot: create(true),
    CopyDBSnapshot: copy(false),
    CopyDBClusterSnapshot: copy(true),
    DescribeDBSnapshots: describe(false),
    DescribeDBClusterSnapshots: describe(true),
    DeleteDBSnapshot: remove(false),
    DeleteDBClusterSnapshot: remove(true),
    RestoreDBInstanceFromDBSnapshot: restore(false),
    RestoreDBClusterFromSnapshot: restore(true),
    // The instance of a restored Aurora cluster: the world's restore makes both.
    CreateDBInstance: (input, context) => {
      tags.set(
        `arn:${context.partition}:rds:${context.region}:${context.account}:db:${text(input.DBInstanceIdentifier).toLowerCase()}`,
        tagsOf(input),
      );
      if (restoreOf(input.DBClusterIdentifier, context) === undefined) {
        throw new SimulatedServiceError(
          'DBClusterNotFoundFault',
          `DBCluster ${text(input.DBClusterIdentifier)} not found.`,
          404,
        );
      }
      return {
        DBInstance: { DBInstanceIdentifier: input.DBInstanceIdentifier, DBInstanceStatus: 'creating' },
      };
    },
    DescribeDBInstances: (input, context) => {
      const app = restoreOf(input.DBInstanceIdentifier, context);
      if (app === undefined) return NOT_MINE;
      const r = context.world.snapshots.describeRestore(
        app,
        context.region,
        text(input.DBInstanceIdentifier),
      );
      if (!r.resources.some((x) => x.startsWith('db:')))
        throw new SimulatedServiceError('DBInstanceNotFoundFault', `DBInstance ${r.id} not found.`, 404);
      return {
        DBInstances: [
          {
            DBInstanceIdentifier: r.id,
            DBInstanceStatus: r.status,
            ...(r.engine === undefined ? {} : { Engine: r.engine }),
            ...(r.endpoint === undefined ? {} : { Endpoint: { Address: r.endpoint, Port: 5432 } }),
          },
        ],
      };
    },
    DescribeDBClusters: (input, context) => {
      const app = restoreOf(input.DBClusterIdentifier, context);
      if (app === undefined) return NOT_MINE;
      const r = context.world.snapshots.describeRestore(app, context.region, text(input.DBClusterIdentifier));
      if (!r.resources.some((x) => x.startsWith('cluster:')))
        throw new SimulatedServiceError('DBClusterNotFoundFault', `DBCluster ${r.id} not found.`, 404);
      return {
        DBClusters: [
          {
            DBClusterIdentifier: r.id,
            Status: r.status === 'gone' ? 'deleting' : r.status,
            ...(r.engine === undefined ? {} : { Engine: r.engine }),
          },
        ],
      };
    },
    DeleteDBInstance: (input, context) => {
      const app = restoreOf(input.DBInstanceIdentifier, context);
      if (app === undefined) return NOT_MINE;
      context.world.snapshots.deleteRestore(app, context.region, text(input.DBInstanceIdentifier));
      return {
        DBInstance: { DBInstanceIdentifier: input.DBInstanceIdentifier, DBInstanceStatus: 'deleting' },
      };
    },
    DeleteDBCluster: (input, context) => {
      const app = restoreOf(input.DBClusterIdentifier, context);
      if (app === undefined) return NOT_MINE;
      context.world.snapshots.deleteRestore(app, context.region, text(input.DBClusterIdentifier));
      return { DBCluster: { DBClusterIdentifier: input.DBClusterIdentifier, Status: 'deleting' } };
    },
  };
}
