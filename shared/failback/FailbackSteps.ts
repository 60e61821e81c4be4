import { ApplicationSteps, guardProblems } from '../runtime/ApplicationSteps.ts';
import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import { scaleWorkloads, scalingPlan } from '../failover/workloadScaling.ts';
import { customStepsDetail, customStepsPlan, type CustomStepsPlan } from '../custom/CustomSteps.ts';
import { DatabaseBusyError, InvalidInputError, NotReadyError, PreconditionFailedError } from '../errors.ts';
import { regionHealth } from '../failover/regionHealth.ts';
import { servingAndWeights } from '../failover/currentPrimary.ts';
import { findApplication } from '../failover/FailoverRequest.ts';
import { failbackChangesOf } from '../failover/failureMessage.ts';
import type { CheckResult } from '../failover/FailoverSteps.ts';
import { bestEffort } from '../ports/Estate.ts';
import { checkedOrRecorded } from '../ledger/rejectedInput.ts';
import type { RunRecord, RunStatus } from '../ports/Ledger.ts';
import type { Ledger } from '../ports/Ledger.ts';
import type { FailbackRequest, FailbackResume } from './FailbackInput.ts';
import { guardedMoveOf, movedAnything, progressOf, type GuardedMove } from './guardedMove.ts';
import { isNotFound, retiredIdentifier } from '../failover/followWriter.ts';
import { recloneText } from '../config/databases.ts';
import { promoteStores, STORE_CAUGHT_UP_SECONDS, storesBehind } from '../failover/stores.ts';

/** How long the failback waits for a replica to be built and catch up before it gives up and says so. */
export const REPLICA_LIMIT_SECONDS = 4 * 3600;

/**
 * How long SwitchWriter waits, from the source's fence, for the writer's replica (and each store's
 * member) to catch up before it gives up: all traffic is on the target by then, writing across
 * regions to the source, and a replica that has not caught up in half an hour needs a person.
 */
export const SWITCH_CATCH_UP_LIMIT_SECONDS = 1800;

interface WithRequest {
  readonly request: FailbackRequest;
}

/** One step of the gradual shift as the guard judged it. */
export interface StepReading {
  readonly percent: number;
  readonly weights: Readonly<Record<string, number>>;
  readonly at: string;
  readonly errorRatePercent: number | null;
  readonly latencyMs: number | null;
  readonly ok: boolean;
  readonly detail: string;
}

/** Where a region's database stands on the way to being a caught-up replica of the writer. */
export interface ReplicaState {
  readonly region: string;
  readonly ready: boolean;
  readonly state:
    | 'ready'
    | 'lagging'
    | 'creating'
    | 'missing'
    | 'renaming'
    | 'stale'
    | 'rejoining'
    /** CloudNativePG: a former primary, which a person must re-clone as a replica cluster first. */
    | 'reclone'
    /** The writer already moved to the target in the failed run this one finishes. */
    | 'switched';
  readonly lagSeconds: number | null;
  readonly detail: string;
  readonly at: string;
}

/** How a failed failback's record says how far it got (see `recordFailback`). */
interface FailbackProgress {
  readonly switchBegun?: boolean;
  readonly shiftedPercent?: number;
}

/** The part of a failback's ledger details a later start reads. */
interface RecordedFailback {
  readonly request?: Partial<FailbackRequest>;
  readonly progress?: FailbackProgress;
}

/** Statuses of runs that stopped before they moved anything: a later start looks past them. */
const MOVED_NOTHING = new Set(['SKIPPED', 'ABORTED', 'REJECTED', 'TIMED_OUT', 'RUNNING']);

/** Statuses of a guarded move stopped from outside: unfinished when its record shows it had moved. */
const STOPPED = new Set(['ABORTED', 'TIMED_OUT']);

/** Whether a guarded move's record says it acted: it ended past its checks, or was stopped after moving. */
function acted(run: RunRecord, details: RecordedFailback | undefined): boolean {
  if (STOPPED.has(run.status)) return movedAnything(details?.progress);
  return !MOVED_NOTHING.has(run.status);
}

/**
 * The unfinished guarded move of `application`: the newest failback or switchover that acted (not
 * skipped, declined, a rejected input, a dry run, or stopped before it moved anything), if it ended
 * FAILED, or was stopped or timed out after it moved traffic or fenced for the switch, and no
 * failover has begun since. The input check finishes it with a start of the same kind and target,
 * and refuses any other guarded move while it is unfinished.
 */
