import { ApplicationSteps, guardProblems } from '../runtime/ApplicationSteps.ts';
import type { ApplicationConfig, ScaledWorkloadConfig } from '../config/LifeboatConfig.ts';
import { workloadLabel } from '../config/workloadKinds.ts';
import {
  classifyError,
  InvalidInputError,
  NotReadyError,
  PreconditionFailedError,
  ThrottledError,
  TransientServiceError,
} from '../errors.ts';
import { findApplication } from '../failover/FailoverRequest.ts';
import { WORKLOADS_LIMIT_SECONDS } from '../failover/FailoverSteps.ts';
import { causeText } from '../failover/failureMessage.ts';
import { regionHealth } from '../failover/regionHealth.ts';
import { scaleWorkloads } from '../failover/workloadScaling.ts';
import { checkedOrRecorded } from '../ledger/rejectedInput.ts';
import { bestEffort } from '../ports/Estate.ts';
import type { RunStatus } from '../ports/Ledger.ts';
import { checkDrainInput, type DrainRequest } from './DrainInput.ts';

/** How long a weight change may stay PENDING in Route 53 before the run gives up on it. */
export const INSYNC_LIMIT_SECONDS = 1800;

interface WithRequest {
  readonly request: DrainRequest;
}

/** One preflight check of a drain: a region that takes traffic, or where the database writer is. */
export interface DrainCheck {
  readonly check: 'region-health' | 'cluster' | 'database';
  readonly region: string;
  readonly ok: boolean;
  readonly detail: string;
  /** The database check: whether the drained region holds the writer. */
  readonly writer?: boolean;
}

/** One step of the drain as the guard judged it. */
export interface DrainReading {
  readonly percent: number;
  /** The drained (or returning) region's weight at this step. */
  readonly weight: number;
  readonly weights: Readonly<Record<string, number>>;
  readonly at: string;
  /** Each guarded region's error rate (percent) and p99 latency (ms); null where no datapoint came. */
  readonly regions: Readonly<Record<string, { errorRatePercent: number | null; latencyMs: number | null }>>;
  readonly ok: boolean;
  readonly detail: string;
}

/** What one region runs to carry a share of the traffic. */
export interface RegionSizing {
  readonly region: string;
  /** Its share after the move, in percent. */
  readonly sharePercent: number;
  /** How many times its serving share that is (at least 1: a drain never shrinks a region). */
  readonly factor: number;
  readonly workloads: readonly {
    readonly workload: ScaledWorkloadConfig;
    readonly replicas: number;
    readonly minReady: number;
  }[];
  readonly nodeGroups: readonly { readonly name: string; readonly desired: number; readonly max: number }[];
}

function shareOf(weights: Readonly<Record<string, number>>, region: string): number {
  const total = Object.values(weights).reduce((sum, w) => sum + w, 0);
  return total === 0 ? 0 : (weights[region] ?? 0) / total;
}

/**
 * What `region` runs to carry its share under `weights`. A region's `activeReplicas` (and node
 * groups' `activeSize`) are what it runs for its serving share (`activeActive.weights`); carrying
 * more, it runs that many times more, rounded up. A region whose serving weight is 0 is sized as
 * carrying all the traffic with its active sizes, as in an active-passive application.
 */
export function regionSizing(
  app: ApplicationConfig,
  region: string,
  weights: Readonly<Record<string, number>>,
): RegionSizing {
  const serving = app.activeActive?.weights ?? {};
  const servingShare = (serving[region] ?? 0) > 0 ? shareOf(serving, region) : 1;
  const share = shareOf(weights, region);
  const factor = Math.max(1, share / servingShare);
  // A share computed from weights is rarely exact: 1e-9 keeps 6 × (2/3 ÷ 2/3) at 6.
  const times = (n: number) => Math.ceil(n * factor - 1e-9);
  const workload = app.workloads[region];
  return {
    region,
    sharePercent: Math.round(share * 1000) / 10,
    factor: Math.round(factor * 1000) / 1000,
    workloads: (workload?.deployments ?? []).map((w) => ({
      workload: w,
      replicas: times(w.activeReplicas),
      minReady: times(w.minReadyReplicas ?? w.activeReplicas),
    })),
    nodeGroups: (workload?.nodeGroups ?? []).map((g) => ({
      name: g.name,
      desired: times(g.activeSize),
      max: g.maxSize ?? g.activeSize,
    })),
  };
}

