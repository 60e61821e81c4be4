/**
 * What each workflow step operation does and what an operator does when it fails, in words an
 * on-call person can act on. The runbook and the input documentation render these; a test checks
 * every operation a state machine names has an entry.
 */
export interface StepGuide {
  readonly does: string;
  readonly ifFails: string;
}

/** What to do when the workloads' scaling fails, for the failover and the failback alike. */
const SCALE_BY_HAND =
  "check the Lambda's access to the cluster (its EKS access entry; for a KEDA ScaledObject, the RBAC that `lifeboat kubernetes-rbac` prints) and, if needed, scale by hand with kubectl: `kubectl scale` a workload, `kubectl patch hpa` (or `scaledobject`) an autoscaled one's minimum (docs/autoscaling.md)";

/** The custom steps' operations, the same at every named point (docs/custom-steps.md). */
const CUSTOM_STEP_GUIDE: Readonly<Record<string, StepGuide>> = {
  startCustomStep: {
    does: "runs one of the team's custom steps: invokes its Lambda function and waits for the answer, or creates its Kubernetes Job",
    ifFails:
      "it is retried after its backoff; the record names the step and why (the function's error, its timeout, a refused Job). For Lambda: the function must exist and the lifeboat-custom role may invoke only the configured ARNs. For a Job: apply the RBAC that `lifeboat kubernetes-rbac` prints",
  },
  checkCustomStep: {
    does: "reads the custom step's Job until it completes or fails; deletes it once it outlives the step's timeout",
    ifFails:
      'kubectl describe job <name> -n <namespace> in the region the record names; the Job is labelled lifeboat.io/step',
  },
  finishCustomStep: {
    does: "judges the attempt: another after the backoff while retries remain; else the step's outcome (a warning for onFailure continue); deletes a Job whose reads failed",
    ifFails:
      "look at the execution history: the step's attempts and their errors are in the Map's iterations",
  },
  judgeCustomSteps: {
    does: "after the point's steps: ends the run with CustomStepFailed when a step with onFailure stop failed",
    ifFails:
      "CustomStepFailed: a step with onFailure stop failed, so the run stopped there and changed nothing after that point (the record keeps every step's outcome); fix what the step checks, then start the run again",
  },
};

const NOTIFY: StepGuide = {
  does: "posts to the team's Slack channel",
  ifFails: 'a failed message does not fail the run; read the outcome in the execution or the ledger',
};

