import {
  cleanRun,
  expectCleanRun,
  expectPermanentOutcome,
  expectRetriedToSuccess,
  permanentFault,
  positions,
  transientFaults,
  type PermanentOutcome,
} from './support/faultMatrix.ts';
import { reliabilityFigures } from './support/figures.ts';
import { failbackUnderTest as w } from './support/matrix.ts';

const figures = reliabilityFigures(import.meta.url);

// The matrix's rows are what a clean failback calls: nothing it calls can be left out.
const clean = await cleanRun(w);

/** Where a permanent error does not end the failback FAILED (see PermanentOutcome for why). */
const NOT_FAILED: Readonly<Record<string, PermanentOutcome>> = {
  'route53 ListResourceRecordSets first': 'tolerated',
  'route53 GetHealthCheckStatus first': 'tolerated',
  'eks DescribeCluster first': 'stopped',
  // Renaming the old writer away when the standby is rebuilt after the switch is retried by the next step.
  'rds ModifyDBInstance later': 'tolerated',
  // The last read is UnfenceStandbys's: a standby that cannot be found is not unfenced, and the
  // record lists it as still fenced.
  'rds DescribeDBInstances later': 'tolerated',
  // The approval request waits for Slack (whenSlackIsDown: wait) and is approved once it is back.
  'slack chat.postMessage first': 'tolerated',
  // The success message is best-effort.
  'slack chat.postMessage later': 'tolerated',
};

describe('failback fault matrix (real ASL on the local runtime)', () => {
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
      await expectRetriedToSuccess(w, transientFaults(w, op, nth), figures, NOT_FAILED[key] === 'tolerated');
    },
  );

  it.each(cases)('$key: a permanent error', async ({ op, nth, index, key }) => {
    await expectPermanentOutcome(
      w,
      op,
      permanentFault(w, op, nth, index),
      NOT_FAILED[key] ?? 'failed',
      figures,
    );
  });
});
