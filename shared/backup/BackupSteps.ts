import { checkedOrRecorded } from '../ledger/rejectedInput.ts';
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import type { ApplicationConfig, BackupConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { describeIssue } from '../config/issues.ts';
import {
  InvalidInputError,
  NotReadyError,
  PermanentServiceError,
  PreconditionFailedError,
} from '../errors.ts';
import type { Clock } from '../ports/Clock.ts';
import type { SnapshotInfo } from '../ports/Backups.ts';
import type { Estate } from '../ports/Estate.ts';
import type { Ledger, RunKind, RunStatus } from '../ports/Ledger.ts';
import {
  backupSchedule,
  resourceId,
  scheduleIntervalSeconds,
  slotOf,
  TAG_APPLICATION,
  TAG_KIND,
  TAG_SLOT,
} from './schedule.ts';

export interface BackupDeps {
  readonly config: LifeboatConfig;
  readonly estate: Estate;
  readonly ledger: Ledger;
  readonly clock: Clock;
}

/** The most a snapshot, or its copy, may take before the run gives up and says so. */
export const SNAPSHOT_LIMIT_SECONDS = 4 * 3600;

/**
 * The input of the backup and of the restore test. EventBridge Scheduler gives
 * `{ "application": "ai-gateway", "slot": "<aws.scheduler.scheduled-time>" }`; started by hand, the
 * slot defaults to the current minute.
 */
// zod/mini keeps the Lambda bundles small; the English messages make its issues read as the full API's.
z.config(en());

export const ScheduledInputSchema = z.strictObject({
  application: z.string().check(z.minLength(1)),
  /** The schedule slot (ISO-8601): the same slot always names the same snapshot. */
  slot: z.optional(z.iso.datetime({ offset: true })),
});

/** What the backup's later steps work from. */
export interface BackupRequest {
  readonly application: string;
  readonly slot: string;
  readonly snapshotId: string;
  /** The region of the writer that is snapshotted. */
  readonly sourceRegion: string;
  /** Where the copy goes; null when the writer is already in the copy region. */
  readonly copyRegion: string | null;
  readonly retentionDays: number;
}

/** A snapshot as the ledger keeps it. */
export interface SnapshotSummary {
  readonly id: string;
  readonly arn: string;
  readonly region: string;
  readonly status: string;
  readonly createdAt: string | null;
  readonly sizeGiB: number | null;
  readonly engine: string | null;
}

export function summary(s: SnapshotInfo): SnapshotSummary {
  return {
    id: s.id,
    arn: s.arn,
    region: s.region,
    status: s.status,
    createdAt: s.createdAt ?? null,
    sizeGiB: s.sizeGiB ?? null,
    engine: s.engine ?? null,
  };
}

/** The application named by a scheduled input, with its backup block; InvalidInput otherwise. */
export function scheduledApplication(
  config: LifeboatConfig,
  raw: unknown,
  now: Date,
): { app: ApplicationConfig; backup: BackupConfig; slot: string } {
  const parsed = ScheduledInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidInputError(parsed.error.issues.flatMap((i) => describeIssue(i).split('\n')));
  }
  const app = config.applications.find((a) => a.name === parsed.data.application);
  if (app === undefined) {
    throw new InvalidInputError([
      `application: no application named "${parsed.data.application}"; the config has ${config.applications.map((a) => a.name).join(', ')}`,
    ]);
  }
  if (app.backup === undefined) {
    throw new InvalidInputError([
      `application: ${app.name} has no backup block in the config; add applications[].backup to back it up`,
    ]);
  }
  return {
    app,
    backup: app.backup,
    slot: slotOf(parsed.data.slot === undefined ? now : new Date(parsed.data.slot)),
  };
}

/** A Catch's `Cause` as a sentence: the Lambda error's message when the cause is its JSON. */
export function causeText(cause: string | undefined): string {
  if (cause === undefined) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}

/** The application's name in a raw input, for a record of a run whose input was refused. */
export function namedApplication(raw: unknown): string {
  const named = (raw as { application?: unknown } | null)?.application;
  return typeof named === 'string' && named !== '' ? named : 'unknown';
}

