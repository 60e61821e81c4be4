import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  TableEncryptionV2,
  TableV2,
  type ReplicaTableProps,
} from 'aws-cdk-lib/aws-dynamodb';
import { AccountRootPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { ALARM_PREFIX, LEDGER_KEY_ALIAS } from '../../shared/config/naming.ts';
import { LEDGER_SCHEMA } from '../../shared/ledger/schema.ts';

export interface StateStackProps extends StackProps {
  readonly config: LifeboatConfig;
  /**
   * The control-plane region whose state stack owns the global table; the other regions hold
   * replicas that this stack creates.
   */
  readonly homeRegion: string;
}

/**
 * The stateful part of Lifeboat in one control-plane region: the ledger's KMS key and, in the home
 * region, the ledger itself as a global table replicated to every control-plane region. Retained on
 * delete; safe to leave in place while control-plane stacks come and go.
 */
export class StateStack extends Stack {
  public readonly key: Key;
  /** The global table; set only in the home region's stack. */
  public readonly table: TableV2 | undefined;
  public readonly tableName: string;

  constructor(scope: Construct, id: string, props: StateStackProps) {
    super(scope, id, props);
    const { config, homeRegion } = props;
    this.tableName = config.ledger.tableName;

    this.key = new Key(this, 'LedgerKey', {
      alias: LEDGER_KEY_ALIAS,
      description: `Encrypts the Lifeboat ledger (${this.tableName}) replica in this region`,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Principals of this account may use the key only through DynamoDB in this region.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowUseThroughDynamoDB',
        effect: Effect.ALLOW,
        principals: [new AccountRootPrincipal()],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncrypt*',
          'kms:GenerateDataKey*',
          'kms:DescribeKey',
          'kms:CreateGrant',
        ],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'kms:ViaService': `dynamodb.${this.region}.amazonaws.com`,
            'kms:CallerAccount': this.account,
          },
        },
      }),
    );

    // The same key encrypts the control plane's alarm topic, so a region pays for one key: Lifeboat's
    // CloudWatch alarms in this account and region may use it to publish there (an AWS service
    // publishing to an encrypted topic needs the key policy's leave,
    // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToTheAlarmTopic',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: {
            'aws:SourceArn': `arn:${this.partition}:cloudwatch:${this.region}:${this.account}:alarm:${ALARM_PREFIX}*`,
          },
        },
      }),
    );

    if (this.region !== homeRegion) {
      this.table = undefined;
      return;
    }

    const replicaRegions = config.controlPlaneRegions.filter((region) => region !== homeRegion);
    const replicas: ReplicaTableProps[] = replicaRegions.map((region) => ({
      region,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
    }));
    // A replica's key must be in the replica's region; the alias is created by that region's state stack.
    const replicaKeyArns = Object.fromEntries(
      replicaRegions.map((region) => [
        region,
        `arn:${this.partition}:kms:${region}:${this.account}:${LEDGER_KEY_ALIAS}`,
      ]),
    );

    this.table = new TableV2(this, 'Ledger', {
      tableName: this.tableName,
      partitionKey: { name: LEDGER_SCHEMA.partitionKey, type: AttributeType.STRING },
      sortKey: { name: LEDGER_SCHEMA.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.customerManagedKey(this.key, replicaKeyArns),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: LEDGER_SCHEMA.expiryAttribute,
      globalSecondaryIndexes: [
        {
          indexName: LEDGER_SCHEMA.byKindIndex,
          partitionKey: { name: LEDGER_SCHEMA.byKindPartitionKey, type: AttributeType.STRING },
          sortKey: { name: LEDGER_SCHEMA.byKindSortKey, type: AttributeType.STRING },
        },
      ],
      replicas,
    });
  }
}
