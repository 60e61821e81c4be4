import { z } from 'zod';
import { parseScheduleExpression, ScheduleExpressionError } from '../backup/scheduleExpression.ts';
import { unknownRegionProblem } from './regions.ts';

/**
 * The schema of a Lifeboat config file (version 1). One file describes one deployment: where the
 * control plane runs, how it talks to Slack, and every application it protects.
 * `loadConfig` is the only way in; it reports every problem with its path.
 */

export const REGION_PATTERN = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

const region = () =>
  z
    .string()
    .regex(REGION_PATTERN, 'expected an AWS region name such as "us-east-1"')
    .superRefine((value, ctx) => {
      // Shaped like a region but not one AWS has: a typo such as "eu-wset-1".
      const problem = REGION_PATTERN.test(value) ? unknownRegionProblem(value) : undefined;
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    });

const resourceName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,39}$/,
    'expected 1 to 40 lowercase letters, digits and hyphens, starting with a letter',
  );

const dnsName = z
  .string()
  .max(253, 'a DNS name has at most 253 characters')
  .regex(
    /^(?:\*\.)?(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?$/,
    'expected a DNS name such as "gateway.example.com"',
  );

/** EventBridge Scheduler accepts `rate(1 hour)`, `rate(5 minutes)` and six-field `cron(...)`. */
const scheduleExpression = z
  .string()
  .regex(
    /^(?:rate\((?:1 (?:minute|hour|day)|(?:[2-9]|[1-9]\d+) (?:minutes|hours|days))\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$/,
    'expected a schedule expression such as "rate(1 hour)", "rate(15 minutes)" or "cron(0 3 * * ? *)"',
  )
  .superRefine((expression, ctx) => {
    // The fields' values and wildcards, as Scheduler checks them when the stack creates the schedule.
    try {
      parseScheduleExpression(expression);
    } catch (error) {
      if (!(error instanceof ScheduleExpressionError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
    }
  });

/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const rdsIdentifier = z
  .string()
  .regex(
    /^[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,62}$/,
    'expected an RDS identifier: a letter, then up to 62 letters, digits or single hyphens',
  )
  .refine((s) => !s.endsWith('-'), 'an RDS identifier cannot end with a hyphen');

const kubernetesName = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    'expected a Kubernetes name: lowercase letters, digits and hyphens, at most 63 characters',
  );

const HealthCheckSchema = z
  .strictObject({
    /** Use a Route 53 health check that already exists instead of creating one. */
    existingHealthCheckId: z
      .string()
      .regex(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        'expected a health check id (a UUID)',
      )
      .optional(),
    endpoint: dnsName.optional(),
    path: z
      .string()
      .regex(/^\/[^\s]{0,254}$/, 'expected a path that starts with "/", such as "/health"')
      .optional(),
    port: z.int().min(1).max(65535).optional(),
    https: z.boolean().optional(),
    intervalSeconds: z
      .literal([10, 30], { error: 'Route 53 health checks run every 10 or 30 seconds' })
      .optional(),
    failureThreshold: z.int().min(1).max(10).optional(),
  })
  .superRefine((hc, ctx) => {
    const endpointFields = (
      ['endpoint', 'path', 'port', 'https', 'intervalSeconds', 'failureThreshold'] as const
    ).filter((key) => hc[key] !== undefined);
    if (hc.existingHealthCheckId !== undefined && endpointFields.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: [endpointFields[0] ?? 'endpoint'],
        message: `give either existingHealthCheckId or an endpoint, not both (remove ${endpointFields.join(', ')})`,
      });
    } else if (hc.existingHealthCheckId === undefined && hc.endpoint === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['endpoint'],
        message:
          'required: the DNS name Route 53 probes, or existingHealthCheckId for a check you already have',
      });
    }
  })
  .transform((hc): HealthCheckConfig => {
    if (hc.existingHealthCheckId !== undefined) {
      return { kind: 'existing', healthCheckId: hc.existingHealthCheckId };
    }
    // HTTP every 30 s unless asked: each option (HTTPS, the 10 s interval) adds $1 a month per check
    // (bench/cost/prices.ts), and detection rests on the probes, so they leave the RTO as it is
    // (`lifeboat plan` prints each choice's price, detection time and RTO).
    const https = hc.https ?? false;
    return {
      kind: 'endpoint',
      endpoint: hc.endpoint ?? '',
      path: hc.path ?? '/',
      port: hc.port ?? (https ? 443 : 80),
      https,
      intervalSeconds: hc.intervalSeconds ?? 30,
      failureThreshold: hc.failureThreshold ?? 3,
    };
  });

