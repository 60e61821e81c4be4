import { Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { CfnHealthCheck } from 'aws-cdk-lib/aws-route53';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { HealthCheckConfig, LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { DETECTION_REGION, EVENT_BUS_NAME, healthCheckAlarmName } from '../../shared/config/naming.ts';
import { DETECTION_EVENT_PATTERN } from './ControlPlaneStack.ts';

export interface DetectionStackProps extends StackProps {
  readonly config: LifeboatConfig;
}

/** EventBridge allows five targets per rule. */
const TARGETS_PER_RULE = 5;

/**
 * Route 53 health checks and their CloudWatch alarms, in us-east-1 because Route 53 publishes
 * health-check metrics only there, and the rules that forward the alarms' state changes to the
 * `lifeboat` bus of every control-plane region.
 */
export class DetectionStack extends Stack {
  /** Health check id per application and region (`<app>/<region>`). */
  public readonly healthCheckIds: ReadonlyMap<string, string>;
  public readonly alarms: readonly Alarm[];
  public readonly forwardingRules: readonly Rule[];
  /** Events that could not be delivered to a control-plane region after EventBridge's retries. */
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: DetectionStackProps) {
    super(scope, id, props);
    if (this.region !== DETECTION_REGION) {
      throw new Error(
        `DetectionStack must be deployed to ${DETECTION_REGION}, where Route 53 publishes health-check metrics (got ${this.region})`,
      );
    }
    const { config } = props;
    const healthCheckIds = new Map<string, string>();
    const alarms: Alarm[] = [];

    for (const app of config.applications) {
      for (const region of app.regions) {
        const spec = app.healthChecks[region];
        if (spec === undefined) continue; // the config loader guarantees one per region
        const healthCheckId = this.healthCheck(app.name, region, spec);
        healthCheckIds.set(`${app.name}/${region}`, healthCheckId);
        alarms.push(
          new Alarm(this, `Health-${app.name}-${region}`, {
            alarmName: healthCheckAlarmName(app.name, region),
            alarmDescription: `Route 53 health check of ${app.name} in ${region} is failing`,
            metric: new Metric({
              namespace: 'AWS/Route53',
              metricName: 'HealthCheckStatus',
              dimensionsMap: { HealthCheckId: healthCheckId },
              statistic: 'Minimum',
              period: Duration.minutes(1),
              region: DETECTION_REGION,
            }),
            threshold: 1,
            comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluationPeriods: 1,
            datapointsToAlarm: 1,
            // Route 53's checkers run outside the failed region; missing data means CloudWatch
            // itself is unavailable, which says nothing about the application.
            treatMissingData: TreatMissingData.MISSING,
          }),
        );
      }
    }

    this.deadLetterQueue = new Queue(this, 'ForwardingDeadLetters', {
      queueName: 'lifeboat-detection-forwarding-dlq',
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the forwarding rules.',
    });

    const rules: Rule[] = [];
    for (let i = 0; i < config.controlPlaneRegions.length; i += TARGETS_PER_RULE) {
      const regions = config.controlPlaneRegions.slice(i, i + TARGETS_PER_RULE);
      rules.push(
        new Rule(this, `Forward${i / TARGETS_PER_RULE}`, {
          description: `Forwards Lifeboat alarm state changes to the control planes in ${regions.join(', ')}`,
          eventPattern: DETECTION_EVENT_PATTERN,
          targets: regions.map(
            (region) =>
              new EventBusTarget(
                EventBus.fromEventBusArn(
                  this,
                  `Bus-${region}`,
                  `arn:${this.partition}:events:${region}:${this.account}:event-bus/${EVENT_BUS_NAME}`,
                ),
                { deadLetterQueue: this.deadLetterQueue },
              ),
          ),
        }),
      );
    }

    this.healthCheckIds = healthCheckIds;
    this.alarms = alarms;
    this.forwardingRules = rules;
  }

  private healthCheck(application: string, region: string, spec: HealthCheckConfig): string {
    if (spec.kind === 'existing') return spec.healthCheckId;
    const check = new CfnHealthCheck(this, `HealthCheck-${application}-${region}`, {
      healthCheckConfig: {
        type: spec.https ? 'HTTPS' : 'HTTP',
        fullyQualifiedDomainName: spec.endpoint,
        resourcePath: spec.path,
        port: spec.port,
        requestInterval: spec.intervalSeconds,
        failureThreshold: spec.failureThreshold,
        enableSni: spec.https,
      },
      healthCheckTags: [
        { key: 'Name', value: `lifeboat ${application} ${region}` },
        { key: 'lifeboat:application', value: application },
        { key: 'lifeboat:region', value: region },
      ],
    });
    return check.attrHealthCheckId;
  }
}
