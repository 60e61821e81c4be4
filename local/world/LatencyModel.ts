/**
 * How long things take in the simulated world, in seconds. Every default carries its source; a
 * scenario's `latency` object overrides any of them by name.
 */
export interface LatencyModel {
  /** CloudWatch alarm period on Route 53 HealthCheckStatus: standard resolution, one minute. */
  readonly alarmPeriodSeconds: number;
  /**
   * How long after its period ends a HealthCheckStatus alarm changes state (the datapoint's arrival
   * in CloudWatch and the alarm's evaluation).
   */
  readonly route53AlarmDelaySeconds: number;
  /**
   * How long after Lifeboat publishes a fence its record's alarm-based health check fails: the fence
   * alarm's period.
   */
  readonly fenceAlarmPeriodSeconds: number;
  /** A regional probe's high-resolution metric period. */
  readonly probeIntervalSeconds: number;
  /** How long a probe of a region that does not answer waits before it counts as failed. */
  readonly probeTimeoutSeconds: number;
  /** EventBridge from the event to the target's invocation (cross-region forwarding included). */
  readonly eventBridgeDeliverySeconds: number;
  /** One Step Functions state transition. */
  readonly stepFunctionsTransitionSeconds: number;
  readonly lambdaColdStartSeconds: number;
  readonly lambdaWarmStartSeconds: number;
  /** A control-plane API call that returns at once (Describe*, Get*, Update* requests). */
  readonly apiCallSeconds: number;
  /** Route 53 ChangeResourceRecordSets until GetChange reports INSYNC. */
  readonly route53InsyncSeconds: number;
  /** RDS cross-region read-replica promotion until the instance is available as a writer. */
  readonly rdsPromoteSeconds: number;
  /** RDS CreateDBInstanceReadReplica across regions until the new replica is available. */
  readonly rdsReplicaCreateSeconds: number;
  /** How long a new replica takes, once available, to replay what its source wrote since its snapshot. */
  readonly rdsReplicaCatchUpSeconds: number;
  /** The backup RDS takes of a newly promoted instance (status `backing-up`, writable). */
  readonly rdsPostPromotionBackupSeconds: number;
  /** RDS ModifyDBInstance renaming an instance (applied immediately) until the old name is free. */
  readonly rdsRenameSeconds: number;
  /** RDS ModifyDBInstance VpcSecurityGroupIds until the new group is active on the instance. */
  readonly rdsSecurityGroupApplySeconds: number;
  /** RDS RebootDBInstance until the instance is available again (every connection ended). */
  readonly rdsRebootSeconds: number;
  /** Aurora Global Database failover (or switchover) until the target cluster writes. */
  readonly auroraFailoverSeconds: number;
  /**
   * After an Aurora global failover (data loss allowed), Aurora's rebuild of every other secondary
   * cluster, and of the old primary once its region is back, from the new primary until it reads again.
   */
  readonly auroraSecondaryRebuildSeconds: number;
  /**
   * CloudNativePG: a replica cluster whose spec names it primary, from the patch until its designated
   * primary writes on a new timeline (after replaying up to a promotion token's LSN, when it has one).
   */
  readonly cnpgPromoteSeconds: number;
  /**
   * CloudNativePG: a primary's demotion, from the patch until `status.demotionToken` is written (the
   * shutdown checkpoint, a clean shutdown, the last WAL archived).
   */
  readonly cnpgDemoteSeconds: number;
  /** CloudNativePG: a replica cluster re-cloned from the primary (pg_basebackup) until it is ready. */
  readonly cnpgRecloneSeconds: number;
  /** ElastiCache Global Datastore failover (FailoverGlobalReplicationGroup) until the new primary writes. */
  readonly storeFailoverSeconds: number;
  /**
   * A store's old primary, demoted while its region was down, from the region's return until it has
   * resynchronized as a secondary of the new primary (its member `associating`).
   */
  readonly storeResyncSeconds: number;
  /** A pod from scheduling to ready on a node that already runs. */
  readonly podStartSeconds: number;
  /** An EKS managed node group from a larger desired size to new nodes that are Ready. */
  readonly nodeGroupScaleUpSeconds: number;
  /** DynamoDB global table replication between regions. */
  readonly dynamodbReplicationSeconds: number;
  /** Slack chat.postMessage / chat.update round trip. */
  readonly slackPostSeconds: number;
  /** A manual RDS snapshot (DB instance or cluster) from its request until it is available. */
  readonly rdsSnapshotSeconds: number;
  /** A cross-region snapshot copy until the copy is available. */
  readonly rdsSnapshotCopySeconds: number;
  /** A restore from a snapshot until the new instance is available. */
  readonly rdsRestoreSeconds: number;
  /** Deleting a DB instance (or an emptied cluster) until it is gone. */
  readonly rdsDeleteSeconds: number;
  /** A team's custom-step Lambda function, from its invocation to its answer. */
  readonly customFunctionSeconds: number;
  /** A team's custom-step Kubernetes Job, from its creation until it completes. */
  readonly kubernetesJobSeconds: number;
}