/** The weights once the run has done its last step. */
export function finalWeights(request: DrainRequest): Record<string, number> {
  return { ...request.startWeights, [request.region]: request.stepWeights.at(-1) ?? 0 };
}

/** The regions whose capacity the run raises before the first step, and whose error rate the guard reads. */
export function receivingRegions(request: DrainRequest): readonly string[] {
  return request.action === 'drain' ? request.remaining : [request.region];
}

function describeWeights(weights: Readonly<Record<string, number>>): string {
  return Object.entries(weights)
    .map(([region, weight]) => `${region} ${weight}`)
    .join(', ');
}

/**
 * The drain and the undrain of an active-active application's region (docs/drain.md): the lock,
 * approval, checking and recording are shaped like the failback's; these are the drain's own steps.
 * Each can run twice with the same input and change nothing the second time.
 */
export class DrainSteps extends ApplicationSteps {
  /** ValidateInput: checks the input against the config and the weights in force; records a rejected input. */
  async validateDrain(payload: {
    input: unknown;
    executionName: string;
  }): Promise<{ request: DrainRequest; startedAt: string }> {
    const { deps } = this;
    const now = deps.clock.now();
    const raw = payload.input as { application?: unknown } | null;
    const named =
      typeof raw?.application === 'string' ? findApplication(deps.config, raw.application) : undefined;
    // The weights in force decide what a drain does; without Route 53's API there is no drain.
    const weights = named === undefined ? {} : await deps.estate.dns.getWeights(named);
    const request = await checkedOrRecorded(
      () =>
        checkDrainInput(payload.input, deps.config, {
          weights,
          region: deps.region ?? deps.config.controlPlaneRegions[0] ?? 'us-east-1',
        }),
      { ledger: deps.ledger, kind: 'drain', executionName: payload.executionName, input: payload.input, now },
    );
    return { request, startedAt: now.toISOString() };
  }

  /**
   * Preflight: each region that takes traffic is healthy and its cluster answers; a drain also says
   * where the database writer is, which it does not move. Changes nothing.
   */
  async checkDrain({ request }: WithRequest): Promise<DrainCheck[]> {
    const a = this.app(request);
    const checks: DrainCheck[] = [];
    // A check that cannot be made is a failed check (the run stops with the reason), not a failed
    // run; an error that may pass is thrown for the Task's retry first.
    const unread = (error: unknown) => {
      const classified = classifyError(error);
      if (classified instanceof TransientServiceError || classified instanceof ThrottledError) throw error;
      return `could not be read (${(error as Error).message})`;
    };
    for (const region of receivingRegions(request)) {
      try {
        const health = await regionHealth(this.deps.config, a, region, this.deps.estate);
        checks.push({
          check: 'region-health',
          region,
          ok: health.status === 'healthy',
          detail: `${region} is ${health.status} (${health.source === 'route53' ? 'Route 53 health check' : health.source === 'probes' ? "other regions' probes" : 'probed directly'})`,
        });
      } catch (error) {
        checks.push({
          check: 'region-health',
          region,
          ok: false,
          detail: `${region}'s health ${unread(error)}`,
        });
      }
      try {
        const reachable = await this.deps.estate.workloads.clusterReachable(a, region);
        checks.push({
          check: 'cluster',
          region,
          ok: reachable,
          detail: `${region} cluster ${reachable ? 'is active' : 'is not active'}`,
        });
      } catch (error) {
        checks.push({ check: 'cluster', region, ok: false, detail: `${region} cluster ${unread(error)}` });
      }
    }
    if (request.action === 'drain') {
      let detail: string;
      let writer = false;
      try {
        const status = await this.deps.estate.database.describe(a, request.region);
        writer = status.role !== 'replica';
        detail = !writer
          ? `the database in ${request.region} is a replica of ${String(status.sourceRegion)}; the writer is not in the drained region`
          : request.moveWriter
            ? `the database writer is in ${request.region}: it moves once the region's traffic is out (activeActive.moveWriter)`
            : `the database writer is in ${request.region} and stays there (a drain moves no database unless activeActive.moveWriter): the other regions' writes reach it across regions`;
      } catch (error) {
        // Where the writer is decides whether it moves: a read that fails then fails the step (and is
        // retried when it may pass). Without moveWriter it is only said.
        if (request.moveWriter) throw error;
        detail = `the database in ${request.region} could not be read (${(error as Error).message}); a drain does not move it`;
      }
      checks.push({ check: 'database', region: request.region, ok: true, detail, writer });
    }
    return checks;
  }

