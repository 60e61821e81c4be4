import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetExecutionHistoryCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { bundledConfigText } from '../../shared/config/bundledConfig.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { APPROVE_ACTION } from '../../shared/slack/messages.ts';
import { slackSignature } from '../../shared/slack/signature.ts';
import { statusChange } from '../support/executionEvents.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';

/**
 * The Slack-facing handlers in process, as Lambda calls them: the bot token and signing secret from
 * a mocked Secrets Manager, the ledger and Step Functions mocked, Slack's Web API a loopback server.
 */

const TOKEN = 'xoxb-1111-2222-abcdefghijklmnop';
const SIGNING_SECRET = 'a-signing-secret-of-the-slack-app';

interface SlackCall {
  readonly method: string;
  readonly authorization: string | undefined;
  readonly body: Record<string, unknown>;
}
const slackCalls: SlackCall[] = [];
const slack = createServer((request: IncomingMessage, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (c: Buffer) => chunks.push(c));
  request.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    const body = (
      request.headers['content-type']?.includes('json') === true
        ? JSON.parse(text)
        : Object.fromEntries(new URLSearchParams(text))
    ) as Record<string, unknown>;
    slackCalls.push({ method: request.url ?? '', authorization: request.headers.authorization, body });
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ ok: true, channel: 'C0LIFEBOAT1', ts: '1700000000.000100' }));
  });
});
await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
afterAll(() => {
  slack.close();
});

process.env.LIFEBOAT_CONFIG = bundledConfigText(parseConfig(exampleConfigDocument()));
process.env.AWS_REGION = 'us-east-1';
process.env.LIFEBOAT_TABLE_NAME = 'lifeboat-ledger';
process.env.LIFEBOAT_ACCOUNT = '123456789012';
process.env.LIFEBOAT_PARTITION = 'aws';
process.env.LIFEBOAT_SLACK_API_URL = `http://127.0.0.1:${(slack.address() as AddressInfo).port}/api/`;

type Handler = (event: unknown, context: Context) => Promise<unknown>;
async function load(name: string): Promise<Handler> {
  process.env.POWERTOOLS_SERVICE_NAME = `lifeboat-${name}`;
  return ((await import(`../../functions/${name}/handler.ts`)) as { handler: Handler }).handler;
}
const handlers = {
  notify: await load('notify'),
  approval: await load('approval'),
  callback: await load('slack-callback'),
  runEnded: await load('run-ended'),
};

function context(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/22/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 10_000,
  } as Context;
}

const secrets = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const events = mockClient(EventBridgeClient);

beforeEach(() => {
  for (const mock of [secrets, dynamo, sfn, events]) mock.reset();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  slackCalls.length = 0;
  secrets
    .on(GetSecretValueCommand, { SecretId: 'lifeboat/slack/bot-token' })
    .resolves({ SecretString: TOKEN });
  secrets
    .on(GetSecretValueCommand, { SecretId: 'lifeboat/slack/signing-secret' })
    .resolves({ SecretString: SIGNING_SECRET });
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('notify handler', () => {
  it("posts the run's outcome to the configured channel with the bot token from Secrets Manager", async () => {
    const result = await handlers.notify(
      { operation: 'notify', text: 'Lifeboat failed ai-gateway over' },
      context('lifeboat-notify'),
    );
    expect(result).toEqual({ ts: '1700000000.000100' });
    expect(slackCalls).toEqual([
      {
        method: '/api/chat.postMessage',
        authorization: `Bearer ${TOKEN}`,
        body: expect.objectContaining({ channel: 'C0LIFEBOAT1', text: 'Lifeboat failed ai-gateway over' }),
      },
    ]);
  });
});

describe('run-ended handler', () => {
  it("reads a stopped failover's history, records what it had changed, and says so in its thread", async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(GetItemCommand).resolves({});
    dynamo.on(PutItemCommand).resolves({});
    const document = {
      request: { application: 'ai-gateway', sourceRegion: 'us-east-1', targetRegion: 'us-west-2' },
      thread: { ts: '1700000000.000001' },
      fence: { fenced: ['us-east-1', 'eu-west-1'], unfenced: ['us-west-2'], unreachable: [] },
    };
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 12,
          timestamp: new Date(),
          type: 'TaskStateEntered',
          stateEnteredEventDetails: { name: 'PromoteDatabase' },
        },
        {
          id: 11,
          timestamp: new Date(),
          type: 'TaskStateExited',
          stateExitedEventDetails: { name: 'FenceSource', output: JSON.stringify(document) },
        },
      ],
    });
    const result = await handlers.runEnded(
      statusChange({ error: 'StoppedByOperator', cause: 'stopped by ana: test' }),
      context('lifeboat-run-ended'),
    );
    expect(result).toEqual({
      action: 'recorded',
      status: 'ABORTED',
      lock: 'not held',
      slack: 'posted',
      paged: 'stopped',
    });
    // The paging hook of the example config: its default bus, the run's region.
    const page = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries?.[0];
    expect(page).toMatchObject({
      Source: 'lifeboat',
      DetailType: 'Lifeboat Incident Update',
      EventBusName: 'default',
    });
    expect(JSON.parse(page?.Detail ?? '{}')).toMatchObject({
      application: 'ai-gateway',
      workflow: 'failover',
      execution: 'manual-1',
      phase: 'stopped',
      severity: 'critical',
      region: 'us-west-2',
      dedupKey: 'lifeboat:failover:manual-1',
    });
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, {
      executionArn: 'arn:aws:states:us-west-2:123456789012:execution:lifeboat-failover:manual-1',
      reverseOrder: true,
      includeExecutionData: true,
    });
    const item = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input.Item;
    expect(JSON.stringify(item)).toContain('fenced the record of us-east-1, eu-west-1');
    expect(slackCalls).toEqual([
      {
        method: '/api/chat.postMessage',
        authorization: `Bearer ${TOKEN}`,
        body: expect.objectContaining({
          channel: 'C0LIFEBOAT1',
          thread_ts: '1700000000.000001',
          reply_broadcast: 'true',
          text: expect.stringMatching(
            /^\*Lifeboat failover of ai-gateway to us-west-2 STOPPED\* \(`manual-1`\) in PromoteDatabase: StoppedByOperator: stopped by ana: test\n/,
          ),
        }),
      },
    ]);
  });
});