export const STEP_GUIDE: Readonly<Record<string, StepGuide>> = {
  ...CUSTOM_STEP_GUIDE,
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
      'the lease expires by itself (3 hours); to free it sooner: `lifeboat unlock --app <name> --reason "..."`, which releases it only once no run holds it (stop one with `lifeboat stop <execution> --app <name> --reason "..."`)',
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
    does: 'weighs the writes the target replica lacks (its lag when replication stopped, docs/replica-lag.md) against the automatic budget',
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
      'nothing else has moved yet: the error names each control-plane region that did not take the fence vote; fix CloudWatch access there (or wait for that region to answer; under fenceVotes "majority" two of three votes suffice) and start again, or fence by hand with lifeboat fence',
  },
  promoteDatabase: {
    does: "promotes the target's database (RDS read replica, Aurora global failover, or a CloudNativePG replica cluster named the topology's primary with no token) and, in parallel, fails each store over to the target (ElastiCache FailoverGlobalReplicationGroup, docs/stores.md); a replica that is backing up is asked again each minute for an hour",
    ifFails:
      "the error says what the other side already began. Look at the database in the RDS console of the target region (CloudNativePG: kubectl get clusters.postgresql.cnpg.io in the target's cluster), and at each store's Global Datastore (aws elasticache describe-global-replication-groups --show-member-info); a promotion or failover already under way or done counts as success, so starting the failover again is safe",
  },
  checkDatabase: {
    does: "waits until the target's database and every store's member there accept writes (gives up after 30 minutes)",
    ifFails:
      "NotReadyError names what is still waiting; check the instance events in the RDS console (CloudNativePG: the Cluster's status.phase and events), or the replication group in the ElastiCache console, then start the failover again",
  },
  scaleNodeGroups: {
    does: "scales the target's EKS node groups to their active sizes",
    ifFails:
      'check the node group in the EKS console (capacity, quotas, IAM); scale it by hand if needed and start the failover again',
  },
  scaleDeployments: {
    does: "scales the target's workloads to their active replicas; an autoscaled one's autoscaler gets them as its minimum, which it keeps",
    ifFails: SCALE_BY_HAND,
  },
  checkWorkloads: {
    does: 'waits until every deployment has its minimum ready replicas (gives up after 15 minutes)',
    ifFails:
      'NotReadyError names the deployments short of ready; look at pending pods (kubectl describe) and node capacity',
  },
  shiftTraffic: {
    does: 'sets the weights in one change batch: the target to 100, the source to 0',
    ifFails:
      "it is retried for about 24 hours (5 s growing to 5 min apart) while Route 53's API does not answer; the fence already keeps the source out of DNS answers. If it still fails, set the weights with lifeboat weights once Route 53's API answers",
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
  followWriter: {
    does: "makes every other region's database follow the new writer: RDS renames a replica of the old primary (kept, it may hold writes the writer lacks) and creates a read replica of the writer under its identifier; Aurora rebuilds its secondaries itself and the step reads where each stands; a CloudNativePG replica cluster is re-pointed at the writer (spec.replica.primary and source)",
    ifFails:
      "nothing waits for it: the run has moved the writer and traffic and is recorded; the record's replicas say which region does not follow the writer and why. Fix the cause (an RDS quota, a region down) and create the replica by hand (aws rds create-db-instance-read-replica; CloudNativePG: patch the replica cluster's spec.replica.primary and source, or re-clone it), or let the next failback do it",
  },
  record: {
    does: 'writes the run to the ledger with its step times, RTO and RPO',
    ifFails:
      'the estate is as the previous steps left it; look at the execution history for the step results',
  },
  notify: NOTIFY,
  notifyPhase: {
    does: "replies in the run's incident thread on Slack with the phase it reached (fenced, database promoted, workloads ready, traffic moved, where the other regions' databases stand)",
    ifFails: NOTIFY.ifFails,
  },
  notifyFailure: {
    does: 'posts what the failed run changed before it stopped, what it did not, and the next command',
    ifFails: NOTIFY.ifFails,
  },
  requestApproval: {
    does: 'posts the approval request on Slack and waits for an allowed approver to press Approve or Reject (up to slack.approvalTimeoutSeconds)',
    ifFails:
      'Reject ends the run REJECTED and a timeout ends it TIMED_OUT, both with nothing moved; when Slack is down the post is retried every minute for an hour (whenSlackIsDown "wait") or the run fails (ApprovalNotPosted). To go ahead anyway, start the failover by hand',
  },
  closeApproval: {
    does: 'updates the Slack approval message with the outcome and closes the approval in the ledger',
    ifFails:
      'a failure here does not change the outcome: the run still records and releases its lock; the Slack message may keep its buttons, which no longer act',
  },
};

/**
 * The failback's operations. The lock, preflight, scale-up and Slack operations it shares with the
 * failover read the same; these say what each does on the way back.
 */
