import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { InvalidInputError, PreconditionFailedError } from '../errors.ts';
import { REPLICA_LIMIT_SECONDS } from '../failback/FailbackSteps.ts';
import { regionHealth } from '../failover/regionHealth.ts';
import type { Clock } from '../ports/Clock.ts';
import type { Estate } from '../ports/Estate.ts';
import type { Ledger, RunRecord, RunStatus } from '../ports/Ledger.ts';
import type { WorkflowControl } from '../ports/Workflows.ts';
import type { DrillRequest, Finding } from './DrillSteps.ts';

/**
 * A game day: the real failover of a drill application to its standby, then (once the primary passes
 * its health check again) the real failback, which asks for approval on Slack. The drill takes no
 * lock of its own: each run takes the application's lock as it would in an incident. The drill
 * starts each run under a name derived from its own start, polls the ledger for the run's record
 * (each run records itself whatever its end) and judges the outcome against the targets.
 *
 * The failover's checks hold on a game day as in an incident: it promotes only a standby whose
 * primary is down, so the drill application's primary must be taken down first (a fault injected
 * into the drill environment); with the primary up the failover stops, and the game day fails
 * saying so.
 */

export interface GameDayDeps {
  readonly config: LifeboatConfig;
  readonly estate: Estate;
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly workflows?: WorkflowControl;
}

export type GameDayWorkflow = 'failover' | 'failback';

/** A run the game day started: where, under which name, and when it asked. */
export interface StartedRun {
  readonly workflow: GameDayWorkflow;
  readonly executionName: string;
  readonly region: string;
  readonly requestedAt: string;
  readonly outcome: 'started' | 'already-started';
}

/** What the game day keeps of a run's ledger record. */
export interface RunSummary {
  readonly executionName: string;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly reason: string | null;
  readonly error: string | null;
  /** The failover's: from its start to clients reaching the target (TTL included). */
  readonly rtoSeconds: number | null;
  /** The failover's: the replica lag at the promotion, the writes a failover can lose. */
  readonly rpoSeconds: number | null;
}

export interface RunCheck {
  readonly done: boolean;
  readonly succeeded: boolean;
  readonly timedOut: boolean;
  readonly waitedSeconds: number;
  readonly limitSeconds: number;
  readonly run: RunSummary | null;
}

export interface PrimaryCheck {
  readonly healthy: boolean;
  readonly timedOut: boolean;
  readonly waitedSeconds: number;
  readonly limitSeconds: number;
  readonly detail: string;
}

/** How far back the ledger is read for the run's record: the newest runs of its kind. */
const RECENT_RUNS = 25;

/**
 * How long the game day waits for each part before it records what it saw and stops waiting. The
 * failover may wait for an approval (lag over budget, forced target) and for the promotion; the
 * failback for its approval, a replica to be built (REPLICA_LIMIT_SECONDS), every step's bake.
 */
export function gameDayLimits(
  config: LifeboatConfig,
  app: ApplicationConfig,
): { failoverSeconds: number; primarySeconds: number; failbackSeconds: number } {
  const approval = config.slack.approvalTimeoutSeconds;
  const steps = app.dns.failback.steps.length * app.dns.failback.bakeSeconds;
  return {
    failoverSeconds: approval + 4 * 3600,
    primarySeconds: 12 * 3600,
    failbackSeconds: approval + REPLICA_LIMIT_SECONDS + steps + 2 * 3600,
  };
}

/** `gameday-<application>-<yyyymmddThhmmss of the drill's start>-<workflow>`: at most 73 characters. */
export function gameDayRunName(request: DrillRequest, startedAt: string, workflow: GameDayWorkflow): string {
  const stamp = startedAt
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .replace(/Z$/, '');
  return `gameday-${request.application}-${stamp}-${workflow}`;
}

