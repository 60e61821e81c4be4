import { drainChanges } from '../drain/DrainSteps.ts';
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { describeIssue } from '../config/issues.ts';
import type { RecentStates } from '../aws/StepFunctionsWorkflows.ts';
import { changesOf, endedRunMessage, failbackChangesOf, type EndedAs } from '../failover/failureMessage.ts';
import { incidentEvent, runThread } from '../failover/incidentMessages.ts';
import type { Clock } from '../ports/Clock.ts';
import type { IncidentPhase, NotifierPort, PagerPort } from '../ports/Estate.ts';
import { RUN_KINDS, type Ledger, type RunKind, type RunStatus } from '../ports/Ledger.ts';
import { progressOf } from '../failback/guardedMove.ts';

z.config(en());

/**
 * How long a step invoked before the execution ended may still run: the longest timeout of the step
 * functions (60 s) and a margin. A stopped run's lock is held this long, not released at once: Step
 * Functions lets a Lambda invocation in flight run to its end after StopExecution.
 */
export const IN_FLIGHT_SECONDS = 90;

/** The statuses whose end a workflow cannot always record itself. */
const ENDED = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;

/** Step Functions' "Execution Status Change" event, as EventBridge delivers it (the fields read). */
export const ExecutionStatusChangeSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string().check(z.minLength(1)),
    stateMachineArn: z.string().check(z.regex(/:stateMachine:[\w-]+$/, 'expected a state machine ARN')),
    name: z.string().check(z.minLength(1)),
    status: z.string(),
    startDate: z.number(),
    stopDate: z.nullish(z.number()),
    input: z.nullish(z.string()),
    error: z.nullish(z.string()),
    cause: z.nullish(z.string()),
  }),
});

export type ExecutionStatusChange = z.infer<typeof ExecutionStatusChangeSchema>;

export type RunEndedOutcome =
  | {
      readonly action: 'recorded';
      readonly status: RunStatus;
      readonly lock: 'shortened' | 'not held' | 'none';
      /** The run's end said on Slack, in its incident thread (failovers and failbacks). */
      readonly slack?: 'posted' | `not posted: ${string}`;
      /** The incident event put on the paging hook's bus, or why not. */
      readonly paged?: string;
    }
  | { readonly action: 'ignored'; readonly reason: string };

/** What the recorder needs besides the ledger: how the run stood (its history) and Slack. */
export interface RunEndedDeps {
  readonly ledger: Ledger;
  readonly clock: Clock;
  /** The run's newest history events (Step Functions' GetExecutionHistory, with execution data). */
  readonly history?: (executionArn: string) => Promise<RecentStates>;
  readonly notifier?: NotifierPort;
  /** The paging hook, when configured. */
  readonly pager?: PagerPort;
}

const PAGED_AS: Readonly<Record<(typeof ENDED)[number], IncidentPhase>> = {
  ABORTED: 'stopped',
  TIMED_OUT: 'timed-out',
  FAILED: 'failed',
};

const ENDED_AS: Readonly<Record<(typeof ENDED)[number], EndedAs>> = {
  ABORTED: 'STOPPED',
  TIMED_OUT: 'TIMED OUT',
  FAILED: 'FAILED',
};

/** The run's last state document: the newest state output that carries its request. */
function lastDocument(recent: RecentStates): Record<string, unknown> | undefined {
  for (const { output } of recent.outputs) {
    if (typeof output === 'object' && output !== null && 'request' in output) return output;
  }
  return undefined;
}

const LOCKING: ReadonlySet<RunKind> = new Set(['failover', 'failback', 'switchover', 'drain']);

const REASONS: Readonly<Record<(typeof ENDED)[number], string>> = {
  ABORTED: 'the execution was stopped (StopExecution) before it could record its end',
  TIMED_OUT: "the execution ran past its state machine's timeout before it could record its end",
  FAILED: 'the execution failed in a way its own error handling could not record',
};