  /** Decide: proceed, stop with the reasons, or (dry run) say what would be done. */
  decideDrain({ request, preflight }: WithRequest & { preflight: readonly DrainCheck[] }): {
    outcome: 'proceed' | 'stop' | 'plan';
    reasons: string[];
    plan: string[];
    /** Where the writer moves after the last step (`activeActive.moveWriter`), or null. */
    moveWriterTo: string | null;
  } {
    const a = this.app(request);
    const reasons = preflight
      .filter((c) => !c.ok)
      .map((c) =>
        c.check === 'region-health'
          ? `${c.region} must take traffic but is not healthy: ${c.detail}`
          : `${c.region} must take traffic but its cluster cannot be reached: ${c.detail}`,
      );
    const after = finalWeights(request);
    const plan: string[] = [];
    for (const region of this.regionsToScale(request)) {
      const sizing = regionSizing(a, region, after);
      const sizes = [
        ...sizing.nodeGroups.map((g) => `node group ${g.name} to ${g.desired}`),
        ...sizing.workloads.map((w) => `${workloadLabel(w.workload)} to ${w.replicas}`),
      ];
      plan.push(
        `scale ${region} to carry ${sizing.sharePercent} % of the traffic (${sizing.factor}× its serving share): ${sizes.join(', ')}; wait until ready`,
      );
      for (const [i, g] of sizing.nodeGroups.entries()) {
        if (g.desired > g.max) {
          reasons.push(
            `${region} needs ${g.desired} nodes in node group ${g.name} to carry ${sizing.sharePercent} % of the traffic, above its maxSize ${g.max}: raise applications[].workloads.${region}.nodeGroups[${i}].maxSize`,
          );
        }
      }
    }
    if (request.action === 'drain' && !request.scaleRemaining) {
      plan.push(
        `leave ${request.remaining.join(', ')} as they are (activeActive.scaleRemaining is false): their autoscalers take the load, and the guard watches it`,
      );
    }
    const bounds = a.dns.failback;
    plan.push(
      `${request.action === 'drain' ? 'lower' : 'raise'} ${request.region}'s weight ${request.startWeights[request.region] ?? 0} → ${request.stepWeights.join(' → ')} (${request.steps.join(', ')} % of its serving weight ${request.servingWeight}), the other regions' weights unchanged (${describeWeights(request.startWeights)}); each step baked ${request.bakeSeconds} s and guarded in ${receivingRegions(request).join(', ')} (error rate ≤ ${bounds.maxErrorRatePercent} %, p99 ≤ ${bounds.maxLatencyMs} ms); roll back on breach`,
    );
    if (request.action === 'undrain') {
      for (const region of request.remaining) {
        plan.push(
          `then lower ${region} to what its share needs again (${regionSizing(a, region, after)
            .workloads.map((w) => `${workloadLabel(w.workload)} ${w.replicas}`)
            .join(', ')})`,
        );
      }
    }
    const database = preflight.find((c) => c.check === 'database');
    // The writer goes to the first remaining region in the application's order.
    const moveWriterTo =
      request.moveWriter && database?.writer === true
        ? (a.regions.find((r) => request.remaining.includes(r)) ?? null)
        : null;
    if (database !== undefined) plan.push(database.detail);
    if (moveWriterTo !== null) {
      plan.push(
        `then move the database writer from ${request.region} to ${moveWriterTo} with an Aurora global switchover (no data loss; the global writer endpoint follows it)`,
      );
    }
    if (reasons.length > 0) return { outcome: 'stop', reasons, plan, moveWriterTo };
    return { outcome: request.dryRun ? 'plan' : 'proceed', reasons: [], plan, moveWriterTo };
  }

