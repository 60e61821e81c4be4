import { Duration, Stack } from 'aws-cdk-lib';
import { cnpgLagDimensions } from '../../shared/aws/CloudWatchMetrics.ts';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  APPROVAL_WAIT_METRIC,
  DNS_WEIGHT_METRIC,
  LIFEBOAT_NAMESPACE,
  RTO_METRIC,
} from '../../shared/aws/trafficMetrics.ts';
import type { ApplicationConfig, StoreConfig } from '../../shared/config/LifeboatConfig.ts';
import { DETECTION_REGION } from '../../shared/config/naming.ts';

/** One workflow's state machine, as the dashboard graphs and alarms on it. */
export interface DashboardWorkflow {
  /** The workflow's name (`failover`, `failback`, ...), for titles and alarm names. */
  readonly name: string;
  /** The state machine's ARN: the `StateMachineArn` dimension of its AWS/States metrics. */
  readonly stateMachineArn: string;
}

export interface LifeboatDashboardProps {
  /** The applications of the config: their regions, databases and names. */
  readonly applications: readonly ApplicationConfig[];
  /** Every control-plane region: the weights and RTO a workflow publishes live in the region it ran in. */
  readonly controlPlaneRegions: readonly string[];
  /** This region's workflows (alarmed on here, and graphed unless `graphedWorkflows` says otherwise). */
  readonly workflows: readonly DashboardWorkflow[];
  /**
   * Whether this region holds the dashboard (`dashboards` in the config). The alarms on Lifeboat
   * itself and their topic are made either way. Default true.
   */
  readonly withDashboard?: boolean;
  /**
   * The workflows the dashboard graphs, by region: a single dashboard graphs every control-plane
   * region's (each metric read in its own region). Default: `workflows`, in this region.
   */
  readonly graphedWorkflows?: readonly (DashboardWorkflow & { readonly region: string })[];
  /** The trigger function of this region, whose errors are alarmed on. */
  readonly triggerFunction: IFunction;
  /**
   * Route 53 health check ids by application, then region, for named lines. When an application has
   * none here, its health checks are shown by a search of AWS/Route53 in us-east-1 instead (the
   * ids of the checks the detection stack creates live in another region's stack).
   */
  readonly healthCheckIds?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** How long an approval may wait on Slack before the alarm says so (default one hour). */
  readonly approvalWaitAlarmSeconds?: number;
  /** The dashboard's name (default `lifeboat-<region>`). */
  readonly dashboardName?: string;
  /**
   * The KMS key that encrypts the alarm topic: the region's ledger key in a deployment (its policy
   * lets CloudWatch use it, so no second key per region is paid for). Without it the construct makes
   * its own.
   */
  readonly topicKey?: IKey;
}

/**
 * The alarms on Lifeboat itself in one control-plane region, with an encrypted SNS topic as their
 * action, and the CloudWatch dashboard where the region holds one (a single dashboard reads every
 * control-plane region's metrics; see `dashboards` in the config).
 *
 * Route 53 publishes health-check metrics in us-east-1 only, so those lines read that region; RDS
 * replica lag is read in the replica's region; the weights and the RTO a workflow publishes live in
 * the region the workflow ran in, so each is read from every control-plane region.
 *
 * "An approval waits longer than an hour" is the `Lifeboat/ApprovalWaitSeconds` gauge (the age of
 * the oldest approval still waiting, by workflow) above the limit. Step Functions has no metric of
 * how long one state has waited, and `ExecutionTime` is emitted only when an execution ends.
 *
 * To route the alarms to Slack, subscribe the topic to an AWS Chatbot Slack channel configuration
 * (the Slack workspace is authorised once in the Chatbot console): `new SlackChannelConfiguration(
 * scope, 'Chatbot', { slackWorkspaceId, slackChannelId, notificationTopics: [dashboard.alarmTopic] })`.
 */
