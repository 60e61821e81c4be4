import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ScenarioError } from '../../shared/errors.ts';
import { DynamoApprovals } from '../../shared/aws/DynamoApprovals.ts';
import type { ApprovalStore } from '../../shared/ports/Approvals.ts';
import type { Ledger } from '../../shared/ports/Ledger.ts';
import { trackPort } from '../clock/trackPort.ts';
import { RUN_KINDS } from '../../shared/ports/Ledger.ts';
import { VirtualClock } from '../clock/VirtualClock.ts';
import { formatViolation, InvariantChecker } from '../invariants/InvariantChecker.ts';
import { EmbeddedDynamo } from '../ledger/EmbeddedDynamo.ts';
import { ReplicatedLedger } from '../ledger/ReplicatedLedger.ts';
import type { Report, ReportApplication, ReportExecution, ReportRegion } from '../report/Report.ts';
import { loadDefinition } from '../runner/loadDefinition.ts';
import { localSubstitutions, workflowFiles } from '../runner/localBindings.ts';
import { WorkflowRunner, type ExecutionRecord, type LocalFunction } from '../runner/WorkflowRunner.ts';
import type { Scenario, ScenarioEvent } from '../scenario/Scenario.ts';
import type { TimelineEntry } from '../world/World.ts';
import type { AwsCallRecord } from '../twin/types.ts';
import { World } from '../world/World.ts';
import { seriesOf, watchSeries } from '../report/series.ts';

export const STATEMACHINES_DIR = fileURLToPath(new URL('../../statemachines/', import.meta.url));

/** What the local functions of a rehearsal are built from. */
export interface SimulationContext {
  readonly scenario: Scenario;
  readonly world: World;
  readonly clock: VirtualClock;
  /** The ledger replica of the first control-plane region (what the report reads). */
  readonly ledger: Ledger;
  /** The ledger replica of a control-plane region: a global table with replication delay. */
  readonly ledgerIn: (region: string) => Ledger;
  /**
   * The approvals, in the first control-plane region's table. (In AWS each region reads its own
   * replica; a person's press comes seconds after the post, long after replication.)
   */
  readonly approvals: ApprovalStore;
  readonly runner: () => WorkflowRunner;
  /** The ledger's replicas, for code that writes to them through DynamoDB's API (the AWS twin). */
  readonly replicatedLedger: ReplicatedLedger;
  /** The embedded DynamoDB. */
  readonly dynamo: EmbeddedDynamo;
  /** The functions' AWS calls, as the AWS twin saw them (empty on the port-level runtime). */
  readonly awsCalls: AwsCallRecord[];
  /** Denied calls (`iam:`) and requests AWS's model rejects (`api-model:`). */
  readonly awsViolations: string[];
}

export interface SimulationOptions {
  readonly scenario: Scenario;
  /** The local stand-ins of the Lambda functions, by function name. */
  readonly functions?: (context: SimulationContext) => Readonly<Record<string, LocalFunction>>;
  /** Where the workflows are; `statemachines/` of this project by default. */
  readonly statemachinesDir?: string;
  /** Values for placeholders that do not name a function. */
  readonly substitutions?: (context: SimulationContext) => Readonly<Record<string, string>>;
  /** States whose entry means a run acts on the estate, by workflow (for invariant 4). */
  readonly actingStates?: Readonly<Record<string, readonly string[]>>;
  readonly lockingWorkflows?: readonly string[];
  /** Called once the runner is ready and before the world starts: subscribe to the world's events here. */
  readonly setup?: (context: SimulationContext) => void | Promise<void>;
  /** Called once the rehearsal has ended, whatever its outcome: stop what `setup` started. */
  readonly teardown?: (context: SimulationContext) => void | Promise<void>;
  /** Called for approve/reject events; without it they are noted as having nothing to act on. */
  readonly onHumanAction?: (
    event: Extract<ScenarioEvent, { kind: 'approve' | 'reject' }>,
    context: SimulationContext,
  ) => Promise<void> | void;
  /** Called for every world timeline entry and execution start/stop, as it happens. */
  readonly onProgress?: (entry: TimelineEntry) => void;
}

