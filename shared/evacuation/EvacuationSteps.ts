import { createHash } from 'node:crypto';
import type { LifeboatConfig } from '../config/LifeboatConfig.ts';
import { InvalidInputError } from '../errors.ts';
import { currentPrimary } from '../failover/currentPrimary.ts';
import { regionHealth } from '../failover/regionHealth.ts';
import type { Clock } from '../ports/Clock.ts';
import type { Estate } from '../ports/Estate.ts';
import type { Ledger, RunStatus } from '../ports/Ledger.ts';
import type { WorkflowControl } from '../ports/Workflows.ts';

/** The most failovers a region evacuation starts at once: an inline Map runs at most 40 iterations. */
export const MAX_START_CONCURRENCY = 40;
export const DEFAULT_START_CONCURRENCY = 10;
/** How long an evacuation waits for its failovers before it reports those still running. */
export const DEFAULT_EVACUATION_TIMEOUT_SECONDS = 7200;

export interface EvacuationDeps {
  readonly config: LifeboatConfig;
  readonly estate: Estate;
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly workflows: Pick<WorkflowControl, 'start'>;
}

export interface EvacuationItem {
  readonly application: string;
  readonly sourceRegion: string;
  readonly targetRegion: string;
  /** The failover's execution name: the evacuation's name and the application's, so a repeat is a no-op. */
  readonly execution: string;
  readonly reason: string;
  /** After StartFailover: `started`, `already-started`, or `failed` (the Map's Catch, with the error). */
  readonly start?: string;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

export interface EvacuationPlan {
  readonly failingRegion: string;
  /** When the evacuation began (its plan was made): its record's start. */
  readonly startedAt: string;
  readonly maxConcurrency: number;
  readonly deadline: string;
  readonly applications: readonly EvacuationItem[];
  /**
   * Applications not moved: served from elsewhere (`unmoved` false), or served from the failing
   * region with no healthy standby to go to (`unmoved` true: the evacuation is then incomplete).
   */
  readonly skipped: readonly {
    readonly application: string;
    readonly reason: string;
    readonly unmoved: boolean;
  }[];
}

export interface FailoverOutcome {
  readonly application: string;
  readonly execution: string;
  readonly status: string;
  readonly reason?: string;
  /** Where the application is served at the record, when its own failover did not succeed but another run moved it. */
  readonly servedFrom?: string;
}

/** The Lambda function of the evacuation and the operations it runs. */
export const EVACUATION_FUNCTIONS = {
  'lifeboat-evacuation': [
    'planEvacuation',
    'lockEvacuation',
    'startFailover',
    'checkFailovers',
    'recordEvacuation',
    'releaseEvacuation',
  ],
} as const;

/**
 * The ledger's name for an evacuation of `region`: its lock's key and its records' application, so
 * one evacuation of a region runs at a time, and `lifeboat history` lists them together.
 */
export function evacuationKey(region: string): string {
  return `region-evacuation:${region}`;
}

/** How long an evacuation's lock outlives its deadline: the record and the release after it. */
const LOCK_MARGIN_SECONDS = 3600;

const TERMINAL = new Set([
  'SUCCEEDED',
  'FAILED',
  'SKIPPED',
  'ABORTED',
  'REJECTED',
  'TIMED_OUT',
  'ROLLED_BACK',
]);

/** The evacuation's input, checked: what every later step works from. */
export interface EvacuationRequest {
  readonly failingRegion: string;
  readonly maxConcurrency: number;
  readonly timeoutSeconds: number;
  readonly reason: string;
}

/**
 * The evacuation's input check (PlanEvacuation's first act, and `lifeboat start region-evacuation`'s):
 * `{"failingRegion": "us-east-1"}`, with optional `maxConcurrency` (failovers started at once, 1 to
 * 40, default 10), `timeoutSeconds` (how long it follows them, 60 to 86400, default 7200) and `reason`.
 * Throws InvalidInputError naming every wrong field.
 */
export function checkEvacuationInput(raw: unknown, config: LifeboatConfig): EvacuationRequest {
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InvalidInputError(['input: expected an object such as {"failingRegion": "us-east-1"}']);
  const input = raw as Record<string, unknown>;
  const known = ['failingRegion', 'maxConcurrency', 'timeoutSeconds', 'reason'];
  for (const key of Object.keys(input))
    if (!known.includes(key))
      problems.push(`${key}: not an input of the evacuation (expected ${known.join(', ')})`);
  const regions = [...new Set(config.applications.flatMap((a) => a.regions))];
  if (typeof input.failingRegion !== 'string' || !regions.includes(input.failingRegion))
    problems.push(
      `failingRegion: expected one of ${regions.join(', ')}, the regions of the config's applications`,
    );
  const concurrency = input.maxConcurrency ?? DEFAULT_START_CONCURRENCY;
  if (
    typeof concurrency !== 'number' ||
    !Number.isInteger(concurrency) ||
    concurrency < 1 ||
    concurrency > MAX_START_CONCURRENCY
  )
    problems.push(
      `maxConcurrency: expected a whole number from 1 to ${MAX_START_CONCURRENCY} (failovers started at once)`,
    );
  const timeout = input.timeoutSeconds ?? DEFAULT_EVACUATION_TIMEOUT_SECONDS;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 60 || timeout > 86_400)
    problems.push('timeoutSeconds: expected a whole number of seconds from 60 to 86400');
  if (input.reason !== undefined && (typeof input.reason !== 'string' || input.reason.length > 400))
    problems.push('reason: expected a string of at most 400 characters');
  if (problems.length > 0) throw new InvalidInputError(problems);
  const failingRegion = input.failingRegion as string;
  return {
    failingRegion,
    maxConcurrency: concurrency as number,
    timeoutSeconds: timeout as number,
    reason: typeof input.reason === 'string' ? input.reason : `region evacuation of ${failingRegion}`,
  };
}

