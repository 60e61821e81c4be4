import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { scaleWorkloads, scalingPlan } from './workloadScaling.ts';
import {
  CustomSteps,
  customOutcomes,
  customStepsDetail,
  customStepsPlan,
  type CustomStepInput,
  type CustomStepRun,
  type CustomStepsPlan,
} from '../custom/CustomSteps.ts';
import { detectionSignals } from '../config/naming.ts';
import {
  changesOf,
  failbackFailureMessage,
  failureMessage,
  type FailedFailbackState,
  type FailedFailoverState,
} from './failureMessage.ts';
import {
  classifyError,
  InvalidInputError,
  NotReadyError,
  PreconditionFailedError,
  TransientServiceError,
} from '../errors.ts';
import type { Clock } from '../ports/Clock.ts';
import { bestEffort, type Estate, type IncidentPhase } from '../ports/Estate.ts';
import { checkedOrRecorded } from '../ledger/rejectedInput.ts';
import type { Ledger, RunStatus } from '../ports/Ledger.ts';
import { currentPrimary } from './currentPrimary.ts';
import {
  FAILOVER_PHASES,
  incidentEvent,
  phaseMessage,
  runThread,
  threadOf,
  type PhaseState,
} from './incidentMessages.ts';
import { regionHealth, signalsDownOrRetry, signalStates } from './regionHealth.ts';
import { findApplication, LOCK_LEASE_SECONDS, type FailoverRequest } from './FailoverRequest.ts';
import { readReplicationAtRisk, type ReplicationAtRisk } from './replicationAtRisk.ts';
import { promoteStores, storeRoles, storesAtRisk, storesPlan, worstRisk } from './stores.ts';
import { followWriter, type FollowResult } from './followWriter.ts';
import type { MovingWorkflow } from '../ports/Estate.ts';
import { guardedMoveOf } from '../failback/guardedMove.ts';

export interface FailoverDeps {
  readonly config: LifeboatConfig;
  readonly estate: Estate;
  /** The ledger replica of the region this code runs in (a failover runs in its target region). */
  readonly ledger: Ledger;
  /** Another control-plane region's replica, for the lock's confirmation. */
  readonly ledgerIn: (region: string) => Ledger;
  readonly clock: Clock;
  /** The region this code runs in, when known: a failover started elsewhere is refused. */
  readonly region?: string;
}

/** The most a promotion or a scale-up may take before the run gives up and says so. */
export const PROMOTION_LIMIT_SECONDS = 1800;
export const WORKLOADS_LIMIT_SECONDS = 900;
export { LOCK_LEASE_SECONDS } from './FailoverRequest.ts';

export interface CheckResult {
  readonly check: 'target-health' | 'source-down' | 'replica-lag' | 'cooldown' | 'target-cluster';
  readonly ok: boolean;
  readonly detail: string;
  readonly value?: number;
}

export interface Decision {
  /** `ask`: only a person may let it go on (a lag past the automatic budget, a forced target). */
  readonly outcome: 'proceed' | 'stop' | 'plan' | 'ask';
  readonly reasons: readonly string[];
  readonly plan: readonly string[];
}

interface WithRequest {
  readonly request: FailoverRequest;
}

/** The execution's state as the record and release steps receive it, at whatever point the run reached. */
export interface RunState {
  readonly input?: unknown;
  readonly request?: FailoverRequest;
  readonly validated?: { readonly request?: FailoverRequest };
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  /** When the run began (set by ValidateInput's clock), if it got that far. */
  readonly startedAt?: string;
  /** The custom steps' outcomes, by point (each point's Map result). */
  readonly custom?: unknown;
}

function requestOf(state: RunState): FailoverRequest | undefined {
  return state.request ?? state.validated?.request;
}

function app(deps: FailoverDeps, request: { application: string }): ApplicationConfig {
  const found = findApplication(deps.config, request.application);
  if (found === undefined)
    throw new InvalidInputError([`application: no application named "${request.application}"`]);
  return found;
}

function secondsSince(deps: FailoverDeps, iso: string): number {
  return (deps.clock.now().getTime() - new Date(iso).getTime()) / 1000;
}

/**
 * The failover's steps. Each takes what its state passes and the ports, and can run twice with the
 * same input without changing anything the second time.
 */
export class FailoverSteps {
  private readonly deps: FailoverDeps;

  constructor(deps: FailoverDeps) {
    this.deps = deps;
  }

