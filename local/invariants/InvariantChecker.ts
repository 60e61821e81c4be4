import type { Ledger, RunKind } from '../../shared/ports/Ledger.ts';
import { RUN_KINDS } from '../../shared/ports/Ledger.ts';
import type { ExecutionRecord } from '../runner/WorkflowRunner.ts';
import type { World, WorldChange } from '../world/World.ts';

/** One broken safety invariant (numbered as in the design brief). */
export interface Violation {
  readonly at: number;
  readonly invariant: 1 | 2 | 3 | 4 | 5 | 6 | 7;
  readonly application?: string;
  readonly message: string;
}

export interface InvariantCheckerOptions {
  /** The run's executions, to tell which workflow made a change and when runs overlapped. */
  readonly executions: () => readonly ExecutionRecord[];
  /**
   * By workflow, the states whose entry means the run has begun to act on the estate (after its lock
   * and checks): invariant 4 holds these periods of one application's failovers and failbacks apart.
   */
  readonly actingStates?: Readonly<Record<string, readonly string[]>>;
  /** Workflows that take the application's lock and must release it (invariant 5). */
  readonly lockingWorkflows?: readonly string[];
  /**
   * How long, after an unplanned promotion, another database of the application may accept client
   * writes (its region back, before it is quarantined): invariant 6 at the database. Default
   * `oldWriterAllowanceSeconds(world.latency)`.
   */
  readonly oldWriterAllowanceSeconds?: number;
}

/** The failback offer's schedule, which also quarantines an old writer: every 5 minutes as deployed. */
export const OFFER_SCHEDULE_SECONDS = 300;

/**
 * How long an old writer may take writes once its region is back: up to one offer run to see it and
 * move it into the quarantine group, the group's application, the next offer run to reboot it, the
 * reboot, and two minutes of API calls and cold starts.
 */
export function oldWriterAllowanceSeconds(latency: {
  readonly rdsSecurityGroupApplySeconds: number;
  readonly rdsRebootSeconds: number;
}): number {
  return 2 * OFFER_SCHEDULE_SECONDS + latency.rdsSecurityGroupApplySeconds + latency.rdsRebootSeconds + 120;
}

/** The five minutes either way within which a Slack request's timestamp counts. */
const SLACK_WINDOW_SECONDS = 300;

function applicationOf(execution: ExecutionRecord): string | undefined {
  const input = execution.input as { application?: unknown } | null;
  return typeof input?.application === 'string' ? input.application : undefined;
}

/**
 * Watches the world after every change and records each safety invariant that breaks, with the
 * time and the state that broke it. Invariants 4 and 5 also need the ledger and the whole run,
 * so `finish` checks them once the scenario is over.
 */
export class InvariantChecker {
  readonly violations: Violation[] = [];
  private readonly world: World;
  private readonly options: InvariantCheckerOptions;
  /** Old primaries that no answer may name, per application, until a failback brings traffic back. */
  private readonly fenced = new Map<string, Set<string>>();
  /** Conditions already reported and still true, so a lasting breach is reported once. */
  private readonly ongoing = new Set<string>();
  /** The region an unplanned promotion made the writer, per application, until a planned one. */
  private readonly promoted = new Map<string, string>();
  /** Since when each other database has accepted client writes after that promotion (`app/region`). */
  private readonly strayWriterSince = new Map<string, number>();

  constructor(world: World, options: InvariantCheckerOptions) {
    this.world = world;
    this.options = options;
    world.onChange((change) => {
      this.observe(change);
    });
  }

  /**
   * Checks invariants 4 and 5 over the finished run. `ledgers` are every replica of the ledger: a run's
   * record must be in one of them, and no replica may show its lock still held.
   */
  async finish(ledgers: Ledger | readonly Ledger[]): Promise<void> {
    this.checkOverlaps();
    await this.checkRecordsAndLocks(Array.isArray(ledgers) ? ledgers : [ledgers as Ledger]);
  }

  private report(invariant: Violation['invariant'], message: string, application?: string): void {
    this.violations.push({
      at: this.world.clock.seconds,
      invariant,
      message,
      ...(application === undefined ? {} : { application }),
    });
  }

  /** Reports a lasting condition when it begins; forgets it when it ends. */
  private condition(key: string, holds: boolean, report: () => void): void {
    if (holds && !this.ongoing.has(key)) {
      this.ongoing.add(key);
      report();
    } else if (!holds) {
      this.ongoing.delete(key);
    }
  }

