import type { LifeboatConfig } from '../config/LifeboatConfig.ts';
import { InvalidInputError } from '../errors.ts';
import { currentPrimary } from '../failover/currentPrimary.ts';
import { regionHealth } from '../failover/regionHealth.ts';
import type { Clock } from '../ports/Clock.ts';
import type { Estate } from '../ports/Estate.ts';
import type { Ledger } from '../ports/Ledger.ts';
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
}

export interface EvacuationPlan {
  readonly failingRegion: string;
  readonly maxConcurrency: number;
  readonly deadline: string;
  readonly applications: readonly EvacuationItem[];
  readonly skipped: readonly { readonly application: string; readonly reason: string }[];
}

export interface FailoverOutcome {
  readonly application: string;
  readonly execution: string;
  readonly status: string;
  readonly reason?: string;
}

/** The Lambda function of the evacuation and the operations it runs. */
export const EVACUATION_FUNCTIONS = {
  'lifeboat-evacuation': ['planEvacuation', 'startFailover', 'checkFailovers'],
} as const;

const TERMINAL = new Set([
  'SUCCEEDED',
  'FAILED',
  'SKIPPED',
  'ABORTED',
  'REJECTED',
  'TIMED_OUT',
  'ROLLED_BACK',
]);

function executionName(evacuation: string, application: string): string {
  return `evac-${application}-${evacuation}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
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
  async planEvacuation(payload: {
    input?: { failingRegion?: unknown; maxConcurrency?: unknown; reason?: unknown; timeoutSeconds?: unknown };
    evacuation?: unknown;
  }): Promise<EvacuationPlan> {
    const { config, estate, ledger, clock } = this.#deps;
    const input = payload.input ?? {};
    const problems: string[] = [];
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
    if (typeof payload.evacuation !== 'string' || payload.evacuation === '')
      problems.push('evacuation: expected the execution name (the definition passes $$.Execution.Name)');
    if (problems.length > 0) throw new InvalidInputError(problems);
    const failing = input.failingRegion as string;
    const reason = typeof input.reason === 'string' ? input.reason : `region evacuation of ${failing}`;

    const applications: EvacuationItem[] = [];
    const skipped: { application: string; reason: string }[] = [];
    for (const app of config.applications) {
      if (!app.regions.includes(failing)) continue;
      const serving = await currentPrimary(app, estate, ledger);
      if (serving !== failing) {
        skipped.push({ application: app.name, reason: `${serving} serves it, not ${failing}` });
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
        skipped.push({ application: app.name, reason: 'no healthy standby with a control plane' });
        continue;
      }
      applications.push({
        application: app.name,
        sourceRegion: failing,
        targetRegion: target,
        execution: executionName(payload.evacuation as string, app.name),
        reason,
      });
    }
    return {
      failingRegion: failing,
      maxConcurrency: concurrency as number,
      deadline: new Date(clock.now().getTime() + (timeout as number) * 1000).toISOString(),
      applications,
      skipped,
    };
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
