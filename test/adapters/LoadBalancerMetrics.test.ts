import {
  CloudWatchClient,
  CloudWatchServiceException,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { LoadBalancerMetrics } from '../../shared/aws/LoadBalancerMetrics.ts';
import type { ApplicationConfig } from '../../shared/config/LifeboatConfig.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';

const config = loadConfig(EXAMPLE_CONFIG_PATH);

function application(name: string): ApplicationConfig {
  const app = config.applications.find((a) => a.name === name);
  if (app === undefined) throw new Error(`the example config has no application ${name}`);
  return app;
}

const APP = application('ai-gateway');
/** From the example config's `dns.failback.loadBalancers`. */
const USE1_ALB = 'app/ai-gateway-use1/50dc6c495c0c9188';
const USW2_ALB = 'app/ai-gateway-usw2/6a1e5f2b9c3d4e70';

const NOW = new Date('2026-11-22T06:00:00.000Z');

function secondsBefore(seconds: number): Date {
  return new Date(NOW.getTime() - seconds * 1000);
}

const east = new CloudWatchClient({ region: 'us-east-1' });
const west = new CloudWatchClient({ region: 'us-west-2' });
const eastMock = mockClient(east);
const westMock = mockClient(west);

let requestedRegions: string[];

function metrics(): LoadBalancerMetrics {
  const clients: Record<string, CloudWatchClient> = { 'us-east-1': east, 'us-west-2': west };
  return new LoadBalancerMetrics(
    (region) => {
      requestedRegions.push(region);
      const client = clients[region];
      if (client === undefined) throw new Error(`no test client for ${region}`);
      return client;
    },
    () => NOW,
  );
}

function results(...entries: [string, number[]][]): Partial<GetMetricDataCommandOutput> {
  return {
    MetricDataResults: entries.map(([Id, Values]) => ({
      Id,
      Values,
      Timestamps: Values.map((_, i) => secondsBefore(300 * (i + 1))),
      StatusCode: 'Complete' as const,
    })),
    Messages: [],
  };
}

/** The queries errorRatePercent sends for a load balancer and a period. */
function errorRateQueries(loadBalancer: string, period: number) {
  const sum = (Id: string, MetricName: string) => ({
    Id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName,
        Dimensions: [{ Name: 'LoadBalancer', Value: loadBalancer }],
      },
      Period: period,
      Stat: 'Sum',
    },
    ReturnData: false,
  });
  return [
    sum('requests', 'RequestCount'),
    sum('target5xx', 'HTTPCode_Target_5XX_Count'),
    sum('elb5xx', 'HTTPCode_ELB_5XX_Count'),
    {
      Id: 'errorRate',
      Expression: '100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests',
      Label: 'error rate (%)',
      ReturnData: true,
    },
  ];
}

beforeEach(() => {
  eastMock.reset();
  westMock.reset();
  requestedRegions = [];
});

