import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { LagSample, MetricsPort } from '../ports/Estate.ts';

/**
 * How far back the lag gate reads a replica's lag: far enough to find the datapoints from before an
 * outage that began hours ago (a manual failover may come late). One GetMetricData call.
 */
export const LAG_HISTORY_SECONDS = 3 * 3600;

/** The lag metrics' period (RDS publishes once a minute). */
const PERIOD_SECONDS = 60;

/**
 * Replay that advanced less than this between two datapoints did not advance. A replica that replays
 * slowly (under load) still advances and is judged by its newest value, which then only grows.
 */
const STALL_TOLERANCE_SECONDS = 2;

/** A metric whose newest datapoint is older than this has stopped being published. */
const STOPPED_AFTER_SECONDS = 3 * PERIOD_SECONDS;

export interface ReplicationAtRisk {
  /**
   * The source's writes, in seconds, that promoting the replica now would lose, as far as its lag
   * datapoints tell; undefined when they tell nothing. The lag gate's measure and the run's RPO.
   */
  readonly seconds: number | undefined;
  /** The newest datapoint, as the console shows it. */
  readonly newestSeconds: number | undefined;
  /** When the replica last replayed a transaction, when replication has stopped. */
  readonly replicationStoppedAt?: string;
  readonly detail: string;
}

interface Point {
  readonly t: number;
  readonly v: number;
}

/**
 * How long after a failure began its first breaching datapoint can be timed: the slower of the
 * detection signals to notice (Route 53's checker: interval × failure threshold, AWS's defaults of
 * 30 s and 3 for a check Lifeboat did not create; the probes: their interval × threshold), plus one
 * metric period for where in its minute the datapoint falls.
 */
export function detectionAllowanceSeconds(app: ApplicationConfig, sourceRegion: string): number {
  const hc = app.healthChecks[sourceRegion];
  const route53 = hc?.kind === 'endpoint' ? hc.intervalSeconds * hc.failureThreshold : 30 * 3;
  const probes = app.detection.probeIntervalSeconds * app.detection.probeFailureThreshold;
  return Math.max(route53, probes) + PERIOD_SECONDS;
}

/**
 * What a promotion would lose, from the replica's lag datapoints (newest first), argued in
 * docs/replica-lag.md:
 *
 * - While replication flows, the newest datapoint: the replica is that far behind a source that
 *   writes, and the gap only grows if the source goes on writing.
 * - Once it stops, the lag the replica had when it stopped. RDS for PostgreSQL's `ReplicaLag` is
 *   `now() - pg_last_xact_replay_timestamp()`
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PostgreSQL.Replication.ReadReplicas.Monitor.html):
 *   with a source that sends nothing it grows with the clock, measuring the outage, not the data.
 *   Stopped replication shows as datapoints that grow one second a second (replay stands still) or
 *   as a metric that is no longer published; the last datapoint from before is the lag when it
 *   stopped.
 * - Unless replication stopped well before the failure began (`failureBeganAt`, the first breaching
 *   datapoint of the signals that confirmed it, less the detection allowance): then the source may
 *   have gone on committing writes the replica never received, from the replica's last replay up to
 *   the failure, and that whole span is at risk.
 */
export function replicationAtRisk(
  samples: readonly LagSample[],
  options: { readonly now: Date; readonly failureBeganAt?: string; readonly allowanceSeconds: number },
): ReplicationAtRisk {
  const points: Point[] = samples
    .map((s) => ({ t: Date.parse(s.at) / 1000, v: s.seconds }))
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v))
    .sort((a, b) => b.t - a.t);
  const [newest] = points;
  if (newest === undefined) {
    return {
      seconds: undefined,
      newestSeconds: undefined,
      detail: `no replica lag datapoint in the last ${LAG_HISTORY_SECONDS / 3600} h`,
    };
  }
  const now = options.now.getTime() / 1000;
  // Replay stands still while each datapoint is its predecessor plus the time between them.
  let oldestStalled = 0;
  while (oldestStalled + 1 < points.length) {
    const newer = points[oldestStalled];
    const older = points[oldestStalled + 1];
    if (newer === undefined || older === undefined) break;
    if (newer.t - newer.v - (older.t - older.v) > STALL_TOLERANCE_SECONDS) break;
    oldestStalled++;
  }
  const growing = oldestStalled > 0;
  const stopped = now - newest.t > STOPPED_AFTER_SECONDS;
  if (!growing && !stopped) {
    return {
      seconds: newest.v,
      newestSeconds: newest.v,
      detail: `replica lag ${round(newest.v)} s`,
    };
  }
  const replayedAt = newest.t - newest.v;
  // The last datapoint while the source still streamed; when the window holds none, the first after
  // replication stopped (an upper bound: it includes up to a period of the stop).
  const live = growing ? (points[oldestStalled + 1] ?? points[oldestStalled] ?? newest) : newest;
  const stoppedAt = replayedAt + live.v;
  const how = growing
    ? `replication stopped at ${iso(stoppedAt)} with ${round(live.v)} s of lag; the metric reads ${round(newest.v)} s now because the source sends nothing`
    : `the lag metric stopped at ${iso(newest.t)} with ${round(newest.v)} s`;
  const failure =
    options.failureBeganAt === undefined ? undefined : Date.parse(options.failureBeganAt) / 1000;
  if (failure !== undefined && Number.isFinite(failure) && failure - stoppedAt > options.allowanceSeconds) {
    const seconds = failure - replayedAt;
    return {
      seconds,
      newestSeconds: newest.v,
      replicationStoppedAt: iso(replayedAt),
      detail: `${how}, ${round(failure - stoppedAt)} s before the failure began (${iso(failure)}): the source may have taken ${round(seconds)} s of writes the replica never received`,
    };
  }
  return {
    seconds: live.v,
    newestSeconds: newest.v,
    replicationStoppedAt: iso(replayedAt),
    detail: how,
  };
}

/** When a replica's risk is weighed: now, after a failure of `sourceRegion` that began when detection saw it. */
export interface AtRiskWhen {
  readonly now: Date;
  /** The region whose writer the replica follows (the one that failed). */
  readonly sourceRegion: string;
  readonly failureBeganAt?: string | undefined;
}

/** Reads the region's lag history and weighs it (`replicationAtRisk`). */
export async function readReplicationAtRisk(
  metrics: MetricsPort,
  app: ApplicationConfig,
  region: string,
  options: AtRiskWhen,
): Promise<ReplicationAtRisk> {
  return weighLag(await metrics.replicaLagHistory(app, region, LAG_HISTORY_SECONDS), app, options);
}

/** `replicationAtRisk` of any replica's lag datapoints (a database's, a store member's) after a failure of `sourceRegion`. */
export function weighLag(
  samples: readonly LagSample[],
  app: ApplicationConfig,
  options: AtRiskWhen,
): ReplicationAtRisk {
  return replicationAtRisk(samples, {
    now: options.now,
    ...(options.failureBeganAt === undefined ? {} : { failureBeganAt: options.failureBeganAt }),
    allowanceSeconds: detectionAllowanceSeconds(app, options.sourceRegion),
  });
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}

function iso(seconds: number): string {
  return new Date(Math.round(seconds * 1000)).toISOString();
}
