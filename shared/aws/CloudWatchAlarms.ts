import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { AlarmsPort } from '../ports/Estate.ts';

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

  async describe(
    alarmName: string,
    region: string,
  ): Promise<{ state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; updatedAt: string }> {
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
    return { state, updatedAt: updatedAt.toISOString() };
  }
}
