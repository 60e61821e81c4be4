/**
 * The AWS (and Slack) operations the simulated world serves, by service, as a scenario's
 * `api-error` and `api-throttle` faults name them. The names are the SDK's command names without
 * `Command` (Slack: its Web API method names; Kubernetes: the calls Lifeboat makes; `events`:
 * EventBridge, the paging hook's PutEvents).
 */
export const SIMULATED_OPERATIONS = {
  route53: ['ChangeResourceRecordSets', 'GetChange', 'GetHealthCheckStatus', 'ListResourceRecordSets'],
  rds: [
    'DescribeDBInstances',
    'PromoteReadReplica',
    'ModifyDBInstance',
    'RebootDBInstance',
    'CreateDBInstanceReadReplica',
    'DescribeGlobalClusters',
    'FailoverGlobalCluster',
    'SwitchoverGlobalCluster',
    'CreateDBSnapshot',
    'CopyDBSnapshot',
    'DescribeDBSnapshots',
    'DeleteDBSnapshot',
    'RestoreDBInstanceFromDBSnapshot',
    'DeleteDBInstance',
    'CreateDBClusterSnapshot',
    'CopyDBClusterSnapshot',
    'DescribeDBClusterSnapshots',
    'DeleteDBClusterSnapshot',
    'RestoreDBClusterFromSnapshot',
    'CreateDBInstance',
    'DescribeDBClusters',
    'DeleteDBCluster',
  ],
  elasticache: [
    'DescribeGlobalReplicationGroups',
    'DescribeReplicationGroups',
    'FailoverGlobalReplicationGroup',
  ],
  eks: ['DescribeCluster', 'DescribeNodegroup', 'UpdateNodegroupConfig'],
  kubernetes: [
    'ReadWorkloadStatus',
    'ReadWorkloadScale',
    'UpdateWorkloadScale',
    'ReadAutoscaler',
    'PatchAutoscaler',
    'ListNodes',
    'CreateJob',
    'ReadJob',
    'DeleteJob',
    'ReadRbac',
  ],
  lambda: ['Invoke'],
  cloudwatch: ['GetMetricData', 'PutMetricData', 'DescribeAlarms'],
  dynamodb: ['PutItem', 'GetItem', 'UpdateItem', 'DeleteItem', 'Query'],
  sfn: ['StartExecution', 'SendTaskSuccess', 'SendTaskFailure'],
  slack: ['chat.postMessage', 'chat.update'],
  events: ['PutEvents'],
} as const;

export type SimulatedService = keyof typeof SIMULATED_OPERATIONS;

export const SIMULATED_SERVICES = Object.keys(SIMULATED_OPERATIONS) as SimulatedService[];

/** The error name each service's SDK gives a throttled request. */
export const THROTTLING_ERROR: Readonly<Record<SimulatedService, string>> = {
  route53: 'ThrottlingException',
  rds: 'ThrottlingException',
  eks: 'ThrottlingException',
  elasticache: 'ThrottlingException',
  kubernetes: 'TooManyRequests',
  lambda: 'TooManyRequestsException',
  cloudwatch: 'ThrottlingException',
  dynamodb: 'ThrottlingException',
  sfn: 'ThrottlingException',
  slack: 'slack_webapi_rate_limited_error',
  events: 'ThrottlingException',
};

/** The workflows a scenario can start, approve or reject. */
export const WORKFLOW_NAMES = [
  'failover',
  'failback',
  'switchover',
  'drain',
  'backup',
  'restore-test',
  'drill',
  'region-evacuation',
] as const;
export type WorkflowName = (typeof WORKFLOW_NAMES)[number];