/** The execution's state as the record step receives it, at whatever point the run reached. */
export interface ScheduledRunState {
  readonly input?: unknown;
  readonly request?: { readonly application: string };
  readonly startedAt?: string;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/** One ledger record of a backup, restore test or drill: the common part of each kind's record step. */
export async function recordScheduledRun(
  deps: { readonly ledger: Ledger; readonly clock: Clock },
  kind: RunKind,
  payload: {
    readonly state: ScheduledRunState;
    readonly executionName: string;
    readonly status: RunStatus;
    readonly reason: string;
    readonly details: Record<string, unknown>;
  },
): Promise<void> {
  const { state } = payload;
  const now = deps.clock.now().toISOString();
  await deps.ledger.putRun({
    application: state.request?.application ?? namedApplication(state.input ?? state),
    kind,
    executionName: payload.executionName,
    startedAt: state.startedAt ?? now,
    endedAt: now,
    status: payload.status,
    reason: payload.reason,
    ...(state.error === undefined
      ? {}
      : { error: { name: state.error.Error ?? 'Error', cause: state.error.Cause ?? '' } }),
    details: payload.details,
  });
}

/** The backup's execution state, as its record and notify steps receive it. */
export interface BackupRunState extends ScheduledRunState {
  readonly request?: BackupRequest;
  readonly snapshot?: { readonly snapshot?: SnapshotSummary; readonly at?: string };
  readonly snapshotStatus?: {
    readonly available?: boolean;
    readonly snapshot?: SnapshotSummary;
    readonly at?: string;
  };
  readonly copy?: { readonly copy?: SnapshotSummary; readonly at?: string };
  readonly copyStatus?: {
    readonly available?: boolean;
    readonly snapshot?: SnapshotSummary;
    readonly at?: string;
  };
  readonly pruned?: unknown;
  readonly pruneError?: unknown;
}

function seconds(from: string, to: string): number {
  return Math.round((new Date(to).getTime() - new Date(from).getTime()) / 1000);
}

/**
 * The backup's steps: snapshot the writer, wait, copy it to the copy region with that region's KMS
 * key, wait, prune what retention lets go (only snapshots tagged by Lifeboat for this application),
 * record. The slot names the snapshot, so every step can run again for the same slot and change
 * nothing the second time.
 */
export class BackupSteps {
  private readonly deps: BackupDeps;

  constructor(deps: BackupDeps) {
    this.deps = deps;
  }

  /** ValidateInput: the application, its writer now and the slot's snapshot id; a refused input is recorded. */
  async validateInput(payload: {
    input: unknown;
    executionName: string;
  }): Promise<{ request: BackupRequest; startedAt: string }> {
    const { deps } = this;
    const now = deps.clock.now();
    const { app, backup, slot } = await checkedOrRecorded(
      () => scheduledApplication(deps.config, payload.input, now),
      {
        ledger: deps.ledger,
        kind: 'backup',
        executionName: payload.executionName,
        input: payload.input,
        now,
      },
    );
    const sourceRegion = await this.writerRegion(app);
    return {
      request: {
        application: app.name,
        slot,
        snapshotId: resourceId(app.name, slot),
        sourceRegion,
        copyRegion: sourceRegion === backup.copyToRegion ? null : backup.copyToRegion,
        retentionDays: backup.retentionDays,
      },
      startedAt: now.toISOString(),
    };
  }

  /** CreateSnapshot: the slot's snapshot of the writer, or the one a previous attempt made. */
  async createSnapshot({
    request,
  }: {
    request: BackupRequest;
  }): Promise<{ snapshot: SnapshotSummary; at: string }> {
    const a = this.app(request);
    const snapshot = await this.deps.estate.backups.createSnapshot(
      a,
      request.sourceRegion,
      request.snapshotId,
      this.tags(request, 'backup'),
    );
    return { snapshot: summary(snapshot), at: this.deps.clock.now().toISOString() };
  }

  /** CheckSnapshot: whether the snapshot is available; a failed snapshot, or one past the limit, ends the run. */
  async checkSnapshot({ request, since }: { request: BackupRequest; since: string }): Promise<{
    available: boolean;
    snapshot: SnapshotSummary;
    at: string;
  }> {
    return this.waitFor(request, request.sourceRegion, since, 'snapshot');
  }

