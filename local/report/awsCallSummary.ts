import type { Report } from './Report.ts';

/** One row of the reports' "AWS calls" section: a function's calls of one operation. */
export interface AwsCallRow {
  readonly function: string;
  readonly service: string;
  readonly operation: string;
  readonly calls: number;
  readonly denied: number;
  readonly modelErrors: number;
  /** The first denial's action, resource and reason, or the first model error. */
  readonly example?: string;
}

/**
 * The functions' AWS calls by function and operation, denials first, then model errors, then the
 * busiest; empty when the report has no `awsCalls` (a port-level rehearsal).
 */
export function awsCallRows(report: Report): AwsCallRow[] {
  const rows = new Map<string, { row: AwsCallRow; example?: string }>();
  for (const call of report.awsCalls ?? []) {
    const key = `${call.function}\u0000${call.service}\u0000${call.operation}`;
    const entry = rows.get(key) ?? {
      row: {
        function: call.function,
        service: call.service,
        operation: call.operation,
        calls: 0,
        denied: 0,
        modelErrors: 0,
      },
    };
    const problem = call.denied ?? call.modelErrors[0];
    rows.set(key, {
      row: {
        ...entry.row,
        calls: entry.row.calls + 1,
        denied: entry.row.denied + (call.decision === 'denied' ? 1 : 0),
        modelErrors: entry.row.modelErrors + (call.modelErrors.length > 0 ? 1 : 0),
      },
      ...((entry.example ?? problem) === undefined ? {} : { example: entry.example ?? problem }),
    });
  }
  return [...rows.values()]
    .map(({ row, example }) => (example === undefined ? row : { ...row, example }))
    .sort(
      (a, b) =>
        b.denied - a.denied ||
        b.modelErrors - a.modelErrors ||
        a.function.localeCompare(b.function) ||
        b.calls - a.calls ||
        a.operation.localeCompare(b.operation),
    );
}
