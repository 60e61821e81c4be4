import { databaseId } from '../../../shared/config/databases.ts';
import type { ApplicationConfig } from '../../../shared/config/LifeboatConfig.ts';
import { SimulatedServiceError } from '../../world/faults.ts';
import type { RestoreState, SimulatedSnapshot } from '../../world/Snapshots.ts';
import type { World } from '../../world/World.ts';
import {
  NOT_MINE,
  text,
  type OperationHandler,
  type ServiceOperations,
  type TwinCallContext,
  type TwinInput,
} from './ServiceTwin.ts';

/**
 * RDS snapshots, cross-region copies and restores over the world's simulated snapshots: what the
 * backup and the restore test call (`shared/aws/RdsSnapshots.ts`). Identifiers are the world's:
 * the applications' writers as the config names them (`databaseId`), the snapshots and restores
 * the world holds. Describe, create and delete calls about the applications' own databases are
 * passed on (`NOT_MINE`) to the database twin; any other identifier the world does not know gets
 * RDS's not-found error, under the name the SDK gives its exception.
 */

/** The PostgreSQL port the simulated databases listen on. */
const PORT = 5432;

/** The tags of the databases the calls created, by ARN (IAM reads them as aws:ResourceTag). */
export type ResourceTags = Map<string, Readonly<Record<string, string>>>;

/** The member names and errors of one form of the snapshot API: DB instance or DB cluster. */
interface SnapshotKind {
  readonly cluster: boolean;
  readonly idMember: 'DBSnapshotIdentifier' | 'DBClusterSnapshotIdentifier';
  readonly sourceMember: 'DBInstanceIdentifier' | 'DBClusterIdentifier';
  readonly copySource: 'SourceDBSnapshotIdentifier' | 'SourceDBClusterSnapshotIdentifier';
  readonly copyTarget: 'TargetDBSnapshotIdentifier' | 'TargetDBClusterSnapshotIdentifier';
  /** The response member of one snapshot, and of a list. */
  readonly one: 'DBSnapshot' | 'DBClusterSnapshot';
  readonly many: 'DBSnapshots' | 'DBClusterSnapshots';
  readonly arnType: 'snapshot' | 'cluster-snapshot';
  readonly operation: {
    readonly create: string;
    readonly copy: string;
    readonly describe: string;
    readonly delete: string;
  };
  readonly notFound: string;
  readonly sourceNotFound: string;
  /** RDS's wire codes as the SDK names their exceptions, for this form. */
  readonly sdkNames: Readonly<Record<string, string>>;
}

/**
 * Wire codes that the world (and a scenario's injected faults) use and the SDK's exception names
 * (`@aws-sdk/client-rds` deserializes code `DBSnapshotNotFound` into `DBSnapshotNotFoundFault`).
 * Codes the SDK does not model (`InvalidParameterValue`, `InternalFailure`, throttling) keep their
 * code as the name, as the SDK does.
 */
const INSTANCE_NAMES: Readonly<Record<string, string>> = {
  DBSnapshotAlreadyExists: 'DBSnapshotAlreadyExistsFault',
  DBSnapshotNotFound: 'DBSnapshotNotFoundFault',
  InvalidDBSnapshotState: 'InvalidDBSnapshotStateFault',
  DBInstanceNotFound: 'DBInstanceNotFoundFault',
  DBInstanceAlreadyExists: 'DBInstanceAlreadyExistsFault',
  InvalidDBInstanceState: 'InvalidDBInstanceStateFault',
};

const INSTANCE: SnapshotKind = {
  cluster: false,
  idMember: 'DBSnapshotIdentifier',
  sourceMember: 'DBInstanceIdentifier',
  copySource: 'SourceDBSnapshotIdentifier',
  copyTarget: 'TargetDBSnapshotIdentifier',
  one: 'DBSnapshot',
  many: 'DBSnapshots',
  arnType: 'snapshot',
  operation: {
    create: 'CreateDBSnapshot',
    copy: 'CopyDBSnapshot',
    describe: 'DescribeDBSnapshots',
    delete: 'DeleteDBSnapshot',
  },
  notFound: 'DBSnapshotNotFoundFault',
  sourceNotFound: 'DBInstanceNotFoundFault',
  sdkNames: INSTANCE_NAMES,
};

