import {
  CloudWatchClient,
  CloudWatchServiceException,
  DescribeAlarmsCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchAlarms, earliestDatapoint } from '../../shared/aws/CloudWatchAlarms.ts';

const east = new CloudWatchClient({ region: 'us-east-1' });
const west = new CloudWatchClient({ region: 'us-west-2' });
const eastMock = mockClient(east);
const westMock = mockClient(west);

/** Which regions' clients the adapter asked for, in order. */
let requestedRegions: string[];

function alarms(): CloudWatchAlarms {
  const clients: Record<string, CloudWatchClient> = { 'us-east-1': east, 'us-west-2': west };
  return new CloudWatchAlarms((region) => {
    requestedRegions.push(region);
    const client = clients[region];
    if (client === undefined) throw new Error(`no test client for ${region}`);
    return client;
  });
}

const ROUTE53_ALARM = 'lifeboat-ai-gateway-us-east-1-route53-health';
const PROBE_ALARM = 'lifeboat-ai-gateway-us-east-1-probe-from-us-west-2';

beforeEach(() => {
  eastMock.reset();
  westMock.reset();
  requestedRegions = [];
});

describe('CloudWatchAlarms', () => {
  it('returns the state and when it last changed when the alarm exists in its region', async () => {
    eastMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: ROUTE53_ALARM,
          StateValue: 'ALARM',
          StateUpdatedTimestamp: new Date('2026-11-22T06:00:30.000Z'),
        },
      ],
    });

    await expect(alarms().describe(ROUTE53_ALARM, 'us-east-1')).resolves.toEqual({
      state: 'ALARM',
      updatedAt: '2026-11-22T06:00:30.000Z',
    });

    expect(requestedRegions).toEqual(['us-east-1']);
    expect(eastMock.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
    expect(eastMock.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input).toEqual({
      AlarmNames: [ROUTE53_ALARM],
    });
    expect(westMock.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
  });

  it('asks the client of the region the alarm lives in when that is another region', async () => {
    westMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: PROBE_ALARM,
          StateValue: 'OK',
          StateUpdatedTimestamp: new Date('2026-11-22T05:00:00.000Z'),
        },
      ],
    });

    await expect(alarms().describe(PROBE_ALARM, 'us-west-2')).resolves.toEqual({
      state: 'OK',
      updatedAt: '2026-11-22T05:00:00.000Z',
    });

    expect(requestedRegions).toEqual(['us-west-2']);
    expect(westMock.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input).toEqual({
      AlarmNames: [PROBE_ALARM],
    });
    expect(eastMock.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
  });

  it('reports INSUFFICIENT_DATA as it is when the alarm has no datapoints', async () => {
    westMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: PROBE_ALARM,
          StateValue: 'INSUFFICIENT_DATA',
          StateUpdatedTimestamp: new Date('2026-11-22T05:00:00.000Z'),
        },
      ],
    });

    await expect(alarms().describe(PROBE_ALARM, 'us-west-2')).resolves.toEqual({
      state: 'INSUFFICIENT_DATA',
      updatedAt: '2026-11-22T05:00:00.000Z',
    });
  });

  it('throws an error naming the alarm and region when CloudWatch has no such alarm', async () => {
    eastMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });

    await expect(alarms().describe(ROUTE53_ALARM, 'us-east-1')).rejects.toThrow(
      `CloudWatch in us-east-1 has no alarm named ${ROUTE53_ALARM}`,
    );
  });

  it('ignores other alarms in the answer when none has the name asked for', async () => {
    eastMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'someone-else', StateValue: 'ALARM', StateUpdatedTimestamp: new Date(0) }],
    });

    await expect(alarms().describe(ROUTE53_ALARM, 'us-east-1')).rejects.toThrow(
      `CloudWatch in us-east-1 has no alarm named ${ROUTE53_ALARM}`,
    );
  });

  it('throws an error naming the alarm when CloudWatch returns it without a state', async () => {
    eastMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: ROUTE53_ALARM }] });

    await expect(alarms().describe(ROUTE53_ALARM, 'us-east-1')).rejects.toThrow(
      `CloudWatch in us-east-1 returned alarm ${ROUTE53_ALARM} without its state`,
    );
  });

  it('propagates an SDK error unchanged when CloudWatch throttles', async () => {
    const error = new CloudWatchServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: {},
      message: 'Rate exceeded',
    });
    eastMock.on(DescribeAlarmsCommand).rejects(error);

    await expect(alarms().describe(ROUTE53_ALARM, 'us-east-1')).rejects.toBe(error);
  });
});

describe('where an alarm says its failure began', () => {
  it('reads the earliest evaluated datapoint of an alarm in ALARM from its StateReasonData', async () => {
    westMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: PROBE_ALARM,
          StateValue: 'ALARM',
          StateUpdatedTimestamp: new Date('2026-11-22T06:00:30.000Z'),
          StateReasonData: JSON.stringify({
            version: '1.0',
            queryDate: '2026-11-22T06:00:30.120+0000',
            startDate: '2026-11-22T06:00:10.000+0000',
            statistic: 'Minimum',
            period: 10,
            recentDatapoints: [0, 0, 0],
            threshold: 1,
            evaluatedDatapoints: [
              { timestamp: '2026-11-22T06:00:30.000+0000', sampleCount: 1, value: 0 },
              { timestamp: '2026-11-22T06:00:20.000+0000', sampleCount: 1, value: 0 },
              { timestamp: '2026-11-22T06:00:10.000+0000', sampleCount: 1, value: 0 },
            ],
          }),
        },
      ],
    });
    await expect(alarms().describe(PROBE_ALARM, 'us-west-2')).resolves.toEqual({
      state: 'ALARM',
      updatedAt: '2026-11-22T06:00:30.000Z',
      breachingSince: '2026-11-22T06:00:10.000Z',
    });
  });

  it('falls back to startDate, and says nothing when the data is absent or malformed, or the alarm is OK', async () => {
    expect(earliestDatapoint('{"version":"1.0","startDate":"2019-10-01T13:46:00.000+0000"}')).toBe(
      '2019-10-01T13:46:00.000Z',
    );
    expect(earliestDatapoint(undefined)).toBeUndefined();
    expect(earliestDatapoint('not json')).toBeUndefined();
    expect(earliestDatapoint('{"evaluatedDatapoints":[{"timestamp":"yesterday"}]}')).toBeUndefined();
    westMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: PROBE_ALARM,
          StateValue: 'OK',
          StateUpdatedTimestamp: new Date('2026-11-22T06:10:00.000Z'),
          StateReasonData: '{"startDate":"2026-11-22T06:09:00.000+0000"}',
        },
      ],
    });
    await expect(alarms().describe(PROBE_ALARM, 'us-west-2')).resolves.toEqual({
      state: 'OK',
      updatedAt: '2026-11-22T06:10:00.000Z',
    });
  });
});
