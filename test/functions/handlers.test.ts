import {
  CloudWatchClient,
  CloudWatchServiceException,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  ThrottlingException as DynamoThrottlingException,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ThrottlingException as EksThrottlingException,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import {
  DescribeDBInstancesCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHealthChecksCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourcesCommand,
  Route53Client,
  ThrottlingException as Route53ThrottlingException,
} from '@aws-sdk/client-route-53';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import {
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  FailoverGlobalReplicationGroupCommand,
} from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import type { FailoverRequest } from '../../shared/failover/FailoverInput.ts';
import { bundledConfigText } from '../../shared/config/bundledConfig.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';
import { statusChange } from '../support/executionEvents.ts';

/**
 * Every Lambda handler, in process, as Lambda would call it: the environment the stack sets, the
 * config as the bundle carries it, and every AWS SDK client mocked.
 */

const FAILOVER_ARN = 'arn:aws:states:us-west-2:123456789012:stateMachine:lifeboat-failover';
process.env.LIFEBOAT_CONFIG = bundledConfigText(parseConfig(exampleConfigDocument()));
process.env.AWS_REGION = 'us-west-2';
process.env.LIFEBOAT_TABLE_NAME = 'lifeboat-ledger';
process.env.LIFEBOAT_FAILOVER_ARN = FAILOVER_ARN;
process.env.POWERTOOLS_METRICS_NAMESPACE = 'Lifeboat';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

async function load(name: string): Promise<Handler> {
  process.env.POWERTOOLS_SERVICE_NAME = `lifeboat-${name}`;
  const module = (await import(`../../functions/${name}/handler.ts`)) as { handler: Handler };
  return module.handler;
}

// Imported once each, after the environment is set, as a Lambda container would at cold start.
const handlers = {
  failoverInput: await load('failover-input'),
  lock: await load('lock'),
  preflight: await load('preflight'),
  database: await load('database'),
  workloads: await load('workloads'),
  traffic: await load('traffic'),
  ledger: await load('ledger'),
  notify: await load('notify'),
  trigger: await load('trigger'),
  runEnded: await load('run-ended'),
};

function context(functionName: string): Context {
  // Without the deprecated done/fail/succeed, which middy never calls.
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-west-2:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/22/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 30_000,
  } as Context;
}

const cloudWatch = mockClient(CloudWatchClient);
const dynamo = mockClient(DynamoDBClient);
const eks = mockClient(EKSClient);
const rds = mockClient(RDSClient);
const elastiCache = mockClient(ElastiCacheClient);
const route53 = mockClient(Route53Client);
const sfn = mockClient(SFNClient);

/** The JSON lines the functions' loggers wrote. */
let logLines: Record<string, unknown>[];

beforeEach(() => {
  for (const mock of [cloudWatch, dynamo, eks, rds, route53, sfn, elastiCache]) mock.reset();
  // The example's ai-gateway has a store (an ElastiCache Global Datastore) beside its database.
  elastiCache.on(DescribeReplicationGroupsCommand).resolves({
    ReplicationGroups: [
      {
        ReplicationGroupId: 'ai-gateway-budgets-usw2',
        Status: 'available',
        MemberClusters: ['ai-gateway-budgets-usw2-001'],
      },
    ],
  });
  elastiCache.on(DescribeGlobalReplicationGroupsCommand).resolves({
    GlobalReplicationGroups: [
      {
        GlobalReplicationGroupId: 'ldgnf-ai-gateway-budgets',
        Status: 'available',
        Members: [
          {
            ReplicationGroupId: 'ai-gateway-budgets-use1',
            ReplicationGroupRegion: 'us-east-1',
            Role: 'PRIMARY',
            Status: 'associated',
          },
          {
            ReplicationGroupId: 'ai-gateway-budgets-usw2',
            ReplicationGroupRegion: 'us-west-2',
            Role: 'SECONDARY',
            Status: 'associated',
          },
        ],
      },
    ],
  });
  elastiCache.on(FailoverGlobalReplicationGroupCommand).resolves({});
  logLines = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) {
      if (line.startsWith('{')) logLines.push(JSON.parse(line) as Record<string, unknown>);
    }
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
});

const NOW = new Date('2026-11-22T06:00:30.000Z');

