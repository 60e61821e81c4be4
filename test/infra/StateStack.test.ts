import { Match } from 'aws-cdk-lib/assertions';
import { synthLifeboat, templateOf } from '../support/synth.ts';

describe('StateStack', () => {
  const { stacks } = synthLifeboat();
  const home = templateOf(stacks.states.get('us-east-1')!);

  it('creates the ledger once, as a global table replicated to every control-plane region', () => {
    home.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    for (const region of ['us-west-2', 'eu-west-1']) {
      templateOf(stacks.states.get(region)!).resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    }
    home.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'lifeboat-ledger',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'byKind',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });

  it("gives every replica point-in-time recovery, deletion protection and its own region's key", () => {
    const table = Object.values(home.findResources('AWS::DynamoDB::GlobalTable'))[0] as {
      Properties: {
        Replicas: {
          Region: string;
          PointInTimeRecoverySpecification: unknown;
          DeletionProtectionEnabled: boolean;
          SSESpecification: { KMSMasterKeyId: unknown };
        }[];
        SSESpecification: unknown;
      };
    };
    const replicas = table.Properties.Replicas;
    expect(replicas.map((r) => r.Region).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2']);
    for (const replica of replicas) {
      expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(replica.DeletionProtectionEnabled).toBe(true);
    }
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    const keyOf = (region: string) =>
      replicas.find((r) => r.Region === region)!.SSESpecification.KMSMasterKeyId;
    expect(keyOf('us-west-2')).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':kms:us-west-2:123456789012:alias/lifeboat-ledger'],
      ],
    });
    expect(keyOf('us-east-1')).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^LedgerKey/), 'Arn'] });
  });

  it.each(['us-east-1', 'us-west-2', 'eu-west-1'])(
    "lets Lifeboat's CloudWatch alarms in %s (and no others) use the key for the alarm topic",
    (region) => {
      templateOf(stacks.states.get(region)!).hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: 'AllowCloudWatchAlarmsToPublishToTheAlarmTopic',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Resource: '*',
              Condition: {
                StringEquals: { 'aws:SourceAccount': '123456789012' },
                ArnLike: {
                  'aws:SourceArn': Match.objectLike({
                    'Fn::Join': [
                      '',
                      Match.arrayWith([`:cloudwatch:${region}:123456789012:alarm:lifeboat-*`]),
                    ],
                  }),
                },
              },
            },
          ]),
        },
      });
    },
  );

  it('retains the table when the stack is deleted', () => {
    home.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it.each(['us-east-1', 'us-west-2', 'eu-west-1'])(
    'keeps a rotating, retained customer key in %s, usable only through DynamoDB',
    (region) => {
      const t = templateOf(stacks.states.get(region)!);
      t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
      t.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'AllowUseThroughDynamoDB',
              Effect: 'Allow',
              Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey*']),
              Condition: {
                StringEquals: {
                  'kms:ViaService': `dynamodb.${region}.amazonaws.com`,
                  'kms:CallerAccount': '123456789012',
                },
              },
            }),
          ]),
        },
      });
      t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/lifeboat-ledger' });
    },
  );

  it("deploys the replica regions' keys before the table that uses them", () => {
    const deps = stacks.states
      .get('us-east-1')!
      .dependencies.map((s) => s.stackName)
      .sort();
    expect(deps).toEqual(['Lifeboat-State-eu-west-1', 'Lifeboat-State-us-west-2']);
  });
});
