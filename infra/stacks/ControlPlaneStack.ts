import { ArnFormat, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus, Rule, type IRuleTarget } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { ALARM_PREFIX, EVENT_BUS_NAME } from '../../shared/config/naming.ts';
import { retentionDays } from '../constructs/retention.ts';

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

/**
 * The stateless control plane in one region: the `lifeboat` event bus that receives detection
 * events, the rules on it, the functions and the workflows. It runs in every region a workflow may
 * move traffic to, so that it does not fail with the region it is rescuing.
 */
export class ControlPlaneStack extends Stack {
  public readonly eventBus: EventBus;
  public readonly detectionRule: Rule;
  /** Every detection event this region received, for audit and for replaying an incident. */
  public readonly detectionLog: LogGroup;
  public readonly ledgerTableName: string;
  public readonly ledgerTableArn: string;
  public readonly ledgerKey: IKey;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.ledgerKey = props.ledgerKey;
    this.ledgerTableName = config.ledger.tableName;
    this.ledgerTableArn = this.formatArn({
      service: 'dynamodb',
      resource: 'table',
      resourceName: this.ledgerTableName,
    });

    this.eventBus = new EventBus(this, 'Bus', {
      eventBusName: EVENT_BUS_NAME,
      description:
        'Receives Lifeboat detection events forwarded from the detection stack and regional probes',
    });

    this.detectionLog = new LogGroup(this, 'DetectionEvents', {
      logGroupName: '/lifeboat/detection-events',
      retention: retentionDays(config.logRetentionDays),
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
  }
}
