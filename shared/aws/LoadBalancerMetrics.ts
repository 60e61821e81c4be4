import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { TrafficMetricsPort } from '../ports/Estate.ts';

/** ALB metrics are published every minute. */
const PERIOD_SECONDS = 60;

/** The window as one CloudWatch period (a multiple of 60 s). */
function windowPeriod(windowSeconds: number): number {
  return Math.max(PERIOD_SECONDS, Math.ceil(windowSeconds / PERIOD_SECONDS) * PERIOD_SECONDS);
}

function loadBalancer(app: ApplicationConfig, region: string): string {
  const name = app.dns.failback.loadBalancers[region];
  if (name === undefined) throw new Error(`${app.name} has no load balancer configured for ${region}`);
  return name;
}

/**
 * The failback guard's readings from the region's Application Load Balancer, in that region:
 * 5xx responses (the targets' and the balancer's own) as a percent of requests, and the p99 of
 * `TargetResponseTime`, both over the window just past. No requests in the window means no reading.
 */
export class LoadBalancerMetrics implements TrafficMetricsPort {
  readonly #clientFor: (region: string) => CloudWatchClient;
  readonly #now: () => Date;

  constructor(clientFor: (region: string) => CloudWatchClient, now: () => Date = () => new Date()) {
    this.#clientFor = clientFor;
    this.#now = now;
  }

  async errorRatePercent(
    app: ApplicationConfig,
    region: string,
    windowSeconds: number,
  ): Promise<number | undefined> {
    const dimensions = [{ Name: 'LoadBalancer', Value: loadBalancer(app, region) }];
    const sum = (id: string, metricName: string) => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: 'AWS/ApplicationELB', MetricName: metricName, Dimensions: dimensions },
        Period: windowPeriod(windowSeconds),
        Stat: 'Sum',
      },
      ReturnData: false,
    });
    const values = await this.#query(region, windowSeconds, [
      sum('requests', 'RequestCount'),
      sum('target5xx', 'HTTPCode_Target_5XX_Count'),
      sum('elb5xx', 'HTTPCode_ELB_5XX_Count'),
      // One period over the whole window; FILL(…, 0): no 5xx datapoint means none failed.
      {
        Id: 'errorRate',
        Expression: '100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests',
        Label: 'error rate (%)',
        ReturnData: true,
      },
    ]);
    const rate = values.get('errorRate');
    return rate === undefined || !Number.isFinite(rate) ? undefined : rate;
  }

  async latencyMs(
    app: ApplicationConfig,
    region: string,
    windowSeconds: number,
  ): Promise<number | undefined> {
    const values = await this.#query(region, windowSeconds, [
      {
        Id: 'p99',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/ApplicationELB',
            MetricName: 'TargetResponseTime',
            Dimensions: [{ Name: 'LoadBalancer', Value: loadBalancer(app, region) }],
          },
          // One period over the whole window: the p99 of every request in it, not a mean of minutes.
          Period: windowPeriod(windowSeconds),
          Stat: 'p99',
        },
        ReturnData: true,
      },
    ]);
    const seconds = values.get('p99');
    return seconds === undefined ? undefined : seconds * 1000;
  }

  /** The newest value of each returned query over `[now - windowSeconds, now]`. */
  async #query(
    region: string,
    windowSeconds: number,
    queries: NonNullable<ConstructorParameters<typeof GetMetricDataCommand>[0]['MetricDataQueries']>,
  ): Promise<Map<string, number>> {
    const end = this.#now();
    const output = await this.#clientFor(region).send(
      new GetMetricDataCommand({
        StartTime: new Date(end.getTime() - windowPeriod(windowSeconds) * 1000),
        EndTime: end,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: queries,
      }),
    );
    const values = new Map<string, number>();
    for (const result of output.MetricDataResults ?? []) {
      const newest = result.Values?.[0];
      if (result.Id !== undefined && newest !== undefined) values.set(result.Id, newest);
    }
    return values;
  }
}