  private workflowOf(executionName: string | undefined): string | undefined {
    if (executionName === undefined) return undefined;
    return this.options.executions().find((e) => e.name === executionName)?.workflow;
  }

  private observe(change: WorldChange): void {
    switch (change.type) {
      case 'weights':
        this.onWeights(change);
        break;
      case 'promotion-started':
        this.onPromotion(change);
        break;
      case 'promotion-completed':
        // A store's promotion follows the database's; the fence and the stray-writer watch are the database's.
        if (change.store !== undefined) break;
        if (change.planned) this.promoted.delete(change.application);
        else this.promoted.set(change.application, change.region);
        // From here on the old primary is fenced: no answer may name it until a failback (or switchover).
        if (!change.planned && change.sourceRegion !== undefined) {
          const fence = this.fenced.get(change.application) ?? new Set<string>();
          fence.add(change.sourceRegion);
          this.fenced.set(change.application, fence);
        }
        break;
      case 'slack-decision': {
        const d = change.decision;
        if (!d.counted) break;
        const reasons = [
          ...(d.signatureValid ? [] : ['its signature is not valid']),
          ...(Math.abs(d.timestampSkewSeconds) <= SLACK_WINDOW_SECONDS
            ? []
            : [`its timestamp is ${Math.round(d.timestampSkewSeconds)} s away`]),
          ...(d.userAllowed ? [] : [`${d.user} is not an approver`]),
          ...(d.duplicate ? ['a decision had already been counted'] : []),
        ];
        if (reasons.length > 0) {
          this.report(
            7,
            `a Slack action on approval ${d.approvalId} counted although ${reasons.join(' and ')}`,
          );
        }
        break;
      }
      case 'state':
        if (change.application !== undefined) this.onState(change.application);
        break;
    }
  }

  private onWeights(change: Extract<WorldChange, { type: 'weights' }>): void {
    const { application, after, before } = change;
    if (Object.values(after).every((w) => w === 0)) {
      this.report(
        1,
        `every weight of ${application} is zero (change ${change.changeId}); Route 53 now answers with every record`,
        application,
      );
    }
    for (const [region, weight] of Object.entries(after)) {
      const raised = weight > (before[region] ?? 0);
      if (raised && !change.force && this.world.healthStatus(application, region) !== 'healthy') {
        this.report(
          2,
          `traffic of ${application} moved to ${region} (weight ${weight}) while its health check is failing, without force`,
          application,
        );
      }
    }
    const fence = this.fenced.get(application);
    const by = this.workflowOf(change.by);
    if (fence !== undefined && (by === 'failback' || by === 'switchover')) {
      for (const region of [...fence]) if ((after[region] ?? 0) > 0) fence.delete(region);
    }
  }

  private onPromotion(change: Extract<WorldChange, { type: 'promotion-started' }>): void {
    const { application, region, sourceRegion } = change;
    if (change.planned) return;
    const what = change.store === undefined ? 'the database' : `the store ${change.store}`;
    if (change.sourceWritable) {
      this.report(
        3,
        `${what} of ${application} in ${region} was promoted while its source in ${String(sourceRegion)} is healthy and writable`,
        application,
      );
    }
    const budget = this.world.application(application).automation.maxReplicaLagSeconds;
    if (change.by === 'automatic' && change.lagSeconds > budget) {
      this.report(
        3,
        `an automatic failover promoted ${change.store === undefined ? '' : `the store ${change.store} of `}${application} in ${region} with ${change.lagSeconds} s of replica lag, past its budget of ${budget} s, without a human`,
        application,
      );
    }
  }

  private onState(application: string): void {
    const answers = this.world.answers(application);
    const writers = this.world.writers(application);
    const writable = answers.filter((r) => writers.includes(r));
    this.condition(`6:two-writers:${application}`, writable.length > 1, () => {
      this.report(
        6,
        `DNS answers for ${application} name ${writable.join(' and ')}, whose databases all accept writes`,
        application,
      );
    });
    for (const store of this.world.stores.names(application)) {
      const storeWriters = answers.filter((r) => this.world.stores.writers(application, store).includes(r));
      this.condition(`6:two-writers:${application}:${store}`, storeWriters.length > 1, () => {
        this.report(
          6,
          `DNS answers for ${application} name ${storeWriters.join(' and ')}, whose members of the store ${store} all accept writes`,
          application,
        );
      });
    }
    this.checkStrayWriters(application, writers);
    for (const region of this.fenced.get(application) ?? []) {
      this.condition(`6:fenced:${application}:${region}`, answers.includes(region), () => {
        this.report(
          6,
          `DNS answers for ${application} name ${region}, the old primary, after its standby was promoted and before any failback`,
          application,
        );
      });
    }
  }

