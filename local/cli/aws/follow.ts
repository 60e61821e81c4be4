import type {
  ExecutionSummary,
  StateEvent,
  StepFunctionsWorkflows,
} from '../../../shared/aws/StepFunctionsWorkflows.ts';

/** How often the progress view reads the execution's history: Step Functions allows 5 calls a second. */
export const POLL_SECONDS = 2;

export interface FollowOptions {
  readonly sleep: (seconds: number) => Promise<void>;
  readonly print: (line: string) => void;
}

/** `1:02:03` from seconds. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * Follows an execution until it ends: each state as it is entered and left (with how long it took)
 * and each failed attempt, timed from the execution's start, read from its history every
 * POLL_SECONDS. Returns how it ended.
 */
export async function followExecution(
  workflows: StepFunctionsWorkflows,
  executionArn: string,
  options: FollowOptions,
): Promise<ExecutionSummary> {
  let summary = await workflows.describe(executionArn);
  const start = Date.parse(summary.startedAt);
  const enteredAt = new Map<string, number>();
  let lastId = 0;
  const show = (event: StateEvent) => {
    const at = Date.parse(event.at);
    const when = clock((at - start) / 1000);
    if (event.kind === 'entered') {
      enteredAt.set(event.state, at);
      options.print(`  ${when}  ▶ ${event.state}`);
    } else if (event.kind === 'exited') {
      const began = enteredAt.get(event.state);
      const took = began === undefined ? '' : `  ${((at - began) / 1000).toFixed(1)} s`;
      options.print(`  ${when}  ✓ ${event.state}${took}`);
    } else {
      options.print(`  ${when}    ✗ ${event.detail ?? 'failed'}`);
    }
  };
  for (;;) {
    // Read the history after the status: a run that ended has every event in it by then.
    const ended = summary.status !== 'RUNNING';
    for (const event of await workflows.stateEvents(executionArn, lastId)) {
      show(event);
      lastId = event.id;
    }
    if (ended) return summary;
    await options.sleep(POLL_SECONDS);
    summary = await workflows.describe(executionArn);
  }
}

/** The run's own verdict from a finished execution's output (`status`, `reason`, `reasons`). */
export function outcomeOf(summary: ExecutionSummary): {
  status: string;
  reason?: string;
  output?: Record<string, unknown>;
} {
  if (summary.status !== 'SUCCEEDED') {
    return {
      status: summary.status,
      ...(summary.error === undefined ? {} : { reason: `${summary.error}: ${summary.cause ?? ''}`.trim() }),
    };
  }
  let output: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(summary.output ?? '{}');
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      output = parsed as Record<string, unknown>;
  } catch {
    output = undefined;
  }
  const status = typeof output?.status === 'string' ? output.status : 'SUCCEEDED';
  const reasons = Array.isArray(output?.reasons) ? output.reasons.map(String).join('; ') : undefined;
  const reason = typeof output?.reason === 'string' ? output.reason : reasons;
  return {
    status,
    ...(reason === undefined || reason === '' ? {} : { reason }),
    ...(output === undefined ? {} : { output }),
  };
}