  /** CopySnapshot: the slot's copy in the copy region, encrypted with that region's key. */
  async copySnapshot({
    request,
  }: {
    request: BackupRequest;
  }): Promise<{ copy: SnapshotSummary; at: string }> {
    const a = this.app(request);
    if (request.copyRegion === null) throw new PreconditionFailedError('this backup has no copy region');
    const source = await this.deps.estate.backups.describeSnapshot(
      a,
      request.sourceRegion,
      request.snapshotId,
    );
    if (source === undefined) {
      throw new PermanentServiceError(`snapshot ${request.snapshotId} is gone from ${request.sourceRegion}`);
    }
    const copy = await this.deps.estate.backups.copySnapshot(
      a,
      source,
      request.copyRegion,
      request.snapshotId,
      {
        kmsKeyId: this.backup(a).copyKmsKeyId,
        tags: this.tags(request, 'backup-copy'),
      },
    );
    return { copy: summary(copy), at: this.deps.clock.now().toISOString() };
  }

  async checkCopy({ request, since }: { request: BackupRequest; since: string }): Promise<{
    available: boolean;
    snapshot: SnapshotSummary;
    at: string;
  }> {
    if (request.copyRegion === null) throw new PreconditionFailedError('this backup has no copy region');
    return this.waitFor(request, request.copyRegion, since, 'copy');
  }

  /**
   * Prune: deletes, in the source and copy regions, the available snapshots that carry Lifeboat's
   * tag for this application and are past retention. A snapshot without the tag is never touched,
   * whatever its name; nor is this slot's.
   */
  async prune({ request }: { request: BackupRequest }): Promise<{
    deleted: { region: string; id: string }[];
    kept: number;
  }> {
    const a = this.app(request);
    const cutoff = this.deps.clock.now().getTime() - request.retentionDays * 86_400_000;
    const deleted: { region: string; id: string }[] = [];
    let kept = 0;
    const regions = [request.sourceRegion, ...(request.copyRegion === null ? [] : [request.copyRegion])];
    for (const region of regions) {
      for (const s of await this.deps.estate.backups.listSnapshots(a, region)) {
        const taken = s.tags[TAG_SLOT] ?? s.createdAt;
        const expired = taken !== undefined && new Date(taken).getTime() < cutoff;
        const ours = s.tags[TAG_APPLICATION] === a.name;
        if (!ours || !expired || s.status !== 'available' || s.id === request.snapshotId) {
          if (ours) kept++;
          continue;
        }
        await this.deps.estate.backups.deleteSnapshot(a, region, s.id);
        deleted.push({ region, id: s.id });
      }
    }
    return { deleted, kept };
  }

  /** Record: the backup in the ledger, whatever its end, with its times against the schedule. */
  async record(payload: {
    state: BackupRunState;
    executionName: string;
    status: RunStatus;
    reason: string;
  }): Promise<{ recorded: true }> {
    const { state } = payload;
    const now = this.deps.clock.now().toISOString();
    const request = state.request;
    const a =
      request === undefined
        ? undefined
        : this.deps.config.applications.find((x) => x.name === request.application);
    const snapshot = state.snapshotStatus?.snapshot ?? state.snapshot?.snapshot;
    const copy = state.copyStatus?.snapshot ?? state.copy?.copy;
    const intervalSeconds = a === undefined ? null : scheduleIntervalSeconds(backupSchedule(a));
    const totalSeconds = state.startedAt === undefined ? null : seconds(state.startedAt, now);
    await recordScheduledRun(this.deps, 'backup', {
      state,
      executionName: payload.executionName,
      status: payload.status,
      reason: payload.reason,
      details: {
        ...(request === undefined ? {} : { request }),
        snapshot: snapshot ?? null,
        copy: copy ?? null,
        copied:
          request === undefined ? false : request.copyRegion !== null && state.copyStatus?.available === true,
        pruned: state.pruned ?? null,
        ...(state.pruneError === undefined ? {} : { pruneError: state.pruneError }),
        snapshotSeconds:
          state.snapshotStatus?.at === undefined || state.startedAt === undefined
            ? null
            : seconds(state.startedAt, state.snapshotStatus.at),
        copySeconds:
          state.copyStatus?.at === undefined || state.copy?.at === undefined
            ? null
            : seconds(state.copy.at, state.copyStatus.at),
        totalSeconds,
        // A backup that takes longer than its interval makes the next one late.
        targets: {
          intervalSeconds,
          completedWithinInterval:
            payload.status === 'SUCCEEDED' && intervalSeconds !== null && totalSeconds !== null
              ? totalSeconds <= intervalSeconds
              : false,
          rpoTargetSeconds: a?.targets.rpoSeconds ?? null,
          dataTakenAt: snapshot?.createdAt ?? null,
        },
      },
    });
    return { recorded: true };
  }

