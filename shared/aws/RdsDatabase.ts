import {
  CreateDBInstanceReadReplicaCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RebootDBInstanceCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  PromoteReadReplicaCommand,
  SwitchoverGlobalClusterCommand,
  type DBInstance,
  type GlobalCluster,
  type GlobalClusterMember,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { DatabaseBusyError } from '../errors.ts';
import type { ApplicationConfig, DatabaseConfig } from '../config/LifeboatConfig.ts';
import {
  quarantineState,
  type DatabasePort,
  type DatabaseStatus,
  type QuarantineState,
} from '../ports/Estate.ts';

type ReadReplicaConfig = Extract<DatabaseConfig, { engine: 'rds-read-replica' }>;
type GlobalClusterConfig = Extract<DatabaseConfig, { engine: 'aurora-global' }>;

/**
 * What PromoteReadReplica fails with when the instance is not promotable right now. The SDK names
 * the modelled error `InvalidDBInstanceStateFault`; the wire code is `InvalidDBInstanceState`.
 */
const INSTANCE_STATE_ERRORS: ReadonlySet<string> = new Set([
  'InvalidDBInstanceStateFault',
  'InvalidDBInstanceState',
]);

const NOT_FOUND_ERRORS: ReadonlySet<string> = new Set(['DBInstanceNotFoundFault', 'DBInstanceNotFound']);
const ALREADY_EXISTS_ERRORS: ReadonlySet<string> = new Set([
  'DBInstanceAlreadyExistsFault',
  'DBInstanceAlreadyExists',
]);

/** What SwitchoverGlobalCluster and FailoverGlobalCluster fail with while another operation runs. */
const GLOBAL_CLUSTER_STATE_ERRORS: ReadonlySet<string> = new Set(['InvalidGlobalClusterStateFault']);

/**
 * FailoverState statuses of a switchover or failover that is still going ahead. The API reference
 * documents `switching-over` although the SDK's enum omits it; `cancelling` is going backwards.
 */
const OPERATION_UNDER_WAY: ReadonlySet<string> = new Set(['pending', 'failing-over', 'switching-over']);

interface GlobalView {
  readonly global: GlobalCluster;
  readonly target: GlobalClusterMember & { readonly DBClusterArn: string };
}

/**
 * The application's database in RDS: cross-region read replicas of a DB instance, or an Aurora
 * global database. Each call uses the client of the region it is about, so that nothing depends on
 * the primary's region, which may be the one that is down.
 *
 * SDK errors propagate unchanged; the only ones caught are the state faults of a promotion that a
 * concurrent run has already started, which the port's contract makes success.
 */
export class RdsDatabase implements DatabasePort {
  readonly #clientFor: (region: string) => RDSClient;

  constructor(clientFor: (region: string) => RDSClient) {
    this.#clientFor = clientFor;
  }

  async describe(app: ApplicationConfig, region: string): Promise<DatabaseStatus> {
    const database = rdsConfig(app);
    if (database.engine === 'rds-read-replica') {
      const instance = await this.#describeInstance(region, instanceId(app, database, region));
      return instanceStatus(instance, region);
    }
    const { global, target } = await this.#describeGlobal(app, database, region);
    // A member Aurora is rebuilding after a global failover (`pending-resync`) reads nothing until
    // done: "When the secondary Region clusters finish rebuilding from the new primary Region, they
    // become available for read access" (aurora-global-database-disaster-recovery.html).
    const available =
      global.Status === 'available' &&
      !operationUnderWay(global) &&
      target.SynchronizationStatus !== 'pending-resync';
    if (target.IsWriter === true) return { role: 'writer', available, sourceRegion: undefined };
    const writerArn = global.GlobalClusterMembers?.find((m) => m.IsWriter === true)?.DBClusterArn;
    return {
      role: 'replica',
      available,
      sourceRegion: writerArn === undefined ? undefined : arnRegion(writerArn),
    };
  }

  /**
   * RDS: PromoteReadReplica has no planned form. A planned switchover means the caller has already
   * drained writes and let the replica catch up, so the request is the same either way.
   * Aurora: `planned` chooses a switchover (no data loss, needs a healthy primary) over a failover.
   * Neither API takes a caller identity, so `by` is recorded by the runs ledger, not here.
   */
  async promote(
    app: ApplicationConfig,
    region: string,
    options: { readonly planned: boolean; readonly by: string },
  ): Promise<'started' | 'already-promoted'> {
    const database = rdsConfig(app);
    if (database.engine === 'rds-read-replica') {
      return this.#promoteReplica(app, database, region);
    }
    return this.#promoteGlobalMember(app, database, region, options.planned);
  }

  async retire(app: ApplicationConfig, region: string, newIdentifier: string): Promise<'renamed' | 'absent'> {
    const database = readReplicaConfig(app);
    const id = instanceId(app, database, region);
    try {
      await this.#clientFor(region).send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: id,
          NewDBInstanceIdentifier: newIdentifier,
          ApplyImmediately: true,
        }),
      );
      return 'renamed';
    } catch (error) {
      if (hasName(error, NOT_FOUND_ERRORS)) return 'absent';
      throw error;
    }
  }

  /**
   * The security-group change "is applied asynchronously, as soon as possible. This setting ignores
   * the apply immediately setting. Downtime doesn't occur during this change"
   * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.Settings.html), and a
   * changed rule does not end tracked connections ("the security group continues to allow packets
   * until existing connections time out",
   * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html):
   * hence the reboot once the group is active. A read replica is never quarantined.
   */
  async quarantine(
    app: ApplicationConfig,
    region: string,
    securityGroupId: string,
  ): Promise<QuarantineState> {
    const database = readReplicaConfig(app);
    const id = instanceId(app, database, region);
    let instance: DBInstance;
    try {
      instance = await this.#describeInstance(region, id);
    } catch (error) {
      if (hasName(error, NOT_FOUND_ERRORS))
        return { phase: 'absent', securityGroupIds: [], status: 'absent' };
      throw error;
    }
    const state = quarantineState(
      {
        role: instanceStatus(instance, region).role,
        status: instance.DBInstanceStatus ?? 'unknown',
        groups: (instance.VpcSecurityGroups ?? []).flatMap((g) =>
          g.VpcSecurityGroupId === undefined ? [] : [{ id: g.VpcSecurityGroupId, status: g.Status ?? '' }],
        ),
      },
      securityGroupId,
    );
    if (state.phase === 'moved') {
      await this.#clientFor(region).send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: id,
          VpcSecurityGroupIds: [securityGroupId],
          ApplyImmediately: true,
        }),
      );
    }
    return state;
  }

  /**
   * "Rebooting a DB instance restarts the database engine service. Rebooting a DB instance results in
   * a momentary outage" (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RebootInstance.html).
   */
  async reboot(app: ApplicationConfig, region: string): Promise<void> {
    const database = readReplicaConfig(app);
    await this.#clientFor(region).send(
      new RebootDBInstanceCommand({ DBInstanceIdentifier: instanceId(app, database, region) }),
    );
  }
  /** An RDS replica's source is fixed at creation, and Aurora re-points its secondaries itself. */
  follow(app: ApplicationConfig): Promise<'started' | 'already'> {
    return Promise.reject(
      new Error(
        `${app.name}'s ${app.database.engine} database cannot be given another source: only a CloudNativePG replica cluster can`,
      ),
    );
  }

  /** RDS has no fence: a returning old writer is quarantined by its security group instead. */
  fence(app: ApplicationConfig): Promise<'fenced' | 'already'> {
    return Promise.reject(
      new Error(
        `${app.name}'s ${app.database.engine} database has no fence: quarantine moves it into a security group`,
      ),
    );
  }

  async createReplica(
    app: ApplicationConfig,
    region: string,
    sourceRegion: string,
  ): Promise<'started' | 'busy'> {
    const database = readReplicaConfig(app);
    const id = instanceId(app, database, region);
    const source = await this.#describeInstance(sourceRegion, instanceId(app, database, sourceRegion));
    if (source.DBInstanceArn === undefined) {
      throw new Error(`DescribeDBInstances in ${sourceRegion} gave no ARN for the source instance`);
    }
    const options = database.replicas?.[region];
    const problem = replicaProblemOf(app, source, region, sourceRegion);
    if (problem !== undefined) throw new Error(problem);
    try {
      // Across regions the source is named by ARN. (A presigned URL is needed only between GovCloud
      // or China regions, where `PreSignedUrl` applies; elsewhere RDS ignores it.)
      await this.#clientFor(region).send(
        new CreateDBInstanceReadReplicaCommand({
          DBInstanceIdentifier: id,
          SourceDBInstanceIdentifier: source.DBInstanceArn,
          ...(options?.dbSubnetGroupName === undefined
            ? {}
            : { DBSubnetGroupName: options.dbSubnetGroupName }),
          ...(options?.vpcSecurityGroupIds === undefined
            ? {}
            : { VpcSecurityGroupIds: options.vpcSecurityGroupIds }),
          ...(options?.kmsKeyId === undefined ? {} : { KmsKeyId: options.kmsKeyId }),
          Tags: [
            { Key: 'lifeboat:application', Value: app.name },
            { Key: 'lifeboat:role', Value: 'replica' },
          ],
        }),
      );
      return 'started';
    } catch (error) {
      if (hasName(error, ALREADY_EXISTS_ERRORS)) return 'busy';
      throw error;
    }
  }

  async replicaProblem(
    app: ApplicationConfig,
    region: string,
    sourceRegion: string,
  ): Promise<string | undefined> {
    const database = readReplicaConfig(app);
    const source = await this.#describeInstance(sourceRegion, instanceId(app, database, sourceRegion));
    return replicaProblemOf(app, source, region, sourceRegion);
  }

  async #promoteReplica(
    app: ApplicationConfig,
    database: ReadReplicaConfig,
    region: string,
  ): Promise<'started' | 'already-promoted'> {
    const id = instanceId(app, database, region);
    // With no source it is no longer a replica, whether its promotion has finished or is still
    // `modifying`: a writer, or promoted by this run or another.
    if (instanceStatus(await this.#describeInstance(region, id), region).role !== 'replica') {
      return 'already-promoted';
    }
    try {
      // Only the identifier: a failover imposes no backup policy of its own. The API reference
      // gives an omitted BackupRetentionPeriod a default of 1 day; owners set theirs afterwards.
      await this.#clientFor(region).send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: id }));
      return 'started';
    } catch (error) {
      if (hasName(error, INSTANCE_STATE_ERRORS)) {
        const instance = await this.#describeInstance(region, id);
        // A concurrent run may have promoted it between our describe and our request.
        if (instanceStatus(instance, region).role !== 'replica') return 'already-promoted';
        // "a read replica cannot be promoted to a standalone instance when it is in the backing-up
        // status" (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html):
        // a replica in its backup window, or in any other passing state, is asked again later.
        const status = instance.DBInstanceStatus ?? 'unknown';
        if (status !== 'available') {
          throw new DatabaseBusyError(
            `${id} in ${region} is ${status}; RDS promotes a read replica only once it is available (a replica that is backing up refuses promotion until its backup ends)`,
            { cause: error },
          );
        }
      }
      throw error;
    }
  }

  async #promoteGlobalMember(
    app: ApplicationConfig,
    database: GlobalClusterConfig,
    region: string,
    planned: boolean,
  ): Promise<'started' | 'already-promoted'> {
    const view = await this.#describeGlobal(app, database, region);
    if (promotedOrPromoting(view)) return 'already-promoted';
    const client = this.#clientFor(region);
    const { target } = view;
    try {
      if (planned) {
        await client.send(
          new SwitchoverGlobalClusterCommand({
            GlobalClusterIdentifier: database.globalClusterIdentifier,
            TargetDbClusterIdentifier: target.DBClusterArn,
          }),
        );
      } else {
        // A failover is the only way off a primary whose region is down, and it needs data loss
        // allowed: whatever the primary had not yet replicated is gone.
        await client.send(
          new FailoverGlobalClusterCommand({
            GlobalClusterIdentifier: database.globalClusterIdentifier,
            TargetDbClusterIdentifier: target.DBClusterArn,
            AllowDataLoss: true,
          }),
        );
      }
      return 'started';
    } catch (error) {
      // Another run's switchover or failover to this cluster got in first.
      if (
        hasName(error, GLOBAL_CLUSTER_STATE_ERRORS) &&
        promotedOrPromoting(await this.#describeGlobal(app, database, region))
      ) {
        return 'already-promoted';
      }
      throw error;
    }
  }

  async #describeInstance(region: string, id: string): Promise<DBInstance> {
    const { DBInstances } = await this.#clientFor(region).send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
    );
    const instance = DBInstances?.[0];
    if (instance === undefined) throw new Error(`DescribeDBInstances in ${region} returned no ${id}`);
    return instance;
  }

  async #describeGlobal(
    app: ApplicationConfig,
    database: GlobalClusterConfig,
    region: string,
  ): Promise<GlobalView> {
    const clusterId = database.clusters[region];
    if (clusterId === undefined) {
      throw new Error(`Application ${app.name} has no Aurora cluster in ${region}`);
    }
    const globalId = database.globalClusterIdentifier;
    // Every region answers for a global cluster; asking the region in question avoids the primary's.
    const { GlobalClusters } = await this.#clientFor(region).send(
      new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: globalId }),
    );
    const global = GlobalClusters?.[0];
    if (global === undefined) throw new Error(`DescribeGlobalClusters returned no ${globalId}`);
    // Cluster identifiers are unique per region only, and RDS stores them in lower case.
    const suffix = `:cluster:${clusterId.toLowerCase()}`;
    const target = global.GlobalClusterMembers?.find(
      (m): m is GlobalClusterMember & { DBClusterArn: string } =>
        m.DBClusterArn !== undefined &&
        arnRegion(m.DBClusterArn) === region &&
        m.DBClusterArn.toLowerCase().endsWith(suffix),
    );
    if (target === undefined) {
      throw new Error(
        `Aurora cluster ${clusterId} in ${region} is not a member of global cluster ${globalId}`,
      );
    }
    return { global, target };
  }
}

