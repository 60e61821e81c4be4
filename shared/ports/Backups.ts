import type { ApplicationConfig } from '../config/LifeboatConfig.ts';

/**
 * Snapshots of an application's database and temporary restores of them. DB instance snapshots for
 * `rds-read-replica`, DB cluster snapshots for `aurora-global`: the port picks by the application's
 * engine, so the steps need not. Every create is idempotent: a resource that already exists under
 * the identifier asked for is returned as it is.
 */

export type SnapshotStatus = 'creating' | 'available' | 'deleting' | 'failed';

export interface SnapshotInfo {
  readonly id: string;
  readonly arn: string;
  readonly region: string;
  readonly status: SnapshotStatus;
  /** When the snapshot's data was taken (ISO); for a copy, the original's time. */
  readonly createdAt: string | undefined;
  /** The DB instance or cluster it was taken of. */
  readonly sourceId: string | undefined;
  readonly engine: string | undefined;
  readonly sizeGiB: number | undefined;
  readonly encrypted: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

export type RestoreStatus = 'creating' | 'available' | 'deleting' | 'failed' | 'gone';

export interface RestoredDatabase {
  readonly id: string;
  readonly region: string;
  /** The instance's status (for Aurora, the cluster's instance; `gone` once nothing is left). */
  readonly status: RestoreStatus;
  readonly engine: string | undefined;
  readonly endpoint: string | undefined;
  /** What still exists: the instance, and for Aurora the cluster, by identifier. */
  readonly resources: readonly string[];
}

export interface BackupsPort {
  /** Snapshots the application's database in `region` (its writer) as `snapshotId`, with `tags`. */
  createSnapshot(
    app: ApplicationConfig,
    region: string,
    snapshotId: string,
    tags: Readonly<Record<string, string>>,
  ): Promise<SnapshotInfo>;
  describeSnapshot(
    app: ApplicationConfig,
    region: string,
    snapshotId: string,
  ): Promise<SnapshotInfo | undefined>;
  /**
   * Copies `source` into `toRegion` as `targetId`, encrypted with `kmsKeyId` (a key of `toRegion`).
   * The request is made in `toRegion`, the destination, as RDS requires.
   */
  copySnapshot(
    app: ApplicationConfig,
    source: SnapshotInfo,
    toRegion: string,
    targetId: string,
    options: { readonly kmsKeyId: string; readonly tags: Readonly<Record<string, string>> },
  ): Promise<SnapshotInfo>;
  /** The manual snapshots in `region` tagged `lifeboat:application` = the application (Lifeboat's own). */
  listSnapshots(app: ApplicationConfig, region: string): Promise<SnapshotInfo[]>;
  /** Deletes a snapshot; one already gone is `gone`. */
  deleteSnapshot(app: ApplicationConfig, region: string, snapshotId: string): Promise<'deleting' | 'gone'>;
  /**
   * Restores `snapshot` into a new instance `restoreId` in the snapshot's region, in the subnet
   * group, of the class, with the tags. Aurora: the cluster `restoreId` only; its instance is created
   * by `finishRestore` once the cluster is available (RDS refuses it before).
   */
  restore(
    app: ApplicationConfig,
    snapshot: SnapshotInfo,
    restoreId: string,
    options: {
      readonly subnetGroupName: string;
      readonly instanceClass: string;
      readonly tags: Readonly<Record<string, string>>;
    },
  ): Promise<'started' | 'exists'>;
  /**
   * Aurora: creates the restored cluster's instance (`restoreId`, the class, the tags) once the
   * cluster is available: `waiting` while it is not, `created` when this call created it, `done`
   * when it exists (and for an RDS instance, always `done`).
   */
  finishRestore(
    app: ApplicationConfig,
    region: string,
    restoreId: string,
    options: { readonly instanceClass: string; readonly tags: Readonly<Record<string, string>> },
  ): Promise<'waiting' | 'created' | 'done'>;
  describeRestore(app: ApplicationConfig, region: string, restoreId: string): Promise<RestoredDatabase>;
  /**
   * Deletes the temporary instance (and, once its instance is gone, the Aurora cluster), with no
   * final snapshot. Returns what is still there; call again until it is empty.
   */
  deleteRestore(app: ApplicationConfig, region: string, restoreId: string): Promise<readonly string[]>;
}
