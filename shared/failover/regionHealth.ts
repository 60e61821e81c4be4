import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { detectionSignals, type DetectionSignal } from '../config/naming.ts';
import { classifyError, ThrottledError, TransientServiceError } from '../errors.ts';
import type { Estate, HealthStatus } from '../ports/Estate.ts';

export interface SignalState {
  readonly signal: DetectionSignal;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | 'unreachable';
  readonly updatedAt?: string;
  /** In ALARM: the earliest breaching datapoint the alarm evaluated, when CloudWatch says. */
  readonly breachingSince?: string;
  /** Why an `unreachable` alarm could not be read, as classified (transient or permanent). */
  readonly failure?: Error;
}

/** Reads each signal's alarm where it lives; a region that does not answer makes its signal `unreachable`. */
export async function signalStates(
  signals: readonly DetectionSignal[],
  estate: Estate,
): Promise<SignalState[]> {
  return Promise.all(
    signals.map(async (signal): Promise<SignalState> => {
      try {
        const alarm = await estate.alarms.describe(signal.alarmName, signal.alarmRegion);
        return {
          signal,
          state: alarm.state,
          updatedAt: alarm.updatedAt,
          ...(alarm.breachingSince === undefined ? {} : { breachingSince: alarm.breachingSince }),
        };
      } catch (error) {
        // Throttling says nothing about the region: let the caller retry rather than miscount.
        if (classifyError(error) instanceof ThrottledError) throw error;
        return { signal, state: 'unreachable', failure: classifyError(error) };
      }
    }),
  );
}

/**
 * A region's health as seen from outside it: Route 53's health check when its API answers, else the
 * other regions' probes (healthy when one can read an OK and none reads an ALARM). Route 53's API
 * lives in us-east-1, so an outage there must not blind Lifeboat to its standbys.
 */
export async function regionHealth(
  config: Pick<LifeboatConfig, 'controlPlaneRegions'>,
  app: ApplicationConfig,
  region: string,
  estate: Estate,
): Promise<{ status: HealthStatus; source: 'route53' | 'probes' | 'direct probe' }> {
  try {
    return { status: await estate.health.getStatus(app, region), source: 'route53' };
  } catch {
    const probes = detectionSignals({
      controlPlaneRegions: config.controlPlaneRegions,
      applications: [app],
    }).filter((s) => s.region === region && s.kind === 'probe');
    const states = await signalStates(probes, estate);
    if (states.every((s) => s.state === 'unreachable')) {
      // Nobody else can vouch for it (its only peer is the region that is down): probe it from here.
      return { status: await estate.probe.probe(app, region), source: 'direct probe' };
    }
    const healthy = states.some((s) => s.state === 'OK') && !states.some((s) => s.state === 'ALARM');
    return { status: healthy ? 'healthy' : 'unhealthy', source: 'probes' };
  }
}

/**
 * Whether a signal says its region is down. An alarm that cannot be read because its own region does
 * not answer, when that region is the one suspected (the Route 53 alarms live in us-east-1), is
 * evidence of the outage, not an absence of it.
 */
export function signalsDown(states: readonly SignalState[], suspect: string): SignalState[] {
  return states.filter(
    (s) => s.state === 'ALARM' || (s.state === 'unreachable' && s.signal.alarmRegion === suspect),
  );
}

/**
 * The signals that say the suspect is down, when they settle the quorum. A read that failed
 * transiently (a 5xx, a timeout) in a region other than the suspect says nothing about the suspect;
 * when counting it as down would reach the quorum that the readable signals miss, the decision is
 * not made on a blip: this throws TransientServiceError so the step's Retry reads again. A region
 * that stays unreachable through every retry leaves the quorum unmet, as before.
 */
export function signalsDownOrRetry(
  states: readonly SignalState[],
  suspect: string,
  quorum: number,
): SignalState[] {
  const down = signalsDown(states, suspect);
  if (down.length >= quorum) return down;
  const unsure = states.filter(
    (s) =>
      s.state === 'unreachable' &&
      s.signal.alarmRegion !== suspect &&
      s.failure instanceof TransientServiceError,
  );
  if (unsure.length > 0 && down.length + unsure.length >= quorum) {
    throw new TransientServiceError(
      `${down.length} signals for ${suspect} in ALARM (quorum ${quorum}) and ${unsure.length} could not be read: ${unsure
        .map((s) => `${s.signal.alarmName} in ${s.signal.alarmRegion} (${s.failure?.message ?? 'no answer'})`)
        .join(', ')}; reading again`,
    );
  }
  return down;
}