/** The database config of an RDS or Aurora application; a CloudNativePG one has its own adapter. */
function rdsConfig(
  app: ApplicationConfig,
): Exclude<ApplicationConfig['database'], { engine: 'cloudnativepg' }> {
  if (app.database.engine === 'cloudnativepg') {
    throw new Error(
      `${app.name}'s database is run by CloudNativePG, not RDS: CloudNativePgDatabase serves it`,
    );
  }
  return app.database;
}

/** Renames and replica creation are RDS operations: an Aurora global cluster rejoins its old primary itself. */
function readReplicaConfig(app: ApplicationConfig): ReadReplicaConfig {
  if (app.database.engine !== 'rds-read-replica') {
    throw new Error(
      `${app.name} uses an Aurora global database, which re-adds its old primary as a secondary itself`,
    );
  }
  return app.database;
}

/**
 * "If you create an encrypted read replica in a different AWS Region, then you must specify a KMS key
 * identifier for the destination AWS Region" (KmsKeyId in
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html):
 * said before the call, with the field to set, rather than as RDS's refusal mid-run.
 */
function replicaProblemOf(
  app: ApplicationConfig,
  source: DBInstance,
  region: string,
  sourceRegion: string,
): string | undefined {
  if (app.database.engine !== 'rds-read-replica') return undefined;
  const kmsKeyId = app.database.replicas?.[region]?.kmsKeyId;
  if (source.StorageEncrypted === true && region !== sourceRegion && kmsKeyId === undefined) {
    return `${app.name}'s database in ${sourceRegion} is encrypted, so its replica in ${region} needs a KMS key of ${region}: set database.replicas.${region}.kmsKeyId of ${app.name} in the config`;
  }
  return undefined;
}

