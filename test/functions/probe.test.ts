import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { bundledConfigText } from '../../shared/config/bundledConfig.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';

/** The probe handler in process: the bundled config, us-west-2, CloudWatch mocked, fetch injected. */

process.env.LIFEBOAT_CONFIG = bundledConfigText(parseConfig(exampleConfigDocument()));
process.env.AWS_REGION = 'us-west-2';
process.env.POWERTOOLS_SERVICE_NAME = 'lifeboat-probe';

const fetched: string[] = [];
const fetchMock = jest.fn((url: string | URL | Request) => {
  const href = typeof url === 'string' ? url : url instanceof URL ? url.href : url.url;
  fetched.push(href);
  // us-east-1 is down; every other endpoint answers.
  if (href.includes('use1.')) return Promise.reject(new TypeError('fetch failed'));
  return Promise.resolve(new Response('ok', { status: 200 }));
});
globalThis.fetch = fetchMock;

const cloudWatch = mockClient(CloudWatchClient);
type Handler = (event: unknown, context: Context) => Promise<unknown>;
const { handler } = (await import('../../functions/probe/handler.ts')) as { handler: Handler };

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'lifeboat-probe',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-west-2:123456789012:function:lifeboat-probe',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/lifeboat-probe',
  logStreamName: '2026/11/22/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 70_000,
} as Context;

beforeEach(() => {
  cloudWatch.reset();
  fetched.length = 0;
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('probe handler', () => {
  it("probes the other regions of this region's applications every 10 s for a minute", async () => {
    cloudWatch.on(PutMetricDataCommand).resolves({});

    const done = handler({ source: 'aws.events' }, context);
    await jest.advanceTimersByTimeAsync(60_000);
    await done;

    const calls = cloudWatch.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(6);
    for (const call of calls) {
      const input = call.args[0].input;
      expect(input.Namespace).toBe('Lifeboat');
      expect(
        input.MetricData?.map((d) => [
          d.MetricName,
          d.Dimensions?.map((x) => `${x.Name}=${x.Value}`).join(','),
          d.Value,
          d.StorageResolution,
        ]),
      ).toEqual([
        ['ProbeSuccess', 'Application=ai-gateway,Region=us-east-1', 0, 1],
        ['ProbeSuccess', 'Application=ai-gateway,Region=eu-west-1', 1, 1],
        ['ProbeSuccess', 'Application=ai-gateway-drill,Region=us-east-1', 0, 1],
      ]);
    }
    expect(fetched.filter((u) => u === 'http://euw1.gateway.example.com/health/liveliness')).toHaveLength(6);
    expect(fetched.some((u) => u.includes('usw2.'))).toBe(false);
  });

  it('keeps probing after a failed publish', async () => {
    cloudWatch.on(PutMetricDataCommand).rejectsOnce(new Error('throttled')).resolves({});

    const done = handler({ source: 'aws.events' }, context);
    await jest.advanceTimersByTimeAsync(60_000);
    await expect(done).resolves.toEqual({ rounds: 6, published: 15, failedRounds: 1 });
  });
});