  /** The regions scaled before the first step: the remaining ones (unless the config says not), or the returning one. */
  private regionsToScale(request: DrainRequest): readonly string[] {
    if (request.action === 'undrain') return [request.region];
    return request.scaleRemaining ? request.remaining : [];
  }

  /**
   * ScaleForDrain: each region that takes traffic to what its share after the move needs: its node
   * groups' desired size, and each workload (or its autoscaler's minimum). Nothing is made smaller.
   */
  async scaleForDrain({ request }: WithRequest): Promise<{
    at: string;
    scaled: Record<string, Record<string, number>>;
    autoscalers?: Record<string, string>;
  }> {
    const a = this.app(request);
    const after = finalWeights(request);
    const scaled: Record<string, Record<string, number>> = {};
    const autoscalers: Record<string, string> = {};
    const { workloads } = this.deps.estate;
    for (const region of this.regionsToScale(request)) {
      const sizing = regionSizing(a, region, after);
      const sizes: Record<string, number> = {};
      for (const g of sizing.nodeGroups) {
        const current = await workloads.describeNodeGroup(a, region, g.name);
        const desired = Math.max(current.desired, g.desired);
        // Never a lower maximum than the group has.
        const max = Math.max(current.max, g.max, desired);
        if (desired !== current.desired || max !== current.max) {
          await workloads.scaleNodeGroup(a, region, g.name, { desired, max });
        }
        sizes[`nodegroup/${g.name}`] = desired;
      }
      const done = await this.scaleRegion(a, sizing, 'up');
      Object.assign(sizes, done.deployments);
      for (const [label, text] of Object.entries(done.autoscalers)) autoscalers[`${region} ${label}`] = text;
      scaled[region] = sizes;
    }
    return {
      at: this.now(),
      scaled,
      ...(Object.keys(autoscalers).length === 0 ? {} : { autoscalers }),
    };
  }

  /**
   * CheckCapacity: every workload of each region scaled has the ready replicas its new share needs;
   * gives up (and says which are short) after the workloads' limit.
   */
  async checkCapacity({ request, scaledAt }: WithRequest & { scaledAt: string }): Promise<{
    ready: boolean;
    regions: Record<string, Record<string, string>>;
    at: string;
  }> {
    const a = this.app(request);
    const after = finalWeights(request);
    const regions: Record<string, Record<string, string>> = {};
    let ready = true;
    for (const region of this.regionsToScale(request)) {
      const out: Record<string, string> = {};
      for (const w of regionSizing(a, region, after).workloads) {
        const status = await this.deps.estate.workloads.describeWorkload(a, region, w.workload);
        out[workloadLabel(w.workload)] = `${status.readyReplicas}/${w.minReady} ready`;
        if (status.readyReplicas < w.minReady) ready = false;
      }
      regions[region] = out;
    }
    const waited = (this.deps.clock.now().getTime() - new Date(scaledAt).getTime()) / 1000;
    if (!ready && waited > WORKLOADS_LIMIT_SECONDS) {
      const short = Object.entries(regions).flatMap(([region, out]) =>
        Object.entries(out).map(([label, text]) => `${region} ${label} ${text}`),
      );
      throw new NotReadyError(
        `the regions that would take ${request.region}'s share are short of capacity ${WORKLOADS_LIMIT_SECONDS} s after scaling (${short.join(', ')}); no traffic moved`,
      );
    }
    return { ready, regions, at: this.now() };
  }