const REQUEST: FailoverRequest = {
  application: 'ai-gateway',
  sourceRegion: 'us-east-1',
  targetRegion: 'us-west-2',
  mode: 'automatic',
  dryRun: false,
  force: false,
  reason: 'automatic: test',
  incidentStartedAt: '2026-11-22T06:00:00.000Z',
  confirmationWaitSeconds: 0,
  approvalTimeoutSeconds: 3600,
  approvalLockLeaseSeconds: 3600 + 26 * 3600,
};

/** Route 53 answering with ai-gateway's records, us-east-1 carrying all the traffic. */
function weightsServedBy(serving: string): void {
  const ids: Record<string, string> = {
    'us-east-1': 'ai-gateway-use1',
    'us-west-2': 'ai-gateway-usw2',
    'eu-west-1': 'ai-gateway-euw1',
  };
  route53.on(ListResourceRecordSetsCommand).resolves({
    ResourceRecordSets: Object.entries(ids).map(([region, setIdentifier]) => ({
      Name: 'gateway.example.com.',
      Type: 'A',
      SetIdentifier: setIdentifier,
      Weight: region === serving ? 100 : 0,
    })),
    IsTruncated: false,
    MaxItems: 300,
  });
}

/** The detection stack's health checks, found by their endpoint and tags, all healthy. */
/** The detection stack's health checks, found by their tags (the traffic function's look-up). */
function healthChecksTagged(): void {
  const checks = [
    ['hc-gw-use1', 'use1.gateway.example.com', 'ai-gateway', 'us-east-1'],
    ['hc-gw-usw2', 'usw2.gateway.example.com', 'ai-gateway', 'us-west-2'],
    ['hc-gw-euw1', 'euw1.gateway.example.com', 'ai-gateway', 'eu-west-1'],
    ['hc-drill-use1', 'use1.drill.gateway.example.com', 'ai-gateway-drill', 'us-east-1'],
    ['hc-drill-usw2', 'usw2.drill.gateway.example.com', 'ai-gateway-drill', 'us-west-2'],
  ] as const;
  route53.on(ListHealthChecksCommand).resolves({
    HealthChecks: checks.map(([id, host]) => ({
      Id: id,
      CallerReference: id,
      HealthCheckVersion: 1,
      HealthCheckConfig: { Type: 'HTTPS', FullyQualifiedDomainName: host },
    })),
    IsTruncated: false,
    Marker: '',
    MaxItems: 1000,
  });
  route53.on(ListTagsForResourcesCommand).resolves({
    ResourceTagSets: checks.map(([id, , application, region]) => ({
      ResourceType: 'healthcheck',
      ResourceId: id,
      Tags: [
        { Key: 'lifeboat:application', Value: application },
        { Key: 'lifeboat:region', Value: region },
      ],
    })),
  });
}

const cloudWatchThrottled = () =>
  new CloudWatchServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: 'Rate exceeded',
  });

describe('failover-input handler', () => {
  it('returns the checked request with the serving region as source when the input is good', async () => {
    weightsServedBy('us-east-1');

    const result = (await handlers.failoverInput(
      {
        operation: 'validateInput',
        input: { application: 'ai-gateway', targetRegion: 'us-west-2' },
        executionName: 'manual-1',
      },
      context('lifeboat-failover-input'),
    )) as { request: FailoverRequest };

    expect(result.request).toMatchObject({
      application: 'ai-gateway',
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      mode: 'manual',
    });
    expect(route53.commandCalls(ListResourceRecordSetsCommand)[0]!.args[0].input).toEqual({
      HostedZoneId: 'Z0LIFEBOATEXAMPLE01',
      StartRecordName: 'gateway.example.com',
      StartRecordType: 'A',
    });
  });

  it('rejects with InvalidInput and records the run when the input names no application', async () => {
    weightsServedBy('us-east-1');
    dynamo.on(PutItemCommand).resolves({});

    await expect(
      handlers.failoverInput(
        {
          operation: 'validateInput',
          input: { application: 'nope', targetRegion: 'us-west-2' },
          executionName: 'x',
        },
        context('lifeboat-failover-input'),
      ),
    ).rejects.toHaveProperty('name', 'InvalidInput');
    expect(dynamo.commandCalls(PutItemCommand)[0]!.args[0].input.TableName).toBe('lifeboat-ledger');
  });

  it('rejects with ThrottledError when DynamoDB throttles the read of past runs', async () => {
    route53
      .on(ListResourceRecordSetsCommand)
      .rejects(new Route53ThrottlingException({ $metadata: {}, message: 'Rate exceeded' }));
    dynamo
      .on(QueryCommand)
      .rejects(new DynamoThrottlingException({ $metadata: {}, message: 'Rate exceeded' }));

    await expect(
      handlers.failoverInput(
        {
          operation: 'validateInput',
          input: { application: 'ai-gateway', targetRegion: 'us-west-2' },
          executionName: 'manual-1',
        },
        context('lifeboat-failover-input'),
      ),
    ).rejects.toHaveProperty('name', 'ThrottledError');
  });
});