/**
 * Runs a scenario: the simulated world on the virtual clock, the real workflows on the local runner,
 * the ledger on the embedded DynamoDB, every safety invariant watched; returns the report.
 */
export async function simulate(options: SimulationOptions): Promise<Report> {
  const { scenario } = options;
  const clock = new VirtualClock();
  const world = new World({ config: scenario.config, latency: scenario.latency, clock });
  const dynamo = await EmbeddedDynamo.start();
  try {
    const replicated = await ReplicatedLedger.create({
      dynamo,
      tableName: scenario.config.ledger.tableName,
      regions: scenario.config.controlPlaneRegions,
      clock,
      delaySeconds: () => scenario.latency.dynamodbReplicationSeconds,
      isDown: (region) => world.faults.isOutage(region),
    });
    const ledgerIn = (region: string): Ledger => replicated.in(region);
    const ledger = ledgerIn(scenario.config.controlPlaneRegions[0] ?? 'us-east-1');
    // The functions are built before the runner they may start executions on, so they reach it lazily.
    const ready: { runner?: WorkflowRunner } = {};
    const approvals = trackPort(
      new DynamoApprovals(
        dynamo.client(),
        `${scenario.config.ledger.tableName}.${scenario.config.controlPlaneRegions[0] ?? 'us-east-1'}`,
      ),
      clock,
    );
    const context: SimulationContext = {
      scenario,
      world,
      clock,
      ledger,
      ledgerIn,
      approvals,
      runner: () => {
        if (ready.runner === undefined) throw new Error('the runner is not ready yet');
        return ready.runner;
      },
      replicatedLedger: replicated,
      dynamo,
      awsCalls: [],
      awsViolations: [],
    };
    try {
      return await run(options, context, ready);
    } finally {
      await options.teardown?.(context);
    }
  } finally {
    await dynamo.stop();
  }
}

async function run(
  options: SimulationOptions,
  context: SimulationContext,
  ready: { runner?: WorkflowRunner },
): Promise<Report> {
  const { scenario, world, clock, ledgerIn } = context;
  {
    const runner = new WorkflowRunner(clock, scenario.latency, options.functions?.(context) ?? {});
    ready.runner = runner;
    const region = scenario.config.controlPlaneRegions[0] ?? 'us-east-1';
    const values = options.substitutions?.(context) ?? {};
    for (const [name, file] of workflowFiles(options.statemachinesDir ?? STATEMACHINES_DIR)) {
      runner.register(
        loadDefinition(name, file, localSubstitutions(readFileSync(file, 'utf8'), region, values)),
      );
    }
    checkWorkflowsExist(scenario, runner);

    const checker = new InvariantChecker(world, {
      executions: () => runner.executions,
      ...(options.actingStates === undefined ? {} : { actingStates: options.actingStates }),
      ...(options.lockingWorkflows === undefined ? {} : { lockingWorkflows: options.lockingWorkflows }),
    });
    const progress = options.onProgress;
    if (progress !== undefined) watchProgress(world, runner, progress);

    await options.setup?.(context);
    watchSeries(world);
    world.start();
    for (const event of scenario.events) {
      clock.schedule(event.at, () => {
        void applyEvent(event, context, runner, options);
      });
    }
    await clock.runUntil(scenario.until);
    await runner.shutdown();
    // Let the replicas converge (regions still down are not waited for) before the ledger is read.
    await clock.runUntil(clock.seconds + scenario.latency.dynamodbReplicationSeconds + 1);
    const replicas = scenario.config.controlPlaneRegions.map(ledgerIn);
    await checker.finish(replicas);

    const ledgerItems = (
      await Promise.all(
        replicas.flatMap((replica) =>
          RUN_KINDS.map((kind) => clock.track(replica.listRunsByKind(kind, 1000))),
        ),
      )
    )
      .flat()
      // The same run can be in several replicas: keep one of each.
      .filter(
        (run, i, all) =>
          all.findIndex((r) => r.executionName === run.executionName && r.kind === run.kind) === i,
      )
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    return {
      ...buildReport(
        scenario,
        world,
        runner.executions,
        [...checker.violations.map(formatViolation), ...context.awsViolations],
        ledgerItems,
      ),
      awsCalls: context.awsCalls,
    };
  }
}

