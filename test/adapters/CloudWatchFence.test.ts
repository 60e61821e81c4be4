import {
  CloudWatchClient,
  CloudWatchServiceException,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchFence } from '../../shared/aws/CloudWatchFence.ts';
import type { ApplicationConfig } from '../../shared/config/LifeboatConfig.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';

const config = loadConfig(EXAMPLE_CONFIG_PATH);
const APP = config.applications.find((a) => a.name === 'ai-gateway') as ApplicationConfig;

const cloudWatch = mockClient(CloudWatchClient);

beforeEach(() => {
  cloudWatch.reset();
});

describe('CloudWatchFence', () => {
  it('publishes 1 for the application and region at standard (60 s) resolution when it fences', async () => {
    cloudWatch.on(PutMetricDataCommand).resolves({});

    await new CloudWatchFence(new CloudWatchClient({ region: 'us-west-2' })).setFence(APP, 'us-east-1', true);

    expect(cloudWatch.commandCalls(PutMetricDataCommand)).toHaveLength(1);
    expect(cloudWatch.commandCalls(PutMetricDataCommand)[0]!.args[0].input).toEqual({
      Namespace: 'Lifeboat',
      MetricData: [
        {
          MetricName: 'Fence',
          Dimensions: [
            { Name: 'Application', Value: 'ai-gateway' },
            { Name: 'Region', Value: 'us-east-1' },
          ],
          Value: 1,
          StorageResolution: 60,
        },
      ],
    });
  });

  it('publishes 0 when it lifts the fence', async () => {
    cloudWatch.on(PutMetricDataCommand).resolves({});

    await new CloudWatchFence(new CloudWatchClient({ region: 'us-west-2' })).setFence(
      APP,
      'eu-west-1',
      false,
    );

    expect(cloudWatch.commandCalls(PutMetricDataCommand)[0]!.args[0].input).toEqual({
      Namespace: 'Lifeboat',
      MetricData: [
        {
          MetricName: 'Fence',
          Dimensions: [
            { Name: 'Application', Value: 'ai-gateway' },
            { Name: 'Region', Value: 'eu-west-1' },
          ],
          Value: 0,
          StorageResolution: 60,
        },
      ],
    });
  });

  it('publishes with the client it was given, the one of its own region, whatever region it fences', async () => {
    const own = new CloudWatchClient({ region: 'us-west-2' });
    const ownMock = mockClient(own);
    ownMock.on(PutMetricDataCommand).resolves({});

    await new CloudWatchFence(own).setFence(APP, 'us-east-1', true);

    expect(ownMock.commandCalls(PutMetricDataCommand)).toHaveLength(1);
    ownMock.restore();
  });

  it('propagates an SDK error unchanged when CloudWatch throttles', async () => {
    const error = new CloudWatchServiceException({
      name: 'Throttling',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate exceeded',
    });
    cloudWatch.on(PutMetricDataCommand).rejects(error);

    await expect(
      new CloudWatchFence(new CloudWatchClient({ region: 'us-west-2' })).setFence(APP, 'us-east-1', true),
    ).rejects.toBe(error);
  });
});