describe('lock handler', () => {
  it('takes the lock with a conditional write to the table the stack names', async () => {
    dynamo.on(PutItemCommand).resolves({});

    await expect(
      handlers.lock(
        { operation: 'acquireLock', request: REQUEST, executionName: 'auto-1' },
        context('lifeboat-lock'),
      ),
    ).resolves.toEqual({ acquired: true, heldBy: null });
    const input = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(input.TableName).toBe('lifeboat-ledger');
    expect(input.ConditionExpression).toBe(
      'attribute_not_exists(#pk) OR #leaseExpiresAtEpoch < :now OR #owner = :owner',
    );
  });

  it("confirms the lock against every other region's replica, each read in its own region", async () => {
    dynamo.on(GetItemCommand).callsFake(async (_input, getClient: () => DynamoDBClient) => {
      const region = await getClient().config.region();
      // This region's replica holds this run's lease; the others hold none.
      return region !== 'us-west-2'
        ? {}
        : {
            Item: {
              application: { S: 'ai-gateway' },
              owner: { S: 'auto-1' },
              acquiredAt: { S: '2026-11-22T06:00:00.000Z' },
              leaseExpiresAt: { S: '2099-01-01T00:00:00.000Z' },
            },
          };
    });

    await expect(
      handlers.lock(
        { operation: 'confirmLock', request: REQUEST, executionName: 'auto-1' },
        context('lifeboat-lock'),
      ),
    ).resolves.toEqual({ confirmed: true, heldBy: null });
    const regions = await Promise.all(
      dynamo.commandCalls(GetItemCommand).map((c) => (c.thisValue as DynamoDBClient).config.region()),
    );
    expect(regions).toEqual(['us-west-2', 'us-east-1', 'eu-west-1']);
  });

  it('rejects with ThrottledError when DynamoDB throttles the write', async () => {
    dynamo
      .on(PutItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ $metadata: {}, message: 'Slow down' }));

    await expect(
      handlers.lock(
        { operation: 'acquireLock', request: REQUEST, executionName: 'auto-1' },
        context('lifeboat-lock'),
      ),
    ).rejects.toHaveProperty('name', 'ThrottledError');
  });

  it('rejects with InvalidInput when asked for an operation another function runs', async () => {
    await expect(
      handlers.lock({ operation: 'record', state: {} }, context('lifeboat-lock')),
    ).rejects.toHaveProperty('name', 'InvalidInput');
  });
});