function checkWorkflowsExist(scenario: Scenario, runner: WorkflowRunner): void {
  const problems: string[] = [];
  for (const event of scenario.events) {
    if (event.kind === 'start' && !runner.has(event.workflow)) {
      problems.push(
        `events[${event.index}].start: there is no ${event.workflow} workflow (statemachines/${event.workflow}.asl.json) to start`,
      );
    }
  }
  if (problems.length > 0) throw new ScenarioError(scenario.name, problems);
}

async function applyEvent(
  event: ScenarioEvent,
  context: SimulationContext,
  runner: WorkflowRunner,
  options: SimulationOptions,
): Promise<void> {
  const { world } = context;
  switch (event.kind) {
    case 'fault': {
      const f = event.fault;
      switch (f.type) {
        case 'region-outage':
          world.setRegionOutage(f.region, true);
          break;
        case 'health-check-flap':
          world.setFlap(f.region, f.periodSeconds);
          break;
        case 'replica-lag':
          world.setReplicaLag(f.region, f.seconds);
          break;
        case 'store-lag':
          world.stores.setLag(f.region, f.seconds);
          break;
        case 'replication-stall':
          world.setReplicationStalled(f.region, true);
          break;
        case 'database-backup':
          world.setDatabaseBackup(f.region, true);
          break;
        case 'api-error':
          world.faults.addApiFault({
            service: f.service,
            operation: f.operation,
            ...(f.region === undefined ? {} : { region: f.region }),
            error: f.error,
            ...(f.count === undefined ? {} : { count: f.count }),
          });
          world.timeline.push({
            at: world.clock.seconds,
            kind: 'fault',
            text: `${f.service} ${f.operation} fails with ${f.error}${f.count === undefined ? ' until recovered' : ` ${f.count} time(s)`}`,
          });
          break;
        case 'api-throttle':
          world.faults.throttle(f.service, f.count, f.operation, f.region);
          world.timeline.push({
            at: world.clock.seconds,
            kind: 'fault',
            text: `${f.service}${f.operation === undefined ? '' : ` ${f.operation}`} throttles ${f.count} request(s)`,
          });
          break;
        case 'capacity-shortfall':
          world.setCapacityShortfall(f.region, f.maxReplicas);
          break;
        case 'elevated-errors':
          world.setErrorRate(f.region, f.percent);
          break;
        case 'slack-down':
          world.faults.setSlackDown(true);
          world.timeline.push({ at: world.clock.seconds, kind: 'fault', text: 'Slack is down' });
          break;
        case 'custom-step':
          world.customSteps.setFault(f.application, f.step, f.outcome, f.count);
          world.timeline.push({
            at: world.clock.seconds,
            kind: 'fault',
            ...(f.application === undefined ? {} : { application: f.application }),
            text: `custom step ${f.step} will ${f.outcome === 'fail' ? 'fail' : 'hang'}${f.count === undefined ? ' until recovered' : ` ${f.count} time(s)`}`,
          });
          break;
      }
      break;
    }
    case 'recover': {
      const f = event.fault;
      switch (f.type) {
        case 'region-outage':
          world.setRegionOutage(f.region, false);
          break;
        case 'health-check-flap':
          world.setFlap(f.region, undefined);
          break;
        case 'replica-lag':
          world.setReplicaLag(f.region, 0);
          break;
        case 'store-lag':
          world.stores.setLag(f.region, 0);
          break;
        case 'replication-stall':
          world.setReplicationStalled(f.region, false);
          break;
        case 'database-backup':
          world.setDatabaseBackup(f.region, false);
          break;
        case 'capacity-shortfall':
          world.setCapacityShortfall(f.region, undefined);
          break;
        case 'elevated-errors':
          world.setErrorRate(f.region, undefined);
          break;
        case 'custom-step':
          world.customSteps.clearFault(f.application, f.step);
          world.timeline.push({
            at: world.clock.seconds,
            kind: 'recover',
            ...(f.application === undefined ? {} : { application: f.application }),
            text: `custom step ${f.step} works again`,
          });
          break;
        case 'api-error':
        case 'api-throttle':
          world.faults.removeApiFaults({
            service: f.service,
            ...(f.operation === undefined ? {} : { operation: f.operation }),
            ...(f.region === undefined ? {} : { region: f.region }),
          });
          world.timeline.push({
            at: world.clock.seconds,
            kind: 'recover',
            text: `${f.service}${f.operation === undefined ? '' : ` ${f.operation}`} works again`,
          });
          break;
        case 'slack-down':
          world.faults.setSlackDown(false);
          world.timeline.push({ at: world.clock.seconds, kind: 'recover', text: 'Slack is back' });
          break;
      }
      break;
    }
    case 'start':
      runner.start(event.workflow, event.input);
      break;
    case 'reclone':
      try {
        world.recloneCnpgCluster(event.application, event.region);
      } catch (error) {
        // The region is down, or there is no writer to re-clone from (the region is the writer, or
        // every other region is down): said, not done.
        world.timeline.push({
          at: world.clock.seconds,
          kind: 'database',
          application: event.application,
          region: event.region,
          text: `re-clone of ${event.application}'s Cluster in ${event.region} not done: ${(error as Error).message}`,
        });
      }
      break;
    case 'approve':
    case 'reject':
      if (options.onHumanAction !== undefined) {
        await options.onHumanAction(event, context);
      } else {
        world.timeline.push({
          at: world.clock.seconds,
          kind: 'slack',
          text: `${event.by} would ${event.kind} ${event.workflow}, but no approval is waiting`,
        });
      }
      break;
  }
  world.clock.touch();
}

