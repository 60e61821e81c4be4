import type { MovingWorkflow } from '../ports/Estate.ts';

/**
 * The two workflows that move the writer and the traffic on purpose, in guarded steps, with no data
 * loss: `failback` returns them to the old primary after a failover (offered on Slack, always
 * approved); `switchover` moves them to a standby for maintenance or a region move (approved on
 * Slack unless the application's `switchover.approval` is `none`). Both run
 * `statemachines/failback.asl.json`, deployed as `lifeboat-failback` and `lifeboat-switchover`; a run
 * knows which it is from its state machine's name.
 */
export type GuardedMove = Exclude<MovingWorkflow, 'failover'>;

export const GUARDED_MOVES: readonly GuardedMove[] = ['failback', 'switchover'];

/** Which guarded move a state machine named `lifeboat-<workflow>` runs; undefined for any other. */
export function guardedMoveOf(stateMachineName: unknown): GuardedMove | undefined {
  if (typeof stateMachineName !== 'string') return undefined;
  return GUARDED_MOVES.find((w) => stateMachineName === `lifeboat-${w}`);
}

/** How far a guarded move got, as its ledger record keeps it for a later start that finishes it. */
export interface GuardedMoveProgress {
  /** The source was fenced for the writer's switch: the writer may already be in the target. */
  readonly switchBegun: boolean;
  /** The target's percent at the last weight step set. */
  readonly shiftedPercent: number;
}

/**
 * The progress of a run from its state document: its fence for the switch (`$.fence`), the last
 * weight step it set (`$.step`), and what the failed run it finished had reached (`request.resumes`).
 */
export function progressOf(state: {
  readonly request?: {
    readonly resumes?: { readonly switchBegun?: boolean; readonly shiftedPercent?: number };
  };
  readonly fence?: unknown;
  readonly step?: { readonly percent?: number } | null;
}): GuardedMoveProgress {
  return {
    switchBegun: state.fence !== undefined || state.request?.resumes?.switchBegun === true,
    shiftedPercent: state.step?.percent ?? state.request?.resumes?.shiftedPercent ?? 0,
  };
}

/** Whether a run with this progress moved anything: a weight step, or the fence for the switch. */
export function movedAnything(progress: Partial<GuardedMoveProgress> | undefined): boolean {
  return progress?.switchBegun === true || (progress?.shiftedPercent ?? 0) > 0;
}