const CLUSTER: SnapshotKind = {
  cluster: true,
  idMember: 'DBClusterSnapshotIdentifier',
  sourceMember: 'DBClusterIdentifier',
  copySource: 'SourceDBClusterSnapshotIdentifier',
  copyTarget: 'TargetDBClusterSnapshotIdentifier',
  one: 'DBClusterSnapshot',
  many: 'DBClusterSnapshots',
  arnType: 'cluster-snapshot',
  operation: {
    create: 'CreateDBClusterSnapshot',
    copy: 'CopyDBClusterSnapshot',
    describe: 'DescribeDBClusterSnapshots',
    delete: 'DeleteDBClusterSnapshot',
  },
  notFound: 'DBClusterSnapshotNotFoundFault',
  sourceNotFound: 'DBClusterNotFoundFault',
  // The world's snapshot methods name errors by the DB snapshot codes for either form.
  sdkNames: {
    ...INSTANCE_NAMES,
    DBSnapshotAlreadyExists: 'DBClusterSnapshotAlreadyExistsFault',
    DBSnapshotNotFound: 'DBClusterSnapshotNotFoundFault',
    InvalidDBSnapshotState: 'InvalidDBClusterSnapshotStateFault',
    DBInstanceNotFound: 'DBClusterNotFoundFault',
  },
};

/** An error as the SDK would throw it: the world's wire code renamed to the SDK's exception. */
function asSdkError(error: unknown, kind: SnapshotKind): unknown {
  if (!(error instanceof SimulatedServiceError)) return error;
  const name = kind.sdkNames[error.name];
  if (name === undefined) return error;
  return new SimulatedServiceError(
    name,
    error.message,
    error.$metadata.httpStatusCode,
    error.$retryable?.throttling === true,
  );
}

function guarded(kind: SnapshotKind, handler: OperationHandler): OperationHandler {
  return (input, context) => {
    try {
      return handler(input, context);
    } catch (error) {
      throw asSdkError(error, kind);
    }
  };
}

function fault(name: string, message: string, status = 400): SimulatedServiceError {
  return new SimulatedServiceError(name, message, status);
}

/**
 * The call's own check of the fault registry, for a request that reaches no world method (the
 * world's methods check it themselves): throttling and outages come before RDS looks anything up.
 */
function checkFaults(context: TwinCallContext, operation: string): void {
  context.world.faults.check('rds', operation, context.region);
}

/** An identifier as a request gives it, or the parts of an ARN. */
interface Named {
  readonly id: string;
  readonly arn?: {
    readonly partition: string;
    readonly region: string;
    readonly account: string;
    readonly type: string;
  };
}

function named(value: unknown): Named {
  const given = text(value);
  if (!given.startsWith('arn:')) return { id: given };
  const [, partition = '', , region = '', account = '', type = '', ...rest] = given.split(':');
  return { id: rest.join(':'), arn: { partition, region, account, type } };
}

/** The identifier a request names in the call's region: a plain one, or an ARN of this account there. */
function localId(value: unknown, type: string, context: TwinCallContext): string | undefined {
  const n = named(value);
  if (n.arn === undefined) return n.id;
  const { partition, region, account } = n.arn;
  return n.arn.type === type &&
    partition === context.partition &&
    region === context.region &&
    account === context.account
    ? n.id
    : undefined;
}

function arn(context: TwinCallContext, region: string, type: string, id: string): string {
  return `arn:${context.partition}:rds:${region}:${context.account}:${type}:${id}`;
}

function isAurora(app: ApplicationConfig): boolean {
  return app.database.engine === 'aurora-global';
}