export const FAILBACK_STEP_GUIDE: Readonly<Record<string, StepGuide>> = {
  ...CUSTOM_STEP_GUIDE,
  ...STEP_GUIDE,
  validateFailback: {
    does: 'checks the input against the config and works out the region serving now (traffic leaves it)',
    ifFails:
      'the run ends at once with InvalidInput and nothing was changed; the message names the field (start it in the region traffic returns to)',
  },
  checkTarget: {
    does: "reads the returning region's Route 53 health check",
    ifFails:
      'counts as a failed check: the run stops; the old primary is not healthy yet, so wait and offer again',
  },
  checkReplica: {
    does: "reads whether the returning region's database is a caught-up replica of the writer (changes nothing)",
    ifFails:
      'counts as a failed check; the run prepares the replica itself after approval, so a missing one is reported, not fatal',
  },
  checkTargetCluster: {
    does: "checks the returning region's EKS cluster is ACTIVE",
    ifFails: 'counts as a failed check: the run stops; look at the cluster in the EKS console of that region',
  },
  decideFailback: {
    does: 'proceeds, stops with every reason, or (dry run) lists what would be done',
    ifFails: 'a stop is not a failure: read the reasons in the ledger record and on Slack',
  },
  ensureReplica: {
    does: "moves a region's database one step toward a caught-up replica of the writer: renames a stale RDS instance out of the way (kept), creates the replica, waits for it to catch up (gives up after 4 hours)",
    ifFails:
      'nothing has moved traffic yet: look at the instance in the RDS console of that region (a renamed "-pre-failback-" instance keeps the old writes), fix it and start the failback again; steps already done are skipped',
  },
  claimOffer: {
    does: 'claims the approved Slack offer the run was started with, so one approval starts one failback',
    ifFails:
      'the offer was already claimed, expired or never approved: ask for a new offer, or start the failback by hand (it then asks on Slack itself)',
  },
  scaleNodeGroups: {
    does: "scales the returning region's EKS node groups to their active sizes",
    ifFails:
      'check the node group in the EKS console (capacity, quotas, IAM); scale it by hand if needed and start again',
  },
  scaleDeployments: {
    does: "scales the returning region's workloads to their active replicas; an autoscaled one's autoscaler gets them as its minimum",
    ifFails: SCALE_BY_HAND,
  },
  checkWorkloads: {
    does: 'waits until every deployment of the returning region has its minimum ready replicas (gives up after 15 minutes)',
    ifFails:
      'NotReadyError names the deployments short of ready; traffic has not moved: look at pending pods and node capacity',
  },
  unfenceTarget: {
    does: "lifts the fence the failover put on the returning region's record (its weight is still 0)",
    ifFails:
      'no traffic moved: fix CloudWatch access in this region (the error names the call) and start again',
  },
  shiftStep: {
    does: "sets the weights of the next step in one change batch: the returning region at its percent, the serving one the rest; after the first step, only while the returning region's health check passes",
    ifFails:
      "traffic stays at the last weights Route 53 accepted; check them with lifeboat status and either start the failback again or set the weights by hand. PreconditionFailedError: the returning region's health check failed mid-shift, so it got no more traffic; start the failback again once it is healthy",
  },
  checkChange: {
    does: 'waits until Route 53 reports the weight change INSYNC',
    ifFails: 'the change was made; check it with aws route53 get-change',
  },
  guardStep: {
    does: "compares the returning region's error rate and p99 latency over the bake with the config's bounds (no data counts as a breach)",
    ifFails: 'a breach is not a failure: the run rolls back to the last good weights and ends ROLLED_BACK',
  },
  rollBack: {
    does: 'sets the weights back to the last step the guard passed, or all traffic back on the serving region (the returning one fenced again)',
    ifFails:
      'urgent: traffic may still be on weights that breached; set the weights by hand in the Route 53 console (the serving region to 100) and look at the returning region',
  },
  fenceSource: {
    does: 'fences the region traffic left, so no answer names it while the writer switches',
    ifFails: 'every answer already names the returning region; fix CloudWatch access and start again',
  },
  switchWriter: {
    does: "switches the database writer to the returning region once writes have drained: Aurora global switchover, RDS promotion once the replica lag is 0, or CloudNativePG's demotion of the source and the target's promotion with its demotion token; then each store, once its member there lags under a second (docs/stores.md). Gives up 30 minutes after the source's fence",
    ifFails:
      'look at the database in the RDS console of both regions (CloudNativePG: both Clusters, their status.demotionToken and phase), and each store in the ElastiCache console; the serving region is fenced, so writes wait: fix and start the same failback again (it resumes at the switch), or fail over back to the serving region if the switch cannot finish',
  },
  checkDatabase: {
    does: 'waits until the returning region writes (gives up after 30 minutes)',
    ifFails: 'NotReadyError: the switch did not finish in time; check the RDS events of both regions',
  },
  unfenceStandbys: {
    does: 'lifts the fence of every other region whose database now replicates from the returning one',
    ifFails:
      'the application is back and served; a standby left fenced is out of the data-plane fallback: check its replica and lift its fence with lifeboat unfence --app <app> --region <standby>',
  },
  scaleDownSource: {
    does: "scales the region traffic left back to its standby sizes (workloads, then nodes); an autoscaled workload's autoscaler gets its standby minimum and scales down as the load leaves",
    ifFails: 'traffic is back; only cost is at stake: scale the standby down by hand or start again',
  },
  recordFailback: {
    does: "writes the run to the ledger with its steps and the guard's readings",
    ifFails:
      'the estate is as the previous steps left it; look at the execution history for the step results',
  },
};

