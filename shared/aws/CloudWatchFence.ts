import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { FencePort } from '../ports/Estate.ts';

/** Where the fence metric lives; the functions may publish to this namespace and no other. */
export const FENCE_NAMESPACE = 'Lifeboat';
export const FENCE_METRIC = 'Fence';
/** CloudWatch's standard resolution (60 s), the only one Route 53's alarm-based health checks take. */
export const STANDARD_RESOLUTION_SECONDS = 60;

/**
 * The fence as a standard-resolution metric (`Lifeboat/Fence`, by application and region: 1 fenced,
 * 0 not) published in this control plane's own region, the one a workflow runs in. Its alarm gates
 * the region's record through the record's calculated health check, so fencing needs neither Route
 * 53's control plane nor the fenced region. Publishing the same value again changes nothing.
 *
 * Standard resolution because that alarm backs a Route 53 CLOUDWATCH_METRIC health check, and Route
 * 53 supports alarms on standard-resolution metrics only: "High-resolution metrics aren't supported"
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html, the same note
 * in CloudFormation's AWS::Route53::HealthCheck AlarmIdentifier). The alarm's period is a minute
 * (`FENCE_ALARM_PERIOD_SECONDS`), which a one-second resolution would not shorten anyway.
 */
export class CloudWatchFence implements FencePort {
  readonly #client: CloudWatchClient;

  /** `client` is the CloudWatch client of the function's own region. */
  constructor(client: CloudWatchClient) {
    this.#client = client;
  }

  async setFence(app: ApplicationConfig, region: string, fenced: boolean): Promise<void> {
    await this.#client.send(
      new PutMetricDataCommand({
        Namespace: FENCE_NAMESPACE,
        MetricData: [
          {
            MetricName: FENCE_METRIC,
            Dimensions: [
              { Name: 'Application', Value: app.name },
              { Name: 'Region', Value: region },
            ],
            Value: fenced ? 1 : 0,
            StorageResolution: STANDARD_RESOLUTION_SECONDS,
          },
        ],
      }),
    );
  }
}
