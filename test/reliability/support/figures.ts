import { mkdirSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Report } from '../../../local/report/Report.ts';
import { figuresDir } from './figuresDir.js';

/** The seven safety invariants the InvariantChecker watches over every simulated run. */
export const INVARIANTS_PER_RUN = 7;

export interface Figures {
  cases: number;
  simulatedRuns: number;
  invariantsChecked: number;
  violations: number;
  rejectedInputs: number;
  mutatingCallsOnRejected: number;
}

/**
 * The figures one reliability test file adds to the run's table: written when the file's tests are
 * done, one file per test file, and summed by test/support/ReliabilityReporter.js.
 */
export function reliabilityFigures(testFile: string): {
  /** A case run: with its simulated run's report, its invariants count too. */
  readonly count: (report?: Report) => void;
  /** A rejected input, with the mutating calls it caused (must be 0). */
  readonly rejected: (mutatingCalls: number) => void;
} {
  const figures: Figures = {
    cases: 0,
    simulatedRuns: 0,
    invariantsChecked: 0,
    violations: 0,
    rejectedInputs: 0,
    mutatingCallsOnRejected: 0,
  };
  afterAll(() => {
    const dir = figuresDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/${basename(testFile)}.json`, JSON.stringify(figures));
  });
  return {
    count: (report) => {
      figures.cases++;
      if (report !== undefined) {
        figures.simulatedRuns++;
        figures.invariantsChecked += INVARIANTS_PER_RUN;
        figures.violations += report.violations.length;
      }
    },
    rejected: (mutatingCalls) => {
      figures.rejectedInputs++;
      figures.mutatingCallsOnRejected += mutatingCalls;
    },
  };
}
