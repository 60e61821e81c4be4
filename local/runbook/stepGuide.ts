/**
 * What each workflow step operation does and what an operator does when it fails, in words an
 * on-call person can act on. The runbook and the input documentation render these; a test checks
 * every operation a state machine names has an entry.
 */
export interface StepGuide {
  readonly does: string;
  readonly ifFails: string;
}

export const STEP_GUIDE: Readonly<Record<string, StepGuide>> = {
  validateInput: {
    does: 'checks the input against the config and works out the source region',
    ifFails:
      'the run ends at once with InvalidInput and nothing was changed; read the error, fix the input (the message names the field) and start again',
  },
  acquireLock: {
    does: "takes the application's lock (a conditional write with a lease)",
    ifFails:
      'check the ledger table is reachable in this region (DynamoDB console); if another run holds the lock the run ends SKIPPED, so look at that run first',
  },
  confirmLock: {
    does: "reads the other regions' replicas of the lock and gives way to a run that took it first",
    ifFails:
      'a replica that cannot be read is skipped; a failure here is DynamoDB in this region: retry the start',
  },
  releaseLock: {
    does: "releases the application's lock",
    ifFails:
      'the lease expires by itself (3 hours); to free it sooner, delete the LOCK item of the application in the ledger table once no run is in progress',
  },
  checkTarget: {
    does: "reads the target's Route 53 health check (or the other regions' probes)",
    ifFails: 'counts as a failed check: the run stops with the reason; look at the target health check',
  },
  checkSource: {
    does: 'counts the detection alarms of the source region in ALARM against the quorum',
    ifFails: 'counts as a failed check: the run stops; check the alarms named in the reason',
  },
  checkReplicaLag: {
    does: "reads the target replica's lag against the automatic budget",
    ifFails:
      'counts as a failed check; an automatic run stops and a person decides: start it by hand if the data loss is acceptable',
  },
  checkCooldown: {
    does: 'looks for an automatic failover inside the cooldown',
    ifFails: 'counts as a failed check; an automatic run stops; a person may start one by hand',
  },
  checkTargetCluster: {
    does: "checks the target's EKS cluster is ACTIVE",
    ifFails:
      'counts as a failed check: the run stops; look at the cluster in the EKS console of the target region',
  },
  decide: {
    does: 'proceeds, stops with every reason, or (dry run) lists what would be done',
    ifFails: 'a stop is not a failure: read the reasons in the ledger record and on Slack',
  },
  fenceSource: {
    does: "publishes the fence metric of every region but the target, so their records' health checks fail",
    ifFails:
      'nothing else has moved yet: fix CloudWatch access in this region (the error says which call) and start again',
  },
  promoteDatabase: {
    does: "promotes the target's database (RDS read replica, or Aurora global failover)",
    ifFails:
      'look at the database in the RDS console of the target region; a promotion already under way or done counts as success, so starting the failover again is safe',
  },
  checkDatabase: {
    does: 'waits until the target database accepts writes (gives up after 30 minutes)',
    ifFails:
      'NotReadyError: the promotion did not finish in time; check the instance events in the RDS console, then start the failover again',
  },
  scaleNodeGroups: {
    does: "scales the target's EKS node groups to their active sizes",
    ifFails:
      'check the node group in the EKS console (capacity, quotas, IAM); scale it by hand if needed and start the failover again',
  },
  scaleDeployments: {
    does: "scales the target's deployments to their active replicas",
    ifFails:
      "check the Lambda's access to the cluster (EKS access entry) and scale the deployments by hand with kubectl if needed",
  },
  checkWorkloads: {
    does: 'waits until every deployment has its minimum ready replicas (gives up after 15 minutes)',
    ifFails:
      'NotReadyError names the deployments short of ready; look at pending pods (kubectl describe) and node capacity',
  },
  shiftTraffic: {
    does: 'sets the weights in one change batch: the target to 100, the source to 0',
    ifFails:
      "it is retried for about an hour while Route 53's API does not answer; the fence already keeps the source out of DNS answers. If it still fails, set the weights by hand in the Route 53 console",
  },
  checkChange: {
    does: 'waits until Route 53 reports the change INSYNC',
    ifFails: 'the change was made; check it with aws route53 get-change and verify by hand',
  },
  verifyTarget: {
    does: 'checks the target passes its health check after the change',
    ifFails:
      'PreconditionFailedError: traffic goes to a target that fails its health check; look at the endpoint at once (curl the health path)',
  },
  record: {
    does: 'writes the run to the ledger with its step times, RTO and RPO',
    ifFails:
      'the estate is as the previous steps left it; look at the execution history for the step results',
  },
  notify: {
    does: "posts to the team's Slack channel",
    ifFails: 'a failed message does not fail the run; read the outcome in the execution or the ledger',
  },
};