/**
 * Keeps invariant 5 for a run that could not keep it itself: an execution stopped, timed out, or
 * failed past its Catch. When the ledger has no final record of it, writes one (ABORTED, TIMED_OUT
 * or FAILED, with the reason and any error); when it still holds its application's lock, cuts the
 * lease to IN_FLIGHT_SECONDS so that the next run need not wait for the full lease. A record the
 * workflow wrote itself is left as it is; a second delivery of the event changes nothing.
 */
export async function handleExecutionEnded(event: unknown, deps: RunEndedDeps): Promise<RunEndedOutcome> {
  const parsed = ExecutionStatusChangeSchema.safeParse(event);
  if (!parsed.success) {
    return {
      action: 'ignored',
      reason: `not a Step Functions status change: ${parsed.error.issues.map((i) => describeIssue(i)).join('; ')}`,
    };
  }
  const { detail } = parsed.data;
  const status = ENDED.find((s) => s === detail.status);
  if (status === undefined) return { action: 'ignored', reason: `${detail.name} is ${detail.status}` };
  const machine = /:stateMachine:lifeboat-([\w-]+)$/.exec(detail.stateMachineArn)?.[1];
  const kind = RUN_KINDS.find((k) => k === machine);
  if (kind === undefined) {
    return { action: 'ignored', reason: `${detail.stateMachineArn} is not a Lifeboat workflow` };
  }
  let application = 'unknown';
  let targetRegion: string | undefined;
  try {
    const input = JSON.parse(detail.input ?? '{}') as {
      application?: unknown;
      targetRegion?: unknown;
    } | null;
    if (typeof input?.application === 'string' && input.application !== '') application = input.application;
    if (typeof input?.targetRegion === 'string' && input.targetRegion !== '')
      targetRegion = input.targetRegion;
  } catch {
    // The input was not JSON: the workflow refused it at once; the run is recorded as unknown.
  }
  const existing = (await deps.ledger.listRuns(application, kind, 100)).find(
    (r) => r.executionName === detail.name,
  );
  if (existing !== undefined && existing.status !== 'RUNNING') {
    return { action: 'ignored', reason: `${detail.name} already recorded ${existing.status}` };
  }
  const now = deps.clock.now();
  const ended = detail.stopDate ?? now.getTime();
  // A failover, a failback, a switchover or a drain says what it had changed, read from the last state
  // document of its history (the same list its own failure message gives); without the history, the
  // record says so.
  const workflow = kind === 'failover' || kind === 'failback' || kind === 'switchover' ? kind : undefined;
  const drain = kind === 'drain';
  let recent: RecentStates | undefined;
  let unread: string | undefined;
  if ((workflow !== undefined || drain) && deps.history !== undefined) {
    try {
      recent = await deps.history(detail.executionArn);
    } catch (error) {
      unread = `${(error as Error).name}: ${(error as Error).message}`;
    }
  }
  const document = recent === undefined ? undefined : lastDocument(recent);
  const changes =
    document === undefined
      ? undefined
      : drain
        ? drainChanges(document)
        : workflow === 'failover'
          ? changesOf(document)
          : workflow !== undefined
            ? failbackChangesOf(document)
            : undefined;
  await deps.ledger.putRun({
    application,
    kind,
    executionName: detail.name,
    // A RUNNING record's key is kept, so the final record replaces it.
    startedAt: existing?.startedAt ?? new Date(detail.startDate).toISOString(),
    endedAt: new Date(ended).toISOString(),
    status,
    reason: REASONS[status],
    ...(detail.error === undefined || detail.error === null
      ? {}
      : { error: { name: detail.error, cause: detail.cause ?? '' } }),
    details: {
      ...(existing?.details ?? {}),
      // A failback or switchover stopped half-way keeps its request and how far it got, as it would
      // have recorded them itself: the next start finishes it (resumableFailback).
      ...(workflow !== undefined && workflow !== 'failover' && document?.request !== undefined
        ? { request: document.request, progress: progressOf(document) }
        : {}),
      recordedBy: 'execution status change',
      ...(recent?.lastEntered === undefined ? {} : { stoppedIn: recent.lastEntered }),
      ...(changes === undefined ? {} : { changes }),
      ...(unread === undefined ? {} : { changesUnread: unread }),
    },
  });
  const lock = !LOCKING.has(kind) ? 'none' : await shortenLock(deps, application, detail.name, now);
  if (drain && deps.notifier !== undefined) {
    // A drain stopped mid-way may have left weights part-way and regions scaled: say so.
    const told = drainChanges(document ?? {});
    const text = `Lifeboat drain run ${detail.name} of ${application} ${ENDED_AS[status]}${recent?.lastEntered === undefined ? '' : ` in ${recent.lastEntered}`} before it recorded its end${detail.error === undefined || detail.error === null ? '' : `: ${detail.error}`}. It had changed: ${document === undefined ? `unknown (${unread ?? 'its history holds no state document'}); read the weights with lifeboat status` : told.join('; ')}. Start the drain or the undrain again from the weights in force.`;
    try {
      await deps.notifier.post(text);
      return { action: 'recorded', status, lock, slack: 'posted' };
    } catch (error) {
      return { action: 'recorded', status, lock, slack: `not posted: ${(error as Error).message}` };
    }
  }
  if (workflow === undefined || deps.notifier === undefined) return { action: 'recorded', status, lock };
  // Said once the record is written: a second delivery of the event finds the record and posts nothing.
  const state = {
    ...(document ?? {}),
    request: (document?.request as object | undefined) ?? {
      application,
      ...(targetRegion === undefined ? {} : { targetRegion }),
    },
    error: { Error: detail.error ?? status, Cause: detail.cause ?? REASONS[status] },
  };
  const text = endedRunMessage(workflow, state, detail.name, ENDED_AS[status], {
    ...(recent?.lastEntered === undefined ? {} : { stoppedIn: recent.lastEntered }),
    // Without its last state document, the message cannot say what the run changed.
    ...(document === undefined ? { unknownChanges: unread ?? 'its history holds no state document' } : {}),
  });
  // The paging hook first (best effort): a stopped or timed-out failover needs a person.
  let paged: string | undefined;
  if (deps.pager !== undefined) {
    try {
      await deps.pager.page(
        incidentEvent({
          phase: PAGED_AS[status],
          workflow,
          execution: detail.name,
          request: state.request,
          text,
          region: /^arn:[^:]+:states:([^:]+):/.exec(detail.executionArn)?.[1] ?? 'unknown',
          at: now,
        }),
      );
      paged = PAGED_AS[status];
    } catch (error) {
      paged = `not paged: ${(error as Error).message}`;
    }
  }
  let slack: 'posted' | `not posted: ${string}`;
  try {
    await deps.notifier.post(text, undefined, runThread(document ?? {}, true));
    slack = 'posted';
  } catch (error) {
    slack = `not posted: ${(error as Error).message}`;
  }
  return { action: 'recorded', status, lock, slack, ...(paged === undefined ? {} : { paged }) };
}

/** Cuts the run's lock lease to IN_FLIGHT_SECONDS when it still holds the lock. */
async function shortenLock(
  deps: RunEndedDeps,
  application: string,
  owner: string,
  now: Date,
): Promise<'shortened' | 'not held'> {
  const lock = await deps.ledger.getLock(application);
  if (lock?.owner !== owner || new Date(lock.leaseExpiresAt).getTime() <= now.getTime()) return 'not held';
  // Taking a lock one holds sets its lease: here, shorter. If another run took it meanwhile, nothing changes.
  const shortened = await deps.ledger.acquireLock(application, owner, now, IN_FLIGHT_SECONDS);
  return shortened.acquired ? 'shortened' : 'not held';
}