export async function resumableFailback(
  ledger: Ledger,
  application: string,
): Promise<FailbackResume | undefined> {
  const [failbacks, switchovers, failovers] = await Promise.all([
    ledger.listRuns(application, 'failback', 20),
    ledger.listRuns(application, 'switchover', 20),
    ledger.listRuns(application, 'failover', 5),
  ]);
  const last = [...failbacks, ...switchovers]
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .map((run): { run: RunRecord; details: RecordedFailback | undefined } => ({
      run,
      details: run.details,
    }))
    .find(
      ({ run, details }) =>
        acted(run, details) &&
        details?.request?.targetRegion !== undefined &&
        details.request.dryRun !== true,
    );
  // One that a later run of either kind followed is not finished: that run moved on from it.
  if (last === undefined || (last.run.status !== 'FAILED' && !STOPPED.has(last.run.status))) return undefined;
  const workflow: GuardedMove = last.run.kind === 'switchover' ? 'switchover' : 'failback';
  const { request, progress } = last.details ?? {};
  if (request?.targetRegion === undefined || request.sourceRegion === undefined) return undefined;
  if (failovers.some((f) => f.startedAt > last.run.startedAt && !MOVED_NOTHING.has(f.status)))
    return undefined;
  return {
    workflow,
    ended: last.run.status,
    executionName: last.run.executionName,
    targetRegion: request.targetRegion,
    sourceRegion: request.sourceRegion,
    switchBegun: progress?.switchBegun === true,
    shiftedPercent: typeof progress?.shiftedPercent === 'number' ? progress.shiftedPercent : 0,
  };
}

/** The failed run this one finishes, when that run had begun to switch the writer. */
function switchedBy(request: FailbackRequest): FailbackResume | undefined {
  return request.resumes?.switchBegun === true ? request.resumes : undefined;
}

export { retiredIdentifier };

/**
 * The failback's steps. The lock, the scale-up, the checks of the database and the record's shape
 * are the failover's; these are what only a failback does. Each can run twice with the same input
 * and change nothing the second time.
 */
export class FailbackSteps extends ApplicationSteps {
  /** ValidateInput: checks the input and works out where traffic comes from; records a rejected input. */
  async validateFailback(payload: {
    input: unknown;
    executionName: string;
    /** `$$.StateMachine.Name`: `lifeboat-failback` or `lifeboat-switchover`. @default a failback */
    stateMachine?: string;
  }): Promise<{ request: FailbackRequest; startedAt: string; customSteps: CustomStepsPlan }> {
    const { deps } = this;
    const now = deps.clock.now();
    const workflow = payload.stateMachine === undefined ? 'failback' : guardedMoveOf(payload.stateMachine);
    if (workflow === undefined) {
      throw new InvalidInputError([
        `stateMachine: ${payload.stateMachine} runs statemachines/failback.asl.json but is neither lifeboat-failback nor lifeboat-switchover; deploy it under one of those names`,
      ]);
    }
    const raw = payload.input as { application?: unknown } | null;
    const named =
      typeof raw?.application === 'string' ? findApplication(deps.config, raw.application) : undefined;
    const [dnsNow, resumable] =
      named === undefined
        ? [undefined, undefined]
        : await Promise.all([
            servingAndWeights(named, deps.estate, deps.ledger),
            resumableFailback(deps.ledger, named.name),
          ]);
    const target = (raw as { targetRegion?: unknown } | null)?.targetRegion;
    // Loaded here only, as the failover's input check is.
    const { checkFailbackInput } = await import('./FailbackInput.ts');
    const request = await checkedOrRecorded(
      () =>
        checkFailbackInput(payload.input, deps.config, {
          workflow,
          currentPrimary: dnsNow?.serving,
          resumable,
          targetWeight: typeof target === 'string' ? dnsNow?.weights?.[target] : undefined,
          ...(deps.region === undefined ? {} : { region: deps.region }),
        }),
      {
        ledger: deps.ledger,
        kind: workflow,
        executionName: payload.executionName,
        input: payload.input,
        now,
      },
    );
    return {
      request,
      startedAt: now.toISOString(),
      customSteps: customStepsPlan(this.app(request), workflow),
    };
  }

