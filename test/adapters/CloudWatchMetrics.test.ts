import {
  CloudWatchClient,
  CloudWatchServiceException,
  GetMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { fileURLToPath } from 'node:url';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchMetrics } from '../../shared/aws/CloudWatchMetrics.ts';
import type { ApplicationConfig } from '../../shared/config/LifeboatConfig.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';

const config = loadConfig(EXAMPLE_CONFIG_PATH);
const CNPG_CONFIG_PATH = fileURLToPath(new URL('../../examples/cloudnativepg.config.json', import.meta.url));

function application(name: string): ApplicationConfig {
  const app = config.applications.find((a) => a.name === name);
  if (app === undefined) throw new Error(`the example config has no application ${name}`);
  return app;
}

/** `rds-read-replica`: ReplicaLag per DB instance, in seconds. */
const RDS_APP = application('ai-gateway');
/** `aurora-global`: AuroraGlobalDBReplicationLag per cluster, in milliseconds. */
const AURORA_APP = application('ai-gateway-drill');

const NOW = new Date('2026-11-22T06:00:00.000Z');
const FIVE_MINUTES_AGO = new Date('2026-11-22T05:55:00.000Z');

const east = new CloudWatchClient({ region: 'us-east-1' });
const west = new CloudWatchClient({ region: 'us-west-2' });
const eastMock = mockClient(east);
const westMock = mockClient(west);

/** Which regions' clients the adapter asked for, in order. */
let requestedRegions: string[];

function metrics(now: () => Date = () => NOW): CloudWatchMetrics {
  const clients: Record<string, CloudWatchClient> = { 'us-east-1': east, 'us-west-2': west };
  return new CloudWatchMetrics((region) => {
    requestedRegions.push(region);
    const client = clients[region];
    if (client === undefined) throw new Error(`no test client for ${region}`);
    return client;
  }, now);
}

function lagResult(values: number[], timestamps: Date[] = []) {
  return {
    MetricDataResults: [
      { Id: 'lag', Label: 'lag', Timestamps: timestamps, Values: values, StatusCode: 'Complete' as const },
    ],
    Messages: [],
  };
}

/** The GetMetricData input the adapter sends for one lag metric from `start` to NOW. */
function lagQuery(start: Date, metricName: string, dimension: { Name: string; Value: string }) {
  return {
    StartTime: start,
    EndTime: NOW,
    ScanBy: 'TimestampDescending',
    MetricDataQueries: [
      {
        Id: 'lag',
        MetricStat: {
          Metric: { Namespace: 'AWS/RDS', MetricName: metricName, Dimensions: [dimension] },
          Period: 60,
          Stat: 'Maximum',
        },
      },
    ],
  };
}

beforeEach(() => {
  eastMock.reset();
  westMock.reset();
  requestedRegions = [];
});

