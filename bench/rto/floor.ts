import type { ApplicationConfig, WorkloadConfig } from '../../shared/config/LifeboatConfig.ts';
import { databasePromotion, type LatencyModel } from '../../local/world/LatencyModel.ts';

/**
 * The physical floor of a failover's RTO, from the latency model and the config alone: nothing a
 * control plane does can beat it. Measured from the fault's onset.
 */
export interface RtoFloor {
  /**
   * The earliest the outage can be known: the quicker of the Route 53 check (interval × failure
   * threshold) and another region's probe (probe interval × failure threshold, the last probe
   * failing at its timeout).
   */
  readonly detectionSeconds: number;
  /** When Route 53's data plane drops the failed region by its endpoint check alone. */
  readonly route53DetectionSeconds: number;
  /** The configured confirmation window (0 when automatic failover is off: a person decides). */
  readonly confirmationSeconds: number;
  readonly promotionSeconds: number;
  readonly workloadReadinessSeconds: number;
  /** When the DNS answers can last change, so clients' caches hold the standby TTL later. */
  readonly answersSettleSeconds: number;
  /** The part of the TTL not already overlapped by detection, confirmation and recovery. */
  readonly ttlNotOverlappedSeconds: number;
  readonly floorSeconds: number;
}

/**
 * How long the standby's workloads take to meet their minimum ready replicas from standby size,
 * as the simulated EKS model runs them: pods start in a pod-start on the standby nodes' free room
 * (pods per node as the active sizes pack them); when that room is short, new nodes come first.
 */
export function workloadReadinessSeconds(workload: WorkloadConfig, latency: LatencyModel): number {
  const minReady = workload.deployments.reduce((sum, d) => sum + (d.minReadyReplicas ?? d.activeReplicas), 0);
  const standbyPods = workload.deployments.reduce((sum, d) => sum + d.standbyReplicas, 0);
  const lacking = workload.deployments.some(
    (d) => d.standbyReplicas < (d.minReadyReplicas ?? d.activeReplicas),
  );
  if (!lacking) return 0;
  const activeNodes = workload.nodeGroups.reduce((sum, g) => sum + g.activeSize, 0);
  if (activeNodes === 0) return latency.podStartSeconds;
  const activePods = workload.deployments.reduce((sum, d) => sum + d.activeReplicas, 0);
  const podsPerNode = Math.ceil(activePods / activeNodes);
  const standbyRoom = workload.nodeGroups.reduce((sum, g) => sum + g.standbySize, 0) * podsPerNode;
  // Pods that run on standby already keep their place; the shortfall needs room of its own.
  return Math.max(minReady, standbyPods) <= standbyRoom
    ? latency.podStartSeconds
    : latency.nodeGroupScaleUpSeconds + latency.podStartSeconds;
}

/** Until the target writes: its database's promotion, or its stores' failovers when they take longer (in parallel). */
export function promotionSeconds(app: ApplicationConfig, latency: LatencyModel): number {
  const database = databasePromotion(app.database, latency, false).seconds;
  return app.stores.length === 0 ? database : Math.max(database, latency.storeFailoverSeconds);
}

/**
 * The floor of failing `app` over to `target` when its primary fails. The TTL counts only where
 * clients could still hold an answer naming another region once the standby is ready: with one
 * standby, Route 53's data plane answers with it as soon as the primary's check fails or its fence
 * lands, whichever is first; with more, the others leave the answers only when fenced, after the
 * confirmation, one fence alarm period later.
 */
export function rtoFloor(app: ApplicationConfig, target: string, latency: LatencyModel): RtoFloor {
  const primary = app.regions[0] ?? '';
  const check = app.healthChecks[primary];
  const route53DetectionSeconds =
    check === undefined || check.kind === 'existing'
      ? 30 * 3 // an existing check's settings are not in the config: Route 53's defaults
      : check.intervalSeconds * check.failureThreshold;
  // A region that is down does not answer: its last failing probe ends at the probe's timeout.
  const probeSeconds =
    app.detection.probeIntervalSeconds * app.detection.probeFailureThreshold + latency.probeTimeoutSeconds;
  const detectionSeconds = Math.min(route53DetectionSeconds, probeSeconds);
  const confirmationSeconds = app.automation.automaticFailover ? app.automation.outageConfirmationSeconds : 0;
  const workload = app.workloads[target];
  const readiness = workload === undefined ? 0 : workloadReadinessSeconds(workload, latency);
  const promotion = promotionSeconds(app, latency);
  const ready = detectionSeconds + confirmationSeconds + Math.max(promotion, readiness);
  const fencedSeconds = detectionSeconds + confirmationSeconds + latency.fenceAlarmPeriodSeconds;
  const answersSettleSeconds =
    app.regions.length <= 2 ? Math.min(route53DetectionSeconds, fencedSeconds) : fencedSeconds;
  const ttlNotOverlappedSeconds = Math.max(0, answersSettleSeconds + app.dns.ttlSeconds - ready);
  return {
    detectionSeconds,
    route53DetectionSeconds,
    confirmationSeconds,
    promotionSeconds: promotion,
    workloadReadinessSeconds: readiness,
    answersSettleSeconds,
    ttlNotOverlappedSeconds,
    floorSeconds: ready + ttlNotOverlappedSeconds,
  };
}

/** A DNS log entry as the report gives it. */
export interface DnsChange {
  readonly at: number;
  readonly application: string;
  readonly answers: readonly string[];
}

/**
 * The RTO clients see, counted as the floor counts it: the application serves again at
 * `restoredAt`, but a client may hold an answer given before the last change of the answers until
 * a TTL after that change. The report's RTO adds the whole TTL to `restoredAt` instead.
 */
export function clientRtoSeconds(
  outageAt: number,
  restoredAt: number,
  ttlSeconds: number,
  dns: readonly DnsChange[],
  application: string,
): number {
  const lastChange = dns
    .filter((d) => d.application === application && d.at <= restoredAt && d.at >= outageAt)
    .reduce((latest, d) => Math.max(latest, d.at), Number.NEGATIVE_INFINITY);
  const settled = Number.isFinite(lastChange) ? lastChange + ttlSeconds : restoredAt;
  return Math.max(restoredAt, settled) - outageAt;
}
