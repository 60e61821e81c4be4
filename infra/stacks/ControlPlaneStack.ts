import {
  ArnFormat,
  CrossStackReferences,
  Duration,
  ReferenceStrength,
  RemovalPolicy,
  Stack,
  Validations,
  type StackProps,
} from 'aws-cdk-lib';
import { CfnOutput } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus, Match, Rule, Schedule, type IRuleTarget } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget, LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal, type IPrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FunctionUrlAuthType, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct, IConstruct } from 'constructs';
import { FENCE_METRIC, FENCE_NAMESPACE, fenceVoteRegions } from '../../shared/aws/CloudWatchFence.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import {
  ALARM_PREFIX,
  detectionSignals,
  fenceAlarmName,
  EVENT_BUS_NAME,
  LEDGER_KEY_ALIAS,
  probeAlarmName,
  stateMachineName,
  kubernetesRoleName,
  dashboardRegions,
} from '../../shared/config/naming.ts';
import { PROBE_METRIC, PROBE_NAMESPACE } from '../../shared/detection/probeRound.ts';
import { LEDGER_SCHEMA } from '../../shared/ledger/schema.ts';
import { preScaledBy } from '../../shared/trigger/preScale.ts';
import { STEP_FUNCTION_NAMES, type StepFunctionName } from '../../shared/runtime/workflowSteps.ts';
import { placeholderOf } from '../../shared/statemachines/placeholders.ts';
import { BackupWorkflows, scheduledWorkflowsIn } from '../constructs/BackupWorkflows.ts';
import { LifeboatDashboard } from '../constructs/LifeboatDashboard.ts';
import { acknowledgeUnscopedActions, flattenIntrinsics } from '../constructs/nag.ts';
import { storeStatements } from '../constructs/storeGrants.ts';
import { LifeboatFunction } from '../constructs/LifeboatFunction.ts';
import { retentionDays } from '../constructs/retention.ts';
import { Workflow } from '../constructs/Workflow.ts';

export interface ControlPlaneStackProps extends StackProps {
  readonly config: LifeboatConfig;
  /** The ledger's key in this region (from this region's state stack). */
  readonly ledgerKey: IKey;
}

/** The EventBridge pattern of the alarm state changes that the detection stack forwards. */
export const DETECTION_EVENT_PATTERN = {
  source: ['aws.cloudwatch'],
  detailType: ['CloudWatch Alarm State Change'],
  detail: { alarmName: [{ prefix: ALARM_PREFIX }] },
};

export { fenceAlarmName } from '../../shared/config/naming.ts';

/** The fence alarm's period: the shortest a Route 53 CLOUDWATCH_METRIC health check accepts. */
export const FENCE_ALARM_PERIOD_SECONDS = 60;

/** What each step function does, as the Lambda console shows it. */
const STEP_DESCRIPTIONS: Readonly<Record<StepFunctionName, string>> = {
  'lifeboat-failover-input':
    "Failover and failback: checks a run's input against the config and records a rejected one",
  'lifeboat-lock': "Failover and failback: take, confirm and release an application's lock in the ledger",
  'lifeboat-preflight': 'Failover and failback: preflight checks and the decision',
  'lifeboat-database':
    "Failover: promotes the target database. Failback: prepares a caught-up replica, switches the writer back, rebuilds the standby. Both: make the other regions' databases follow the new writer",
  'lifeboat-workloads':
    'Scales node groups and deployments: the target up, and after a failback the old standby down',
  'lifeboat-traffic':
    'Fences and unfences records, moves DNS weights (at once, or step by step with the guard) and verifies',
  'lifeboat-ledger': 'Records each failover and failback run in the ledger',
  'lifeboat-notify': 'Tells the team on Slack how a run ended',
  'lifeboat-approval':
    'Asks for approval on Slack and waits on the task token; closes approvals and claims offers',
  'lifeboat-custom':
    "Runs the team's custom steps at the workflows' named points: invokes their Lambda functions, runs their Kubernetes Jobs",
};

/** How often the failback offer looks for an old primary that has been healthy long enough. */
export const OFFER_SCHEDULE = Duration.minutes(5);

/**
 * Functions that wait on other regions (the other replicas' locks, alarm reads, probes, Kubernetes,
 * Route 53's one-at-a-time API) get longer than the default: a region that accepts connections and
 * never answers costs each call its deadline on every SDK attempt.
 */
const LONG_TIMEOUT: ReadonlySet<string> = new Set([
  'lifeboat-lock',
  'lifeboat-preflight',
  'lifeboat-workloads',
  'lifeboat-traffic',
  'lifeboat-trigger',
  'lifeboat-offer',
  'lifeboat-evacuation',
  // FollowWriter reads (and renames, creates in) each other region in turn, one of which may not answer.
  'lifeboat-database',
]);

/**
 * The custom-step function waits for a team's function to answer: the longest configured Lambda
 * step's timeout and half a minute for its own work, at least a minute, at most Lambda's 15 minutes
 * (a step's timeout is at most 840 s).
 */
function customStepsTimeout(config: LifeboatConfig): Duration {
  const longest = Math.max(
    0,
    ...config.applications.flatMap((app) =>
      app.customSteps.flatMap((s) => (s.kind === 'lambda' ? [s.timeoutSeconds] : [])),
    ),
  );
  return Duration.seconds(Math.min(900, Math.max(60, longest + 30)));
}

/** Slack gives its request three seconds; a callback still running long after that has lost its way. */
const CALLBACK_TIMEOUT = Duration.seconds(10);

/** The ledger's DynamoDB actions: reads need the key to decrypt, writes to encrypt too. */
type LedgerAction = 'GetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem';

/**
 * Route 53's form of a record name in the `ChangeResourceRecordSetsNormalizedRecordNames` condition:
 * lower case, no trailing dot, anything but letters, digits, `-`, `_` and `.` as a `\ooo` octal escape.
 */