function application(config: LifeboatConfig, request: DrillRequest): ApplicationConfig {
  const found = config.applications.find((a) => a.name === request.application);
  if (found === undefined || request.mode !== 'game-day')
    throw new InvalidInputError([`application: ${request.application} is not a drill application`]);
  return found;
}

function secondsBetween(from: string, to: Date): number {
  return Math.max(0, Math.round((to.getTime() - new Date(from).getTime()) / 1000));
}

/**
 * StartFailover / StartFailback: starts the run in the region it moves traffic to (the standby for
 * the failover, the primary for the failback). The name is the drill's, so a retried start finds
 * the run already started and starts nothing.
 */
export async function startGameDayRun(
  deps: GameDayDeps,
  payload: { request: DrillRequest; startedAt: string; workflow: GameDayWorkflow },
): Promise<StartedRun> {
  const { request, startedAt, workflow } = payload;
  application(deps.config, request);
  if (deps.workflows === undefined) {
    throw new PreconditionFailedError('the drill function was built without Step Functions access');
  }
  const region = workflow === 'failover' ? request.targetRegion : request.sourceRegion;
  const executionName = gameDayRunName(request, startedAt, workflow);
  const input = {
    application: request.application,
    targetRegion: region,
    reason:
      workflow === 'failover'
        ? `game day ${startedAt}: fail ${request.application} over to ${region}`
        : `game day ${startedAt}: return ${request.application} to ${region}`,
  };
  const outcome = await deps.workflows.start(region, workflow, executionName, input);
  return { workflow, executionName, region, requestedAt: deps.clock.now().toISOString(), outcome };
}

function summary(run: RunRecord): RunSummary {
  const details = run.details ?? {};
  const number = (key: string): number | null => {
    const value = details[key];
    return typeof value === 'number' ? value : null;
  };
  return {
    executionName: run.executionName,
    status: run.status,
    startedAt: run.startedAt,
    endedAt: run.endedAt ?? null,
    reason: run.reason ?? null,
    error: run.error === undefined ? null : `${run.error.name}: ${run.error.cause}`,
    rtoSeconds: number('rtoSeconds'),
    rpoSeconds: number('rpoSeconds'),
  };
}

/** CheckFailover / CheckFailback: the run's ledger record once it has ended (one Query). */
export async function checkGameDayRun(
  deps: GameDayDeps,
  payload: { request: DrillRequest; run: StartedRun },
): Promise<RunCheck> {
  const app = application(deps.config, payload.request);
  const limits = gameDayLimits(deps.config, app);
  const limitSeconds = payload.run.workflow === 'failover' ? limits.failoverSeconds : limits.failbackSeconds;
  const runs = await deps.ledger.listRuns(app.name, payload.run.workflow, RECENT_RUNS);
  const record = runs.find((r) => r.executionName === payload.run.executionName && r.status !== 'RUNNING');
  const waitedSeconds = secondsBetween(payload.run.requestedAt, deps.clock.now());
  return {
    done: record !== undefined,
    succeeded: record?.status === 'SUCCEEDED',
    timedOut: record === undefined && waitedSeconds >= limitSeconds,
    waitedSeconds,
    limitSeconds,
    run: record === undefined ? null : summary(record),
  };
}

/** CheckPrimary: whether the primary passes its health check again, so that the failback may run. */
export async function checkGameDayPrimary(
  deps: GameDayDeps,
  payload: { request: DrillRequest; since: string },
): Promise<PrimaryCheck> {
  const app = application(deps.config, payload.request);
  const limitSeconds = gameDayLimits(deps.config, app).primarySeconds;
  const region = payload.request.sourceRegion;
  const { status, source } = await regionHealth(deps.config, app, region, deps.estate);
  const waitedSeconds = secondsBetween(payload.since, deps.clock.now());
  return {
    healthy: status === 'healthy',
    timedOut: status !== 'healthy' && waitedSeconds >= limitSeconds,
    waitedSeconds,
    limitSeconds,
    detail: `${region} is ${status} (${source})`,
  };
}