describe('approval handler', () => {
  it('stores the task token under a short id, posts the buttons with only that id, and returns', async () => {
    dynamo.on(PutItemCommand).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    const token = 'AQCEAAAAKgAAAAMAAAAAAAAAAexampletaskToken==';
    const result = (await handlers.approval(
      {
        operation: 'requestApproval',
        taskToken: token,
        workflow: 'failback',
        executionName: 'failback-ai-gateway-1',
        stateName: 'RequestApproval',
        request: { application: 'ai-gateway', targetRegion: 'us-east-1', sourceRegion: 'us-west-2' },
        startedAt: '2026-11-22T06:00:00.000Z',
        why: ['manual start'],
        plan: ['shift traffic back'],
        checks: [{ check: 'replica-lag', ok: true, detail: 'the replica in us-east-1 lags 0 s' }],
      },
      context('lifeboat-approval'),
    )) as { approvalId: string };
    expect(result.approvalId).toMatch(/^[a-z0-9]{10}$/);
    const put = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(put.Item?.taskToken).toEqual({ S: token });
    expect(put.ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect(slackCalls).toHaveLength(1);
    expect(JSON.stringify(slackCalls[0]!.body)).not.toContain(token);
    expect(JSON.stringify(slackCalls[0]!.body)).toContain(result.approvalId);
    expect(dynamo.commandCalls(UpdateItemCommand)[0]!.args[0].input).toMatchObject({
      UpdateExpression: 'SET messageTs = :ts',
      ExpressionAttributeValues: { ':ts': { S: '1700000000.000100' } },
    });
  });
});

describe('slack-callback handler', () => {
  const press = (user: string) => {
    const body = `payload=${encodeURIComponent(
      JSON.stringify({
        type: 'block_actions',
        user: { id: user },
        channel: { id: 'C0LIFEBOAT1' },
        actions: [{ action_id: APPROVE_ACTION, value: 'abc123def4' }],
      }),
    )}`;
    const timestamp = String(Math.floor(Date.now() / 1000));
    return {
      version: '2.0',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': slackSignature(SIGNING_SECRET, timestamp, body),
      },
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    };
  };
  const approval = {
    id: 'abc123def4',
    kind: 'step',
    application: 'ai-gateway',
    workflow: 'failback',
    targetRegion: 'us-east-1',
    executionName: 'failback-ai-gateway-1',
    taskToken: 'the-task-token',
    channel: 'C0LIFEBOAT1',
    messageTs: '1700000000.000100',
    summary: '*Fail ai-gateway back to us-east-1?*',
    status: 'APPROVED',
    createdAt: '2026-11-22T06:00:00.000Z',
    approvalExpiresAt: '2099-01-01T00:00:00.000Z',
    decidedBy: 'U0APPROVER',
    decidedAt: '2026-11-22T06:01:00.000Z',
  };

  it("resumes the waiting task in its region on an approver's press, updates the message and answers 200", async () => {
    dynamo.on(UpdateItemCommand).resolves({ Attributes: marshall(approval) });
    sfn.on(SendTaskSuccessCommand).resolves({});
    const response = await handlers.callback(press('U0APPROVER'), context('lifeboat-slack-callback'));
    expect(response).toMatchObject({ statusCode: 200 });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input).toMatchObject({
      taskToken: 'the-task-token',
    });
    expect(slackCalls.map((c) => c.method)).toEqual(['/api/chat.update']);
  });

  it('refuses a forged request with 401 before reading anything', async () => {
    const forged = {
      ...press('U0APPROVER'),
      headers: { ...press('U0APPROVER').headers, 'x-slack-signature': 'v0=00' },
    };
    const response = await handlers.callback(forged, context('lifeboat-slack-callback'));
    expect(response).toEqual({
      statusCode: 401,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'invalid request',
    });
    expect(dynamo.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('counts nothing from a user who is not an approver', async () => {
    dynamo.on(GetItemCommand).resolves({});
    const response = await handlers.callback(press('U0STRANGER1'), context('lifeboat-slack-callback'));
    expect(response).toMatchObject({ statusCode: 403, body: 'not allowed' });
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });
});
