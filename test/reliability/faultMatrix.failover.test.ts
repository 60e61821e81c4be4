import { describeFaultMatrix, type PermanentOutcome } from './support/faultMatrix.ts';
import { failoverUnderTest } from './support/matrix.ts';

/** Where a permanent error does not end the failover FAILED (see PermanentOutcome for why). */
const NOT_FAILED: Readonly<Record<string, PermanentOutcome>> = {
  // The serving region falls back to the ledger when Route 53's API cannot list the records.
  'route53 ListResourceRecordSets first': 'tolerated',
  // A manual failover does not need the lag to proceed; the RPO is then recorded as unknown.
  'cloudwatch GetMetricData first': 'tolerated',
  'cloudwatch GetMetricData later': 'tolerated',
  // The same for a store's lag: its cache clusters are listed first (DescribeReplicationGroups).
  'elasticache DescribeReplicationGroups first': 'tolerated',
  'elasticache DescribeReplicationGroups later': 'tolerated',
  // FollowWriter names a store member it cannot read in the record, with the reason; the run succeeds.
  'elasticache DescribeGlobalReplicationGroups later': 'tolerated',
  // Without the alarms the source cannot be shown down, or the target's cluster reached: stop.
  'cloudwatch DescribeAlarms first': 'stopped',
  'eks DescribeCluster first': 'stopped',
  // Region health (the health check's alarm) falls back to the other regions' probes.
  'cloudwatch DescribeAlarms later': 'tolerated',
  // The change was accepted; only its status read fails. Traffic already moved.
  'route53 GetChange first': 'failed-done',
  'route53 GetChange later': 'failed-done',
  // The incident's messages (started, restored, succeeded) are best-effort.
  'slack chat.postMessage first': 'tolerated',
  'slack chat.postMessage later': 'tolerated',
  // FollowWriter, once traffic has moved: a region whose database cannot be made to follow the new
  // writer (its replica renamed, a replica of the writer created) is named in the record with the
  // reason, and the run succeeds (docs/replica-lag.md).
  'rds ModifyDBInstance first': 'tolerated',
  'rds CreateDBInstanceReadReplica first': 'tolerated',
  'rds CreateDBInstanceReadReplica later': 'tolerated',
  'rds DescribeDBInstances later': 'tolerated',
  // The example's smoke-test custom step is onFailure continue: a Job that cannot be created or read
  // is that step's warning, and the run succeeds (docs/custom-steps.md).
  'kubernetes CreateJob first': 'tolerated',
  'kubernetes ReadJob first': 'tolerated',
  'kubernetes ReadJob later': 'tolerated',
  // The paging hook's events (started, restored, succeeded) are best-effort too (docs/paging.md).
  'events PutEvents first': 'tolerated',
  'events PutEvents later': 'tolerated',
};

// The matrix's rows are what a clean failover calls: nothing it calls can be left out.
await describeFaultMatrix(failoverUnderTest, NOT_FAILED, import.meta.url);
