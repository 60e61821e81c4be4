import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readReport, ReportFileError } from '../../report/readReport.ts';
import { renderHtml } from '../../report/renderHtml.ts';
import { renderText, reportWidth } from '../../report/renderText.ts';
import { parseCommand, UsageError } from '../args.ts';
import type { CliIo } from '../main.ts';

export const REPORT_USAGE = `Usage:
  lifeboat report <report.json> [--html <file>] [--no-color]

Renders a report that "lifeboat simulate <scenario> --json" wrote: as a self-contained HTML page
with --html (timeline of every execution's states, DNS weights, replica lag and error rate over
time, RTO and RPO against target, violations), else as the timeline on stdout. Exits 1 when the
report has violations.

Options:
  --html <file>  write the HTML page to this file
  --no-color     no colors in the timeline
`;

export function reportCommand(args: readonly string[], io: CliIo): number {
  const { values, positionals } = parseCommand(args, {
    html: { type: 'string' },
    'no-color': { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) {
    throw new UsageError(
      `expected one report file, got ${positionals.length}: give the JSON that "lifeboat simulate <scenario> --json" printed`,
    );
  }
  let report;
  try {
    report = readReport(resolve(io.cwd, positionals[0] ?? ''));
  } catch (error) {
    if (error instanceof ReportFileError) throw new UsageError(error.message);
    throw error;
  }
  if (values.html !== undefined) {
    const out = resolve(io.cwd, values.html);
    writeFileSync(out, renderHtml(report));
    io.stderr(`HTML report written to ${out}\n`);
  } else {
    io.stdout(
      renderText(report, {
        color: io.stdoutIsTty === true && !values['no-color'],
        width: reportWidth(io.stdoutColumns),
      }),
    );
  }
  return report.violations.length === 0 ? 0 : 1;
}
