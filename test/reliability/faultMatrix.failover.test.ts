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
import { failoverUnderTest as w } from './support/matrix.ts';

const figures = reliabilityFigures(import.meta.url);

// The matrix's rows are what a clean failover calls: nothing it calls can be left out.
const clean = await cleanRun(w);

/** Where a permanent error does not end the failover FAILED (see PermanentOutcome for why). */
const NOT_FAILED: Readonly<Record<string, PermanentOutcome>> = {
  // The serving region falls back to the ledger when Route 53's API cannot list the records.
  'route53 ListResourceRecordSets first': 'tolerated',
  // A manual failover does not need the lag to proceed; the RPO is then recorded as unknown.
  'cloudwatch GetMetricData first': 'tolerated',
  'cloudwatch GetMetricData later': 'tolerated',
  // Without the alarms the source cannot be shown down, or the target's cluster reached: stop.
  'cloudwatch DescribeAlarms first': 'stopped',
  'eks DescribeCluster first': 'stopped',
  // Region health falls back to the other regions' probes.
  'cloudwatch DescribeAlarms later': 'tolerated',
  'route53 GetHealthCheckStatus first': 'tolerated',
  'route53 GetHealthCheckStatus later': 'tolerated',
  // The change was accepted; only its status read fails. Traffic already moved.
  'route53 GetChange first': 'failed-done',
  'route53 GetChange later': 'failed-done',
  // The success message is best-effort.
  'slack chat.postMessage first': 'tolerated',
};

describe('failover fault matrix (real ASL on the local runtime)', () => {
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
