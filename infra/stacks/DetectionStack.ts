import { CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { CfnHealthCheck } from 'aws-cdk-lib/aws-route53';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { HealthCheckConfig, LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { DETECTION_REGION, EVENT_BUS_NAME, healthCheckAlarmName } from '../../shared/config/naming.ts';
import {
  APPLICATION_TAG,
  REGION_TAG,
  ROLE_TAG,
  type HealthCheckRole,
} from '../../shared/aws/healthCheckDiscovery.ts';
import { DETECTION_EVENT_PATTERN, fenceAlarmName } from './ControlPlaneStack.ts';
import { fenceVoteRegions, recordCheckShape } from '../../shared/aws/CloudWatchFence.ts';

export interface DetectionStackProps extends StackProps {
  readonly config: LifeboatConfig;
}

/** EventBridge allows five targets per rule. */
const TARGETS_PER_RULE = 5;

/**
 * Route 53 health checks and their CloudWatch alarms, in us-east-1 because Route 53 publishes
 * health-check metrics only there, and the rules that forward the alarms' state changes to the
 * `lifeboat` bus of every other control-plane region (a control plane in us-east-1 takes them from
 * its own region's default bus).
 */
export class DetectionStack extends Stack {
  /** Endpoint health check id per application and region (`<app>/<region>`). */
  public readonly healthCheckIds: ReadonlyMap<string, string>;
  /**
   * The calculated health check per application and region (`<app>/<region>`) that the region's
   * weighted record must carry: healthy only while the endpoint answers and no control plane fences it.
   */
  public readonly recordHealthCheckIds: ReadonlyMap<string, string>;
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
    const recordHealthCheckIds = new Map<string, string>();
    const alarms: Alarm[] = [];

    for (const app of config.applications) {
      for (const region of app.regions) {
        const spec = app.healthChecks[region];
        if (spec === undefined) continue; // the config loader guarantees one per region
        const healthCheckId = this.healthCheck(app.name, region, spec);
        healthCheckIds.set(`${app.name}/${region}`, healthCheckId);
        // The record's fence votes: one in its fence region, or one per control plane (CloudWatchFence).
        const voters = fenceVoteRegions(config, app, region);
        const shape = recordCheckShape(voters.length, spec.kind !== 'existing');
        const endpointChecks = [healthCheckId];
        for (let copy = 1; copy < shape.endpointCopies && spec.kind !== 'existing'; copy++) {
          endpointChecks.push(this.healthCheck(app.name, region, spec, copy));
        }
        const recordCheckId = this.recordHealthCheck(
          app.name,
          region,
          endpointChecks,
          voters,
          shape.threshold,
        );
        recordHealthCheckIds.set(`${app.name}/${region}`, recordCheckId);
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

    // Once per bus: the control plane in this region already delivers this region's Lifeboat alarms
    // (these included) to its own bus (ControlPlaneStack's regional detection rule), so forwarding
    // there too would deliver each state change twice.
    const forwardTo = config.controlPlaneRegions.filter((region) => region !== this.region);
    const rules: Rule[] = [];
    for (let i = 0; i < forwardTo.length; i += TARGETS_PER_RULE) {
      const regions = forwardTo.slice(i, i + TARGETS_PER_RULE);
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
    this.recordHealthCheckIds = recordHealthCheckIds;
    this.alarms = alarms;
    this.forwardingRules = rules;
  }

  /**
   * The endpoint check of an application region; `copy` > 0 makes one more check on the same
   * endpoint with the same settings, for the record's calculated check to count the endpoint's
   * health more than once (`recordCheckShape`). Only the first one's status is read and alarmed on.
   */
  private healthCheck(application: string, region: string, spec: HealthCheckConfig, copy = 0): string {
    if (spec.kind === 'existing') return spec.healthCheckId;
    const suffix = copy === 0 ? '' : `-copy${copy}`;
    const check = new CfnHealthCheck(this, `HealthCheck-${application}-${region}${suffix}`, {
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
        { key: 'Name', value: `lifeboat ${application} ${region}${copy === 0 ? '' : ` (copy ${copy})`}` },
        ...this.checkTags(application, region, copy === 0 ? 'endpoint' : 'endpoint-copy'),
      ],
    });
    return check.attrHealthCheckId;
  }

  private checkTags(
    application: string,
    region: string,
    role: HealthCheckRole,
  ): { key: string; value: string }[] {
    return [
      { key: APPLICATION_TAG, value: application },
      { key: REGION_TAG, value: region },
      { key: ROLE_TAG, value: role },
    ];
  }

  /**
   * The check the region's weighted record carries: a calculated check over the endpoint checks
   * and one check per vote region on its fence alarm there, healthy when the endpoint is and a
   * quorum of the votes are open (`recordCheckShape`): with one vote, that vote. A fence alarm's
   * state is read by Route 53's data plane, so fencing needs neither Route 53's control plane nor
   * us-east-1's CloudWatch: any control plane that reaches the record's vote regions decides.
   */
  private recordHealthCheck(
    application: string,
    region: string,
    endpointCheckIds: readonly string[],
    voters: readonly string[],
    threshold: number,
  ): string {
    const fences = voters.map(
      (from) =>
        new CfnHealthCheck(this, `Fence-${application}-${region}-${from}`, {
          healthCheckConfig: {
            type: 'CLOUDWATCH_METRIC',
            alarmIdentifier: { region: from, name: fenceAlarmName(application, region, from) },
            // A vote without data keeps its last state, and so does a vote whose region is down:
            // "Route 53 uses the status of the health check from the last time that CloudWatch had
            // sufficient data" (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html).
            insufficientDataHealthStatus: 'LastKnownStatus',
          },
          healthCheckTags: [
            { key: 'Name', value: `lifeboat ${application} ${region} fence vote in ${from}` },
            { key: APPLICATION_TAG, value: application },
            { key: REGION_TAG, value: region },
            { key: ROLE_TAG, value: 'fence' },
          ],
        }),
    );
    const children = [...endpointCheckIds, ...fences.map((f) => f.attrHealthCheckId)];
    const record = new CfnHealthCheck(this, `Record-${application}-${region}`, {
      healthCheckConfig: {
        type: 'CALCULATED',
        childHealthChecks: children,
        healthThreshold: threshold,
      },
      healthCheckTags: [
        { key: 'Name', value: `lifeboat ${application} ${region} record` },
        ...this.checkTags(application, region, 'record'),
      ],
    });
    new CfnOutput(this, `RecordHealthCheck-${application}-${region}`, {
      value: record.attrHealthCheckId,
      description: `The health check the weighted record of ${application} in ${region} must carry (HealthCheckId): its endpoint and its fence ${voters.length === 1 ? 'vote' : 'votes'} in ${voters.join(', ')}`,
    });
    return record.attrHealthCheckId;
  }
}
