import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { FencePort } from '../ports/Estate.ts';

/** Where the fence metric lives; the functions may publish to this namespace and no other. */
export const FENCE_NAMESPACE = 'Lifeboat';
export const FENCE_METRIC = 'Fence';

/**
 * The fence as a high-resolution metric (`Lifeboat/Fence`, by application and region: 1 fenced,
 * 0 not) published in this control plane's own region, the one a workflow runs in. Its alarm gates
 * the region's record through the record's calculated health check, so fencing needs neither Route
 * 53's control plane nor the fenced region. Publishing the same value again changes nothing.
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
            StorageResolution: 1,
          },
        ],
      }),
    );
  }
}