/** The backup's operations. */
export const BACKUP_STEP_GUIDE: Readonly<Record<string, StepGuide>> = {
  validateInput: {
    does: "checks the application has a backup block and names the slot's snapshot",
    ifFails: 'InvalidInput: nothing was changed; the message names the field',
  },
  createSnapshot: {
    does: "snapshots the writer's database (the slot names the snapshot, so a repeat changes nothing)",
    ifFails:
      'look at the database in the RDS console (a snapshot already running, quotas); the next slot tries again',
  },
  checkSnapshot: {
    does: 'waits until the snapshot is available (gives up after 4 hours)',
    ifFails: 'NotReadyError: look at the snapshot in the RDS console; it is kept and pruned by retention',
  },
  copySnapshot: {
    does: "copies the snapshot to the copy region with that region's KMS key",
    ifFails:
      'check the copy KMS key policy and the RDS copy quota of the copy region; the snapshot itself exists',
  },
  checkCopy: {
    does: 'waits until the copy is available (gives up after 4 hours)',
    ifFails: 'NotReadyError: look at the copy in the RDS console of the copy region',
  },
  prune: {
    does: "deletes this application's Lifeboat snapshots older than the retention (only those it tagged)",
    ifFails: 'the backup still counts; old snapshots stay until the next prune',
  },
  record: {
    does: 'writes the backup to the ledger with its snapshot, copy and times',
    ifFails: 'the snapshots exist; look at the execution history for the results',
  },
  notify: NOTIFY,
};

/** The restore test's operations. */
export const RESTORE_TEST_STEP_GUIDE: Readonly<Record<string, StepGuide>> = {
  validateInput: {
    does: "checks the application has backup.restoreTest and names the slot's temporary instance",
    ifFails: 'InvalidInput: nothing was changed; the message names the field',
  },
  findSnapshot: {
    does: 'finds the latest available Lifeboat copy in the copy region',
    ifFails: 'no copy to restore: look at the backup runs (lifeboat history --kind backup)',
  },
  restore: {
    does: 'restores the copy into a temporary instance (or Aurora cluster) in the copy region',
    ifFails:
      'check the subnet group and instance class in backup.restoreTest and the RDS quotas; cleanup still runs',
  },
  checkRestore: {
    does: 'waits until the temporary instance is available (gives up after 3 hours)',
    ifFails: 'NotReadyError: the restore took too long to count; cleanup still deletes the instance',
  },
  verifyRestore: {
    does: 'checks the restored instance (status, engine), the restore time against the RTO and the data age against the backup budget',
    ifFails: 'a failed check ends the test FAILED with the checks in the record',
  },
  cleanup: {
    does: 'deletes the temporary instance (gives up after 1 hour)',
    ifFails:
      'the record names what was left: delete the lifeboat-<application>-<slot> instance by hand in the RDS console of the copy region',
  },
  record: {
    does: 'writes the test to the ledger: PASSED or FAILED, restore time against the RTO target, data age',
    ifFails: 'look at the execution history for the results',
  },
  notify: NOTIFY,
};

