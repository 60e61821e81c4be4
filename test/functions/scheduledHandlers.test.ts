import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { bundledConfigText } from '../../shared/config/bundledConfig.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';

/** The backup, restore-test and drill handlers in process, with the environment the stack sets. */

process.env.LIFEBOAT_CONFIG = bundledConfigText(parseConfig(exampleConfigDocument()));
process.env.AWS_REGION = 'us-west-2';
process.env.LIFEBOAT_TABLE_NAME = 'lifeboat-ledger';
process.env.LIFEBOAT_ACCOUNT = '123456789012';
process.env.LIFEBOAT_PARTITION = 'aws';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'Lifeboat';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

async function load(name: string): Promise<Handler> {
  process.env.POWERTOOLS_SERVICE_NAME = `lifeboat-${name}`;
  return ((await import(`../../functions/${name}/handler.ts`)) as { handler: Handler }).handler;
}

const handlers = {
  backup: await load('backup'),
  restoreTest: await load('restore-test'),
  drill: await load('drill'),
};

function context(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-west-2:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2030/01/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 30_000,
  } as Context;
}

const dynamo = mockClient(DynamoDBClient);
const rds = mockClient(RDSClient);
const sfn = mockClient(SFNClient);

beforeEach(() => {
  dynamo.reset();
  rds.reset();
  sfn.reset();
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => {
  jest.restoreAllMocks();
});

const REQUEST = {
  application: 'ai-gateway',
  slot: '2030-01-01T06:00:00.000Z',
  snapshotId: 'lifeboat-ai-gateway-20300101-0600',
  sourceRegion: 'us-east-1',
  copyRegion: 'us-west-2',
  retentionDays: 7,
};

describe('backup handler', () => {
  it("snapshots the writer in its own region with Lifeboat's tags", async () => {
    rds.on(CreateDBSnapshotCommand).resolves({
      DBSnapshot: { DBSnapshotIdentifier: REQUEST.snapshotId, Status: 'creating', DBSnapshotArn: 'arn' },
    });
    const out = await handlers.backup(
      { operation: 'createSnapshot', request: REQUEST },
      context('lifeboat-backup'),
    );
    expect(out).toMatchObject({ snapshot: { id: REQUEST.snapshotId, status: 'creating' } });
    expect(rds).toHaveReceivedCommandWith(CreateDBSnapshotCommand, {
      DBSnapshotIdentifier: REQUEST.snapshotId,
      DBInstanceIdentifier: 'ai-gateway-db-use1',
      Tags: [
        { Key: 'lifeboat:application', Value: 'ai-gateway' },
        { Key: 'lifeboat:kind', Value: 'backup' },
        { Key: 'lifeboat:slot', Value: REQUEST.slot },
      ],
    });
  });

  it('rejects with ThrottledError when RDS throttles the snapshot', async () => {
    rds.on(CreateDBSnapshotCommand).rejects(
      new RDSServiceException({
        name: 'Throttling',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: {},
      }),
    );
    await expect(
      handlers.backup({ operation: 'createSnapshot', request: REQUEST }, context('lifeboat-backup')),
    ).rejects.toMatchObject({ name: 'ThrottledError' });
  });

  it('rejects with InvalidInput when asked for an operation another function runs', async () => {
    await expect(
      handlers.backup({ operation: 'checkPreflight' }, context('lifeboat-backup')),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
    });
  });
});

describe('restore-test handler', () => {
  it('deletes the temporary instance with no final snapshot', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'available' }] });
    rds.on(DeleteDBInstanceCommand).resolves({});
    const out = await handlers.restoreTest(
      {
        operation: 'cleanup',
        request: {
          application: 'ai-gateway',
          slot: REQUEST.slot,
          region: 'us-west-2',
          restoreId: REQUEST.snapshotId,
          subnetGroupName: 'ai-gateway-restore-test',
          instanceClass: 'db.t4g.micro',
        },
      },
      context('lifeboat-restore-test'),
    );
    expect(out).toMatchObject({ done: false, left: [`db:${REQUEST.snapshotId}`] });
    expect(rds).toHaveReceivedCommandWith(DeleteDBInstanceCommand, {
      DBInstanceIdentifier: REQUEST.snapshotId,
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
  });
});

describe('drill handler', () => {
  it('records a readiness drill in the table the stack names', async () => {
    dynamo.on(PutItemCommand).resolves({});
    const out = await handlers.drill(
      {
        operation: 'record',
        executionName: 'drill-1',
        state: {
          request: {
            application: 'ai-gateway',
            mode: 'readiness',
            sourceRegion: 'us-east-1',
            targetRegion: 'us-west-2',
          },
          startedAt: '2030-01-01T09:00:00.000Z',
        },
        checks: [{ findings: [{ check: 'backup-age', severity: 'critical', ok: false, detail: 'stale' }] }],
      },
      context('lifeboat-drill'),
    );
    expect(out).toMatchObject({ status: 'FAILED' });
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'lifeboat-ledger',
      Item: expect.objectContaining({ kind: { S: 'drill' }, status: { S: 'FAILED' } }) as unknown,
    });
  });

  it('refuses a game day of an application that is not a drill application with InvalidInput', async () => {
    dynamo.on(PutItemCommand).resolves({});
    await expect(
      handlers.drill(
        {
          operation: 'validateInput',
          executionName: 'd',
          input: { application: 'ai-gateway', mode: 'game-day' },
        },
        context('lifeboat-drill'),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('application: ai-gateway is not a drill application') as unknown,
    });
  });

  it("starts a game day's failover in the standby's state machine under the drill's name, once", async () => {
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({})
      .rejects(Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' }));
    const payload = {
      operation: 'startGameDayRun',
      workflow: 'failover',
      startedAt: '2030-01-01T00:02:00.450Z',
      request: {
        application: 'ai-gateway-drill',
        mode: 'game-day',
        sourceRegion: 'us-east-1',
        targetRegion: 'us-west-2',
        standsFor: 'ai-gateway',
      },
    };
    const first = await handlers.drill(payload, context('lifeboat-drill'));
    const again = await handlers.drill(payload, context('lifeboat-drill'));
    expect([first, again]).toMatchObject([{ outcome: 'started' }, { outcome: 'already-started' }]);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:lifeboat-failover',
      name: 'gameday-ai-gateway-drill-20300101T000200-failover',
      input: JSON.stringify({
        application: 'ai-gateway-drill',
        targetRegion: 'us-west-2',
        reason: 'game day 2030-01-01T00:02:00.450Z: fail ai-gateway-drill over to us-west-2',
      }),
    });
  });
});