  /** DrainStep: the drained (or returning) region's record at step `index`'s weight; the others as they were. */
  async drainStep({
    request,
    index,
    executionName,
  }: WithRequest & { index: number; executionName: string }): Promise<{
    index: number;
    percent: number;
    weight: number;
    weights: Record<string, number>;
    changeId: string;
    at: string;
    last: boolean;
  }> {
    const weight = request.stepWeights[index];
    const percent = request.steps[index];
    if (weight === undefined || percent === undefined || !Number.isInteger(index)) {
      throw new InvalidInputError([`index: ${index} is not a step of ${request.steps.join(', ')}`]);
    }
    const a = this.app(request);
    // The weights in force: a change by hand since the run began stops it rather than being undone.
    const live = await this.deps.estate.dns.getWeights(a);
    const before = index === 0 ? (request.startWeights[request.region] ?? 0) : request.stepWeights[index - 1];
    const moved = a.regions.filter((r) =>
      r === request.region
        ? live[r] !== before && live[r] !== weight
        : (live[r] ?? 0) !== (request.startWeights[r] ?? 0),
    );
    if (moved.length > 0) {
      throw new PreconditionFailedError(
        `the weights changed since the ${request.action} began (${moved.map((r) => `${r} ${live[r] ?? 0}, was ${r === request.region ? before : (request.startWeights[r] ?? 0)}`).join('; ')}); it stops here and leaves them as they are (weights now ${describeWeights(live)}): start it again to go on from them`,
      );
    }
    const weights = { ...live, [request.region]: weight };
    if (Object.values(weights).every((w) => w === 0)) {
      // Route 53 answers with every record when all weights are 0: never set.
      throw new InvalidInputError([`index: step ${index} would set every weight of ${a.name} to 0`]);
    }
    if (request.action === 'undrain' && weight > (live[request.region] ?? 0)) {
      // The health check may have failed since the preflight: no traffic goes to a failing region.
      const health = await regionHealth(this.deps.config, a, request.region, this.deps.estate);
      if (health.status !== 'healthy') {
        throw new PreconditionFailedError(
          `${request.region} fails its health check (${health.source}); the undrain stops at weight ${live[request.region] ?? 0} rather than raise it to ${weight}`,
        );
      }
    }
    // Only the region's own record changes.
    const changeId = await this.deps.estate.dns.setWeights(
      a,
      { [request.region]: weight },
      { force: false, by: executionName },
    );
    await bestEffort(() => this.deps.estate.telemetry.weights(a, weights));
    return {
      index,
      percent,
      weight,
      weights,
      changeId,
      at: this.now(),
      last: index === request.stepWeights.length - 1,
    };
  }

  /**
   * CheckStepChange, CheckRollbackChange: whether Route 53 has applied the change everywhere.
   * Route 53 says INSYNC "generally within 60 seconds"
   * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetChange.html); one still PENDING
   * after INSYNC_LIMIT_SECONDS ends the run rather than leave it waiting with the weights part-way.
   */
  async checkDrainChange({
    changeId,
    since,
  }: {
    changeId: string;
    since: string;
  }): Promise<{ insync: boolean }> {
    const insync = (await this.deps.estate.dns.getChangeStatus(changeId)) === 'INSYNC';
    const waited = (this.deps.clock.now().getTime() - new Date(since).getTime()) / 1000;
    if (!insync && waited > INSYNC_LIMIT_SECONDS) {
      throw new NotReadyError(
        `Route 53 change ${changeId} is still PENDING ${INSYNC_LIMIT_SECONDS} s after it was submitted; the weights are as it left them: read them with lifeboat status`,
      );
    }
    return { insync };
  }

