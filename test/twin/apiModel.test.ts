import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EKSClient } from '@aws-sdk/client-eks';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, type StartExecutionCommandInput } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { CloudWatchAlarms } from '../../shared/aws/CloudWatchAlarms.ts';
import { CloudWatchFence } from '../../shared/aws/CloudWatchFence.ts';
import { CloudWatchMetrics } from '../../shared/aws/CloudWatchMetrics.ts';
import { CloudWatchTelemetry } from '../../shared/aws/CloudWatchTelemetry.ts';
import { DynamoApprovals } from '../../shared/aws/DynamoApprovals.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { EksWorkloads } from '../../shared/aws/EksWorkloads.ts';
import { discoverHealthCheckIds } from '../../shared/aws/healthCheckDiscovery.ts';
import { LoadBalancerMetrics } from '../../shared/aws/LoadBalancerMetrics.ts';
import { RdsDatabase } from '../../shared/aws/RdsDatabase.ts';
import { RdsSnapshots } from '../../shared/aws/RdsSnapshots.ts';
import { Route53Dns } from '../../shared/aws/Route53Dns.ts';
import { SecretsManagerSecrets } from '../../shared/aws/SecretsManagerSecrets.ts';
import { StepFunctionsControl } from '../../shared/aws/StepFunctionsControl.ts';
import { StepFunctionsWorkflows } from '../../shared/aws/StepFunctionsWorkflows.ts';
import type { ApplicationConfig } from '../../shared/config/LifeboatConfig.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { PROBE_NAMESPACE, probeMetricData } from '../../shared/detection/probeRound.ts';
import type { ApprovalRecord } from '../../shared/ports/Approvals.ts';
import type { SnapshotInfo } from '../../shared/ports/Backups.ts';
import { StepFunctionsStarter } from '../../shared/runtime/lambdaEstate.ts';
import { modelChecker, modelErrors, type ModelFile } from '../../local/twin/apiModel.ts';
import { TWIN_SERVICES, type TwinService } from '../../local/twin/types.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';

const config = loadConfig(EXAMPLE_CONFIG_PATH);

function application(name: string): ApplicationConfig {
  const app = config.applications.find((a) => a.name === name);
  if (app === undefined) throw new Error(`the example config has no application ${name}`);
  return structuredClone(app);
}

/** rds-read-replica, alias records to load balancers. */
const REPLICAS = application('ai-gateway');
/** aurora-global: ai-gateway-drill-use1 (writer) and ai-gateway-drill-usw2. */
const AURORA = application('ai-gateway-drill');

const ACCOUNT = '123456789012';
const T0 = new Date('2030-01-01T06:00:00.000Z');

/** Every operation the twin's model files must hold (the functions' and the operator CLI's calls), by service. */
const OPERATIONS: Readonly<Record<TwinService, readonly string[]>> = {
  route53: [
    'ChangeResourceRecordSets',
    'GetChange',
    'GetHealthCheckStatus',
    'ListResourceRecordSets',
    'ListHealthChecks',
    'ListTagsForResources',
  ],
  elasticache: [
    'DescribeGlobalReplicationGroups',
    'DescribeReplicationGroups',
    'FailoverGlobalReplicationGroup',
  ],
  rds: [
    'DescribeDBInstances',
    'PromoteReadReplica',
    'ModifyDBInstance',
    'RebootDBInstance',
    'CreateDBInstanceReadReplica',
    'DescribeGlobalClusters',
    'FailoverGlobalCluster',
    'SwitchoverGlobalCluster',
    'CreateDBSnapshot',
    'CopyDBSnapshot',
    'DescribeDBSnapshots',
    'DeleteDBSnapshot',
    'RestoreDBInstanceFromDBSnapshot',
    'DeleteDBInstance',
    'CreateDBClusterSnapshot',
    'CopyDBClusterSnapshot',
    'DescribeDBClusterSnapshots',
    'DeleteDBClusterSnapshot',
    'RestoreDBClusterFromSnapshot',
    'CreateDBInstance',
    'DescribeDBClusters',
    'DeleteDBCluster',
    'AddTagsToResource',
    'ListTagsForResource',
  ],
  eks: ['DescribeCluster', 'DescribeNodegroup', 'UpdateNodegroupConfig'],
  cloudwatch: ['GetMetricData', 'PutMetricData', 'DescribeAlarms'],
  dynamodb: ['PutItem', 'GetItem', 'UpdateItem', 'DeleteItem', 'Query', 'DescribeTable'],
  sfn: [
    'StartExecution',
    'SendTaskSuccess',
    'SendTaskFailure',
    'DescribeExecution',
    'GetExecutionHistory',
    'ListStateMachines',
    'StopExecution',
  ],
  secretsmanager: ['GetSecretValue'],
  events: ['PutEvents'],
  lambda: ['Invoke'],
};

/** A weighted alias record change, as Route53Dns sends it. */
function weightChange(fields: Record<string, unknown> = {}, change: Record<string, unknown> = {}) {
  return {
    HostedZoneId: 'Z0LIFEBOATEXAMPLE01',
    ChangeBatch: {
      Comment: 'Lifeboat failover-1: us-west-2=100',
      Changes: [
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: 'gateway.example.com',
            Type: 'A',
            SetIdentifier: 'ai-gateway-usw2',
            Weight: 100,
            HealthCheckId: '22222222-2222-4222-8222-222222222222',
            AliasTarget: {
              HostedZoneId: 'Z1H1FL5HABSF5',
              DNSName: 'ai-gateway-usw2-1234567890.us-west-2.elb.amazonaws.com',
              EvaluateTargetHealth: false,
            },
            ...fields,
          },
          ...change,
        },
      ],
    },
  };
}

