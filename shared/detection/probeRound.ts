import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import type { Clock } from '../ports/Clock.ts';
import type { EndpointProbePort } from '../ports/Estate.ts';

/** The metric a control plane publishes per probed application region (1 served, 0 did not). */
export const PROBE_NAMESPACE = 'Lifeboat';
export const PROBE_METRIC = 'ProbeSuccess';

/** The probe function runs once a minute; its rounds fill that minute. */
export const PROBE_WINDOW_SECONDS = 60;

/** One application region that this control plane probes. */
export interface ProbeTarget {
  readonly app: ApplicationConfig;
  /** The probed region (never the probing one). */
  readonly region: string;
}

/** The outcome of one probe, as published. */
export interface ProbeResult {
  readonly application: string;
  readonly region: string;
  readonly success: boolean;
}

export interface ProbeMinuteDeps {
  readonly probe: EndpointProbePort;
  /** Publishes one round's results in a single call. */
  readonly publish: (results: readonly ProbeResult[]) => Promise<void>;
  readonly clock: Clock;
  /** Told about a round that could not be published or a region that could not be probed. */
  readonly onError?: (what: string, error: unknown) => void;
}

export interface ProbeMinuteOutcome {
  readonly rounds: number;
  readonly published: number;
  readonly failedRounds: number;
}

/**
 * What a control plane in `here` probes: every other region of each application that has `here`
 * among its regions.
 */
export function probeTargets(config: Pick<LifeboatConfig, 'applications'>, here: string): ProbeTarget[] {
  return config.applications
    .filter((app) => app.regions.includes(here))
    .flatMap((app) => app.regions.filter((region) => region !== here).map((region) => ({ app, region })));
}

/** The offsets (seconds into the minute) at which an application's regions are probed. */
export function roundOffsets(probeIntervalSeconds: number): number[] {
  const offsets: number[] = [];
  for (let at = 0; at < PROBE_WINDOW_SECONDS; at += probeIntervalSeconds) offsets.push(at);
  return offsets;
}

/** Probes each target once; a probe that cannot be made (no endpoint) is left out and reported. */
export async function probeRound(
  targets: readonly ProbeTarget[],
  deps: Pick<ProbeMinuteDeps, 'probe' | 'onError'>,
): Promise<ProbeResult[]> {
  const results = await Promise.all(
    targets.map(async ({ app, region }): Promise<ProbeResult | undefined> => {
      try {
        const status = await deps.probe.probe(app, region);
        return { application: app.name, region, success: status === 'healthy' };
      } catch (error) {
        deps.onError?.(`probe ${app.name} in ${region}`, error);
        return undefined;
      }
    }),
  );
  return results.filter((r): r is ProbeResult => r !== undefined);
}

/**
 * One minute of probing: each target every `probeIntervalSeconds` of its application (the first
 * round at once), each round's results published in one call. Rounds are kept on the minute's
 * schedule (a slow round shortens the wait before the next, never shifts it), and a failed publish
 * does not stop the rounds after it.
 */
export async function probeMinute(
  targets: readonly ProbeTarget[],
  deps: ProbeMinuteDeps,
): Promise<ProbeMinuteOutcome> {
  const byOffset = new Map<number, ProbeTarget[]>();
  for (const target of targets) {
    for (const at of roundOffsets(target.app.detection.probeIntervalSeconds)) {
      const round = byOffset.get(at) ?? [];
      round.push(target);
      byOffset.set(at, round);
    }
  }
  const start = deps.clock.now().getTime();
  let rounds = 0;
  let published = 0;
  let failedRounds = 0;
  for (const at of [...byOffset.keys()].sort((a, b) => a - b)) {
    const wait = at - (deps.clock.now().getTime() - start) / 1000;
    if (wait > 0) await deps.clock.sleep(wait);
    const results = await probeRound(byOffset.get(at) ?? [], deps);
    rounds += 1;
    if (results.length === 0) continue;
    try {
      await deps.publish(results);
      published += results.length;
    } catch (error) {
      failedRounds += 1;
      deps.onError?.(`publish the round at ${at} s`, error);
    }
  }
  return { rounds, published, failedRounds };
}

/** A round's results as CloudWatch metric data: high resolution, by application and probed region. */
export function probeMetricData(
  results: readonly ProbeResult[],
  timestamp: Date,
): {
  MetricName: string;
  Dimensions: { Name: string; Value: string }[];
  Value: number;
  StorageResolution: number;
  Timestamp: Date;
}[] {
  return results.map((r) => ({
    MetricName: PROBE_METRIC,
    Dimensions: [
      { Name: 'Application', Value: r.application },
      { Name: 'Region', Value: r.region },
    ],
    Value: r.success ? 1 : 0,
    StorageResolution: 1,
    Timestamp: timestamp,
  }));
}
