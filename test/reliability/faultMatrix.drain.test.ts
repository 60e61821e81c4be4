import { describeFaultMatrix, type PermanentOutcome } from './support/faultMatrix.ts';
import { drainUnderTest } from './support/matrix.ts';

/** Where a permanent error does not end the drain FAILED (see PermanentOutcome for why). */
const NOT_FAILED: Readonly<Record<string, PermanentOutcome>> = {
  // Route 53's view of a region that takes traffic (its health check's alarm) falls back to the probes.
  'cloudwatch DescribeAlarms first': 'tolerated',
  'cloudwatch DescribeAlarms later': 'tolerated',
  // A cluster that cannot be described is a failed preflight check: the run stops before it acts.
  'eks DescribeCluster first': 'stopped',
  'eks DescribeCluster later': 'stopped',
  // The last step's change was accepted (its INSYNC, or its guard, could not be read), or traffic is
  // out and the writer's switchover or its check failed: a second drain is refused, us-east-1 being
  // drained already; the writer is then moved by hand (the step guide says how).
  'route53 GetChange later': 'failed-done',
  'cloudwatch GetMetricData later': 'failed-done',
  'rds SwitchoverGlobalCluster first': 'failed-done',
  'rds DescribeDBInstances later': 'failed-done',
  // The success message is best-effort.
  'slack chat.postMessage first': 'tolerated',
};

// The matrix's rows are what a clean drain calls: nothing it calls can be left out.
await describeFaultMatrix(drainUnderTest, NOT_FAILED, import.meta.url);
