import { checkedOrRecorded } from '../ledger/rejectedInput.ts';
import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import {
  InvalidInputError,
  NotReadyError,
  PermanentServiceError,
  PreconditionFailedError,
} from '../errors.ts';
import type { SnapshotInfo } from '../ports/Backups.ts';
import type { Clock } from '../ports/Clock.ts';
import type { Estate } from '../ports/Estate.ts';
import type { Ledger, RunStatus } from '../ports/Ledger.ts';
import {
  causeText,
  namedApplication,
  recordScheduledRun,
  scheduledApplication,
  summary,
  type ScheduledRunState,
  type SnapshotSummary,
} from './BackupSteps.ts';
import {
  backupMaxAgeSeconds,
  resourceId,
  restoreInstanceClass,
  TAG_APPLICATION,
  TAG_KIND,
  TAG_SLOT,
} from './schedule.ts';

export interface RestoreTestDeps {
  readonly config: LifeboatConfig;
  readonly estate: Estate;
  readonly ledger: Ledger;
  readonly clock: Clock;
}

/** The most a restore may take before the test gives up (and cleans up). */
export const RESTORE_LIMIT_SECONDS = 3 * 3600;
/** The most deleting the temporary database may take before the record says what was left. */
export const CLEANUP_LIMIT_SECONDS = 3600;

export interface RestoreTestRequest {
  readonly application: string;
  readonly slot: string;
  /** The copy region, where the latest copy is restored. */
  readonly region: string;
  /** The temporary instance (and, for Aurora, cluster). */
  readonly restoreId: string;
  readonly subnetGroupName: string;
  readonly instanceClass: string;
}

export interface Check {
  readonly check: 'status' | 'engine' | 'restore-time' | 'snapshot-age';
  readonly ok: boolean;
  readonly detail: string;
  readonly value?: number;
}

/** The restore test's execution state, as its record and notify steps receive it. */
export interface RestoreRunState extends ScheduledRunState {
  readonly request?: RestoreTestRequest;
  readonly snapshot?: SnapshotSummary;
  readonly restore?: { readonly at?: string };
  readonly restoreStatus?: { readonly available?: boolean; readonly at?: string };
  readonly verify?: {
    readonly passed?: boolean;
    readonly checks?: readonly Check[];
    readonly restoreSeconds?: number;
    readonly snapshotAgeSeconds?: number | null;
  };
  readonly cleanupError?: { readonly Error?: string; readonly Cause?: string };
}

function secondsBetween(from: string, to: string): number {
  return Math.round((new Date(to).getTime() - new Date(from).getTime()) / 1000);
}

/**
 * Checks a restore test's input against the config: the application, its restore-test settings and
 * the slot's temporary instance. The state machine's first step and `lifeboat start restore-test`
 * both use it.
 */
export function checkRestoreTestInput(raw: unknown, config: LifeboatConfig, now: Date): RestoreTestRequest {
  const { app, backup, slot } = scheduledApplication(config, raw, now);
  if (backup.restoreTest === undefined) {
    throw new InvalidInputError([
      `application: ${app.name} has no backup.restoreTest in the config; add one with the subnetGroupName to restore into`,
    ]);
  }
  return {
    application: app.name,
    slot,
    region: backup.copyToRegion,
    restoreId: resourceId(app.name, slot),
    subnetGroupName: backup.restoreTest.subnetGroupName,
    instanceClass: restoreInstanceClass(app),
  };
}

/**
 * The restore test's steps: restore the latest copy into a temporary instance in the copy region,
 * wait, check it, delete it (also when anything fails), record how long the restore took against
 * the RTO target and how old its data was against the backup's freshness budget.
 */
export class RestoreTestSteps {
  private readonly deps: RestoreTestDeps;

  constructor(deps: RestoreTestDeps) {
    this.deps = deps;
  }

  /** ValidateInput: the application, its restore test settings and the slot's instance name. */
  async validateInput(payload: {
    input: unknown;
    executionName: string;
  }): Promise<{ request: RestoreTestRequest; startedAt: string }> {
    const now = this.deps.clock.now();
    const request = await checkedOrRecorded(
      () => checkRestoreTestInput(payload.input, this.deps.config, now),
      {
        ledger: this.deps.ledger,
        kind: 'restore-test',
        executionName: payload.executionName,
        input: payload.input,
        now,
      },
    );
    return { request, startedAt: now.toISOString() };
  }

  /** FindSnapshot: the latest available copy Lifeboat made of the application in the copy region. */
  async findSnapshot({ request }: { request: RestoreTestRequest }): Promise<SnapshotSummary> {
    const latest = await this.latestSnapshot(this.app(request), request.region);
    if (latest === undefined) {
      throw new PreconditionFailedError(
        `no available Lifeboat snapshot of ${request.application} in ${request.region}; run the backup first`,
      );
    }
    return summary(latest);
  }

