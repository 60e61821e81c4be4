import type { SimulatedService } from './services.ts';

/**
 * The world's operations that change the estate (DNS, databases, capacity, fences). Reads, metric
 * queries and Slack messages are not among them: a request that is refused may be logged and
 * answered, but must never reach one of these.
 */
export const MUTATING_OPERATIONS: Readonly<Partial<Record<SimulatedService, readonly string[]>>> = {
  route53: ['ChangeResourceRecordSets'],
  rds: [
    'PromoteReadReplica',
    'FailoverGlobalCluster',
    'SwitchoverGlobalCluster',
    'ModifyDBInstance',
    'RebootDBInstance',
    'CreateDBInstanceReadReplica',
    'CreateDBSnapshot',
    'CopyDBSnapshot',
    'DeleteDBSnapshot',
    'RestoreDBInstanceFromDBSnapshot',
    'DeleteDBInstance',
    'CreateDBClusterSnapshot',
    'CopyDBClusterSnapshot',
    'DeleteDBClusterSnapshot',
    'RestoreDBClusterFromSnapshot',
    'CreateDBInstance',
    'DeleteDBCluster',
  ],
  eks: ['UpdateNodegroupConfig'],
  kubernetes: ['UpdateWorkloadScale', 'PatchAutoscaler', 'CreateJob', 'DeleteJob'],
  // A team's function may change anything: each invocation counts as a change.
  lambda: ['Invoke'],
  // The fence is a metric the Route 53 health checks read: publishing it moves traffic.
  cloudwatch: ['PutMetricData'],
  sfn: ['StartExecution', 'SendTaskSuccess', 'SendTaskFailure'],
};

export function isMutating(service: SimulatedService, operation: string): boolean {
  return MUTATING_OPERATIONS[service]?.includes(operation) === true;
}
