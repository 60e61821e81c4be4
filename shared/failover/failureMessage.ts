import type { GuardedMove } from '../failback/guardedMove.ts';
import type { MovingWorkflow } from '../ports/Estate.ts';

/**
 * The Slack message of a failover that ended FAILED: what went wrong in words, what the run had
 * changed before it stopped and what it had not, and the next command. Read from the execution's
 * state at its Catch: each step's result is there once the step succeeded (`$.fence` after
 * FenceSource, `$.recovery` after the promotion and the scaling, `$.dns` after ShiftTraffic).
 */

/** The parts of the failover's state document this message reads; anything else is ignored. */
export interface FailedFailoverState {
  readonly request?: {
    readonly application?: string;
    readonly sourceRegion?: string;
    readonly targetRegion?: string;
  };
  readonly fence?: {
    readonly fenced?: readonly string[];
    readonly unfenced?: readonly string[];
    readonly unreachable?: readonly string[];
  };
  readonly recovery?: readonly unknown[];
  readonly dns?: { readonly changeId?: string; readonly weights?: Readonly<Record<string, number>> };
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  /** The run's incident thread (`$.thread`), where its end is posted. */
  readonly thread?: { readonly ts?: unknown } | null;
  /** The approval the run went ahead on (its message: `messageTs`). */
  readonly approval?: { readonly messageTs?: unknown } | null;
}

/** A Lambda error's cause is a JSON document; its `errorMessage` is what a person reads. */
export function causeText(cause: string | undefined): string {
  if (cause === undefined || cause === '') return 'no cause given';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown; errorType?: unknown };
    if (typeof parsed.errorMessage === 'string' && parsed.errorMessage !== '') return parsed.errorMessage;
  } catch {
    // Not JSON: a States.* error's cause is plain text.
  }
  return cause;
}

/** Each change the run had made before it stopped, and each it had not, in plain words. */
export function changesOf(state: FailedFailoverState): { made: string[]; notMade: string[] } {
  const target = state.request?.targetRegion ?? 'the target';
  const source = state.request?.sourceRegion ?? 'the source';
  const made: string[] = [];
  const notMade: string[] = [];
  const fence = state.fence;
  if (fence === undefined) {
    notMade.push(
      `no record fenced for certain (FenceSource had not finished; \`lifeboat status\` shows the fences)`,
    );
  } else {
    const fenced = fence.fenced ?? [];
    made.push(
      fenced.length === 0
        ? 'no record fenced'
        : `fenced the record of ${fenced.join(', ')} (out of DNS answers)`,
    );
    if ((fence.unreachable ?? []).length > 0) {
      notMade.push(`fences it could not vote: ${(fence.unreachable ?? []).join('; ')}`);
    }
  }
  if (state.recovery !== undefined) {
    made.push(`promoted the database in ${target} (it takes writes) and scaled its workloads to active size`);
  } else if (fence !== undefined) {
    made.push(
      `began promoting the database in ${target} and scaling its workloads; either may have finished (a promotion cannot be undone)`,
    );
  } else {
    notMade.push(`the database in ${target} not promoted, its workloads not scaled`);
  }
  if (state.dns !== undefined) {
    made.push(
      `moved the Route 53 weights to ${target}${state.dns.changeId === undefined ? '' : ` (change ${state.dns.changeId})`}`,
    );
  } else {
    notMade.push(`the Route 53 weights still on ${source}`);
  }
  return { made, notMade };
}

/** How a run ended, as its message's headline says it. */
export type EndedAs = 'FAILED' | 'STOPPED' | 'TIMED OUT';

/**
 * The message both workflows post when a run fails (or is stopped, or times out): the error, the
 * changes, the next command. `stoppedIn` names the state it was in, when known.
 */
function failedRunMessage(
  workflow: MovingWorkflow,
  state: {
    readonly request?: { readonly application?: string; readonly targetRegion?: string };
    readonly error?: { readonly Error?: string; readonly Cause?: string };
  },
  executionName: string,
  changes: { made: readonly string[]; notMade: readonly string[] },
  afterFix: string,
  ended: EndedAs = 'FAILED',
  how: { readonly stoppedIn?: string; readonly unknownChanges?: string } = {},
): string {
  const app = state.request?.application ?? 'the application';
  const target = state.request?.targetRegion;
  const start = `\`lifeboat start ${workflow} --app ${app} --to ${target ?? '<region>'} --reason "..."\``;
  return [
    `*Lifeboat ${workflow} of ${app}${target === undefined ? '' : ` to ${target}`} ${ended}* (\`${executionName}\`)${how.stoppedIn === undefined ? '' : ` in ${how.stoppedIn}`}: ${state.error?.Error ?? 'an error'}: ${causeText(state.error?.Cause)}`,
    ...(how.unknownChanges !== undefined
      ? [`*What it changed before it stopped could not be read* (${how.unknownChanges}).`]
      : [
          `*Changed before it stopped:*`,
          ...(changes.made.length === 0 ? ['• nothing'] : changes.made.map((m) => `• ${m}`)),
          ...(changes.notMade.length === 0
            ? []
            : ['*Not changed:*', ...changes.notMade.map((m) => `• ${m}`)]),
        ]),
    `*Next:* \`lifeboat status --app ${app}\` to see where it stands (the fences, the writer, the weights); ${ended === 'STOPPED' ? 'to finish it' : 'once the cause is fixed'}, ${start} ${afterFix}`,
  ].join('\n');
}

