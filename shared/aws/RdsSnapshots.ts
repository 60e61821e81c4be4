import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type DBClusterSnapshot,
  type DBSnapshot,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import { TAG_APPLICATION } from '../backup/schedule.ts';
import { databaseId } from '../config/databases.ts';
import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type {
  BackupsPort,
  RestoredDatabase,
  RestoreStatus,
  SnapshotInfo,
  SnapshotStatus,
} from '../ports/Backups.ts';

/**
 * The error names RDS gives a resource that is not there, or already there. The SDK's modelled
 * exceptions end in `Fault`; the wire codes do not, and either can reach us.
 */
const NOT_FOUND = new Set([
  'DBSnapshotNotFoundFault',
  'DBSnapshotNotFound',
  'DBClusterSnapshotNotFoundFault',
  'DBClusterSnapshotNotFound',
  'DBInstanceNotFoundFault',
  'DBInstanceNotFound',
  'DBClusterNotFoundFault',
  'DBClusterNotFound',
]);
const ALREADY_EXISTS = new Set([
  'DBSnapshotAlreadyExistsFault',
  'DBSnapshotAlreadyExists',
  'DBClusterSnapshotAlreadyExistsFault',
  'DBClusterSnapshotAlreadyExists',
  'DBInstanceAlreadyExistsFault',
  'DBInstanceAlreadyExists',
  'DBClusterAlreadyExistsFault',
  'DBClusterAlreadyExists',
]);
/** A delete refused because the resource is busy (still creating, or already being deleted). */
const BUSY = new Set([
  'InvalidDBInstanceStateFault',
  'InvalidDBInstanceState',
  'InvalidDBClusterStateFault',
  'InvalidDBClusterState',
]);

/** Instance statuses from which a restore will not become available without a person. */
const FAILED_INSTANCE_STATUSES = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'restore-error',
  'storage-full',
]);

/**
 * Snapshots and restore tests over RDS: DB instance snapshots for `rds-read-replica`, DB cluster
 * snapshots (and a cluster plus one instance for a restore) for `aurora-global`. Each call goes to
 * the client of the region it is about; a cross-region copy is requested in the destination region
 * with the source named by ARN, and the SDK's RDS middleware presigns the source region's request
 * (`PreSignedUrl`) from that ARN, which is what RDS needs for an encrypted copy.
 *
 * SDK errors propagate unchanged, except "already exists" (an idempotent create returns the
 * resource) and "not found" (a describe returns nothing, a delete says `gone`).
 */
export class RdsSnapshots implements BackupsPort {
  readonly #clientFor: (region: string) => RDSClient;

  constructor(clientFor: (region: string) => RDSClient) {
    this.#clientFor = clientFor;
  }

  async createSnapshot(
    app: ApplicationConfig,
    region: string,
    snapshotId: string,
    tags: Readonly<Record<string, string>>,
  ): Promise<SnapshotInfo> {
    const client = this.#clientFor(region);
    const databaseId = writerId(app, region);
    try {
      if (isAurora(app)) {
        const { DBClusterSnapshot } = await client.send(
          new CreateDBClusterSnapshotCommand({
            DBClusterSnapshotIdentifier: snapshotId,
            DBClusterIdentifier: databaseId,
            Tags: tagList(tags),
          }),
        );
        if (DBClusterSnapshot !== undefined) return fromCluster(DBClusterSnapshot, region);
      } else {
        const { DBSnapshot } = await client.send(
          new CreateDBSnapshotCommand({
            DBSnapshotIdentifier: snapshotId,
            DBInstanceIdentifier: databaseId,
            Tags: tagList(tags),
          }),
        );
        if (DBSnapshot !== undefined) return fromInstance(DBSnapshot, region);
      }
    } catch (error) {
      if (!hasName(error, ALREADY_EXISTS)) throw error;
    }
    return this.#mustDescribe(app, region, snapshotId);
  }

