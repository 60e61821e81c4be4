import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { describeIssue } from '../config/issues.ts';
import type { Clock } from '../ports/Clock.ts';
import { RUN_KINDS, type Ledger, type RunKind, type RunStatus } from '../ports/Ledger.ts';

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
    }
  | { readonly action: 'ignored'; readonly reason: string };

const LOCKING: ReadonlySet<RunKind> = new Set(['failover', 'failback']);

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
export async function handleExecutionEnded(
  event: unknown,
  deps: { readonly ledger: Ledger; readonly clock: Clock },
): Promise<RunEndedOutcome> {
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
  try {
    const input = JSON.parse(detail.input ?? '{}') as { application?: unknown } | null;
    if (typeof input?.application === 'string' && input.application !== '') application = input.application;
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
    details: { ...(existing?.details ?? {}), recordedBy: 'execution status change' },
  });
  if (!LOCKING.has(kind)) return { action: 'recorded', status, lock: 'none' };
  const lock = await deps.ledger.getLock(application);
  if (lock?.owner !== detail.name || new Date(lock.leaseExpiresAt).getTime() <= now.getTime()) {
    return { action: 'recorded', status, lock: 'not held' };
  }
  // Taking a lock one holds sets its lease: here, shorter. If another run took it meanwhile, nothing changes.
  const shortened = await deps.ledger.acquireLock(application, detail.name, now, IN_FLIGHT_SECONDS);
  return { action: 'recorded', status, lock: shortened.acquired ? 'shortened' : 'not held' };
}