  /** Restore: the temporary instance from the snapshot, tagged, in the subnet group, of the small class. */
  async restore({ request, snapshot }: { request: RestoreTestRequest; snapshot: SnapshotSummary }): Promise<{
    status: 'started' | 'exists';
    at: string;
  }> {
    const a = this.app(request);
    const found = await this.deps.estate.backups.describeSnapshot(a, request.region, snapshot.id);
    if (found === undefined)
      throw new PermanentServiceError(`snapshot ${snapshot.id} is gone from ${request.region}`);
    const status = await this.deps.estate.backups.restore(a, found, request.restoreId, {
      subnetGroupName: request.subnetGroupName,
      instanceClass: request.instanceClass,
      tags: {
        [TAG_APPLICATION]: request.application,
        [TAG_KIND]: 'restore-test',
        [TAG_SLOT]: request.slot,
      },
    });
    return { status, at: this.deps.clock.now().toISOString() };
  }

  /** CheckRestore: whether the instance is available; a failed restore, or one past the limit, ends the test. */
  async checkRestore({ request, since }: { request: RestoreTestRequest; since: string }): Promise<{
    available: boolean;
    status: string;
    at: string;
  }> {
    const a = this.app(request);
    // Aurora: the cluster's instance, once the restored cluster is available.
    await this.deps.estate.backups.finishRestore(a, request.region, request.restoreId, {
      instanceClass: request.instanceClass,
      tags: {
        [TAG_APPLICATION]: request.application,
        [TAG_KIND]: 'restore-test',
        [TAG_SLOT]: request.slot,
      },
    });
    const restored = await this.deps.estate.backups.describeRestore(a, request.region, request.restoreId);
    if (restored.status === 'failed' || restored.status === 'gone') {
      throw new PermanentServiceError(
        `the restore into ${request.restoreId} in ${request.region} is ${restored.status}`,
      );
    }
    const now = this.deps.clock.now().toISOString();
    const available = restored.status === 'available';
    if (!available && secondsBetween(since, now) > RESTORE_LIMIT_SECONDS) {
      throw new NotReadyError(
        `${request.restoreId} in ${request.region} is still ${restored.status} ${RESTORE_LIMIT_SECONDS} s after the restore began`,
      );
    }
    return { available, status: restored.status, at: now };
  }

  /**
   * VerifyRestore: the instance is available and runs the snapshot's engine; the restore took no
   * longer than the RTO target; the snapshot was no older than the backup freshness budget.
   */
  async verifyRestore(payload: {
    request: RestoreTestRequest;
    snapshot: SnapshotSummary;
    restoredAt: string;
    availableAt: string;
  }): Promise<{
    passed: boolean;
    checks: Check[];
    restoreSeconds: number;
    snapshotAgeSeconds: number | null;
  }> {
    const { request, snapshot } = payload;
    const a = this.app(request);
    const restored = await this.deps.estate.backups.describeRestore(a, request.region, request.restoreId);
    const restoreSeconds = secondsBetween(payload.restoredAt, payload.availableAt);
    const snapshotAgeSeconds =
      snapshot.createdAt === null ? null : secondsBetween(snapshot.createdAt, payload.restoredAt);
    const budget = backupMaxAgeSeconds(a);
    const checks: Check[] = [
      {
        check: 'status',
        ok: restored.status === 'available',
        detail: `${request.restoreId} is ${restored.status}`,
      },
      {
        check: 'engine',
        ok: restored.engine !== undefined && restored.engine === snapshot.engine,
        detail: `restored engine ${restored.engine ?? 'unknown'}, snapshot engine ${snapshot.engine ?? 'unknown'}`,
      },
      {
        check: 'restore-time',
        ok: restoreSeconds <= a.targets.rtoSeconds,
        value: restoreSeconds,
        detail: `restored in ${restoreSeconds} s (RTO target ${a.targets.rtoSeconds} s)`,
      },
      {
        check: 'snapshot-age',
        ok: snapshotAgeSeconds !== null && snapshotAgeSeconds <= budget,
        ...(snapshotAgeSeconds === null ? {} : { value: snapshotAgeSeconds }),
        detail: `the snapshot's data was ${snapshotAgeSeconds ?? 'of unknown'} s old (at most ${budget} s: the RPO target or the backup interval, plus an hour)`,
      },
    ];
    return { passed: checks.every((c) => c.ok), checks, restoreSeconds, snapshotAgeSeconds };
  }

