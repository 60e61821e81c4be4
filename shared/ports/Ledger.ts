/**
 * The kinds of run the ledger records. `break-glass`: an operator's manual action (a lock released,
 * a run stopped), with who did it and why. `quarantine`: an old writer that came back after a
 * failover, cut off from its clients (shared/failback/quarantine.ts). `evacuation`: a region
 * evacuation, recorded under `region-evacuation:<region>` with each application's outcome.
 */
export type RunKind =
  | 'failover'
  | 'failback'
  | 'switchover'
  | 'drain'
  | 'backup'
  | 'restore-test'
  | 'drill'
  | 'break-glass'
  | 'quarantine'
  | 'evacuation';

export const RUN_KINDS: readonly RunKind[] = [
  'failover',
  'failback',
  'switchover',
  'drain',
  'backup',
  'restore-test',
  'drill',
  'break-glass',
  'quarantine',
  'evacuation',
];

/** How a run ended (or that it is still running). Drills and restore tests end PASSED or FAILED. */
export type RunStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'SKIPPED'
  | 'ABORTED'
  | 'REJECTED'
  | 'TIMED_OUT'
  | 'ROLLED_BACK'
  | 'PASSED';

/** One run of a workflow, as the ledger keeps it. */
export interface RunRecord {
  readonly application: string;
  readonly kind: RunKind;
  /** The Step Functions execution name; unique per run. */
  readonly executionName: string;
  /** ISO-8601 UTC, millisecond precision (`2026-11-22T06:00:00.000Z`): sorts as text. */
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly status: RunStatus;
  /** Why the run ended as it did, in a sentence a person can read. */
  readonly reason?: string;
  readonly error?: { readonly name: string; readonly cause: string };
  /** Kind-specific facts: step times, RTO and RPO, snapshot ids, drill findings. JSON only. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** An application's lock: who holds it and until when the lease runs. */
export interface LockLease {
  readonly application: string;
  /** The execution that holds the lock. */
  readonly owner: string;
  readonly acquiredAt: string;
  /** ISO-8601 UTC; after this instant the lock is free for anyone to take. */
  readonly leaseExpiresAt: string;
  /** What the holder is doing, when it said: a failover names the region it moves the writer to. */
  readonly purpose?: LockPurpose;
}

/** What a lock's holder is doing: its workflow, and for a failover the region it promotes. */
export interface LockPurpose {
  readonly workflow: string;
  readonly targetRegion?: string;
}

export type AcquireLockResult =
  | { readonly acquired: true; readonly lease: LockLease }
  | { readonly acquired: false; readonly heldBy: LockLease };

/** A region's health as Lifeboat last saw it change, for the failback's offer. */
export interface HealthRecord {
  readonly application: string;
  readonly region: string;
  readonly state: 'OK' | 'ALARM';
  /** When the region entered this state (ISO-8601). */
  readonly since: string;
}

/**
 * The record of every run and the per-application lock. Every write is idempotent: writing the same
 * run twice leaves one item, taking a lock one already holds extends its lease, releasing a lock one
 * does not hold changes nothing.
 */
export interface Ledger {
  /** Writes (or overwrites) a run; the key is (application, kind, startedAt, executionName). */
  putRun(run: RunRecord): Promise<void>;
  /** The last `limit` runs of one kind for one application, newest first: one Query. */
  listRuns(application: string, kind: RunKind, limit: number): Promise<RunRecord[]>;
  /**
   * The runs of one kind for one application that started from `from` to `to` (ISO-8601 UTC with
   * milliseconds, both included), newest first, at most `limit`: one Query on the sort key's range.
   */
  listRunsBetween(
    application: string,
    kind: RunKind,
    range: { readonly from: string; readonly to: string },
    limit: number,
  ): Promise<RunRecord[]>;
  /** The last `limit` runs of one kind across applications, newest first: one Query on the index. */
  listRunsByKind(kind: RunKind, limit: number): Promise<RunRecord[]>;
  /**
   * Takes the application's lock for `owner` with a lease of `leaseSeconds` from `now`, when it is
   * free, its lease has expired, or `owner` already holds it (which extends the lease).
   */
  acquireLock(
    application: string,
    owner: string,
    now: Date,
    leaseSeconds: number,
    /** Kept with the lease (and replaced by the next acquisition), for readers such as the quarantine. */
    purpose?: LockPurpose,
  ): Promise<AcquireLockResult>;
  /** Releases the lock if `owner` holds it; returns whether it did. Releasing twice is harmless. */
  releaseLock(application: string, owner: string): Promise<boolean>;
  getLock(application: string): Promise<LockLease | undefined>;
  /** Records a region's health; a repeat of the state it is already in changes nothing (keeps `since`). */
  recordHealth(record: HealthRecord): Promise<void>;
  getHealth(application: string, region: string): Promise<HealthRecord | undefined>;
}
