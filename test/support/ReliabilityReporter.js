import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { figuresDir } from '../reliability/support/figuresDir.js';

const ROWS = [
  ['cases run', 'cases', undefined],
  ['simulated runs (real ASL, local runtime)', 'simulatedRuns', undefined],
  ['invariants checked (7 per simulated run)', 'invariantsChecked', undefined],
  ['invariant violations', 'violations', 0],
  ['rejected inputs', 'rejectedInputs', undefined],
  ['mutating calls on rejected input', 'mutatingCallsOnRejected', 0],
];

/**
 * Ends a jest run that included the reliability suite (test/reliability) with its figures, summed
 * over the files each test file wrote, and whether each figure that has a "must be" meets it.
 * @implements {import('@jest/reporters').Reporter}
 */
export default class ReliabilityReporter {
  onRunStart() {
    rmSync(figuresDir(), { recursive: true, force: true });
  }

  onRunComplete() {
    const dir = figuresDir();
    if (!existsSync(dir)) return;
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    if (files.length === 0) return;
    const total = {};
    for (const file of files) {
      const figures = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      for (const [key, value] of Object.entries(figures)) total[key] = (total[key] ?? 0) + value;
    }
    const width = Math.max(...ROWS.map(([label]) => label.length));
    const lines = ROWS.map(([label, key, mustBe]) => {
      const value = String(total[key] ?? 0).padStart(7);
      const verdict =
        mustBe === undefined ? '' : `  (must be ${mustBe}: ${total[key] === mustBe ? 'ok' : 'FAILED'})`;
      return `  ${label.padEnd(width)}  ${value}${verdict}`;
    });
    process.stdout.write(
      `\nreliability figures (${files.length} test files in test/reliability):\n${lines.join('\n')}\n`,
    );
  }
}