function instanceId(app: ApplicationConfig, database: ReadReplicaConfig, region: string): string {
  const id = database.instances[region];
  if (id === undefined) throw new Error(`Application ${app.name} has no DB instance in ${region}`);
  return id;
}

/**
 * The statuses in which an instance serves its clients: `available`, and `backing-up`, which RDS
 * shows while it backs an instance up (as it does right after a promotion, "Once the instance is
 * promoted to a primary instance, backups are taken based on your backup settings"; status list:
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html).
 */
const SERVING_STATUSES: ReadonlySet<string> = new Set(['available', 'backing-up']);

/** Whether an instance in this status serves its clients. */
export function servesClients(status: string | undefined): boolean {
  return SERVING_STATUSES.has(status ?? '');
}

function instanceStatus(instance: DBInstance, region: string): DatabaseStatus {
  const available = servesClients(instance.DBInstanceStatus);
  const source = instance.ReadReplicaSourceDBInstanceIdentifier;
  if (source !== undefined && source !== '') {
    // A cross-region replica names its source by ARN; a same-region one by plain identifier.
    return {
      role: 'replica',
      available,
      sourceRegion: source.startsWith('arn:') ? arnRegion(source) : region,
    };
  }
  const replicas = instance.ReadReplicaDBInstanceIdentifiers ?? [];
  return { role: replicas.length > 0 ? 'writer' : 'standalone', available, sourceRegion: undefined };
}

/** `arn:partition:rds:region:account:type:name` → region. */
function arnRegion(arn: string): string | undefined {
  const region = arn.split(':')[3];
  return region === undefined || region === '' ? undefined : region;
}

function operationUnderWay(global: GlobalCluster): boolean {
  const status = global.FailoverState?.Status;
  return status !== undefined && OPERATION_UNDER_WAY.has(status);
}

function promotedOrPromoting({ global, target }: GlobalView): boolean {
  return (
    target.IsWriter === true ||
    (operationUnderWay(global) && global.FailoverState?.ToDbClusterArn === target.DBClusterArn)
  );
}

function hasName(error: unknown, names: ReadonlySet<string>): boolean {
  return error instanceof Error && names.has(error.name);
}
