import type { Report, ReportExecution } from '../../../local/report/Report.ts';
import { SIMULATED_OPERATIONS } from '../../../local/world/services.ts';
import { reliabilityFigures } from './figures.ts';
import { PERMANENT_ERRORS, type MatrixWorkflow } from './matrix.ts';
import { operationsOf, type AimedFault, type Observed } from './observed.ts';

/** The operations a workflow called in a clean run, with the later call each fault matrix aims at. */
export interface MatrixOperation {
  readonly service: AimedFault['service'];
  readonly operation: string;
  readonly count: number;
  readonly states: readonly string[];
}

/** A clean run of the workflow under test, and the operations it called: the matrix's rows. */
export async function cleanRun(
  w: MatrixWorkflow,
): Promise<{ observed: Observed; operations: MatrixOperation[] }> {
  const observed = await w.run([], false);
  return { observed, operations: operationsOf(observed.calls, w.workflow) };
}

export function runsOf(report: Report, workflow: string): ReportExecution[] {
  return report.executions.filter((e) => e.workflow === workflow);
}

/** Asserts what every clean run must show before its operations are trusted as the matrix. */
export function expectCleanRun(w: MatrixWorkflow, observed: Observed, operations: MatrixOperation[]): void {
  expect(observed.report.violations).toEqual([]);
  expect(runsOf(observed.report, w.workflow).map((e) => e.status)).toEqual(['SUCCEEDED']);
  expect(operations.length).toBeGreaterThan(5);
  // Every operation the workflow called is one a scenario's api-error can name.
  for (const op of operations) {
    expect(`${op.service} ${op.operation}`).toEqual(
      expect.stringMatching(
        new RegExp(`^${op.service} (${(SIMULATED_OPERATIONS[op.service] as readonly string[]).join('|')})$`),
      ),
    );
  }
}

/** The call a fault is aimed at: the first, or the last the clean run made (a later one, if there is one). */
export function positions(op: MatrixOperation): { label: 'first' | 'later'; nth: number }[] {
  return op.count >= 2
    ? [
        { label: 'first', nth: 1 },
        { label: 'later', nth: op.count },
      ]
    : [{ label: 'first', nth: 1 }];
}

/**
 * Transient faults at one call: that call is throttled, its retry gets a 5xx and the retry after that
 * a timeout; every class of transient fault hits the same call in one run.
 */
export function transientFaults(w: MatrixWorkflow, op: MatrixOperation, nth: number): AimedFault[] {
  const base = { workflow: w.workflow, service: op.service, operation: op.operation };
  return [
    { ...base, nth, kind: 'throttle' },
    { ...base, nth: nth + 1, kind: 'server-error' },
    { ...base, nth: nth + 2, kind: 'timeout' },
  ];
}

/** A permanent error from the nth call until the fault is gone: access denied first, then not-found or invalid state. */
export function permanentFault(
  w: MatrixWorkflow,
  op: MatrixOperation,
  nth: number,
  index: number,
): AimedFault & { error: string } {
  const errors = PERMANENT_ERRORS[op.service];
  const error = nth === 1 ? errors.denied : index % 2 === 0 ? errors.notFound : errors.invalidState;
  return {
    workflow: w.workflow,
    service: op.service,
    operation: op.operation,
    nth,
    kind: 'permanent',
    error,
    until: w.faultGoneAt,
  };
}

/**
 * Transient faults are retried to success, with nothing broken. Where the step has a fallback
 * (`absorbed`), the first fault takes it instead of a retry, and the run still succeeds.
 */
export async function expectRetriedToSuccess(
  w: MatrixWorkflow,
  faults: AimedFault[],
  figures: ReturnType<typeof reliabilityFigures>,
  absorbed = false,
): Promise<Observed> {
  const observed = await w.run(faults, false);
  figures.count(observed.report);
  if (absorbed) expect(observed.hits[0]).toBe(1);
  else expect(observed.hits).toEqual([1, 1, 1]);
  expect(runsOf(observed.report, w.workflow).map((e) => [e.status, e.cause])).toEqual([['SUCCEEDED', null]]);
  expect(observed.report.violations).toEqual([]);
  return observed;
}

