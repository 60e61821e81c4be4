import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { checkFailbackInput } from '../../shared/failback/FailbackInput.ts';
import { loadAsl, type AslMachine } from '../../shared/statemachines/aslModel.ts';
import { definitionOf } from '../../shared/statemachines/definitions.ts';
import { DEFAULT_LATENCY, type LatencyModel } from '../world/LatencyModel.ts';
import { PlanError, walk, type Assumptions, type Context, type PlanStep } from './FailoverPlan.ts';

/**
 * The plan preview of a planned switchover: the steps `lifeboat-switchover` would take (read from
 * its definition, the failback's), what each touches, and how long each takes by the latency model,
 * assuming every check passes and every guard holds. Times are from the start and leave out the
 * wait for a person's Approve.
 */
export interface SwitchoverPlan {
  readonly workflow: 'switchover';
  readonly application: string;
  readonly sourceRegion: string;
  readonly targetRegion: string;
  readonly approval: 'slack' | 'none';
  readonly steps: readonly PlanStep[];
  /** When the run ends: the old primary rebuilt and scaled down, the record written. */
  readonly totalSeconds: number;
  /** When every answer names the target: the last weight step set, baked and guarded. */
  readonly trafficMovedAt: number;
  /**
   * From the source's fence to the target taking writes (the drain of the TTL and the promotion, or
   * the stores' failovers when longer): the writer's move, which a team schedules its quiet hour for.
   */
  readonly writerSwitch: { readonly fencedAt: number; readonly writableAt: number; readonly seconds: number };
  /** Always 0: the writer moves only once the database and every store have caught up. */
  readonly rpoSeconds: 0;
  readonly stores: readonly string[];
  /** What becomes of the old primary: RDS builds a new replica in its place; the others keep it. */
  readonly oldPrimary: 'rebuilt' | 'kept';
  readonly warnings: readonly string[];
}

export interface SwitchoverPlanOptions {
  readonly application: string;
  readonly targetRegion: string;
  /** The region serving now (default: the application's first region). */
  readonly sourceRegion?: string;
  readonly latency?: LatencyModel;
  readonly machine?: AslMachine;
}

/** Builds the plan; a bad application or region throws `InvalidInputError` naming the field, as the run would. */
export function planSwitchover(config: LifeboatConfig, options: SwitchoverPlanOptions): SwitchoverPlan {
  const named = config.applications.find((a) => a.name === options.application);
  const request = checkFailbackInput(
    { application: options.application, targetRegion: options.targetRegion },
    config,
    { workflow: 'switchover', currentPrimary: options.sourceRegion ?? named?.regions[0] },
  );
  const app = config.applications.find((a) => a.name === request.application);
  if (app === undefined) throw new PlanError(`no application ${request.application}`);
  const latency = options.latency ?? DEFAULT_LATENCY;
  const machine = options.machine ?? loadAsl(definitionOf('switchover'));
  const ctx: Context = {
    config,
    app,
    workflow: 'switchover',
    source: request.sourceRegion,
    target: request.targetRegion,
    latency,
    paths: {
      '$.request.bakeSeconds': request.bakeSeconds,
      '$.request.drainSeconds': request.drainSeconds,
    },
    warm: new Set(),
    ready: new Map(),
    shift: { steps: 0 },
  };
  // Every check passes, every guard holds, nothing is left over from a failed run.
  const assumptions: Assumptions = {
    '$.lock.acquired': true,
    '$.lockConfirmation.confirmed': true,
    '$.decision.outcome': 'proceed',
    '$.replica.ready': true,
    '$.request.offerApprovalId': undefined,
    '$.request.approval': request.approval,
    '$.renewed.acquired': true,
    '$.workloads.ready': true,
    '$.request.resumes.switchBegun': undefined,
    '$.change.insync': true,
    '$.guard.ok': true,
    '$.step.last': (c: Context) => c.shift.steps >= request.steps.length,
    '$.switch.started': true,
    '$.database.writable': true,
    '$.standby.ready': true,
    '$.replicas.settled': true,
  };
  const walked = walk(machine, ctx, 0, assumptions, []);
  const lastGuard = walked.steps.filter((s) => s.name === 'Guard').at(-1);
  const fence = walked.steps.find((s) => s.name === 'FenceSourceForSwitch');
  const writable = ctx.ready.get('database');
  if (lastGuard === undefined || fence === undefined || writable === undefined) {
    throw new PlanError(
      `the switchover's definition never shifts, fences and switches; the plan cannot follow it`,
    );
  }
  const warnings = [
    ...(request.approval === 'slack'
      ? [
          `times leave out the wait for Approve on Slack (up to ${config.slack.approvalTimeoutSeconds} s): nothing moves before it`,
        ]
      : [`switchover.approval is none: the start is the decision; the run says on Slack that it begins`]),
    `each weight step is guarded: a breach of ${app.dns.failback.maxErrorRatePercent} % 5xx or ${app.dns.failback.maxLatencyMs} ms p99 in ${request.targetRegion} rolls the weights back and ends the run there`,
    ...(app.database.engine === 'rds-read-replica'
      ? [
          `the writer's switch waits for ${request.targetRegion}'s replica lag to reach 0 (at most 30 min from the fence); the plan assumes it is 0 at once`,
        ]
      : app.database.engine === 'cloudnativepg'
        ? [
            `the writer's switch demotes ${request.sourceRegion}'s CloudNativePG cluster, then promotes ${request.targetRegion}'s with its demotion token, which CloudNativePG replays up to first; the plan assumes the replica has caught up`,
          ]
        : []),
  ];
  const total = walked.end;
  return {
    workflow: 'switchover',
    application: app.name,
    sourceRegion: request.sourceRegion,
    targetRegion: request.targetRegion,
    approval: request.approval,
    steps: walked.steps,
    totalSeconds: tenths(total),
    trafficMovedAt: tenths(lastGuard.startsAt + lastGuard.seconds),
    writerSwitch: {
      fencedAt: tenths(fence.startsAt),
      writableAt: tenths(writable.at),
      seconds: tenths(writable.at - fence.startsAt),
    },
    rpoSeconds: 0,
    stores: app.stores.map((s) => s.name),
    oldPrimary: app.database.engine === 'rds-read-replica' ? 'rebuilt' : 'kept',
    warnings,
  };
}

function tenths(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}
