import type { LifeboatConfig } from './LifeboatConfig.ts';

/**
 * Names shared by the stacks, the functions and the local runtime. The detection stack names its
 * alarms with these and the trigger parses them back, so they change together or not at all.
 */
export const EVENT_BUS_NAME = 'lifeboat';
export const ALARM_PREFIX = 'lifeboat-';
export const LEDGER_KEY_ALIAS = 'alias/lifeboat-ledger';
export const DETECTION_REGION = 'us-east-1';

/** The Route 53 health-check alarm of one application's region. */
export function healthCheckAlarmName(application: string, region: string): string {
  return `${ALARM_PREFIX}${application}-${region}-route53-health`;
}

/**
 * The role of a function that reaches Kubernetes (`workloads`, `drill`, `custom`, `trigger` where an
 * application pre-scales on the first signal, and `database`, `preflight`, `traffic` and `offer` where
 * an application's database is CloudNativePG's) in a region: a fixed name, so that the access entries
 * on the regions' clusters can name it.
 */
export function kubernetesRoleName(
  functionName: 'workloads' | 'drill' | 'trigger' | 'custom' | 'database' | 'preflight' | 'traffic' | 'offer',
  region: string,
): string {
  return `lifeboat-${functionName}-${region}`;
}

export function stackName(
  kind: 'Detection' | 'State' | 'ControlPlane' | 'ClusterAccess',
  region?: string,
): string {
  return region === undefined ? `Lifeboat-${kind}` : `Lifeboat-${kind}-${region}`;
}

/** The alarm, in region `from`, on that region's probe of the application's endpoint in `region`. */
/** The alarm, in control-plane region `from`, on the fence vote Lifeboat publishes there for `region`. */
export function fenceAlarmName(application: string, region: string, from: string): string {
  return `${ALARM_PREFIX}${application}-${region}-fence-from-${from}`;
}

export function probeAlarmName(application: string, region: string, from: string): string {
  return `${ALARM_PREFIX}${application}-${region}-probe-from-${from}`;
}

/** One signal that an application's region may be down, and where its alarm lives. */
export interface DetectionSignal {
  readonly alarmName: string;
  readonly alarmRegion: string;
  readonly application: string;
  /** The region the signal is about. */
  readonly region: string;
  readonly kind: 'route53' | 'probe';
}

/**
 * Every detection signal of a config: per application region, its Route 53 health-check alarm (in
 * us-east-1) and a probe alarm in each other region of the application that runs a control plane.
 */
export function detectionSignals(config: {
  readonly controlPlaneRegions: readonly string[];
  readonly applications: readonly { readonly name: string; readonly regions: readonly string[] }[];
}): DetectionSignal[] {
  const signals: DetectionSignal[] = [];
  for (const app of config.applications) {
    for (const region of app.regions) {
      signals.push({
        alarmName: healthCheckAlarmName(app.name, region),
        alarmRegion: DETECTION_REGION,
        application: app.name,
        region,
        kind: 'route53',
      });
      for (const from of app.regions) {
        if (from === region || !config.controlPlaneRegions.includes(from)) continue;
        signals.push({
          alarmName: probeAlarmName(app.name, region, from),
          alarmRegion: from,
          application: app.name,
          region,
          kind: 'probe',
        });
      }
    }
  }
  return signals;
}

/** The state machine of a workflow, the same name in every control-plane region. */
export function stateMachineName(workflow: string): string {
  return `lifeboat-${workflow}`;
}

/**
 * Where the single dashboard goes (`dashboards: "one"`): the first control-plane region that is not
 * the primary of any application, so that the region most likely to fail is not the one its
 * operators read; the first control-plane region when every one is some application's primary.
 */
export function dashboardRegion(config: LifeboatConfig): string {
  const primaries = new Set(config.applications.map((a) => a.regions[0]));
  const region = config.controlPlaneRegions.find((r) => !primaries.has(r)) ?? config.controlPlaneRegions[0];
  if (region === undefined) throw new Error('the config names no control-plane region');
  return region;
}

/** The regions that hold a dashboard. */
export function dashboardRegions(config: LifeboatConfig): string[] {
  return config.dashboards === 'every-region' ? [...config.controlPlaneRegions] : [dashboardRegion(config)];
}
