import { GetMetricDataCommand, type CloudWatchClient, type Dimension } from '@aws-sdk/client-cloudwatch';
import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { LagSample, MetricsPort } from '../ports/Estate.ts';

/** Long enough to hold a few one-minute datapoints even when the newest is late. */
const WINDOW_SECONDS = 300;
const PERIOD_SECONDS = 60;
const QUERY_ID = 'lag';

interface LagMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Dimension[];
  /** How many of the metric's units make a second. */
  readonly unitsPerSecond: number;
}

/**
 * Replica lag from CloudWatch, read in the replica's own region: RDS publishes `ReplicaLag` (seconds)
 * per DB instance, Aurora `AuroraGlobalDBReplicationLag` (milliseconds) per secondary cluster, and a
 * CloudNativePG team its replica clusters' `cnpg_pg_replication_lag` (seconds) under the config's
 * `lagMetric`, per `Namespace` and `Cluster`.
 */
export class CloudWatchMetrics implements MetricsPort {
  readonly #clientFor: (region: string) => CloudWatchClient;
  readonly #now: () => Date;

  constructor(clientFor: (region: string) => CloudWatchClient, now: () => Date = () => new Date()) {
    this.#clientFor = clientFor;
    this.#now = now;
  }

  async replicaLagSeconds(app: ApplicationConfig, region: string): Promise<number | undefined> {
    return (await this.replicaLagHistory(app, region, WINDOW_SECONDS))[0]?.seconds;
  }

  /**
   * The datapoints of the last `windowSeconds` (one a minute, the period's `Maximum`), newest first.
   * One call holds them all: GetMetricData returns up to 100,800 datapoints a call
   * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
   */
  async replicaLagHistory(
    app: ApplicationConfig,
    region: string,
    windowSeconds: number,
  ): Promise<LagSample[]> {
    const metric = lagMetric(app, region);
    const end = this.#now();
    const output = await this.#clientFor(region).send(
      new GetMetricDataCommand({
        StartTime: new Date(end.getTime() - windowSeconds * 1000),
        EndTime: end,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [
          {
            Id: QUERY_ID,
            MetricStat: {
              Metric: {
                Namespace: metric.namespace,
                MetricName: metric.metricName,
                Dimensions: metric.dimensions,
              },
              Period: PERIOD_SECONDS,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    const result = output.MetricDataResults?.find((r) => r.Id === QUERY_ID);
    const values = result?.Values ?? [];
    const samples: LagSample[] = [];
    (result?.Timestamps ?? []).forEach((timestamp, i) => {
      const value = values[i];
      if (value !== undefined)
        samples.push({ at: timestamp.toISOString(), seconds: value / metric.unitsPerSecond });
    });
    // TimestampDescending puts the newest first; sorted again so no caller depends on it.
    return samples.sort((a, b) => b.at.localeCompare(a.at));
  }
}

function lagMetric(app: ApplicationConfig, region: string): LagMetric {
  const database = app.database;
  if (database.engine === 'rds-read-replica') {
    const instance = database.instances[region];
    if (instance === undefined) throw new Error(`${app.name} has no DB instance configured for ${region}`);
    return {
      namespace: 'AWS/RDS',
      metricName: 'ReplicaLag',
      dimensions: [{ Name: 'DBInstanceIdentifier', Value: instance }],
      unitsPerSecond: 1,
    };
  }
  if (database.engine === 'cloudnativepg') {
    const cluster = database.clusters[region];
    if (cluster === undefined)
      throw new Error(`${app.name} has no CloudNativePG cluster configured for ${region}`);
    return {
      namespace: database.lagMetric.namespace,
      metricName: database.lagMetric.metricName,
      dimensions: cnpgLagDimensions(cluster),
      unitsPerSecond: 1,
    };
  }
  const cluster = database.clusters[region];
  if (cluster === undefined) throw new Error(`${app.name} has no DB cluster configured for ${region}`);
  return {
    namespace: 'AWS/RDS',
    metricName: 'AuroraGlobalDBReplicationLag',
    dimensions: [{ Name: 'DBClusterIdentifier', Value: cluster }],
    unitsPerSecond: 1000,
  };
}

/** The dimensions a CloudNativePG replica cluster's lag metric is published with (docs/cloudnativepg.md). */
export function cnpgLagDimensions(cluster: {
  readonly namespace: string;
  readonly name: string;
}): Dimension[] {
  return [
    { Name: 'Namespace', Value: cluster.namespace },
    { Name: 'Cluster', Value: cluster.name },
  ];
}