export type HealthCheckConfig =
  | { readonly kind: 'existing'; readonly healthCheckId: string }
  | {
      readonly kind: 'endpoint';
      readonly endpoint: string;
      readonly path: string;
      readonly port: number;
      readonly https: boolean;
      readonly intervalSeconds: 10 | 30;
      readonly failureThreshold: number;
    };

const DnsRecordSchema = z
  .strictObject({
    setIdentifier: z.string().min(1).max(128),
    /** An alias to a load balancer (or other alias target) in this region. */
    aliasTarget: z
      .strictObject({
        dnsName,
        hostedZoneId: z
          .string()
          .regex(/^Z[A-Z0-9]{1,31}$/, 'expected a hosted zone id such as "Z35SXDOTRQ7X7K"'),
      })
      .optional(),
    /** The record value, for a plain (non-alias) record: a CNAME target or an address. */
    value: z.string().min(1).max(4000).optional(),
  })
  .superRefine((record, ctx) => {
    if ((record.aliasTarget === undefined) === (record.value === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['aliasTarget'],
        message: 'give exactly one of aliasTarget (an alias record) or value (a plain record)',
      });
    }
  });

/**
 * Scheduled snapshots of the application's writer, copied to another region, and the restore test
 * that proves a copy can be restored. Snapshots and restored instances are named
 * `lifeboat-<application>-<yyyymmdd>-<hhmm>` (the schedule slot, UTC) and tagged `lifeboat:application`,
 * `lifeboat:kind` and `lifeboat:slot`; retention prunes only snapshots that carry Lifeboat's tag.
 */
const BackupSchema = z.strictObject({
  /**
   * When to snapshot, as an EventBridge Scheduler expression.
   * @default derived from the RPO target: every `rpoSeconds` rounded down to whole hours, at least
   * hourly and at most daily (see `backupSchedule` in `shared/backup/schedule.ts`)
   */
  schedule: scheduleExpression.optional(),
  /** Lifeboat's snapshots older than this are deleted, in both regions. */
  retentionDays: z.int().min(1).max(35).default(7),
  /** The region the snapshots are copied to; the backup and restore test run in its control plane. */
  copyToRegion: region(),
  /**
   * The KMS key, in `copyToRegion`, that encrypts the copies: a key ARN, a key id or `alias/<name>`.
   * An encrypted snapshot can only be copied to another region with a key of that region.
   */
  copyKmsKeyId: z
    .string()
    .regex(
      /^(?:arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key\/[0-9a-f-]{36}|alias\/[A-Za-z0-9/_-]{1,250})|[0-9a-f-]{36}|alias\/[A-Za-z0-9/_-]{1,250})$/,
      'expected a KMS key ARN, a key id or "alias/<name>" of a key in copyToRegion',
    ),
  /**
   * The restore test: the latest copy restored into a temporary instance in `copyToRegion`, checked,
   * timed against the RTO target and deleted.
   * @default no scheduled restore test (it can still be started on demand)
   */
  restoreTest: z
    .strictObject({
      /** @default "rate(7 days)" */
      schedule: scheduleExpression.default('rate(7 days)'),
      /** The DB subnet group, in `copyToRegion`, the temporary instance is placed in. */
      subnetGroupName: z
        .string()
        .regex(/^[A-Za-z0-9 ._-]{1,255}$/, 'expected a DB subnet group name')
        .refine((name) => name.toLowerCase() !== 'default', 'name a subnet group of your own, not "default"'),
      /**
       * The temporary instance's class.
       * @default "db.t4g.micro" for rds-read-replica, "db.t4g.medium" (Aurora's smallest) for aurora-global
       */
      instanceClass: z
        .string()
        .regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, 'expected a DB instance class such as "db.t4g.medium"')
        .optional(),
    })
    .optional(),
});

const securityGroupId = z
  .string()
  .regex(/^sg-[0-9a-f]{8,17}$/, 'expected a security group id such as "sg-0123456789abcdef0"');