  /** ValidateInput: checks the input and works out the source; records a rejected input. */
  async validateInput(payload: {
    input: unknown;
    executionName: string;
  }): Promise<{ request: FailoverRequest; startedAt: string; customSteps: CustomStepsPlan }> {
    const { deps } = this;
    const now = deps.clock.now();
    const raw = payload.input as { application?: unknown } | null;
    const named =
      typeof raw?.application === 'string' ? findApplication(deps.config, raw.application) : undefined;
    const serving = named === undefined ? undefined : await currentPrimary(named, deps.estate, deps.ledger);
    // Loaded here only: the other steps' functions need not build the input schema at cold start.
    const { checkFailoverInput } = await import('./FailoverInput.ts');
    const request = await checkedOrRecorded(
      () =>
        checkFailoverInput(payload.input, deps.config, {
          now,
          currentPrimary: (a) => serving ?? a.regions[0] ?? '',
          ...(deps.region === undefined ? {} : { region: deps.region }),
        }),
      {
        ledger: deps.ledger,
        kind: 'failover',
        executionName: payload.executionName,
        input: payload.input,
        now,
      },
    );
    return {
      request,
      startedAt: now.toISOString(),
      customSteps: customStepsPlan(app(deps, request), 'failover'),
    };
  }

  /** StartCustomStep: a custom step's attempt begins (docs/custom-steps.md). */
  async startCustomStep(payload: CustomStepInput): Promise<CustomStepRun> {
    return this.#custom().start(payload);
  }

  /** CheckCustomStep: where a custom step's Job stands; deleted once it outlives its timeout. */
  async checkCustomStep(payload: CustomStepInput & { run: CustomStepRun }): Promise<CustomStepRun> {
    return this.#custom().check(payload);
  }

  /** FinishCustomStep: another attempt after the backoff, or the step's outcome. */
  async finishCustomStep(payload: Parameters<CustomSteps['finish']>[0]): ReturnType<CustomSteps['finish']> {
    return this.#custom().finish(payload);
  }

  /** JudgeCustomSteps: CustomStepFailed when a stop step of the point failed. */
  judgeCustomSteps(payload: Parameters<CustomSteps['judge']>[0]): { judged: number } {
    return this.#custom().judge(payload);
  }