  /**
   * Guard: the error rate and p99 latency over the bake just past in each region that took traffic
   * (the remaining ones for a drain, the returning one for an undrain), against `dns.failback`'s
   * bounds. No datapoint is a breach: a guard that cannot see must not wave traffic on.
   */
  async guardDrain({
    request,
    step,
    history,
  }: WithRequest & {
    step: { index: number; percent: number; weight: number; weights: Record<string, number> };
    history: readonly DrainReading[];
  }): Promise<{ ok: boolean; next: number; reading: DrainReading; history: DrainReading[] }> {
    const a = this.app(request);
    const window = Math.max(60, request.bakeSeconds);
    const bounds = a.dns.failback;
    const regions: Record<string, { errorRatePercent: number | null; latencyMs: number | null }> = {};
    const problems: string[] = [];
    for (const region of receivingRegions(request)) {
      const [errorRate, latency] = await Promise.all([
        this.deps.estate.traffic.errorRatePercent(a, region, window),
        this.deps.estate.traffic.latencyMs(a, region, window),
      ]);
      regions[region] = {
        errorRatePercent: errorRate === undefined ? null : Math.round(errorRate * 100) / 100,
        latencyMs: latency === undefined ? null : Math.round(latency),
      };
      for (const problem of guardProblems(errorRate, latency, bounds)) problems.push(`${region}: ${problem}`);
    }
    const reading: DrainReading = {
      percent: step.percent,
      weight: step.weight,
      weights: step.weights,
      at: this.now(),
      regions,
      ok: problems.length === 0,
      detail:
        problems.length === 0
          ? `${request.region} at ${step.weight} (${step.percent} %): ${Object.entries(regions)
              .map(([r, m]) => `${r} error rate ${m.errorRatePercent ?? '?'} %, p99 ${m.latencyMs ?? '?'} ms`)
              .join('; ')} within bounds`
          : `${request.region} at ${step.weight} (${step.percent} %): ${problems.join('; ')}`,
    };
    return { ok: reading.ok, next: step.index + 1, reading, history: [...history, reading] };
  }

  /**
   * RollBack: the drained (or returning) region's weight back to the last step the guard passed, or
   * to where it was when the run began. A drained region whose health check fails is not given
   * traffic back (Route 53 would not answer with it anyway): it keeps the weight of the last step.
   */
  async rollBackDrain({
    request,
    history,
    executionName,
  }: WithRequest & { history: readonly DrainReading[]; executionName: string }): Promise<{
    weights: Record<string, number>;
    changeId: string;
    at: string;
    detail: string;
  }> {
    const a = this.app(request);
    const start = request.startWeights[request.region] ?? 0;
    const good = [...history].reverse().find((r) => r.ok);
    // The weights in force: the other records are left as they are, whoever set them.
    const live = await this.deps.estate.dns.getWeights(a);
    const current = live[request.region] ?? 0;
    let weight = good?.weight ?? start;
    let detail = `${request.region} back to ${weight}${good === undefined ? ' (where it was)' : ` (the last step the guard passed, ${good.percent} %)`}`;
    if (weight > current) {
      const health = await regionHealth(this.deps.config, a, request.region, this.deps.estate);
      if (health.status !== 'healthy') {
        weight = current;
        detail = `${request.region} kept at ${current}: its health check fails, so it is not given traffic back`;
      }
    }
    if (request.action === 'drain' && request.scaleRemaining) {
      // Not lowered here: a region that just breached is no place to take capacity from.
      detail += `; ${request.remaining.join(' and ')} keep the capacity scaled for the drain (the record lists it)`;
    }
    const weights = { ...live, [request.region]: weight };
    if (Object.values(weights).every((w) => w === 0)) {
      // Someone set the others to 0 meanwhile: Route 53 would answer with every record.
      weight = current;
      detail = `${request.region} kept at ${current}: every other record weighs 0 now`;
      weights[request.region] = current;
    }
    const changeId = await this.deps.estate.dns.setWeights(
      a,
      { [request.region]: weight },
      { force: false, by: executionName },
    );
    await bestEffort(() => this.deps.estate.telemetry.weights(a, weights));
    return { weights, changeId, at: this.now(), detail };
  }

