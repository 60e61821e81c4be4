import { SimulatedServiceError } from '../../world/faults.ts';
import type { World } from '../../world/World.ts';
import { PRIMARY_NODE } from './elastiCache.ts';
import type { ServiceOperations, TwinCallContext } from './ServiceTwin.ts';

interface MetricStat {
  readonly Period?: number;
  readonly Metric?: {
    readonly Namespace?: string;
    readonly MetricName?: string;
    readonly Dimensions?: readonly { readonly Name?: string; readonly Value?: string }[];
  };
}

interface Query {
  readonly Id?: string;
  readonly MetricStat?: MetricStat;
  readonly Expression?: string;
  readonly ReturnData?: boolean;
}

function dimension(stat: MetricStat | undefined, name: string): string | undefined {
  return stat?.Metric?.Dimensions?.find((d) => d.Name === name)?.Value;
}

/** The application and region a database metric names (an instance or an Aurora cluster). */
function databaseOf(world: World, stat: MetricStat | undefined): { app: string; region: string } | undefined {
  const instance = dimension(stat, 'DBInstanceIdentifier');
  const cluster = dimension(stat, 'DBClusterIdentifier');
  for (const app of world.config.applications) {
    if (app.database.engine === 'cloudnativepg') continue;
    const ids = app.database.engine === 'rds-read-replica' ? app.database.instances : app.database.clusters;
    for (const [region, id] of Object.entries(ids)) {
      if (id === instance || id === cluster) return { app: app.name, region };
    }
  }
  return undefined;
}

function loadBalancerOf(
  world: World,
  stat: MetricStat | undefined,
): { app: string; region: string } | undefined {
  const name = dimension(stat, 'LoadBalancer');
  for (const app of world.config.applications) {
    for (const [region, lb] of Object.entries(app.dns.failback.loadBalancers)) {
      if (lb === name) return { app: app.name, region };
    }
  }
  return undefined;
}

/** A query's datapoints, newest first, with the time (virtual seconds) of each. */
interface Series {
  readonly at: readonly number[];
  readonly values: readonly number[];
}

/**
 * The datapoints of one metric query, from the world. RDS replica lag (ReplicaLag in seconds,
 * AuroraGlobalDBReplicationLag in milliseconds, a CloudNativePG team's lag metric in seconds) over [start, end] by the query's period, as the
 * instance published it (none while it is not a replica or is still being created, as RDS publishes
 * none then); the load balancer's request count, 5xx counts and p99 target response time (seconds)
 * as one datapoint now.
 */
function series(world: World, query: Query, context: TwinCallContext, start: number, end: number): Series {
  const stat = query.MetricStat;
  const namespace = stat?.Metric?.Namespace;
  const metric = stat?.Metric?.MetricName;
  const none: Series = { at: [], values: [] };
  if (namespace === 'AWS/RDS') {
    const db = databaseOf(world, stat);
    if (db === undefined || db.region !== context.region) return none;
    const unit = metric === 'ReplicaLag' ? 1 : metric === 'AuroraGlobalDBReplicationLag' ? 1000 : undefined;
    if (unit === undefined) return none;
    const points = world.replicaLagSeries(db.app, db.region, start, end, stat?.Period ?? 60);
    return { at: points.map((p) => p.at), values: points.map((p) => p.seconds * unit) };
  }
  // A CloudNativePG team's lag metric (`lagMetric` in the config), which it publishes from
  // `cnpg_pg_replication_lag`, `now() - pg_last_xact_replay_timestamp()` in seconds
  // (https://cloudnative-pg.io/documentation/current/monitoring/): like RDS's ReplicaLag, it grows with
  // the clock while nothing arrives. Read in the replica's own region, by Namespace and Cluster.
  const cnpg = world.config.applications.find(
    (app) =>
      app.database.engine === 'cloudnativepg' &&
      app.database.lagMetric.namespace === namespace &&
      app.database.lagMetric.metricName === metric &&
      app.database.clusters[context.region]?.namespace === dimension(stat, 'Namespace') &&
      app.database.clusters[context.region]?.name === dimension(stat, 'Cluster'),
  );
  if (cnpg !== undefined) {
    const points = world.replicaLagSeries(cnpg.name, context.region, start, end, stat?.Period ?? 60);
    return { at: points.map((p) => p.at), values: points.map((p) => p.seconds) };
  }
  if (namespace === 'AWS/ElastiCache' && metric === 'GlobalDatastoreReplicationLag') {
    // Published per node (CacheClusterId `<replication group>-<node>`), by a shard's primary only, in
    // its own region (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html).
    const node = /^(.+)-(\d{3})$/.exec(dimension(stat, 'CacheClusterId') ?? '');
    const found = node === null ? undefined : world.stores.memberOf(context.region, node[1] ?? '');
    if (found === undefined || node?.[2] !== PRIMARY_NODE) return none;
    const points = world.stores.lagSeries(found.store, context.region, start, end, stat?.Period ?? 60);
    return { at: points.map((p) => p.at), values: points.map((p) => p.seconds) };
  }
  const value = datapoint(world, stat, context);
  return value === undefined ? none : { at: [world.clock.seconds], values: [value] };
}