/** The named points of the workflows where custom steps run (docs/custom-steps.md). */
export const CUSTOM_STEP_POINTS = [
  'failover.after-preflight',
  'failover.before-traffic',
  'failover.after-traffic',
  'failback.after-preflight',
  'failback.before-traffic',
  'failback.after-traffic',
  'switchover.after-preflight',
  'switchover.before-traffic',
  'switchover.after-traffic',
  'drill.readiness',
] as const;
export type CustomStepPoint = (typeof CUSTOM_STEP_POINTS)[number];

const lambdaArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/,
    'expected a Lambda function ARN, such as arn:aws:lambda:us-west-2:123456789012:function:warm-cache',
  );

const customStepCommon = {
  /** Unique in the application; names the step in the ledger, the timeline and Slack. */
  name: kubernetesName,
  at: z.enum(CUSTOM_STEP_POINTS, {
    error: `expected one of ${CUSTOM_STEP_POINTS.join(', ')}`,
  }),
  /** Further attempts after a failure or a timeout, each after `backoffSeconds`, doubled each time. */
  retries: z.int().min(0).max(5).default(2),
  backoffSeconds: z.int().min(1).max(300).default(5),
  /** `stop`: a failure ends the run there, changing nothing after; `continue`: recorded as a warning. */
  onFailure: z.enum(['stop', 'continue'], { error: 'expected "stop" or "continue"' }),
};

const CustomStepSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      ...customStepCommon,
      kind: z.literal('lambda'),
      /**
       * The function to invoke: one ARN, or one per region, of which the run's target region's is
       * invoked (a function in the region that failed may not answer).
       */
      functionArn: z.union([lambdaArn, z.record(region(), lambdaArn)]),
      /** How long one attempt may take; at most 840 s, within Lambda's 15 minutes for Lifeboat's own call. */
      timeoutSeconds: z.int().min(1).max(840).default(60),
    }),
    z.strictObject({
      ...customStepCommon,
      kind: z.literal('kubernetes-job'),
      /** Whose cluster runs the Job: the run's target or source region, or a region by name. */
      region: z
        .string()
        .regex(/^(target|source|[a-z]{2}(-[a-z]+)+-\d)$/, 'expected "target", "source" or a region name')
        .default('target'),
      namespace: kubernetesName,
      /** A Job manifest (batch/v1, JSON) to read, relative to the config file; or the Job inline as `job`. */
      manifest: z.string().min(1).optional(),
      job: z.record(z.string(), z.unknown()).optional(),
      /** How long the Job may take before Lifeboat deletes it and counts the attempt failed (6 h at most). */
      timeoutSeconds: z.int().min(10).max(21600).default(600),
    }),
  ],
  { error: 'expected kind "lambda" or "kubernetes-job"' },
);