describe('preflight handler', () => {
  it("reads the target's replica lag in the target's region when it checks the lag", async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'lag', Values: [4], Timestamps: [new Date()], StatusCode: 'Complete' }],
    });

    await expect(
      handlers.preflight({ operation: 'checkReplicaLag', request: REQUEST }, context('lifeboat-preflight')),
    ).resolves.toEqual({
      check: 'replica-lag',
      ok: true,
      value: 4,
      detail: 'replica lag 4 s (budget 30 s); store budgets: replica lag 4 s (budget 30 s)',
    });
    for (const call of cloudWatch.commandCalls(GetMetricDataCommand)) {
      await expect((call.thisValue as CloudWatchClient).config.region()).resolves.toBe('us-west-2');
    }
    // The store's lag: its member's cache clusters, listed in its own region.
    const listed = elastiCache.commandCalls(DescribeReplicationGroupsCommand)[0]!;
    expect(listed.args[0].input).toEqual({ ReplicationGroupId: 'ai-gateway-budgets-usw2' });
    await expect((listed.thisValue as ElastiCacheClient).config.region()).resolves.toBe('us-west-2');
  });

  it('counts the source down when a quorum of its alarms, read where they live, is in ALARM', async () => {
    cloudWatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[] }) => ({
      MetricAlarms: input.AlarmNames.map((name) => ({
        AlarmName: name,
        StateValue: 'ALARM',
        StateUpdatedTimestamp: NOW,
      })),
    }));

    const result = (await handlers.preflight(
      { operation: 'checkSource', request: REQUEST },
      context('lifeboat-preflight'),
    )) as { ok: boolean; value: number };

    expect(result).toMatchObject({ check: 'source-down', ok: true, value: 3 });
    const regions = await Promise.all(
      cloudWatch
        .commandCalls(DescribeAlarmsCommand)
        .map((c) => (c.thisValue as CloudWatchClient).config.region()),
    );
    expect(regions.sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2']);
  });

  it('rejects with ThrottledError when EKS throttles DescribeCluster', async () => {
    eks
      .on(DescribeClusterCommand)
      .rejects(new EksThrottlingException({ $metadata: {}, message: 'Rate exceeded' }));

    await expect(
      handlers.preflight(
        { operation: 'checkTargetCluster', request: REQUEST },
        context('lifeboat-preflight'),
      ),
    ).rejects.toHaveProperty('name', 'ThrottledError');
  });
});

describe('database handler', () => {
  it("promotes the target's read replica and reports the lag at that moment", async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'lag', Values: [2], Timestamps: [NOW], StatusCode: 'Complete' }],
    });
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'ai-gateway-db-usw2',
          DBInstanceStatus: 'available',
          ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:123456789012:db:ai-gateway-db-use1',
        },
      ],
    });
    rds.on(PromoteReadReplicaCommand).resolves({});

    await expect(
      handlers.database(
        { operation: 'promoteDatabase', request: REQUEST, executionName: 'auto-1' },
        context('lifeboat-database'),
      ),
    ).resolves.toMatchObject({ status: 'started', lagSeconds: 2, stores: { budgets: 'started' } });
    expect(rds.commandCalls(PromoteReadReplicaCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: 'ai-gateway-db-usw2',
    });
    // The store is failed over beside it, from the target's region.
    const failover = elastiCache.commandCalls(FailoverGlobalReplicationGroupCommand)[0]!;
    expect(failover.args[0].input).toEqual({
      GlobalReplicationGroupId: 'ldgnf-ai-gateway-budgets',
      PrimaryRegion: 'us-west-2',
      PrimaryReplicationGroupId: 'ai-gateway-budgets-usw2',
    });
    await expect((failover.thisValue as ElastiCacheClient).config.region()).resolves.toBe('us-west-2');
  });

  it('rejects with ThrottledError when RDS throttles DescribeDBInstances', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(
      new RDSServiceException({
        name: 'Throttling',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );

    await expect(
      handlers.database(
        { operation: 'checkDatabase', request: REQUEST, promotedAt: NOW.toISOString() },
        context('lifeboat-database'),
      ),
    ).rejects.toHaveProperty('name', 'ThrottledError');
  });
});

describe('workloads handler', () => {
  it("scales the target's node groups to their active sizes", async () => {
    eks.on(DescribeNodegroupCommand).resolves({
      nodegroup: { scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 2 } },
    });
    eks.on(UpdateNodegroupConfigCommand).resolves({});

    await expect(
      handlers.workloads({ operation: 'scaleNodeGroups', request: REQUEST }, context('lifeboat-workloads')),
    ).resolves.toMatchObject({ nodeGroups: { general: 6 } });
    expect(eks.commandCalls(UpdateNodegroupConfigCommand)[0]!.args[0].input).toEqual({
      clusterName: 'ai-gateway-usw2',
      nodegroupName: 'general',
      scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 6 },
    });
  });

  it('rejects with ThrottledError when EKS throttles DescribeNodegroup', async () => {
    eks
      .on(DescribeNodegroupCommand)
      .rejects(new EksThrottlingException({ $metadata: {}, message: 'Rate exceeded' }));

    await expect(
      handlers.workloads({ operation: 'scaleNodeGroups', request: REQUEST }, context('lifeboat-workloads')),
    ).rejects.toHaveProperty('name', 'ThrottledError');
  });
});