describe('modelErrors', () => {
  it('returns no errors when a request fits the model', () => {
    expect(modelErrors('route53', 'ChangeResourceRecordSets', weightChange())).toEqual([]);
  });

  it('reports a missing required member by its path', () => {
    expect(modelErrors('rds', 'PromoteReadReplica', {})).toEqual(['DBInstanceIdentifier: required']);
    expect(
      modelErrors('route53', 'ChangeResourceRecordSets', weightChange({}, { Action: undefined })),
    ).toEqual(['ChangeBatch.Changes[0].Action: required']);
  });

  it('treats a member that is null as missing, as the SDK does', () => {
    expect(modelErrors('rds', 'PromoteReadReplica', { DBInstanceIdentifier: null })).toEqual([
      'DBInstanceIdentifier: required',
    ]);
  });

  it('keeps a member required when the model also gives it a default', () => {
    const change = weightChange({
      AliasTarget: { HostedZoneId: 'Z1H1FL5HABSF5', DNSName: 'lb.us-west-2.elb.amazonaws.com' },
    });
    expect(modelErrors('route53', 'ChangeResourceRecordSets', change)).toEqual([
      'ChangeBatch.Changes[0].ResourceRecordSet.AliasTarget.EvaluateTargetHealth: required',
    ]);
  });

  it('accepts optional members left undefined', () => {
    expect(modelErrors('sfn', 'ListStateMachines', { maxResults: 100, nextToken: undefined })).toEqual([]);
    // The operator's lifeboat stop: an error and a cause within Step Functions' limits.
    const execution = 'arn:aws:states:us-west-2:123456789012:execution:lifeboat-failover:run-1';
    expect(
      modelErrors('sfn', 'StopExecution', {
        executionArn: execution,
        error: 'StoppedByOperator',
        cause: 'x',
      }),
    ).toEqual([]);
    expect(modelErrors('sfn', 'StopExecution', { executionArn: execution, error: 'e'.repeat(257) })).toEqual([
      expect.stringContaining('error'),
    ]);
  });

  it('reports a member of the wrong type with what it got', () => {
    expect(modelErrors('route53', 'ChangeResourceRecordSets', weightChange({ Weight: '100' }))).toEqual([
      'ChangeBatch.Changes[0].ResourceRecordSet.Weight: expected an integer (long), got "100"',
    ]);
    expect(
      modelErrors('cloudwatch', 'GetMetricData', {
        StartTime: '2030-01-01T06:00:00.000Z',
        EndTime: T0,
        MetricDataQueries: { Id: 'lag' },
      }),
    ).toEqual([
      'StartTime: expected a timestamp (Date), got "2030-01-01T06:00:00.000Z"',
      'MetricDataQueries: expected a list, got an object',
    ]);
    expect(
      modelErrors('rds', 'DeleteDBInstance', { DBInstanceIdentifier: 'db', SkipFinalSnapshot: 'yes' }),
    ).toEqual(['SkipFinalSnapshot: expected a boolean, got "yes"']);
    expect(modelErrors('rds', 'PromoteReadReplica', 'db-1')).toEqual([
      'input: expected a structure (PromoteReadReplicaMessage), got "db-1"',
    ]);
  });

  it('reports a number that is not an integer where the model wants one', () => {
    expect(modelErrors('route53', 'ChangeResourceRecordSets', weightChange({ Weight: 12.5 }))).toEqual([
      'ChangeBatch.Changes[0].ResourceRecordSet.Weight: 12.5 is not an integer',
    ]);
  });

  it('reports an invalid Date as a timestamp', () => {
    expect(
      modelErrors('cloudwatch', 'GetMetricData', {
        StartTime: new Date(Number.NaN),
        EndTime: T0,
        MetricDataQueries: [],
      }),
    ).toEqual(['StartTime: an invalid Date']);
  });

  it('reports a value outside an enum, listing the allowed ones', () => {
    expect(
      modelErrors('route53', 'ChangeResourceRecordSets', weightChange({}, { Action: 'UPSERTT' })),
    ).toEqual(['ChangeBatch.Changes[0].Action: "UPSERTT" is not one of CREATE, DELETE, UPSERT']);
    expect(
      modelErrors('dynamodb', 'PutItem', {
        TableName: 'lifeboat-ledger',
        Item: { pk: { S: 'x' } },
        ReturnValuesOnConditionCheckFailure: 'ALL_NEW',
      }),
    ).toEqual(['ReturnValuesOnConditionCheckFailure: "ALL_NEW" is not one of ALL_OLD, NONE']);
  });

  it('reports a string, list or map outside its length', () => {
    expect(
      modelErrors('route53', 'ChangeResourceRecordSets', {
        HostedZoneId: 'Z0LIFEBOATEXAMPLE01',
        ChangeBatch: { Comment: 'x'.repeat(257), Changes: [] },
      }),
    ).toEqual([
      'ChangeBatch.Comment: length 257 is above the maximum 256',
      'ChangeBatch.Changes: length 0 is below the minimum 1',
    ]);
    expect(modelErrors('sfn', 'SendTaskSuccess', { taskToken: '', output: '{}' })).toEqual([
      'taskToken: length 0 is below the minimum 1',
    ]);
    expect(
      modelErrors('cloudwatch', 'DescribeAlarms', {
        AlarmNames: Array.from({ length: 101 }, (_, i) => `a${i}`),
      }),
    ).toEqual(['AlarmNames: length 101 is above the maximum 100']);
  });

  it('counts a string length in code points, as Smithy does', () => {
    const emoji = '\u{1F6DF}'.repeat(256);
    expect(
      modelErrors('route53', 'ChangeResourceRecordSets', {
        ...weightChange(),
        ChangeBatch: { ...weightChange().ChangeBatch, Comment: emoji },
      }),
    ).toEqual([]);
  });

  it('reports a number outside its range', () => {
    expect(modelErrors('route53', 'ChangeResourceRecordSets', weightChange({ Weight: 300 }))).toEqual([
      'ChangeBatch.Changes[0].ResourceRecordSet.Weight: 300 is above the maximum 255',
    ]);
    expect(modelErrors('route53', 'ChangeResourceRecordSets', weightChange({ Weight: -1 }))).toEqual([
      'ChangeBatch.Changes[0].ResourceRecordSet.Weight: -1 is below the minimum 0',
    ]);
  });

  it('reports a string that does not match its pattern', () => {
    expect(
      modelErrors('dynamodb', 'Query', {
        TableName: 'lifeboat-ledger',
        IndexName: 'by kind',
        KeyConditionExpression: '#pk = :pk',
      }),
    ).toEqual(['IndexName: "by kind" does not match the pattern ^[a-zA-Z0-9_.-]+$']);
    expect(
      modelErrors('rds', 'SwitchoverGlobalCluster', {
        GlobalClusterIdentifier: 'ai-gateway-drill-global',
        TargetDbClusterIdentifier: '1-not-a-cluster',
      }),
    ).toEqual([
      'TargetDbClusterIdentifier: "1-not-a-cluster" does not match the pattern ^[A-Za-z][0-9A-Za-z-:._]*$',
    ]);
  });

  it('reports a member the shape does not have, naming the shape', () => {
    expect(modelErrors('rds', 'PromoteReadReplica', { DBInstanceIdentifier: 'db', Foo: 1 })).toEqual([
      'Foo: not a member of PromoteReadReplicaMessage',
    ]);
    expect(modelErrors('route53', 'ChangeResourceRecordSets', weightChange({ Ttl: 60 }))).toEqual([
      'ChangeBatch.Changes[0].ResourceRecordSet.Ttl: not a member of ResourceRecordSet',
    ]);
  });

  it('reports a union with two members set, or none', () => {
    expect(
      modelErrors('dynamodb', 'PutItem', {
        TableName: 'lifeboat-ledger',
        Item: { pk: { S: 'APP#a', N: '1' }, details: { M: { steps: { L: [{ S: 'x' }, {}] } } } },
      }),
    ).toEqual([
      'Item["pk"]: exactly one member of AttributeValue must be set, got 2 (S, N)',
      'Item["details"].M["steps"].L[1]: exactly one member of AttributeValue must be set, got none',
    ]);
  });

  it('checks the members of a union and its map keys', () => {
    expect(
      modelErrors('dynamodb', 'GetItem', {
        TableName: 'lifeboat-ledger',
        Key: { pk: { S: 7 }, sk: { BOOL: true, $unknown: ['X', 1] } },
      }),
    ).toEqual([
      'Key["pk"].S: expected a string, got number 7',
      'Key["sk"].$unknown: not a member of AttributeValue',
    ]);
  });

  it('accepts blobs as bytes or strings and rejects anything else', () => {
    const item = (B: unknown) => ({ TableName: 'lifeboat-ledger', Item: { pk: { S: 'a' }, data: { B } } });
    expect(modelErrors('dynamodb', 'PutItem', item(new Uint8Array([1, 2])))).toEqual([]);
    expect(modelErrors('dynamodb', 'PutItem', item(Buffer.from('ab')))).toEqual([]);
    expect(modelErrors('dynamodb', 'PutItem', item('YWI='))).toEqual([]);
    expect(modelErrors('dynamodb', 'PutItem', item(5))).toEqual([
      'Item["data"].B: expected a blob (Uint8Array or string), got number 5',
    ]);
  });

  it('reports a null element of a list', () => {
    expect(modelErrors('cloudwatch', 'DescribeAlarms', { AlarmNames: ['a', null] })).toEqual([
      'AlarmNames[1]: expected a string, got null',
    ]);
  });

  it('reports an operation the service model does not have', () => {
    expect(modelErrors('rds', 'PromoteReadReplicaa', {})).toEqual([
      'rds has no operation PromoteReadReplicaa in its API model',
    ]);
    expect(modelErrors('dynamodb', 'toString', {})).toEqual([
      'dynamodb has no operation toString in its API model',
    ]);
  });

  it('has every operation the functions call, for every service', () => {
    const missing = TWIN_SERVICES.flatMap((service) =>
      OPERATIONS[service].filter((operation) =>
        modelErrors(service, operation, {}).some((e) => e.includes('has no operation')),
      ),
    );
    expect(missing).toEqual([]);
  });

  it('names where each model file came from', () => {
    for (const service of TWIN_SERVICES) {
      const file = JSON.parse(
        readFileSync(new URL(`../../local/twin/models/${service}.json`, import.meta.url), 'utf8'),
      ) as ModelFile;
      expect(file.source).toEqual(
        expect.objectContaining({ repository: 'https://github.com/aws/api-models-aws', smithy: '2.0' }),
      );
      expect(file.source.path).toMatch(/\/service\/\d{4}-\d{2}-\d{2}\/[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.json$/);
      expect(Object.keys(file.operations).sort()).toEqual([...OPERATIONS[service]].sort());
    }
  });
});

describe('modelChecker', () => {
  const SOURCE = {
    repository: 'https://github.com/aws/api-models-aws',
    path: 'example/service/2030-01-01/example-2030-01-01.json',
    smithy: '2.0',
    service: 'com.example#Example',
    version: '2030-01-01',
  };
  const check = modelChecker({
    source: SOURCE,
    patternsSkipped: [],
    operations: { Resize: 'ResizeInput' },
    shapes: {
      ResizeInput: {
        type: 'structure',
        members: {
          Name: { target: 'Name', required: true, length: { max: 5 } },
          Size: { target: 'Size', range: { min: 10 } },
          Tier: 'Tier',
          Rank: 'smithy.api#Short',
          Tree: 'Tree',
          Doc: 'smithy.api#Document',
          Labels: { target: 'Labels', length: { max: 1 } },
        },
      },
      Name: { type: 'string', length: { min: 2, max: 20 }, pattern: '^[a-z]+$' },
      Size: { type: 'integer', range: { min: 1, max: 100 } },
      Tier: { type: 'integer', enum: [1, 2, 3] },
      Tree: { type: 'structure', members: { Children: 'TreeList', Label: 'smithy.api#String' } },
      TreeList: { type: 'list', member: 'Tree' },
      Labels: { type: 'map', key: 'Name', value: 'smithy.api#String', length: { max: 10 } },
      'smithy.api#Short': { type: 'short' },
      'smithy.api#String': { type: 'string' },
      'smithy.api#Document': { type: 'document' },
    },
  });

  it("lets a member's constraint replace its target's, keeping the target's others", () => {
    expect(check('Resize', { Name: 'abcdef', Size: 5 })).toEqual([
      'Name: length 6 is above the maximum 5',
      'Size: 5 is below the minimum 10',
    ]);
    expect(check('Resize', { Name: 'a', Size: 100 })).toEqual([]);
    expect(check('Resize', { Name: 'AB' })).toEqual(['Name: "AB" does not match the pattern ^[a-z]+$']);
    expect(check('Resize', { Name: 'ab', Labels: { a: 'x', b: 'y' } })).toEqual([
      'Labels: length 2 is above the maximum 1',
      'Labels key "a": length 1 is below the minimum 2',
      'Labels key "b": length 1 is below the minimum 2',
    ]);
  });

  it('checks an intEnum and the width of an integer type', () => {
    expect(check('Resize', { Name: 'ab', Tier: 4, Rank: 40_000 })).toEqual([
      'Tier: 4 is not one of 1, 2, 3',
      'Rank: 40000 is outside the range of a short',
    ]);
  });

  it('follows a recursive shape and accepts any document', () => {
    expect(
      check('Resize', {
        Name: 'ab',
        Tree: { Children: [{ Children: [{ Label: 1 }] }] },
        Doc: { anything: [1, 'two'] },
      }),
    ).toEqual(['Tree.Children[0].Children[0].Label: expected a string, got number 1']);
  });

  it('answers undefined for an operation the model does not have', () => {
    expect(check('Shrink', {})).toBeUndefined();
  });
});

/** What a mocked client was sent: each command's operation and what the model finds wrong with it. */
function checked(
  mock: { calls(): readonly { readonly args: readonly unknown[] }[] },
  service: TwinService,
): { operation: string; errors: string[] }[] {
  return mock.calls().map((call) => {
    const command = call.args[0] as {
      readonly constructor: { readonly name: string };
      readonly input: unknown;
    };
    const operation = command.constructor.name.replace(/Command$/, '');
    return { operation, errors: modelErrors(service, operation, command.input) };
  });
}

function valid(...operations: string[]): { operation: string; errors: string[] }[] {
  return operations.map((operation) => ({ operation, errors: [] }));
}

describe('modelErrors on what the adapters send', () => {
  const route53 = mockClient(Route53Client);
  const rds = mockClient(RDSClient);
  const eks = mockClient(EKSClient);
  const cloudWatch = mockClient(CloudWatchClient);
  const dynamodb = mockClient(DynamoDBClient);
  const sfn = mockClient(SFNClient);
  const secrets = mockClient(SecretsManagerClient);

  beforeEach(() => {
    for (const mock of [route53, rds, eks, cloudWatch, dynamodb, sfn, secrets]) mock.reset();
  });

  afterAll(() => {
    for (const mock of [route53, rds, eks, cloudWatch, dynamodb, sfn, secrets]) mock.restore();
  });

  describe('Route53Dns', () => {
    const HEALTH_CHECK_IDS = {
      'ai-gateway': {
        'us-east-1': '11111111-1111-4111-8111-111111111111',
        'us-west-2': '22222222-2222-4222-8222-222222222222',
        'eu-west-1': '33333333-3333-4333-8333-333333333333',
      },
    };
    const dns = () => new Route53Dns(new Route53Client({ region: 'us-east-1' }), HEALTH_CHECK_IDS);

    it('accepts ChangeResourceRecordSets of alias records', async () => {
      route53.resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: T0 } });
      await dns().setWeights(
        REPLICAS,
        { 'us-east-1': 0, 'us-west-2': 255, 'eu-west-1': 0 },
        { force: false, by: `failover ${'x'.repeat(300)}` },
      );
      expect(checked(route53, 'route53')).toEqual(valid('ChangeResourceRecordSets'));
    });

    it('accepts ChangeResourceRecordSets of plain records with a TTL', async () => {
      const app = structuredClone(REPLICAS);
      app.dns.recordType = 'CNAME';
      app.dns.ttlSeconds = 30;
      app.dns.records = {
        'us-east-1': { setIdentifier: 'ai-gateway-use1', value: 'use1.gateway.example.com' },
        'us-west-2': { setIdentifier: 'ai-gateway-usw2', value: 'usw2.gateway.example.com' },
        'eu-west-1': { setIdentifier: 'ai-gateway-euw1', value: 'euw1.gateway.example.com' },
      };
      route53.resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: T0 } });
      await dns().setWeights(app, { 'us-east-1': 100, 'us-west-2': 0 }, { force: true, by: 'operator' });
      expect(checked(route53, 'route53')).toEqual(valid('ChangeResourceRecordSets'));
    });

    it('accepts ListResourceRecordSets, first page and next', async () => {
      const record = (setIdentifier: string, weight: number) => ({
        Name: 'gateway.example.com.',
        Type: 'A' as const,
        SetIdentifier: setIdentifier,
        Weight: weight,
      });
      route53
        .resolvesOnce({
          ResourceRecordSets: [record('ai-gateway-use1', 100)],
          IsTruncated: true,
          NextRecordName: 'gateway.example.com.',
          NextRecordType: 'A',
          NextRecordIdentifier: 'ai-gateway-usw2',
          MaxItems: 1,
        })
        .resolvesOnce({
          ResourceRecordSets: [record('ai-gateway-usw2', 0), record('ai-gateway-euw1', 0)],
          IsTruncated: false,
          MaxItems: 100,
        });
      await dns().getWeights(REPLICAS);
      expect(checked(route53, 'route53')).toEqual(valid('ListResourceRecordSets', 'ListResourceRecordSets'));
    });

    it('accepts GetChange', async () => {
      route53.resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: T0 } });
      await dns().getChangeStatus('C0123456789ABCDEFGHIJ');
      expect(checked(route53, 'route53')).toEqual(valid('GetChange'));
    });
  });

  describe('discoverHealthCheckIds', () => {
    it('accepts ListHealthChecks, next page, and ListTagsForResources', async () => {
      const check = (id: string, host: string) => ({
        Id: id,
        CallerReference: id,
        HealthCheckVersion: 1,
        HealthCheckConfig: { Type: 'HTTPS' as const, FullyQualifiedDomainName: host },
      });
      route53
        .resolvesOnce({
          HealthChecks: [check('11111111-1111-4111-8111-111111111111', 'use1.gateway.example.com')],
          IsTruncated: true,
          NextMarker: '11111111-1111-4111-8111-111111111111',
          Marker: '',
          MaxItems: 1000,
        })
        .resolvesOnce({
          HealthChecks: [check('22222222-2222-4222-8222-222222222222', 'usw2.gateway.example.com')],
          IsTruncated: false,
          Marker: '11111111-1111-4111-8111-111111111111',
          MaxItems: 1000,
        })
        .resolves({ ResourceTagSets: [] });
      await discoverHealthCheckIds(new Route53Client({ region: 'us-east-1' }), config);
      expect(checked(route53, 'route53')).toEqual(
        valid('ListHealthChecks', 'ListHealthChecks', 'ListTagsForResources'),
      );
    });
  });

  describe('RdsDatabase', () => {
    const database = () => new RdsDatabase((region) => new RDSClient({ region }));
    const replica = {
      DBInstanceIdentifier: 'ai-gateway-db-usw2',
      DBInstanceArn: `arn:aws:rds:us-west-2:${ACCOUNT}:db:ai-gateway-db-usw2`,
      DBInstanceStatus: 'available',
      ReadReplicaSourceDBInstanceIdentifier: `arn:aws:rds:us-east-1:${ACCOUNT}:db:ai-gateway-db-use1`,
    };
    const global = (writer: 'us-east-1' | 'us-west-2') => ({
      GlobalClusters: [
        {
          GlobalClusterIdentifier: 'ai-gateway-drill-global',
          Status: 'available',
          GlobalClusterMembers: [
            {
              DBClusterArn: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:ai-gateway-drill-use1`,
              IsWriter: writer === 'us-east-1',
            },
            {
              DBClusterArn: `arn:aws:rds:us-west-2:${ACCOUNT}:cluster:ai-gateway-drill-usw2`,
              IsWriter: writer === 'us-west-2',
            },
          ],
        },
      ],
    });

    it('accepts DescribeDBInstances and PromoteReadReplica', async () => {
      rds.resolves({ DBInstances: [replica] });
      await database().promote(REPLICAS, 'us-west-2', { planned: false, by: 'failover-1' });
      expect(checked(rds, 'rds')).toEqual(valid('DescribeDBInstances', 'PromoteReadReplica'));
    });

    it('accepts ModifyDBInstance renaming the old primary', async () => {
      rds.resolves({});
      await database().retire(REPLICAS, 'us-east-1', 'ai-gateway-db-use1-retired-20300101');
      expect(checked(rds, 'rds')).toEqual(valid('ModifyDBInstance'));
    });

    it('accepts CreateDBInstanceReadReplica with the replica options', async () => {
      const app = structuredClone(REPLICAS);
      if (app.database.engine !== 'rds-read-replica') throw new Error('ai-gateway is rds-read-replica');
      app.database.replicas = {
        'us-east-1': {
          dbSubnetGroupName: 'lifeboat-db-subnets',
          vpcSecurityGroupIds: ['sg-0123456789abcdef0'],
          kmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        },
      };
      rds.resolves({ DBInstances: [replica] });
      await database().createReplica(app, 'us-east-1', 'us-west-2');
      expect(checked(rds, 'rds')).toEqual(valid('DescribeDBInstances', 'CreateDBInstanceReadReplica'));
    });

    it('accepts DescribeGlobalClusters and SwitchoverGlobalCluster', async () => {
      rds.resolves(global('us-east-1'));
      await database().promote(AURORA, 'us-west-2', { planned: true, by: 'failover-1' });
      expect(checked(rds, 'rds')).toEqual(valid('DescribeGlobalClusters', 'SwitchoverGlobalCluster'));
    });

    it('accepts FailoverGlobalCluster with data loss allowed', async () => {
      rds.resolves(global('us-east-1'));
      await database().promote(AURORA, 'us-west-2', { planned: false, by: 'failover-1' });
      expect(checked(rds, 'rds')).toEqual(valid('DescribeGlobalClusters', 'FailoverGlobalCluster'));
    });
  });

  describe('RdsSnapshots', () => {
    const snapshots = () => new RdsSnapshots((region) => new RDSClient({ region }));
    const ID = 'lifeboat-ai-gateway-20300101-0600';
    const TAGS = { 'lifeboat:application': 'ai-gateway', 'lifeboat:kind': 'backup' };
    const instanceSnapshot: SnapshotInfo = {
      id: ID,
      arn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:${ID}`,
      region: 'us-east-1',
      status: 'available',
      createdAt: T0.toISOString(),
      sourceId: 'ai-gateway-db-use1',
      engine: 'postgres',
      sizeGiB: 100,
      encrypted: true,
      tags: TAGS,
    };
    const clusterSnapshot: SnapshotInfo = {
      ...instanceSnapshot,
      arn: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster-snapshot:${ID}`,
      sourceId: 'ai-gateway-drill-use1',
      engine: 'aurora-postgresql',
    };
    const KMS = `arn:aws:kms:us-west-2:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const RESTORE = { subnetGroupName: 'lifeboat-restore', instanceClass: 'db.t4g.medium', tags: TAGS };

    it('accepts CreateDBSnapshot', async () => {
      rds.resolves({ DBSnapshot: { DBSnapshotIdentifier: ID, Status: 'creating' } });
      await snapshots().createSnapshot(REPLICAS, 'us-east-1', ID, TAGS);
      expect(checked(rds, 'rds')).toEqual(valid('CreateDBSnapshot'));
    });

    it('accepts CreateDBClusterSnapshot', async () => {
      rds.resolves({ DBClusterSnapshot: { DBClusterSnapshotIdentifier: ID, Status: 'creating' } });
      await snapshots().createSnapshot(AURORA, 'us-east-1', ID, TAGS);
      expect(checked(rds, 'rds')).toEqual(valid('CreateDBClusterSnapshot'));
    });

    it('accepts DescribeDBSnapshots and DescribeDBClusterSnapshots of one snapshot', async () => {
      rds.resolves({});
      await snapshots().describeSnapshot(REPLICAS, 'us-east-1', ID);
      await snapshots().describeSnapshot(AURORA, 'us-east-1', ID);
      expect(checked(rds, 'rds')).toEqual(valid('DescribeDBSnapshots', 'DescribeDBClusterSnapshots'));
    });

    it('accepts CopyDBSnapshot across regions', async () => {
      rds.resolves({ DBSnapshot: { DBSnapshotIdentifier: `${ID}-copy`, Status: 'pending' } });
      await snapshots().copySnapshot(REPLICAS, instanceSnapshot, 'us-west-2', `${ID}-copy`, {
        kmsKeyId: KMS,
        tags: TAGS,
      });
      expect(checked(rds, 'rds')).toEqual(valid('CopyDBSnapshot'));
    });

    it('accepts CopyDBClusterSnapshot across regions', async () => {
      rds.resolves({ DBClusterSnapshot: { DBClusterSnapshotIdentifier: `${ID}-copy`, Status: 'copying' } });
      await snapshots().copySnapshot(AURORA, clusterSnapshot, 'us-west-2', `${ID}-copy`, {
        kmsKeyId: KMS,
        tags: TAGS,
      });
      expect(checked(rds, 'rds')).toEqual(valid('CopyDBClusterSnapshot'));
    });

    it('accepts the manual snapshot listings, first page and next', async () => {
      rds
        .resolvesOnce({ Marker: 'page-2' })
        .resolvesOnce({})
        .resolvesOnce({ Marker: 'page-2' })
        .resolvesOnce({});
      await snapshots().listSnapshots(REPLICAS, 'us-east-1');
      await snapshots().listSnapshots(AURORA, 'us-east-1');
      expect(checked(rds, 'rds')).toEqual(
        valid(
          'DescribeDBSnapshots',
          'DescribeDBSnapshots',
          'DescribeDBClusterSnapshots',
          'DescribeDBClusterSnapshots',
        ),
      );
    });

    it('accepts DeleteDBSnapshot and DeleteDBClusterSnapshot', async () => {
      rds.resolves({});
      await snapshots().deleteSnapshot(REPLICAS, 'us-east-1', ID);
      await snapshots().deleteSnapshot(AURORA, 'us-east-1', ID);
      expect(checked(rds, 'rds')).toEqual(valid('DeleteDBSnapshot', 'DeleteDBClusterSnapshot'));
    });

    it('accepts RestoreDBInstanceFromDBSnapshot', async () => {
      rds.resolves({});
      await snapshots().restore(REPLICAS, instanceSnapshot, 'lifeboat-restore-test-1', RESTORE);
      expect(checked(rds, 'rds')).toEqual(valid('RestoreDBInstanceFromDBSnapshot'));
    });

    it('accepts RestoreDBClusterFromSnapshot, then DescribeDBClusters and CreateDBInstance in the available cluster', async () => {
      rds
        .resolvesOnce({})
        .resolvesOnce({
          DBClusters: [
            {
              DBClusterIdentifier: 'lifeboat-restore-test-1',
              Status: 'available',
              Engine: 'aurora-postgresql',
              DBClusterMembers: [],
            },
          ],
        })
        .resolves({});
      await snapshots().restore(AURORA, clusterSnapshot, 'lifeboat-restore-test-1', RESTORE);
      await snapshots().finishRestore(AURORA, 'us-west-2', 'lifeboat-restore-test-1', {
        instanceClass: RESTORE.instanceClass,
        tags: RESTORE.tags,
      });
      expect(checked(rds, 'rds')).toEqual(
        valid('RestoreDBClusterFromSnapshot', 'DescribeDBClusters', 'CreateDBInstance'),
      );
    });

    it('accepts DescribeDBInstances, DescribeDBClusters and DeleteDBInstance of a restore', async () => {
      rds
        .resolvesOnce({ DBInstances: [{ DBInstanceIdentifier: 'r', DBInstanceStatus: 'available' }] })
        .resolvesOnce({ DBClusters: [{ DBClusterIdentifier: 'r', Status: 'available' }] })
        .resolves({});
      await snapshots().deleteRestore(AURORA, 'us-east-1', 'lifeboat-restore-test-1');
      expect(checked(rds, 'rds')).toEqual(
        valid('DescribeDBInstances', 'DescribeDBClusters', 'DeleteDBInstance'),
      );
    });

    it('accepts DeleteDBCluster once the restore has no instance', async () => {
      rds
        .resolvesOnce({ DBInstances: [] })
        .resolvesOnce({ DBClusters: [{ DBClusterIdentifier: 'r', Status: 'available' }] })
        .resolves({});
      await snapshots().deleteRestore(AURORA, 'us-east-1', 'lifeboat-restore-test-1');
      expect(checked(rds, 'rds')).toEqual(
        valid('DescribeDBInstances', 'DescribeDBClusters', 'DeleteDBCluster'),
      );
    });
  });

  describe('EksWorkloads', () => {
    const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBfakeClusterCA\n-----END CERTIFICATE-----\n';
    const workloads = () =>
      new EksWorkloads({
        clientFor: (region) => new EKSClient({ region }),
        credentials: () => Promise.resolve({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
        request: () => Promise.resolve({ statusCode: 200, body: JSON.stringify({ items: [] }) }),
        now: () => T0,
      });
    const cluster = {
      cluster: {
        name: 'ai-gateway-use1',
        status: 'ACTIVE' as const,
        endpoint: 'https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com',
        certificateAuthority: { data: Buffer.from(CA_PEM).toString('base64') },
      },
    };
    const nodegroup = { nodegroup: { scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 2 } } };

    it('accepts DescribeCluster', async () => {
      eks.resolves(cluster);
      await workloads().clusterReachable(REPLICAS, 'us-east-1');
      expect(checked(eks, 'eks')).toEqual(valid('DescribeCluster'));
    });

    it('accepts DescribeNodegroup', async () => {
      eks.resolves({ ...cluster, ...nodegroup });
      await workloads().describeNodeGroup(REPLICAS, 'us-east-1', 'general');
      expect(checked(eks, 'eks').sort((a, b) => a.operation.localeCompare(b.operation))).toEqual(
        valid('DescribeCluster', 'DescribeNodegroup'),
      );
    });

    it('accepts UpdateNodegroupConfig', async () => {
      eks.resolves(nodegroup);
      await workloads().scaleNodeGroup(REPLICAS, 'us-east-1', 'general', { desired: 6, max: 10 });
      expect(checked(eks, 'eks')).toEqual(valid('DescribeNodegroup', 'UpdateNodegroupConfig'));
    });
  });

  describe('CloudWatch adapters', () => {
    const client = () => new CloudWatchClient({ region: 'us-east-1' });

    it('accepts DescribeAlarms of one alarm (CloudWatchAlarms)', async () => {
      cloudWatch.resolves({
        MetricAlarms: [{ AlarmName: 'lifeboat-ai-gateway', StateValue: 'OK', StateUpdatedTimestamp: T0 }],
      });
      await new CloudWatchAlarms(client).describe('lifeboat-ai-gateway', 'us-east-1');
      expect(checked(cloudWatch, 'cloudwatch')).toEqual(valid('DescribeAlarms'));
    });

    it('accepts PutMetricData of the fence (CloudWatchFence)', async () => {
      cloudWatch.resolves({});
      await new CloudWatchFence(client, {
        controlPlaneRegions: ['us-east-1', 'us-west-2', 'eu-west-1'],
        fenceVotes: 'majority',
      }).setFence(REPLICAS, 'us-east-1', true);
      expect(checked(cloudWatch, 'cloudwatch')).toEqual(
        valid('PutMetricData', 'PutMetricData', 'PutMetricData'),
      );
    });

    it('accepts GetMetricData of replica lag for both engines (CloudWatchMetrics)', async () => {
      cloudWatch.resolves({ MetricDataResults: [] });
      const metrics = new CloudWatchMetrics(client, () => T0);
      await metrics.replicaLagSeconds(REPLICAS, 'us-west-2');
      await metrics.replicaLagSeconds(AURORA, 'us-west-2');
      expect(checked(cloudWatch, 'cloudwatch')).toEqual(valid('GetMetricData', 'GetMetricData'));
    });

    it('accepts GetMetricData of error rate and latency (LoadBalancerMetrics)', async () => {
      cloudWatch.resolves({ MetricDataResults: [] });
      const metrics = new LoadBalancerMetrics(client, () => T0);
      await metrics.errorRatePercent(REPLICAS, 'us-east-1', 300);
      await metrics.latencyMs(REPLICAS, 'us-east-1', 300);
      expect(checked(cloudWatch, 'cloudwatch')).toEqual(valid('GetMetricData', 'GetMetricData'));
    });

    it('accepts PutMetricData of weights, RTO and approval wait (CloudWatchTelemetry)', async () => {
      cloudWatch.resolves({});
      const telemetry = new CloudWatchTelemetry(client(), () => T0);
      await telemetry.weights(REPLICAS, { 'us-east-1': 0, 'us-west-2': 100 });
      await telemetry.rto(REPLICAS, 412.5);
      await telemetry.approvalWait({ failover: 0, failback: 95 });
      expect(checked(cloudWatch, 'cloudwatch')).toEqual(
        valid('PutMetricData', 'PutMetricData', 'PutMetricData'),
      );
    });

    it('accepts the probe minute as PutMetricData input', () => {
      const input = {
        Namespace: PROBE_NAMESPACE,
        MetricData: probeMetricData(
          [
            { application: 'ai-gateway', region: 'us-west-2', success: true },
            { application: 'ai-gateway', region: 'eu-west-1', success: false },
          ] as Parameters<typeof probeMetricData>[0],
          T0,
        ),
      };
      expect(modelErrors('cloudwatch', 'PutMetricData', input)).toEqual([]);
    });
  });

  describe('DynamoLedger', () => {
    const ledger = () => new DynamoLedger(new DynamoDBClient({ region: 'us-east-1' }), 'lifeboat-ledger');

    it('accepts PutItem of a run with nested details', async () => {
      dynamodb.resolves({});
      await ledger().putRun({
        application: 'ai-gateway',
        kind: 'failover',
        executionName: 'failover-ai-gateway-20300101T060000Z',
        startedAt: T0.toISOString(),
        endedAt: '2030-01-01T06:07:00.000Z',
        status: 'SUCCEEDED',
        reason: 'us-east-1 unhealthy',
        error: { name: 'States.Timeout', cause: 'took too long' },
        details: {
          rtoSeconds: 412.5,
          regions: ['us-west-2'],
          forced: false,
          note: null,
          steps: { dns: 'done' },
        },
      });
      expect(checked(dynamodb, 'dynamodb')).toEqual(valid('PutItem'));
    });

    it('accepts the three run Queries', async () => {
      dynamodb.resolves({ Items: [] });
      await ledger().listRuns('ai-gateway', 'failover', 5);
      await ledger().listRunsBetween(
        'ai-gateway',
        'backup',
        { from: T0.toISOString(), to: '2030-01-02T06:00:00.000Z' },
        10,
      );
      await ledger().listRunsByKind('drill', 20);
      expect(checked(dynamodb, 'dynamodb')).toEqual(valid('Query', 'Query', 'Query'));
    });

    it('accepts the conditional PutItem of a lock', async () => {
      dynamodb.resolves({});
      await ledger().acquireLock('ai-gateway', 'failover-1', T0, 900);
      expect(checked(dynamodb, 'dynamodb')).toEqual(valid('PutItem'));
    });

    it('accepts the conditional DeleteItem releasing a lock', async () => {
      dynamodb.resolves({});
      await ledger().releaseLock('ai-gateway', 'failover-1');
      expect(checked(dynamodb, 'dynamodb')).toEqual(valid('DeleteItem'));
    });

    it('accepts GetItem of a lock and of a health record', async () => {
      dynamodb.resolves({});
      await ledger().getLock('ai-gateway');
      await ledger().getHealth('ai-gateway', 'us-east-1');
      expect(checked(dynamodb, 'dynamodb')).toEqual(valid('GetItem', 'GetItem'));
    });

    it('accepts the conditional PutItem of a health record', async () => {
      dynamodb.resolves({});
      await ledger().recordHealth({
        application: 'ai-gateway',
        region: 'us-east-1',
        state: 'ALARM',
        since: T0.toISOString(),
      });
      expect(checked(dynamodb, 'dynamodb')).toEqual(valid('PutItem'));
    });
  });

  describe('DynamoApprovals', () => {
    const approvals = () =>
      new DynamoApprovals(new DynamoDBClient({ region: 'us-east-1' }), 'lifeboat-ledger');
    const APPROVAL: ApprovalRecord = {
      id: 'k3v9x2m8q1',
      kind: 'step',
      application: 'ai-gateway',
      workflow: 'failover',
      targetRegion: 'us-west-2',
      executionName: 'failover-ai-gateway-20300101T060000Z',
      taskToken: 'AQB8AAAAKgAAAAMAAAAA'.repeat(30),
      channel: 'C0LIFEBOAT1',
      summary: 'Fail ai-gateway over to us-west-2?',
      status: 'PENDING',
      createdAt: T0.toISOString(),
      expiresAt: '2030-01-01T07:00:00.000Z',
    };

    it('accepts the conditional PutItem creating an approval', async () => {
      dynamodb.resolves({});
      await approvals().create(APPROVAL);
      expect(checked(dynamodb, 'dynamodb')).toEqual(valid('PutItem'));
    });

    it('accepts GetItem of an approval', async () => {
      dynamodb.resolves({});
      await approvals().get(APPROVAL.id);
      expect(checked(dynamodb, 'dynamodb')).toEqual(valid('GetItem'));
    });

    it('accepts the UpdateItem attaching the message, token and deadline', async () => {
      dynamodb.resolves({});
      await approvals().attach(APPROVAL.id, {
        messageTs: '1893477600.000100',
        taskToken: 'token',
        expiresAt: '2030-01-01T07:30:00.000Z',
      });
      expect(checked(dynamodb, 'dynamodb')).toEqual(valid('UpdateItem'));
    });

    it('accepts the UpdateItems deciding, closing and consuming an approval', async () => {
      dynamodb.resolves({});
      await approvals().decide(APPROVAL.id, { status: 'APPROVED', by: 'U0APPROVER', at: T0 });
      await approvals().close(APPROVAL.id, 'TIMED_OUT', T0);
      await approvals().consume(APPROVAL.id, 'failback-ai-gateway-1');
      expect(checked(dynamodb, 'dynamodb')).toEqual(valid('UpdateItem', 'UpdateItem', 'UpdateItem'));
    });

    it('accepts the UpdateItems of its delivery', async () => {
      dynamodb.resolves({});
      await approvals().claimDelivery(APPROVAL.id, T0, 60);
      await approvals().releaseDelivery(APPROVAL.id);
      await approvals().markDelivered(APPROVAL.id);
      expect(checked(dynamodb, 'dynamodb')).toEqual(valid('UpdateItem', 'UpdateItem', 'UpdateItem'));
    });

    it('accepts the Query of pending approvals', async () => {
      dynamodb.resolves({ Items: [] });
      await approvals().listPending(25);
      expect(checked(dynamodb, 'dynamodb')).toEqual(valid('Query'));
    });
  });

  describe('Step Functions adapters', () => {
    const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd'.repeat(40);
    const STATE_MACHINE = `arn:aws:states:us-west-2:${ACCOUNT}:stateMachine:lifeboat-failover`;
    const control = () =>
      new StepFunctionsControl(
        (region) => new SFNClient({ region }),
        (region, workflow) => `arn:aws:states:${region}:${ACCOUNT}:stateMachine:lifeboat-${workflow}`,
      );
    const workflows = () => new StepFunctionsWorkflows(new SFNClient({ region: 'us-west-2' }));

    it('accepts SendTaskSuccess (StepFunctionsControl)', async () => {
      sfn.resolves({});
      await control().sendTaskSuccess('us-west-2', TOKEN, { approved: true, by: 'U0APPROVER' });
      expect(checked(sfn, 'sfn')).toEqual(valid('SendTaskSuccess'));
    });

    it('accepts SendTaskFailure with the longest error and cause (StepFunctionsControl)', async () => {
      sfn.resolves({});
      await control().sendTaskFailure('us-west-2', TOKEN, 'E'.repeat(1000), `\u{1F6DF}${'c'.repeat(40_000)}`);
      expect(checked(sfn, 'sfn')).toEqual(valid('SendTaskFailure'));
    });

    it('accepts StartExecution (StepFunctionsControl)', async () => {
      sfn.resolves({ executionArn: `${STATE_MACHINE}:x`, startDate: T0 });
      await control().start('us-west-2', 'failback', 'failback-ai-gateway-20300101T060000Z', {
        application: 'x',
      });
      expect(checked(sfn, 'sfn')).toEqual(valid('StartExecution'));
    });

    it('accepts StartExecution (StepFunctionsStarter)', async () => {
      const inputs: StartExecutionCommandInput[] = [];
      const starter = new StepFunctionsStarter(
        (input) => {
          inputs.push(input);
          return Promise.resolve({});
        },
        { failover: STATE_MACHINE },
      );
      await starter.start('failover', 'incident-ai-gateway-us-east-1-20300101T0600', {
        application: 'ai-gateway',
      });
      expect(inputs.map((input) => modelErrors('sfn', 'StartExecution', input))).toEqual([[]]);
    });

    it('accepts ListStateMachines, first page and next (StepFunctionsWorkflows)', async () => {
      sfn.resolvesOnce({ stateMachines: [], nextToken: 'page-2' }).resolvesOnce({ stateMachines: [] });
      await workflows().stateMachineArn('lifeboat-failover');
      expect(checked(sfn, 'sfn')).toEqual(valid('ListStateMachines', 'ListStateMachines'));
    });

    it('accepts StartExecution, DescribeExecution and GetExecutionHistory (StepFunctionsWorkflows)', async () => {
      const execution = `arn:aws:states:us-west-2:${ACCOUNT}:execution:lifeboat-failover:drill-1`;
      sfn
        .resolvesOnce({ executionArn: execution, startDate: T0 })
        .resolvesOnce({ executionArn: execution, status: 'RUNNING', startDate: T0 })
        .resolvesOnce({ events: [], nextToken: 'page-2' })
        .resolvesOnce({ events: [] });
      await workflows().start(STATE_MACHINE, 'drill-1', { drill: true }, T0);
      await workflows().describe(execution);
      await workflows().stateEvents(execution, 0);
      expect(checked(sfn, 'sfn')).toEqual(
        valid('StartExecution', 'DescribeExecution', 'GetExecutionHistory', 'GetExecutionHistory'),
      );
    });
  });

  describe('SecretsManagerSecrets', () => {
    it('accepts GetSecretValue', async () => {
      secrets.resolves({ SecretString: 'xoxb-token' });
      await new SecretsManagerSecrets(new SecretsManagerClient({ region: 'us-east-1' })).get(
        'lifeboat/slack/bot-token',
      );
      expect(checked(secrets, 'secretsmanager')).toEqual(valid('GetSecretValue'));
    });
  });
});