/**
 * The failover's execution name: the application's and the evacuation's, within Step Functions' 80
 * characters; a longer one takes a digest of the evacuation's name, so two evacuations never share
 * one (a shared name would find the older evacuation's failover "already started").
 */
export function executionName(evacuation: string, application: string): string {
  const clean = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '-');
  const full = clean(`evac-${application}-${evacuation}`);
  if (full.length <= 80) return full;
  const digest = createHash('sha256').update(evacuation).digest('hex').slice(0, 16);
  return clean(`evac-${application}`).slice(0, 80 - digest.length - 1) + `-${digest}`;
}

/**
 * Region evacuation: every application whose current primary is the failing region gets its own
 * failover, started in the region it moves traffic to, and the evacuation waits for them all.
 */
export class EvacuationSteps {
  readonly #deps: EvacuationDeps;

  constructor(deps: EvacuationDeps) {
    this.#deps = deps;
  }

  /** Checks the input and lists the applications to move, each with its target (first healthy standby). */
  async planEvacuation(payload: { input?: unknown; evacuation?: unknown }): Promise<EvacuationPlan> {
    const { config, estate, ledger, clock } = this.#deps;
    if (typeof payload.evacuation !== 'string' || payload.evacuation === '')
      throw new InvalidInputError([
        'evacuation: expected the execution name (the definition passes $$.Execution.Name)',
      ]);
    const {
      failingRegion: failing,
      maxConcurrency,
      timeoutSeconds,
      reason,
    } = checkEvacuationInput(payload.input, config);

    const applications: EvacuationItem[] = [];
    const skipped: { application: string; reason: string; unmoved: boolean }[] = [];
    for (const app of config.applications) {
      if (!app.regions.includes(failing)) continue;
      const serving = await currentPrimary(app, estate, ledger);
      if (serving !== failing) {
        skipped.push({
          application: app.name,
          reason: `${serving} serves it, not ${failing}`,
          unmoved: false,
        });
        continue;
      }
      let target: string | undefined;
      for (const region of app.regions) {
        if (region === failing || !config.controlPlaneRegions.includes(region)) continue;
        if ((await regionHealth(config, app, region, estate)).status === 'healthy') {
          target = region;
          break;
        }
      }
      if (target === undefined) {
        skipped.push({
          application: app.name,
          reason: 'no healthy standby with a control plane',
          unmoved: true,
        });
        continue;
      }
      applications.push({
        application: app.name,
        sourceRegion: failing,
        targetRegion: target,
        execution: executionName(payload.evacuation, app.name),
        reason,
      });
    }
    return {
      failingRegion: failing,
      startedAt: clock.now().toISOString(),
      maxConcurrency,
      deadline: new Date(clock.now().getTime() + timeoutSeconds * 1000).toISOString(),
      applications,
      skipped,
    };
  }

