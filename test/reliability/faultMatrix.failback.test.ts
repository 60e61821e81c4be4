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
  // The approval request waits for Slack (whenSlackIsDown: wait) and is approved once it is back.
  'slack chat.postMessage first': 'tolerated',
  // The success message is best-effort.
  'slack chat.postMessage later': 'tolerated',
};

/**
 * Known gap, held as failing tests until fixed: a failback that fails after its traffic shift began
 * (a later weight step, the change check, the writer switch, the standby rebuild, the source's scale-down) cannot be started
 * again: its input check finds the target already the heaviest record and refuses ("already serves;
 * nothing to fail back"), though the writer or the standby is not where the failback leaves them.
 */
const REDRIVE_GAPS = new Set([
  'rds DescribeDBInstances later',
  'rds CreateDBInstanceReadReplica later',
  'cloudwatch GetMetricData later',
  'cloudwatch PutMetricData later',
  'route53 ChangeResourceRecordSets later',
  'route53 GetChange first',
  'route53 GetChange later',
  'rds PromoteReadReplica first',
  'eks UpdateNodegroupConfig later',
  'kubernetes PatchDeploymentScale later',
]);

const TRANSIENT_GAPS = new Set<string>();

describe('failback fault matrix (real ASL on the local runtime)', () => {
  it('derives its rows from a clean run', () => {
    expectCleanRun(w, clean.observed, clean.operations);
    figures.count(clean.observed.report);
  });

  const cases = clean.operations.flatMap((op, index) =>
    positions(op).map((p) => ({ op, index, ...p, key: `${op.service} ${op.operation} ${p.label}` })),
  );

  it.each(cases.filter((c) => !TRANSIENT_GAPS.has(c.key)))(
    '$key: throttled, then a 5xx, then a timeout: retried to success',
    async ({ op, nth, key }) => {
      await expectRetriedToSuccess(w, transientFaults(w, op, nth), figures, NOT_FAILED[key] === 'tolerated');
    },
  );

  it.failing.each(cases.filter((c) => TRANSIENT_GAPS.has(c.key)))(
    '$key: throttled, then a 5xx, then a timeout: retried to success (known gap: the run stops)',
    async ({ op, nth }) => {
      await expectRetriedToSuccess(w, transientFaults(w, op, nth), figures);
    },
  );

  it.failing.each(cases.filter((c) => REDRIVE_GAPS.has(c.key)))(
    '$key: a permanent error; a later start finishes the failback (known gap: it is refused)',
    async ({ op, nth, index }) => {
      await expectPermanentOutcome(w, op, permanentFault(w, op, nth, index), 'failed', figures);
    },
  );

  it.each(cases.filter((c) => !REDRIVE_GAPS.has(c.key)))(
    '$key: a permanent error',
    async ({ op, nth, index, key }) => {
      await expectPermanentOutcome(
        w,
        op,
        permanentFault(w, op, nth, index),
        NOT_FAILED[key] ?? 'failed',
        figures,
      );
    },
  );
});