function watchProgress(world: World, runner: WorkflowRunner, progress: (entry: TimelineEntry) => void): void {
  let seen = 0;
  const known = new Map<string, string>();
  const poll = (): void => {
    for (; seen < world.timeline.length; seen++) {
      const entry = world.timeline[seen];
      if (entry !== undefined) progress(entry);
    }
    for (const e of runner.executions) {
      if (known.get(e.name) !== e.status) {
        known.set(e.name, e.status);
        progress({
          at: world.clock.seconds,
          kind: 'execution',
          text: `${e.workflow} ${e.name} ${e.status === 'RUNNING' ? 'started' : e.status}`,
        });
      }
    }
  };
  world.onChange(poll);
  world.clock.every(1, 1, poll);
}

/** What the report says an execution ended as: SKIPPED when the workflow says it did nothing. */
function reportStatus(e: ExecutionRecord): ReportExecution['status'] {
  const output = e.output as { status?: unknown } | null;
  // A run that decided not to act (lock held, or the checks said stop) succeeded as an execution.
  if (e.status === 'SUCCEEDED' && (output?.status === 'SKIPPED' || output?.status === 'ABORTED'))
    return output.status;
  return e.status;
}

function recovery(
  world: World,
  application: string,
): Omit<ReportApplication, 'rtoTargetSeconds' | 'rpoTargetSeconds' | 'rpoSeconds'> {
  const log = world.servingLog.filter((s) => s.application === application);
  const outageIndex = log.findIndex((s) => !s.serving);
  const outage = log[outageIndex];
  if (outage === undefined) return { outageAt: null, restoredAt: null, rtoSeconds: null };
  const restored = log.slice(outageIndex + 1).find((s) => s.serving);
  if (restored === undefined) return { outageAt: outage.at, restoredAt: null, rtoSeconds: null };
  const ttl = world.application(application).dns.ttlSeconds;
  return { outageAt: outage.at, restoredAt: restored.at, rtoSeconds: restored.at - outage.at + ttl };
}

/** The RTO Lifeboat recorded in its ledger for the application's first successful failover. */
function recordedRto(
  world: World,
  ledger: readonly object[],
  application: string,
): Pick<ReportApplication, 'recorded'> {
  const record = (
    ledger as readonly {
      kind?: unknown;
      application?: unknown;
      status?: unknown;
      startedAt?: unknown;
      details?: { rtoSeconds?: unknown; rtoFrom?: unknown; rtoMeasuredFrom?: unknown };
    }[]
  )
    .filter((r) => r.kind === 'failover' && r.application === application && r.status === 'SUCCEEDED')
    .sort((a, b) => String(a.startedAt).localeCompare(String(b.startedAt)))[0];
  const details = record?.details;
  if (typeof details?.rtoMeasuredFrom !== 'string' || typeof details.rtoFrom !== 'string') return {};
  return {
    recorded: {
      rtoSeconds: typeof details.rtoSeconds === 'number' ? details.rtoSeconds : null,
      from: details.rtoFrom,
      measuredFromAt: world.clock.secondsAt(details.rtoMeasuredFrom),
    },
  };
}

