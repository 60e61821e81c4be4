import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssue } from '../../shared/config/loadConfig.ts';
import type { Report } from './Report.ts';

/** The fields the renderers read; anything else in the document is kept as it is. */
const ReportShape = z.looseObject({
  version: z.literal(1, { error: 'expected 1, the report contract version' }),
  scenario: z.string(),
  until: z.number(),
  executions: z.array(
    z.looseObject({
      workflow: z.string(),
      name: z.string(),
      status: z.string(),
      startedAt: z.number(),
      stoppedAt: z.number().nullable(),
      states: z.array(
        z.looseObject({
          name: z.string(),
          enteredAt: z.number(),
          exitedAt: z.number().nullable(),
          status: z.string(),
        }),
      ),
    }),
  ),
  applications: z.record(
    z.string(),
    z.looseObject({ rtoTargetSeconds: z.number(), rpoTargetSeconds: z.number() }),
  ),
  world: z.looseObject({ regions: z.record(z.string(), z.looseObject({})) }),
  slack: z.array(z.looseObject({ at: z.number(), text: z.string() })),
  dns: z.array(z.looseObject({ at: z.number(), answers: z.array(z.string()) })),
  writers: z.array(z.looseObject({ at: z.number(), regions: z.array(z.string()) })),
  timeline: z.array(z.looseObject({ at: z.number(), kind: z.string(), text: z.string() })),
  violations: z.array(z.string()),
});

export class ReportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportFileError';
  }
}

/** Reads a report written by `lifeboat simulate --json`; a wrong file names what is wrong in it. */
export function readReport(file: string): Report {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ReportFileError(
      `${file}: cannot read the file: ${code === 'ENOENT' ? 'no such file' : String(error)}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ReportFileError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  const parsed = ReportShape.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 10).flatMap((i) => describeIssue(i).split('\n'));
    throw new ReportFileError(
      `${file} is not a Lifeboat report (write one with "lifeboat simulate <scenario> --json > report.json"):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return parsed.data as unknown as Report;
}
