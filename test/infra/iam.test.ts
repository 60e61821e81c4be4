import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { ControlPlaneStack } from '../../infra/stacks/ControlPlaneStack.ts';
import { actionsByOwner, grantsOf, type Grant } from '../support/iamPolicies.ts';
import { synthLifeboat } from '../support/synth.ts';

function logicalId(stack: ControlPlaneStack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/**
 * The exact grants of each control-plane function and workflow, and how each service's resources
 * are scoped. The properties every stack must have (no wildcard actions, `Resource: "*"` only for
 * unscoped actions, who reaches the ledger, its keys and the Slack secrets, the callback's Function
 * URL) are test/reliability/iam.test.ts's.
 */
/** What every state machine's role may do: invoke its functions, deliver its logs, trace. */
const STATE_MACHINE_ACTIONS = [
  'lambda:InvokeFunction',
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
];

/** The state machines that move the writer and the traffic, on the failover's step functions. */
const MOVING_MACHINES = ['failover state machine', 'failback state machine', 'switchover state machine'];

describe('control-plane IAM', () => {
  const { stacks } = synthLifeboat();
  const regions = [...stacks.controlPlanes.keys()];
  const grants = new Map(regions.map((region) => [region, grantsOf(stacks.controlPlanes.get(region)!)]));

  it('limits PutMetricData to the Lifeboat namespace', () => {
    const puts = grants.get('us-west-2')!.filter((g) => g.actions.includes('cloudwatch:PutMetricData'));
    const lifeboatOnly = {
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      condition: { StringEquals: { 'cloudwatch:namespace': 'Lifeboat' } },
    };
    expect(puts).toEqual(
      expect.arrayContaining([
        { owner: 'lifeboat-traffic', ...lifeboatOnly },
        { owner: 'lifeboat-probe', ...lifeboatOnly },
        { owner: 'lifeboat-ledger', ...lifeboatOnly },
        { owner: 'lifeboat-offer', ...lifeboatOnly },
      ]),
    );
    // The fence, the probes, the weights and RTO for the dashboard, the approvals' waiting time.
    expect(puts).toHaveLength(4);
  });

  it.each(regions)(
    'lets the failover, failback and switchover state machines in %s invoke exactly the ten step functions',
    (region) => {
      const stack = stacks.controlPlanes.get(region)!;
      const invokes = grants
        .get(region)!
        .filter((g) => g.actions.includes('lambda:InvokeFunction') && MOVING_MACHINES.includes(g.owner));
      expect(new Set(invokes.map((g) => g.owner))).toEqual(new Set(MOVING_MACHINES));
      const functions = Object.values(stack.failoverFunctions).map((fn) => logicalId(stack, fn.function));
      expect(functions).toHaveLength(10);
      for (const owner of MOVING_MACHINES) {
        const invoked = new Set(
          invokes
            .filter((g) => g.owner === owner)
            .flatMap((g) => g.resources)
            .map((r) => r.replace(/^<(\w+)\.Arn>(:\*)?$/, '$1')),
        );
        expect(invoked).toEqual(new Set(functions));
      }
    },
  );

  it.each(regions)(
    "lets the trigger in %s start the failover, the Slack callback resume waiting tasks and start failbacks, a game day start both, the run-ended recorder read its region's failover, failback and switchover histories, and nothing else",
    (region) => {
      const stack = stacks.controlPlanes.get(region)!;
      // (The schedulers' grants, each on its own state machine, are the backup construct's tests'.)
      const states = grants
        .get(region)!
        .filter((g) => g.actions.some((a) => a.startsWith('states:')) && !g.owner.endsWith(' scheduler'));
      const machines = (workflow: string) =>
        ['us-east-1', 'us-west-2', 'eu-west-1'].map(
          (r) => `arn:<AWS::Partition>:states:${r}:123456789012:stateMachine:lifeboat-${workflow}`,
        );
      const byOwner = (a: Grant, b: Grant) =>
        `${a.owner}${a.actions.join()}`.localeCompare(`${b.owner}${b.actions.join()}`);
      expect([...states].sort(byOwner)).toEqual(
        [
          {
            owner: 'lifeboat-trigger',
            actions: ['states:StartExecution'],
            resources: [`<${logicalId(stack, stack.failover.stateMachine)}>`],
          },
          {
            owner: 'lifeboat-slack-callback',
            actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
            // A task token is no resource: only "*" matches these actions.
            resources: ['*'],
          },
          {
            owner: 'lifeboat-slack-callback',
            actions: ['states:StartExecution'],
            resources: machines('failback'),
          },
          // What a stopped run had changed, read from its history in this region only.
          ...['failover', 'failback', 'switchover'].map((w) => ({
            owner: 'lifeboat-run-ended',
            actions: ['states:GetExecutionHistory'],
            resources: [`arn:<AWS::Partition>:states:${region}:123456789012:execution:lifeboat-${w}:*`],
          })),
          // A region evacuation starts each application's failover in the region it moves to.
          {
            owner: 'lifeboat-evacuation',
            actions: ['states:StartExecution'],
            resources: machines('failover'),
          },
          // The drill application's game day runs from its first standby, in both its regions.
          ...(region === 'us-west-2'
            ? [
                {
                  owner: 'lifeboat-drill',
                  actions: ['states:StartExecution'],
                  resources: ['us-east-1', 'us-west-2'].flatMap((r) =>
                    ['failover', 'failback'].map(
                      (w) => `arn:<AWS::Partition>:states:${r}:123456789012:stateMachine:lifeboat-${w}`,
                    ),
                  ),
                },
              ]
            : []),
        ].sort(byOwner),
      );
    },
  );

  it('grants each function the actions its steps call and no others', () => {
    expect(actionsByOwner(grants.get('us-west-2')!)).toEqual({
      'lifeboat-failover-input': [
        'dynamodb:PutItem',
        'dynamodb:Query',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'route53:ListResourceRecordSets',
      ],
      'lifeboat-lock': [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
      ],
      'lifeboat-preflight': [
        'cloudwatch:DescribeAlarms',
        'cloudwatch:GetMetricData',
        'dynamodb:Query',
        'eks:DescribeCluster',
        'elasticache:DescribeGlobalReplicationGroups',
        'elasticache:DescribeReplicationGroups',
        'kms:Decrypt',
        'rds:DescribeDBInstances',
        'rds:DescribeGlobalClusters',
      ],
      // The example's smoke-test Job: the clusters it runs in (no Lambda step, so no invoke).
      'lifeboat-custom': ['eks:DescribeCluster'],
      'lifeboat-database': [
        'cloudwatch:GetMetricData',
        'elasticache:DescribeGlobalReplicationGroups',
        'elasticache:DescribeReplicationGroups',
        'elasticache:FailoverGlobalReplicationGroup',
        'rds:AddTagsToResource',
        'rds:CreateDBInstanceReadReplica',
        'rds:DescribeDBInstances',
        'rds:DescribeGlobalClusters',
        'rds:FailoverGlobalCluster',
        'rds:ModifyDBInstance',
        'rds:PromoteReadReplica',
        'rds:SwitchoverGlobalCluster',
      ],
      'lifeboat-workloads': ['eks:DescribeCluster', 'eks:DescribeNodegroup', 'eks:UpdateNodegroupConfig'],
      'lifeboat-traffic': [
        'cloudwatch:DescribeAlarms',
        'cloudwatch:GetMetricData',
        'cloudwatch:PutMetricData',
        'rds:DescribeDBInstances',
        'rds:DescribeGlobalClusters',
        'route53:ChangeResourceRecordSets',
        'route53:GetChange',
        'route53:ListHealthChecks',
        'route53:ListTagsForResources',
      ],
      'lifeboat-ledger': [
        'cloudwatch:PutMetricData',
        'dynamodb:PutItem',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
      ],
      'lifeboat-notify': ['events:PutEvents', 'secretsmanager:GetSecretValue'],
      'lifeboat-approval': [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'secretsmanager:GetSecretValue',
      ],
      'lifeboat-slack-callback': [
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'secretsmanager:GetSecretValue',
        'states:SendTaskFailure',
        'states:SendTaskSuccess',
        'states:StartExecution',
      ],
      'lifeboat-offer': [
        'cloudwatch:PutMetricData',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'rds:DescribeDBInstances',
        'rds:DescribeGlobalClusters',
        'route53:ListResourceRecordSets',
        'secretsmanager:GetSecretValue',
      ],
      // The record of a run that could not write its own (Query, PutItem) and its lock (GetItem, PutItem).
      'lifeboat-run-ended': [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'events:PutEvents',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'secretsmanager:GetSecretValue',
        'states:GetExecutionHistory',
      ],
      'lifeboat-trigger': [
        'cloudwatch:DescribeAlarms',
        'cloudwatch:GetMetricData',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'eks:DescribeNodegroup',
        'elasticache:DescribeReplicationGroups',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'route53:ListResourceRecordSets',
        'states:StartExecution',
      ],
      'lifeboat-probe': ['cloudwatch:PutMetricData'],
      'events rule RegionalDetectionRule': ['events:PutEvents'],
      'failover state machine': STATE_MACHINE_ACTIONS,
      'lifeboat-evacuation': [
        'cloudwatch:DescribeAlarms',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'route53:ListResourceRecordSets',
        'states:StartExecution',
      ],
      'region-evacuation state machine': STATE_MACHINE_ACTIONS,
      'failback state machine': STATE_MACHINE_ACTIONS,
      'switchover state machine': STATE_MACHINE_ACTIONS,
      'backup state machine': STATE_MACHINE_ACTIONS,
      'backup scheduler': ['sqs:SendMessage', 'states:StartExecution'],
      'restore-test state machine': STATE_MACHINE_ACTIONS,
      'restore-test scheduler': ['sqs:SendMessage', 'states:StartExecution'],
      'drill state machine': STATE_MACHINE_ACTIONS,
      'drill scheduler': ['sqs:SendMessage', 'states:StartExecution'],
      'lifeboat-backup': [
        'dynamodb:PutItem',
        'kms:CreateGrant',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'rds:AddTagsToResource',
        'rds:CopyDBClusterSnapshot',
        'rds:CopyDBSnapshot',
        'rds:CreateDBClusterSnapshot',
        'rds:CreateDBSnapshot',
        'rds:DeleteDBClusterSnapshot',
        'rds:DeleteDBSnapshot',
        'rds:DescribeDBClusterSnapshots',
        'rds:DescribeDBInstances',
        'rds:DescribeDBSnapshots',
        'rds:DescribeGlobalClusters',
        'secretsmanager:GetSecretValue',
      ],
      'lifeboat-restore-test': [
        'dynamodb:PutItem',
        'kms:CreateGrant',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'rds:AddTagsToResource',
        'rds:CreateDBInstance',
        'rds:DeleteDBCluster',
        'rds:DeleteDBInstance',
        'rds:DescribeDBClusterSnapshots',
        'rds:DescribeDBClusters',
        'rds:DescribeDBInstances',
        'rds:DescribeDBSnapshots',
        'rds:RestoreDBClusterFromSnapshot',
        'rds:RestoreDBInstanceFromDBSnapshot',
        'secretsmanager:GetSecretValue',
      ],
      'lifeboat-drill': [
        'cloudwatch:DescribeAlarms',
        'cloudwatch:GetMetricData',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'eks:DescribeCluster',
        'eks:DescribeNodegroup',
        'elasticache:DescribeGlobalReplicationGroups',
        'elasticache:DescribeReplicationGroups',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'rds:DescribeDBClusterSnapshots',
        'rds:DescribeDBInstances',
        'rds:DescribeDBSnapshots',
        'rds:DescribeGlobalClusters',
        'route53:ListResourceRecordSets',
        'secretsmanager:GetSecretValue',
        'states:StartExecution',
      ],
    });
  });

  it("scopes promotion to this region's instance, the failback's rename and replica to the application's instances, and the global actions to the global cluster with its members", () => {
    const rds = grants
      .get('us-west-2')!
      .filter((g) => g.owner === 'lifeboat-database' && g.actions[0]!.startsWith('rds:'));
    const byAction: Record<string, string[]> = {};
    for (const g of rds) for (const a of g.actions) byAction[a] = [...(byAction[a] ?? []), ...g.resources];
    const instances = [
      'arn:<AWS::Partition>:rds:us-east-1:123456789012:db:ai-gateway-db-use1',
      'arn:<AWS::Partition>:rds:us-west-2:123456789012:db:ai-gateway-db-usw2',
      'arn:<AWS::Partition>:rds:eu-west-1:123456789012:db:ai-gateway-db-euw1',
    ];
    const members = [
      'arn:<AWS::Partition>:rds::123456789012:global-cluster:ai-gateway-drill-global',
      'arn:<AWS::Partition>:rds:us-east-1:123456789012:cluster:ai-gateway-drill-use1',
      'arn:<AWS::Partition>:rds:us-west-2:123456789012:cluster:ai-gateway-drill-usw2',
    ];
    expect(byAction).toEqual({
      'rds:PromoteReadReplica': ['arn:<AWS::Partition>:rds:us-west-2:123456789012:db:ai-gateway-db-usw2'],
      'rds:DescribeDBInstances': instances,
      'rds:ModifyDBInstance': instances,
      // A new replica is authorized against its option, parameter and subnet groups too: the
      // region's defaults, and the default subnet group where the config names none.
      'rds:CreateDBInstanceReadReplica': [
        ...instances,
        ...['us-east-1', 'us-west-2', 'eu-west-1'].flatMap((r) => [
          `arn:<AWS::Partition>:rds:${r}:123456789012:subgrp:default`,
          `arn:<AWS::Partition>:rds:${r}:123456789012:og:default:*`,
          `arn:<AWS::Partition>:rds:${r}:123456789012:pg:default.*`,
        ]),
      ],
      'rds:AddTagsToResource': instances,
      'rds:SwitchoverGlobalCluster': members,
      'rds:DescribeGlobalClusters': [
        'arn:<AWS::Partition>:rds::123456789012:global-cluster:ai-gateway-drill-global',
      ],
      'rds:FailoverGlobalCluster': [
        'arn:<AWS::Partition>:rds::123456789012:global-cluster:ai-gateway-drill-global',
        'arn:<AWS::Partition>:rds:us-east-1:123456789012:cluster:ai-gateway-drill-use1',
        'arn:<AWS::Partition>:rds:us-west-2:123456789012:cluster:ai-gateway-drill-usw2',
      ],
    });
  });

  it("scopes the store actions to the Global Datastore and the application's members, and grants the failover only to the database function", () => {
    const storeGrants = (owner: string) =>
      grants
        .get('us-west-2')!
        .filter((g) => g.owner === owner && g.actions[0]!.startsWith('elasticache:'))
        .map((g) => [g.actions, g.resources]);
    const global =
      'arn:<AWS::Partition>:elasticache::123456789012:globalreplicationgroup:ldgnf-ai-gateway-budgets';
    const member =
      'arn:<AWS::Partition>:elasticache:us-west-2:123456789012:replicationgroup:ai-gateway-budgets-usw2';
    // FollowWriter and RestoreStandby read the other regions' members too.
    const members = [
      'eu-west-1:123456789012:replicationgroup:ai-gateway-budgets-euw1',
      'us-east-1:123456789012:replicationgroup:ai-gateway-budgets-use1',
      'us-west-2:123456789012:replicationgroup:ai-gateway-budgets-usw2',
    ].map((m) => `arn:<AWS::Partition>:elasticache:${m}`);
    expect(storeGrants('lifeboat-database')).toEqual([
      [
        ['elasticache:DescribeGlobalReplicationGroups', 'elasticache:FailoverGlobalReplicationGroup'],
        [global],
      ],
      [['elasticache:DescribeReplicationGroups'], members],
    ]);
    expect(storeGrants('lifeboat-preflight')).toEqual([
      [['elasticache:DescribeGlobalReplicationGroups'], [global]],
      [['elasticache:DescribeReplicationGroups'], [member]],
    ]);
  });

  it("scopes the EKS actions to the clusters and configured node groups of this region's applications", () => {
    const eks = grants
      .get('eu-west-1')!
      .filter((g) => g.owner === 'lifeboat-workloads' && g.actions[0]!.startsWith('eks:'));
    // eu-west-1 serves ai-gateway only; a failback there scales its other regions down.
    const regions = ['us-east-1', 'us-west-2', 'eu-west-1'];
    const cluster = (r: string) =>
      `arn:<AWS::Partition>:eks:${r}:123456789012:cluster/ai-gateway-${r === 'us-east-1' ? 'use1' : r === 'us-west-2' ? 'usw2' : 'euw1'}`;
    expect(eks.map((g) => [g.actions, g.resources])).toEqual([
      [['eks:DescribeCluster'], regions.map(cluster)],
      [
        ['eks:DescribeNodegroup', 'eks:UpdateNodegroupConfig'],
        regions.map((r) => `${cluster(r).replace(':cluster/', ':nodegroup/')}/general/*`),
      ],
    ]);
  });

  it("limits record changes to UPSERTs of the applications' records in their zone", () => {
    const changes = grants
      .get('us-west-2')!
      .filter((g) => g.actions.includes('route53:ChangeResourceRecordSets'));
    expect(changes).toEqual([
      {
        owner: 'lifeboat-traffic',
        actions: ['route53:ChangeResourceRecordSets'],
        resources: ['arn:<AWS::Partition>:route53:::hostedzone/Z0LIFEBOATEXAMPLE01'],
        condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': [
              'drill.gateway.example.com',
              'gateway.example.com',
            ],
            'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
            'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
          },
        },
      },
    ]);
  });

  it('reads the detection alarms by name, each in the region it lives in', () => {
    const reads = grants
      .get('us-west-2')!
      .filter((g) => g.owner === 'lifeboat-trigger' && g.actions.includes('cloudwatch:DescribeAlarms'));
    expect(reads).toHaveLength(1);
    expect(reads[0]!.resources).toHaveLength(13);
    expect(reads[0]!.resources).toContain(
      'arn:<AWS::Partition>:cloudwatch:us-east-1:123456789012:alarm:lifeboat-ai-gateway-us-east-1-route53-health',
    );
    expect(reads[0]!.resources).toContain(
      'arn:<AWS::Partition>:cloudwatch:eu-west-1:123456789012:alarm:lifeboat-ai-gateway-us-east-1-probe-from-eu-west-1',
    );
  });

  it("lets the lock read only the lock's table and the ledger key in the other regions", () => {
    const otherRegions = /:(us-east-1|eu-west-1):/;
    const others = grants
      .get('us-west-2')!
      .filter((g) => g.owner === 'lifeboat-lock' && g.resources.some((r) => otherRegions.test(r)));
    expect(others).toEqual([
      {
        owner: 'lifeboat-lock',
        actions: ['dynamodb:GetItem'],
        resources: [
          'arn:<AWS::Partition>:dynamodb:us-east-1:123456789012:table/lifeboat-ledger',
          'arn:<AWS::Partition>:dynamodb:eu-west-1:123456789012:table/lifeboat-ledger',
        ],
      },
      {
        owner: 'lifeboat-lock',
        actions: ['kms:Decrypt'],
        resources: [
          'arn:<AWS::Partition>:kms:us-east-1:123456789012:key/*',
          'arn:<AWS::Partition>:kms:eu-west-1:123456789012:key/*',
        ],
        condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/lifeboat-ledger'] } },
      },
    ]);
  });
});