export class LifeboatDashboard extends Construct {
  /** The dashboard, when this region holds it. */
  public readonly dashboard: Dashboard | undefined;
  /** The alarms' action: the topic to subscribe people, Chatbot or a pager to. */
  public readonly alarmTopic: Topic;
  public readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: LifeboatDashboardProps) {
    super(scope, id);
    const region = Stack.of(this).region;

    let key = props.topicKey;
    if (key === undefined) {
      const own = new Key(this, 'AlarmTopicKey', {
        description: `Encrypts the Lifeboat alarm topic in ${region}`,
        enableKeyRotation: true,
      });
      // CloudWatch alarms publish to an encrypted topic only when the key lets them.
      own.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
      key = own;
    }
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: `Lifeboat alarms (${region})`,
      masterKey: key,
      enforceSSL: true,
    });

    const alarms: Alarm[] = [];
    const alarm = (alarmId: string, alarmProps: ConstructorParameters<typeof Alarm>[2]): Alarm => {
      const a = new Alarm(this, alarmId, alarmProps);
      a.addAlarmAction(new SnsAction(this.alarmTopic));
      alarms.push(a);
      return a;
    };

    for (const w of props.workflows) {
      alarm(`Failed-${w.name}`, {
        alarmName: `lifeboat-${w.name}-failed-${region}`,
        alarmDescription: `A Lifeboat ${w.name} run failed in ${region}: read its ledger record (lifeboat history --kind ${w.name}) and the execution's error`,
        metric: statesMetric(w, 'ExecutionsFailed', false),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
    alarm('TriggerErrors', {
      alarmName: `lifeboat-trigger-errors-${region}`,
      alarmDescription: `The Lifeboat trigger in ${region} erred: an outage may not start a failover from this region. Read its log group.`,
      metric: props.triggerFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const approvalLimit = props.approvalWaitAlarmSeconds ?? 3600;
    const approvalWait = (workflow: string) =>
      new Metric({
        namespace: LIFEBOAT_NAMESPACE,
        metricName: APPROVAL_WAIT_METRIC,
        dimensionsMap: { Workflow: workflow },
        statistic: 'Maximum',
        period: Duration.minutes(5),
      });
    for (const w of props.workflows.filter((x) => APPROVING_WORKFLOWS.includes(x.name))) {
      alarm(`ApprovalWaiting-${w.name}`, {
        alarmName: `lifeboat-${w.name}-approval-waiting-${region}`,
        alarmDescription: `A Lifeboat ${w.name} in ${region} has waited more than ${approvalLimit} s for Approve or Reject on Slack`,
        metric: approvalWait(w.name),
        threshold: approvalLimit,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
    this.alarms = alarms;

    if (props.withDashboard === false) {
      this.dashboard = undefined;
      return;
    }
    const graphed = props.graphedWorkflows ?? props.workflows.map((w) => ({ ...w, region }));
    const graphedRegions = [...new Set(graphed.map((w) => w.region))];
    const where = graphedRegions.length === 1 ? (graphedRegions[0] ?? region) : graphedRegions.join(', ');
    const graphedMetric = (w: DashboardWorkflow & { readonly region: string }, metricName: string): Metric =>
      new Metric({
        namespace: 'AWS/States',
        metricName,
        dimensionsMap: { StateMachineArn: w.stateMachineArn },
        statistic: 'Sum',
        period: Duration.minutes(5),
        region: w.region,
        label: graphedRegions.length === 1 ? w.name : `${w.name} (${w.region})`,
      });
    const dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `lifeboat-${region}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard = dashboard;
    dashboard.addWidgets(
      new TextWidget({
        markdown: `# Lifeboat (${region})\nHealth checks read us-east-1 (where Route 53 publishes them); weights and RTO are read from every control-plane region (${props.controlPlaneRegions.join(', ')}). \`lifeboat status\` shows the same from a terminal.`,
        width: 24,
        height: 2,
      }),
    );
    for (const app of props.applications) {
      const standbys = app.regions.slice(1);
      dashboard.addWidgets(
        new GraphWidget({
          title: `${app.name}: health checks (1 healthy)`,
          left: healthChecks(app, props.healthCheckIds?.[app.name]),
          leftYAxis: { min: 0, max: 1 },
          width: 8,
        }),
        new GraphWidget({
          title: `${app.name}: DNS weights`,
          left: app.regions.flatMap((r) =>
            props.controlPlaneRegions.map(
              (from) =>
                new Metric({
                  namespace: LIFEBOAT_NAMESPACE,
                  metricName: DNS_WEIGHT_METRIC,
                  dimensionsMap: { Application: app.name, Region: r },
                  statistic: 'Maximum',
                  period: Duration.minutes(1),
                  region: from,
                  label: `${r} (set from ${from})`,
                }),
            ),
          ),
          leftYAxis: { min: 0 },
          width: 8,
        }),
        new GraphWidget({
          title: `${app.name}: replica lag (s)`,
          left: [
            ...standbys.map((r) => replicaLag(app, r)),
            ...app.stores.flatMap((store) => standbys.map((r) => storeLag(store, r))),
          ],
          leftYAxis: { min: 0 },
          leftAnnotations: [{ value: app.automation.maxReplicaLagSeconds, label: 'automatic budget' }],
          width: 8,
        }),
        new SingleValueWidget({
          title: `${app.name}: last RTO (s), target ${app.targets.rtoSeconds}`,
          metrics: props.controlPlaneRegions.map(
            (from) =>
              new Metric({
                namespace: LIFEBOAT_NAMESPACE,
                metricName: RTO_METRIC,
                dimensionsMap: { Application: app.name },
                statistic: 'Maximum',
                period: Duration.days(1),
                region: from,
                label: `run in ${from}`,
              }),
          ),
          width: 24,
        }),
      );
    }
    dashboard.addWidgets(
      new GraphWidget({
        title: `Executions started (${where})`,
        left: graphed.map((w) => graphedMetric(w, 'ExecutionsStarted')),
        width: 8,
      }),
      new GraphWidget({
        title: `Executions failed (${where})`,
        left: graphed.map((w) => graphedMetric(w, 'ExecutionsFailed')),
        width: 8,
      }),
      new GraphWidget({
        title: `Oldest approval waiting (s), alarm above ${approvalLimit}`,
        left: graphedRegions.flatMap((r) =>
          APPROVING_WORKFLOWS.map((workflow) => {
            const metric = approvalWait(workflow);
            return graphedRegions.length === 1
              ? metric
              : metric.with({ region: r, label: `${workflow} (${r})` });
          }),
        ),
        leftAnnotations: [{ value: approvalLimit, label: 'alarm' }],
        width: 8,
      }),
    );
  }
}

/** The workflows that wait for Approve or Reject on Slack, each with its oldest wait published. */
const APPROVING_WORKFLOWS: readonly string[] = ['failover', 'failback', 'switchover'];

/** An AWS/States metric of one state machine; labelled for graphs (a labelled alarm metric becomes metric math). */
function statesMetric(w: DashboardWorkflow, metricName: string, labelled = true): Metric {
  return new Metric({
    namespace: 'AWS/States',
    metricName,
    dimensionsMap: { StateMachineArn: w.stateMachineArn },
    statistic: 'Sum',
    period: Duration.minutes(5),
    ...(labelled ? { label: w.name } : {}),
  });
}

function healthChecks(app: ApplicationConfig, ids: Readonly<Record<string, string>> | undefined): IMetric[] {
  if (ids !== undefined) {
    return app.regions.flatMap((r) => {
      const id = ids[r];
      return id === undefined
        ? []
        : [
            new Metric({
              namespace: 'AWS/Route53',
              metricName: 'HealthCheckStatus',
              dimensionsMap: { HealthCheckId: id },
              statistic: 'Minimum',
              period: Duration.minutes(1),
              region: DETECTION_REGION,
              label: r,
            }),
          ];
    });
  }
  return [
    new MathExpression({
      expression: `SEARCH('{AWS/Route53,HealthCheckId} MetricName="HealthCheckStatus"', 'Minimum', 60)`,
      searchRegion: DETECTION_REGION,
      label: '',
      period: Duration.minutes(1),
    }),
  ];
}

/**
 * A store member's `GlobalDatastoreReplicationLag` (seconds), in its region: ElastiCache publishes it
 * per node (`CacheClusterId` `<replication group>-<node>`), so a search on the replication group's id
 * (a partial match of the dimension's value, search-expression-syntax.html) finds its nodes, and the
 * worst of them is the member's lag.
 */
function storeLag(store: StoreConfig, region: string): IMetric {
  const group = store.replicationGroups[region] ?? '';
  return new MathExpression({
    expression: `MAX(SEARCH('{AWS/ElastiCache,CacheClusterId} MetricName="GlobalDatastoreReplicationLag" CacheClusterId=${group}', 'Maximum', 60))`,
    searchRegion: region,
    label: `${region} store ${store.name}`,
    period: Duration.minutes(1),
  });
}

function replicaLag(app: ApplicationConfig, region: string): IMetric {
  const database = app.database;
  if (database.engine === 'rds-read-replica') {
    return new Metric({
      namespace: 'AWS/RDS',
      metricName: 'ReplicaLag',
      dimensionsMap: { DBInstanceIdentifier: database.instances[region] ?? '' },
      statistic: 'Maximum',
      period: Duration.minutes(1),
      region,
      label: region,
    });
  }
  if (database.engine === 'cloudnativepg') {
    const cluster = database.clusters[region];
    return new Metric({
      namespace: database.lagMetric.namespace,
      metricName: database.lagMetric.metricName,
      dimensionsMap: Object.fromEntries(
        (cluster === undefined ? [] : cnpgLagDimensions(cluster)).map((d) => [d.Name ?? '', d.Value ?? '']),
      ),
      statistic: 'Maximum',
      period: Duration.minutes(1),
      region,
      label: region,
    });
  }
  // One id per region: a graph of several standbys holds each one's expression, and CloudWatch
  // refuses two metrics of one graph under the same id.
  const id = `lag_${region.replace(/-/g, '_')}`;
  return new MathExpression({
    expression: `${id} / 1000`,
    usingMetrics: {
      [id]: new Metric({
        namespace: 'AWS/RDS',
        metricName: 'AuroraGlobalDBReplicationLag',
        dimensionsMap: { DBClusterIdentifier: database.clusters[region] ?? '' },
        statistic: 'Maximum',
        period: Duration.minutes(1),
        region,
      }),
    },
    label: region,
    period: Duration.minutes(1),
  });
}
