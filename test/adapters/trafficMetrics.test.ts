import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { publishApprovalWait, publishRto, publishWeights } from '../../shared/aws/trafficMetrics.ts';

const client = new CloudWatchClient({ region: 'us-west-2' });
const cloudWatch = mockClient(client);
const AT = new Date('2030-01-01T00:05:00.000Z');

beforeEach(() => {
  cloudWatch.reset();
  cloudWatch.on(PutMetricDataCommand).resolves({});
});

describe('Lifeboat metrics', () => {
  it('publishes each region’s weight of an application in one call, in the client’s region', async () => {
    await publishWeights(client, 'ai-gateway', { 'us-west-2': 100, 'us-east-1': 0 }, AT);
    expect(cloudWatch).toHaveReceivedCommandTimes(PutMetricDataCommand, 1);
    expect(cloudWatch.commandCalls(PutMetricDataCommand)[0]!.args[0].input).toEqual({
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
    expect(await client.config.region()).toBe('us-west-2');
  });

  it('publishes nothing for no weights', async () => {
    await publishWeights(client, 'ai-gateway', {}, AT);
    expect(cloudWatch).not.toHaveReceivedCommand(PutMetricDataCommand);
  });

  it('publishes the RTO in seconds by application', async () => {
    await publishRto(client, 'ai-gateway', 312, AT);
    expect(cloudWatch).toHaveReceivedCommandWith(PutMetricDataCommand, {
      Namespace: 'Lifeboat',
      MetricData: [
        {
          MetricName: 'RtoSeconds',
          Dimensions: [{ Name: 'Application', Value: 'ai-gateway' }],
          Timestamp: AT,
          Value: 312,
          Unit: 'Seconds',
        },
      ],
    });
  });

  it('publishes the oldest approval wait by workflow', async () => {
    await publishApprovalWait(client, { failover: 0, failback: 4000 }, AT);
    expect(cloudWatch).toHaveReceivedCommandWith(PutMetricDataCommand, {
      Namespace: 'Lifeboat',
      MetricData: [
        {
          MetricName: 'ApprovalWaitSeconds',
          Dimensions: [{ Name: 'Workflow', Value: 'failback' }],
          Timestamp: AT,
          Value: 4000,
          Unit: 'Seconds',
        },
        {
          MetricName: 'ApprovalWaitSeconds',
          Dimensions: [{ Name: 'Workflow', Value: 'failover' }],
          Timestamp: AT,
          Value: 0,
          Unit: 'Seconds',
        },
      ],
    });
  });

  it('passes errors on unchanged, for the step to classify', async () => {
    cloudWatch.on(PutMetricDataCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await expect(publishRto(client, 'ai-gateway', 1, AT)).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