describe('traffic handler', () => {
  it("fences every region but the target, and lifts any fence on the target, each record's vote in its fence region", async () => {
    cloudWatch.on(PutMetricDataCommand).resolves({});

    await expect(
      handlers.traffic({ operation: 'fenceSource', request: REQUEST }, context('lifeboat-traffic')),
    ).resolves.toMatchObject({
      fenced: ['us-east-1', 'eu-west-1'],
      unfenced: ['us-west-2'],
      missed: [],
      unreachable: [],
    });
    const calls = cloudWatch.commandCalls(PutMetricDataCommand);
    const votes = await Promise.all(
      calls.map(async (c) => {
        const datum = c.args[0].input.MetricData?.[0];
        const record = datum?.Dimensions?.find((d) => d.Name === 'Region')?.Value;
        return `${record}=${datum?.Value} in ${await (c.thisValue as CloudWatchClient).config.region()}`;
      }),
    );
    // None in us-east-1, whose outage takes Route 53's API with it (docs/fencing.md).
    expect(votes).toEqual([
      'us-east-1=1 in us-west-2',
      'eu-west-1=1 in us-west-2',
      'us-west-2=0 in eu-west-1',
    ]);
  });

  it('moves the weights in one change batch with the discovered health checks attached', async () => {
    healthChecksTagged();
    route53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: '/change/C0123456789', Status: 'PENDING', SubmittedAt: NOW },
    });

    await expect(
      handlers.traffic(
        { operation: 'shiftTraffic', request: REQUEST, executionName: 'auto-1' },
        context('lifeboat-traffic'),
      ),
    ).resolves.toMatchObject({ changeId: 'C0123456789', weights: { 'us-east-1': 0, 'us-west-2': 100 } });
    const changes = route53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch
      ?.Changes;
    expect(
      changes?.map((c) => [c.ResourceRecordSet?.SetIdentifier, c.ResourceRecordSet?.HealthCheckId]),
    ).toEqual([
      ['ai-gateway-use1', 'hc-gw-use1'],
      ['ai-gateway-usw2', 'hc-gw-usw2'],
    ]);
  });

  it('rejects with ThrottledError when Route 53 throttles GetChange', async () => {
    route53
      .on(GetChangeCommand)
      .rejects(new Route53ThrottlingException({ $metadata: {}, message: 'Rate exceeded' }));

    await expect(
      handlers.traffic({ operation: 'checkChange', changeId: 'C0123456789' }, context('lifeboat-traffic')),
    ).rejects.toHaveProperty('name', 'ThrottledError');
  });
});

describe('ledger handler', () => {
  it('records the run in the table the stack names', async () => {
    dynamo.on(PutItemCommand).resolves({});

    await expect(
      handlers.ledger(
        {
          operation: 'record',
          executionName: 'auto-1',
          status: 'SUCCEEDED',
          state: { request: REQUEST, startedAt: '2026-11-22T06:00:05.000Z' },
        },
        context('lifeboat-ledger'),
      ),
    ).resolves.toMatchObject({ recorded: true });
    const input = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(input.TableName).toBe('lifeboat-ledger');
    expect(input.Item?.executionName).toEqual({ S: 'auto-1' });
  });

  it('rejects with ThrottledError when DynamoDB throttles the write', async () => {
    dynamo
      .on(PutItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ $metadata: {}, message: 'Slow down' }));

    await expect(
      handlers.ledger(
        { operation: 'record', executionName: 'auto-1', status: 'FAILED', state: { request: REQUEST } },
        context('lifeboat-ledger'),
      ),
    ).rejects.toHaveProperty('name', 'ThrottledError');
  });
});