const ApplicationSchema = z.strictObject({
  name: resourceName,
  /** Regions in order of preference: the first is the primary, the rest are standbys in failover order. */
  regions: z.array(region()).min(2, 'an application needs a primary and at least one standby region'),
  dns: z.strictObject({
    hostedZoneId: z
      .string()
      .regex(/^Z[A-Z0-9]{1,31}$/, 'expected a hosted zone id such as "Z0123456789ABCDEFGHIJ"'),
    recordName: dnsName,
    recordType: z.enum(['A', 'AAAA', 'CNAME']),
    /** How long clients cache an answer; for alias records, the alias target's TTL (60 s for load balancers). */
    ttlSeconds: z.int().min(0).max(172800).default(60),
    records: z.record(region(), DnsRecordSchema),
    failback: z.strictObject({
      /** Percent of traffic on the returning region after each step. */
      steps: z.array(z.int().min(1).max(100)).min(1),
      bakeSeconds: z.int().min(0).max(86400).default(300),
      /** The most 5xx responses (percent of requests) the returning region may serve during a bake. */
      maxErrorRatePercent: z.number().min(0).max(100),
      /** The most p99 latency (target response time, ms) the returning region may show during a bake. */
      maxLatencyMs: z.number().positive(),
      /**
       * Each region's Application Load Balancer, by the name CloudWatch uses for it
       * (`app/<name>/<id>`, the end of its ARN): the guard reads its 5xx count, request count and
       * p99 target response time.
       */
      loadBalancers: z.record(
        region(),
        z
          .string()
          .regex(
            /^app\/[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?\/[0-9a-f]{16}$/,
            'expected an Application Load Balancer name as CloudWatch names it, such as "app/ai-gateway/50dc6c495c0c9188"',
          ),
      ),
      /** How long the old primary must stay healthy after a failover before failback is offered on Slack. */
      offerAfterHealthySeconds: z.int().min(0).max(604800).default(1800),
      /**
       * After an offer closes unanswered (it stays open `slack.approvalTimeoutSeconds`) or is rejected,
       * how long before the next offer is posted, at the offer's next scheduled run (every 5 minutes),
       * while the old primary stays healthy. Offers are posted at most every 15 minutes, and at most
       * 32 per healthy period.
       */
      reofferAfterSeconds: z.int().min(0).max(604800).default(1800),
    }),
  }),
  healthChecks: z.record(region(), HealthCheckSchema),
  database: z.discriminatedUnion(
    'engine',
    [
      z.strictObject({
        engine: z.literal('rds-read-replica'),
        instances: z.record(region(), rdsIdentifier),
        /**
         * How a replica is built in a region when a failback (or the standby's rebuild after one) needs
         * one: the DB subnet group and security groups there, and the KMS key of that region for an
         * encrypted source (RDS requires one for an encrypted cross-region replica).
         */
        replicas: z
          .record(
            region(),
            z.strictObject({
              dbSubnetGroupName: z
                .string()
                .regex(/^[A-Za-z0-9 ._-]{1,255}$/, 'expected a DB subnet group name'),
              vpcSecurityGroupIds: z.array(securityGroupId).optional(),
              kmsKeyId: z
                .string()
                .regex(
                  /^(arn:aws[a-z-]*:kms:\S+|alias\/\S+|[0-9a-f-]{36})$/,
                  'expected a KMS key ARN, alias or id',
                )
                .optional(),
            }),
          )
          .optional(),
        /**
         * Per region, a security group with no inbound rules in the instance's VPC: when a failover has
         * promoted another region and this region's old writer comes back, Lifeboat moves the instance
         * into it and reboots it, so nothing keeps writing to an abandoned database (docs/fencing.md).
         * Without it the returning writer accepts writes until the failback retires it.
         */
        quarantineSecurityGroupIds: z.record(region(), securityGroupId).optional(),
      }),
      z.strictObject({
        engine: z.literal('aurora-global'),
        globalClusterIdentifier: rdsIdentifier,
        clusters: z.record(region(), rdsIdentifier),
      }),
      z.strictObject({
        /**
         * PostgreSQL run by CloudNativePG in each region's EKS cluster (`workloads.<region>.clusterName`),
         * one `Cluster` (`postgresql.cnpg.io/v1`) per region in a distributed topology: one primary, the
         * others replica clusters (docs/cloudnativepg.md).
         */
        engine: z.literal('cloudnativepg'),
        /** Each region's `Cluster`: its namespace and its name, which is its name in the topology. */
        clusters: z.record(
          region(),
          z.strictObject({
            namespace: kubernetesName,
            name: kubernetesName,
          }),
        ),
        /**
         * The replica clusters' lag, in seconds, as the team publishes it to CloudWatch from
         * CloudNativePG's `cnpg_pg_replication_lag` (the Cluster's status has no lag), with its query
         * overridden so that it grows while nothing arrives (docs/cloudnativepg.md: the default reads
         * 0 once the replica has replayed what it received, which a broken link hides). Lifeboat reads
         * it in each replica's region, with the dimensions `Namespace` and `Cluster` (the Cluster's
         * namespace and name).
         */
        lagMetric: z
          .strictObject({
            namespace: z
              .string()
              .regex(/^[^:][^:]{0,254}$/, 'expected a CloudWatch namespace, such as "CNPG"'),
            metricName: z
              .string()
              .regex(/^[\x20-\x7e]{1,255}$/, 'expected a CloudWatch metric name')
              .default('cnpg_pg_replication_lag'),
          })
          .default({ namespace: 'CNPG', metricName: 'cnpg_pg_replication_lag' }),
      }),
    ],
    { error: 'expected engine "rds-read-replica", "aurora-global" or "cloudnativepg"' },
  ),
  /**
   * Stateful components besides the database, such as the Redis or Valkey beside it (docs/stores.md).
   * A failover promotes each with the database, in parallel; the lag gate holds the worst of their
   * lags to `automation.maxReplicaLagSeconds`, and the run's RPO is the worst of them. A failback
   * switches each back after the database, once it has caught up.
   */
  stores: z
    .array(
      z.discriminatedUnion(
        'engine',
        [
          z.strictObject({
            /** The store's name in messages and records: `budgets`, `rate-limits`. */
            name: resourceName,
            engine: z.literal('elasticache-global'),
            /**
             * The Global Datastore's id as AWS shows it, with the prefix AWS gives it (`ldgnf-budgets`).
             * A Global Datastore holds a primary and at most two secondary regions.
             */
            globalReplicationGroupId: z
              .string()
              .regex(
                /^[a-z]{5}-[a-z0-9-]{1,40}$/,
                'expected a Global Datastore id with its AWS prefix, such as "ldgnf-budgets"',
              ),
            /** Each region's member replication group (Redis OSS or Valkey, cluster mode either way). */
            replicationGroups: z.record(
              region(),
              z
                .string()
                .regex(
                  /^[a-z][a-z0-9-]{0,39}$/,
                  'expected a replication group id: 1 to 40 lowercase letters, digits and hyphens, starting with a letter',
                ),
            ),
          }),
        ],
        { error: 'expected engine "elasticache-global"' },
      ),
    )
    .default([]),
  workloads: z.record(
    region(),
    z.strictObject({
      clusterName: z
        .string()
        .regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, 'expected an EKS cluster name (letters, digits, - and _)'),
      nodeGroups: z
        .array(
          z.strictObject({
            name: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$/, 'expected an EKS node group name'),
            activeSize: z.int().min(0),
            standbySize: z.int().min(0),
            /** The node group's maximum size; defaults to its active size. */
            maxSize: z.int().min(1).optional(),
          }),
        )
        .default([]),
      /**
       * The workloads that serve the application: Deployments by default, or any workload with a
       * `/scale` subresource (docs/autoscaling.md).
       */
      deployments: z
        .array(
          z.strictObject({
            namespace: kubernetesName,
            name: kubernetesName,
            /**
             * The workload's kind. `Deployment` (the default) and `StatefulSet` are known; another kind
             * with a `/scale` subresource (an Argo Rollout, say) names its `apiVersion` and `resource`.
             */
            kind: z
              .string()
              .regex(
                /^[A-Z][A-Za-z0-9]{0,62}$/,
                'expected a Kubernetes kind, such as Deployment or StatefulSet',
              )
              .default('Deployment'),
            /** `group/version` of a kind that is not built in, such as `argoproj.io/v1alpha1`. */
            apiVersion: z
              .string()
              .regex(
                /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/v[0-9]+((alpha|beta)[0-9]+)?$/,
                'expected group/version, such as argoproj.io/v1alpha1',
              )
              .optional(),
            /** The plural resource name in the API path of a kind that is not built in, such as `rollouts`. */
            resource: z
              .string()
              .regex(/^[a-z][a-z0-9-]{0,62}$/, 'expected a plural resource name, such as rollouts')
              .optional(),
            /**
             * The autoscaler that owns the workload's replicas. Lifeboat then moves the autoscaler's
             * minimum (an HPA's `minReplicas`, a KEDA ScaledObject's `minReplicaCount`) between the
             * standby and active sizes, which the autoscaler keeps, instead of a replica count it would undo.
             */
            autoscaler: z
              .discriminatedUnion(
                'kind',
                [
                  z.strictObject({ kind: z.literal('HorizontalPodAutoscaler'), name: kubernetesName }),
                  z.strictObject({ kind: z.literal('ScaledObject'), name: kubernetesName }),
                ],
                { error: 'expected kind "HorizontalPodAutoscaler" or "ScaledObject"' },
              )
              .optional(),
            activeReplicas: z.int().min(1),
            standbyReplicas: z.int().min(0),
            /** Ready replicas needed before traffic may go to the region; defaults to activeReplicas. */
            minReadyReplicas: z.int().min(1).optional(),
          }),
        )
        .min(1, 'list at least one deployment that serves the application'),
    }),
  ),
  /**
   * How an outage is confirmed. The signals are the Route 53 health-check alarm (in us-east-1) and a
   * probe of the region from each other region of the application (a high-resolution metric and a
   * regional alarm), so an outage of us-east-1 is still seen; the trigger acts when `quorum` of the
   * signals it can read are in ALARM.
   */
  detection: z
    .strictObject({
      quorum: z.int().min(1).default(2),
      probeIntervalSeconds: z
        .literal([10, 30, 60], { error: 'probes run every 10, 30 or 60 seconds' })
        .default(10),
      probeFailureThreshold: z.int().min(1).max(10).default(3),
    })
    .prefault({}),
  targets: z.strictObject({
    rtoSeconds: z.int().positive(),
    rpoSeconds: z.int().min(0),
  }),
  automation: z.strictObject({
    automaticFailover: z.boolean().default(true),
    /** How long the primary must stay down before an automatic failover acts. */
    outageConfirmationSeconds: z.int().min(0).max(3600).default(60),
    cooldownMinutes: z.int().min(0).max(10080).default(60),
    /** The most replica lag an automatic failover may promote past without a human. */
    maxReplicaLagSeconds: z.number().min(0),
    /** Scale the standby's workloads up on the first detection signal, before the outage is confirmed. */
    preScaleOnFirstSignal: z.boolean().default(false),
  }),
  backup: BackupSchema.optional(),
  /**
   * An application whose regions all serve at once (active-active): each region's Route 53 weight
   * when every region serves, and how a region is drained out of the answers and brought back by
   * the `drain` workflow (docs/drain.md). Without it the application is active-passive: its first
   * region serves alone and the others stand by.
   */
  activeActive: z
    .strictObject({
      /**
       * Each region's weight when every region serves (Route 53 weights, 0 to 255); a region's share
       * of the traffic is its weight over the sum. At least two regions above 0.
       */
      weights: z.record(region(), z.int().min(0).max(255)),
      /**
       * Percent of its serving weight the drained region keeps after each step of a drain,
       * decreasing to 0; an undrain climbs the same steps back to 100. Each step is baked
       * `dns.failback.bakeSeconds` and guarded by `dns.failback`'s error-rate and latency bounds.
       */
      drainSteps: z.array(z.int().min(0).max(99)).min(1).default([50, 0]),
      /**
       * Before the first step, scale the regions that take the drained region's share in proportion
       * to their new share (each workload's `activeReplicas` and each node group's `activeSize`
       * being what the region runs for its serving share), and wait until the replicas are ready.
       * `false`: their autoscalers absorb the load, and only the guard watches it.
       */
      scaleRemaining: z.boolean().default(true),
      /** `slack`: nothing moves until an approver presses Approve; `none`: the start is the decision. */
      approval: z.enum(['slack', 'none'], { error: 'expected "slack" or "none"' }).default('slack'),
      /**
       * When the drained region holds the database writer: `false` leaves it there (the other
       * regions write to it across regions); `true` moves it, once the region's traffic is out, to
       * the first remaining region in `regions` order with an Aurora global switchover (no data
       * loss; the global writer endpoint follows it). Aurora global databases only.
       */
      moveWriter: z.boolean().default(false),
    })
    .optional(),
  /**
   * The planned switchover (`lifeboat-switchover`, docs/switchover.md): the writer and the traffic
   * moved to a standby on purpose, in the failback's guarded steps, with no data loss.
   */
  switchover: z
    .strictObject({
      /** `slack`: nothing moves until an approver presses Approve; `none`: the start is the decision. */
      approval: z.enum(['slack', 'none'], { error: 'expected "slack" or "none"' }).default('slack'),
    })
    .optional(),
  /**
   * The team's own steps at named points of the failover, the failback and the readiness drill: a
   * Lambda function to invoke or a Kubernetes Job to run, each timed out, retried, recorded, and
   * either stopping the run or recorded as a warning when it fails (docs/custom-steps.md).
   */
  customSteps: z.array(CustomStepSchema).default([]),
  drills: z
    .strictObject({
      readinessSchedule: scheduleExpression,
      /** The application a game day fails over for real: a drill copy of this one. */
      gameDayApplication: resourceName.optional(),
    })
    .optional(),
});

