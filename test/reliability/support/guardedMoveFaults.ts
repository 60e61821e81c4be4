import type { PermanentOutcome } from './faultMatrix.ts';

/**
 * Where a permanent error does not end a failback or a switchover FAILED (see PermanentOutcome for
 * why): both run the failback's definition, so the same steps have the same fallbacks.
 */
export const GUARDED_MOVE_NOT_FAILED: Readonly<Record<string, PermanentOutcome>> = {
  'route53 ListResourceRecordSets first': 'tolerated',
  // Route 53's view of the returning region (its health check's alarm) falls back to the probes:
  // at the preflight, and at each step's check before the returning region's weight is raised.
  'cloudwatch DescribeAlarms first': 'tolerated',
  'cloudwatch DescribeAlarms later': 'tolerated',
  'eks DescribeCluster first': 'stopped',
  // Renaming the old writer away when the standby is rebuilt after the switch is retried by the next step.
  'rds ModifyDBInstance later': 'tolerated',
  // The last replica created is FollowWriter's, of the third region: one that cannot be made to
  // follow the writer is named in the record with the reason, and the run succeeds.
  'rds CreateDBInstanceReadReplica later': 'tolerated',
  // The last Global Datastore read is FollowWriter's too: a store member it cannot read is named in
  // the record with the reason.
  'elasticache DescribeGlobalReplicationGroups later': 'tolerated',
  // The last read is UnfenceStandbys's: a standby that cannot be found is not unfenced, and the
  // record lists it as still fenced.
  'rds DescribeDBInstances later': 'tolerated',
  // The approval request waits for Slack (whenSlackIsDown: wait) and is approved once it is back.
  // The last fence vote published (UnfenceStandbys lifting a standby's fence): the writer and the
  // traffic have moved, so the run ends with that standby still fenced and names it, with the
  // refusal, in the step's `notUnfenced` (docs/fencing.md).
  'cloudwatch PutMetricData later': 'tolerated',
  'slack chat.postMessage first': 'tolerated',
  // The success message is best-effort.
  'slack chat.postMessage later': 'tolerated',
  // So is the paging hook's event of the failback's end (docs/paging.md).
  'events PutEvents first': 'tolerated',
};