/** The drill's operations: the readiness checks report findings instead of failing. */
export const DRILL_STEP_GUIDE: Readonly<Record<string, StepGuide>> = {
  validateInput: {
    does: 'checks the application and the mode and works out the region a failover would move to',
    ifFails: 'InvalidInput: nothing was checked; the message names the field',
  },
  checkPreflight: {
    does: "makes every check of the failover's preflight (target health, replica lag, cooldown, target cluster, source up)",
    ifFails: 'a check that cannot be made becomes a finding; only throttling is retried',
  },
  checkBackups: {
    does: 'checks the latest backup and its copy are fresh enough for the RPO',
    ifFails: 'a finding: look at the backup runs (lifeboat history --kind backup)',
  },
  checkAlarms: {
    does: 'checks every detection alarm and health check exists',
    ifFails: 'a finding names the missing alarm or check: deploy the detection stack again',
  },
  checkCapacity: {
    does: "checks the target's node groups can reach their active sizes (max size, quotas)",
    ifFails: 'a finding: raise the node group maximum or the quota it names',
  },
  checkRestoreTest: {
    does: 'checks a restore test passed recently',
    ifFails: 'a finding: run one (lifeboat start restore-test) and look at its record',
  },
  ...CUSTOM_STEP_GUIDE,
  customStepFindings: {
    does: "turns each readiness custom step's outcome into a finding: critical for onFailure stop, a warning for continue",
    ifFails: "look at the execution history for the steps' outcomes",
  },
  record: {
    does: 'writes the drill to the ledger: PASSED or FAILED with every finding',
    ifFails: 'look at the execution history for the findings',
  },
  startGameDayRun: {
    does: "starts the game day's failover (in the standby) or failback (in the primary) under the drill's name; a repeat starts nothing",
    ifFails: 'the error names what Step Functions refused; nothing was started, start the game day again',
  },
  checkGameDayRun: {
    does: "reads the run's ledger record once it has ended (it waits, up to a limit, while it runs)",
    ifFails: 'look at the run itself (lifeboat history --kind failover or failback)',
  },
  checkGameDayPrimary: {
    does: 'checks the primary passes its health check again, so the failback may start (end the injected fault)',
    ifFails: 'after 12 hours the game day records FAILED without a failback: fail back by hand',
  },
  recordGameDay: {
    does: 'writes the game day to the ledger: PASSED only when the failover met the RTO and RPO targets and the failback succeeded',
    ifFails: 'look at the execution history for the runs and their records',
  },
  notify: NOTIFY,
};

/** The region evacuation's operations. */
export const EVACUATION_STEP_GUIDE: Readonly<Record<string, StepGuide>> = {
  planEvacuation: {
    does: 'checks the input and lists the applications the failing region serves, each with its first healthy standby; changes nothing',
    ifFails:
      'InvalidInput names the wrong field: fix the input and start again. Otherwise the ledger, Route 53 or the alarms did not answer: start again',
  },
  lockEvacuation: {
    does: "takes the failing region's evacuation lock (region-evacuation:<region> in the ledger) until the deadline and an hour",
    ifFails:
      'nothing was started; check the ledger table answers in this region and start again. A SKIPPED run means another evacuation of the region is running: follow that one',
  },
  startFailover: {
    does: "starts one application's failover in the region it moves traffic to, named after the evacuation (a repeat finds it started)",
    ifFails:
      "the failovers already started run on; check the role may start lifeboat-failover in that region, then start the evacuation again or that application's failover by hand",
  },
  checkFailovers: {
    does: "reads each failover's record in the ledger until none is running or the deadline passes",
    ifFails: 'the failovers run on by themselves; follow them with lifeboat status and history',
  },
  recordEvacuation: {
    does: "writes the evacuation's record (kind evacuation) with each application's outcome",
    ifFails: "the failovers' own records stand; read them with lifeboat history --kind failover",
  },
  releaseEvacuation: {
    does: "gives the region's evacuation lock back",
    ifFails:
      "the lock expires by itself an hour after the evacuation's deadline; until then a new evacuation of the region is recorded SKIPPED",
  },
};