describe('run-ended handler', () => {
  const stopped = statusChange();

  it('records a stopped run in the table the stack names when the workflow left no record', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(PutItemCommand).resolves({});
    dynamo.on(GetItemCommand).resolves({});

    // (The history and Slack are slackHandlers.test.ts's; here neither answers.)
    await expect(handlers.runEnded(stopped, context('lifeboat-run-ended'))).resolves.toEqual({
      action: 'recorded',
      status: 'ABORTED',
      lock: 'not held',
      slack: expect.stringMatching(/^not posted: /),
      paged: expect.stringMatching(/^not paged: /),
    });
    const put = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(put.TableName).toBe('lifeboat-ledger');
    expect(put.Item).toMatchObject({ executionName: { S: 'manual-1' }, status: { S: 'ABORTED' } });
    expect(logLines).toContainEqual(expect.objectContaining({ message: 'run ended' }));
  });

  it('rejects with ThrottledError when DynamoDB throttles the read of past runs', async () => {
    dynamo
      .on(QueryCommand)
      .rejects(new DynamoThrottlingException({ $metadata: {}, message: 'Rate exceeded' }));

    await expect(handlers.runEnded(stopped, context('lifeboat-run-ended'))).rejects.toHaveProperty(
      'name',
      'ThrottledError',
    );
    expect(dynamo.commandCalls(PutItemCommand)).toEqual([]);
  });
});

describe('notify handler', () => {
  // Posting to Slack is tested in slackHandlers.test.ts, against a loopback Slack.
  it('rejects with InvalidInput when asked for an operation another function runs', async () => {
    await expect(
      handlers.notify({ operation: 'record', state: {} }, context('lifeboat-notify')),
    ).rejects.toHaveProperty('name', 'InvalidInput');
  });
});

describe('trigger handler', () => {
  /** us-east-1's alarms in ALARM; the other regions' (their health checks' among them) OK. */
  function alarmsInAlarm(): void {
    cloudWatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[] }) => ({
      MetricAlarms: input.AlarmNames.map((name) => ({
        AlarmName: name,
        StateValue: /-us-east-1-(route53-health|probe-from-)/.test(name) ? 'ALARM' : 'OK',
        StateUpdatedTimestamp: NOW,
      })),
    }));
  }

  const EVENT = {
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    detail: {
      alarmName: 'lifeboat-ai-gateway-us-east-1-route53-health',
      state: { value: 'ALARM' },
    },
  };

  it('starts the failover to its own region, named after the incident, when a quorum is in ALARM', async () => {
    weightsServedBy('us-east-1');
    healthChecksTagged();
    alarmsInAlarm();
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${FAILOVER_ARN}:x`, startDate: NOW });

    await expect(handlers.trigger(EVENT, context('lifeboat-trigger'))).resolves.toEqual({
      action: 'started',
      execution: 'auto-ai-gateway-us-east-1-20261122T060030Z',
      application: 'ai-gateway',
      targetRegion: 'us-west-2',
    });
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
      stateMachineArn: FAILOVER_ARN,
      name: 'auto-ai-gateway-us-east-1-20261122T060030Z',
      input: JSON.stringify({
        application: 'ai-gateway',
        targetRegion: 'us-west-2',
        sourceRegion: 'us-east-1',
        mode: 'automatic',
        incident: {
          startedAt: NOW.toISOString(),
          signals: [
            'lifeboat-ai-gateway-us-east-1-route53-health',
            'lifeboat-ai-gateway-us-east-1-probe-from-us-west-2',
            'lifeboat-ai-gateway-us-east-1-probe-from-eu-west-1',
          ],
        },
      }),
    });
    expect(logLines.find((l) => l.message === 'trigger outcome')).toMatchObject({
      outcome: { action: 'started' },
    });
  });

  it('answers already-started when Step Functions has an execution of that name', async () => {
    weightsServedBy('us-east-1');
    healthChecksTagged();
    alarmsInAlarm();
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ $metadata: {}, message: 'exists' }));

    await expect(handlers.trigger(EVENT, context('lifeboat-trigger'))).resolves.toMatchObject({
      action: 'already-started',
    });
  });

  it('rejects with ThrottledError when CloudWatch throttles the alarm reads', async () => {
    weightsServedBy('us-east-1');
    cloudWatch.on(DescribeAlarmsCommand).rejects(cloudWatchThrottled());

    await expect(handlers.trigger(EVENT, context('lifeboat-trigger'))).rejects.toHaveProperty(
      'name',
      'ThrottledError',
    );
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});