  /**
   * MoveWriter: once the drained region's traffic is out, the database writer moves to `to` with a
   * planned switch (an Aurora global switchover, which loses no data: `activeActive.moveWriter`).
   * A region already holding the writer is left as it is, so a second run changes nothing.
   */
  async moveWriter({
    request,
    to,
    executionName,
  }: WithRequest & { to: string; executionName: string }): Promise<{
    started: boolean;
    detail: string;
    at: string;
  }> {
    const a = this.app(request);
    if (!request.moveWriter || a.database.engine !== 'aurora-global') {
      throw new InvalidInputError([
        `request.moveWriter: ${a.name}'s drain does not move its writer (activeActive.moveWriter, aurora-global only)`,
      ]);
    }
    const status = await this.deps.estate.database.describe(a, to);
    if (status.role !== 'replica') {
      return { started: false, detail: `the writer is in ${to} already`, at: this.now() };
    }
    await this.deps.estate.database.promote(a, to, { planned: true, by: `drain:${executionName}` });
    return {
      started: true,
      detail: `Aurora global switchover from ${request.region} to ${to} started`,
      at: this.now(),
    };
  }

  /**
   * ScaleBack (undrain): the regions that carried the returning region's share go back to what
   * their share needs now: autoscalers' minimums lowered (they scale down as the load leaves),
   * other workloads and node groups set to it. Nothing is scaled up here.
   */
  async scaleBack({
    request,
  }: WithRequest): Promise<{ at: string; sizes: Record<string, Record<string, number>> }> {
    const a = this.app(request);
    const after = finalWeights(request);
    const sizes: Record<string, Record<string, number>> = {};
    const { workloads } = this.deps.estate;
    if (request.action !== 'undrain' || !request.scaleRemaining) return { at: this.now(), sizes };
    for (const region of request.remaining) {
      const sizing = regionSizing(a, region, after);
      const done = await this.scaleRegion(a, sizing, 'down');
      const out: Record<string, number> = { ...done.deployments };
      for (const g of sizing.nodeGroups) {
        const current = await workloads.describeNodeGroup(a, region, g.name);
        if (current.desired > g.desired) {
          await workloads.scaleNodeGroup(a, region, g.name, {
            desired: g.desired,
            min: Math.min(current.min, g.desired),
          });
        }
        out[`nodegroup/${g.name}`] = Math.min(current.desired, g.desired);
      }
      sizes[region] = out;
    }
    return { at: this.now(), sizes };
  }

  /**
   * Each workload of the sizing's region to its size: `up` raises it (through /scale, or its
   * autoscaler's minimum), `down` lowers it (an autoscaler's minimum only: it scales down as the
   * load leaves). A workload keeps what it runs (or its autoscaler's minimum) beyond the size going
   * up, or below it going down: nothing is made smaller going up, nor larger going down.
   */
  private async scaleRegion(
    a: ApplicationConfig,
    sizing: RegionSizing,
    direction: 'up' | 'down',
  ): Promise<{ deployments: Record<string, number>; autoscalers: Record<string, string> }> {
    const { workloads } = this.deps.estate;
    const target = new Map<ScaledWorkloadConfig, number>();
    for (const w of sizing.workloads) {
      const autoscaler = w.workload.autoscaler;
      // What the region runs now: a plain workload's replicas, an autoscaled one's minimum.
      const running =
        autoscaler === undefined
          ? (await workloads.describeWorkload(a, sizing.region, w.workload)).replicas
          : (await workloads.describeAutoscaler(a, sizing.region, { ...w.workload, autoscaler })).min;
      target.set(
        w.workload,
        direction === 'up' ? Math.max(w.replicas, running) : Math.min(w.replicas, running),
      );
    }
    return scaleWorkloads(
      workloads,
      a,
      sizing.region,
      direction === 'up' ? 'active' : 'standby',
      (w) => target.get(w) ?? w.activeReplicas,
    );
  }