  /**
   * Cleanup: deletes the temporary database (the instance, then an Aurora cluster) with no final
   * snapshot and says what is left; called until nothing is. Past the limit it gives up, naming it.
   */
  async cleanup({ request, since }: { request: RestoreTestRequest; since?: string }): Promise<{
    done: boolean;
    left: readonly string[];
    since: string;
  }> {
    const started = since ?? this.deps.clock.now().toISOString();
    const left = await this.deps.estate.backups.deleteRestore(
      this.app(request),
      request.region,
      request.restoreId,
    );
    const now = this.deps.clock.now().toISOString();
    if (left.length > 0 && secondsBetween(started, now) > CLEANUP_LIMIT_SECONDS) {
      throw new NotReadyError(
        `${left.join(', ')} in ${request.region} still there ${CLEANUP_LIMIT_SECONDS} s after the cleanup began`,
      );
    }
    return { done: left.length === 0, left, since: started };
  }

  /**
   * Record: the test in the ledger, PASSED or FAILED, with the restore time against the RTO target
   * and the data's age against the freshness budget. When the cleanup failed, it reads what is left
   * (or says it cannot) so a person knows what to delete.
   */
  async record(payload: {
    state: RestoreRunState;
    executionName: string;
    status: RunStatus;
    reason: string;
    cleanupFailed?: boolean;
  }): Promise<{ recorded: true; left: readonly string[] }> {
    const { state } = payload;
    const request = state.request;
    const a =
      request === undefined
        ? undefined
        : this.deps.config.applications.find((x) => x.name === request.application);
    const verify = state.verify;
    let left: readonly string[] = [];
    let leftUnknown: string | undefined;
    if (payload.cleanupFailed === true && request !== undefined && a !== undefined) {
      try {
        left = (
          await this.deps.estate.backups.describeRestore(a, request.region, request.restoreId)
        ).resources.map((r) => `${request.region}/${r}`);
      } catch (error) {
        leftUnknown = `could not read what is left (${(error as Error).message}); ${request.restoreId} may remain in ${request.region}`;
      }
    }
    const restoreSeconds = verify?.restoreSeconds ?? null;
    const age = verify?.snapshotAgeSeconds ?? null;
    await recordScheduledRun(this.deps, 'restore-test', {
      state,
      executionName: payload.executionName,
      status: payload.status,
      reason: payload.reason,
      details: {
        ...(request === undefined ? {} : { request }),
        snapshot: state.snapshot ?? null,
        restoreStartedAt: state.restore?.at ?? null,
        availableAt: state.restoreStatus?.available === true ? state.restoreStatus.at : null,
        checks: verify?.checks ?? [],
        ...(state.cleanupError === undefined ? {} : { cleanupError: state.cleanupError }),
        cleanedUp: payload.cleanupFailed !== true,
        left,
        ...(leftUnknown === undefined ? {} : { leftUnknown }),
        rtoSeconds: restoreSeconds,
        rtoTargetSeconds: a?.targets.rtoSeconds ?? null,
        rtoMet: restoreSeconds !== null && a !== undefined ? restoreSeconds <= a.targets.rtoSeconds : false,
        snapshotAgeSeconds: age,
        rpoTargetSeconds: a?.targets.rpoSeconds ?? null,
        snapshotAgeBudgetSeconds: a === undefined ? null : backupMaxAgeSeconds(a),
        rpoMet: age !== null && a !== undefined ? age <= backupMaxAgeSeconds(a) : false,
      },
    });
    return { recorded: true, left };
  }

  /** Notify: tells the team's channel the restore test failed, and why. */
  async notify(payload: { state: RestoreRunState }): Promise<{ ts: string }> {
    const { state } = payload;
    const application = state.request?.application ?? namedApplication(state.input ?? state);
    const failed = state.verify?.checks?.filter((c) => !c.ok).map((c) => c.detail) ?? [];
    const why =
      state.cleanupError !== undefined
        ? `: the temporary database ${state.request?.restoreId ?? ''} could not be deleted (${causeText(state.cleanupError.Cause)})`
        : state.error !== undefined
          ? `: ${state.error.Error ?? 'Error'}: ${causeText(state.error.Cause)}`
          : failed.length > 0
            ? `: ${failed.join('; ')}`
            : '';
    return { ts: await this.deps.estate.notifier.post(`Restore test of ${application} FAILED${why}`) };
  }

  private async latestSnapshot(app: ApplicationConfig, region: string): Promise<SnapshotInfo | undefined> {
    const all = await this.deps.estate.backups.listSnapshots(app, region);
    return all
      .filter((s) => s.status === 'available' && s.tags[TAG_APPLICATION] === app.name)
      .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''))[0];
  }

  private app(request: { application: string }): ApplicationConfig {
    const found = this.deps.config.applications.find((a) => a.name === request.application);
    if (found === undefined)
      throw new InvalidInputError([`application: no application named "${request.application}"`]);
    return found;
  }
}

export const RESTORE_TEST_FUNCTIONS = {
  'lifeboat-restore-test': [
    'validateInput',
    'findSnapshot',
    'restore',
    'checkRestore',
    'verifyRestore',
    'cleanup',
    'record',
    'notify',
  ],
} as const satisfies Record<string, readonly (keyof RestoreTestSteps)[]>;