  /**
   * Never renames the live writer: a writable database in `region` that `from`'s database replicates
   * from is the writer, whatever the weights say (a run that failed half-way leaves traffic on one
   * side and the writer on the other). Throws PreconditionFailedError, naming both.
   */
  private async refuseLiveWriter(app: ApplicationConfig, region: string, from: string): Promise<void> {
    let writer;
    try {
      writer = await this.deps.estate.database.describe(app, from);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      return;
    }
    if (writer.role === 'replica' && writer.sourceRegion === region) {
      throw new PreconditionFailedError(
        `the database in ${region} is the live writer: ${from}'s replicates from it, so it is not renamed or rebuilt. Traffic and the writer are in different regions; lifeboat status --app ${app.name} shows where each is`,
      );
    }
  }

  /**
   * Where `region`'s database stands as a replica of the writer in `from`, read only. RDS: missing
   * (renamed away), the stale old primary still writable, being created, or a replica and its lag.
   * Aurora: the old primary rejoins the global cluster as a secondary by itself.
   */
  private async replicaState(
    app: ApplicationConfig,
    region: string,
    from: string,
    switched?: FailbackResume,
  ): Promise<ReplicaState> {
    const at = this.now();
    let status;
    try {
      status = await this.deps.estate.database.describe(app, region);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      return {
        region,
        ready: false,
        state: 'missing',
        lagSeconds: null,
        detail: `no database in ${region}`,
        at,
      };
    }
    if (status.role !== 'replica' && switched !== undefined) {
      // The failed run fenced the source and switched (or began to switch) the writer here: this is
      // the new writer, not a stale one. It is never renamed; the switch step confirms it.
      return {
        region,
        ready: true,
        state: 'switched',
        lagSeconds: null,
        detail: `the database in ${region} is the ${status.role} since the failed run ${switched.executionName} switched the writer`,
        at,
      };
    }
    if (status.role !== 'replica' && app.database.engine === 'cloudnativepg') {
      return {
        region,
        ready: false,
        state: 'reclone',
        lagSeconds: null,
        detail: recloneText(app, region),
        at,
      };
    }
    if (status.role !== 'replica') {
      const aurora = app.database.engine === 'aurora-global';
      return {
        region,
        ready: false,
        state: aurora ? 'rejoining' : 'stale',
        lagSeconds: null,
        detail: aurora
          ? `the Aurora cluster in ${region} is still a ${status.role}; it rejoins the global cluster as a secondary of ${from}`
          : `the database in ${region} is a ${status.role} left from before the failover; it is renamed and kept, and a replica of ${from} is built in its place`,
        at,
      };
    }
    if (status.sourceRegion !== from) {
      return {
        region,
        ready: false,
        state: 'stale',
        lagSeconds: null,
        detail: `the database in ${region} replicates from ${String(status.sourceRegion)}, not from the writer in ${from}`,
        at,
      };
    }
    if (!status.available) {
      return {
        region,
        ready: false,
        state: 'creating',
        lagSeconds: null,
        detail: `the replica in ${region} is being built`,
        at,
      };
    }
    const lag = await this.deps.estate.metrics.replicaLagSeconds(app, region);
    const budget = app.targets.rpoSeconds;
    const ready = lag !== undefined && lag <= budget;
    // The stores' old primaries rejoin their Global Datastores as secondaries by themselves once the
    // region is back (FailoverGlobalReplicationGroup makes "all other clusters ... secondary").
    const [store] = ready
      ? (
          await storesBehind(this.deps.estate.stores, app, region, from, {
            lagged: (seconds) => seconds > budget,
            budgetSeconds: budget,
          })
        ).behind
      : [];
    if (store !== undefined) {
      return {
        region,
        ready: false,
        state: store.lagging ? 'lagging' : 'rejoining',
        lagSeconds: store.lagSeconds,
        detail: store.detail,
        at,
      };
    }
    return {
      region,
      ready,
      state: ready ? 'ready' : 'lagging',
      lagSeconds: lag ?? null,
      detail:
        lag === undefined
          ? `no replica lag datapoint for ${region} yet`
          : `the replica in ${region} lags ${lag} s (RPO budget ${budget} s)`,
      at,
    };
  }

