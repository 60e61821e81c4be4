import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { detectionSignals, type DetectionSignal } from '../config/naming.ts';
import type { Estate, HealthStatus } from '../ports/Estate.ts';

export interface SignalState {
  readonly signal: DetectionSignal;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | 'unreachable';
  readonly updatedAt?: string;
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
        return { signal, state: alarm.state, updatedAt: alarm.updatedAt };
      } catch {
        return { signal, state: 'unreachable' };
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
): Promise<{ status: HealthStatus; source: 'route53' | 'probes' }> {
  try {
    return { status: await estate.health.getStatus(app, region), source: 'route53' };
  } catch {
    const probes = detectionSignals({
      controlPlaneRegions: config.controlPlaneRegions,
      applications: [app],
    }).filter((s) => s.region === region && s.kind === 'probe');
    const states = await signalStates(probes, estate);
    const healthy = states.some((s) => s.state === 'OK') && !states.some((s) => s.state === 'ALARM');
    return { status: healthy ? 'healthy' : 'unhealthy', source: 'probes' };
  }
}