  /**
   * LockEvacuation: the region's evacuation lock (the ledger's lock, keyed `region-evacuation:<region>`)
   * for this execution, until the plan's deadline and an hour: a second evacuation of the same region
   * started meanwhile (two operators, a retried start) gives way and starts nothing. Taking it again
   * is harmless. Each application's failover still takes its own lock.
   */
  async lockEvacuation(payload: { plan?: EvacuationPlan; evacuation?: string }): Promise<{
    acquired: boolean;
    heldBy?: string;
  }> {
    const { plan, evacuation } = payload;
    if (plan === undefined || typeof evacuation !== 'string' || evacuation === '')
      throw new InvalidInputError(['plan, evacuation: expected the plan and the execution name']);
    const now = this.#deps.clock.now();
    const lease = Math.max(0, (Date.parse(plan.deadline) - now.getTime()) / 1000) + LOCK_MARGIN_SECONDS;
    const result = await this.#deps.ledger.acquireLock(
      evacuationKey(plan.failingRegion),
      evacuation,
      now,
      Math.ceil(lease),
    );
    return result.acquired ? { acquired: true } : { acquired: false, heldBy: result.heldBy.owner };
  }

  /** ReleaseEvacuation: gives the region's evacuation lock back, if this execution holds it. */
  async releaseEvacuation(payload: { plan?: EvacuationPlan; evacuation?: string }): Promise<{
    released: boolean;
  }> {
    const { plan, evacuation } = payload;
    if (plan === undefined || typeof evacuation !== 'string')
      throw new InvalidInputError(['plan, evacuation: expected the plan and the execution name']);
    return {
      released: await this.#deps.ledger.releaseLock(evacuationKey(plan.failingRegion), evacuation),
    };
  }

  /**
   * RecordEvacuation: the evacuation's ledger record (kind `evacuation`), each application's outcome
   * in it: SUCCEEDED when every failover it started succeeded; FAILED when one did not or is still
   * running at the deadline; SKIPPED when another evacuation of the region held the lock.
   */
  async recordEvacuation(payload: {
    plan?: EvacuationPlan;
    evacuation?: string;
    check?: { outcomes?: readonly FailoverOutcome[]; pending?: number } | null;
    heldBy?: string;
    error?: { Error?: string; Cause?: string } | null;
  }): Promise<{ status: RunStatus; outcomes: readonly FailoverOutcome[] }> {
    const { plan, evacuation } = payload;
    if (plan === undefined || typeof evacuation !== 'string' || evacuation === '')
      throw new InvalidInputError(['plan, evacuation: expected the plan and the execution name']);
    const { config, estate, ledger } = this.#deps;
    const pending = payload.check?.pending ?? 0;
    // A failover that did not succeed may have given way to another run that moved the application
    // (the trigger's own failover holds its lock): where it is served now decides.
    const outcomes: FailoverOutcome[] = [];
    for (const outcome of payload.check?.outcomes ?? []) {
      const app = config.applications.find((a) => a.name === outcome.application);
      if (outcome.status === 'SUCCEEDED' || app === undefined) {
        outcomes.push(outcome);
        continue;
      }
      let servedFrom: string | undefined;
      try {
        servedFrom = await currentPrimary(app, estate, ledger);
      } catch {
        servedFrom = undefined;
      }
      outcomes.push(
        servedFrom === undefined || servedFrom === plan.failingRegion ? outcome : { ...outcome, servedFrom },
      );
    }
    const unmoved = plan.skipped.filter((s) => s.unmoved);
    const failed = [
      ...outcomes.filter((o) => o.status !== 'SUCCEEDED' && o.servedFrom === undefined),
      ...unmoved.map((s) => ({ application: s.application, status: 'NOT STARTED' })),
    ];
    const status: RunStatus =
      payload.heldBy !== undefined
        ? 'SKIPPED'
        : payload.error !== undefined && payload.error !== null
          ? 'FAILED'
          : failed.length > 0 || pending > 0
            ? 'FAILED'
            : 'SUCCEEDED';
    const reason =
      status === 'SKIPPED'
        ? `${payload.heldBy ?? 'another evacuation'} is evacuating ${plan.failingRegion}`
        : payload.error !== undefined && payload.error !== null
          ? `${payload.error.Error ?? 'Error'}: ${payload.error.Cause ?? ''}`
          : failed.length === 0
            ? `${outcomes.length} application(s) moved off ${plan.failingRegion}`
            : `${failed.length} of ${outcomes.length + unmoved.length} application(s) did not fail over: ${failed.map((o) => `${o.application} ${o.status}`).join(', ')}`;
    const now = this.#deps.clock.now().toISOString();
    await this.#deps.ledger.putRun({
      application: evacuationKey(plan.failingRegion),
      kind: 'evacuation',
      executionName: evacuation,
      startedAt: plan.startedAt,
      endedAt: now,
      status,
      reason,
      details: {
        failingRegion: plan.failingRegion,
        maxConcurrency: plan.maxConcurrency,
        deadline: plan.deadline,
        applications: outcomes,
        skipped: plan.skipped,
        ...(pending > 0 ? { stillRunning: pending } : {}),
      },
    });
    return { status, outcomes };
  }

  /** Starts one application's failover in its target region; a repeat finds it started. */
  async startFailover(payload: { item?: EvacuationItem }): Promise<EvacuationItem & { start: string }> {
    const item = payload.item;
    if (item === undefined) throw new InvalidInputError(['item: expected one entry of the plan']);
    const start = await this.#deps.workflows.start(item.targetRegion, 'failover', item.execution, {
      application: item.application,
      targetRegion: item.targetRegion,
      sourceRegion: item.sourceRegion,
      reason: item.reason,
    });
    return { ...item, start };
  }

  /** Reads each failover's run from the ledger; done once none is running or the deadline passed. */
  async checkFailovers(payload: {
    started?: readonly EvacuationItem[];
    deadline?: string;
  }): Promise<{ done: boolean; pending: number; outcomes: FailoverOutcome[] }> {
    const started = payload.started ?? [];
    const outcomes: FailoverOutcome[] = [];
    for (const item of started) {
      if (item.start === 'failed') {
        outcomes.push({
          application: item.application,
          execution: item.execution,
          status: 'FAILED',
          reason: `its failover could not be started in ${item.targetRegion}: ${item.error?.Error ?? 'Error'}: ${item.error?.Cause ?? ''}`,
        });
        continue;
      }
      const runs = await this.#deps.ledger.listRuns(item.application, 'failover', 20);
      const run = runs.find((r) => r.executionName === item.execution);
      outcomes.push({
        application: item.application,
        execution: item.execution,
        status: run?.status ?? 'STARTING',
        ...(run?.reason === undefined ? {} : { reason: run.reason }),
      });
    }
    const pending = outcomes.filter((o) => !TERMINAL.has(o.status)).length;
    const late = payload.deadline !== undefined && this.#deps.clock.now().toISOString() >= payload.deadline;
    return { done: pending === 0 || late, pending, outcomes };
  }
}