  /** CheckReplica (preflight): whether the target has a caught-up replica of the writer; changes nothing. */
  async checkReplica({ request }: WithRequest): Promise<CheckResult & { state: string }> {
    const state = await this.replicaState(
      this.app(request),
      request.targetRegion,
      request.sourceRegion,
      switchedBy(request),
    );
    return {
      check: 'replica-lag',
      ok: state.ready,
      state: state.state,
      ...(state.lagSeconds === null ? {} : { value: state.lagSeconds }),
      detail: state.detail,
    };
  }

  /** Decide: proceed, stop with the reasons, or (dry run) say what would be done. */
  decideFailback({ request, preflight }: WithRequest & { preflight: readonly (CheckResult | null)[] }): {
    outcome: 'proceed' | 'stop' | 'plan';
    reasons: string[];
    plan: string[];
  } {
    const a = this.app(request);
    const by = (check: CheckResult['check']) => preflight.find((c) => c?.check === check) ?? undefined;
    const reasons: string[] = [];
    const target = by('target-health');
    if (target?.ok !== true)
      reasons.push(`${request.targetRegion} is not healthy: ${target?.detail ?? 'not checked'}`);
    const cluster = by('target-cluster');
    if (cluster?.ok !== true)
      reasons.push(
        `the cluster in ${request.targetRegion} cannot be reached: ${cluster?.detail ?? 'not checked'}`,
      );
    const replica = by('replica-lag');
    // Lifeboat never rebuilds a CloudNativePG cluster: a former primary waits for a person's re-clone.
    if ((replica as { state?: unknown } | undefined)?.state === 'reclone')
      reasons.push(replica?.detail ?? 'the returning region needs its database re-cloned');
    const workload = a.workloads[request.targetRegion];
    const engine = a.database.engine;
    const aurora = engine === 'aurora-global';
    const plan = [
      ...(replica?.ok === true
        ? []
        : [
            `make ${request.targetRegion}'s database a caught-up replica of ${request.sourceRegion} (${replica?.detail ?? 'not checked'})`,
          ]),
      ...(workload?.nodeGroups.map(
        (g) => `scale node group ${g.name} in ${request.targetRegion} to ${g.activeSize}`,
      ) ?? []),
      ...(workload?.deployments.map((d) => `${scalingPlan(d, 'active')} in ${request.targetRegion}`) ?? []),
      `shift traffic to ${request.targetRegion} in steps of ${request.steps.join(', ')} %, each baked ${request.bakeSeconds} s and guarded (error rate ≤ ${a.dns.failback.maxErrorRatePercent} %, p99 ≤ ${a.dns.failback.maxLatencyMs} ms); roll back on breach`,
      aurora
        ? `switch the Aurora global cluster's writer to ${request.targetRegion} (switchover, no data loss)`
        : engine === 'cloudnativepg'
          ? `fence ${request.sourceRegion}, let writes drain for ${request.drainSeconds} s, demote its CloudNativePG cluster and promote ${request.targetRegion}'s with the demotion token (no data loss)`
          : `fence ${request.sourceRegion}, let writes drain for ${request.drainSeconds} s, and promote the caught-up replica in ${request.targetRegion}`,
      ...a.stores.map(
        (st) =>
          `switch the Global Datastore ${st.globalReplicationGroupId} (store ${st.name}) back to ${st.replicationGroups[request.targetRegion] ?? '?'} in ${request.targetRegion} once it has caught up (lag 0)`,
      ),
      ...(aurora
        ? []
        : engine === 'cloudnativepg'
          ? [`wait for ${request.sourceRegion}'s demoted cluster to replicate from ${request.targetRegion}`]
          : [`rebuild ${request.sourceRegion}'s database as a replica of ${request.targetRegion}`]),
      `scale ${request.sourceRegion} back to its standby sizes`,
    ];
    if (reasons.length > 0) return { outcome: 'stop', reasons, plan };
    return { outcome: request.dryRun ? 'plan' : 'proceed', reasons: [], plan };
  }