/** The application and region whose writer (DB instance, or Aurora cluster) has this identifier. */
function databaseOf(
  world: World,
  identifier: string,
  cluster: boolean,
): { app: ApplicationConfig; region: string } | undefined {
  const wanted = identifier.toLowerCase();
  for (const app of world.config.applications) {
    if (isAurora(app) !== cluster) continue;
    for (const region of app.regions) {
      if (databaseId(app, region)?.toLowerCase() === wanted) return { app, region };
    }
  }
  return undefined;
}

/** A snapshot of this form in the region, by identifier. */
function snapshotIn(
  world: World,
  region: string,
  id: string | undefined,
  kind: SnapshotKind,
): SimulatedSnapshot | undefined {
  const found = id === undefined ? undefined : world.snapshots.find(region, id);
  return found?.cluster === kind.cluster ? found : undefined;
}

function tagsOf(input: TwinInput): Record<string, string> {
  const tags = (input.Tags ?? []) as readonly { readonly Key?: string; readonly Value?: string }[];
  return Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value ?? '']));
}

function tagList(tags: Readonly<Record<string, string>>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/**
 * A snapshot as RDS describes it: timestamps as Date objects, sizes as numbers, tags as a TagList.
 * A DB snapshot copy's SnapshotCreateTime is the copy's own and OriginalSnapshotCreateTime the
 * original's (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html); a DB
 * cluster snapshot has only SnapshotCreateTime, which the world keeps as the data's time. A copy in
 * progress is `copying` (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html).
 */
function snapshotShape(
  s: SimulatedSnapshot,
  kind: SnapshotKind,
  context: TwinCallContext,
): Record<string, unknown> {
  const { clock } = context.world;
  const taken = new Date(clock.secondsToIso(s.takenAt));
  const status = s.status === 'creating' && s.copiedFrom !== undefined ? 'copying' : s.status;
  const common = {
    Engine: s.engine,
    AllocatedStorage: s.sizeGiB,
    Status: status,
    Port: PORT,
    SnapshotType: 'manual',
    PercentProgress: s.status === 'available' ? 100 : 0,
    // A snapshot of the database is encrypted with its key, here the default one by its alias.
    KmsKeyId: s.kmsKeyId ?? `arn:${context.partition}:kms:${s.region}:${context.account}:alias/aws/rds`,
    TagList: tagList(s.tags),
  };
  const source = s.copiedFrom;
  if (kind.cluster) {
    return {
      DBClusterSnapshotIdentifier: s.id,
      DBClusterIdentifier: s.sourceId,
      DBClusterSnapshotArn: arn(context, s.region, 'cluster-snapshot', s.id),
      SnapshotCreateTime: taken,
      EngineMode: 'provisioned',
      StorageEncrypted: s.encrypted,
      ...common,
      ...(source === undefined
        ? {}
        : { SourceDBClusterSnapshotArn: arn(context, source.region, 'cluster-snapshot', source.id) }),
    };
  }
  return {
    DBSnapshotIdentifier: s.id,
    DBInstanceIdentifier: s.sourceId,
    DBSnapshotArn: arn(context, s.region, 'snapshot', s.id),
    SnapshotCreateTime: source === undefined ? taken : new Date(clock.secondsToIso(source.at)),
    OriginalSnapshotCreateTime: taken,
    Encrypted: s.encrypted,
    ...common,
    ...(source === undefined
      ? {}
      : {
          SourceRegion: source.region,
          SourceDBSnapshotIdentifier: arn(context, source.region, 'snapshot', source.id),
        }),
  };
}

/** The snapshot a world method just made or changed, as the response describes it. */
function described(
  context: TwinCallContext,
  region: string,
  id: string,
  kind: SnapshotKind,
): Record<string, unknown> {
  const found = snapshotIn(context.world, region, id, kind);
  if (found === undefined) throw new Error(`the world lost snapshot ${id} in ${region}`);
  return snapshotShape(found, kind, context);
}

/** A restored instance as DescribeDBInstances returns it. */
function instanceShape(
  r: RestoreState,
  context: TwinCallContext,
  tags: ResourceTags,
): Record<string, unknown> {
  const aurora = isAurora(context.world.application(r.application));
  const instanceArn = arn(context, r.region, 'db', r.id.toLowerCase());
  return {
    DBInstanceIdentifier: r.id,
    DBInstanceArn: instanceArn,
    DBInstanceStatus: r.instance,
    Engine: r.engine,
    ...(aurora ? { DBClusterIdentifier: r.id } : {}),
    ...(r.endpoint === undefined ? {} : { Endpoint: { Address: r.endpoint, Port: PORT } }),
    MultiAZ: false,
    PubliclyAccessible: false,
    StorageEncrypted: true,
    DeletionProtection: false,
    TagList: tagList(tags.get(instanceArn) ?? {}),
  };
}

/** A restored Aurora cluster as DescribeDBClusters returns it. */
function clusterShape(
  r: RestoreState,
  context: TwinCallContext,
  tags: ResourceTags,
): Record<string, unknown> {
  const clusterArn = arn(context, r.region, 'cluster', r.id.toLowerCase());
  return {
    DBClusterIdentifier: r.id,
    DBClusterArn: clusterArn,
    Status: r.cluster,
    Engine: r.engine,
    EngineMode: 'provisioned',
    Port: PORT,
    DBClusterMembers: r.instance === undefined ? [] : [{ DBInstanceIdentifier: r.id, IsClusterWriter: true }],
    StorageEncrypted: true,
    DeletionProtection: false,
    TagList: tagList(tags.get(clusterArn) ?? {}),
  };
}

/** RDS's page size bounds for Describe* calls (MaxRecords: at least 20, at most 100, default 100). */
const PAGE = { min: 20, max: 100 };

/** The page of `items` after `marker` (the last identifier of the previous page, encoded). */
function paged<T extends { readonly id: string }>(
  items: readonly T[],
  input: TwinInput,
): { page: T[]; marker: string | undefined } {
  const size = input.MaxRecords === undefined ? PAGE.max : Number(input.MaxRecords);
  if (!Number.isInteger(size) || size < PAGE.min || size > PAGE.max) {
    throw fault(
      'InvalidParameterValue',
      `MaxRecords must be between ${PAGE.min} and ${PAGE.max}; got ${text(input.MaxRecords)}`,
    );
  }
  const after =
    typeof input.Marker === 'string' && input.Marker !== ''
      ? Buffer.from(input.Marker, 'base64url').toString('utf8')
      : undefined;
  const sorted = [...items].sort((a, b) => a.id.localeCompare(b.id));
  const rest = after === undefined ? sorted : sorted.filter((s) => s.id.localeCompare(after) > 0);
  const page = rest.slice(0, size);
  const last = page.at(-1);
  return {
    page,
    marker: rest.length > size && last !== undefined ? Buffer.from(last.id).toString('base64url') : undefined,
  };
}

function createSnapshot(kind: SnapshotKind): OperationHandler {
  return guarded(kind, (input, context) => {
    const sourceId = text(input[kind.sourceMember]);
    const db = databaseOf(context.world, sourceId, kind.cluster);
    if (db === undefined || db.region !== context.region) {
      checkFaults(context, kind.operation.create);
      throw fault(
        kind.sourceNotFound,
        `${kind.cluster ? 'DBCluster' : 'DBInstance'} ${sourceId} not found.`,
        404,
      );
    }
    const id = text(input[kind.idMember]);
    context.world.snapshots.create(db.app.name, context.region, id, tagsOf(input));
    return { [kind.one]: described(context, context.region, id, kind) };
  });
}

/**
 * A copy, requested in the destination region. A source in another region is named by its ARN,
 * from which the JS SDK v3's RDS middleware presigns the source region's request (`PreSignedUrl`)
 * after the twin has seen the call: the input the twin gets has neither it nor `SourceRegion`
 * (which other SDKs take instead); either is accepted when given. A plain identifier names a
 * snapshot in the destination region, as RDS reads it
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html).
 */
function copySnapshot(kind: SnapshotKind): OperationHandler {
  return guarded(kind, (input, context) => {
    const { world } = context;
    const source = named(input[kind.copySource]);
    const sourceRegion = source.arn?.region ?? context.region;
    const ours =
      source.arn === undefined ||
      (source.arn.type === kind.arnType &&
        source.arn.partition === context.partition &&
        source.arn.account === context.account);
    const original = ours ? snapshotIn(world, sourceRegion, source.id, kind) : undefined;
    if (original === undefined) {
      checkFaults(context, kind.operation.copy);
      throw fault(kind.notFound, `${kind.one} ${text(input[kind.copySource])} not found.`, 404);
    }
    const kmsKeyId = typeof input.KmsKeyId === 'string' ? input.KmsKeyId : undefined;
    // A copy is encrypted with a key of its own region; a key ARN names the region it lives in.
    const keyRegion = kmsKeyId?.startsWith('arn:') === true ? kmsKeyId.split(':')[3] : undefined;
    if (keyRegion !== undefined && keyRegion !== context.region) {
      checkFaults(context, kind.operation.copy);
      throw fault(
        'KMSKeyNotAccessibleFault',
        `The KMS key ${kmsKeyId ?? ''} is not in ${context.region}, the region of the copy`,
      );
    }
    const target = text(input[kind.copyTarget]);
    const tags = input.CopyTags === true ? { ...original.tags, ...tagsOf(input) } : tagsOf(input);
    world.snapshots.copy(
      original.application,
      { id: original.id, region: sourceRegion },
      context.region,
      target,
      tags,
      kmsKeyId,
    );
    return { [kind.one]: described(context, context.region, target, kind) };
  });
}

/**
 * One snapshot by identifier, or the region's snapshots of this form (of one database when the
 * request names it), a page at a time. The world holds manual snapshots only.
 */
function describeSnapshots(kind: SnapshotKind): OperationHandler {
  return guarded(kind, (input, context) => {
    const { world } = context;
    const given = input[kind.idMember];
    if (given !== undefined) {
      const found = snapshotIn(world, context.region, localId(given, kind.arnType, context), kind);
      if (found === undefined) {
        checkFaults(context, kind.operation.describe);
        throw fault(kind.notFound, `${kind.one} ${text(given)} not found.`, 404);
      }
      world.snapshots.describe(found.application, context.region, found.id);
      return { [kind.many]: [snapshotShape(found, kind, context)] };
    }
    checkFaults(context, kind.operation.describe);
    const of = input[kind.sourceMember] === undefined ? undefined : named(input[kind.sourceMember]).id;
    const type = input.SnapshotType;
    const all = world.snapshots
      .all()
      .filter(
        (s) =>
          s.region === context.region &&
          s.cluster === kind.cluster &&
          (type === undefined || type === 'manual') &&
          (of === undefined || s.sourceId.toLowerCase() === of.toLowerCase()),
      );
    const { page, marker } = paged(all, input);
    return {
      [kind.many]: page.map((s) => snapshotShape(s, kind, context)),
      ...(marker === undefined ? {} : { Marker: marker }),
    };
  });
}

/**
 * A delete. RDS deletes only an available snapshot, or cancels a copy in progress
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBSnapshot.html); the
 * response describes the snapshot as `deleted`.
 */
function deleteSnapshot(kind: SnapshotKind): OperationHandler {
  return guarded(kind, (input, context) => {
    const given = input[kind.idMember];
    const found = snapshotIn(context.world, context.region, localId(given, kind.arnType, context), kind);
    if (found === undefined) {
      checkFaults(context, kind.operation.delete);
      throw fault(kind.notFound, `${kind.one} ${text(given)} not found.`, 404);
    }
    if (found.status !== 'available' && found.copiedFrom === undefined) {
      checkFaults(context, kind.operation.delete);
      throw fault(
        kind.cluster ? 'InvalidDBClusterSnapshotStateFault' : 'InvalidDBSnapshotStateFault',
        `${kind.one} ${found.id} is ${found.status}; only an available snapshot can be deleted`,
      );
    }
    context.world.snapshots.delete(found.application, context.region, found.id);
    return { [kind.one]: { ...snapshotShape(found, kind, context), Status: 'deleted' } };
  });
}

/** Whether an identifier is already one of the applications' own databases in the region. */
function takenByDatabase(context: TwinCallContext, id: string, cluster: boolean): boolean {
  return databaseOf(context.world, id, cluster)?.region === context.region;
}

/** Keeps the tags a create request gave the new database, under its ARN. */
function keepTags(
  tags: ResourceTags,
  context: TwinCallContext,
  type: 'db' | 'cluster',
  id: string,
  input: TwinInput,
): void {
  tags.set(arn(context, context.region, type, id.toLowerCase()), tagsOf(input));
}

function restoreOf(context: TwinCallContext, id: string): RestoreState {
  const restore = context.world.snapshots.inspectRestore(context.region, id);
  if (restore === undefined) throw new Error(`the world lost the restore ${id} in ${context.region}`);
  return restore;
}

/**
 * RestoreDBInstanceFromDBSnapshot: a new instance from a DB snapshot of the call's region (named
 * by identifier or ARN).
 */
function restoreInstance(tags: ResourceTags): OperationHandler {
  return guarded(INSTANCE, (input, context) => {
    const restoreId = text(input.DBInstanceIdentifier);
    const operation = 'RestoreDBInstanceFromDBSnapshot';
    const snapshot = snapshotIn(
      context.world,
      context.region,
      localId(input.DBSnapshotIdentifier, 'snapshot', context),
      INSTANCE,
    );
    if (snapshot === undefined) {
      checkFaults(context, operation);
      throw fault(
        'DBSnapshotNotFoundFault',
        `DBSnapshot ${text(input.DBSnapshotIdentifier)} not found.`,
        404,
      );
    }
    if (takenByDatabase(context, restoreId, false)) {
      checkFaults(context, operation);
      throw fault('DBInstanceAlreadyExistsFault', `DB instance ${restoreId} already exists`);
    }
    const outcome = context.world.snapshots.restore(
      snapshot.application,
      { id: snapshot.id, region: context.region },
      restoreId,
    );
    if (outcome === 'exists') {
      throw fault('DBInstanceAlreadyExistsFault', `DB instance ${restoreId} already exists`);
    }
    keepTags(tags, context, 'db', restoreId, input);
    return { DBInstance: instanceShape(restoreOf(context, restoreId), context, tags) };
  });
}

/**
 * RestoreDBClusterFromSnapshot: a new Aurora cluster, without instances, from a cluster snapshot
 * of the call's region. Its engine must be the snapshot's.
 */
function restoreCluster(tags: ResourceTags): OperationHandler {
  return guarded(CLUSTER, (input, context) => {
    const restoreId = text(input.DBClusterIdentifier);
    const operation = 'RestoreDBClusterFromSnapshot';
    const snapshot = snapshotIn(
      context.world,
      context.region,
      localId(input.SnapshotIdentifier, 'cluster-snapshot', context),
      CLUSTER,
    );
    if (snapshot === undefined) {
      checkFaults(context, operation);
      throw fault(
        'DBClusterSnapshotNotFoundFault',
        `DBClusterSnapshot ${text(input.SnapshotIdentifier)} not found.`,
        404,
      );
    }
    if (text(input.Engine) !== snapshot.engine) {
      checkFaults(context, operation);
      throw fault(
        'InvalidParameterCombination',
        `engine ${text(input.Engine)} is not the snapshot's engine, ${snapshot.engine}`,
      );
    }
    if (takenByDatabase(context, restoreId, true)) {
      checkFaults(context, operation);
      throw fault('DBClusterAlreadyExistsFault', `DB Cluster ${restoreId} already exists`);
    }
    const outcome = context.world.snapshots.restoreCluster(
      snapshot.application,
      { id: snapshot.id, region: context.region },
      restoreId,
    );
    if (outcome === 'exists') {
      throw fault('DBClusterAlreadyExistsFault', `DB Cluster ${restoreId} already exists`);
    }
    keepTags(tags, context, 'cluster', restoreId, input);
    return { DBCluster: clusterShape(restoreOf(context, restoreId), context, tags) };
  });
}

/**
 * CreateDBInstance: the instance of a restored Aurora cluster, named as its cluster (the world's
 * restores have one of each). A standalone instance, or one in an application's own cluster, is
 * not the restore test's: passed on.
 */
function createInstance(tags: ResourceTags): OperationHandler {
  return guarded(INSTANCE, (input, context) => {
    const operation = 'CreateDBInstance';
    if (input.DBClusterIdentifier === undefined) return NOT_MINE;
    const clusterId = named(input.DBClusterIdentifier).id;
    if (databaseOf(context.world, clusterId, true) !== undefined) return NOT_MINE;
    const restore = context.world.snapshots.inspectRestore(context.region, clusterId);
    if (restore?.cluster === undefined) {
      checkFaults(context, operation);
      throw fault('DBClusterNotFoundFault', `DBCluster ${clusterId} not found.`, 404);
    }
    const instanceId = text(input.DBInstanceIdentifier);
    if (instanceId.toLowerCase() !== restore.id.toLowerCase()) {
      throw new Error(
        `the AWS twin models one instance per restored cluster, named as the cluster (${restore.id}); asked for ${instanceId}`,
      );
    }
    if (input.Engine !== undefined && text(input.Engine) !== restore.engine) {
      checkFaults(context, operation);
      throw fault(
        'InvalidParameterCombination',
        `engine ${text(input.Engine)} is not the cluster's engine, ${restore.engine}`,
      );
    }
    const outcome = context.world.snapshots.addRestoreInstance(
      restore.application,
      context.region,
      restore.id,
    );
    if (outcome === 'exists') {
      throw fault('DBInstanceAlreadyExistsFault', `DB instance ${instanceId} already exists`);
    }
    keepTags(tags, context, 'db', restore.id, input);
    return { DBInstance: instanceShape(restoreOf(context, restore.id), context, tags) };
  });
}

/** The restore a Describe or Delete call names in its region (by identifier or ARN), if any. */
function namedRestore(context: TwinCallContext, value: unknown, type: string): RestoreState | undefined {
  const id = localId(value, type, context);
  return id === undefined ? undefined : context.world.snapshots.inspectRestore(context.region, id);
}

function describeInstances(tags: ResourceTags): OperationHandler {
  return guarded(INSTANCE, (input, context) => {
    const given = input.DBInstanceIdentifier;
    // Listing every instance, and the applications' own instances, are the database twin's.
    if (given === undefined || databaseOf(context.world, named(given).id, false) !== undefined) {
      return NOT_MINE;
    }
    checkFaults(context, 'DescribeDBInstances');
    const restore = namedRestore(context, given, 'db');
    if (restore?.instance === undefined) {
      throw fault('DBInstanceNotFoundFault', `DBInstance ${text(given)} not found.`, 404);
    }
    return { DBInstances: [instanceShape(restore, context, tags)] };
  });
}

function describeClusters(tags: ResourceTags): OperationHandler {
  return guarded(CLUSTER, (input, context) => {
    const given = input.DBClusterIdentifier;
    if (given === undefined || databaseOf(context.world, named(given).id, true) !== undefined) {
      return NOT_MINE;
    }
    checkFaults(context, 'DescribeDBClusters');
    const restore = namedRestore(context, given, 'cluster');
    if (restore?.cluster === undefined) {
      throw fault('DBClusterNotFoundFault', `DBCluster ${text(given)} not found.`, 404);
    }
    return { DBClusters: [clusterShape(restore, context, tags)] };
  });
}

/**
 * A delete without a final snapshot says so with SkipFinalSnapshot, and then names none
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html). An
 * Aurora cluster's instance needs neither: its cluster's delete decides.
 */
function checkFinalSnapshot(
  input: TwinInput,
  context: TwinCallContext,
  operation: string,
  required: boolean,
): void {
  const skip = input.SkipFinalSnapshot === true;
  const final = input.FinalDBSnapshotIdentifier !== undefined;
  const problem =
    skip && final
      ? 'FinalDBSnapshotIdentifier cannot be specified when SkipFinalSnapshot is true'
      : required && !skip && !final
        ? 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.'
        : undefined;
  if (problem === undefined) return;
  checkFaults(context, operation);
  throw fault('InvalidParameterCombination', problem);
}

function deleteInstance(tags: ResourceTags): OperationHandler {
  return guarded(INSTANCE, (input, context) => {
    const operation = 'DeleteDBInstance';
    const given = input.DBInstanceIdentifier;
    if (databaseOf(context.world, named(given).id, false) !== undefined) return NOT_MINE;
    const restore = namedRestore(context, given, 'db');
    if (restore?.instance === undefined) {
      checkFaults(context, operation);
      throw fault('DBInstanceNotFoundFault', `DBInstance ${text(given)} not found.`, 404);
    }
    const aurora = isAurora(context.world.application(restore.application));
    checkFinalSnapshot(input, context, operation, !aurora);
    context.world.snapshots.deleteRestoreInstance(restore.application, context.region, restore.id);
    return { DBInstance: instanceShape(restoreOf(context, restore.id), context, tags) };
  });
}

function deleteCluster(tags: ResourceTags): OperationHandler {
  return guarded(CLUSTER, (input, context) => {
    const operation = 'DeleteDBCluster';
    const given = input.DBClusterIdentifier;
    if (databaseOf(context.world, named(given).id, true) !== undefined) return NOT_MINE;
    const restore = namedRestore(context, given, 'cluster');
    if (restore?.cluster === undefined) {
      checkFaults(context, operation);
      throw fault('DBClusterNotFoundFault', `DBCluster ${text(given)} not found.`, 404);
    }
    checkFinalSnapshot(input, context, operation, true);
    context.world.snapshots.deleteRestoreCluster(restore.application, context.region, restore.id);
    return { DBCluster: clusterShape(restoreOf(context, restore.id), context, tags) };
  });
}

/**
 * The tags of a snapshot the world holds, by its ARN: what IAM reads as `rds:snapshot-tag/<key>`
 * (`rds:cluster-snapshot-tag/<key>`) and `aws:ResourceTag/<key>` on a call about it, such as the
 * backup's tag-conditioned DeleteDBSnapshot. Snapshots seeded into the world are among them.
 */
export function snapshotTags(
  world: World,
  snapshotArn: string,
): Readonly<Record<string, string>> | undefined {
  const { id, arn: parts } = named(snapshotArn);
  if (parts === undefined || (parts.type !== 'snapshot' && parts.type !== 'cluster-snapshot'))
    return undefined;
  const found = world.snapshots.find(parts.region, id);
  return found?.cluster === (parts.type === 'cluster-snapshot') ? found.tags : undefined;
}

/** The RDS operations of the backup and the restore test, over the world's snapshots and restores. */
export function rdsSnapshotOperations(
  /** Where the tags of the databases a restore creates are kept, by ARN, for the IAM check. */
  tags: ResourceTags = new Map(),
): ServiceOperations {
  return {
    CreateDBSnapshot: createSnapshot(INSTANCE),
    CreateDBClusterSnapshot: createSnapshot(CLUSTER),
    CopyDBSnapshot: copySnapshot(INSTANCE),
    CopyDBClusterSnapshot: copySnapshot(CLUSTER),
    DescribeDBSnapshots: describeSnapshots(INSTANCE),
    DescribeDBClusterSnapshots: describeSnapshots(CLUSTER),
    DeleteDBSnapshot: deleteSnapshot(INSTANCE),
    DeleteDBClusterSnapshot: deleteSnapshot(CLUSTER),
    RestoreDBInstanceFromDBSnapshot: restoreInstance(tags),
    RestoreDBClusterFromSnapshot: restoreCluster(tags),
    CreateDBInstance: createInstance(tags),
    DescribeDBInstances: describeInstances(tags),
    DescribeDBClusters: describeClusters(tags),
    DeleteDBInstance: deleteInstance(tags),
    DeleteDBCluster: deleteCluster(tags),
  };
}
