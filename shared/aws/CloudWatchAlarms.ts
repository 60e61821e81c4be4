import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { AlarmDescription, AlarmsPort } from '../ports/Estate.ts';

/**
 * The detection signals' alarms, each read with the client of the region it lives in: the Route 53
 * alarms in us-east-1, the probe alarms in the regions that probe. A region that does not answer
 * fails only the signals kept there.
 *
 * SDK errors propagate unchanged; the step layer classifies them.
 */
export class CloudWatchAlarms implements AlarmsPort {
  readonly #clientFor: (region: string) => CloudWatchClient;

  constructor(clientFor: (region: string) => CloudWatchClient) {
    this.#clientFor = clientFor;
  }

  async describe(alarmName: string, region: string): Promise<AlarmDescription> {
    const { MetricAlarms } = await this.#clientFor(region).send(
      new DescribeAlarmsCommand({ AlarmNames: [alarmName] }),
    );
    const alarm = MetricAlarms?.find((a) => a.AlarmName === alarmName);
    if (alarm === undefined) throw new Error(`CloudWatch in ${region} has no alarm named ${alarmName}`);
    const state = alarm.StateValue;
    const updatedAt = alarm.StateUpdatedTimestamp;
    if (state === undefined || updatedAt === undefined) {
      throw new Error(`CloudWatch in ${region} returned alarm ${alarmName} without its state`);
    }
    const breachingSince = state === 'ALARM' ? earliestDatapoint(alarm.StateReasonData) : undefined;
    return {
      state,
      updatedAt: updatedAt.toISOString(),
      ...(breachingSince === undefined ? {} : { breachingSince }),
    };
  }
}

/**
 * The earliest datapoint an alarm evaluated for its state, from its StateReasonData: the
 * `timestamp` (start of its period) of each of `evaluatedDatapoints` when given, else `startDate`,
 * the start of the range evaluated (both in the reasonData of
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html,
 * written like `2019-10-01T13:46:00.000+0000`). For an alarm that went to ALARM as soon as enough
 * datapoints breached, that is where the failure began as detection saw it. Undefined when the
 * data is missing or not of that form.
 */
export function earliestDatapoint(reasonData: string | undefined): string | undefined {
  if (reasonData === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(reasonData);
  } catch {
    return undefined;
  }
  const data = parsed as { evaluatedDatapoints?: unknown; startDate?: unknown } | null;
  const stamps = Array.isArray(data?.evaluatedDatapoints)
    ? data.evaluatedDatapoints.map((p) => (p as { timestamp?: unknown } | null)?.timestamp)
    : [data?.startDate];
  const times = stamps
    .filter((t): t is string => typeof t === 'string')
    .map((t) => Date.parse(t.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')))
    .filter((t) => Number.isFinite(t));
  return times.length === 0 ? undefined : new Date(Math.min(...times)).toISOString();
}