  /**
   * EnsureReplica: moves `which` region's database one step toward a caught-up replica of the writer
   * (the target's of the source before the shift; the source's of the target after the switch):
   * renames a stale RDS instance out of the way and keeps it, creates the replica, then waits for
   * it to catch up. Gives up, saying where it stands, after REPLICA_LIMIT_SECONDS.
   */
  async ensureReplica({
    request,
    which,
    since,
  }: WithRequest & { which: 'target' | 'standby'; since: string }): Promise<ReplicaState> {
    const a = this.app(request);
    const region = which === 'target' ? request.targetRegion : request.sourceRegion;
    const from = which === 'target' ? request.sourceRegion : request.targetRegion;
    let state = await this.replicaState(
      a,
      region,
      from,
      which === 'target' ? switchedBy(request) : undefined,
    );
    const database = a.database;
    if (database.engine === 'rds-read-replica') {
      if (state.state === 'stale') {
        await this.refuseLiveWriter(a, region, from);
        const id = database.instances[region] ?? '';
        const renamed = retiredIdentifier(id, this.deps.clock.now(), `pre-${request.workflow ?? 'failback'}`);
        await this.deps.estate.database.retire(a, region, renamed);
        state = { ...state, state: 'renaming', detail: `${id} in ${region} renamed to ${renamed} and kept` };
      } else if (state.state === 'missing') {
        const created = await this.deps.estate.database.createReplica(a, region, from);
        state = {
          ...state,
          state: created === 'started' ? 'creating' : 'renaming',
          detail:
            created === 'started'
              ? `creating a read replica of ${from} in ${region}`
              : `waiting for the old instance's rename in ${region} to free its identifier`,
        };
      }
    } else if (database.engine === 'cloudnativepg') {
      if (state.state === 'reclone') throw new PreconditionFailedError(state.detail);
      if (state.state === 'stale') {
        // A replica cluster of another member: re-pointed at the writer, as CloudNativePG allows.
        await this.deps.estate.database.follow(a, region, from);
        state = { ...state, state: 'creating', detail: `${region}'s replica cluster re-pointed at ${from}` };
      }
    }
    // The standby need not be caught up to finish: only built.
    const ready = which === 'standby' ? state.ready || state.state === 'lagging' : state.ready;
    const elapsed = (this.deps.clock.now().getTime() - new Date(since).getTime()) / 1000;
    if (!ready && elapsed > REPLICA_LIMIT_SECONDS) {
      throw new NotReadyError(
        `the database in ${region} is not a caught-up replica of ${from} ${REPLICA_LIMIT_SECONDS} s after the ${request.workflow ?? 'failback'} began: ${state.detail}`,
      );
    }
    return { ...state, ready };
  }

  /** UnfenceTarget: lifts the fence the failover put on the returning region's record (its weight is still 0). */
  async unfenceTarget({ request }: WithRequest): Promise<{ at: string }> {
    await this.deps.estate.fence.setFence(this.app(request), request.targetRegion, false);
    return { at: this.now() };
  }

  /** ShiftStep: the weights of step `index` in one change batch: the target at its percent, the source the rest. */
  async shiftStep({
    request,
    index,
    executionName,
  }: WithRequest & { index: number; executionName: string }): Promise<{
    index: number;
    percent: number;
    weights: Record<string, number>;
    changeId: string;
    at: string;
    last: boolean;
  }> {
    const percent = request.steps[index];
    if (percent === undefined || !Number.isInteger(index)) {
      throw new InvalidInputError([`index: ${index} is not a step of ${request.steps.join(', ')}`]);
    }
    const weights = { [request.targetRegion]: percent, [request.sourceRegion]: 100 - percent };
    const a = this.app(request);
    if (index > request.firstStepIndex) {
      // The preflight read the returning region's health check before the first step; one that
      // fails since (its metrics may still pass the guard) is given no more traffic.
      const health = await regionHealth(this.deps.config, a, request.targetRegion, this.deps.estate);
      if (health.status !== 'healthy') {
        throw new PreconditionFailedError(
          `${request.targetRegion} fails its health check (${health.source}); the ${request.workflow ?? 'failback'} stops at ${request.steps[index - 1] ?? 0} % rather than raise it to ${percent} %: start it again once the region is healthy`,
        );
      }
    }
    const changeId = await this.deps.estate.dns.setWeights(a, weights, { force: false, by: executionName });
    await bestEffort(() => this.deps.estate.telemetry.weights(a, weights));
    return { index, percent, weights, changeId, at: this.now(), last: index === request.steps.length - 1 };
  }