export const DEFAULT_LATENCY: LatencyModel = {
  // docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html: Route 53 sends
  // HealthCheckStatus to CloudWatch every minute; an alarm on it uses a 60 s period.
  alarmPeriodSeconds: 60,
  // monitoring-health-checks.html: "several minutes might elapse between the time that a health
  // check fails and the time that you receive the associated SNS notification". The default changes
  // the alarm at the end of the period that breached; LATENCY_RANGES spans the minutes AWS warns of.
  route53AlarmDelaySeconds: 0,
  // docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html: health checks based on
  // CloudWatch alarms do not support high-resolution alarms, so the fence alarm has a 60 s period.
  fenceAlarmPeriodSeconds: 60,
  // docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/publishingMetrics.html: high-resolution
  // metrics have 1 s granularity and alarms on them may use 10 s periods.
  probeIntervalSeconds: 10,
  // The probe function's own timeout (shared/aws/HttpProbe.ts: 6 s, Route 53's 4 s to connect and 2 s
  // for the first byte, https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html):
  // a region that is down does not refuse the connection, it does not answer.
  probeTimeoutSeconds: 6,
  // docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html: events are delivered on a
  // best-effort basis, typically within seconds; one second is the usual figure for same-account targets.
  eventBridgeDeliverySeconds: 1,
  // docs.aws.amazon.com/step-functions/latest/dg/concepts-standard-vs-express.html: Standard workflows
  // run at roughly tens of milliseconds per transition.
  stepFunctionsTransitionSeconds: 0.05,
  // aws.amazon.com/blogs/compute/operating-lambda-performance-optimization-part-1/: Node.js cold starts
  // are typically under half a second for small bundles; warm invocations add tens of milliseconds.
  lambdaColdStartSeconds: 0.4,
  lambdaWarmStartSeconds: 0.05,
  // A regional AWS API call round trip inside AWS: a few hundred milliseconds at most.
  apiCallSeconds: 0.2,
  // docs.aws.amazon.com/Route53/latest/APIReference/API_GetChange.html: INSYNC once the change has
  // propagated to all Route 53 DNS servers, which "generally" takes within 60 seconds.
  route53InsyncSeconds: 60,
  // docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html: promotion takes
  // several minutes depending on the replica's size; five minutes is a planning figure.
  rdsPromoteSeconds: 300,
  // docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html: a cross-Region replica is
  // built from a snapshot copied across regions, which takes from minutes to hours with the data's
  // size; twenty minutes is a planning figure for a gateway's database of a few tens of GB.
  rdsReplicaCreateSeconds: 1200,
  // API_PromoteReadReplica.html: "Backup duration is a function of the amount of changes to the
  // database since the previous backup"; a replica that had no backups of its own gets its first,
  // whole, backup after promotion. Ten minutes, as rdsSnapshotSeconds; the instance takes writes.
  rdsPostPromotionBackupSeconds: 600,
  // aws.amazon.com/blogs/database/best-practices-for-amazon-rds-for-postgresql-cross-region-read-replicas/:
  // a cross-Region replica is a snapshot copied to its Region, then fed the WAL written since; its
  // lag when it becomes available is the time since the snapshot. AWS gives no replay rate: two
  // minutes to catch up (scenarios can set it).
  rdsReplicaCatchUpSeconds: 120,
  // docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RenameInstance.html: the old DNS name "is
  // immediately deleted"; the renamed instance is not available until its new name is effective,
  // "in about 10 minutes", and it reboots. Nothing waits for the renamed instance; when its old
  // identifier can be reused AWS does not say: two minutes.
  rdsRenameSeconds: 120,
  // USER_ModifyInstance.Settings.html: a security-group change "is applied asynchronously, as soon as
  // possible"; AWS gives no figure, so a minute (scenarios can set it).
  rdsSecurityGroupApplySeconds: 60,
  // API_RebootDBInstance.html: "a momentary outage"; its length "is a function of the specific
  // database engine's crash recovery process". A minute (scenarios can set it).
  rdsRebootSeconds: 60,
  // docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html:
  // managed failover/switchover typically completes in about a minute.
  auroraFailoverSeconds: 60,
  // aurora-global-database-disaster-recovery.html: "After Aurora promotes the new primary cluster, it
  // automatically rebuilds all additional secondary Region clusters ... The duration of the complete
  // rebuilding task can take a few minutes to several hours, depending on the size of the storage
  // volume and the distance between the Regions"; the old primary gets "a new storage volume" too once
  // its region is back. Thirty minutes is a planning figure (scenarios can set it).
  auroraSecondaryRebuildSeconds: 1800,
  // CloudNativePG gives no figure for a replica cluster's promotion: the operator reconciles the
  // patched spec, the designated primary runs pg_promote, and the readiness probe (10 s period,
  // https://cloudnative-pg.io/documentation/current/instance_manager/) reports it. Half a minute is a
  // planning figure (scenarios can set it).
  cnpgPromoteSeconds: 30,
  // A demotion "will ensure a clean shutdown of PostgreSQL and the archival of the WAL file
  // containing the shutdown checkpoint" before the token is written
  // (https://cloudnative-pg.io/documentation/current/replica_cluster/); the shutdown first asks a
  // CHECKPOINT and a smart shutdown of up to `smartShutdownTimeout` (180 s by default, instance_manager).
  // A minute is a planning figure for a gateway's database with few open connections.
  cnpgDemoteSeconds: 60,
  // A re-clone is a pg_basebackup of the whole database from the primary across regions: as long as
  // an RDS cross-region replica's first build (rdsReplicaCreateSeconds), a planning figure.
  cnpgRecloneSeconds: 1200,
  // AWS's product docs give no figure for a Global Datastore promotion, only that the datastore "moves
  // to a Modifying state and is unavailable until the promotion is complete"
  // (docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastores-Console.html); AWS's
  // disaster recovery workshop gives "RTO: 1 minute"
  // (disaster-recovery.workshop.aws/en/services/databases/elasticache/global-datastore.html).
  storeFailoverSeconds: 60,
  // AWS gives no figure for a member's resynchronization; its console shows a secondary as
  // "Associating" until it is "Associated" (Redis-Global-Datastores-Console.html), and "adding the
  // cluster as secondary wipes data" (Redis-Global-Datastores-Getting-Started.html), so a full sync.
  // Five minutes is a planning figure (scenarios can set it).
  storeResyncSeconds: 300,
  // A container image already cached on a warm node, readiness probe passing: about 30 seconds.
  podStartSeconds: 30,
  // docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html: new EC2 instances boot and join
  // the cluster in roughly one and a half minutes.
  nodeGroupScaleUpSeconds: 90,
  // docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html: changes
  // usually replicate to other regions within one second.
  dynamodbReplicationSeconds: 1,
  // api.slack.com/apis/rate-limits and observed round trips: a few hundred milliseconds.
  slackPostSeconds: 0.3,
  // A team's own code, not AWS's: no AWS figure. Two seconds for a function that flips a flag or warms
  // a cache, a minute for a Job's pod to start and run a smoke test; a scenario sets its own.
  customFunctionSeconds: 2,
  kubernetesJobSeconds: 60,
  // docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CreateSnapshot.html: the first snapshot copies
  // the whole volume, later ones only what changed; ten minutes is a planning figure for an
  // incremental snapshot of a 100 GiB instance.
  rdsSnapshotSeconds: 600,
  // docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html: a cross-Region copy "can
  // take hours" by size and Regions; thirty minutes is a planning figure for an incremental copy.
  rdsSnapshotCopySeconds: 1800,
  // docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RestoreFromSnapshot.html: a restore creates a
  // new instance, which takes as long as creating one: fifteen minutes is a planning figure.
  rdsRestoreSeconds: 900,
  // docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html: deletion takes minutes.
  rdsDeleteSeconds: 300,
};