  /**
   * After an unplanned promotion, no database but the promoted one may accept client writes for
   * longer than the quarantine takes: a batch job or an operator that reaches an old writer directly
   * would write into a database the failover abandoned.
   */
  private checkStrayWriters(application: string, writers: readonly string[]): void {
    const promoted = this.promoted.get(application);
    for (const region of this.world.application(application).regions) {
      const key = `${application}/${region}`;
      const stray = promoted !== undefined && region !== promoted && writers.includes(region);
      if (!stray) {
        this.strayWriterSince.delete(key);
        this.ongoing.delete(`6:stray-writer:${key}`);
        continue;
      }
      if (this.strayWriterSince.has(key)) continue;
      const since = this.world.clock.seconds;
      this.strayWriterSince.set(key, since);
      const allowance =
        this.options.oldWriterAllowanceSeconds ?? oldWriterAllowanceSeconds(this.world.latency);
      this.world.clock.schedule(since + allowance, () => {
        if (this.strayWriterSince.get(key) !== since) return;
        this.condition(`6:stray-writer:${key}`, true, () => {
          this.report(
            6,
            `the database of ${application} in ${region} has accepted client writes for ${allowance} s after ${promoted} was promoted; quarantine it (database.quarantineSecurityGroupIds)`,
            application,
          );
        });
      });
    }
  }

  private checkOverlaps(): void {
    const acting = this.options.actingStates ?? {};
    const end = this.world.clock.seconds;
    const periods = this.options
      .executions()
      .filter((e) => e.workflow in acting)
      .flatMap((e) => {
        const names = acting[e.workflow] ?? [];
        const first = e.states.find((s) => names.includes(s.name));
        const application = applicationOf(e);
        if (first === undefined || application === undefined) return [];
        return [{ execution: e, application, from: first.enteredAt, to: e.stoppedAt ?? end }];
      });
    for (const [i, a] of periods.entries()) {
      for (const b of periods.slice(i + 1)) {
        if (a.application === b.application && a.from < b.to && b.from < a.to) {
          this.violations.push({
            at: Math.max(a.from, b.from),
            invariant: 4,
            application: a.application,
            message: `${a.execution.workflow} ${a.execution.name} and ${b.execution.workflow} ${b.execution.name} both acted on ${a.application} at once`,
          });
        }
      }
    }
  }

  private async checkRecordsAndLocks(ledgers: readonly Ledger[]): Promise<void> {
    const locking = this.options.lockingWorkflows ?? [];
    for (const execution of this.options.executions()) {
      if (execution.status === 'RUNNING') continue;
      const application = applicationOf(execution);
      const kind = execution.workflow as RunKind;
      if (application === undefined || !RUN_KINDS.includes(kind)) continue;
      const runs = (
        await Promise.all(
          ledgers.map((ledger) => this.world.clock.track(ledger.listRuns(application, kind, 1000))),
        )
      ).flat();
      if (!runs.some((run) => run.executionName === execution.name)) {
        this.violations.push({
          at: execution.stoppedAt ?? this.world.clock.seconds,
          invariant: 5,
          application,
          message: `${execution.workflow} ${execution.name} ended ${execution.status} with no ledger record`,
        });
      }
      if (!locking.includes(execution.workflow)) continue;
      const locks = await Promise.all(
        ledgers.map((ledger) => this.world.clock.track(ledger.getLock(application))),
      );
      if (
        locks.some(
          (lock) => lock?.owner === execution.name && new Date(lock.leaseExpiresAt) > this.world.clock.now(),
        )
      ) {
        this.violations.push({
          at: execution.stoppedAt ?? this.world.clock.seconds,
          invariant: 5,
          application,
          message: `${execution.workflow} ${execution.name} ended ${execution.status} still holding the lock of ${application}`,
        });
      }
    }
  }
}

/** `invariant N at T s: message`, the report's line for a violation. */
export function formatViolation(v: Violation): string {
  return `invariant ${v.invariant} at ${Number.isInteger(v.at) ? v.at : v.at.toFixed(2)} s: ${v.message}`;
}
