import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { CloudWatchTelemetry } from '../../shared/aws/CloudWatchTelemetry.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';

const AT = new Date('2026-11-22T06:00:00.000Z');
const app = parseConfig(exampleConfigDocument()).applications[0]!;

describe('CloudWatchTelemetry', () => {
  const cloudWatch = mockClient(CloudWatchClient);
  const telemetry = new CloudWatchTelemetry(new CloudWatchClient({ region: 'us-west-2' }), () => AT);

  beforeEach(() => {
    cloudWatch.reset();
    cloudWatch.on(PutMetricDataCommand).resolves({});
  });

  it('publishes the weights just set, one datapoint per region, in the Lifeboat namespace', async () => {
    await telemetry.weights(app, { 'us-west-2': 100, 'us-east-1': 0 });
    expect(cloudWatch).toHaveReceivedCommandWith(PutMetricDataCommand, {
      Namespace: 'Lifeboat',
      MetricData: [
        {
          MetricName: 'DnsWeight',
          Dimensions: [
            { Name: 'Application', Value: 'ai-gateway' },
            { Name: 'Region', Value: 'us-east-1' },
          ],
          Timestamp: AT,
          Value: 0,
          Unit: 'None',
        },
        {
          MetricName: 'DnsWeight',
          Dimensions: [
            { Name: 'Application', Value: 'ai-gateway' },
            { Name: 'Region', Value: 'us-west-2' },
          ],
          Timestamp: AT,
          Value: 100,
          Unit: 'None',
        },
      ],
    });
  });

  it("publishes a finished failover's RTO in seconds", async () => {
    await telemetry.rto(app, 458);
    expect(cloudWatch).toHaveReceivedCommandWith(PutMetricDataCommand, {
      Namespace: 'Lifeboat',
      MetricData: [
        {
          MetricName: 'RtoSeconds',
          Dimensions: [{ Name: 'Application', Value: 'ai-gateway' }],
          Timestamp: AT,
          Value: 458,
          Unit: 'Seconds',
        },
      ],
    });
  });

  it('publishes the oldest waiting approval per workflow', async () => {
    await telemetry.approvalWait({ failover: 0, failback: 4000 });
    const input = cloudWatch.commandCalls(PutMetricDataCommand)[0]!.args[0].input;
    expect(input.MetricData?.map((d) => [d.MetricName, d.Dimensions?.[0]?.Value, d.Value])).toEqual([
      ['ApprovalWaitSeconds', 'failback', 4000],
      ['ApprovalWaitSeconds', 'failover', 0],
    ]);
  });
});