  /** Notify: tells the team's channel the backup failed, and why. */
  async notify(payload: { state: BackupRunState }): Promise<{ ts: string }> {
    const { state } = payload;
    const application = state.request?.application ?? namedApplication(state.input ?? state);
    const why =
      state.error === undefined ? '' : `: ${state.error.Error ?? 'Error'}: ${state.error.Cause ?? ''}`;
    return { ts: await this.deps.estate.notifier.post(`Backup of ${application} FAILED${why}`) };
  }

  private async waitFor(
    request: BackupRequest,
    region: string,
    since: string,
    what: 'snapshot' | 'copy',
  ): Promise<{ available: boolean; snapshot: SnapshotSummary; at: string }> {
    const found = await this.deps.estate.backups.describeSnapshot(
      this.app(request),
      region,
      request.snapshotId,
    );
    if (found === undefined) {
      throw new PermanentServiceError(`the ${what} ${request.snapshotId} in ${region} is gone`);
    }
    if (found.status === 'failed') {
      throw new PermanentServiceError(`the ${what} ${request.snapshotId} in ${region} failed`);
    }
    const now = this.deps.clock.now();
    const available = found.status === 'available';
    if (!available && (now.getTime() - new Date(since).getTime()) / 1000 > SNAPSHOT_LIMIT_SECONDS) {
      throw new NotReadyError(
        `the ${what} ${request.snapshotId} in ${region} is still ${found.status} ${SNAPSHOT_LIMIT_SECONDS} s after it began`,
      );
    }
    return { available, snapshot: summary(found), at: now.toISOString() };
  }

  /** The region whose database accepts writes now: the one to snapshot. */
  private async writerRegion(app: ApplicationConfig): Promise<string> {
    const roles: string[] = [];
    for (const region of app.regions) {
      try {
        const status = await this.deps.estate.database.describe(app, region);
        roles.push(`${region}=${status.role}`);
        if (status.role !== 'replica') return region;
      } catch (error) {
        roles.push(`${region}=unreadable (${(error as Error).name})`);
      }
    }
    throw new PreconditionFailedError(
      `no region of ${app.name} has a writer to snapshot: ${roles.join(', ')}`,
    );
  }

  private tags(request: BackupRequest, kind: 'backup' | 'backup-copy'): Record<string, string> {
    return { [TAG_APPLICATION]: request.application, [TAG_KIND]: kind, [TAG_SLOT]: request.slot };
  }

  private app(request: { application: string }): ApplicationConfig {
    const found = this.deps.config.applications.find((a) => a.name === request.application);
    if (found === undefined)
      throw new InvalidInputError([`application: no application named "${request.application}"`]);
    return found;
  }

  private backup(app: ApplicationConfig): BackupConfig {
    if (app.backup === undefined)
      throw new InvalidInputError([`application: ${app.name} has no backup block`]);
    return app.backup;
  }
}

/** The backup's Lambda function and the operations it may run. */
export const BACKUP_FUNCTIONS = {
  'lifeboat-backup': [
    'validateInput',
    'createSnapshot',
    'checkSnapshot',
    'copySnapshot',
    'checkCopy',
    'prune',
    'record',
    'notify',
  ],
} as const satisfies Record<string, readonly (keyof BackupSteps)[]>;