function datapoint(world: World, stat: MetricStat | undefined, context: TwinCallContext): number | undefined {
  if (stat?.Metric?.Namespace !== 'AWS/ApplicationELB') return undefined;
  const lb = loadBalancerOf(world, stat);
  if (lb === undefined || lb.region !== context.region) return undefined;
  // Per 100 requests: the rate the guard computes comes out in percent.
  switch (stat.Metric.MetricName) {
    case 'RequestCount':
      return 100;
    case 'HTTPCode_Target_5XX_Count':
      return world.errorRatePercent(lb.app, lb.region);
    case 'HTTPCode_ELB_5XX_Count':
      return 0;
    case 'TargetResponseTime':
      return world.latencyMs(lb.app, lb.region) / 1000;
    default:
      return undefined;
  }
}

/** A metric math expression of the forms the adapters send, over the queries' values. */
function evaluate(expression: string, values: ReadonlyMap<string, number | undefined>): number | undefined {
  const state = { missing: false };
  const arithmetic = expression
    .replace(/FILL\((\w+),\s*([\d.]+)\)/g, (_, id: string, fill: string) =>
      String(values.get(id) ?? Number(fill)),
    )
    .replace(/\b([a-zA-Z]\w*)\b/g, (id: string) => {
      const value = values.get(id);
      if (value === undefined) state.missing = true;
      return String(value ?? 0);
    });
  if (state.missing) return undefined;
  const value = arithmeticValue(arithmetic, expression);
  return Number.isFinite(value) ? value : undefined;
}

/** `+ - * /` and parentheses over numbers, by precedence (what the adapters' expressions need). */
function arithmeticValue(text: string, expression: string): number {
  const tokens = text.match(/\d+(?:\.\d+)?(?:e[+-]?\d+)?|[-+*/()]/gi) ?? [];
  if (tokens.join('') !== text.replace(/\s+/g, '')) {
    throw new SimulatedServiceError(
      'InvalidParameterValue',
      `The expression ${expression} is not supported by the rehearsal`,
      400,
    );
  }
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const factor = (): number => {
    const token = tokens[i++];
    if (token === '(') {
      const value = sum();
      i++;
      return value;
    }
    if (token === '-') return -factor();
    return Number(token);
  };
  const product = (): number => {
    let value = factor();
    while (peek() === '*' || peek() === '/')
      value = tokens[i++] === '*' ? value * factor() : value / factor();
    return value;
  };
  const sum = (): number => {
    let value = product();
    while (peek() === '+' || peek() === '-')
      value = tokens[i++] === '+' ? value + product() : value - product();
    return value;
  };
  return sum();
}

/**
 * CloudWatch over the simulated world: the metrics the steps read (GetMetricData), the fence and
 * Lifeboat's own metrics they publish (PutMetricData), and the detection alarms (DescribeAlarms).
 */