describe('LoadBalancerMetrics', () => {
  describe('errorRatePercent', () => {
    it('asks the region’s CloudWatch for the ALB’s 5xx share over the window as one period', async () => {
      eastMock.on(GetMetricDataCommand).resolves(results(['errorRate', [0.42]]));

      await expect(metrics().errorRatePercent(APP, 'us-east-1', 300)).resolves.toBe(0.42);

      expect(requestedRegions).toEqual(['us-east-1']);
      expect(westMock.calls()).toHaveLength(0);
      expect(eastMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
      expect(eastMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toEqual({
        StartTime: secondsBefore(300),
        EndTime: NOW,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: errorRateQueries(USE1_ALB, 300),
      });
    });

    it('names the load balancer of the region asked about', async () => {
      westMock.on(GetMetricDataCommand).resolves(results(['errorRate', [0]]));

      await expect(metrics().errorRatePercent(APP, 'us-west-2', 300)).resolves.toBe(0);

      expect(requestedRegions).toEqual(['us-west-2']);
      expect(westMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries).toEqual(
        errorRateQueries(USW2_ALB, 300),
      );
    });

    it.each([
      [1, 60],
      [59, 60],
      [60, 60],
      [61, 120],
      [120, 120],
      [299, 300],
      [301, 360],
    ])('rounds a window of %p s up to a period of %p s, and reads that far back', async (window, period) => {
      eastMock.on(GetMetricDataCommand).resolves(results(['errorRate', [1]]));

      await metrics().errorRatePercent(APP, 'us-east-1', window);

      const input = eastMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
      expect(input.StartTime).toEqual(secondsBefore(period));
      expect(input.EndTime).toEqual(NOW);
      for (const query of input.MetricDataQueries ?? []) {
        if (query.MetricStat !== undefined) expect(query.MetricStat.Period).toBe(period);
      }
    });

    it('returns the newest value when CloudWatch answers with more than one', async () => {
      eastMock.on(GetMetricDataCommand).resolves(results(['errorRate', [2.5, 0.1]]));

      await expect(metrics().errorRatePercent(APP, 'us-east-1', 300)).resolves.toBe(2.5);
    });

    it('returns undefined when there were no requests in the window (no datapoint)', async () => {
      eastMock.on(GetMetricDataCommand).resolves(results(['errorRate', []]));

      await expect(metrics().errorRatePercent(APP, 'us-east-1', 300)).resolves.toBeUndefined();
    });

    it('returns undefined when CloudWatch answers without the error-rate result', async () => {
      eastMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

      await expect(metrics().errorRatePercent(APP, 'us-east-1', 300)).resolves.toBeUndefined();
    });

    it.each([[Number.POSITIVE_INFINITY], [Number.NaN]])(
      'returns undefined for a non-finite rate (%p: no requests to divide by)',
      async (value) => {
        eastMock.on(GetMetricDataCommand).resolves(results(['errorRate', [value]]));

        await expect(metrics().errorRatePercent(APP, 'us-east-1', 300)).resolves.toBeUndefined();
      },
    );

    it('fails without asking CloudWatch when the region has no load balancer configured', async () => {
      await expect(metrics().errorRatePercent(APP, 'ap-south-1', 300)).rejects.toThrow(
        'ai-gateway has no load balancer configured for ap-south-1',
      );
      expect(requestedRegions).toEqual([]);
    });

    it('propagates CloudWatch’s error unchanged', async () => {
      const error = new CloudWatchServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      });
      eastMock.on(GetMetricDataCommand).rejects(error);

      await expect(metrics().errorRatePercent(APP, 'us-east-1', 300)).rejects.toBe(error);
    });
  });

  describe('latencyMs', () => {
    it('asks for the p99 TargetResponseTime over the window as one period and converts seconds to ms', async () => {
      westMock.on(GetMetricDataCommand).resolves(results(['p99', [0.8125]]));

      await expect(metrics().latencyMs(APP, 'us-west-2', 120)).resolves.toBe(812.5);

      expect(requestedRegions).toEqual(['us-west-2']);
      expect(eastMock.calls()).toHaveLength(0);
      expect(westMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toEqual({
        StartTime: secondsBefore(120),
        EndTime: NOW,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [
          {
            Id: 'p99',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/ApplicationELB',
                MetricName: 'TargetResponseTime',
                Dimensions: [{ Name: 'LoadBalancer', Value: USW2_ALB }],
              },
              Period: 120,
              Stat: 'p99',
            },
            ReturnData: true,
          },
        ],
      });
    });

    it('rounds the window up to whole minutes', async () => {
      westMock.on(GetMetricDataCommand).resolves(results(['p99', [1]]));

      await metrics().latencyMs(APP, 'us-west-2', 90);

      const input = westMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
      expect(input.StartTime).toEqual(secondsBefore(120));
      expect(input.MetricDataQueries?.[0]?.MetricStat?.Period).toBe(120);
    });

    it('returns the newest value', async () => {
      westMock.on(GetMetricDataCommand).resolves(results(['p99', [2, 0.5]]));

      await expect(metrics().latencyMs(APP, 'us-west-2', 300)).resolves.toBe(2000);
    });

    it('returns 0 for a 0 s reading (not undefined)', async () => {
      westMock.on(GetMetricDataCommand).resolves(results(['p99', [0]]));

      await expect(metrics().latencyMs(APP, 'us-west-2', 300)).resolves.toBe(0);
    });

    it('returns undefined when the window holds no datapoint', async () => {
      westMock.on(GetMetricDataCommand).resolves(results(['p99', []]));

      await expect(metrics().latencyMs(APP, 'us-west-2', 300)).resolves.toBeUndefined();
    });

    it('ignores results of other ids', async () => {
      westMock.on(GetMetricDataCommand).resolves(results(['other', [9]]));

      await expect(metrics().latencyMs(APP, 'us-west-2', 300)).resolves.toBeUndefined();
    });

    it('fails without asking CloudWatch when the region has no load balancer configured', async () => {
      await expect(metrics().latencyMs(APP, 'eu-central-1', 300)).rejects.toThrow(
        'ai-gateway has no load balancer configured for eu-central-1',
      );
      expect(requestedRegions).toEqual([]);
    });
  });

  it('reads up to the current time when no clock is given', async () => {
    westMock.on(GetMetricDataCommand).resolves(results(['p99', [1]]));
    const before = Date.now();

    await new LoadBalancerMetrics(() => west).latencyMs(APP, 'us-west-2', 60);

    const after = Date.now();
    const input = westMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    const end = input.EndTime!.getTime();
    expect(end).toBeGreaterThanOrEqual(before);
    expect(end).toBeLessThanOrEqual(after);
    expect(input.StartTime!.getTime()).toBe(end - 60_000);
  });
});
