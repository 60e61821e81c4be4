import { InvalidInputError } from '../errors.ts';
import type { Ledger, RunKind } from '../ports/Ledger.ts';

/**
 * Runs a workflow's input check; when it refuses the input, records the run as FAILED with the
 * problems (nothing was changed) before passing the refusal on, so a bad console start is in the
 * ledger like every other run.
 */
export async function checkedOrRecorded<T>(
  check: () => T | Promise<T>,
  run: {
    readonly ledger: Ledger;
    readonly kind: RunKind;
    readonly executionName: string;
    readonly input: unknown;
    readonly now: Date;
    /** What the record says was spared; "nothing was changed" unless given. */
    readonly reason?: string;
  },
): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof InvalidInputError) {
      const named = (run.input as { application?: unknown } | null)?.application;
      await run.ledger.putRun({
        application: typeof named === 'string' && named !== '' ? named : 'unknown',
        kind: run.kind,
        executionName: run.executionName,
        startedAt: run.now.toISOString(),
        endedAt: run.now.toISOString(),
        status: 'FAILED',
        reason: run.reason ?? 'the input was rejected; nothing was changed',
        error: { name: 'InvalidInput', cause: error.message },
        details: { input: run.input as Record<string, unknown> },
      });
    }
    throw error;
  }
}