const FAILOVER_AFTER_FIX = `redoes only what is missing (every step is idempotent). The runbook's "Break glass" section undoes a fence or sets the weights by hand.`;
const FAILBACK_AFTER_FIX = 'resumes from where this run stopped.';

export function failureMessage(state: FailedFailoverState, executionName: string): string {
  return failedRunMessage('failover', state, executionName, changesOf(state), FAILOVER_AFTER_FIX);
}

/**
 * The message of a run that ended without its own Catch (stopped, timed out, or failed past it), as
 * the run-ended recorder posts it: `state` is the last state document its history holds.
 */
export function endedRunMessage(
  workflow: MovingWorkflow,
  state: FailedFailoverState & FailedFailbackState,
  executionName: string,
  ended: EndedAs,
  how: { readonly stoppedIn?: string; readonly unknownChanges?: string },
): string {
  return workflow === 'failover'
    ? failedRunMessage(workflow, state, executionName, changesOf(state), FAILOVER_AFTER_FIX, ended, how)
    : failedRunMessage(
        workflow,
        state,
        executionName,
        failbackChangesOf(state),
        FAILBACK_AFTER_FIX,
        ended,
        how,
      );
}

/** The parts of the failback's state document its failure message reads. */
export interface FailedFailbackState {
  readonly request?: {
    /** Which guarded move this is (a failback's request before the switchover existed has none). */
    readonly workflow?: GuardedMove;
    readonly application?: string;
    readonly sourceRegion?: string;
    readonly targetRegion?: string;
  };
  readonly replica?: unknown;
  readonly deployments?: unknown;
  readonly unfence?: unknown;
  readonly step?: { readonly percent?: number };
  readonly rollback?: { readonly weights?: Readonly<Record<string, number>> };
  readonly fence?: unknown;
  readonly switch?: { readonly started?: boolean };
  readonly standby?: unknown;
  /** FollowWriter's result: the other regions' replicas renamed and rebuilt from the new writer. */
  readonly replicas?: {
    readonly followers?: readonly { readonly region?: string; readonly renamedTo?: string }[];
  };
  readonly unfenced?: unknown;
  readonly scaledDown?: unknown;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  /** The run's incident thread (`$.thread`), where its end is posted. */
  readonly thread?: { readonly ts?: unknown } | null;
  /** The approval the run went ahead on (its message: `messageTs`). */
  readonly approval?: { readonly messageTs?: unknown } | null;
}

/**
 * What a failback had changed before it stopped, and what it had not, from its state (`$.replica`
 * after PrepareReplica, `$.deployments` after the scaling, `$.unfence`, `$.step` for the last
 * weight step, `$.fence` and `$.switch` for the writer switch, `$.standby`, `$.replicas`,
 * `$.unfenced`, `$.scaledDown`).
 */
export function failbackChangesOf(state: FailedFailbackState): { made: string[]; notMade: string[] } {
  const target = state.request?.targetRegion ?? 'the returning region';
  const source = state.request?.sourceRegion ?? 'the serving region';
  const made: string[] = [];
  const notMade: string[] = [];
  if (state.replica !== undefined) made.push(`made ${target}'s database a replica of ${source}'s`);
  if (state.deployments !== undefined) made.push(`scaled ${target}'s workloads to active size`);
  if (state.unfence !== undefined) made.push(`lifted the fence on ${target}'s record`);
  if (state.rollback !== undefined) made.push(`rolled the weights back after a failed guard`);
  else if (state.step?.percent !== undefined)
    made.push(`moved ${state.step.percent} % of the traffic to ${target}`);
  else notMade.push(`the Route 53 weights still on ${source}`);
  if (state.fence !== undefined) made.push(`fenced ${source}'s record for the writer switch`);
  if (state.switch?.started === true) {
    made.push(
      `began switching the writer to ${target} (a switch cannot be undone; start the ${state.request?.workflow ?? 'failback'} again to finish it)`,
    );
  } else {
    notMade.push(`the writer still ${source}'s database`);
  }
  if (state.standby !== undefined) made.push(`rebuilt ${source}'s database as a standby replica`);
  for (const follower of state.replicas?.followers ?? []) {
    if (follower.renamedTo !== undefined) {
      made.push(
        `renamed ${follower.region ?? 'a region'}'s replica of the old writer to ${follower.renamedTo} (kept) to build a replica of ${target} in its place`,
      );
    }
  }
  if (state.unfenced !== undefined) made.push(`lifted the standbys' fences`);
  if (state.scaledDown === undefined) notMade.push(`${source}'s workloads still at active size`);
  return { made, notMade };
}

export function failbackFailureMessage(
  state: FailedFailbackState,
  executionName: string,
  workflow: GuardedMove = state.request?.workflow ?? 'failback',
): string {
  return failedRunMessage(workflow, state, executionName, failbackChangesOf(state), FAILBACK_AFTER_FIX);
}
