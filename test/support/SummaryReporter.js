/**
 * Ends a jest run with one plain line, `jest: N passed, N failed, N skipped`, that any CI can read.
 * @implements {import('@jest/reporters').Reporter}
 */
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(
      `jest: ${results.numPassedTests} passed, ${failed} failed, ${results.numPendingTests + results.numTodoTests} skipped\n`,
    );
  }
}