export function buildReport(
  scenario: Scenario,
  world: World,
  executions: readonly ExecutionRecord[],
  violations: readonly string[],
  ledger: readonly object[],
): Report {
  const applications: Record<string, ReportApplication> = {};
  for (const name of world.applicationNames()) {
    const app = world.application(name);
    // The RPO is the data the outage's (unplanned) promotion left behind; a failback's planned
    // switchover loses none, and counts only when nothing else was promoted.
    const promoted = world.promotions.filter((p) => p.application === name);
    const rpo = (promoted.find((p) => !p.planned) ?? promoted[0])?.lagSeconds;
    applications[name] = {
      ...recovery(world, name),
      rpoSeconds: rpo ?? null,
      rtoTargetSeconds: app.targets.rtoSeconds,
      rpoTargetSeconds: app.targets.rpoSeconds,
      ...recordedRto(world, ledger, name),
    };
  }
  const first = Object.values(applications)
    .filter((a) => a.outageAt !== null)
    .sort((a, b) => (a.outageAt ?? 0) - (b.outageAt ?? 0))[0];

  const regions: Record<string, ReportRegion> = {};
  for (const [region, r] of Object.entries(world.regionsSnapshot())) {
    const [firstApp] = Object.keys(r.dnsWeight);
    regions[region] = {
      healthy: r.healthy,
      dnsWeight: firstApp === undefined ? 0 : (r.dnsWeight[firstApp] ?? 0),
      database: firstApp === undefined ? 'down' : (r.database[firstApp] ?? 'down'),
      workloads: r.workloads,
      applications: Object.fromEntries(
        Object.keys(r.dnsWeight).map((a) => [
          a,
          { dnsWeight: r.dnsWeight[a] ?? 0, database: r.database[a] ?? 'down' },
        ]),
      ),
    };
  }

  return {
    version: 1,
    scenario: scenario.name,
    ...(scenario.description === undefined ? {} : { description: scenario.description }),
    until: scenario.until,
    executions: executions.map((e) => ({
      workflow: e.workflow,
      name: e.name,
      status: reportStatus(e),
      startedAt: e.startedAt,
      stoppedAt: e.stoppedAt,
      error: e.error,
      cause: e.cause,
      states: e.states.map((s) => ({ ...s })),
    })),
    rtoSeconds: first?.rtoSeconds ?? null,
    rpoSeconds: first?.rpoSeconds ?? null,
    applications,
    world: { regions },
    ledger: ledger.map((item) => ({ ...item })),
    slack: [
      ...world.slack.map((m) => ({
        at: m.postedAt,
        ts: m.ts,
        ...(m.thread === undefined ? {} : { thread: m.thread }),
        text: m.text,
        actions: buttonLabels(m.blocks),
        updatedAt: m.updatedAt ?? null,
      })),
      ...world.ephemeral.map((m) => ({ at: m.postedAt, text: m.text, actions: [], onlyFor: m.user })),
    ].sort((a, b) => a.at - b.at),
    dns: world.dnsLog,
    writers: world.writersLog,
    timeline: world.timeline,
    events: world.delivered.map((d) => ({
      at: d.at,
      busRegion: d.busRegion,
      application: d.application,
      alarmName: d.event.detail.alarmName,
      state: d.event.detail.state.value,
      previousState: d.event.detail.previousState.value,
    })),
    violations,
    series: seriesOf(world),
  };
}

/** The labels of the buttons in a Block Kit message. */
function buttonLabels(blocks: readonly unknown[]): string[] {
  const labels: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (typeof node === 'object' && node !== null) {
      const n = node as { type?: unknown; text?: { text?: unknown } };
      if (n.type === 'button' && typeof n.text?.text === 'string') labels.push(n.text.text);
      Object.values(node).forEach(visit);
    }
  };
  visit(blocks);
  return labels;
}
