import { scalingCalls } from '../../shared/failover/workloadScaling.ts';
import type { ApplicationConfig, LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { databaseLabel } from '../../shared/config/databases.ts';
import { DETECTION_REGION, detectionSignals, type DetectionSignal } from '../../shared/config/naming.ts';
import { checkFailoverInput } from '../../shared/failover/FailoverInput.ts';
import {
  functionOf,
  loadAsl,
  operationOf,
  type AslChoiceRule,
  type AslMachine,
  type AslState,
} from '../../shared/statemachines/aslModel.ts';
import { databasePromotion, DEFAULT_LATENCY, type LatencyModel } from '../world/LatencyModel.ts';
import { PRICES } from '../../bench/cost/prices.ts';
import { fenceVoteRegions, recordCheckShape, votesNeeded } from '../../shared/aws/CloudWatchFence.ts';

/** Route 53's list prices of a health check on an AWS endpoint and of each option (bench/cost/prices.ts). */
const ENDPOINT_CHECK_USD = PRICES.healthCheckAws.usd;
const CHECK_OPTION_USD = PRICES.healthCheckOptionAws.usd;

/**
 * The plan preview: the steps a failover would take for one application and target, read from the
 * state machine file itself (its states in order, its Parallel branches side by side, its status
 * loops), what each touches in the config, and how long each would take by the latency model. It
 * assumes every check passes: it is the path the workflow takes when it can act.
 */

export interface PlanStep {
  /** The state's name; a status loop is `Wait ⇄ Check`. */
  readonly name: string;
  readonly kind: 'detection' | 'task' | 'wait' | 'loop' | 'parallel';
  /** Seconds from the fault's onset (automatic) or from the start (manual). */
  readonly startsAt: number;
  readonly seconds: number;
  readonly touches: readonly string[];
  readonly note?: string;
  /** A status loop's expected number of rounds. */
  readonly rounds?: number;
  readonly branches?: readonly (readonly PlanStep[])[];
}

/** One stretch of the path that decides the RTO. */
export interface CriticalItem {
  readonly label: string;
  readonly seconds: number;
}

export interface FailoverPlan {
  readonly workflow: 'failover';
  readonly application: string;
  readonly sourceRegion: string;
  readonly targetRegion: string;
  readonly mode: 'automatic' | 'manual';
  readonly steps: readonly PlanStep[];
  /** When every DNS answer can name only the target, writable and ready (before the TTL). */
  readonly restoredAt: number;
  readonly rtoSeconds: number;
  readonly rtoTargetSeconds: number;
  readonly meetsRto: boolean;
  /** The stretches that add up to the RTO, longest first in `dominant`. */
  readonly critical: readonly CriticalItem[];
  readonly dominant: CriticalItem;
  readonly rpo: {
    readonly targetSeconds: number;
    readonly automaticBudgetSeconds: number;
    /** The stores promoted with the database (`stores`): the RPO is the worst lag among them all. */
    readonly stores: readonly string[];
  };
  /** Facts the reader must know: signals that cannot be read, APIs that will not answer, budgets. */
  readonly warnings: readonly string[];
  /** The endpoint checks' settings to choose from, with their price and detection (none: no endpoint check). */
  readonly endpointChecks?: EndpointChecks;
}

export interface EndpointChecks {
  /** The application's regions whose record has an endpoint check Lifeboat creates. */
  readonly regions: readonly string[];
  /** How many copies of the endpoint check each record's calculated check lists (and is billed for). */
  readonly checksPerRecord: number;
  readonly failureThreshold: number;
  readonly choices: readonly EndpointCheckChoice[];
}

export interface EndpointCheckChoice {
  readonly https: boolean;
  readonly intervalSeconds: 10 | 30;
  /** Route 53's list price for these checks, every region of the application, per month. */
  readonly monthlyUsd: number;
  /** Seconds of failed checks before Route 53 counts the endpoint unhealthy (and drops it from DNS). */
  readonly route53DetectsSeconds: number;
  /** When its HealthCheckStatus alarm (a detection signal) can change, from the outage. */
  readonly route53AlarmSeconds: number;
  /** The RTO of this plan with every region's check set this way. */
  readonly rtoSeconds: number;
  readonly meetsRto: boolean;
  /** Whether it is what the config says now. */
  readonly current: boolean;
}

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

/** What each state's choice reads when every check passes. */
const FAILOVER_ASSUMPTIONS: Readonly<Record<string, unknown>> = {
  '$.lock.acquired': true,
  '$.lockConfirmation.confirmed': true,
  // The plan is of the real run, which announces itself on Slack (a dry run does not).
  '$.request.dryRun': false,
  '$.decision.outcome': 'proceed',
  '$.database.writable': true,
  '$.workloads.ready': true,
  '$.change.insync': true,
  // The other regions' databases are seen to once the run is recorded: their rebuild is not waited for.
  '$.replicas.settled': true,
};

export interface Context {
  readonly config: LifeboatConfig;
  readonly app: ApplicationConfig;
  /** The workflow walked: its custom step points and its step notes follow it. */
  readonly workflow: 'failover' | 'switchover';
  readonly source: string;
  readonly target: string;
  readonly latency: LatencyModel;
  readonly paths: Readonly<Record<string, unknown>>;
  /** Lambdas already invoked once (warm from then on). */
  readonly warm: Set<string>;
  /** When each resource is really ready, and the path that led there. */
  readonly ready: Map<ReadyKey, { at: number; chain: CriticalItem[] }>;
  /**
   * How many weight steps the walk has set so far: a guarded shift passes its states once per step,
   * which the walk tells apart by this count.
   */
  readonly shift: { steps: number };
}

/**
 * What a choice reads, when every check passes: a value, or a function of the walk so far (the
 * guarded shift's `$.step.last`). A variable set to `undefined` is absent (`IsPresent: false`).
 */
export type Assumptions = Readonly<Record<string, unknown>>;

type ReadyKey = 'fence' | 'database' | 'nodes' | 'workloads' | 'dns' | 'replica' | 'standby' | 'followers';

interface Estimate {
  /** API calls the step makes (each `apiCallSeconds`). */
  readonly calls: number;
  readonly touches: readonly string[];
  readonly note?: string;
  /** A resource this step sets in motion and when (seconds after the step starts) it is ready. */
  readonly readies?: { key: ReadyKey; after: number; label: string; needs?: ReadyKey };
  /** The loop this check ends, by the resource it waits for. */
  readonly awaits?: ReadyKey;
}

export interface PlanOptions {
  readonly application: string;
  readonly targetRegion: string;
  readonly sourceRegion?: string;
  readonly mode?: 'automatic' | 'manual';
  readonly latency?: LatencyModel;
  readonly machine?: AslMachine;
}

/** Builds the plan; bad options throw `InvalidInputError` naming the field, as the workflow would. */
export function planFailover(config: LifeboatConfig, options: PlanOptions): FailoverPlan {
  const plan = planOnce(config, options);
  const endpointChecks = endpointCheckChoices(config, options, plan);
  return endpointChecks === undefined ? plan : { ...plan, endpointChecks };
}

/**
 * The endpoint checks' settings an application may choose (HTTPS or HTTP, a 10 s or 30 s interval),
 * each with its monthly price for the application's records and the failover it gives: when Route 53
 * sees the failure, and the RTO of the same plan with every region's check set that way.
 */
function endpointCheckChoices(
  config: LifeboatConfig,
  options: PlanOptions,
  plan: FailoverPlan,
): EndpointChecks | undefined {
  const app = config.applications.find((a) => a.name === plan.application);
  if (app === undefined) return undefined;
  const endpoints = app.regions.filter((r) => app.healthChecks[r]?.kind === 'endpoint');
  const sample = app.healthChecks[endpoints[0] ?? ''];
  if (sample?.kind !== 'endpoint') return undefined;
  // Each record's calculated check lists its endpoint check this many times (docs/fencing.md).
  const copies = recordCheckShape(fenceVoteRegions(config, app, endpoints[0] ?? '').length).endpointCopies;
  const latency = options.latency ?? DEFAULT_LATENCY;
  const choices: EndpointCheckChoice[] = [];
  for (const https of [true, false]) {
    for (const intervalSeconds of [10, 30] as const) {
      const changed: LifeboatConfig = {
        ...config,
        applications: config.applications.map((a) =>
          a !== app
            ? a
            : {
                ...a,
                healthChecks: Object.fromEntries(
                  Object.entries(a.healthChecks).map(([r, hc]) => [
                    r,
                    hc.kind === 'endpoint' ? { ...hc, https, intervalSeconds } : hc,
                  ]),
                ),
              },
        ),
      };
      const other = planOnce(changed, options);
      const failing = intervalSeconds * sample.failureThreshold;
      const perCheck =
        ENDPOINT_CHECK_USD + (https ? CHECK_OPTION_USD : 0) + (intervalSeconds === 10 ? CHECK_OPTION_USD : 0);
      choices.push({
        https,
        intervalSeconds,
        monthlyUsd: Math.round(perCheck * copies * endpoints.length * 100) / 100,
        route53DetectsSeconds: failing,
        route53AlarmSeconds: Math.ceil(failing / latency.alarmPeriodSeconds) * latency.alarmPeriodSeconds,
        rtoSeconds: other.rtoSeconds,
        meetsRto: other.meetsRto,
        current: sample.https === https && sample.intervalSeconds === intervalSeconds,
      });
    }
  }
  return { regions: endpoints, checksPerRecord: copies, failureThreshold: sample.failureThreshold, choices };
}

function planOnce(config: LifeboatConfig, options: PlanOptions): FailoverPlan {
  const request = checkFailoverInput(
    {
      application: options.application,
      targetRegion: options.targetRegion,
      ...(options.sourceRegion === undefined ? {} : { sourceRegion: options.sourceRegion }),
    },
    config,
    { now: new Date(0), currentPrimary: (a) => a.regions[0] ?? '' },
  );
  const app = config.applications.find((a) => a.name === request.application);
  if (app === undefined) throw new PlanError(`no application ${request.application}`);
  const latency = options.latency ?? DEFAULT_LATENCY;
  const machine = options.machine ?? loadAsl('failover');
  const warnings: string[] = [];
  let mode = options.mode ?? (app.automation.automaticFailover ? 'automatic' : 'manual');
  if (mode === 'automatic' && !app.automation.automaticFailover) {
    warnings.push(
      `automatic failover is off for ${app.name} (automation.automaticFailover): a person starts it`,
    );
    mode = 'manual';
  }
  const steps: PlanStep[] = [];
  let start = 0;
  let confirmationWaitSeconds = 0;
  const chain: CriticalItem[] = [];
  if (mode === 'automatic') {
    const detection = detect(config, app, request.sourceRegion, latency);
    warnings.push(...detection.warnings);
    if (detection.triggerAt === undefined) {
      mode = 'manual';
    } else {
      start = detection.triggerAt + latency.eventBridgeDeliverySeconds;
      confirmationWaitSeconds = Math.max(
        0,
        Math.ceil(app.automation.outageConfirmationSeconds - (start - detection.firstAt)),
      );
      steps.push({
        kind: 'detection',
        name: 'Detection',
        startsAt: 0,
        seconds: start,
        touches: detection.readable.map((s) => s.alarmName),
        note: `${app.detection.quorum} of ${detection.readable.length} readable signals in ALARM (quorum), then EventBridge starts the execution`,
      });
      chain.push({ label: 'Detection: a quorum of signals in ALARM, EventBridge', seconds: start });
    }
  }
  if (mode === 'manual') {
    warnings.push(
      `manual start: times are from the moment a person starts the failover, not from the outage`,
    );
  }
  if (app.automation.maxReplicaLagSeconds > app.targets.rpoSeconds) {
    warnings.push(
      `automation.maxReplicaLagSeconds (${app.automation.maxReplicaLagSeconds} s) is above the RPO target (${app.targets.rpoSeconds} s): an automatic failover may promote past the target`,
    );
  }
  const ctx: Context = {
    config,
    app,
    workflow: 'failover',
    shift: { steps: 0 },
    source: request.sourceRegion,
    target: request.targetRegion,
    latency,
    paths: { '$.request.confirmationWaitSeconds': confirmationWaitSeconds },
    warm: new Set(),
    ready: new Map(),
  };
  if (request.sourceRegion === DETECTION_REGION) {
    warnings.push(
      `${DETECTION_REGION} holds Route 53's control plane: while it is down, ShiftTraffic is retried until Route 53's API answers; the fence and the records' health checks already steer answers to ${request.targetRegion}`,
    );
  }
  // A record whose fence votes live in the failing region cannot be fenced or unfenced while it is
  // down (docs/fencing.md): the source's own must never be one; another is a warning.
  for (const region of app.regions) {
    const voters = fenceVoteRegions(config, app, region);
    const reachable = voters.filter((v) => v !== request.sourceRegion).length;
    const needed = votesNeeded(
      voters.length,
      region !== request.targetRegion,
      app.healthChecks[region]?.kind !== 'existing',
    );
    if (reachable >= needed) continue;
    warnings.push(
      region === request.sourceRegion
        ? `the fence of ${region}'s record is voted in ${voters.join(', ')}: while ${request.sourceRegion} is down FenceSource cannot fence it and is retried; add a control-plane region`
        : region === request.targetRegion
          ? `the fence of ${region}'s record is voted in ${voters.join(', ')}: while ${request.sourceRegion} is down FenceSource cannot unfence it and goes on without (listed as unreachable); only a fence an earlier run left on ${region} would keep it out of the answers until ${request.sourceRegion} returns`
          : `the fence of ${region}'s record is voted in ${voters.join(', ')}: while ${request.sourceRegion} is down FenceSource cannot fence it and goes on without (listed as unreachable); its database is not the writer, and Route 53's weights ${request.sourceRegion === DETECTION_REGION ? 'cannot move either while us-east-1 is down' : 'keep it out of the answers'}`,
    );
  }
  const walked = walk(machine, ctx, start, FAILOVER_ASSUMPTIONS, chain);
  steps.push(...walked.steps);

  const readies = (['fence', 'database', 'workloads'] as const).map((key) => {
    const r = ctx.ready.get(key);
    if (r === undefined)
      throw new PlanError(`the failover never makes ${key} ready; the plan cannot follow it`);
    return r;
  });
  const last = readies.reduce((a, b) => (b.at > a.at ? b : a));
  const ttl = app.dns.ttlSeconds;
  const critical = [...last.chain, { label: `DNS TTL of ${app.dns.recordName}`, seconds: ttl }];
  const rtoSeconds = round(last.at + ttl);
  const dominant = critical.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  return {
    workflow: 'failover',
    application: app.name,
    sourceRegion: request.sourceRegion,
    targetRegion: request.targetRegion,
    mode,
    steps,
    restoredAt: round(last.at),
    rtoSeconds,
    rtoTargetSeconds: app.targets.rtoSeconds,
    meetsRto: rtoSeconds <= app.targets.rtoSeconds,
    critical: critical.map((c) => ({ ...c, seconds: round(c.seconds) })),
    dominant: { ...dominant, seconds: round(dominant.seconds) },
    rpo: {
      targetSeconds: app.targets.rpoSeconds,
      automaticBudgetSeconds: app.automation.maxReplicaLagSeconds,
      stores: app.stores.map((s) => s.name),
    },
    warnings,
  };
}

/**
 * When the trigger would act: each signal readable during an outage of `source` goes to ALARM after
 * its checks fail (Route 53: interval × threshold, seen at the next alarm period; probes: interval ×
 * threshold); the trigger acts on the quorum-th.
 */
function detect(
  config: LifeboatConfig,
  app: ApplicationConfig,
  source: string,
  latency: LatencyModel,
): { triggerAt?: number; firstAt: number; readable: DetectionSignal[]; warnings: string[] } {
  const warnings: string[] = [];
  const signals = detectionSignals({
    controlPlaneRegions: config.controlPlaneRegions,
    applications: [app],
  }).filter((s) => s.region === source);
  // A signal whose alarm lives in the failed region cannot be read while it is down.
  const readable = signals.filter((s) => s.alarmRegion !== source);
  for (const s of signals.filter((x) => x.alarmRegion === source)) {
    warnings.push(`${s.alarmName} lives in ${source} and cannot be read while ${source} is down`);
  }
  const check = app.healthChecks[source];
  const times = readable
    .map((s) => {
      if (s.kind === 'route53') {
        const failing = check?.kind === 'endpoint' ? check.intervalSeconds * check.failureThreshold : 30 * 3; // Route 53's defaults
        return Math.ceil(failing / latency.alarmPeriodSeconds) * latency.alarmPeriodSeconds;
      }
      // A region that is down does not answer: the last probe fails at its timeout.
      return (
        app.detection.probeIntervalSeconds * app.detection.probeFailureThreshold + latency.probeTimeoutSeconds
      );
    })
    .sort((a, b) => a - b);
  const quorum = app.detection.quorum;
  const triggerAt = times[quorum - 1];
  if (triggerAt === undefined) {
    warnings.push(
      `automatic failover cannot start during an outage of ${source}: ${readable.length} signal(s) can be read and detection.quorum is ${quorum}; a person must start it`,
    );
    return { firstAt: times[0] ?? 0, readable, warnings };
  }
  return { triggerAt, firstAt: times[0] ?? 0, readable, warnings };
}

export function walk(
  machine: AslMachine,
  ctx: Context,
  start: number,
  assumptions: Assumptions,
  chainIn: readonly CriticalItem[],
): { steps: PlanStep[]; end: number } {
  const steps: PlanStep[] = [];
  const chain = [...chainIn];
  // A status loop: Wait → Task → Choice whose rules lead back to the Wait.
  const loopHeads = new Set(
    Object.entries(machine.States)
      .filter(([name, s]) => {
        if (s.Type !== 'Wait' || s.Next === undefined) return false;
        const check = machine.States[s.Next];
        const choice = check?.Next === undefined ? undefined : machine.States[check.Next];
        return (
          choice?.Type === 'Choice' &&
          [choice.Default, ...(choice.Choices ?? []).map((c) => c.Next)].includes(name)
        );
      })
      .map(([name]) => name),
  );
  let t = start;
  let name: string | undefined = machine.StartAt;
  // A state is passed once, or once per weight step of a guarded shift.
  const seen = new Set<string>();
  const visit = (state: string) => seen.add(`${state}#${ctx.shift.steps}`);
  while (name !== undefined) {
    if (seen.has(`${name}#${ctx.shift.steps}`))
      throw new PlanError(`the path loops back to ${name} with every check passing`);
    visit(name);
    const state: AslState | undefined = machine.States[name];
    if (state === undefined) throw new PlanError(`no state ${name}`);
    const transition = ctx.latency.stepFunctionsTransitionSeconds;
    if (state.Type === 'Task' && state.Parameters?.operation === 'judgeCustomSteps') {
      // Part of the point's custom steps, shown with them: nothing to judge when every check passes.
      name = state.Next;
      continue;
    }
    const retried = state.Type === 'Task' ? retryLoop(machine, name, state) : undefined;
    if (state.Type === 'Task' && retried !== undefined) {
      const loop = taskLoop(machine, name, state, retried, ctx, t, chain, assumptions);
      steps.push(loop.step);
      chain.push({ label: loop.step.name, seconds: loop.step.seconds });
      t += loop.step.seconds;
      visit(retried.choice);
      visit(retried.wait);
      name = loop.next;
      continue;
    } else if (state.Type === 'Task') {
      const { step, estimate } = task(name, state, ctx, t);
      steps.push(step);
      chain.push({ label: name, seconds: step.seconds });
      if (estimate.readies !== undefined) setReady(ctx, estimate.readies, t + step.seconds, chain);
      t += step.seconds;
    } else if (state.Type === 'Wait' && loopHeads.has(name)) {
      const loop = statusLoop(machine, name, state, ctx, t, assumptions);
      steps.push(loop.step);
      chain.push({ label: loop.step.name, seconds: loop.step.seconds });
      t += loop.step.seconds;
      visit(loop.check);
      visit(loop.choice);
      name = loop.next;
      continue;
    } else if (state.Type === 'Wait') {
      const seconds = waitSeconds(name, state, ctx);
      steps.push({
        kind: 'wait',
        name,
        startsAt: t,
        seconds,
        touches: [],
        ...(state.Comment ? { note: state.Comment } : {}),
      });
      chain.push({ label: name, seconds });
      t += seconds + transition;
    } else if (state.Type === 'Parallel') {
      const branches = (state.Branches ?? []).map((b) => walk(b, ctx, t, assumptions, chain));
      const end = Math.max(t, ...branches.map((b) => b.end));
      steps.push({
        kind: 'parallel',
        name,
        startsAt: t,
        seconds: end - t,
        touches: [],
        ...(state.Comment ? { note: state.Comment } : {}),
        branches: branches.map((b) => b.steps),
      });
      chain.push({ label: name, seconds: end - t });
      t = end + transition;
    } else if (state.Type === 'Map') {
      const step = customStepsAt(name, state, ctx, t);
      if (step !== undefined) {
        steps.push(step);
        chain.push({ label: name, seconds: step.seconds });
        t += step.seconds + transition;
      }
    } else if (state.Type === 'Choice') {
      name = choose(name, state, assumptions, ctx);
      continue;
    } else if (state.Type === 'Fail' || state.Type === 'Succeed') {
      break;
    }
    name = state.End === true ? undefined : state.Next;
  }
  return { steps, end: t };
}

/**
 * A point's custom steps (a Map over the configured steps, one after another): each step's time when
 * it succeeds at once (a function's answer, a Job's run), and what it may take at most. Nothing when
 * the application has no step at that point.
 */
function customStepsAt(name: string, state: AslState, ctx: Context, t: number): PlanStep | undefined {
  // A definition deployed as two workflows takes the workflow from the run (`workflow.$`).
  const workflow =
    state.ItemSelector?.workflow ??
    (state.ItemSelector?.['workflow.$'] === undefined ? undefined : ctx.workflow);
  const point = state.ItemSelector?.point;
  if (typeof workflow !== 'string' || typeof point !== 'string') {
    throw new PlanError(
      `Map state ${name} is not a custom steps point (no workflow and point in its ItemSelector)`,
    );
  }
  const steps = ctx.app.customSteps.filter((s) => s.at === `${workflow}.${point}`);
  if (steps.length === 0) return undefined;
  const { latency } = ctx;
  const each = steps.map((s) => {
    const where =
      s.kind === 'lambda'
        ? `Lambda function ${typeof s.functionArn === 'string' ? s.functionArn : (s.functionArn[ctx.target] ?? '?')}`
        : `Kubernetes Job in ${s.region === 'target' ? ctx.target : s.region === 'source' ? ctx.source : s.region} (namespace ${s.namespace})`;
    const seconds = s.kind === 'lambda' ? latency.customFunctionSeconds : latency.kubernetesJobSeconds + 10;
    const attempts = s.retries + 1;
    return {
      seconds: seconds + 2 * latency.stepFunctionsTransitionSeconds + latency.apiCallSeconds,
      touches: `custom step ${s.name}: ${where}; at most ${s.timeoutSeconds} s × ${attempts} attempt${attempts === 1 ? '' : 's'}, onFailure ${s.onFailure}`,
    };
  });
  return {
    kind: 'task',
    name,
    startsAt: t,
    seconds: each.reduce((sum, e) => sum + e.seconds, 0),
    touches: each.map((e) => e.touches),
    note: `the team's custom steps at ${workflow}.${point}, one after another (docs/custom-steps.md)`,
  };
}

function choose(name: string, state: AslState, assumptions: Assumptions, ctx: Context): string {
  for (const rule of state.Choices ?? []) {
    if (matches(name, rule, assumptions, ctx) && rule.Next !== undefined) return rule.Next;
  }
  if (state.Default === undefined) throw new PlanError(`choice ${name} matches no rule and has no Default`);
  return state.Default;
}

/** The parts of a choice rule the plan evaluates. */
const CHOICE_KEYS: ReadonlySet<string> = new Set([
  'Variable',
  'Next',
  'BooleanEquals',
  'StringEquals',
  'NumericEquals',
  'IsPresent',
  'And',
  'Or',
  'Not',
]);

/** Whether a choice rule holds under the assumptions (comparisons, `IsPresent`, `And`, `Or`, `Not`). */
function matches(name: string, rule: AslChoiceRule, assumptions: Assumptions, ctx: Context): boolean {
  const compound = rule as AslChoiceRule & {
    And?: readonly AslChoiceRule[];
    Or?: readonly AslChoiceRule[];
    Not?: AslChoiceRule;
    IsPresent?: boolean;
  };
  const unknown = Object.keys(rule).filter((k) => !CHOICE_KEYS.has(k));
  if (unknown.length > 0) {
    throw new PlanError(`choice ${name} compares with ${unknown.join(', ')}, which the plan cannot evaluate`);
  }
  if (compound.And !== undefined) return compound.And.every((r) => matches(name, r, assumptions, ctx));
  if (compound.Or !== undefined) return compound.Or.some((r) => matches(name, r, assumptions, ctx));
  if (compound.Not !== undefined) return !matches(name, compound.Not, assumptions, ctx);
  if (rule.Variable === undefined || !(rule.Variable in assumptions)) {
    throw new PlanError(
      `choice ${name} reads ${rule.Variable ?? '(a rule with no variable)'}, which the plan has no assumption for`,
    );
  }
  const assumed = assumptions[rule.Variable];
  const value = typeof assumed === 'function' ? (assumed as (c: Context) => unknown)(ctx) : assumed;
  if (compound.IsPresent !== undefined) return (value !== undefined) === compound.IsPresent;
  return value === (rule.BooleanEquals ?? rule.StringEquals ?? rule.NumericEquals);
}

/**
 * A retried task: `Task → Choice` whose way back is `Wait → Task` (PrepareReplica ⇄ WaitForReplica,
 * SwitchWriter ⇄ WaitForCatchUp); undefined for any other task.
 */
function retryLoop(
  machine: AslMachine,
  name: string,
  state: AslState,
): { readonly choice: string; readonly wait: string } | undefined {
  const choiceName = state.Next;
  const choice = choiceName === undefined ? undefined : machine.States[choiceName];
  if (choiceName === undefined || choice?.Type !== 'Choice') return undefined;
  const back = [choice.Default, ...(choice.Choices ?? []).map((c) => c.Next)].find((n) => {
    const wait = n === undefined ? undefined : machine.States[n];
    return wait?.Type === 'Wait' && wait.Next === name;
  });
  return back === undefined ? undefined : { choice: choiceName, wait: back };
}

/** A retried task's rounds: it runs, and runs again after each wait, until what it awaits is ready. */
function taskLoop(
  machine: AslMachine,
  name: string,
  state: AslState,
  retried: { readonly choice: string; readonly wait: string },
  ctx: Context,
  t: number,
  chain: readonly CriticalItem[],
  assumptions: Assumptions,
): { step: PlanStep; next: string } {
  const first = task(name, state, ctx, t);
  if (first.estimate.readies !== undefined) {
    setReady(ctx, first.estimate.readies, t + first.step.seconds, [
      ...chain,
      { label: name, seconds: first.step.seconds },
    ]);
  }
  const waitState = retried.wait;
  const wait = machine.States[waitState];
  const choice = machine.States[retried.choice];
  if (wait === undefined || choice === undefined)
    throw new PlanError(`no state ${waitState} or ${retried.choice}`);
  const interval = waitSeconds(waitState, wait, ctx);
  const awaited = first.estimate.awaits === undefined ? undefined : ctx.ready.get(first.estimate.awaits);
  const remaining = awaited === undefined ? 0 : Math.max(0, awaited.at - (t + first.step.seconds));
  const again = Math.ceil(remaining / interval);
  const seconds =
    first.step.seconds +
    again * (interval + first.step.seconds + 2 * ctx.latency.stepFunctionsTransitionSeconds);
  return {
    step: {
      ...first.step,
      ...(again === 0 ? {} : { kind: 'loop' as const, name: `${name} ⇄ ${waitState}`, rounds: again + 1 }),
      seconds,
      ...(again === 0
        ? {}
        : {
            note: `again every ${interval} s until ${retried.choice} passes (ready about ${fmt(remaining)} after the first call)`,
          }),
    },
    next: choose(retried.choice, choice, assumptions, ctx),
  };
}

function waitSeconds(name: string, state: AslState, ctx: Context): number {
  if (state.Seconds !== undefined) return state.Seconds;
  if (state.SecondsPath !== undefined && state.SecondsPath in ctx.paths) {
    return Number(ctx.paths[state.SecondsPath]);
  }
  throw new PlanError(`wait ${name} has no duration the plan can work out`);
}

/** A `Wait → Check → Choice` loop: rounds of the wait until the resource the check reads is ready. */
function statusLoop(
  machine: AslMachine,
  name: string,
  wait: AslState,
  ctx: Context,
  t: number,
  assumptions: Readonly<Record<string, unknown>>,
): { step: PlanStep; check: string; choice: string; next: string } {
  const checkName = wait.Next;
  const check = checkName === undefined ? undefined : machine.States[checkName];
  const choiceName = check?.Next;
  const choice = choiceName === undefined ? undefined : machine.States[choiceName];
  if (
    checkName === undefined ||
    check?.Type !== 'Task' ||
    choiceName === undefined ||
    choice?.Type !== 'Choice'
  ) {
    throw new PlanError(`the loop at ${name} is not Wait → Task → Choice`);
  }
  const interval = waitSeconds(name, wait, ctx);
  const probe = task(checkName, check, ctx, t);
  const awaited = probe.estimate.awaits === undefined ? undefined : ctx.ready.get(probe.estimate.awaits);
  const remaining = awaited === undefined ? 0 : Math.max(0, awaited.at - t);
  const rounds = Math.max(1, Math.ceil(remaining / interval));
  const seconds = rounds * (interval + probe.step.seconds + 2 * ctx.latency.stepFunctionsTransitionSeconds);
  return {
    step: {
      kind: 'loop',
      name: `${name} ⇄ ${checkName}`,
      startsAt: t,
      seconds,
      rounds,
      touches: probe.step.touches,
      note: `every ${interval} s until ${choiceName} passes${awaited === undefined ? '' : ` (ready about ${fmt(remaining)} after the loop starts)`}`,
    },
    check: checkName,
    choice: choiceName,
    next: choose(choiceName, choice, assumptions, ctx),
  };
}

function setReady(
  ctx: Context,
  readies: NonNullable<Estimate['readies']>,
  stepEnd: number,
  chain: readonly CriticalItem[],
): void {
  let at = stepEnd + readies.after;
  let path = [...chain, { label: readies.label, seconds: readies.after }];
  const needed = readies.needs === undefined ? undefined : ctx.ready.get(readies.needs);
  if (needed !== undefined && needed.at + readies.after > at) {
    at = needed.at + readies.after;
    path = [...needed.chain, { label: readies.label, seconds: readies.after }];
  }
  ctx.ready.set(readies.key, { at, chain: path });
}

function task(
  name: string,
  state: AslState,
  ctx: Context,
  t: number,
): { step: PlanStep; estimate: Estimate } {
  const operation = operationOf(state);
  const fn = functionOf(state) ?? state.Resource ?? name;
  if (operation === undefined) throw new PlanError(`task ${name} names no operation`);
  const estimator = ESTIMATORS[operation];
  if (estimator === undefined) {
    throw new PlanError(
      `no estimate for operation ${operation} (state ${name}); add one to local/plan/FailoverPlan.ts`,
    );
  }
  const estimate = estimator(ctx, state);
  const { latency } = ctx;
  const start = ctx.warm.has(fn) ? latency.lambdaWarmStartSeconds : latency.lambdaColdStartSeconds;
  ctx.warm.add(fn);
  const seconds = latency.stepFunctionsTransitionSeconds + start + estimate.calls * latency.apiCallSeconds;
  return {
    step: {
      kind: 'task',
      name,
      startsAt: t,
      seconds,
      touches: estimate.touches,
      ...(estimate.note === undefined ? {} : { note: estimate.note }),
    },
    estimate,
  };
}

function healthCheckOf(app: ApplicationConfig, region: string): string {
  const check = app.healthChecks[region];
  if (check === undefined) return `Route 53 health check of ${region}`;
  return check.kind === 'existing'
    ? `Route 53 health check ${check.healthCheckId} (${region})`
    : `Route 53 health check of ${check.https ? 'https' : 'http'}://${check.endpoint}${check.path} (${region})`;
}

function databaseOf(app: ApplicationConfig, region: string): string {
  return `${databaseLabel(app, region)} (${region})`;
}

/** Whether the target's pods need new nodes: the same packing the simulated world uses. */
function needsNodes(app: ApplicationConfig, region: string): boolean {
  const w = app.workloads[region];
  if (w === undefined || w.nodeGroups.length === 0) return false;
  const activeNodes = w.nodeGroups.reduce((s, g) => s + g.activeSize, 0);
  const standbyNodes = w.nodeGroups.reduce((s, g) => s + g.standbySize, 0);
  const activePods = w.deployments.reduce((s, d) => s + d.activeReplicas, 0);
  const neededPods = w.deployments.reduce((s, d) => s + (d.minReadyReplicas ?? d.activeReplicas), 0);
  if (activeNodes === 0) return false;
  return neededPods > standbyNodes * Math.ceil(activePods / activeNodes);
}

const ledger = (ctx: Context) => `DynamoDB table ${ctx.config.ledger.tableName}`;

/** Per step operation: its API calls, what it touches, and what it sets in motion. */
const ESTIMATORS: Readonly<Record<string, (ctx: Context, state: AslState) => Estimate>> = {
  validateInput: (ctx) => ({
    calls: 1,
    touches: [`Route 53 weights of ${ctx.app.dns.recordName} (zone ${ctx.app.dns.hostedZoneId})`],
  }),
  acquireLock: (ctx) => ({ calls: 1, touches: [`${ledger(ctx)}: lock of ${ctx.app.name} (${ctx.target})`] }),
  confirmLock: (ctx) => {
    const others = ctx.config.controlPlaneRegions.filter((r) => r !== ctx.target);
    return {
      calls: 1 + others.length,
      touches: [`${ledger(ctx)}: lock of ${ctx.app.name} in ${[ctx.target, ...others].join(', ')}`],
    };
  },
  releaseLock: (ctx) => ({ calls: 1, touches: [`${ledger(ctx)}: lock of ${ctx.app.name}`] }),
  // Shown with its point's custom steps; the walk passes it by when every step succeeds.
  judgeCustomSteps: () => ({ calls: 0, touches: [] }),
  checkTarget: (ctx) => ({ calls: 1, touches: [healthCheckOf(ctx.app, ctx.target)] }),
  checkSource: (ctx) => {
    const signals = detectionSignals({
      controlPlaneRegions: ctx.config.controlPlaneRegions,
      applications: [ctx.app],
    }).filter((s) => s.region === ctx.source);
    return { calls: signals.length, touches: signals.map((s) => `alarm ${s.alarmName} (${s.alarmRegion})`) };
  },
  checkReplicaLag: (ctx) => ({ calls: 1, touches: [`replica lag of ${databaseOf(ctx.app, ctx.target)}`] }),
  checkCooldown: (ctx) => ({ calls: 1, touches: [`${ledger(ctx)}: last failovers of ${ctx.app.name}`] }),
  checkTargetCluster: (ctx) => ({
    calls: 1,
    touches: [`EKS cluster ${ctx.app.workloads[ctx.target]?.clusterName ?? '?'} (${ctx.target})`],
  }),
  decide: () => ({
    calls: 0,
    touches: [],
    note: 'proceed, stop with the reasons, or (dry run) list the plan',
  }),
  fenceSource: (ctx) => {
    const fenced = ctx.app.regions.filter((r) => r !== ctx.target);
    return {
      calls: fenced.length,
      touches: fenced.map((r) => `fence metric and alarm of ${r}`),
      readies: {
        key: 'fence',
        after: ctx.latency.fenceAlarmPeriodSeconds,
        label: `fence alarms take effect (${fenced.join(', ')} out of DNS answers)`,
      },
    };
  },
  promoteDatabase: (ctx) => {
    const { seconds, label } = databasePromotion(ctx.app.database, ctx.latency, false);
    // Each store's failover runs beside the promotion; the later of them makes the target writable.
    const stores = ctx.app.stores.map(
      (s) =>
        `Global Datastore ${s.globalReplicationGroupId} (store ${s.name}) → ${s.replicationGroups[ctx.target] ?? '?'}`,
    );
    return {
      calls: 2 + 2 * stores.length,
      touches: [databaseOf(ctx.app, ctx.target), ...stores],
      readies: {
        key: 'database',
        after: stores.length === 0 ? seconds : Math.max(seconds, ctx.latency.storeFailoverSeconds),
        label,
      },
    };
  },
  checkDatabase: (ctx) => ({
    calls: 1 + ctx.app.stores.length,
    touches: [
      databaseOf(ctx.app, ctx.target),
      ...ctx.app.stores.map((s) => `store ${s.name} in ${ctx.target}`),
    ],
    awaits: 'database',
  }),
  scaleNodeGroups: (ctx) => {
    const w = ctx.app.workloads[ctx.target];
    const groups = w?.nodeGroups ?? [];
    return {
      calls: groups.length,
      touches: groups.map(
        (g) =>
          `node group ${w?.clusterName ?? '?'}/${g.name}: ${g.standbySize} → ${g.activeSize} (max ${g.maxSize ?? g.activeSize})`,
      ),
      ...(needsNodes(ctx.app, ctx.target)
        ? {
            readies: {
              key: 'nodes' as const,
              after: ctx.latency.nodeGroupScaleUpSeconds,
              label: 'new nodes join the cluster',
            },
          }
        : {}),
    };
  },
  scaleDeployments: (ctx) => {
    const w = ctx.app.workloads[ctx.target];
    const deployments = w?.deployments ?? [];
    return {
      calls: deployments.reduce((sum, d) => sum + scalingCalls(d, 'active'), 0),
      touches: deployments.map(
        (d) =>
          `${d.kind} ${d.namespace}/${d.name}: ${d.standbyReplicas} → ${d.activeReplicas} (ready ≥ ${d.minReadyReplicas ?? d.activeReplicas})${d.autoscaler === undefined ? '' : `, held by ${d.autoscaler.kind} ${d.autoscaler.name}'s minimum`}`,
      ),
      readies: {
        key: 'workloads',
        after: ctx.latency.podStartSeconds,
        label: 'pods start and pass readiness',
        ...(ctx.ready.has('nodes') ? { needs: 'nodes' as const } : {}),
      },
    };
  },
  checkWorkloads: (ctx) => ({
    calls: ctx.app.workloads[ctx.target]?.deployments.length ?? 0,
    touches: (ctx.app.workloads[ctx.target]?.deployments ?? []).map(
      (d) => `${d.kind} ${d.namespace}/${d.name}`,
    ),
    awaits: 'workloads',
  }),
  shiftTraffic: (ctx) => ({
    calls: 1,
    touches: [`Route 53 record ${ctx.app.dns.recordName}: ${ctx.source} → 0, ${ctx.target} → 100`],
    readies: { key: 'dns', after: ctx.latency.route53InsyncSeconds, label: 'Route 53 change INSYNC' },
    ...(ctx.source === DETECTION_REGION ? { note: "retried until Route 53's API answers" } : {}),
  }),
  checkChange: () => ({ calls: 1, touches: ['Route 53 change status'], awaits: 'dns' }),
  verifyTarget: (ctx) => ({ calls: 1, touches: [healthCheckOf(ctx.app, ctx.target)] }),
  record: (ctx) => ({ calls: 1, touches: [`${ledger(ctx)}: run record with RTO and RPO`] }),
  followWriter: (ctx) => {
    const others = ctx.app.regions.filter((r) => r !== ctx.target && r !== ctx.source);
    const engine = ctx.app.database.engine;
    const aurora = engine === 'aurora-global';
    const cnpg = engine === 'cloudnativepg';
    return {
      calls: others.length * (aurora ? 1 : cnpg ? 2 : 3),
      touches: others.map((r) =>
        aurora
          ? `${databaseOf(ctx.app, r)}: read; Aurora rebuilds it from ${ctx.target} itself`
          : cnpg
            ? `${databaseOf(ctx.app, r)}: if it replicates from ${ctx.source}, its spec.replica.primary and source re-pointed at ${ctx.target}`
            : `${databaseOf(ctx.app, r)}: if it replicates from ${ctx.source}, renamed and kept, and a read replica of ${ctx.target} created in its place`,
      ),
      ...(ctx.workflow === 'failover'
        ? { note: 'after the run is recorded and announced: not on the RTO path' }
        : // Asked again until each region follows or is building (an RDS replica is renamed first).
          aurora || cnpg || others.length === 0
          ? {}
          : {
              readies: {
                key: 'followers',
                after: ctx.latency.rdsRenameSeconds,
                label: 'old replicas renamed',
              },
              awaits: 'followers',
            }),
    };
  },
  notify: (ctx) => ({ calls: 1, touches: [`Slack channel ${ctx.config.slack.channelId}`] }),
  notifyFailure: (ctx) => ({ calls: 1, touches: [`Slack channel ${ctx.config.slack.channelId}`] }),
  notifyPhase: (ctx) => ({
    calls: 1,
    touches: [`Slack channel ${ctx.config.slack.channelId}: the incident's thread`],
  }),
  requestApproval: (ctx) => ({
    calls: 2,
    touches: [`Slack channel ${ctx.config.slack.channelId}`, `${ledger(ctx)}: approval of this run`],
    note: `waits for Approve or Reject on Slack, up to ${ctx.config.slack.approvalTimeoutSeconds} s`,
  }),
  closeApproval: (ctx) => ({
    calls: 2,
    touches: [`Slack message of the approval`, `${ledger(ctx)}: approval of this run`],
  }),
  // The guarded move's own operations (statemachines/failback.asl.json, as lifeboat-switchover).
  validateFailback: (ctx) => ({
    calls: 2,
    touches: [
      `Route 53 weights of ${ctx.app.dns.recordName} (zone ${ctx.app.dns.hostedZoneId})`,
      `${ledger(ctx)}: a failed run of ${ctx.app.name} to finish`,
    ],
  }),
  checkReplica: (ctx) => ({
    calls: 2 + ctx.app.stores.length,
    touches: [
      `replica lag of ${databaseOf(ctx.app, ctx.target)}`,
      ...ctx.app.stores.map((s) => `store ${s.name}'s member in ${ctx.target}`),
    ],
  }),
  decideFailback: () => ({
    calls: 0,
    touches: [],
    note: 'proceed, stop with the reasons, or (dry run) list the plan',
  }),
  ensureReplica: (ctx, state) => {
    if (state.Parameters?.which === 'standby') {
      const engine = ctx.app.database.engine;
      // Aurora's switchover and CloudNativePG's demotion leave the old primary a replica of the target.
      const kept = engine === 'aurora-global' || engine === 'cloudnativepg';
      return {
        calls: 2,
        touches: [
          engine === 'aurora-global'
            ? `${databaseOf(ctx.app, ctx.source)}: a secondary of ${ctx.target} since the switchover`
            : engine === 'cloudnativepg'
              ? `${databaseOf(ctx.app, ctx.source)}: a replica cluster of ${ctx.target} since its demotion`
              : `${databaseOf(ctx.app, ctx.source)}: renamed and kept, a read replica of ${ctx.target} created in its place`,
        ],
        readies: {
          key: 'standby',
          after: kept
            ? 0
            : ctx.latency.rdsRenameSeconds +
              ctx.latency.rdsReplicaCreateSeconds +
              ctx.latency.rdsReplicaCatchUpSeconds,
          label: kept
            ? 'the old primary stays a synchronized replica'
            : 'the old primary rebuilt as a caught-up replica',
        },
        awaits: 'standby',
      };
    }
    return {
      calls: 2,
      touches: [`${databaseOf(ctx.app, ctx.target)}: a caught-up replica of ${ctx.source}`],
      note: `ready at once when the preflight found it caught up; a missing or stale replica is built first (about ${fmt(ctx.latency.rdsReplicaCreateSeconds + ctx.latency.rdsReplicaCatchUpSeconds)})`,
    };
  },
  unfenceTarget: (ctx) => ({
    calls: fenceVoteRegions(ctx.config, ctx.app, ctx.target).length,
    touches: [`fence metric and alarm of ${ctx.target}`],
  }),
  shiftStep: (ctx) => {
    const steps = ctx.app.dns.failback.steps;
    const percent = steps[ctx.shift.steps];
    if (percent === undefined) {
      throw new PlanError(
        `the shift passes more steps than dns.failback.steps has (${steps.length}): the last step's choice never ends it`,
      );
    }
    ctx.shift.steps += 1;
    return {
      calls: 2,
      touches: [
        `Route 53 record ${ctx.app.dns.recordName}: ${ctx.target} → ${percent} %, ${ctx.source} → ${100 - percent} %`,
        healthCheckOf(ctx.app, ctx.target),
      ],
      readies: { key: 'dns', after: ctx.latency.route53InsyncSeconds, label: 'Route 53 change INSYNC' },
    };
  },
  guardStep: (ctx) => ({
    calls: 1,
    touches: [
      `load balancer ${ctx.app.dns.failback.loadBalancers[ctx.target] ?? '?'} (${ctx.target}): 5xx rate ≤ ${ctx.app.dns.failback.maxErrorRatePercent} %, p99 ≤ ${ctx.app.dns.failback.maxLatencyMs} ms`,
    ],
    note: 'a breach rolls the weights back to the last good step and ends the run',
  }),
  rollBack: (ctx) => ({ calls: 1, touches: [`Route 53 record ${ctx.app.dns.recordName}`] }),
  switchWriter: (ctx) => {
    const engine = ctx.app.database.engine;
    const { seconds, label } = databasePromotion(ctx.app.database, ctx.latency, true);
    const stores = ctx.app.stores.map(
      (s) =>
        `Global Datastore ${s.globalReplicationGroupId} (store ${s.name}) → ${s.replicationGroups[ctx.target] ?? '?'}, once its member lags under 1 s`,
    );
    return {
      calls: 3 + 2 * stores.length,
      touches: [
        engine === 'aurora-global'
          ? `${databaseOf(ctx.app, ctx.target)}: Aurora global switchover (no data loss)`
          : engine === 'cloudnativepg'
            ? `${databaseOf(ctx.app, ctx.source)} demoted, then ${databaseOf(ctx.app, ctx.target)} promoted with its demotion token (no data loss)`
            : `${databaseOf(ctx.app, ctx.target)}: promoted once its replica lag is 0`,
        ...stores,
      ],
      readies: {
        key: 'database',
        after: stores.length === 0 ? seconds : Math.max(seconds, ctx.latency.storeFailoverSeconds),
        label,
      },
    };
  },
  unfenceStandbys: (ctx) => ({
    calls: ctx.app.regions.length * 2,
    touches: ctx.app.regions
      .filter((r) => r !== ctx.target)
      .map((r) => `fence metric and alarm of ${r}, once its database replicates from ${ctx.target}`),
  }),
  scaleDownSource: (ctx) => {
    const w = ctx.app.workloads[ctx.source];
    return {
      calls: (w?.deployments.length ?? 0) + (w?.nodeGroups.length ?? 0),
      touches: [
        ...(w?.deployments ?? []).map(
          (d) => `${d.kind} ${d.namespace}/${d.name} (${ctx.source}): → ${d.standbyReplicas}`,
        ),
        ...(w?.nodeGroups ?? []).map(
          (g) => `node group ${w?.clusterName ?? '?'}/${g.name} (${ctx.source}): → ${g.standbySize}`,
        ),
      ],
    };
  },
  recordFailback: (ctx) => ({ calls: 1, touches: [`${ledger(ctx)}: run record`] }),
};

/** Operations the plan can estimate (a test checks the failover uses no other). */
export const ESTIMATED_OPERATIONS: readonly string[] = Object.keys(ESTIMATORS);

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}

function fmt(seconds: number): string {
  return `${round(seconds)} s`;
}
