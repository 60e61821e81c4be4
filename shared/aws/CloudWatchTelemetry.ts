import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { TelemetryPort } from '../ports/Estate.ts';
import { publishApprovalWait, publishRto, publishWeights } from './trafficMetrics.ts';

/** Lifeboat's metrics in CloudWatch, published in the region the function runs in. */
export class CloudWatchTelemetry implements TelemetryPort {
  readonly #client: CloudWatchClient;
  readonly #now: () => Date;

  constructor(client: CloudWatchClient, now: () => Date = () => new Date()) {
    this.#client = client;
    this.#now = now;
  }

  weights(app: ApplicationConfig, weights: Readonly<Record<string, number>>): Promise<void> {
    return publishWeights(this.#client, app.name, weights, this.#now());
  }

  rto(app: ApplicationConfig, rtoSeconds: number): Promise<void> {
    return publishRto(this.#client, app.name, rtoSeconds, this.#now());
  }

  approvalWait(oldestSeconds: Readonly<Record<string, number>>): Promise<void> {
    return publishApprovalWait(this.#client, oldestSeconds, this.#now());
  }
}