  /**
   * Guard: the returning region's error rate and p99 latency over the bake just past, against the
   * config's bounds. No datapoint is a breach: a guard that cannot see must not wave traffic on.
   */
  async guardStep({
    request,
    step,
    history,
  }: WithRequest & {
    step: { percent: number; weights: Record<string, number> };
    history: readonly StepReading[];
  }): Promise<{ ok: boolean; next: number; reading: StepReading; history: StepReading[] }> {
    const a = this.app(request);
    const window = Math.max(60, request.bakeSeconds);
    const [errorRate, latency] = await Promise.all([
      this.deps.estate.traffic.errorRatePercent(a, request.targetRegion, window),
      this.deps.estate.traffic.latencyMs(a, request.targetRegion, window),
    ]);
    const problems = guardProblems(errorRate, latency, a.dns.failback);
    const reading: StepReading = {
      percent: step.percent,
      weights: step.weights,
      at: this.now(),
      errorRatePercent: errorRate === undefined ? null : Math.round(errorRate * 100) / 100,
      latencyMs: latency === undefined ? null : Math.round(latency),
      ok: problems.length === 0,
      detail:
        problems.length === 0
          ? `${step.percent} %: error rate ${errorRate?.toFixed(2) ?? '?'} %, p99 ${Math.round(latency ?? 0)} ms within bounds`
          : `${step.percent} %: ${problems.join('; ')}`,
    };
    const index = request.steps.indexOf(step.percent);
    return { ok: reading.ok, next: index + 1, reading, history: [...history, reading] };
  }

  /**
   * RollBack: the weights of the last step the guard passed, or all traffic back on the source (and
   * the target fenced again) when none did.
   */
  async rollBack({
    request,
    history,
    executionName,
  }: WithRequest & { history: readonly StepReading[]; executionName: string }): Promise<{
    weights: Record<string, number>;
    changeId: string;
    at: string;
  }> {
    const a = this.app(request);
    const good = [...history].reverse().find((r) => r.ok);
    const weights =
      good === undefined ? { [request.targetRegion]: 0, [request.sourceRegion]: 100 } : { ...good.weights };
    const changeId = await this.deps.estate.dns.setWeights(a, weights, { force: false, by: executionName });
    await bestEffort(() => this.deps.estate.telemetry.weights(a, weights));
    if ((weights[request.targetRegion] ?? 0) === 0) {
      await this.deps.estate.fence.setFence(a, request.targetRegion, true);
    }
    return { weights, changeId, at: this.now() };
  }