describe('CloudWatchMetrics', () => {
  describe('replicaLagSeconds', () => {
    it('returns the newest ReplicaLag of the region’s DB instance when the database is an RDS read replica', async () => {
      westMock
        .on(GetMetricDataCommand)
        .resolves(
          lagResult(
            [4, 7, 2],
            [
              new Date('2026-11-22T05:59:00.000Z'),
              new Date('2026-11-22T05:58:00.000Z'),
              new Date('2026-11-22T05:57:00.000Z'),
            ],
          ),
        );

      await expect(metrics().replicaLagSeconds(RDS_APP, 'us-west-2')).resolves.toBe(4);

      expect(requestedRegions).toEqual(['us-west-2']);
      expect(westMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
      expect(eastMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 0);
      expect(westMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toEqual(
        lagQuery(FIVE_MINUTES_AGO, 'ReplicaLag', {
          Name: 'DBInstanceIdentifier',
          Value: 'ai-gateway-db-usw2',
        }),
      );
    });

    it("reads a CloudNativePG replica cluster's lag from the team's metric, by Namespace and Cluster, in seconds", async () => {
      const cnpg = loadConfig(CNPG_CONFIG_PATH).applications[0]!;
      westMock
        .on(GetMetricDataCommand)
        .resolves(
          lagResult([3.5, 2], [new Date('2026-11-22T05:59:00.000Z'), new Date('2026-11-22T05:58:00.000Z')]),
        );

      await expect(metrics().replicaLagSeconds(cnpg, 'us-west-2')).resolves.toBe(3.5);

      expect(westMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toEqual({
        StartTime: FIVE_MINUTES_AGO,
        EndTime: NOW,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [
          {
            Id: 'lag',
            MetricStat: {
              Metric: {
                Namespace: 'CNPG',
                MetricName: 'cnpg_pg_replication_lag',
                Dimensions: [
                  { Name: 'Namespace', Value: 'ai-gateway' },
                  { Name: 'Cluster', Value: 'pg-usw2' },
                ],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      });
    });

    it('converts AuroraGlobalDBReplicationLag from milliseconds to seconds when the database is an Aurora global cluster', async () => {
      westMock
        .on(GetMetricDataCommand)
        .resolves(
          lagResult(
            [1234, 900],
            [new Date('2026-11-22T05:59:00.000Z'), new Date('2026-11-22T05:58:00.000Z')],
          ),
        );

      await expect(metrics().replicaLagSeconds(AURORA_APP, 'us-west-2')).resolves.toBe(1.234);

      expect(requestedRegions).toEqual(['us-west-2']);
      expect(westMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
      expect(westMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toEqual(
        lagQuery(FIVE_MINUTES_AGO, 'AuroraGlobalDBReplicationLag', {
          Name: 'DBClusterIdentifier',
          Value: 'ai-gateway-drill-usw2',
        }),
      );
    });

    it('asks the client of the region it reads when that region is another one', async () => {
      eastMock.on(GetMetricDataCommand).resolves(lagResult([0], [new Date('2026-11-22T05:59:00.000Z')]));

      await expect(metrics().replicaLagSeconds(AURORA_APP, 'us-east-1')).resolves.toBe(0);

      expect(requestedRegions).toEqual(['us-east-1']);
      expect(eastMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
      expect(westMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 0);
      expect(eastMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toEqual(
        lagQuery(FIVE_MINUTES_AGO, 'AuroraGlobalDBReplicationLag', {
          Name: 'DBClusterIdentifier',
          Value: 'ai-gateway-drill-use1',
        }),
      );
    });

    it('returns undefined when the window holds no datapoint', async () => {
      westMock.on(GetMetricDataCommand).resolves(lagResult([]));

      await expect(metrics().replicaLagSeconds(RDS_APP, 'us-west-2')).resolves.toBeUndefined();
    });

    it('returns undefined when CloudWatch answers without the lag query', async () => {
      westMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

      await expect(metrics().replicaLagSeconds(AURORA_APP, 'us-west-2')).resolves.toBeUndefined();
    });

    it('reads the five minutes before the current time when no clock is given', async () => {
      westMock.on(GetMetricDataCommand).resolves(lagResult([3], [new Date()]));
      const before = Date.now();

      await expect(new CloudWatchMetrics(() => west).replicaLagSeconds(RDS_APP, 'us-west-2')).resolves.toBe(
        3,
      );

      const after = Date.now();
      const input = westMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
      const end = input.EndTime!.getTime();
      expect(end).toBeGreaterThanOrEqual(before);
      expect(end).toBeLessThanOrEqual(after);
      expect(input.StartTime!.getTime()).toBe(end - 300_000);
    });

    it.each([
      ['an RDS instance', RDS_APP, 'ai-gateway has no DB instance configured for ap-south-1'],
      ['an Aurora cluster', AURORA_APP, 'ai-gateway-drill has no DB cluster configured for ap-south-1'],
    ])('throws without asking CloudWatch when the region has no %s', async (_, app, message) => {
      await expect(metrics().replicaLagSeconds(app, 'ap-south-1')).rejects.toThrow(message);
      expect(requestedRegions).toEqual([]);
    });

    it('propagates an SDK error unchanged when CloudWatch throttles', async () => {
      const error = new CloudWatchServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: {},
        message: 'Rate exceeded',
      });
      westMock.on(GetMetricDataCommand).rejects(error);

      const thrown = await metrics()
        .replicaLagSeconds(RDS_APP, 'us-west-2')
        .catch((e: unknown) => e);
      expect(thrown).toBe(error);
      expect(thrown).toHaveProperty('name', 'ThrottlingException');
    });
  });

  describe('replicaLagHistory', () => {
    it('asks for the whole window at one-minute Maximum and returns every datapoint, newest first', async () => {
      westMock
        .on(GetMetricDataCommand)
        .resolves(
          lagResult(
            [64, 4, 4],
            [
              new Date('2026-11-22T05:59:00.000Z'),
              new Date('2026-11-22T05:58:00.000Z'),
              new Date('2026-11-22T05:57:00.000Z'),
            ],
          ),
        );

      await expect(metrics().replicaLagHistory(RDS_APP, 'us-west-2', 3 * 3600)).resolves.toEqual([
        { at: '2026-11-22T05:59:00.000Z', seconds: 64 },
        { at: '2026-11-22T05:58:00.000Z', seconds: 4 },
        { at: '2026-11-22T05:57:00.000Z', seconds: 4 },
      ]);
      expect(westMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toEqual(
        lagQuery(new Date('2026-11-22T03:00:00.000Z'), 'ReplicaLag', {
          Name: 'DBInstanceIdentifier',
          Value: 'ai-gateway-db-usw2',
        }),
      );
    });

    it('orders the datapoints newest first whatever order CloudWatch gives, in seconds for Aurora', async () => {
      westMock
        .on(GetMetricDataCommand)
        .resolves(
          lagResult(
            [900, 1500],
            [new Date('2026-11-22T05:57:00.000Z'), new Date('2026-11-22T05:58:00.000Z')],
          ),
        );

      await expect(metrics().replicaLagHistory(AURORA_APP, 'us-west-2', 600)).resolves.toEqual([
        { at: '2026-11-22T05:58:00.000Z', seconds: 1.5 },
        { at: '2026-11-22T05:57:00.000Z', seconds: 0.9 },
      ]);
    });
  });
});