export const LATENCY_KEYS = Object.keys(DEFAULT_LATENCY) as (keyof LatencyModel)[];

/** The default model with a scenario's overrides applied. */
export function latencyModel(overrides: Partial<LatencyModel> = {}): LatencyModel {
  return { ...DEFAULT_LATENCY, ...overrides };
}

/** A latency AWS gives as a range, or not at all: the span a scenario may choose from, and why. */
export interface LatencyRange {
  readonly key: keyof LatencyModel;
  readonly low: number;
  readonly high: number;
  readonly source: string;
  /**
   * The run whose duration it sets: `failover` (its RTO's sensitivity is printed by the bench) or
   * `failback` (a span scenarios may choose from; the failover's RTO does not depend on it).
   */
  readonly path: 'failover' | 'failback';
}

/**
 * The latencies on a failover's path that AWS does not pin down: the RTO's sensitivity to each is
 * printed by `npm run bench` (each at its low and high end, the others at their defaults), and a
 * scenario's `latency` may set any value in (or out of) the span.
 */
export const LATENCY_RANGES: readonly LatencyRange[] = [
  {
    key: 'route53AlarmDelaySeconds',
    low: 0,
    high: 240,
    source:
      'monitoring-health-checks.html: "several minutes might elapse" between a health check failing and its alarm\'s notification',
    path: 'failover',
  },
  {
    key: 'rdsPromoteSeconds',
    low: 120,
    high: 900,
    source:
      'USER_ReadRepl.Promote.html: "several minutes" by the replica\'s size and load, with a reboot; no bound given',
    path: 'failover',
  },
  {
    key: 'auroraFailoverSeconds',
    low: 60,
    high: 300,
    source:
      'aurora-global-database-disaster-recovery.html: a managed switchover or failover takes about a minute, a failover with data loss on the order of minutes',
    path: 'failover',
  },
  {
    key: 'cnpgPromoteSeconds',
    low: 10,
    high: 180,
    source:
      'replica_cluster.md: no figure; the operator reconciles the spec and the designated primary promotes, reported by a 10 s readiness probe',
    path: 'failover',
  },
  {
    key: 'cnpgDemoteSeconds',
    low: 15,
    high: 300,
    source:
      'instance_manager.md: a CHECKPOINT, a smart shutdown of up to smartShutdownTimeout (180 s), then the last WAL archived',
    path: 'failback',
  },
  {
    key: 'storeResyncSeconds',
    low: 60,
    high: 3600,
    source:
      'Redis-Global-Datastores-Console.html: a secondary is "Associating" until "Associated"; no figure, a full sync by the data\'s size',
    path: 'failback',
  },
  {
    key: 'storeFailoverSeconds',
    low: 60,
    high: 300,
    source:
      'Redis-Global-Datastores-Console.html: the datastore is "unavailable until the promotion is complete", no figure; AWS\'s DR workshop: "RTO: 1 minute"',
    path: 'failover',
  },
  {
    key: 'route53InsyncSeconds',
    low: 20,
    high: 120,
    source: 'API_GetChange.html: propagation to every Route 53 server "generally" within 60 seconds',
    path: 'failover',
  },
  {
    key: 'nodeGroupScaleUpSeconds',
    low: 60,
    high: 300,
    source:
      'managed-node-groups.html: instances boot and join in minutes, longer with large AMIs or scarce capacity',
    path: 'failover',
  },
  {
    key: 'podStartSeconds',
    low: 10,
    high: 120,
    source: 'no AWS figure: a cached image starts in seconds, a large one pulled from ECR in minutes',
    path: 'failover',
  },
  {
    key: 'rdsPostPromotionBackupSeconds',
    low: 0,
    high: 3600,
    source:
      'API_PromoteReadReplica.html: "Backup duration is a function of the amount of changes to the database since the previous backup"; the promoted instance takes writes meanwhile',
    path: 'failover',
  },
  {
    key: 'rdsReplicaCreateSeconds',
    low: 600,
    high: 14400,
    source:
      "USER_ReadRepl.XRgn.html: a cross-Region replica is built from a snapshot copied across Regions, minutes to hours with the data's size",
    path: 'failback',
  },
  {
    key: 'rdsReplicaCatchUpSeconds',
    low: 30,
    high: 1800,
    source:
      'no AWS figure: the new replica replays the WAL written since its snapshot, faster than the source writes',
    path: 'failback',
  },
  {
    key: 'auroraSecondaryRebuildSeconds',
    low: 300,
    high: 14400,
    source:
      'aurora-global-database-disaster-recovery.html: the rebuild of the other secondaries "can take a few minutes to several hours", by storage size and distance',
    path: 'failback',
  },
  {
    key: 'rdsRenameSeconds',
    low: 60,
    high: 600,
    source:
      'USER_RenameInstance.html: the new name is effective "in about 10 minutes" with a reboot; when the old identifier can be reused is not said',
    path: 'failback',
  },
];

/**
 * How long the application's database takes from the request until the target writes, and what it
 * is: a failover's promotion, or (`planned`) a failback's or switchover's switch of the writer.
 */
export function databasePromotion(
  database: { readonly engine: 'rds-read-replica' | 'aurora-global' | 'cloudnativepg' },
  latency: LatencyModel,
  planned: boolean,
): { readonly seconds: number; readonly label: string } {
  switch (database.engine) {
    case 'aurora-global':
      return {
        seconds: latency.auroraFailoverSeconds,
        label: planned
          ? 'Aurora global switchover until the target writes'
          : 'Aurora global failover until the target writes',
      };
    case 'cloudnativepg':
      return planned
        ? {
            seconds: latency.cnpgDemoteSeconds + latency.cnpgPromoteSeconds,
            label: "CloudNativePG demotion of the source, then the target's promotion with its token",
          }
        : {
            seconds: latency.cnpgPromoteSeconds,
            label: "CloudNativePG promotion of the target's replica cluster until it writes",
          };
    case 'rds-read-replica':
      return { seconds: latency.rdsPromoteSeconds, label: 'RDS promotion until the target writes' };
  }
}
