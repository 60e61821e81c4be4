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
