import { TAG_APPLICATION } from '../../shared/backup/schedule.ts';
import { databaseId } from '../../shared/config/databases.ts';
import type { ApplicationConfig, LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import type { BackupsPort, RestoredDatabase, SnapshotInfo } from '../../shared/ports/Backups.ts';
import type { VirtualClock } from '../clock/VirtualClock.ts';
import { SimulatedServiceError, type FaultRegistry } from './faults.ts';
import type { LatencyModel } from './LatencyModel.ts';

const LOCAL_ACCOUNT = '000000000000';

/** A manual DB (or DB cluster) snapshot in one region of the simulated world. */
export interface SimulatedSnapshot {
  readonly id: string;
  readonly region: string;
  readonly application: string;
  readonly cluster: boolean;
  readonly sourceId: string;
  status: 'creating' | 'available' | 'deleting';
  /** Virtual seconds when its data was taken (a copy keeps its original's). */
  readonly takenAt: number;
  readonly engine: string;
  readonly sizeGiB: number;
  readonly encrypted: boolean;
  readonly tags: Readonly<Record<string, string>>;
  /** A copy's source and the virtual second its copy began (RDS reports both on the copy). */
  readonly copiedFrom?: { readonly id: string; readonly region: string; readonly at: number };
  /** The KMS key a copy was encrypted with, as its request named it. */
  readonly kmsKeyId?: string;
}

/** A restored database as the RDS API reports it, read without an API call of its own. */
export interface RestoreState {
  readonly id: string;
  readonly region: string;
  readonly application: string;
  readonly engine: string;
  readonly instance: 'creating' | 'available' | 'deleting' | undefined;
  readonly cluster: 'creating' | 'available' | 'deleting' | undefined;
  /** The instance's endpoint address, once it is available. */
  readonly endpoint: string | undefined;
}

/** A temporary database restored from a snapshot: an instance, and for Aurora its cluster. */
interface SimulatedRestore {
  readonly id: string;
  readonly region: string;
  readonly application: string;
  readonly engine: string;
  instance: 'creating' | 'available' | 'deleting' | undefined;
  /** Aurora only: the restored cluster. */
  cluster: 'creating' | 'available' | 'deleting' | undefined;
}

export interface SnapshotsOptions {
  readonly config: LifeboatConfig;
  readonly clock: VirtualClock;
  readonly latency: LatencyModel;
  readonly faults: FaultRegistry;
  /** Adds a line to the world's timeline. */
  readonly note: (application: string, region: string, text: string) => void;
}

/**
 * RDS snapshots, cross-region copies and restores in the simulated world. Snapshots become available
 * after the latency model's snapshot time, copies after its copy time, restores after its restore
 * time; every call checks the fault registry under the RDS operation's name (instance or cluster
 * form by the application's engine), so a scenario's `api-error` and `api-throttle` reach them.
 *
 * Each application starts with one snapshot its team took by hand (untagged, a month old), which
 * Lifeboat's retention must never delete.
 */
export class SimulatedSnapshots {
  readonly #options: SnapshotsOptions;
  readonly #snapshots = new Map<string, SimulatedSnapshot>();
  readonly #restores = new Map<string, SimulatedRestore>();

  constructor(options: SnapshotsOptions) {
    this.#options = options;
    for (const app of options.config.applications) {
      const primary = app.regions[0];
      const source = primary === undefined ? undefined : databaseId(app, primary);
      if (primary === undefined || source === undefined) continue;
      this.seed({
        id: `${source}-before-upgrade`,
        region: primary,
        application: app.name,
        takenAt: -30 * 86_400,
        tags: { team: 'platform' },
      });
    }
  }

  /** Puts an available snapshot in place, as if it had been made before the scenario began. */
  seed(snapshot: {
    id: string;
    region: string;
    application: string;
    takenAt: number;
    tags: Readonly<Record<string, string>>;
  }): void {
    const app = this.#app(snapshot.application);
    this.#snapshots.set(key(snapshot.region, snapshot.id), {
      ...snapshot,
      cluster: isAurora(app),
      sourceId: databaseId(app, app.regions[0] ?? '') ?? app.name,
      status: 'available',
      engine: engineOf(app),
      sizeGiB: 100,
      encrypted: true,
    });
  }

  /** Every snapshot in the world (for tests and the report). */
  all(): readonly SimulatedSnapshot[] {
    return [...this.#snapshots.values()];
  }

  /** A snapshot by region and identifier (either kind), without an API call of its own. */
  find(region: string, snapshotId: string): SimulatedSnapshot | undefined {
    return this.#snapshots.get(key(region, snapshotId));
  }

  /** A temporary database restored in `region`, without an API call of its own. */
  inspectRestore(region: string, restoreId: string): RestoreState | undefined {
    const r = this.#restores.get(key(region, restoreId));
    return r === undefined
      ? undefined
      : {
          id: r.id,
          region: r.region,
          application: r.application,
          engine: r.engine,
          instance: r.instance,
          cluster: r.cluster,
          endpoint: r.instance === 'available' ? endpointOf(r.id, r.region) : undefined,
        };
  }

  /** The temporary databases that still exist, as `region/db:<id>` and `region/cluster:<id>`. */
  restoresLeft(): string[] {
    return [...this.#restores.values()].flatMap((r) => resourcesOf(r).map((res) => `${r.region}/${res}`));
  }

  create(
    application: string,
    region: string,
    snapshotId: string,
    tags: Readonly<Record<string, string>>,
  ): SnapshotInfo {
    const app = this.#app(application);
    this.#check(app, isAurora(app) ? 'CreateDBClusterSnapshot' : 'CreateDBSnapshot', region);
    const existing = this.#snapshots.get(key(region, snapshotId));
    if (existing !== undefined) {
      throw new SimulatedServiceError(
        isAurora(app) ? 'DBClusterSnapshotAlreadyExistsFault' : 'DBSnapshotAlreadyExists',
        `snapshot ${snapshotId} already exists in ${region}`,
        400,
      );
    }
    const sourceId = databaseId(app, region);
    if (sourceId === undefined) {
      throw new SimulatedServiceError(
        'DBInstanceNotFound',
        `${application} has no database in ${region}`,
        404,
      );
    }
    const snapshot: SimulatedSnapshot = {
      id: snapshotId,
      region,
      application,
      cluster: isAurora(app),
      sourceId,
      status: 'creating',
      takenAt: this.#options.clock.seconds,
      engine: engineOf(app),
      sizeGiB: 100,
      encrypted: true,
      tags: { ...tags },
    };
    this.#snapshots.set(key(region, snapshotId), snapshot);
    this.#options.note(application, region, `snapshot ${snapshotId} of ${sourceId} started`);
    this.#later(this.#options.latency.rdsSnapshotSeconds, () => {
      if (snapshot.status !== 'creating') return;
      snapshot.status = 'available';
      this.#options.note(application, region, `snapshot ${snapshotId} available`);
    });
    return this.#info(snapshot);
  }

  describe(application: string, region: string, snapshotId: string): SnapshotInfo | undefined {
    const app = this.#app(application);
    this.#check(app, isAurora(app) ? 'DescribeDBClusterSnapshots' : 'DescribeDBSnapshots', region);
    const found = this.#snapshots.get(key(region, snapshotId));
    return found === undefined ? undefined : this.#info(found);
  }

  copy(
    application: string,
    source: { readonly id: string; readonly region: string },
    toRegion: string,
    targetId: string,
    tags: Readonly<Record<string, string>>,
    kmsKeyId?: string,
  ): SnapshotInfo {
    const app = this.#app(application);
    // The request is made in the destination region; RDS fetches the source through the presigned URL.
    this.#check(app, isAurora(app) ? 'CopyDBClusterSnapshot' : 'CopyDBSnapshot', toRegion);
    if (this.#options.faults.isOutage(source.region)) {
      throw new SimulatedServiceError(
        'ServiceUnavailableException',
        `the source region ${source.region} of ${source.id} is unavailable`,
        503,
      );
    }
    const original = this.#snapshots.get(key(source.region, source.id));
    if (original === undefined) {
      throw new SimulatedServiceError(
        'DBSnapshotNotFound',
        `no snapshot ${source.id} in ${source.region}`,
        404,
      );
    }
    if (original.status !== 'available') {
      throw new SimulatedServiceError(
        'InvalidDBSnapshotState',
        `snapshot ${source.id} is ${original.status}; only an available snapshot can be copied`,
        400,
      );
    }
    if (this.#snapshots.has(key(toRegion, targetId))) {
      throw new SimulatedServiceError(
        'DBSnapshotAlreadyExists',
        `snapshot ${targetId} already exists in ${toRegion}`,
        400,
      );
    }
    const copy: SimulatedSnapshot = {
      id: targetId,
      region: toRegion,
      application: original.application,
      cluster: original.cluster,
      sourceId: original.sourceId,
      status: 'creating',
      takenAt: original.takenAt,
      engine: original.engine,
      sizeGiB: original.sizeGiB,
      encrypted: original.encrypted,
      tags: { ...tags },
      copiedFrom: { id: original.id, region: original.region, at: this.#options.clock.seconds },
      ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
    };
    this.#snapshots.set(key(toRegion, targetId), copy);
    this.#options.note(application, toRegion, `copy of ${source.id} from ${source.region} started`);
    this.#later(this.#options.latency.rdsSnapshotCopySeconds, () => {
      if (copy.status !== 'creating') return;
      copy.status = 'available';
      this.#options.note(application, toRegion, `copy ${targetId} available`);
    });
    return this.#info(copy);
  }

  list(application: string, region: string): SnapshotInfo[] {
    const app = this.#app(application);
    this.#check(app, isAurora(app) ? 'DescribeDBClusterSnapshots' : 'DescribeDBSnapshots', region);
    return [...this.#snapshots.values()]
      .filter(
        (s) => s.region === region && s.cluster === isAurora(app) && s.tags[TAG_APPLICATION] === application,
      )
      .map((s) => this.#info(s));
  }

  delete(application: string, region: string, snapshotId: string): 'deleting' | 'gone' {
    const app = this.#app(application);
    this.#check(app, isAurora(app) ? 'DeleteDBClusterSnapshot' : 'DeleteDBSnapshot', region);
    const found = this.#snapshots.get(key(region, snapshotId));
    if (found === undefined) return 'gone';
    this.#snapshots.delete(key(region, snapshotId));
    this.#options.note(application, region, `snapshot ${snapshotId} deleted`);
    return 'deleting';
  }

  restore(
    application: string,
    snapshot: { readonly id: string; readonly region: string },
    restoreId: string,
  ): 'started' | 'exists' {
    const app = this.#app(application);
    const region = snapshot.region;
    this.#check(
      app,
      isAurora(app) ? 'RestoreDBClusterFromSnapshot' : 'RestoreDBInstanceFromDBSnapshot',
      region,
    );
    const existing = this.#restores.get(key(region, restoreId));
    if (existing !== undefined && existing.instance !== undefined) return 'exists';
    const source = this.#snapshots.get(key(region, snapshot.id));
    if (source?.status !== 'available') {
      throw new SimulatedServiceError(
        source === undefined ? 'DBSnapshotNotFound' : 'InvalidDBSnapshotState',
        `snapshot ${snapshot.id} in ${region} is ${source?.status ?? 'not there'}`,
        source === undefined ? 404 : 400,
      );
    }
    if (isAurora(app)) this.#check(app, 'CreateDBInstance', region);
    const restore: SimulatedRestore = {
      id: restoreId,
      region,
      application,
      engine: source.engine,
      instance: 'creating',
      cluster: isAurora(app) ? 'creating' : undefined,
    };
    this.#restores.set(key(region, restoreId), restore);
    this.#options.note(application, region, `restore of ${snapshot.id} into ${restoreId} started`);
    this.#later(this.#options.latency.rdsRestoreSeconds, () => {
      if (restore.instance !== 'creating') return;
      restore.instance = 'available';
      if (restore.cluster === 'creating') restore.cluster = 'available';
      this.#options.note(application, region, `${restoreId} available`);
    });
    return 'started';
  }

  describeRestore(application: string, region: string, restoreId: string): RestoredDatabase {
    const app = this.#app(application);
    this.#check(app, 'DescribeDBInstances', region);
    if (isAurora(app)) this.#check(app, 'DescribeDBClusters', region);
    const restore = this.#restores.get(key(region, restoreId));
    const resources = restore === undefined ? [] : resourcesOf(restore);
    const status =
      restore === undefined || resources.length === 0
        ? 'gone'
        : (restore.instance ?? (restore.cluster === 'deleting' ? 'deleting' : 'creating'));
    return {
      id: restoreId,
      region,
      status,
      engine: restore?.engine,
      endpoint: restore?.instance === 'available' ? endpointOf(restoreId, region) : undefined,
      resources,
    };
  }

  deleteRestore(application: string, region: string, restoreId: string): readonly string[] {
    const before = this.describeRestore(application, region, restoreId);
    const app = this.#app(application);
    const restore = this.#restores.get(key(region, restoreId));
    if (restore === undefined) return [];
    if (restore.instance !== undefined) {
      this.#check(app, 'DeleteDBInstance', region);
      // A restore still creating cannot be deleted yet: RDS refuses with InvalidDBInstanceState.
      if (restore.instance === 'available') {
        restore.instance = 'deleting';
        this.#options.note(application, region, `${restoreId} deleting`);
        this.#later(this.#options.latency.rdsDeleteSeconds, () => {
          restore.instance = undefined;
          this.#forgetIfGone(restore);
          this.#options.note(application, region, `${restoreId} deleted`);
        });
      }
    } else if (restore.cluster !== undefined && restore.cluster !== 'deleting') {
      this.#check(app, 'DeleteDBCluster', region);
      restore.cluster = 'deleting';
      this.#later(this.#options.latency.rdsDeleteSeconds, () => {
        restore.cluster = undefined;
        this.#forgetIfGone(restore);
        this.#options.note(application, region, `cluster ${restoreId} deleted`);
      });
    }
    return before.resources;
  }

  /**
   * RestoreDBClusterFromSnapshot as the API does it: the cluster alone, available after the restore
   * time; its instance is a separate request (`addRestoreInstance`). (`restore` is the port's
   * whole Aurora restore, cluster and instance at once.)
   */
  restoreCluster(
    application: string,
    snapshot: { readonly id: string; readonly region: string },
    restoreId: string,
  ): 'started' | 'exists' {
    const app = this.#app(application);
    const region = snapshot.region;
    this.#check(app, 'RestoreDBClusterFromSnapshot', region);
    if (this.#restores.get(key(region, restoreId))?.cluster !== undefined) return 'exists';
    const source = this.#snapshots.get(key(region, snapshot.id));
    if (source?.status !== 'available') {
      throw new SimulatedServiceError(
        source === undefined ? 'DBClusterSnapshotNotFoundFault' : 'InvalidDBClusterSnapshotStateFault',
        `cluster snapshot ${snapshot.id} in ${region} is ${source?.status ?? 'not there'}`,
        source === undefined ? 404 : 400,
      );
    }
    const restore: SimulatedRestore = {
      id: restoreId,
      region,
      application,
      engine: source.engine,
      instance: undefined,
      cluster: 'creating',
    };
    this.#restores.set(key(region, restoreId), restore);
    this.#options.note(application, region, `restore of ${snapshot.id} into cluster ${restoreId} started`);
    this.#later(this.#options.latency.rdsRestoreSeconds, () => {
      if (restore.cluster !== 'creating') return;
      restore.cluster = 'available';
      this.#options.note(application, region, `cluster ${restoreId} available`);
    });
    return 'started';
  }

  /**
   * CreateDBInstance in a restored cluster, named as the cluster. RDS creates DB instances in a
   * restored cluster only once the cluster is available
   * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html);
   * the instance then takes the restore time again (the latency model has no figure of its own).
   */
  addRestoreInstance(application: string, region: string, restoreId: string): 'started' | 'exists' {
    const app = this.#app(application);
    this.#check(app, 'CreateDBInstance', region);
    const restore = this.#restores.get(key(region, restoreId));
    if (restore?.cluster === undefined) {
      throw new SimulatedServiceError('DBClusterNotFoundFault', `DBCluster ${restoreId} not found.`, 404);
    }
    if (restore.instance !== undefined) return 'exists';
    if (restore.cluster !== 'available') {
      throw new SimulatedServiceError(
        'InvalidDBClusterStateFault',
        `DB cluster ${restoreId} is ${restore.cluster}; instances can be added once it is available`,
        400,
      );
    }
    restore.instance = 'creating';
    this.#options.note(application, region, `instance ${restoreId} of restored cluster started`);
    this.#later(this.#options.latency.rdsRestoreSeconds, () => {
      if (restore.instance !== 'creating') return;
      restore.instance = 'available';
      this.#options.note(application, region, `${restoreId} available`);
    });
    return 'started';
  }

  /** DeleteDBInstance of a restore's instance: refused while it is being created or deleted. */
  deleteRestoreInstance(application: string, region: string, restoreId: string): void {
    const app = this.#app(application);
    this.#check(app, 'DeleteDBInstance', region);
    const restore = this.#restores.get(key(region, restoreId));
    if (restore?.instance === undefined) {
      throw new SimulatedServiceError('DBInstanceNotFoundFault', `DBInstance ${restoreId} not found.`, 404);
    }
    if (restore.instance !== 'available') {
      throw new SimulatedServiceError(
        'InvalidDBInstanceStateFault',
        `DB instance ${restoreId} is ${restore.instance}, not available`,
        400,
      );
    }
    restore.instance = 'deleting';
    this.#options.note(application, region, `${restoreId} deleting`);
    this.#later(this.#options.latency.rdsDeleteSeconds, () => {
      restore.instance = undefined;
      this.#forgetIfGone(restore);
      this.#options.note(application, region, `${restoreId} deleted`);
    });
  }

  /**
   * DeleteDBCluster of a restored cluster: refused while it still has an instance that is not being
   * deleted, or while it is itself being created or deleted.
   */
  deleteRestoreCluster(application: string, region: string, restoreId: string): void {
    const app = this.#app(application);
    this.#check(app, 'DeleteDBCluster', region);
    const restore = this.#restores.get(key(region, restoreId));
    if (restore?.cluster === undefined) {
      throw new SimulatedServiceError('DBClusterNotFoundFault', `DBCluster ${restoreId} not found.`, 404);
    }
    if (restore.instance !== undefined && restore.instance !== 'deleting') {
      throw new SimulatedServiceError(
        'InvalidDBClusterStateFault',
        `Cluster ${restoreId} cannot be deleted, it still contains DB instances in non-deleting state.`,
        400,
      );
    }
    if (restore.cluster !== 'available') {
      throw new SimulatedServiceError(
        'InvalidDBClusterStateFault',
        `DB cluster ${restoreId} is ${restore.cluster}, not available`,
        400,
      );
    }
    restore.cluster = 'deleting';
    this.#later(this.#options.latency.rdsDeleteSeconds, () => {
      restore.cluster = undefined;
      this.#forgetIfGone(restore);
      this.#options.note(application, region, `cluster ${restoreId} deleted`);
    });
  }

  #forgetIfGone(restore: SimulatedRestore): void {
    if (restore.instance === undefined && restore.cluster === undefined) {
      this.#restores.delete(key(restore.region, restore.id));
    }
  }

  #later(seconds: number, run: () => void): void {
    const { clock } = this.#options;
    clock.schedule(clock.seconds + seconds, run);
  }

  #check(app: ApplicationConfig, operation: string, region: string): void {
    if (!app.regions.includes(region) && !this.#options.config.controlPlaneRegions.includes(region)) {
      throw new SimulatedServiceError('InvalidParameterValue', `${app.name} has nothing in ${region}`, 400);
    }
    this.#options.faults.check('rds', operation, region);
  }

  #app(name: string): ApplicationConfig {
    const app = this.#options.config.applications.find((a) => a.name === name);
    if (app === undefined) {
      throw new SimulatedServiceError('ResourceNotFoundException', `no application named ${name}`, 404);
    }
    return app;
  }

  #info(s: SimulatedSnapshot): SnapshotInfo {
    return {
      id: s.id,
      arn: `arn:aws:rds:${s.region}:${LOCAL_ACCOUNT}:${s.cluster ? 'cluster-snapshot' : 'snapshot'}:${s.id}`,
      region: s.region,
      status: s.status,
      createdAt: this.#options.clock.secondsToIso(s.takenAt),
      sourceId: s.sourceId,
      engine: s.engine,
      sizeGiB: s.sizeGiB,
      encrypted: s.encrypted,
      tags: { ...s.tags },
    };
  }
}