  /**
   * SwitchWriter: the planned switch of the writer to the target, once every answer names the target
   * and the source is fenced and drained. Aurora: a global switchover (no data loss). RDS: promotion of
   * the replica only once it has replayed everything (lag 0); until then it reports `waiting`.
   * CloudNativePG: the source's cluster demoted, then the target's promoted with its demotion token,
   * which CloudNativePG replays up to before it promotes (no data loss); `waiting` until the token is
   * written. `lagSeconds` of a started switch is the worst lag read before it (the RDS replica's, each
   * store member's; a managed Aurora switchover and CloudNativePG's token synchronise the replica
   * themselves, so they add 0): the run's RPO.
   */
  async switchWriter({
    request,
    executionName,
    fencedAt,
  }: WithRequest & { executionName: string; fencedAt?: string }): Promise<{
    started: boolean;
    lagSeconds: number | null;
    at: string;
  }> {
    const a = this.app(request);
    const wait = (lagSeconds: number | null, what: string) => {
      const waited =
        fencedAt === undefined ? 0 : (this.deps.clock.now().getTime() - new Date(fencedAt).getTime()) / 1000;
      if (waited > SWITCH_CATCH_UP_LIMIT_SECONDS) {
        throw new NotReadyError(
          a.database.engine === 'cloudnativepg'
            ? `no demotion token ${SWITCH_CATCH_UP_LIMIT_SECONDS} s after ${request.sourceRegion} was fenced for the writer's switch (${what}); ${request.sourceRegion}'s Cluster is demoted and takes no writes, all traffic is on ${request.targetRegion}: look at CloudNativePG's operator and both Clusters' status, and once the token is written start the same ${request.workflow ?? 'failback'} again (it resumes at the switch)`
            : `not caught up ${SWITCH_CATCH_UP_LIMIT_SECONDS} s after ${request.sourceRegion} was fenced for the writer's switch (${what}); the writer stays in ${request.sourceRegion} and all traffic on ${request.targetRegion}`,
        );
      }
      return { started: false, lagSeconds, at: this.now() };
    };
    let databaseLag = 0;
    if (a.database.engine === 'rds-read-replica') {
      const status = await this.deps.estate.database.describe(a, request.targetRegion);
      if (status.role === 'replica') {
        const lag = await this.deps.estate.metrics.replicaLagSeconds(a, request.targetRegion);
        if (lag === undefined || lag > 0)
          return wait(
            lag ?? null,
            lag === undefined
              ? `no lag datapoint for the replica in ${request.targetRegion}`
              : `the replica in ${request.targetRegion} lags ${lag} s`,
          );
        databaseLag = lag;
      }
    }
    // A Global Datastore's failover has no switchover mode: each store's member must have caught up
    // before it is asked, or it would leave writes behind.
    const stores = await storesBehind(
      this.deps.estate.stores,
      a,
      request.targetRegion,
      request.sourceRegion,
      {
        lagged: (seconds) => seconds >= STORE_CAUGHT_UP_SECONDS,
        writerDone: true,
      },
    );
    if (stores.behind.length > 0)
      return wait(stores.worstLagSeconds, stores.behind.map((b) => b.detail).join('; '));
    // The database first: a switch it refuses leaves the stores where they are, for a clean second run.
    const options = {
      planned: true,
      by: `${request.workflow ?? 'failback'}:${executionName}`,
      from: request.sourceRegion,
    };
    try {
      await this.deps.estate.database.promote(a, request.targetRegion, options);
    } catch (error) {
      // CloudNativePG: the old primary is being demoted; the target is promoted with its demotion
      // token once it is written (CloudNativePgDatabase), so the switch is asked again meanwhile.
      if (a.database.engine === 'cloudnativepg' && error instanceof DatabaseBusyError)
        return wait(0, error.message);
      throw error;
    }
    await promoteStores(this.deps.estate.stores, a, request.targetRegion, options);
    return {
      started: true,
      lagSeconds: Math.max(databaseLag, stores.worstLagSeconds ?? 0),
      at: this.now(),
    };
  }

  /**
   * UnfenceStandbys: lifts the fence of every other region whose database now replicates from the
   * target, restoring the standby's place in Route 53's data-plane fallback, and publishes the
   * target's open vote once more. One still writable stays fenced, and the record says so. So does
   * one whose fence cannot be lifted (its vote region down, or the vote refused): the writer and
   * the traffic have moved by now, so the run ends with the standby fenced and names it in
   * `notUnfenced` with the reason, for `lifeboat unfence` once the cause is gone. So does one whose
   * database cannot be read (its region down): whether it replicates from the writer is unknown.
   */
  async unfenceStandbys({ request }: WithRequest): Promise<{
    unfenced: string[];
    stillFenced: string[];
    notUnfenced: string[];
  }> {
    const a = this.app(request);
    // The target's open vote again, in every vote region: under `fenceVotes: "majority"` a region
    // that was down when UnfenceTarget ran still holds the failover's fence vote, outvoted but
    // stale; this replaces it. UnfenceTarget already lifted the fence, so a failure here is noted.
    const notUnfenced: string[] = [];
    const lift = async (region: string): Promise<boolean> => {
      try {
        await this.deps.estate.fence.setFence(a, region, false);
        return true;
      } catch (error) {
        notUnfenced.push(`${region} (${error instanceof Error ? error.message : String(error)})`);
        return false;
      }
    };
    await lift(request.targetRegion);
    const unfenced: string[] = [];
    const stillFenced: string[] = [];
    for (const region of a.regions) {
      if (region === request.targetRegion) continue;
      let replica = false;
      try {
        const status = await this.deps.estate.database.describe(a, region);
        replica = status.role === 'replica';
      } catch (error) {
        if (!isNotFound(error)) {
          notUnfenced.push(
            `${region} (its database could not be read: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`,
          );
        }
      }
      if (replica && (await lift(region))) unfenced.push(region);
      else stillFenced.push(region);
    }
    return { unfenced, stillFenced, notUnfenced };
  }

