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

export function stackName(kind: 'Detection' | 'State' | 'ControlPlane', region?: string): string {
  return region === undefined ? `Lifeboat-${kind}` : `Lifeboat-${kind}-${region}`;
}