/**
 * The backups port over the simulated world; `call` is the estate's API-call wrapper (it spends the
 * latency model's API-call time on the virtual clock first).
 */
export function worldBackups(
  snapshots: SimulatedSnapshots,
  call: <T>(work: () => T) => Promise<T>,
): BackupsPort {
  return {
    createSnapshot: (app, region, id, tags) =>
      call(() =>
        existing(
          () => snapshots.create(app.name, region, id, tags),
          () => snapshots.describe(app.name, region, id),
        ),
      ),
    describeSnapshot: (app, region, id) => call(() => snapshots.describe(app.name, region, id)),
    copySnapshot: (app, source, toRegion, targetId, options) =>
      call(() => {
        if (source.region === toRegion) {
          throw new RangeError(
            `Snapshot ${source.id} is already in ${toRegion}; a copy goes to another region`,
          );
        }
        return existing(
          () => snapshots.copy(app.name, source, toRegion, targetId, options.tags),
          () => snapshots.describe(app.name, toRegion, targetId),
        );
      }),
    listSnapshots: (app, region) => call(() => snapshots.list(app.name, region)),
    deleteSnapshot: (app, region, id) => call(() => snapshots.delete(app.name, region, id)),
    restore: (app, snapshot, restoreId) => call(() => snapshots.restore(app.name, snapshot, restoreId)),
    // The port level restores an Aurora cluster with its instance in one piece (the twin models the
    // cluster first, then the instance, as RDS does).
    finishRestore: () => Promise.resolve('done' as const),
    describeRestore: (app, region, id) => call(() => snapshots.describeRestore(app.name, region, id)),
    deleteRestore: (app, region, id) => call(() => snapshots.deleteRestore(app.name, region, id)),
  };
}

/** As the adapter does: a create that finds the snapshot already made returns it. */
function existing(create: () => SnapshotInfo, describe: () => SnapshotInfo | undefined): SnapshotInfo {
  try {
    return create();
  } catch (error) {
    if (!(error as Error).name.includes('AlreadyExists')) throw error;
    const found = describe();
    if (found === undefined) throw error;
    return found;
  }
}

function key(region: string, id: string): string {
  return `${region}/${id.toLowerCase()}`;
}

function isAurora(app: ApplicationConfig): boolean {
  return app.database.engine === 'aurora-global';
}

function engineOf(app: ApplicationConfig): string {
  return isAurora(app) ? 'aurora-postgresql' : 'postgres';
}

function endpointOf(restoreId: string, region: string): string {
  return `${restoreId}.${region}.rds.local`;
}

function resourcesOf(restore: SimulatedRestore): string[] {
  return [
    ...(restore.instance === undefined ? [] : [`db:${restore.id}`]),
    ...(restore.cluster === undefined ? [] : [`cluster:${restore.id}`]),
  ];
}