export function cloudWatchOperations(): ServiceOperations {
  return {
    GetMetricData: (input, context) => {
      const { world } = context;
      world.faults.check('cloudwatch', 'GetMetricData', context.region);
      const queries = (input.MetricDataQueries ?? []) as Query[];
      const start = world.clock.secondsAt(input.StartTime as Date);
      const end = world.clock.secondsAt(input.EndTime as Date);
      const results = new Map<string, Series>();
      for (const q of queries)
        if (q.MetricStat !== undefined && q.Id !== undefined)
          results.set(q.Id, series(world, q, context, start, end));
      // Expressions combine the newest datapoint of each query they name.
      const newest = new Map([...results].map(([id, r]) => [id, r.values[0]]));
      for (const q of queries) {
        if (q.Expression === undefined || q.Id === undefined) continue;
        const value = evaluate(q.Expression, newest);
        results.set(
          q.Id,
          value === undefined ? { at: [], values: [] } : { at: [world.clock.seconds], values: [value] },
        );
      }
      return {
        MetricDataResults: queries
          .filter((q) => q.ReturnData !== false)
          .map((q) => {
            const result = (q.Id === undefined ? undefined : results.get(q.Id)) ?? { at: [], values: [] };
            return {
              Id: q.Id,
              Label: q.MetricStat?.Metric?.MetricName ?? q.Id,
              Timestamps: result.at.map((at) => new Date(world.clock.secondsToIso(at))),
              Values: [...result.values],
              StatusCode: 'Complete',
            };
          }),
        Messages: [],
      };
    },
    PutMetricData: (input, context) => {
      const { world } = context;
      const data = (input.MetricData ?? []) as {
        MetricName?: string;
        Dimensions?: { Name?: string; Value?: string }[];
        Value?: number;
        StorageResolution?: number;
      }[];
      for (const datum of data) {
        if (
          datum.StorageResolution !== undefined &&
          datum.StorageResolution !== 1 &&
          datum.StorageResolution !== 60
        ) {
          throw new SimulatedServiceError(
            'InvalidParameterValue',
            `The value ${datum.StorageResolution} for parameter MetricData.member.1.StorageResolution is invalid: valid values are 1 and 60`,
            400,
          );
        }
      }
      const fences = data.flatMap((datum) => {
        const application = datum.Dimensions?.find((d) => d.Name === 'Application')?.Value;
        const region = datum.Dimensions?.find((d) => d.Name === 'Region')?.Value;
        return input.Namespace === 'Lifeboat' &&
          datum.MetricName === 'Fence' &&
          application !== undefined &&
          region !== undefined
          ? [{ application, region, fenced: datum.Value === 1 }]
          : [];
      });
      // The world's fence checks the call's faults itself; other metrics are checked here.
      if (fences.length === 0) world.faults.check('cloudwatch', 'PutMetricData', context.region);
      for (const f of fences) world.publishFenceVote(f.application, f.region, f.fenced, context.region);
      return {};
    },
    DescribeAlarms: (input, context) => {
      const { world } = context;
      world.faults.check('cloudwatch', 'DescribeAlarms', context.region);
      const alarms: Record<string, unknown>[] = [];
      for (const name of (input.AlarmNames ?? []) as string[]) {
        try {
          const alarm = world.describeAlarm(name, context.region);
          alarms.push({
            AlarmName: name,
            AlarmArn: `arn:${context.partition}:cloudwatch:${context.region}:${context.account}:alarm:${name}`,
            StateValue: alarm.state,
            StateUpdatedTimestamp: new Date(world.clock.secondsToIso(alarm.updatedAt)),
            ...(alarm.breachingSince === undefined
              ? {}
              : { StateReasonData: reasonData(world, alarm.breachingSince, alarm.updatedAt) }),
          });
        } catch (error) {
          // An alarm that does not exist is simply not listed.
          if ((error as Error).name !== 'ResourceNotFound') throw error;
        }
      }
      return { MetricAlarms: alarms, CompositeAlarms: [] };
    },
  };
}

/** CloudWatch's timestamps in reasonData: `2019-10-01T13:46:00.000+0000`. */
function reasonTimestamp(world: Parameters<ServiceOperations[string]>[1]['world'], seconds: number): string {
  return world.clock.secondsToIso(seconds).replace(/Z$/, '+0000');
}

/**
 * An alarm's StateReasonData in ALARM, as CloudWatch writes it (the reasonData of
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html):
 * the range it evaluated, from the earliest breaching datapoint to the evaluation that changed its
 * state, and those datapoints' timestamps.
 */
function reasonData(
  world: Parameters<ServiceOperations[string]>[1]['world'],
  breachingSince: number,
  evaluatedAt: number,
): string {
  return JSON.stringify({
    version: '1.0',
    queryDate: reasonTimestamp(world, evaluatedAt),
    startDate: reasonTimestamp(world, breachingSince),
    statistic: 'Minimum',
    recentDatapoints: [0],
    threshold: 1,
    evaluatedDatapoints: [{ timestamp: reasonTimestamp(world, breachingSince), sampleCount: 1, value: 0 }],
  });
}