  /** RecordDrain: the run in the ledger (kind `drain`, its action in the details), whatever its end. */
  async recordDrain(payload: {
    state: DrainState;
    executionName: string;
    status: RunStatus;
    reason?: string;
    results?: Record<string, unknown>;
  }): Promise<{ recorded: true }> {
    const request = payload.state.request;
    const input = payload.state.input ?? payload.state;
    const named = (input as { application?: unknown }).application;
    const application =
      request?.application ?? (typeof named === 'string' && named !== '' ? named : 'unknown');
    const error = payload.state.error;
    const changes = payload.status === 'FAILED' ? drainChanges(payload.state) : undefined;
    await this.deps.ledger.putRun({
      application,
      kind: 'drain',
      executionName: payload.executionName,
      startedAt: payload.state.startedAt ?? this.now(),
      endedAt: this.now(),
      status: payload.status,
      ...(payload.reason === undefined ? {} : { reason: payload.reason }),
      ...(error === undefined ? {} : { error: { name: error.Error ?? 'Error', cause: error.Cause ?? '' } }),
      details: {
        ...(request === undefined ? {} : { action: request.action, region: request.region, request }),
        ...(payload.results ?? {}),
        ...(changes === undefined ? {} : { changes }),
      },
    });
    return { recorded: true };
  }

  /**
   * NotifyFailure: the failed run on Slack, with its cause and what it had changed. Made from
   * whatever the run's state holds, so a run that failed before its input was checked is said too.
   */
  async notifyDrainFailure({ state, executionName }: { state: DrainState; executionName: string }): Promise<{
    ts: string;
  }> {
    const request = state.request;
    const named = ((state.input ?? state) as { application?: unknown }).application;
    const application =
      request?.application ?? (typeof named === 'string' && named !== '' ? named : 'unknown');
    const what = request === undefined ? 'drain run' : `${request.action} of ${request.region}`;
    const text = `Lifeboat ${what} in ${application} (${executionName}) FAILED: ${causeText(state.error?.Cause ?? state.error?.Error)}. It had changed: ${drainChanges(state).join('; ')}. Its record: lifeboat history --app ${application} --kind drain`;
    return { ts: await this.deps.estate.notifier.post(text) };
  }
}

/** The part of a drain's state a failure's record and message read. */
export interface DrainState {
  readonly input?: unknown;
  readonly request?: DrainRequest;
  readonly startedAt?: string;
  readonly error?: { Error?: string; Cause?: string };
  /** The last step's weights, as the run set them. */
  readonly step?: { weights?: Record<string, number> };
  readonly scaled?: { scaled?: Record<string, Record<string, number>> };
  readonly writer?: { started?: boolean; detail?: string } | null;
}

/** What a failed drain had changed, in words: what it scaled, the weights it left, the writer. */
export function drainChanges(state: DrainState): string[] {
  const scaled = Object.entries(state.scaled?.scaled ?? {}).map(
    ([region, sizes]) =>
      `${region} scaled (${Object.entries(sizes)
        .map(([name, n]) => `${name} ${n}`)
        .join(', ')})`,
  );
  const changes = [
    ...scaled,
    ...(state.step?.weights === undefined ? [] : [`weights left at ${describeWeights(state.step.weights)}`]),
    ...(state.writer?.started === true ? [state.writer.detail ?? 'the writer switchover started'] : []),
  ];
  return changes.length === 0 ? ['nothing'] : changes;
}

/** What the drain adds to each step function's operations. */
export const DRAIN_OPERATIONS = {
  'lifeboat-failover-input': ['validateDrain'],
  'lifeboat-preflight': ['checkDrain', 'decideDrain'],
  'lifeboat-workloads': ['scaleForDrain', 'checkCapacity', 'scaleBack'],
  'lifeboat-database': ['moveWriter'],
  'lifeboat-traffic': ['drainStep', 'checkDrainChange', 'guardDrain', 'rollBackDrain'],
  'lifeboat-ledger': ['recordDrain'],
  'lifeboat-notify': ['notifyDrainFailure'],
} as const satisfies Record<string, readonly (keyof DrainSteps)[]>;