export function normalizedRecordName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/[^a-z0-9\-_.]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * Acknowledges the one AwsSolutions-IAM5 finding for `arn` (an ARN that ends in a wildcard because
 * the resource's full name is not known at synth) on `principal`, with the reason.
 */
function acknowledgeWildcardArn(principal: IConstruct, arn: string, reason: string): void {
  const resolved = flattenIntrinsics(Stack.of(principal).resolve(arn));
  Validations.of(principal).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resolved}]`, reason });
}

/**
 * The stateless control plane in one region: the `lifeboat` event bus that receives detection
 * events, the rules on it, the functions and the workflows. It runs in every region a workflow may
 * move traffic to, so that it does not fail with the region it is rescuing.
 *
 * Each function's role allows the calls its steps make and no others, on the resources the config
 * names in this region (a workflow acts on the region it runs in). Kubernetes access is not IAM:
 * the workloads function's role (named for its region) gets an EKS access entry on every cluster
 * that lets it scale the applications' deployments (`ClusterAccessStack`).
 */
/**
 * The functions that reach an application's CloudNativePG Clusters, and the fixed role names their
 * access entries name: the database function changes them, the offer fences a returning old primary,
 * the preflight and the traffic function read them.
 */
const CNPG_ROLES: Readonly<Record<string, 'database' | 'preflight' | 'traffic' | 'offer'>> = {
  'lifeboat-database': 'database',
  'lifeboat-preflight': 'preflight',
  'lifeboat-traffic': 'traffic',
  'lifeboat-offer': 'offer',
};

export class ControlPlaneStack extends Stack {
  public readonly eventBus: EventBus;
  public readonly detectionRule: Rule;
  /** Every detection event this region received, for audit and for replaying an incident. */
  public readonly detectionLog: LogGroup;
  public readonly ledgerTableName: string;
  public readonly ledgerTableArn: string;
  public readonly ledgerKey: IKey;
  /** The failover's and failback's step functions, by function name (`lifeboat-lock`, ...). */
  public readonly failoverFunctions: Readonly<Record<StepFunctionName, LifeboatFunction>>;
  public readonly failover: Workflow;
  public readonly failback: Workflow;
  /** The planned switchover: the failback's definition, deployed under its own name (docs/switchover.md). */
  public readonly switchover: Workflow;
  /** The drain (and undrain) of an active-active application's region, where the config has one. */
  public readonly drain: Workflow | undefined;
  /** A region evacuation's function, and its workflow: a failover of every application the region serves. */
  public readonly evacuationFunction: LifeboatFunction;
  public readonly evacuation: Workflow;
  /** Slack's interactivity endpoint: verifies each request's signature, counts a decision once. */
  public readonly slackCallback: LifeboatFunction;
  /** The Function URL Slack's app posts button presses to (no IAM auth: the signature is the check). */
  public readonly slackCallbackUrl: FunctionUrl;
  /** Offers failback on Slack once the old primary has been healthy long enough. */
  public readonly offer: LifeboatFunction;
  /** Records a run stopped, timed out or failed past its own error handling, and cuts its lock's lease. */
  public readonly runEnded: LifeboatFunction;
  /** The scheduled backup, restore-test and readiness-drill workflows this region runs. */
  public readonly backups: BackupWorkflows;
  /** This region's dashboard and the alarms on Lifeboat itself. */
  public readonly dashboard: LifeboatDashboard;
  /** Starts the failover when the detection alarms of the serving region reach their quorum. */
  public readonly trigger: LifeboatFunction;
  /** Probes the other regions of this region's applications, once a minute. */
  public readonly probe: LifeboatFunction;
  /** This region's probe alarms, one per application region it probes. */
  public readonly probeAlarms: readonly Alarm[];
  /** This region's fence alarms, one per application region; they gate the records' health checks. */
  public readonly fenceAlarms: readonly Alarm[];
  /** Forwards this region's own alarm state changes from the default bus to the lifeboat bus. */
  public readonly regionalDetectionRule: Rule;

  private readonly config: LifeboatConfig;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    // The ledger key's ARN comes from this region's state stack, which is retained: a strong
    // reference keeps the key from being removed while a control plane uses it.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    const { config } = props;
    this.config = config;
    this.ledgerKey = props.ledgerKey;
    this.ledgerTableName = config.ledger.tableName;
    this.ledgerTableArn = this.formatArn({
      service: 'dynamodb',
      resource: 'table',
      resourceName: this.ledgerTableName,
    });
    const logRetention = retentionDays(config.logRetentionDays);

    this.eventBus = new EventBus(this, 'Bus', {
      eventBusName: EVENT_BUS_NAME,
      description:
        'Receives Lifeboat detection events forwarded from the detection stack and regional probes',
    });

    this.detectionLog = new LogGroup(this, 'DetectionEvents', {
      logGroupName: '/lifeboat/detection-events',
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A native resource policy (not the custom resource the Logs target would add) lets EventBridge write.
    this.detectionLog.addToResourcePolicy(
      new PolicyStatement({
        principals: [
          new ServicePrincipal('events.amazonaws.com'),
          new ServicePrincipal('delivery.logs.amazonaws.com'),
        ],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.detectionLog.logGroupArn],
      }),
    );
    const logTarget: IRuleTarget = {
      bind: () => ({
        arn: this.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.detectionLog.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      }),
    };

    this.detectionRule = new Rule(this, 'DetectionRule', {
      eventBus: this.eventBus,
      description: 'Alarm state changes of Lifeboat health checks and probes',
      eventPattern: DETECTION_EVENT_PATTERN,
      targets: [logTarget],
    });

    const names = STEP_FUNCTION_NAMES;
    this.failoverFunctions = Object.fromEntries(
      names.map((name) => [
        name,
        this.lifeboatFunction(name, STEP_DESCRIPTIONS[name], logRetention, {
          ...(this.ledgerActions(name).length > 0 ? { LIFEBOAT_TABLE_NAME: this.ledgerTableName } : {}),
        }),
      ]),
    ) as Record<StepFunctionName, LifeboatFunction>;
    for (const name of names) this.grantFailoverFunction(name, this.failoverFunctions[name]);

    const substitutions = Object.fromEntries(
      names.map((name) => [placeholderOf(name), this.failoverFunctions[name].function.functionArn]),
    );
    // Each timeout covers a person's wait (up to slack.approvalTimeoutSeconds) on top of the work,
    // so that a run waiting on Slack ends by its own approval timeout, never by the state machine's.
    const approvalWait = Duration.seconds(config.slack.approvalTimeoutSeconds);
    this.failover = new Workflow(this, 'Failover', {
      name: 'failover',
      substitutions,
      functions: names.map((name) => this.failoverFunctions[name].function),
      logRetention,
      // A day for the work (a promotion, Route 53's API retried until it answers), plus the approval
      // that a lagging replica or a forced target asks for.
      timeout: approvalWait.plus(Duration.hours(24)),
    });
    this.failback = new Workflow(this, 'Failback', {
      name: 'failback',
      substitutions,
      functions: names.map((name) => this.failoverFunctions[name].function),
      logRetention,
      // The wait for Slack and for the approval, a replica to build, the steps, the standby's rebuild.
      timeout: approvalWait.plus(Duration.hours(12)),
    });
    // The failback's definition again, as `lifeboat-switchover` (SHARED_DEFINITIONS): each run knows
    // which it is from the state machine's name, and runs on the same functions and grants (the
    // failback's reach every region of the applications here, a switchover's source and target).
    this.switchover = new Workflow(this, 'Switchover', {
      name: 'switchover',
      substitutions,
      functions: names.map((name) => this.failoverFunctions[name].function),
      logRetention,
      timeout: approvalWait.plus(Duration.hours(12)),
    });
    // The same step functions run the drain's steps (shared/drain/DrainSteps.ts), with the grants
    // they already have: the records' weights, every region's workloads and load balancer metrics.
    // A drain runs no custom step.
    const drainSteps = names.filter((name) => name !== 'lifeboat-custom');
    // Where an active-active application has a region: the drain runs in one of its own regions.
    this.drain = this.applicationsHere().some((a) => a.activeActive !== undefined)
      ? new Workflow(this, 'Drain', {
          name: 'drain',
          substitutions: Object.fromEntries(
            drainSteps.map((name) => [
              placeholderOf(name),
              this.failoverFunctions[name].function.functionArn,
            ]),
          ),
          functions: drainSteps.map((name) => this.failoverFunctions[name].function),
          logRetention,
          // The wait for the approval, up to 15 minutes of capacity, then each step's change and bake.
          timeout: approvalWait.plus(Duration.hours(12)),
        })
      : undefined;

    this.evacuationFunction = this.lifeboatFunction(
      'lifeboat-evacuation',
      'Region evacuation: starts and follows a failover of every application a failing region serves',
      logRetention,
      {
        LIFEBOAT_TABLE_NAME: this.ledgerTableName,
        LIFEBOAT_ACCOUNT: this.account,
        LIFEBOAT_PARTITION: this.partition,
      },
    );
    this.grantEvacuation(this.evacuationFunction);
    this.evacuation = new Workflow(this, 'RegionEvacuation', {
      name: 'region-evacuation',
      substitutions: {
        [placeholderOf('lifeboat-evacuation')]: this.evacuationFunction.function.functionArn,
      },
      functions: [this.evacuationFunction.function],
      logRetention,
      // Its input's timeoutSeconds (a day at most) for the failovers, and the record after them.
      timeout: Duration.hours(25),
    });

    const slackSecrets = this.slackSecretArns();
    this.slackCallback = this.lifeboatFunction(
      'lifeboat-slack-callback',
      "Slack's interactivity endpoint: checks the signature, counts an approver's decision once, resumes or starts the workflow",
      logRetention,
      {
        LIFEBOAT_TABLE_NAME: this.ledgerTableName,
        LIFEBOAT_ACCOUNT: this.account,
        LIFEBOAT_PARTITION: this.partition,
      },
    );
    this.grantLedger(this.slackCallback.role, ['GetItem', 'UpdateItem']);
    // A press on an expired offer is answered with the offer that is open now: the pending approvals
    // are read from the index.
    this.slackCallback.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${this.ledgerTableArn}/index/${LEDGER_SCHEMA.byKindIndex}`],
      }),
    );
    this.grantSecrets(this.slackCallback.role, [slackSecrets.signingSecret, slackSecrets.botToken]);
    // A decision reaches the waiting task in the region its workflow runs in; an approved offer
    // starts the failback in the region traffic returns to.
    const everywhere = (workflow: string) =>
      this.config.controlPlaneRegions.map((region) =>
        this.formatArn({
          service: 'states',
          region,
          resource: 'stateMachine',
          resourceName: stateMachineName(workflow),
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      );
    // A task token is not a resource: the Service Authorization Reference lists no resource type
    // for SendTaskSuccess and SendTaskFailure, so only `*` matches them
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html).
    // A grant scoped to the state machines would leave every Approve and Reject AccessDenied.
    this.slackCallback.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: ['*'],
      }),
    );
    acknowledgeUnscopedActions(
      this.slackCallback.role,
      'xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) and states:SendTaskSuccess and states:SendTaskFailure (a decision answers a task token, which is not a resource) have no resource-level permissions.',
    );
    this.slackCallback.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['states:StartExecution'], resources: everywhere('failback') }),
    );
    this.slackCallbackUrl = this.slackCallback.function.addFunctionUrl({
      // Slack cannot sign with SigV4: its HMAC signature over the body, checked first, is the auth.
      authType: FunctionUrlAuthType.NONE,
    });
    new CfnOutput(this, 'SlackInteractivityUrl', {
      description:
        "Set as the Slack app's Interactivity Request URL (one region's URL, or a failover record over them)",
      value: this.slackCallbackUrl.url,
    });

    this.offer = this.lifeboatFunction(
      'lifeboat-offer',
      'Offers failback on Slack once the old primary has been healthy for the configured time',
      logRetention,
      { LIFEBOAT_TABLE_NAME: this.ledgerTableName },
    );
    // getHealth and getLock (GetItem), past runs (Query), the offer (PutItem, then UpdateItem).
    this.grantLedger(this.offer.role, ['GetItem', 'Query', 'PutItem', 'UpdateItem']);
    this.grantSecrets(this.offer.role, [slackSecrets.botToken]);
    this.grantReadWeights(this.offer.role);
    // Its own region's database for the offer; the serving region's to see that a failover promoted
    // another writer before it quarantines an old one here.
    this.grantDatabaseReads(this.offer.role, this.regionsOfApplicationsHere());
    acknowledgeUnscopedActions(
      this.offer.role,
      "cloudwatch:PutMetricData (the approvals' waiting time, limited by condition to the Lifeboat namespace) has no resource-level permissions.",
    );
    this.backups = new BackupWorkflows(this, 'Backups', {
      config,
      ledgerTableName: this.ledgerTableName,
      ledgerTableArn: this.ledgerTableArn,
      ledgerKey: this.ledgerKey,
      logRetention,
      customFunction: this.failoverFunctions['lifeboat-custom'].function,
    });
    // A failed backup, restore test or readiness drill is posted to the team's channel.
    for (const scheduled of [this.backups.backup, this.backups.restoreTest, this.backups.drill]) {
      if (scheduled !== undefined) this.grantSecrets(scheduled.function.role, [slackSecrets.botToken]);
    }

    // The offer also publishes how long the oldest approval has waited: it reads the pending
    // approvals from the index and writes a Lifeboat metric.
    this.offer.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${this.ledgerTableArn}/index/${LEDGER_SCHEMA.byKindIndex}`],
      }),
    );
    this.grantFence(this.offer.role);
    // The offer quarantines an old RDS writer of this region that came back after a failover: the
    // instance of each application whose primary is here and that names a quarantine group.
    const quarantined = this.applicationsHere().flatMap((app) => {
      const database = app.database;
      if (app.regions[0] !== this.region || database.engine !== 'rds-read-replica') return [];
      const id = database.instances[this.region];
      return id === undefined || database.quarantineSecurityGroupIds?.[this.region] === undefined
        ? []
        : [this.rdsArn('db', id)];
    });
    if (quarantined.length > 0) {
      this.offer.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['rds:ModifyDBInstance', 'rds:RebootDBInstance'],
          resources: quarantined,
        }),
      );
    }

    new Rule(this, 'OfferSchedule', {
      description: 'Runs the Lifeboat failback offer',
      schedule: Schedule.rate(OFFER_SCHEDULE),
      targets: [new LambdaFunction(this.offer.function, { retryAttempts: 0 })],
    });

    // Invariant 5 for a run that cannot keep it itself: StopExecution, the state machine's timeout, or
    // an error past its Catch leave no record and the lock held for its lease.
    this.runEnded = this.lifeboatFunction(
      'lifeboat-run-ended',
      'Records a Lifeboat run that was stopped, timed out or failed without recording its end, and cuts its lock lease',
      logRetention,
      { LIFEBOAT_TABLE_NAME: this.ledgerTableName },
    );
    // The run's record (Query, then PutItem), its lock (GetItem, then a conditional PutItem).
    this.grantLedger(this.runEnded.role, ['Query', 'GetItem', 'PutItem']);
    // What a stopped failover or failback had changed: its history here (GetExecutionHistory acts on
    // the execution, https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html),
    // and the message in its Slack thread.
    for (const workflow of [
      'failover',
      'failback',
      'switchover',
      ...(this.drain === undefined ? [] : ['drain']),
    ]) {
      const executions = this.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${stateMachineName(workflow)}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      this.runEnded.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['states:GetExecutionHistory'], resources: [executions] }),
      );
      acknowledgeWildcardArn(
        this.runEnded.role,
        executions,
        `the ${workflow}'s executions in this region: each run's name is made when it starts, so its ARN is known only as the state machine's executions.`,
      );
    }
    this.grantSecrets(this.runEnded.role, [this.slackSecretArns().botToken]);
    this.grantPaging(this.runEnded.role);
    new Rule(this, 'RunEndedRule', {
      description: "Lifeboat workflows' executions that ended stopped, timed out or failed",
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['ABORTED', 'TIMED_OUT', 'FAILED'],
          stateMachineArn: Match.prefix(
            this.formatArn({
              service: 'states',
              resource: 'stateMachine',
              resourceName: stateMachineName(''),
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ),
        },
      },
      targets: [new LambdaFunction(this.runEnded.function, { retryAttempts: 2 })],
    });

    this.trigger = this.lifeboatFunction(
      'lifeboat-trigger',
      'Starts a failover when a quorum of detection alarms says the serving region is down',
      logRetention,
      {
        LIFEBOAT_TABLE_NAME: this.ledgerTableName,
        LIFEBOAT_FAILOVER_ARN: this.failover.stateMachine.stateMachineArn,
      },
    );
    this.grantTrigger(this.trigger);
    this.detectionRule.addTarget(new LambdaFunction(this.trigger.function));

    // Regional alarms (the probes', the fences') report their state changes on this region's
    // default bus; forwarding them to the lifeboat bus lets the detection rule and trigger see them.
    this.regionalDetectionRule = new Rule(this, 'RegionalDetectionRule', {
      description: "Forwards this region's Lifeboat alarm state changes to the lifeboat bus",
      eventPattern: DETECTION_EVENT_PATTERN,
      targets: [new EventBusTarget(this.eventBus)],
    });

    this.probe = new LifeboatFunction(this, 'ProbeFunction', {
      name: 'probe',
      description: "Probes the other regions of this region's applications and publishes ProbeSuccess",
      logRetention,
      config,
      // A minute of rounds, the last one's probes (6 s each at most) and its publish.
      timeout: Duration.seconds(70),
      // Its outcome is ProbeSuccess and its log; a trace every minute adds cost, not insight.
      activeTracing: false,
    });
    this.probe.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': PROBE_NAMESPACE } },
      }),
    );
    acknowledgeUnscopedActions(
      this.probe.role,
      'cloudwatch:PutMetricData (the probe results, limited by condition to the Lifeboat namespace) has no resource-level permissions.',
    );
    new Rule(this, 'ProbeSchedule', {
      description: "Runs the Lifeboat probe of the other regions of this region's applications",
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(this.probe.function, { retryAttempts: 0 })],
    });

    const probeAlarms: Alarm[] = [];
    const fenceAlarms: Alarm[] = [];
    // This region's fence votes, whether or not the application runs here (CloudWatchFence,
    // docs/fencing.md): one per record whose vote regions include it.
    for (const app of config.applications) {
      for (const region of app.regions) {
        if (!fenceVoteRegions(config, app, region).includes(this.region)) continue;
        fenceAlarms.push(
          new Alarm(this, `Fence-${app.name}-${region}`, {
            alarmName: fenceAlarmName(app.name, region, this.region),
            alarmDescription: `${this.region}'s fence vote on ${app.name} in ${region}: in ALARM, it votes to keep the record out of DNS answers`,
            metric: new Metric({
              namespace: FENCE_NAMESPACE,
              metricName: FENCE_METRIC,
              dimensionsMap: { Application: app.name, Region: region },
              statistic: 'Maximum',
              // Not 10 s: Route 53's CLOUDWATCH_METRIC health checks (the records' gate) do not
              // support high-resolution alarms; a period under a minute makes one.
              period: Duration.seconds(FENCE_ALARM_PERIOD_SECONDS),
            }),
            threshold: 1,
            comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluationPeriods: 1,
            datapointsToAlarm: 1,
            // A fence holds until Lifeboat publishes 0: no data keeps the last state.
            treatMissingData: TreatMissingData.IGNORE,
          }),
        );
      }
    }
    for (const app of this.applicationsHere()) {
      const { probeIntervalSeconds, probeFailureThreshold } = app.detection;
      for (const region of app.regions) {
        if (region === this.region) continue;
        probeAlarms.push(
          new Alarm(this, `Probe-${app.name}-${region}`, {
            alarmName: probeAlarmName(app.name, region, this.region),
            alarmDescription: `The probe of ${app.name} in ${region} from ${this.region} is failing`,
            metric: new Metric({
              namespace: PROBE_NAMESPACE,
              metricName: PROBE_METRIC,
              dimensionsMap: { Application: app.name, Region: region },
              statistic: 'Minimum',
              period: Duration.seconds(probeIntervalSeconds),
            }),
            threshold: 1,
            comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluationPeriods: probeFailureThreshold,
            datapointsToAlarm: probeFailureThreshold,
            // No data means the probe did not run (this region's trouble), not the probed region's.
            treatMissingData: TreatMissingData.MISSING,
          }),
        );
      }
    }
    this.probeAlarms = probeAlarms;
    this.fenceAlarms = fenceAlarms;

    this.dashboard = new LifeboatDashboard(this, 'Dashboard', {
      applications: config.applications,
      controlPlaneRegions: config.controlPlaneRegions,
      withDashboard: dashboardRegions(config).includes(this.region),
      // The single dashboard graphs the workflows of every control-plane region.
      ...(config.dashboards === 'one'
        ? { graphedWorkflows: config.controlPlaneRegions.flatMap((r) => this.workflowsIn(r)) }
        : {}),
      workflows: [
        { name: 'failover', stateMachineArn: this.failover.stateMachine.stateMachineArn },
        { name: 'failback', stateMachineArn: this.failback.stateMachine.stateMachineArn },
        { name: 'switchover', stateMachineArn: this.switchover.stateMachine.stateMachineArn },
        ...(this.drain === undefined
          ? []
          : [{ name: 'drain', stateMachineArn: this.drain.stateMachine.stateMachineArn }]),
        ...(
          [
            ['backup', this.backups.backup],
            ['restore-test', this.backups.restoreTest],
            ['drill', this.backups.drill],
          ] as const
        ).flatMap(([name, scheduled]) =>
          scheduled === undefined
            ? []
            : [{ name, stateMachineArn: scheduled.workflow.stateMachine.stateMachineArn }],
        ),
      ],
      triggerFunction: this.trigger.function,
      topicKey: this.ledgerKey,
    });
  }

  private lifeboatFunction(
    functionName: string,
    description: string,
    logRetention: RetentionDays,
    environment: Readonly<Record<string, string>>,
  ): LifeboatFunction {
    const name = functionName.replace(/^lifeboat-/, '');
    return new LifeboatFunction(this, placeholderOf(functionName).replace(/Arn$/, ''), {
      name,
      description,
      logRetention,
      environment,
      config: this.config,
      ...(LONG_TIMEOUT.has(functionName) ? { timeout: Duration.seconds(60) } : {}),
      ...(functionName === 'lifeboat-slack-callback' ? { timeout: CALLBACK_TIMEOUT } : {}),
      ...(functionName === 'lifeboat-workloads'
        ? { roleName: kubernetesRoleName('workloads', this.region) }
        : {}),
      ...(functionName === 'lifeboat-custom'
        ? { roleName: kubernetesRoleName('custom', this.region), timeout: customStepsTimeout(this.config) }
        : {}),
      ...(functionName === 'lifeboat-trigger' && this.preScaledHere().length > 0
        ? { roleName: kubernetesRoleName('trigger', this.region) }
        : {}),
      ...(this.cnpgApplicationsHere().length > 0 && CNPG_ROLES[functionName] !== undefined
        ? { roleName: kubernetesRoleName(CNPG_ROLES[functionName], this.region) }
        : {}),
    });
  }

  /**
   * The workflows a control-plane region runs, named as its stack names them: the failover, the
   * failback and the switchover everywhere, the scheduled ones where an application's backups, drills or game days run.
   */
  private workflowsIn(region: string): { name: string; stateMachineArn: string; region: string }[] {
    const names = [
      'failover',
      'failback',
      'switchover',
      ...(this.drain === undefined ? [] : ['drain']),
      ...scheduledWorkflowsIn(this.config, region),
    ];
    return names.map((name) => ({
      name,
      region,
      stateMachineArn: this.formatArn({
        service: 'states',
        region,
        resource: 'stateMachine',
        resourceName: stateMachineName(name),
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    }));
  }

  /** The ledger actions each failover step calls (the `Ledger` methods it uses, as DynamoDB calls). */
  private ledgerActions(name: StepFunctionName): LedgerAction[] {
    switch (name) {
      // validateInput: currentPrimary may read past runs; a rejected input is recorded.
      case 'lifeboat-failover-input':
        return ['Query', 'PutItem'];
      // acquireLock (a conditional PutItem, then GetItem of the holder), confirmLock (GetItem, and
      // DeleteItem when it gives way), releaseLock (DeleteItem).
      case 'lifeboat-lock':
        return ['PutItem', 'GetItem', 'DeleteItem'];
      // checkCooldown lists past runs.
      case 'lifeboat-preflight':
        return ['Query'];
      case 'lifeboat-ledger':
        return ['PutItem'];
      // requestApproval: the approval (a conditional PutItem, GetItem, UpdateItem) and, while Slack
      // is down, the run's RUNNING record; closeApproval and claimOffer: GetItem and UpdateItem.
      case 'lifeboat-approval':
        return ['GetItem', 'PutItem', 'UpdateItem'];
      default:
        return [];
    }
  }

  private grantFailoverFunction(name: StepFunctionName, fn: LifeboatFunction): void {
    const role = fn.role;
    this.grantLedger(role, this.ledgerActions(name));
    switch (name) {
      case 'lifeboat-failover-input':
        this.grantReadWeights(role);
        break;
      case 'lifeboat-preflight':
        // Route 53's view of the target: its health check's alarm (AlarmHealth), with the other alarms.
        this.grantAlarmReads(role);
        this.grantMetricReads(role);
        this.grantDescribeClusters(role);
        // CheckReplica (failback): the returning region's database, read only.
        this.grantDatabaseReads(role, [this.region]);
        // CheckReplicaLag: the stores' lag here; CheckReplica: their members here, read only.
        for (const statement of storeStatements(this, this.applicationsHere(), [this.region], 'read'))
          role.addToPrincipalPolicy(statement);
        {
          // A drain's preflight, in whichever control plane it runs: the clusters of the regions that
          // take traffic, and the drained region's database (where the writer is), of the
          // active-active applications only.
          const activeActive = this.applicationsHere().filter((a) => a.activeActive !== undefined);
          const regions = [...new Set(activeActive.flatMap((a) => a.regions))];
          if (activeActive.length > 0) {
            this.grantDescribeClusters(role, regions, activeActive);
            this.grantDatabaseReads(role, regions, activeActive);
          }
        }
        acknowledgeUnscopedActions(
          role,
          'cloudwatch:GetMetricData (replica lag) has no resource-level permissions.',
        );
        break;
      case 'lifeboat-database':
        this.grantMetricReads(role);
        this.grantDatabase(role);
        // PromoteDatabase, CheckDatabase and SwitchWriter: each store's member here made the primary;
        // FollowWriter and the failback's RestoreStandby read the members of the other regions.
        for (const statement of storeStatements(
          this,
          this.applicationsHere(),
          this.regionsOfApplicationsHere(),
          'failover',
        ))
          role.addToPrincipalPolicy(statement);
        acknowledgeUnscopedActions(
          role,
          'cloudwatch:GetMetricData (the replica lag at promotion, the RPO) has no resource-level permissions.',
        );
        break;
      case 'lifeboat-workloads':
        // A failback scales the region traffic left back down: every region of the applications here.
        this.grantDescribeClusters(role, this.regionsOfApplicationsHere());
        this.grantNodeGroups(fn, this.regionsOfApplicationsHere());
        break;
      case 'lifeboat-traffic':
        this.grantFence(role);
        this.grantChangeWeights(fn);
        // A drain's step reads the weights in force before it changes its region's record.
        if (this.applicationsHere().some((a) => a.activeActive !== undefined)) this.grantReadWeights(role);
        this.grantHealthReads(fn);
        this.grantAlarmReads(role);
        // The failback's guard (load balancer metrics) and UnfenceStandbys (the databases' roles).
        this.grantMetricReads(role);
        this.grantDatabaseReads(role, this.regionsOfApplicationsHere());
        acknowledgeUnscopedActions(
          role,
          "cloudwatch:PutMetricData (the fence, limited by condition to the Lifeboat namespace), cloudwatch:GetMetricData (the failback guard's load balancer metrics) and route53:ListHealthChecks (finding the detection stack's health checks) have no resource-level permissions.",
        );
        break;
      case 'lifeboat-lock':
        this.grantOtherLocks(fn);
        break;
      case 'lifeboat-notify':
        this.grantSecrets(role, [this.slackSecretArns().botToken]);
        this.grantPaging(role);
        break;
      case 'lifeboat-approval':
        this.grantSecrets(role, [this.slackSecretArns().botToken]);
        break;
      case 'lifeboat-custom':
        this.grantCustomSteps(fn);
        break;
      case 'lifeboat-ledger':
        // The RTO of a finished failover, for the dashboard.
        this.grantFence(role);
        acknowledgeUnscopedActions(
          role,
          'cloudwatch:PutMetricData (the RTO, limited by condition to the Lifeboat namespace) has no resource-level permissions.',
        );
        break;
    }
  }

  /**
   * The Slack secrets by the names the config gives, in this region (replicate them to every
   * control-plane region). Secrets Manager appends six random characters to a secret's ARN.
   */
  private slackSecretArns(): { botToken: string; signingSecret: string } {
    const arn = (name: string) =>
      this.formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: `${name}-??????`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    return {
      botToken: arn(this.config.slack.botTokenSecretName),
      signingSecret: arn(this.config.slack.signingSecretSecretName),
    };
  }

  /**
   * The paging hook: PutEvents on the configured bus in this region (a run's events go on its own
   * region's bus), when the config names one.
   */
  private grantPaging(role: IPrincipal): void {
    if (this.config.paging === undefined) return;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [
          this.formatArn({
            service: 'events',
            resource: 'event-bus',
            resourceName: this.config.paging.eventBusName,
          }),
        ],
      }),
    );
  }

  private grantSecrets(role: IPrincipal, arns: readonly string[]): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [...arns] }),
    );
  }

  /** The applications here whose database is CloudNativePG's. */
  private cnpgApplicationsHere(): LifeboatConfig['applications'] {
    return this.applicationsHere().filter((a) => a.database.engine === 'cloudnativepg');
  }

  /** Every region of the applications this control plane serves. */
  private regionsOfApplicationsHere(): string[] {
    return [...new Set(this.applicationsHere().flatMap((a) => a.regions))];
  }

  /** DescribeDBInstances / DescribeGlobalClusters of the applications' databases in `regions`. */
  private grantDatabaseReads(
    role: IPrincipal,
    regions: readonly string[],
    applications: LifeboatConfig['applications'] = this.applicationsHere(),
  ): void {
    const instances: string[] = [];
    const globals: string[] = [];
    for (const app of applications) {
      const database = app.database;
      if (database.engine === 'rds-read-replica') {
        for (const region of regions) {
          const id = database.instances[region];
          if (id !== undefined) instances.push(this.rdsArn('db', id, region));
        }
      } else if (database.engine === 'aurora-global') {
        globals.push(this.rdsArn('global-cluster', database.globalClusterIdentifier, ''));
      }
    }
    if (instances.length > 0)
      role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [...new Set(instances)] }),
      );
    if (globals.length > 0)
      role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['rds:DescribeGlobalClusters'], resources: [...new Set(globals)] }),
      );
    // A CloudNativePG Cluster is read through its EKS cluster's API server (the access entries of the
    // ClusterAccess stacks and the RBAC of `lifeboat kubernetes-rbac` let the role in).
    const cnpg = applications.filter((a) => a.database.engine === 'cloudnativepg');
    if (cnpg.length > 0) this.grantDescribeClusters(role, regions, cnpg);
  }

  private rdsArn(resource: string, name: string, region: string = this.region): string {
    return this.formatArn({
      service: 'rds',
      region,
      resource,
      // RDS keeps identifiers, and so its ARNs, in lower case.
      resourceName: name.toLowerCase(),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * The trigger reads what `handleAlarmEvent` reads (weights, health, alarms; past runs when Route
   * 53's API is down, which is exactly when us-east-1 fails) and starts the failover, nothing else.
   */
  private grantTrigger(fn: LifeboatFunction): void {
    const role = fn.role;
    // Query: past runs; PutItem: the regions' health records the failback's offer reads.
    this.grantLedger(role, ['Query', 'PutItem']);
    this.grantReadWeights(role);
    this.grantAlarmReads(role);
    // The standbys' replica lag, to fail over to one within the budget when the first is not, and
    // their stores' lag (each member's cache clusters).
    this.grantMetricReads(role);
    for (const statement of storeStatements(
      this,
      this.applicationsHere(),
      this.regionsOfApplicationsHere(),
      'lag',
    ))
      role.addToPrincipalPolicy(statement);
    // automation.preScaleOnFirstSignal: this region's standby node groups (its deployments through
    // the access entry the ClusterAccess stack gives this role).
    const preScaled = this.preScaledHere();
    this.grantDescribeClusters(role, [this.region], preScaled);
    this.grantNodeGroups(fn, [this.region], preScaled);
    // The standbys' node group health, to fail over to one with capacity when the first has none
    // (every trigger chooses the same standby, so each reads every region's groups).
    const automatic = this.applicationsHere().filter((a) => a.automation.automaticFailover);
    this.grantNodeGroups(fn, [...new Set(automatic.flatMap((a) => a.regions))], automatic, [
      'eks:DescribeNodegroup',
    ]);
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [this.failover.stateMachine.stateMachineArn],
      }),
    );
    acknowledgeUnscopedActions(
      role,
      "cloudwatch:GetMetricData (the standbys' replica lag) has no resource-level permissions.",
    );
  }

  private grantLedger(role: IPrincipal, actions: readonly LedgerAction[]): void {
    if (actions.length === 0) return;
    // The table in this region only: the ledger's items are reached through their own replica, and
    // no failover step queries the byKind index.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: actions.map((a) => `dynamodb:${a}`),
        resources: [this.ledgerTableArn],
      }),
    );
    const writes = actions.some((a) => a === 'PutItem' || a === 'UpdateItem' || a === 'DeleteItem');
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: writes ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
        resources: [this.ledgerKey.keyArn],
      }),
    );
  }

  /**
   * ConfirmLock reads the lock item in every other control-plane region's replica. Each replica is
   * encrypted with its own region's key, which this stack cannot reference: the key is named by the
   * alias the state stacks give it.
   */
  private grantOtherLocks(fn: LifeboatFunction): void {
    const others = this.config.controlPlaneRegions.filter((region) => region !== this.region);
    if (others.length === 0) return;
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: others.map((region) =>
          this.formatArn({
            service: 'dynamodb',
            region,
            resource: 'table',
            resourceName: this.ledgerTableName,
          }),
        ),
      }),
    );
    const keys = others.map((region) =>
      this.formatArn({ service: 'kms', region, resource: 'key', resourceName: '*' }),
    );
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: keys,
        conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [LEDGER_KEY_ALIAS] } },
      }),
    );
    for (const key of keys) {
      acknowledgeWildcardArn(
        fn.role,
        key,
        `The ledger key of another region, whose id this stack cannot reference; only the key with the alias ${LEDGER_KEY_ALIAS} (kms:ResourceAliases condition).`,
      );
    }
  }

  private hostedZoneArns(): string[] {
    return [...new Set(this.config.applications.map((a) => a.dns.hostedZoneId))].map((id) =>
      this.formatArn({
        service: 'route53',
        region: '',
        account: '',
        resource: 'hostedzone',
        resourceName: id,
      }),
    );
  }

  /**
   * The region evacuation: where each application is served (its records' weights, the ledger), each
   * standby's health (the alarms), the region's evacuation lock and record, and StartExecution of the
   * failover in each region an application may move to.
   */
  private grantEvacuation(fn: LifeboatFunction): void {
    const role = fn.role;
    this.grantLedger(role, ['Query', 'PutItem', 'GetItem', 'DeleteItem']);
    this.grantReadWeights(role);
    this.grantAlarmReads(role);
    const targets = [...new Set(this.config.applications.flatMap((a) => a.regions))].filter((r) =>
      this.config.controlPlaneRegions.includes(r),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: targets.map((region) =>
          this.formatArn({
            service: 'states',
            region,
            resource: 'stateMachine',
            resourceName: stateMachineName('failover'),
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );
  }

  private grantReadWeights(role: IPrincipal): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['route53:ListResourceRecordSets'], resources: this.hostedZoneArns() }),
    );
  }

  /**
   * UPSERTs of the applications' own records, in their zones: the zone ARN, narrowed by Route 53's
   * record-set condition keys to the configured names and types. GetChange has no name to scope by.
   */
  private grantChangeWeights(fn: LifeboatFunction): void {
    const zones = new Map<string, { names: Set<string>; types: Set<string> }>();
    for (const app of this.config.applications) {
      const zone = zones.get(app.dns.hostedZoneId) ?? { names: new Set(), types: new Set() };
      zone.names.add(normalizedRecordName(app.dns.recordName));
      zone.types.add(app.dns.recordType);
      zones.set(app.dns.hostedZoneId, zone);
    }
    for (const [zoneId, zone] of zones) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['route53:ChangeResourceRecordSets'],
          resources: [
            this.formatArn({
              service: 'route53',
              region: '',
              account: '',
              resource: 'hostedzone',
              resourceName: zoneId,
            }),
          ],
          conditions: {
            'ForAllValues:StringEquals': {
              'route53:ChangeResourceRecordSetsNormalizedRecordNames': [...zone.names].sort(),
              'route53:ChangeResourceRecordSetsRecordTypes': [...zone.types].sort(),
              'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
            },
          },
        }),
      );
    }
    const changes = this.formatArn({
      service: 'route53',
      region: '',
      account: '',
      resource: 'change',
      resourceName: '*',
    });
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['route53:GetChange'], resources: [changes] }),
    );
    acknowledgeWildcardArn(
      fn.role,
      changes,
      'route53:GetChange on changes: a change id exists only once the record change has been made.',
    );
  }

  /**
   * The look-up of the checks the detection stack created, which the record change attaches: their
   * ids live in us-east-1's stack and cannot be referenced from here, so checks are named by `*`
   * unless the config names every one. (Health is read from the checks' alarms, not from
   * GetHealthCheckStatus: see shared/failover/alarmHealth.ts.)
   */
  private grantHealthReads(fn: LifeboatFunction): void {
    const checks = this.config.applications.flatMap((a) => Object.values(a.healthChecks));
    const ids = checks.flatMap((c) => (c.kind === 'existing' ? [c.healthCheckId] : []));
    const created = ids.length < checks.length;
    const healthCheckArn = (id: string) =>
      this.formatArn({
        service: 'route53',
        region: '',
        account: '',
        resource: 'healthcheck',
        resourceName: id,
      });
    const resources = created ? [healthCheckArn('*')] : [...new Set(ids)].sort().map(healthCheckArn);
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['route53:ListTagsForResources'],
        resources,
      }),
    );
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['route53:ListHealthChecks'], resources: ['*'] }),
    );
    if (created) {
      acknowledgeWildcardArn(
        fn.role,
        healthCheckArn('*'),
        "Health checks the detection stack creates in us-east-1: their ids are not known to this region's stack.",
      );
    }
  }

  /** DescribeAlarms of the detection alarms, each in the region it lives in. */
  private grantAlarmReads(role: IPrincipal): void {
    const arns = detectionSignals(this.config).map((signal) =>
      this.formatArn({
        service: 'cloudwatch',
        region: signal.alarmRegion,
        resource: 'alarm',
        resourceName: signal.alarmName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [...new Set(arns)] }),
    );
  }

  private grantMetricReads(role: IPrincipal): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
    );
  }

  private grantFence(role: IPrincipal): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': FENCE_NAMESPACE } },
      }),
    );
  }

  /** The applications in this region: a workflow acts on the region it runs in. */
  private applicationsHere(): LifeboatConfig['applications'] {
    return this.config.applications.filter((a) => a.regions.includes(this.region));
  }

  /** The applications whose standby here the trigger scales on the first signal (`preScaledBy`). */
  private preScaledHere(): LifeboatConfig['applications'] {
    return preScaledBy(this.config, this.region);
  }

  /**
   * Failover: promotion of this region's database. Failback (run in the region traffic returns to):
   * the rename of a stale instance and a new cross-region replica, here and in the region traffic
   * left (the standby's rebuild), the replica's source described, and the planned switch back.
   */
  private grantDatabase(role: IPrincipal): void {
    // CloudNativePG: a promotion here, a demotion of the old primary and the other replicas
    // re-pointed, each a patch through its region's EKS API server.
    const cnpg = this.cnpgApplicationsHere();
    if (cnpg.length > 0) this.grantDescribeClusters(role, this.regionsOfApplicationsHere(), cnpg);
    const here: string[] = [];
    const anywhere: string[] = [];
    const subnetGroups: string[] = [];
    const keys: string[] = [];
    const globals: string[] = [];
    const members: string[] = [];
    for (const app of this.applicationsHere()) {
      const database = app.database;
      if (database.engine === 'rds-read-replica') {
        const id = database.instances[this.region];
        if (id !== undefined) here.push(this.rdsArn('db', id));
        for (const region of app.regions) {
          const other = database.instances[region];
          if (other !== undefined) anywhere.push(this.rdsArn('db', other, region));
          // A new replica is authorized against the option group, parameter group and subnet group
          // it will be in (og, pg and subgrp are resource types of CreateDBInstanceReadReplica,
          // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html):
          // the request names none but the subnet group, so the region's default groups, and the
          // configured subnet group or else the default one.
          const replica = database.replicas?.[region];
          subnetGroups.push(
            this.rdsArn('subgrp', replica?.dbSubnetGroupName ?? 'default', region),
            this.rdsArn('og', 'default:*', region),
            this.rdsArn('pg', 'default.*', region),
          );
          if (replica?.kmsKeyId?.startsWith('arn:') === true) keys.push(replica.kmsKeyId);
        }
      } else if (database.engine === 'aurora-global') {
        globals.push(this.rdsArn('global-cluster', database.globalClusterIdentifier, ''));
        // A global failover or switchover acts on the global cluster and its members, the demoted writer too.
        for (const [region, cluster] of Object.entries(database.clusters)) {
          members.push(this.rdsArn('cluster', cluster, region));
        }
      }
    }
    if (here.length > 0) {
      role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['rds:PromoteReadReplica'], resources: here }),
      );
    }
    if (anywhere.length > 0) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [
            'rds:DescribeDBInstances',
            'rds:ModifyDBInstance',
            'rds:CreateDBInstanceReadReplica',
            'rds:AddTagsToResource',
          ],
          resources: [...new Set(anywhere)],
        }),
      );
    }
    if (subnetGroups.length > 0) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['rds:CreateDBInstanceReadReplica'],
          resources: [...new Set(subnetGroups)],
        }),
      );
      for (const arn of new Set(subnetGroups)) {
        if (arn.endsWith('*'))
          acknowledgeWildcardArn(
            role as unknown as IConstruct,
            arn,
            "A cross-region replica gets its region's default option and parameter groups, named after the engine version (default:postgres-16, default.postgres16), which the config does not give.",
          );
      }
    }
    if (keys.length > 0) {
      // An encrypted cross-region replica is encrypted with the destination region's key.
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:CreateGrant', 'kms:DescribeKey'],
          resources: [...new Set(keys)],
        }),
      );
    }
    if (globals.length > 0) {
      role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['rds:DescribeGlobalClusters'], resources: globals }),
      );
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['rds:FailoverGlobalCluster', 'rds:SwitchoverGlobalCluster'],
          resources: [...globals, ...members],
        }),
      );
    }
  }

  /**
   * The custom steps of the applications here: lambda:InvokeFunction on exactly the configured
   * functions (and their versions and aliases), and the clusters whose Jobs it runs (any region of
   * an application: a step may run in the target, the source or a named region).
   */
  private grantCustomSteps(fn: LifeboatFunction): void {
    const role = fn.role;
    const arns = this.applicationsHere().flatMap((app) =>
      app.customSteps.flatMap((step) =>
        step.kind !== 'lambda'
          ? []
          : typeof step.functionArn === 'string'
            ? [step.functionArn]
            : Object.values(step.functionArn),
      ),
    );
    if (arns.length > 0) {
      const functions = [...new Set(arns)].sort();
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: functions.flatMap((arn) => [arn, `${arn}:*`]),
        }),
      );
      for (const arn of functions) {
        acknowledgeWildcardArn(
          fn.role,
          `${arn}:*`,
          `The versions and aliases of the custom step's function ${arn}, which the config names: the step may invoke a qualified ARN.`,
        );
      }
    }
    const withJobs = this.applicationsHere().filter((app) =>
      app.customSteps.some((s) => s.kind === 'kubernetes-job'),
    );
    if (withJobs.length > 0) this.grantDescribeClusters(role, this.regionsOfApplicationsHere(), withJobs);
  }

  private grantDescribeClusters(
    role: IPrincipal,
    regions: readonly string[] = [this.region],
    applications: LifeboatConfig['applications'] = this.applicationsHere(),
  ): void {
    const clusters = applications.flatMap((app) =>
      regions.flatMap((region) => {
        const workloads = app.workloads[region];
        return workloads === undefined
          ? []
          : [
              this.formatArn({
                service: 'eks',
                region,
                resource: 'cluster',
                resourceName: workloads.clusterName,
              }),
            ];
      }),
    );
    if (clusters.length === 0) return;
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [...new Set(clusters)] }),
    );
  }

  /** A node group's ARN ends in an id EKS assigns when it creates the group, hence `/*`. */
  private grantNodeGroups(
    fn: LifeboatFunction,
    regions: readonly string[] = [this.region],
    applications: LifeboatConfig['applications'] = this.applicationsHere(),
    actions: readonly string[] = ['eks:DescribeNodegroup', 'eks:UpdateNodegroupConfig'],
  ): void {
    const nodeGroups = applications.flatMap((app) =>
      regions.flatMap((region) => {
        const workloads = app.workloads[region];
        return (workloads?.nodeGroups ?? []).map((group) =>
          this.formatArn({
            service: 'eks',
            region,
            resource: 'nodegroup',
            resourceName: `${workloads?.clusterName ?? ''}/${group.name}/*`,
          }),
        );
      }),
    );
    if (nodeGroups.length === 0) return;
    const unique = [...new Set(nodeGroups)];
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...actions],
        resources: unique,
      }),
    );
    for (const arn of unique) {
      acknowledgeWildcardArn(
        fn.role,
        arn,
        "One configured node group: EKS appends an id to a node group's ARN when it creates the group.",
      );
    }
  }
}