  /** ScaleDownSource: the region traffic left goes back to its standby sizes (deployments, then nodes). */
  async scaleDownSource({ request }: WithRequest): Promise<{
    at: string;
    sizes: Record<string, number>;
    autoscalers?: Record<string, string>;
  }> {
    const a = this.app(request);
    const region = request.sourceRegion;
    const workload = a.workloads[region];
    const sizes: Record<string, number> = {};
    const { deployments, autoscalers } = await scaleWorkloads(
      this.deps.estate.workloads,
      a,
      region,
      'standby',
    );
    Object.assign(sizes, deployments);
    for (const g of workload?.nodeGroups ?? []) {
      await this.deps.estate.workloads.scaleNodeGroup(a, region, g.name, {
        desired: g.standbySize,
        min: Math.min(g.standbySize, g.activeSize),
      });
      sizes[`nodegroup/${g.name}`] = g.standbySize;
    }
    return {
      at: this.now(),
      sizes,
      ...(Object.keys(autoscalers).length === 0 ? {} : { autoscalers }),
    };
  }

  /** RecordFailback: the run in the ledger, whatever its end, with the steps and the guard's readings. */
  async recordFailback(payload: {
    state: {
      input?: unknown;
      request?: FailbackRequest;
      startedAt?: string;
      error?: { Error?: string; Cause?: string };
      /** FenceSourceForSwitch's result: from here on the writer may move. */
      fence?: unknown;
      /** The last weight step set. */
      step?: { percent?: number };
      /** The custom steps' outcomes, by point. */
      custom?: unknown;
    };
    executionName: string;
    /** `$$.StateMachine.Name`, for a run that failed before its request was checked. */
    stateMachine?: string;
    status: RunStatus;
    reason?: string;
    results?: Record<string, unknown>;
  }): Promise<{ recorded: true }> {
    const { deps } = this;
    const request = payload.state.request;
    const input = payload.state.input ?? payload.state;
    const named = (input as { application?: unknown }).application;
    const application =
      request?.application ?? (typeof named === 'string' && named !== '' ? named : 'unknown');
    const error = payload.state.error;
    // How far the run got, for a later start that finishes it (resumableFailback).
    const progress: FailbackProgress | undefined =
      request === undefined ? undefined : progressOf(payload.state);
    await deps.ledger.putRun({
      application,
      kind: request?.workflow ?? guardedMoveOf(payload.stateMachine) ?? 'failback',
      executionName: payload.executionName,
      startedAt: payload.state.startedAt ?? this.now(),
      endedAt: this.now(),
      status: payload.status,
      ...(payload.reason === undefined ? {} : { reason: payload.reason }),
      ...(error === undefined ? {} : { error: { name: error.Error ?? 'Error', cause: error.Cause ?? '' } }),
      details: {
        ...(request === undefined ? {} : { request, progress }),
        ...(payload.results ?? {}),
        ...rpoOf(payload.results),
        ...customStepsDetail(payload.state),
        // A failed run says what it had changed before it stopped, for whoever finishes or undoes it.
        ...(payload.status === 'FAILED' ? { changes: failbackChangesOf(payload.state) } : {}),
      },
    });
    return { recorded: true };
  }
}

/**
 * A finished run's RPO: the lag the writer's switch waited for (0: it switches only once the
 * database and every store have caught up), for the ledger beside the failover's.
 */
function rpoOf(results: Record<string, unknown> | undefined): { rpoSeconds?: number } {
  const lag =
    (results?.switch as { started?: unknown; lagSeconds?: unknown } | null | undefined) ?? undefined;
  return lag?.started === true && typeof lag.lagSeconds === 'number' ? { rpoSeconds: lag.lagSeconds } : {};
}

/** What the failback adds to each function's operations (beside the failover's). */
export const FAILBACK_OPERATIONS = {
  'lifeboat-failover-input': ['validateFailback'],
  'lifeboat-preflight': ['checkReplica', 'decideFailback'],
  'lifeboat-database': ['ensureReplica', 'switchWriter'],
  'lifeboat-workloads': ['scaleDownSource'],
  'lifeboat-traffic': ['unfenceTarget', 'shiftStep', 'guardStep', 'rollBack', 'unfenceStandbys'],
  'lifeboat-ledger': ['recordFailback'],
} as const satisfies Record<string, readonly (keyof FailbackSteps)[]>;