  #custom(): CustomSteps {
    return new CustomSteps({ config: this.deps.config, estate: this.deps.estate, clock: this.deps.clock });
  }

  /** AcquireLock: the application's lock with a lease; a second run finds it held and is skipped. */
  async acquireLock(payload: {
    request: { application: string; targetRegion?: string };
    executionName: string;
    /** A longer lease for a run that waits for a person (a failback's approval); at most two days. */
    leaseSeconds?: number;
    /**
     * The workflow taking it, kept with the lease: a failover's lock names the region it promotes, so
     * the quarantine cuts off a returning old writer while that failover still runs (before its record).
     */
    workflow?: string;
  }): Promise<{ acquired: boolean; heldBy: string | null }> {
    const lease = Math.min(Math.max(payload.leaseSeconds ?? LOCK_LEASE_SECONDS, 60), 2 * 86400);
    const result = await this.deps.ledger.acquireLock(
      payload.request.application,
      payload.executionName,
      this.deps.clock.now(),
      lease,
      payload.workflow === undefined
        ? undefined
        : {
            workflow: payload.workflow,
            ...(payload.request.targetRegion === undefined
              ? {}
              : { targetRegion: payload.request.targetRegion }),
          },
    );
    return { acquired: result.acquired, heldBy: result.acquired ? null : result.heldBy.owner };
  }

  /**
   * ConfirmLock: the lock is consistent only in the replica it was taken in. After the replication
   * settle time, read every other control-plane region's replica: if a live lease there belongs to a
   * run that took it first (earlier `acquiredAt`, then the smaller name), give way — release this
   * run's lock and end as skipped. Both runs apply the same total order, so one of them proceeds.
   * A replica that cannot be read (its region is down) holds no lease a live run could act on.
   */
  async confirmLock({
    request,
    executionName,
  }: {
    request: { application: string; targetRegion: string };
    executionName: string;
  }): Promise<{ confirmed: boolean; heldBy: string | null }> {
    const mine = await this.deps.ledger.getLock(request.application);
    if (mine?.owner !== executionName) return { confirmed: false, heldBy: mine?.owner ?? null };
    const now = this.deps.clock.now();
    const first = (a: { acquiredAt: string; owner: string }, b: { acquiredAt: string; owner: string }) =>
      a.acquiredAt < b.acquiredAt || (a.acquiredAt === b.acquiredAt && a.owner < b.owner);
    for (const region of this.deps.config.controlPlaneRegions) {
      if (region === request.targetRegion) continue;
      let other;
      try {
        other = await this.deps.ledgerIn(region).getLock(request.application);
      } catch {
        continue;
      }
      if (other === undefined || other.owner === executionName || new Date(other.leaseExpiresAt) <= now)
        continue;
      if (first(other, mine)) {
        await this.deps.ledger.releaseLock(request.application, executionName);
        return { confirmed: false, heldBy: other.owner };
      }
    }
    return { confirmed: true, heldBy: null };
  }

  /** ReleaseLock: releases the lock if this run holds it (a run that failed before it knew its application holds none). */
  async releaseLock(payload: { state: RunState; executionName: string }): Promise<{ released: boolean }> {
    const request = requestOf(payload.state);
    if (request === undefined) return { released: false };
    return { released: await this.deps.ledger.releaseLock(request.application, payload.executionName) };
  }

  async checkTarget({ request }: WithRequest): Promise<CheckResult> {
    const health = await regionHealth(
      this.deps.config,
      app(this.deps, request),
      request.targetRegion,
      this.deps.estate,
    );
    return {
      check: 'target-health',
      ok: health.status === 'healthy',
      detail: `${request.targetRegion} is ${health.status} (${health.source === 'route53' ? 'Route 53 health check' : health.source === 'probes' ? "other regions' probes" : 'probed directly'})`,
    };
  }

  /**
   * CheckSource: whether the source is down, by the detection signals that can be read now (its
   * Route 53 alarm, the other regions' probes); in automatic mode a quorum must agree.
   */
  async checkSource({ request }: WithRequest): Promise<CheckResult> {
    const a = app(this.deps, request);
    const signals = detectionSignals({
      controlPlaneRegions: this.deps.config.controlPlaneRegions,
      applications: [a],
    }).filter((s) => s.region === request.sourceRegion);
    const read = await signalStates(signals, this.deps.estate);
    const states = read.map((s) => ({ name: s.signal.alarmName, state: s.state }));
    const alarming = signalsDownOrRetry(read, request.sourceRegion, a.detection.quorum).length;
    const ok = alarming >= a.detection.quorum;
    return {
      check: 'source-down',
      ok,
      value: alarming,
      detail: `${alarming} of ${signals.length} signals for ${request.sourceRegion} in ALARM (quorum ${a.detection.quorum}): ${states.map((s) => `${s.name}=${s.state}`).join(', ')}`,
    };
  }

  /**
   * CheckReplicaLag: the source's writes a promotion now would lose (`replicationAtRisk`: the lag
   * the replica had when replication stopped, not the lag metric that grows while the source is
   * down) against the automatic budget.
   */
  async checkReplicaLag({ request }: WithRequest): Promise<CheckResult> {
    const a = app(this.deps, request);
    const budget = a.automation.maxReplicaLagSeconds;
    // With stores, each component's detail carries the budget it is held to.
    const stores = a.stores.length > 0;
    const risk = await this.atRisk(a, request, stores ? budget : undefined);
    if (risk.seconds === undefined) {
      return { check: 'replica-lag', ok: false, detail: `${request.targetRegion}: ${risk.detail}` };
    }
    return {
      check: 'replica-lag',
      ok: risk.seconds <= budget,
      value: risk.seconds,
      detail: stores ? risk.detail : `${risk.detail} (budget ${budget} s)`,
    };
  }

  /** What a promotion now would lose: the worst of the database's and the stores' (`worstRisk`). */
  private async atRisk(
    a: ApplicationConfig,
    request: FailoverRequest,
    budgetSeconds?: number,
  ): Promise<ReplicationAtRisk> {
    const when = {
      now: this.deps.clock.now(),
      sourceRegion: request.sourceRegion,
      failureBeganAt: request.sourceFailedAt,
    };
    const [database, stores] = await Promise.all([
      readReplicationAtRisk(this.deps.estate.metrics, a, request.targetRegion, when),
      a.stores.length === 0
        ? Promise.resolve([])
        : storesAtRisk(this.deps.estate.stores, a, request.targetRegion, when),
    ]);
    return worstRisk(database, stores, budgetSeconds);
  }

  async checkCooldown({ request }: WithRequest): Promise<CheckResult> {
    const a = app(this.deps, request);
    const runs = await this.deps.ledger.listRuns(a.name, 'failover', 20);
    const last = runs.find(
      (r) =>
        r.status === 'SUCCEEDED' &&
        (r.details as { request?: { mode?: string } } | undefined)?.request?.mode === 'automatic',
    );
    if (last?.endedAt === undefined)
      return { check: 'cooldown', ok: true, detail: 'no automatic failover before' };
    const minutes = secondsSince(this.deps, last.endedAt) / 60;
    const ok = minutes >= a.automation.cooldownMinutes;
    return {
      check: 'cooldown',
      ok,
      value: Math.round(minutes),
      detail: `last automatic failover ${Math.round(minutes)} min ago (cooldown ${a.automation.cooldownMinutes} min)`,
    };
  }

  async checkTargetCluster({ request }: WithRequest): Promise<CheckResult> {
    const ok = await this.deps.estate.workloads.clusterReachable(
      app(this.deps, request),
      request.targetRegion,
    );
    return {
      check: 'target-cluster',
      ok,
      detail: `${request.targetRegion} cluster ${ok ? 'is active' : 'is not active'}`,
    };
  }

  /** Decide: proceed, stop with the reasons, or (dry run) say what would be done. */
  decide({ request, preflight }: WithRequest & { preflight: readonly CheckResult[] }): Decision {
    const a = app(this.deps, request);
    const by = (check: CheckResult['check']) => preflight.find((c) => c.check === check);
    const reasons: string[] = [];
    // What a person may overrule on Slack; everything in `reasons` stops the run.
    const askable: string[] = [];
    const target = by('target-health');
    if (target?.ok !== true) {
      const why = `the target ${request.targetRegion} is not healthy: ${target?.detail ?? 'not checked'}`;
      if (request.force) askable.push(`${why}; the start forces traffic there anyway`);
      else reasons.push(why);
    }
    const source = by('source-down');
    if (source?.ok !== true) {
      reasons.push(
        request.mode === 'automatic'
          ? `the source ${request.sourceRegion} is no longer down: ${source?.detail ?? 'not checked'}`
          : `the source ${request.sourceRegion} is up and writable; promoting now would split the brain (move it with a planned switchover instead: lifeboat start switchover --app ${request.application} --to ${request.targetRegion})`,
      );
    }
    const lag = by('replica-lag');
    if (lag?.ok !== true && request.mode === 'automatic') {
      askable.push(
        `automatic promotion is held back: ${lag?.detail ?? 'lag not checked'}; a person must decide`,
      );
    }
    const cooldown = by('cooldown');
    if (cooldown?.ok !== true && request.mode === 'automatic')
      reasons.push(`in cooldown: ${cooldown?.detail ?? ''}`);
    const cluster = by('target-cluster');
    if (cluster?.ok !== true) reasons.push(`the target cluster cannot be reached: ${cluster?.detail ?? ''}`);
    const workload = a.workloads[request.targetRegion];
    const plan = [
      `fence ${request.sourceRegion}'s record so Route 53 stops answering with it`,
      a.database.engine === 'aurora-global'
        ? `fail the Aurora global cluster ${a.database.globalClusterIdentifier} over to ${a.database.clusters[request.targetRegion] ?? '?'}`
        : a.database.engine === 'cloudnativepg'
          ? `promote the CloudNativePG replica cluster ${a.database.clusters[request.targetRegion]?.name ?? '?'} in ${request.targetRegion} (its spec.replica.primary set to itself)`
          : `promote ${a.database.instances[request.targetRegion] ?? '?'} in ${request.targetRegion}`,
      ...storesPlan(a, request.targetRegion),
      ...(workload?.nodeGroups.map((g) => `scale node group ${g.name} to ${g.activeSize}`) ?? []),
      ...(workload?.deployments.map((d) => scalingPlan(d, 'active')) ?? []),
      `set weights ${request.sourceRegion}=0, ${request.targetRegion}=100 and wait for INSYNC`,
      `verify ${request.targetRegion} and record the run`,
    ];
    if (reasons.length > 0) return { outcome: 'stop', reasons: [...reasons, ...askable], plan };
    if (request.dryRun) return { outcome: 'plan', reasons: askable, plan };
    if (askable.length > 0) return { outcome: 'ask', reasons: askable, plan };
    return { outcome: 'proceed', reasons: [], plan };
  }

  /**
   * FenceSource: fences every region but the target, and lifts any fence left on the target (a
   * standby kept fenced by an earlier failback because its database was still writable). With the
   * source's record fenced and (while Route 53's API is down) its weight still up, Route 53's data
   * plane answers with the healthy zero-weight records; fencing the other standbys too, whose
   * databases stay read-only, leaves the target as the only answer once it serves, before and
   * regardless of any record change. `missed` lists the vote regions that did not take a vote where
   * the others decided. The source's fence must hold: the step fails (and is retried) until it
   * does. Another region's fence whose vote regions do not answer (`fenceVotes: "one"`: its fence
   * region is down, never us-east-1 while another region can hold it) is listed in `unreachable` and
   * the run goes on: that region's database is not the writer, and with us-east-1 up Route 53's API
   * takes the weight change that keeps it out of the answers (docs/fencing.md). The failback's
   * FenceSourceForSwitch runs it too, its target the returning region.
   */
  async fenceSource({ request }: WithRequest): Promise<{
    fenced: string[];
    unfenced: string[];
    missed: string[];
    unreachable: string[];
    at: string;
  }> {
    const a = app(this.deps, request);
    const others = a.regions.filter((r) => r !== request.targetRegion);
    const missed = new Set<string>();
    const unreachable: string[] = [];
    const vote = async (region: string, fence: boolean): Promise<boolean> => {
      try {
        for (const m of (await this.deps.estate.fence.setFence(a, region, fence)).missed) missed.add(m);
        return true;
      } catch (error) {
        if (region === request.sourceRegion || !(error instanceof TransientServiceError)) throw error;
        unreachable.push(`${region} (${error.message})`);
        return false;
      }
    };
    // The source first: nothing else is worth voting until its fence holds.
    const order = [
      ...others.filter((r) => r === request.sourceRegion),
      ...others.filter((r) => r !== request.sourceRegion),
    ];
    const fenced: string[] = [];
    for (const region of order) if (await vote(region, true)) fenced.push(region);
    const unfenced = (await vote(request.targetRegion, false)) ? [request.targetRegion] : [];
    return {
      fenced: others.filter((r) => fenced.includes(r)),
      unfenced,
      missed: [...missed].sort(),
      unreachable,
      at: this.deps.clock.now().toISOString(),
    };
  }

  /**
   * PromoteDatabase: makes the target the writer, the database and each store in parallel. The
   * source's writes they leave behind (the lag each had when replication stopped,
   * `replicationAtRisk`; the worst of them) are the run's RPO.
   */
  async promoteDatabase({
    request,
    executionName,
    approval,
  }: WithRequest & { executionName: string; approval?: { by?: string } | null }): Promise<{
    status: string;
    lagSeconds: number | null;
    stores?: Record<string, string>;
    at: string;
  }> {
    const a = app(this.deps, request);
    let lag: number | undefined;
    try {
      lag = (await this.atRisk(a, request)).seconds;
    } catch {
      lag = undefined;
    }
    const options = {
      planned: false,
      // An approval on Slack makes it a person's promotion, whatever started the run.
      by:
        approval?.by !== undefined
          ? `approved:${approval.by}`
          : request.mode === 'automatic'
            ? 'automatic'
            : `human:${executionName}`,
    };
    const [database, promoted] = await Promise.allSettled([
      this.deps.estate.database.promote(a, request.targetRegion, options),
      promoteStores(this.deps.estate.stores, a, request.targetRegion, options),
    ]);
    if (database.status === 'rejected' || promoted.status === 'rejected') {
      // Retried or failed as the error is; its message says what the other side already began, for
      // whoever reads the failure (a promotion cannot be undone; a second run finds it done).
      const failure = classifyError(
        database.status === 'rejected' ? database.reason : (promoted as PromiseRejectedResult).reason,
      );
      const begun = [
        ...(database.status === 'fulfilled' ? [`the database's promotion in ${request.targetRegion}`] : []),
        ...(promoted.status === 'fulfilled' && a.stores.length > 0
          ? [`the failover of ${a.stores.map((s) => `store ${s.name}`).join(', ')}`]
          : []),
      ];
      if (begun.length > 0) failure.message = `${failure.message} (${begun.join(' and ')} already begun)`;
      throw failure;
    }
    const [status, stores] = [database.value, promoted.value];
    return {
      status,
      lagSeconds: lag ?? null,
      ...(a.stores.length === 0 ? {} : { stores }),
      at: this.deps.clock.now().toISOString(),
    };
  }

  /** CheckDatabase: whether the target accepts writes; gives up after the promotion limit. */
  async checkDatabase({ request, promotedAt }: WithRequest & { promotedAt: string }): Promise<{
    writable: boolean;
    role: string;
    stores?: Record<string, string>;
    at: string;
  }> {
    const a = app(this.deps, request);
    const [status, stores] = await Promise.all([
      this.deps.estate.database.describe(a, request.targetRegion),
      storeRoles(this.deps.estate.stores, a, request.targetRegion),
    ]);
    const databaseWritable = status.role !== 'replica' && status.available;
    const writable = databaseWritable && stores.writable;
    if (!writable && secondsSince(this.deps, promotedAt) > PROMOTION_LIMIT_SECONDS) {
      const waiting = [
        ...(databaseWritable ? [] : [`the database in ${request.targetRegion} is still ${status.role}`]),
        ...Object.entries(stores.roles)
          .filter(([, role]) => role !== 'primary' && role !== 'standalone')
          .map(([name, role]) => `store ${name}'s member in ${request.targetRegion} is still ${role}`),
      ];
      throw new NotReadyError(
        `${waiting.join(', and ')} ${PROMOTION_LIMIT_SECONDS} s after its promotion began`,
      );
    }
    return {
      writable,
      role: status.role,
      ...(a.stores.length === 0 ? {} : { stores: stores.roles }),
      at: this.deps.clock.now().toISOString(),
    };
  }

  async scaleNodeGroups({
    request,
  }: WithRequest): Promise<{ at: string; nodeGroups: Record<string, number> }> {
    const a = app(this.deps, request);
    const out: Record<string, number> = {};
    for (const group of a.workloads[request.targetRegion]?.nodeGroups ?? []) {
      await this.deps.estate.workloads.scaleNodeGroup(a, request.targetRegion, group.name, {
        desired: group.activeSize,
        max: group.maxSize ?? group.activeSize,
      });
      out[group.name] = group.activeSize;
    }
    return { at: this.deps.clock.now().toISOString(), nodeGroups: out };
  }

  /** ScaleDeployments: each workload to its active size, or its autoscaler's minimum to it. */
  async scaleDeployments({ request }: WithRequest): Promise<{
    at: string;
    deployments: Record<string, number>;
    autoscalers?: Record<string, string>;
  }> {
    const a = app(this.deps, request);
    const { deployments, autoscalers } = await scaleWorkloads(
      this.deps.estate.workloads,
      a,
      request.targetRegion,
      'active',
    );
    return {
      at: this.deps.clock.now().toISOString(),
      deployments,
      ...(Object.keys(autoscalers).length === 0 ? {} : { autoscalers }),
    };
  }

  /** CheckWorkloads: every deployment has its minimum ready; gives up (and says which) after the limit. */
  async checkWorkloads({ request, scaledAt }: WithRequest & { scaledAt: string }): Promise<{
    ready: boolean;
    deployments: Record<string, string>;
    at: string;
  }> {
    const a = app(this.deps, request);
    const out: Record<string, string> = {};
    let ready = true;
    for (const d of a.workloads[request.targetRegion]?.deployments ?? []) {
      const status = await this.deps.estate.workloads.describeWorkload(a, request.targetRegion, d);
      const min = d.minReadyReplicas ?? d.activeReplicas;
      out[`${d.namespace}/${d.name}`] = `${status.readyReplicas}/${min} ready`;
      if (status.readyReplicas < min) ready = false;
    }
    if (!ready && secondsSince(this.deps, scaledAt) > WORKLOADS_LIMIT_SECONDS) {
      throw new NotReadyError(
        `workloads in ${request.targetRegion} short of their minimum ${WORKLOADS_LIMIT_SECONDS} s after scaling: ${Object.entries(
          out,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    }
    return { ready, deployments: out, at: this.deps.clock.now().toISOString() };
  }

  /** ShiftTraffic: one change batch, the target up and the source at 0; retried until Route 53 answers. */
  async shiftTraffic({ request, executionName }: WithRequest & { executionName: string }): Promise<{
    changeId: string;
    weights: Record<string, number>;
    at: string;
  }> {
    const weights = { [request.sourceRegion]: 0, [request.targetRegion]: 100 };
    const a = app(this.deps, request);
    const changeId = await this.deps.estate.dns.setWeights(a, weights, {
      force: request.force,
      by: executionName,
    });
    await bestEffort(() => this.deps.estate.telemetry.weights(a, weights));
    return { changeId, weights, at: this.deps.clock.now().toISOString() };
  }

  async checkChange({ changeId }: { changeId: string }): Promise<{ insync: boolean }> {
    return { insync: (await this.deps.estate.dns.getChangeStatus(changeId)) === 'INSYNC' };
  }

  /**
   * VerifyTarget: the target serves from the outside: its health check (Route 53's checkers, or the
   * other regions' probes when Route 53's API does not answer), a writable database, ready workloads.
   */
  async verifyTarget({ request }: WithRequest): Promise<{ verifiedAt: string; health: string }> {
    const a = app(this.deps, request);
    const health = (await regionHealth(this.deps.config, a, request.targetRegion, this.deps.estate)).status;
    if (health !== 'healthy' && !request.force) {
      throw new PreconditionFailedError(
        `${request.targetRegion} does not pass its health check after the change`,
      );
    }
    return { verifiedAt: this.deps.clock.now().toISOString(), health };
  }

  /**
   * FollowWriter: once the writer has moved to the target and traffic with it, every other region's
   * database one step toward following it (`followWriter`), the old primary left to the step that
   * handles it: a failback rebuilds it (and the failback's own source is rebuilt by RestoreStandby).
   * Asked again, with its last result as `previous`, until every region follows or says why not.
   */
  async followWriter({
    request,
    workflow,
    previous,
  }: {
    request: Pick<FailoverRequest, 'application' | 'sourceRegion' | 'targetRegion'>;
    workflow?: MovingWorkflow;
    previous?: Partial<FollowResult> | null;
  }): Promise<FollowResult> {
    const a = app(this.deps, request);
    const engine = a.database.engine;
    const target = request.targetRegion;
    const guarded = workflow === 'failback' || workflow === 'switchover';
    const handled = guarded
      ? engine === 'aurora-global'
        ? `the region traffic left: the switchover made its cluster a secondary of ${target}`
        : engine === 'cloudnativepg'
          ? `the region traffic left: its demoted cluster replicates from ${target} (CloudNativePG's demotion)`
          : `the region traffic left: this ${workflow} rebuilds its database as a replica of ${target} (RestoreStandby)`
      : engine === 'aurora-global'
        ? `the old primary: Aurora rebuilds it as a secondary of ${target} (once its region is back, if it is down)`
        : engine === 'cloudnativepg'
          ? `the old primary: fenced when its region answers again; CloudNativePG requires it to be re-cloned as a replica of ${target} before a failback (docs/cloudnativepg.md)`
          : `the old primary: kept fenced as it is; a failback renames it and builds a replica of ${target} in its place`;
    return await followWriter(
      { database: this.deps.estate.database, stores: this.deps.estate.stores, clock: this.deps.clock },
      a,
      {
        writer: target,
        handled: { [request.sourceRegion]: handled },
        previous: previous ?? null,
        retiredLabel: guarded ? `pre-${workflow}` : 'pre-failover',
      },
    );
  }

  /** Record: the run in the ledger, whatever its end, with RTO and RPO when it moved traffic. */
  async record(payload: {
    state: RunState;
    executionName: string;
    status: RunStatus;
    reason?: string;
    results?: Record<string, unknown>;
    /** False when the run's record is written again (RecordReplicas): its RTO is published once. */
    publish?: boolean;
  }): Promise<{
    recorded: true;
    rtoSeconds: number | null;
    rpoSeconds: number | null;
    rtoFrom: string;
  }> {
    const { deps } = this;
    const request = requestOf(payload.state);
    const input = payload.state.input ?? payload.state;
    const error = payload.state.error;
    const named = (input as { application?: unknown }).application;
    const application =
      request?.application ?? (typeof named === 'string' && named !== '' ? named : 'unknown');
    const results = payload.results ?? {};
    const verify = results.verify as { verifiedAt?: string } | undefined;
    const promotion = results.promotion as { lagSeconds?: number | null } | undefined;
    const a = findApplication(deps.config, application);
    // With every other region fenced, clients reach the target as soon as it is writable and ready:
    // that moment, plus the TTL, is the RTO (the record change only makes it stick).
    const times = [results.fence, results.database, results.workloads]
      .map((r) => (r as { at?: string } | undefined)?.at)
      .filter((t): t is string => t !== undefined);
    // Measured from where the failure began as detection saw it (the first failed check), which is
    // what the rehearsal's reports measure from the fault itself; a manual run from its start.
    const measuredFrom = request?.failureBeganAt ?? request?.incidentStartedAt;
    const rtoFrom = request?.rtoFrom ?? 'the first alarm';
    const since = (iso: string): number =>
      measuredFrom === undefined ? 0 : (new Date(iso).getTime() - new Date(measuredFrom).getTime()) / 1000;
    const ttl = a?.dns.ttlSeconds ?? 0;
    const rtoSeconds =
      request !== undefined && times.length === 3 ? Math.round(Math.max(...times.map(since)) + ttl) : null;
    const verifiedAfterSeconds =
      request !== undefined && verify?.verifiedAt !== undefined ? Math.round(since(verify.verifiedAt)) : null;
    const rpoSeconds = promotion?.lagSeconds ?? null;
    await deps.ledger.putRun({
      application,
      kind: 'failover',
      executionName: payload.executionName,
      startedAt: payload.state.startedAt ?? deps.clock.now().toISOString(),
      endedAt: deps.clock.now().toISOString(),
      status: payload.status,
      ...(payload.reason === undefined ? {} : { reason: payload.reason }),
      ...(error === undefined ? {} : { error: { name: error.Error ?? 'Error', cause: error.Cause ?? '' } }),
      details: {
        ...(request === undefined ? {} : { request }),
        ...results,
        ...customStepsDetail(payload.state),
        rtoSeconds,
        ...(measuredFrom === undefined ? {} : { rtoMeasuredFrom: measuredFrom, rtoFrom }),
        rpoSeconds,
        verifiedAfterSeconds,
        ...(a === undefined
          ? {}
          : { rtoTargetSeconds: a.targets.rtoSeconds, rpoTargetSeconds: a.targets.rpoSeconds }),
        // A failed run says what it had changed before it stopped, for whoever finishes or undoes it.
        ...(payload.status === 'FAILED' ? { changes: changesOf(payload.state) } : {}),
      },
    });
    if (
      payload.status === 'SUCCEEDED' &&
      rtoSeconds !== null &&
      a !== undefined &&
      payload.publish !== false
    ) {
      await bestEffort(() => deps.estate.telemetry.rto(a, rtoSeconds));
    }
    return { recorded: true, rtoSeconds, rpoSeconds, rtoFrom };
  }

  /**
   * Notify: a message to the team's channel; with the run's `thread`, a reply in its incident thread
   * (`broadcast`: shown in the channel too).
   */
  async notify(payload: {
    text: string;
    thread?: { ts?: unknown; messageTs?: unknown } | null;
    broadcast?: boolean;
    /** With the paging hook configured, the incident update this message is (and its run). */
    page?: IncidentPhase;
    workflow?: MovingWorkflow;
    request?: { application?: string; sourceRegion?: string; targetRegion?: string };
    executionName?: string;
    /** The custom steps' outcomes so far: a run's last message names the ones that warned. */
    custom?: unknown;
  }): Promise<{ ts: string; paged?: string }> {
    const warned = customOutcomes(payload.custom).filter((o) => o.outcome === 'warning');
    const text =
      warned.length === 0
        ? payload.text
        : `${payload.text}\n${warned.map((o) => `Warning: custom step ${o.step} (${o.point}) failed and the run went on (onFailure: continue): ${o.detail}`).join('\n')}`;
    const paged =
      payload.page === undefined
        ? undefined
        : await this.page(
            payload.page,
            payload.workflow ?? 'failover',
            payload.request,
            payload.executionName,
            text,
          );
    return {
      ts: await this.deps.estate.notifier.post(
        text,
        undefined,
        threadOf(payload.thread, payload.broadcast === true),
      ),
      ...(paged === undefined ? {} : { paged }),
    };
  }

  /**
   * The paging hook (`paging` in the config): the incident update on the configured event bus,
   * before the Slack message. Best effort: a pager that cannot be reached never holds the run up;
   * the step's output says so (`paged`).
   */
  private async page(
    phase: IncidentPhase,
    workflow: MovingWorkflow,
    request: { application?: string; sourceRegion?: string; targetRegion?: string } | undefined,
    executionName: string | undefined,
    text: string,
  ): Promise<string | undefined> {
    if (this.deps.config.paging === undefined) return undefined;
    try {
      await this.deps.estate.pager.page(
        incidentEvent({
          phase,
          workflow,
          execution: executionName ?? 'unknown',
          ...(request === undefined ? {} : { request }),
          text,
          region: this.deps.region ?? request?.targetRegion ?? 'unknown',
          at: this.deps.clock.now(),
        }),
      );
      return phase;
    } catch (error) {
      return `not paged: ${(error as Error).message}`;
    }
  }

  /** NotifyFenced, NotifyPromoted, ...: the reply in the incident thread for a phase the run reached. */
  async notifyPhase(payload: { phase: string; state: PhaseState }): Promise<{ ts: string }> {
    const phase = FAILOVER_PHASES.find((p) => p === payload.phase);
    if (phase === undefined) {
      throw new InvalidInputError([
        `phase: "${payload.phase}" is not a failover phase; expected one of ${FAILOVER_PHASES.join(', ')}`,
      ]);
    }
    const application = payload.state.request?.application;
    const a = this.deps.config.applications.find((x) => x.name === application);
    return {
      ts: await this.deps.estate.notifier.post(
        phaseMessage(phase, payload.state, a),
        undefined,
        runThread(payload.state),
      ),
    };
  }

  /**
   * NotifyFailure: the failed run's message, in words: the error, what the run had changed before
   * it stopped and what it had not (`failureMessage`), and the next command.
   */
  async notifyFailure(payload: {
    state: FailedFailoverState & FailedFailbackState;
    executionName: string;
    workflow?: MovingWorkflow;
    /** `$$.StateMachine.Name`: which guarded move failed, when the run failed before its request was checked. */
    stateMachine?: string;
  }): Promise<{ ts: string; paged?: string }> {
    const workflow =
      payload.state.request?.workflow ??
      guardedMoveOf(payload.stateMachine) ??
      payload.workflow ??
      'failover';
    const text =
      workflow === 'failover'
        ? failureMessage(payload.state, payload.executionName)
        : failbackFailureMessage(payload.state, payload.executionName, workflow);
    const paged = await this.page('failed', workflow, payload.state.request, payload.executionName, text);
    // The end of the run: a reply in its incident thread, shown in the channel too.
    return {
      ts: await this.deps.estate.notifier.post(text, undefined, runThread(payload.state, true)),
      ...(paged === undefined ? {} : { paged }),
    };
  }
}

/** The Lambda functions of the failover and the step operations each may run. */
export const FAILOVER_FUNCTIONS = {
  'lifeboat-failover-input': ['validateInput'],
  'lifeboat-lock': ['acquireLock', 'confirmLock', 'releaseLock'],
  'lifeboat-preflight': [
    'checkTarget',
    'checkSource',
    'checkReplicaLag',
    'checkCooldown',
    'checkTargetCluster',
    'decide',
  ],
  'lifeboat-database': ['promoteDatabase', 'checkDatabase', 'followWriter'],
  'lifeboat-workloads': ['scaleNodeGroups', 'scaleDeployments', 'checkWorkloads'],
  'lifeboat-traffic': ['fenceSource', 'shiftTraffic', 'checkChange', 'verifyTarget'],
  'lifeboat-ledger': ['record'],
  'lifeboat-notify': ['notify', 'notifyPhase', 'notifyFailure'],
  'lifeboat-custom': ['startCustomStep', 'checkCustomStep', 'finishCustomStep', 'judgeCustomSteps'],
} as const satisfies Record<string, readonly (keyof FailoverSteps)[]>;

export type FailoverFunctionName = keyof typeof FAILOVER_FUNCTIONS;

/**
 * Runs the operation a state names (`payload.operation`) if the function may run it. Unknown
 * operations are refused: a definition that names the wrong one fails loudly.
 */
export async function runFailoverStep(
  functionName: FailoverFunctionName,
  payload: unknown,
  steps: FailoverSteps,
): Promise<unknown> {
  const operation = (payload as { operation?: unknown } | null)?.operation;
  const allowed: readonly string[] = FAILOVER_FUNCTIONS[functionName];
  if (typeof operation !== 'string' || !allowed.includes(operation)) {
    throw new InvalidInputError([
      `operation: ${String(operation)} is not one of ${allowed.join(', ')} (${functionName})`,
    ]);
  }
  // eslint-disable-next-line @typescript-eslint/unbound-method -- applied to `steps` itself, below
  const method = steps[operation as keyof FailoverSteps];
  return await (Reflect.apply(method, steps, [payload]) as Promise<unknown>);
}