  async describeSnapshot(
    app: ApplicationConfig,
    region: string,
    snapshotId: string,
  ): Promise<SnapshotInfo | undefined> {
    const client = this.#clientFor(region);
    try {
      if (isAurora(app)) {
        const { DBClusterSnapshots } = await client.send(
          new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: snapshotId }),
        );
        const found = DBClusterSnapshots?.[0];
        return found === undefined ? undefined : fromCluster(found, region);
      }
      const { DBSnapshots } = await client.send(
        new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId }),
      );
      const found = DBSnapshots?.[0];
      return found === undefined ? undefined : fromInstance(found, region);
    } catch (error) {
      if (hasName(error, NOT_FOUND)) return undefined;
      throw error;
    }
  }

  async copySnapshot(
    app: ApplicationConfig,
    source: SnapshotInfo,
    toRegion: string,
    targetId: string,
    options: { readonly kmsKeyId: string; readonly tags: Readonly<Record<string, string>> },
  ): Promise<SnapshotInfo> {
    if (source.region === toRegion) {
      throw new RangeError(`Snapshot ${source.id} is already in ${toRegion}; a copy goes to another region`);
    }
    const client = this.#clientFor(toRegion);
    try {
      if (isAurora(app)) {
        // RDS refuses a KmsKeyId for an unencrypted cluster snapshot; an encrypted one needs a key of
        // the destination region.
        const { DBClusterSnapshot } = await client.send(
          new CopyDBClusterSnapshotCommand({
            SourceDBClusterSnapshotIdentifier: source.arn,
            TargetDBClusterSnapshotIdentifier: targetId,
            ...(source.encrypted ? { KmsKeyId: options.kmsKeyId } : {}),
            CopyTags: false,
            Tags: tagList(options.tags),
          }),
        );
        if (DBClusterSnapshot !== undefined) return fromCluster(DBClusterSnapshot, toRegion);
      } else {
        // An unencrypted DB snapshot copied with a KmsKeyId is encrypted with it: the copy always is.
        const { DBSnapshot } = await client.send(
          new CopyDBSnapshotCommand({
            SourceDBSnapshotIdentifier: source.arn,
            TargetDBSnapshotIdentifier: targetId,
            KmsKeyId: options.kmsKeyId,
            CopyTags: false,
            Tags: tagList(options.tags),
          }),
        );
        if (DBSnapshot !== undefined) return fromInstance(DBSnapshot, toRegion);
      }
    } catch (error) {
      if (!hasName(error, ALREADY_EXISTS)) throw error;
    }
    return this.#mustDescribe(app, toRegion, targetId);
  }

  async listSnapshots(app: ApplicationConfig, region: string): Promise<SnapshotInfo[]> {
    const client = this.#clientFor(region);
    const out: SnapshotInfo[] = [];
    let marker: string | undefined;
    // DescribeDB*Snapshots has no tag filter: page through the region's manual snapshots.
    do {
      if (isAurora(app)) {
        const page = await client.send(
          new DescribeDBClusterSnapshotsCommand({
            SnapshotType: 'manual',
            MaxRecords: 100,
            ...(marker === undefined ? {} : { Marker: marker }),
          }),
        );
        out.push(...(page.DBClusterSnapshots ?? []).map((s) => fromCluster(s, region)));
        marker = page.Marker;
      } else {
        const page = await client.send(
          new DescribeDBSnapshotsCommand({
            SnapshotType: 'manual',
            MaxRecords: 100,
            ...(marker === undefined ? {} : { Marker: marker }),
          }),
        );
        out.push(...(page.DBSnapshots ?? []).map((s) => fromInstance(s, region)));
        marker = page.Marker;
      }
    } while (marker !== undefined && marker !== '');
    return out.filter((s) => s.tags[TAG_APPLICATION] === app.name);
  }

  async deleteSnapshot(
    app: ApplicationConfig,
    region: string,
    snapshotId: string,
  ): Promise<'deleting' | 'gone'> {
    const client = this.#clientFor(region);
    try {
      if (isAurora(app)) {
        await client.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: snapshotId }));
      } else {
        await client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: snapshotId }));
      }
      return 'deleting';
    } catch (error) {
      if (hasName(error, NOT_FOUND)) return 'gone';
      throw error;
    }
  }

  async restore(
    app: ApplicationConfig,
    snapshot: SnapshotInfo,
    restoreId: string,
    options: {
      readonly subnetGroupName: string;
      readonly instanceClass: string;
      readonly tags: Readonly<Record<string, string>>;
    },
  ): Promise<'started' | 'exists'> {
    const client = this.#clientFor(snapshot.region);
    const tags = tagList(options.tags);
    if (!isAurora(app)) {
      try {
        // Private, single-AZ, no deletion protection: a throwaway that the test deletes.
        await client.send(
          new RestoreDBInstanceFromDBSnapshotCommand({
            DBInstanceIdentifier: restoreId,
            DBSnapshotIdentifier: snapshot.id,
            DBInstanceClass: options.instanceClass,
            DBSubnetGroupName: options.subnetGroupName,
            MultiAZ: false,
            PubliclyAccessible: false,
            AutoMinorVersionUpgrade: false,
            DeletionProtection: false,
            Tags: tags,
          }),
        );
        return 'started';
      } catch (error) {
        if (hasName(error, ALREADY_EXISTS)) return 'exists';
        throw error;
      }
    }
    if (snapshot.engine === undefined) {
      throw new RangeError(
        `Cluster snapshot ${snapshot.id} names no engine; RestoreDBClusterFromSnapshot needs one`,
      );
    }
    try {
      await client.send(
        new RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: restoreId,
          SnapshotIdentifier: snapshot.id,
          Engine: snapshot.engine,
          DBSubnetGroupName: options.subnetGroupName,
          DeletionProtection: false,
          Tags: tags,
        }),
      );
      return 'started';
    } catch (error) {
      if (hasName(error, ALREADY_EXISTS)) return 'exists';
      throw error;
    }
  }

  /**
   * A restored Aurora cluster has no instance until one is created in it, and RDS refuses the
   * instance while the cluster is still being restored (InvalidDBClusterStateFault; see the
   * RestoreDBClusterFromSnapshot API reference:
   * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html).
   */
  async finishRestore(
    app: ApplicationConfig,
    region: string,
    restoreId: string,
    options: { readonly instanceClass: string; readonly tags: Readonly<Record<string, string>> },
  ): Promise<'waiting' | 'created' | 'done'> {
    if (!isAurora(app)) return 'done';
    const client = this.#clientFor(region);
    const { DBClusters } = await client.send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: restoreId }),
    );
    const cluster = DBClusters?.[0];
    if ((cluster?.DBClusterMembers ?? []).length > 0) return 'done';
    if (cluster?.Status !== 'available') return 'waiting';
    try {
      await client.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: restoreId,
          DBClusterIdentifier: restoreId,
          Engine: cluster.Engine,
          DBInstanceClass: options.instanceClass,
          PubliclyAccessible: false,
          Tags: tagList(options.tags),
        }),
      );
      return 'created';
    } catch (error) {
      if (hasName(error, ALREADY_EXISTS)) return 'done';
      throw error;
    }
  }

  async describeRestore(
    app: ApplicationConfig,
    region: string,
    restoreId: string,
  ): Promise<RestoredDatabase> {
    const client = this.#clientFor(region);
    let instance: { status: string; engine?: string; endpoint?: string } | undefined;
    try {
      const { DBInstances } = await client.send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: restoreId }),
      );
      const found = DBInstances?.[0];
      if (found !== undefined) {
        instance = {
          status: found.DBInstanceStatus ?? 'creating',
          ...(found.Engine === undefined ? {} : { engine: found.Engine }),
          ...(found.Endpoint?.Address === undefined ? {} : { endpoint: found.Endpoint.Address }),
        };
      }
    } catch (error) {
      if (!hasName(error, NOT_FOUND)) throw error;
    }
    let cluster: { status: string; engine?: string } | undefined;
    if (isAurora(app)) {
      try {
        const { DBClusters } = await client.send(
          new DescribeDBClustersCommand({ DBClusterIdentifier: restoreId }),
        );
        const found = DBClusters?.[0];
        if (found !== undefined) {
          cluster = {
            status: found.Status ?? 'creating',
            ...(found.Engine === undefined ? {} : { engine: found.Engine }),
          };
        }
      } catch (error) {
        if (!hasName(error, NOT_FOUND)) throw error;
      }
    }
    const resources = [
      ...(instance === undefined ? [] : [`db:${restoreId}`]),
      ...(cluster === undefined ? [] : [`cluster:${restoreId}`]),
    ];
    const status: RestoreStatus =
      instance !== undefined
        ? restoreStatus(instance.status)
        : cluster !== undefined
          ? cluster.status === 'deleting'
            ? 'deleting'
            : 'creating'
          : 'gone';
    return {
      id: restoreId,
      region,
      status,
      engine: instance?.engine ?? cluster?.engine,
      endpoint: instance?.endpoint,
      resources,
    };
  }

  async deleteRestore(app: ApplicationConfig, region: string, restoreId: string): Promise<readonly string[]> {
    const client = this.#clientFor(region);
    const before = await this.describeRestore(app, region, restoreId);
    try {
      if (before.resources.includes(`db:${restoreId}`)) {
        await client.send(
          new DeleteDBInstanceCommand({
            DBInstanceIdentifier: restoreId,
            SkipFinalSnapshot: true,
            DeleteAutomatedBackups: true,
          }),
        );
      } else if (before.resources.includes(`cluster:${restoreId}`)) {
        // A cluster can be deleted only once its last instance is gone.
        await client.send(
          new DeleteDBClusterCommand({ DBClusterIdentifier: restoreId, SkipFinalSnapshot: true }),
        );
      }
    } catch (error) {
      // Already deleting, or still creating: the caller asks again after a while.
      if (!hasName(error, BUSY) && !hasName(error, NOT_FOUND)) throw error;
    }
    return before.resources;
  }

  async #mustDescribe(app: ApplicationConfig, region: string, snapshotId: string): Promise<SnapshotInfo> {
    const found = await this.describeSnapshot(app, region, snapshotId);
    if (found === undefined)
      throw new Error(`Snapshot ${snapshotId} in ${region} exists but cannot be described`);
    return found;
  }
}

