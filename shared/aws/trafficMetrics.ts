import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { FENCE_NAMESPACE } from './CloudWatchFence.ts';

/**
 * Lifeboat's own metrics besides the fence, in the one namespace the functions may publish to. The
 * dashboard reads them by these names, so they change together or not at all.
 */
export const LIFEBOAT_NAMESPACE = FENCE_NAMESPACE;
/** The weight of an application's record in a region (0-255), by `Application` and `Region`. */
export const DNS_WEIGHT_METRIC = 'DnsWeight';
/** The measured RTO of a finished failover, in seconds, by `Application`. */
export const RTO_METRIC = 'RtoSeconds';
/**
 * How long the oldest approval still waiting on Slack has waited, in seconds, by `Workflow`; 0 when
 * none waits. Published once a minute by whatever scans the waiting approvals, so a gauge that stops
 * is missing data rather than a stale value.
 */
export const APPROVAL_WAIT_METRIC = 'ApprovalWaitSeconds';

/**
 * Publishes an application's record weights, one datapoint per region, in the region of the client
 * (the function's own, where a workflow runs): the dashboard of every control-plane region reads each
 * region's. Called after a weight change is accepted; publishing the same weights again is harmless.
 */
export async function publishWeights(
  client: CloudWatchClient,
  application: string,
  weights: Readonly<Record<string, number>>,
  at: Date,
): Promise<void> {
  const regions = Object.keys(weights).sort();
  if (regions.length === 0) return;
  await client.send(
    new PutMetricDataCommand({
      Namespace: LIFEBOAT_NAMESPACE,
      MetricData: regions.map((region) => ({
        MetricName: DNS_WEIGHT_METRIC,
        Dimensions: [
          { Name: 'Application', Value: application },
          { Name: 'Region', Value: region },
        ],
        Timestamp: at,
        Value: weights[region],
        Unit: 'None',
      })),
    }),
  );
}

/** Publishes a finished failover's measured RTO, in the client's region. */
export async function publishRto(
  client: CloudWatchClient,
  application: string,
  rtoSeconds: number,
  at: Date,
): Promise<void> {
  await client.send(
    new PutMetricDataCommand({
      Namespace: LIFEBOAT_NAMESPACE,
      MetricData: [
        {
          MetricName: RTO_METRIC,
          Dimensions: [{ Name: 'Application', Value: application }],
          Timestamp: at,
          Value: rtoSeconds,
          Unit: 'Seconds',
        },
      ],
    }),
  );
}

/** Publishes the age of the oldest approval waiting for each workflow (0 when none waits). */
export async function publishApprovalWait(
  client: CloudWatchClient,
  oldestWaitSeconds: Readonly<Record<string, number>>,
  at: Date,
): Promise<void> {
  const workflows = Object.keys(oldestWaitSeconds).sort();
  if (workflows.length === 0) return;
  await client.send(
    new PutMetricDataCommand({
      Namespace: LIFEBOAT_NAMESPACE,
      MetricData: workflows.map((workflow) => ({
        MetricName: APPROVAL_WAIT_METRIC,
        Dimensions: [{ Name: 'Workflow', Value: workflow }],
        Timestamp: at,
        Value: oldestWaitSeconds[workflow],
        Unit: 'Seconds',
      })),
    }),
  );
}