/** The execution's state when the game day is judged, at whatever point it reached. */
export interface GameDayState {
  readonly request: DrillRequest;
  readonly startedAt?: string;
  readonly failover?: StartedRun;
  readonly failoverRun?: RunCheck;
  readonly primary?: PrimaryCheck;
  readonly failback?: StartedRun;
  readonly failbackRun?: RunCheck;
}

function finding(check: string, ok: boolean, detail: string): Finding {
  return { check, severity: 'critical', ok, detail };
}

/**
 * The game day's verdict: PASSED only when the failover succeeded within both targets and the
 * failback succeeded. Every part that did not happen, or did not end, is a finding that says why.
 */
export function judgeGameDay(
  config: LifeboatConfig,
  state: GameDayState,
): {
  status: 'PASSED' | 'FAILED';
  findings: Finding[];
  rtoSeconds: number | null;
  rpoSeconds: number | null;
  targets: { rtoSeconds: number; rpoSeconds: number };
} {
  const app = application(config, state.request);
  const targets = { rtoSeconds: app.targets.rtoSeconds, rpoSeconds: app.targets.rpoSeconds };
  const findings: Finding[] = [];
  const over = state.failoverRun;
  const failover = over?.run ?? null;
  const rtoSeconds = failover?.rtoSeconds ?? null;
  const rpoSeconds = failover?.rpoSeconds ?? null;
  if (over === undefined || state.failover === undefined) {
    findings.push(finding('failover', false, 'the failover was not started'));
  } else if (failover === null) {
    findings.push(
      finding(
        'failover',
        false,
        `the failover ${state.failover.executionName} did not end within ${over.limitSeconds} s; it may still be running`,
      ),
    );
  } else {
    findings.push(
      finding(
        'failover',
        failover.status === 'SUCCEEDED',
        `the failover ${failover.executionName} to ${state.request.targetRegion} ended ${failover.status}${failover.reason === null ? '' : `: ${failover.reason}`}`,
      ),
    );
  }
  if (failover?.status === 'SUCCEEDED') {
    findings.push(
      finding(
        'rto',
        rtoSeconds !== null && rtoSeconds <= targets.rtoSeconds,
        rtoSeconds === null
          ? 'the failover recorded no RTO'
          : `RTO ${rtoSeconds} s from the failover's start to clients reaching ${state.request.targetRegion} (target ${targets.rtoSeconds} s)`,
      ),
      finding(
        'rpo',
        rpoSeconds !== null && rpoSeconds <= targets.rpoSeconds,
        rpoSeconds === null
          ? 'the failover recorded no RPO (no replica lag reading at the promotion)'
          : `RPO ${rpoSeconds} s of replica lag at the promotion (target ${targets.rpoSeconds} s)`,
      ),
    );
    const primary = state.primary;
    const back = state.failbackRun;
    const failback = back?.run ?? null;
    if (primary !== undefined && !primary.healthy) {
      findings.push(
        finding(
          'primary-recovered',
          false,
          `${state.request.sourceRegion} did not pass its health check within ${primary.limitSeconds} s of the failover (${primary.detail}); no failback was started`,
        ),
      );
    } else if (back === undefined || state.failback === undefined) {
      findings.push(finding('failback', false, 'the failback was not started'));
    } else if (failback === null) {
      findings.push(
        finding(
          'failback',
          false,
          `the failback ${state.failback.executionName} did not end within ${back.limitSeconds} s; it may still be running`,
        ),
      );
    } else {
      findings.push(
        finding(
          'failback',
          failback.status === 'SUCCEEDED',
          `the failback ${failback.executionName} to ${state.request.sourceRegion} ended ${failback.status}${failback.reason === null ? '' : `: ${failback.reason}`}`,
        ),
      );
    }
  }
  const status = findings.every((f) => f.ok) ? 'PASSED' : 'FAILED';
  return { status, findings, rtoSeconds, rpoSeconds, targets };
}