function isAurora(app: ApplicationConfig): boolean {
  return app.database.engine === 'aurora-global';
}

function writerId(app: ApplicationConfig, region: string): string {
  if (app.database.engine === 'cloudnativepg')
    throw new Error(`${app.name}'s database is CloudNativePG's: Lifeboat takes no RDS snapshots of it`);
  const id = databaseId(app, region);
  if (id === undefined) throw new Error(`Application ${app.name} has no database in ${region}`);
  return id;
}

function tagList(tags: Readonly<Record<string, string>>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function tagMap(tags: readonly Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) out[tag.Key] = tag.Value ?? '';
  return out;
}

function snapshotStatus(status: string | undefined): SnapshotStatus {
  switch (status) {
    case 'available':
      return 'available';
    case 'deleting':
      return 'deleting';
    case 'failed':
    case 'incompatible-restore':
      return 'failed';
    default:
      // creating, copying, pending: on its way.
      return 'creating';
  }
}

function restoreStatus(status: string): RestoreStatus {
  if (status === 'available') return 'available';
  if (status === 'deleting') return 'deleting';
  if (FAILED_INSTANCE_STATUSES.has(status)) return 'failed';
  return 'creating';
}

function fromInstance(s: DBSnapshot, region: string): SnapshotInfo {
  return {
    id: s.DBSnapshotIdentifier ?? '',
    arn: s.DBSnapshotArn ?? '',
    region,
    status: snapshotStatus(s.Status),
    // A copy keeps the original's creation time in OriginalSnapshotCreateTime.
    createdAt: (s.OriginalSnapshotCreateTime ?? s.SnapshotCreateTime)?.toISOString(),
    sourceId: s.DBInstanceIdentifier,
    engine: s.Engine,
    sizeGiB: s.AllocatedStorage,
    encrypted: s.Encrypted === true,
    tags: tagMap(s.TagList),
  };
}

function fromCluster(s: DBClusterSnapshot, region: string): SnapshotInfo {
  return {
    id: s.DBClusterSnapshotIdentifier ?? '',
    arn: s.DBClusterSnapshotArn ?? '',
    region,
    status: snapshotStatus(s.Status),
    createdAt: s.SnapshotCreateTime?.toISOString(),
    sourceId: s.DBClusterIdentifier,
    engine: s.Engine,
    sizeGiB: s.AllocatedStorage,
    encrypted: s.StorageEncrypted === true,
    tags: tagMap(s.TagList),
  };
}

function hasName(error: unknown, names: ReadonlySet<string>): boolean {
  return error instanceof Error && names.has(error.name);
}