export const LifeboatConfigSchema = z.strictObject({
  /** Lets editors find a JSON schema; ignored by Lifeboat. */
  $schema: z.string().optional(),
  version: z.literal(1, { error: 'expected 1, the only config version there is' }),
  /** The AWS account to deploy to; defaults to the CLI's current account. */
  account: z
    .string()
    .regex(/^\d{12}$/, 'expected a 12-digit AWS account id')
    .optional(),
  /** Every region that runs a control plane; each application's regions must be among them. */
  controlPlaneRegions: z.array(region()).min(1),
  ledger: z
    .strictObject({
      tableName: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name')
        .default('lifeboat-ledger'),
    })
    .prefault({}),
  logRetentionDays: z
    .literal(LOG_RETENTION_DAYS, {
      error: `expected one of the retention periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(30),
  /**
   * `one` (the default): a single CloudWatch dashboard, in `dashboardRegion` (the first
   * control-plane region that is no application's primary), reading every region's metrics.
   * `every-region`: one in each control-plane region, so that one stays readable while any region
   * is down, at $3 a month each. The alarms on Lifeboat itself are in every region either way.
   */
  dashboards: z.enum(['one', 'every-region'], { error: 'expected "one" or "every-region"' }).default('one'),
  /**
   * How each record's fence is voted (docs/fencing.md). `one` (the default): one vote per record, in
   * its fence region (`fenceVoteRegions`: never the record's own region, and never us-east-1 or the
   * application's primary while another control-plane region remains), so any surviving control
   * plane fences and unfences any record while us-east-1 and Route 53's API are down, for two health
   * checks a record. `majority`: a vote in every control-plane region and a majority decides, so
   * fences move while any one region is down, for one check more per vote and a copy of the
   * endpoint check.
   */
  fenceVotes: z.enum(['one', 'majority'], { error: 'expected "one" or "majority"' }).default('one'),
  tracing: z
    .strictObject({
      /**
       * Records each AWS call as an X-Ray subsegment. Off by default: Lambda's active tracing
       * records every invocation without it, and the X-Ray SDK it loads adds about 100 ms to each
       * function's cold start (see shared/runtime/tracing.ts).
       */
      awsCalls: z.boolean().default(false),
    })
    .prefault({}),
  /**
   * The paging hook. When set, Lifeboat puts an event (`source` "lifeboat", `detail-type` "Lifeboat
   * Incident Update") on this event bus, in the region the run runs in, as a failover starts, restores
   * the service, ends or is stopped, and as a failback ends: a team routes them to its pager with an
   * EventBridge rule. The bus must exist in every control-plane region ("default" always does).
   */
  paging: z
    .strictObject({
      eventBusName: z
        .string()
        .regex(/^[/.\-_A-Za-z0-9]{1,256}$/, 'expected an EventBridge event bus name such as "default"'),
    })
    .optional(),
  slack: z.strictObject({
    channelId: z.string().regex(/^[CG][A-Z0-9]{8,}$/, 'expected a Slack channel id such as "C0123456789"'),
    approvers: z
      .array(z.string().regex(/^[UW][A-Z0-9]{8,}$/, 'expected a Slack user id such as "U0123456789"'))
      .min(1, 'name at least one approver'),
    botTokenSecretName: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'expected a Secrets Manager secret name'),
    signingSecretSecretName: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'expected a Secrets Manager secret name'),
    /** How long a workflow waits for Approve or Reject before it ends as timed out, changing nothing. */
    approvalTimeoutSeconds: z.int().min(60).max(86400).default(3600),
    /**
     * What a workflow does when it cannot post its approval request: `wait` retries every minute
     * for up to an hour, `fail` ends the run at once. Either way nothing moves and the ledger says why.
     */
    whenSlackIsDown: z.enum(['wait', 'fail']).default('wait'),
  }),
  applications: z.array(ApplicationSchema).min(1, 'list at least one application'),
});

export type LifeboatConfig = z.output<typeof LifeboatConfigSchema>;
export type ApplicationConfig = LifeboatConfig['applications'][number];
export type DatabaseConfig = ApplicationConfig['database'];
/** A stateful component besides the database (`stores` in the config). */
export type StoreConfig = ApplicationConfig['stores'][number];
export type WorkloadConfig = ApplicationConfig['workloads'][string];
/** One scaled workload of a region (a Deployment, a StatefulSet, ...), with its autoscaler if it has one. */
export type ScaledWorkloadConfig = WorkloadConfig['deployments'][number];
export type AutoscalerConfig = NonNullable<ScaledWorkloadConfig['autoscaler']>;
export type CustomStepConfig = ApplicationConfig['customSteps'][number];
export type ActiveActiveConfig = NonNullable<ApplicationConfig['activeActive']>;
export type DnsConfig = ApplicationConfig['dns'];
export type BackupConfig = NonNullable<ApplicationConfig['backup']>;