/**
 * What a permanent error at an operation does, as the workflow is designed:
 * - `failed`: the run ends FAILED, its ledger record names the step and the error, and a start once
 *   the fault is gone succeeds;
 * - `failed-done`: it ends FAILED after its change had been accepted (only the check of the change
 *   failed); a later start is refused because the target already serves, which the world confirms;
 * - `stopped`: a check could not be made, so the run stops before acting (ABORTED, with the reason),
 *   and a later start succeeds;
 * - `tolerated`: the step has a fallback (Route 53's health read falls back to the probes, the
 *   serving region to the ledger, a notification is best-effort, an approval waits for Slack) and the
 *   run succeeds anyway.
 */
export type PermanentOutcome = 'failed' | 'failed-done' | 'stopped' | 'tolerated';

export async function expectPermanentOutcome(
  w: MatrixWorkflow,
  op: MatrixOperation,
  fault: AimedFault & { error: string },
  outcome: PermanentOutcome,
  figures: ReturnType<typeof reliabilityFigures>,
): Promise<void> {
  const observed = await w.run([fault], true);
  const { report } = observed;
  figures.count(report);
  expect(observed.hits[0]).toBeGreaterThan(0);
  expect(report.violations).toEqual([]);
  const [first, second] = runsOf(report, w.workflow);
  const record = report.ledger.find((r) => r.executionName === first?.name) as
    { status: string; reason?: string; error?: { name: string; cause: string } } | undefined;
  switch (outcome) {
    case 'tolerated':
      expect(first?.status).toBe('SUCCEEDED');
      return;
    case 'stopped':
      expect(first?.status).toBe('ABORTED');
      expect(record?.reason).toBeTruthy();
      expect(second?.status).toBe('SUCCEEDED');
      return;
    case 'failed':
    case 'failed-done': {
      expect(first?.status).toBe('FAILED');
      expect(record).toMatchObject({ status: 'FAILED', error: { name: 'PermanentServiceError' } });
      // The cause names the step (its operation) and the error.
      expect(record?.error?.cause).toMatch(
        new RegExp(
          `"errorMessage":"[a-zA-Z]+: ${fault.error}: ${op.service} ${op.operation.replace('.', '\\.')}`,
        ),
      );
      if (outcome === 'failed') {
        expect(second?.status).toBe('SUCCEEDED');
      } else {
        expect(second?.status).toBe('FAILED');
        expect(second?.cause).toContain(w.done.cause);
        expect(report.dns.filter((d) => d.application === w.done.application).at(-1)?.answers).toEqual(
          w.done.answers,
        );
      }
      return;
    }
  }
}

/**
 * The fault matrix of one workflow: its rows are the operations a clean run calls (so none can be
 * left out), each at its first and a later call; transient faults must be retried to success, and a
 * permanent one must end the run FAILED unless `notFailed` names another outcome for that row.
 */
export async function describeFaultMatrix(
  w: MatrixWorkflow,
  notFailed: Readonly<Record<string, PermanentOutcome>>,
  testFile: string,
): Promise<void> {
  const figures = reliabilityFigures(testFile);
  const clean = await cleanRun(w);
  describe(`${w.workflow} fault matrix (real ASL on the local runtime)`, () => {
    it('derives its rows from a clean run', () => {
      expectCleanRun(w, clean.observed, clean.operations);
      figures.count(clean.observed.report);
    });

    const cases = clean.operations.flatMap((op, index) =>
      positions(op).map((p) => ({ op, index, ...p, key: `${op.service} ${op.operation} ${p.label}` })),
    );

    it.each(cases)(
      '$key: throttled, then a 5xx, then a timeout: retried to success',
      async ({ op, nth, key }) => {
        await expectRetriedToSuccess(w, transientFaults(w, op, nth), figures, notFailed[key] === 'tolerated');
      },
    );

    it.each(cases)('$key: a permanent error', async ({ op, nth, index, key }) => {
      await expectPermanentOutcome(
        w,
        op,
        permanentFault(w, op, nth, index),
        notFailed[key] ?? 'failed',
        figures,
      );
    });
  });
}
