import { GetMetricDataCommand, type CloudWatchClient, type Dimension } from '@aws-sdk/client-cloudwatch';
import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { MetricsPort } from '../ports/Estate.ts';

/** Long enough to hold a few one-minute datapoints even when the newest is late. */
const WINDOW_SECONDS = 300;
const PERIOD_SECONDS = 60;
const QUERY_ID = 'lag';

interface LagMetric {
  readonly metricName: string;
  readonly dimension: Dimension;
  /** How many of the metric's units make a second. */
  readonly unitsPerSecond: number;
}

/**
 * Replica lag from CloudWatch, read in the replica's own region: RDS publishes `ReplicaLag` (seconds)
 * per DB instance, Aurora `AuroraGlobalDBReplicationLag` (milliseconds) per secondary cluster.
 */
export class CloudWatchMetrics implements MetricsPort {
  readonly #clientFor: (region: string) => CloudWatchClient;
  readonly #now: () => Date;

  constructor(clientFor: (region: string) => CloudWatchClient, now: () => Date = () => new Date()) {
    this.#clientFor = clientFor;
    this.#now = now;
  }

  async replicaLagSeconds(app: ApplicationConfig, region: string): Promise<number | undefined> {
    const metric = lagMetric(app, region);
    const end = this.#now();
    const output = await this.#clientFor(region).send(
      new GetMetricDataCommand({
        StartTime: new Date(end.getTime() - WINDOW_SECONDS * 1000),
        EndTime: end,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [
          {
            Id: QUERY_ID,
            MetricStat: {
              Metric: {
                Namespace: 'AWS/RDS',
                MetricName: metric.metricName,
                Dimensions: [metric.dimension],
              },
              Period: PERIOD_SECONDS,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    const result = output.MetricDataResults?.find((r) => r.Id === QUERY_ID);
    // TimestampDescending puts the newest datapoint first.
    const newest = result?.Values?.[0];
    return newest === undefined ? undefined : newest / metric.unitsPerSecond;
  }
}

function lagMetric(app: ApplicationConfig, region: string): LagMetric {
  const database = app.database;
  if (database.engine === 'rds-read-replica') {
    const instance = database.instances[region];
    if (instance === undefined) throw new Error(`${app.name} has no DB instance configured for ${region}`);
    return {
      metricName: 'ReplicaLag',
      dimension: { Name: 'DBInstanceIdentifier', Value: instance },
      unitsPerSecond: 1,
    };
  }
  const cluster = database.clusters[region];
  if (cluster === undefined) throw new Error(`${app.name} has no DB cluster configured for ${region}`);
  return {
    metricName: 'AuroraGlobalDBReplicationLag',
    dimension: { Name: 'DBClusterIdentifier', Value: cluster },
    unitsPerSecond: 1000,
  };
}
