import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import { DETECTION_REGION, healthCheckAlarmName } from '../config/naming.ts';
import type { AlarmsPort, HealthPort, HealthStatus } from '../ports/Estate.ts';

/**
 * Route 53's view of a region's health, read the way AWS supports in production: the detection
 * stack's CloudWatch alarm on the region's health check (`HealthCheckStatus`, which Route 53 publishes
 * in us-east-1 once a minute,
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html), not
 * GetHealthCheckStatus, which AWS says "is intended for use during development to diagnose behavior"
 * and "doesn't support production use-cases with high query rates"
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckStatus.html).
 *
 * OK is healthy and ALARM unhealthy. INSUFFICIENT_DATA says nothing (a check just created, or one
 * that no longer exists): it throws, and the callers fall back to the regions' probes or report it.
 */
export class AlarmHealth implements HealthPort {
  readonly #alarms: AlarmsPort;

  constructor(alarms: AlarmsPort) {
    this.#alarms = alarms;
  }

  async getStatus(app: ApplicationConfig, region: string): Promise<HealthStatus> {
    const name = healthCheckAlarmName(app.name, region);
    const alarm = await this.#alarms.describe(name, DETECTION_REGION);
    if (alarm.state === 'OK') return 'healthy';
    if (alarm.state === 'ALARM') return 'unhealthy';
    const error = new Error(
      `${name} in ${DETECTION_REGION} has no data: Route 53 publishes no HealthCheckStatus for the health check of ${app.name} in ${region} (created in the last minutes, or deleted)`,
    );
    error.name = 'HealthCheckNoData';
    throw error;
  }
}