/** The drain's and undrain's operations (docs/drain.md), besides the lock, approval and notices it shares. */
export const DRAIN_STEP_GUIDE: Readonly<Record<string, StepGuide>> = {
  ...FAILBACK_STEP_GUIDE,
  validateDrain: {
    does: "checks the input against the config and Route 53's weights now: the application is active-active, the region serves (drain) or serves less than its weight (undrain), and another region keeps serving",
    ifFails:
      "the run ends at once with InvalidInput and nothing was changed; the message names the field. Any other error here is Route 53's API: a drain needs the weights in force, so start again once it answers",
  },
  checkDrain: {
    does: 'reads each region that takes traffic (the others for a drain, the returning one for an undrain): its Route 53 health check and its EKS cluster; a drain also reads where the database writer is (it moves only with activeActive.moveWriter)',
    ifFails:
      'nothing has moved; look at the error (the alarms, EKS or RDS of the region it names) and start again',
  },
  decideDrain: {
    does: 'proceeds, stops with every reason (a region that takes traffic unhealthy or unreachable, a node group that cannot grow to carry the share), or (dry run) lists what would be done',
    ifFails:
      'a stop is not a failure: read the reasons in the ledger record and on Slack; a maxSize reason names the config field to raise',
  },
  scaleForDrain: {
    does: "scales each region that takes traffic to what its new share needs: node groups' desired size, workloads (or their autoscalers' minimums), never smaller than now",
    ifFails: `no traffic has moved; ${SCALE_BY_HAND}, then start the drain again (what is scaled already is kept)`,
  },
  checkCapacity: {
    does: 'reads the ready replicas of every workload scaled until each has what its new share needs (gives up after 15 minutes)',
    ifFails:
      'NotReady: no traffic moved, and the regions stay scaled up (the record lists them). Find why pods do not start (kubectl get pods, the node group in the EKS console, a capacity shortfall), then start again or scale back by hand',
  },
  drainStep: {
    does: "sets the region's record to the step's weight in one change batch, the other records as they were (never every weight 0)",
    ifFails:
      "Route 53's API is retried for up to an hour; after that the run fails with the weights as the last change left them (the record says): set them in the Route 53 console, or start an undrain (or a drain) again",
  },
  checkDrainChange: {
    does: "reads whether Route 53 has applied the step's (or the rollback's) change everywhere; gives up after 30 minutes PENDING",
    ifFails:
      "NotReady: the change stayed PENDING; the weights are as it left them (lifeboat status). Look at Route 53's health in the AWS Health Dashboard, then start the drain or the undrain again from the weights in force",
  },
  notifyDrainFailure: {
    does: 'posts the failed run on Slack: its cause and what it had changed (scaled regions, the weights it left, a writer switchover)',
    ifFails: 'a failed message does not fail the run; read the outcome in the ledger record',
  },
  guardDrain: {
    does: "reads the error rate and p99 latency over the bake in each region that took traffic, from its load balancer, against dns.failback's bounds; no datapoint counts as a breach",
    ifFails:
      "the metrics could not be read: the weights stay at the last step; read the load balancers' metrics in CloudWatch and set the weights you want, or start again",
  },
  rollBackDrain: {
    does: "sets the region's weight back to the last step the guard passed, or where it was; a drained region whose health check fails keeps its weight (no traffic goes back to it)",
    ifFails:
      "Route 53's API is retried for up to an hour; then set the weights the record's rollback names in the Route 53 console",
  },
  moveWriter: {
    does: "once the drained region's traffic is out, moves the Aurora writer from it to the first remaining region with a global switchover (activeActive.moveWriter; no data loss, the global writer endpoint follows)",
    ifFails:
      'traffic is already out of the region and the writer may still be there: look at the global database in the RDS console; switch it over by hand (aws rds switchover-global-cluster) or start the drain again, which moves only what is left',
  },
  scaleBack: {
    does: "after an undrain, lowers each region that carried the share back to what its share needs now (autoscalers' minimums; the autoscaler scales down as the load leaves)",
    ifFails: `traffic has already moved back; ${SCALE_BY_HAND}`,
  },
  recordDrain: {
    does: "writes the run to the ledger (kind drain, its action undrain or drain in the details), with the capacity, each step's guard reading and any rollback",
    ifFails: 'the execution history keeps everything; read it in the Step Functions console',
  },
};

/** Every workflow's guide, by the name of its `statemachines/<name>.asl.json`. */
export const STEP_GUIDES: Readonly<Record<string, Readonly<Record<string, StepGuide>>>> = {
  failover: STEP_GUIDE,
  failback: FAILBACK_STEP_GUIDE,
  drain: DRAIN_STEP_GUIDE,
  backup: BACKUP_STEP_GUIDE,
  'restore-test': RESTORE_TEST_STEP_GUIDE,
  drill: DRILL_STEP_GUIDE,
  'region-evacuation': EVACUATION_STEP_GUIDE,
};
