import {
  CloudWatchClient,
  CloudWatchServiceException,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CloudWatchFence,
  fenceQuorum,
  fenceRegion,
  fenceVoteRegions,
  recordAnswered,
  recordCheckShape,
  votesNeeded,
} from '../../shared/aws/CloudWatchFence.ts';
import type { ApplicationConfig } from '../../shared/config/LifeboatConfig.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { PermanentServiceError, TransientServiceError } from '../../shared/errors.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';

const config = loadConfig(EXAMPLE_CONFIG_PATH);
const APP = config.applications.find((a) => a.name === 'ai-gateway') as ApplicationConfig;
const VOTERS = ['us-east-1', 'us-west-2', 'eu-west-1'];
const MAJORITY = { controlPlaneRegions: VOTERS, fenceVotes: 'majority' } as const;
const ONE = { controlPlaneRegions: VOTERS, fenceVotes: 'one' } as const;

/** One client, and one mock, per region: the fence votes go to each region's own endpoint. */
function regionalClients() {
  const clients = new Map(VOTERS.map((r) => [r, new CloudWatchClient({ region: r })]));
  const mocks = new Map([...clients].map(([r, c]) => [r, mockClient(c)]));
  const clientIn = (region: string): CloudWatchClient => {
    const client = clients.get(region);
    if (client === undefined) throw new Error(`no client for ${region}`);
    return client;
  };
  const mock = (region: string) => mocks.get(region)!;
  const restore = () => {
    for (const m of mocks.values()) m.restore();
  };
  return { clientIn, mock, restore };
}

function unavailable(region: string) {
  return new CloudWatchServiceException({
    name: 'ServiceUnavailable',
    $fault: 'server',
    $metadata: { httpStatusCode: 503 },
    message: `CloudWatch in ${region} is not answering`,
  });
}

const fenceDatum = (region: string, value: number) => ({
  Namespace: 'Lifeboat',
  MetricData: [
    {
      MetricName: 'Fence',
      Dimensions: [
        { Name: 'Application', Value: 'ai-gateway' },
        { Name: 'Region', Value: region },
      ],
      Value: value,
      StorageResolution: 60,
    },
  ],
});

describe('the fence votes', () => {
  it('puts one vote per record in a region that is neither its own, nor us-east-1, nor the primary, while one remains', () => {
    const where = (regions: string[], controlPlaneRegions: string[]) =>
      regions.map((r) => fenceRegion({ controlPlaneRegions }, { regions }, r));
    // ai-gateway: primary us-east-1, standbys us-west-2 and eu-west-1.
    expect(where(VOTERS, VOTERS)).toEqual(['us-west-2', 'eu-west-1', 'us-west-2']);
    expect(fenceVoteRegions(ONE, APP, 'us-west-2')).toEqual(['eu-west-1']);
    expect(fenceVoteRegions(MAJORITY, APP, 'us-west-2')).toEqual(VOTERS);
    // Two control planes: us-east-1's record votes in us-west-2; us-west-2's can only vote in us-east-1.
    expect(where(['us-east-1', 'us-west-2'], ['us-east-1', 'us-west-2'])).toEqual(['us-west-2', 'us-east-1']);
    // A primary outside us-east-1: the standby's vote avoids the primary before us-east-1.
    expect(where(['eu-west-1', 'us-west-2'], ['eu-west-1', 'us-west-2', 'us-east-1'])).toEqual([
      'us-west-2',
      'us-east-1',
    ]);
    // No other control plane: the record's own region, the only one there is.
    expect(
      fenceRegion(
        { controlPlaneRegions: ['us-west-2'] },
        { regions: ['us-west-2', 'eu-west-1'] },
        'us-west-2',
      ),
    ).toBe('us-west-2');
  });

  it('needs a strict majority of the votes open', () => {
    expect([1, 2, 3, 4, 5].map(fenceQuorum)).toEqual([1, 2, 2, 3, 3]);
  });

  it('shapes the record check so it is healthy exactly when the endpoint is and a quorum of votes is open', () => {
    expect(recordCheckShape(3)).toEqual({ endpointCopies: 2, threshold: 4, quorum: 2 });
    expect(recordCheckShape(2)).toEqual({ endpointCopies: 1, threshold: 3, quorum: 2 });
    expect(recordCheckShape(3, false)).toEqual({ endpointCopies: 1, threshold: 4, quorum: 3 });
    for (const n of [1, 2, 3, 4, 5]) {
      const shape = recordCheckShape(n);
      for (let mask = 0; mask < 2 ** n; mask++) {
        const votes = Array.from({ length: n }, (_, i) => (mask & (1 << i)) !== 0);
        const open = votes.filter((v) => !v).length;
        for (const endpoint of [true, false]) {
          // Count the healthy children the way Route 53 does and compare with the threshold.
          const healthy = (endpoint ? shape.endpointCopies : 0) + open;
          expect(healthy >= shape.threshold).toBe(endpoint && open >= fenceQuorum(n));
          expect(recordAnswered(endpoint, votes)).toBe(endpoint && open >= fenceQuorum(n));
        }
      }
    }
  });

  it('needs enough published votes to decide: n - q + 1 to fence, q to unfence', () => {
    expect(votesNeeded(3, true)).toBe(2);
    expect(votesNeeded(3, false)).toBe(2);
    expect(votesNeeded(3, true, false)).toBe(1);
    expect(votesNeeded(3, false, false)).toBe(3);
  });
});

describe('CloudWatchFence', () => {
  let regional: ReturnType<typeof regionalClients>;
  beforeEach(() => {
    regional = regionalClients();
  });
  afterEach(() => {
    regional.restore();
  });

  it('publishes 1 for the application and region at standard (60 s) resolution in every vote region', async () => {
    for (const r of VOTERS) regional.mock(r).on(PutMetricDataCommand).resolves({});

    const result = await new CloudWatchFence(regional.clientIn, MAJORITY).setFence(APP, 'us-east-1', true);

    expect(result).toEqual({ votes: VOTERS, missed: [] });
    for (const r of VOTERS) {
      expect(
        regional
          .mock(r)
          .commandCalls(PutMetricDataCommand)
          .map((c) => c.args[0].input),
      ).toEqual([fenceDatum('us-east-1', 1)]);
    }
  });

  it('publishes 0 in every vote region when it lifts the fence', async () => {
    for (const r of VOTERS) regional.mock(r).on(PutMetricDataCommand).resolves({});

    await new CloudWatchFence(regional.clientIn, MAJORITY).setFence(APP, 'us-west-2', false);

    for (const r of VOTERS) {
      expect(regional.mock(r).commandCalls(PutMetricDataCommand)[0]!.args[0].input).toEqual(
        fenceDatum('us-west-2', 0),
      );
    }
  });

  it('fences and unfences while one vote region is down, and says which one missed its vote', async () => {
    regional.mock('us-east-1').on(PutMetricDataCommand).rejects(unavailable('us-east-1'));
    regional.mock('us-west-2').on(PutMetricDataCommand).resolves({});
    regional.mock('eu-west-1').on(PutMetricDataCommand).resolves({});
    const fence = new CloudWatchFence(regional.clientIn, MAJORITY);

    await expect(fence.setFence(APP, 'us-east-1', true)).resolves.toEqual({
      votes: ['us-west-2', 'eu-west-1'],
      missed: ['us-east-1'],
    });
    await expect(fence.setFence(APP, 'us-west-2', false)).resolves.toEqual({
      votes: ['us-west-2', 'eu-west-1'],
      missed: ['us-east-1'],
    });
  });

  it('fails, retryably and naming the regions, when fewer than a quorum of vote regions answer', async () => {
    regional.mock('us-east-1').on(PutMetricDataCommand).rejects(unavailable('us-east-1'));
    regional.mock('us-west-2').on(PutMetricDataCommand).resolves({});
    regional.mock('eu-west-1').on(PutMetricDataCommand).rejects(unavailable('eu-west-1'));

    const attempt = new CloudWatchFence(regional.clientIn, MAJORITY).setFence(APP, 'us-east-1', false);

    await expect(attempt).rejects.toBeInstanceOf(TransientServiceError);
    await expect(attempt).rejects.toThrow(
      /^ServiceUnavailable: CloudWatch in us-east-1 is not answering \(in us-east-1\): unfencing ai-gateway in us-east-1 needs 2 of 3 fence votes and 1 was published \(us-west-2\); us-east-1: ServiceUnavailable: CloudWatch in us-east-1 is not answering; eu-west-1: ServiceUnavailable/,
    );
  });

  it('fails for good when a vote is refused (access denied), not only unavailable', async () => {
    const denied = new CloudWatchServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: 'not authorized to perform: cloudwatch:PutMetricData',
    });
    regional.mock('us-east-1').on(PutMetricDataCommand).rejects(denied);
    regional.mock('us-west-2').on(PutMetricDataCommand).rejects(denied);
    regional.mock('eu-west-1').on(PutMetricDataCommand).resolves({});

    await expect(
      new CloudWatchFence(regional.clientIn, MAJORITY).setFence(APP, 'us-east-1', true),
    ).rejects.toBeInstanceOf(PermanentServiceError);
  });

  it('refuses to be built without a control-plane region', () => {
    expect(
      () => new CloudWatchFence(regional.clientIn, { controlPlaneRegions: [], fenceVotes: 'one' }),
    ).toThrow(/at least one control-plane region/);
  });

  it("with one vote per record (the default), publishes in the record's fence region only", async () => {
    for (const r of VOTERS) regional.mock(r).on(PutMetricDataCommand).resolves({});
    const fence = new CloudWatchFence(regional.clientIn, ONE);

    await expect(fence.setFence(APP, 'us-east-1', true)).resolves.toEqual({
      votes: ['us-west-2'],
      missed: [],
    });
    await expect(fence.setFence(APP, 'us-west-2', false)).resolves.toEqual({
      votes: ['eu-west-1'],
      missed: [],
    });

    expect(
      regional
        .mock('us-west-2')
        .commandCalls(PutMetricDataCommand)
        .map((c) => c.args[0].input),
    ).toEqual([fenceDatum('us-east-1', 1)]);
    expect(
      regional
        .mock('eu-west-1')
        .commandCalls(PutMetricDataCommand)
        .map((c) => c.args[0].input),
    ).toEqual([fenceDatum('us-west-2', 0)]);
    expect(regional.mock('us-east-1').commandCalls(PutMetricDataCommand)).toEqual([]);
  });

  it('with one vote per record, fails retryably while the fence region is down, and a down us-east-1 stops no fence', async () => {
    regional.mock('us-east-1').on(PutMetricDataCommand).rejects(unavailable('us-east-1'));
    regional.mock('us-west-2').on(PutMetricDataCommand).resolves({});
    regional.mock('eu-west-1').on(PutMetricDataCommand).rejects(unavailable('eu-west-1'));
    const fence = new CloudWatchFence(regional.clientIn, ONE);

    for (const region of ['us-east-1', 'eu-west-1']) {
      await expect(fence.setFence(APP, region, true)).resolves.toEqual({ votes: ['us-west-2'], missed: [] });
    }
    const attempt = fence.setFence(APP, 'us-west-2', true);
    await expect(attempt).rejects.toBeInstanceOf(TransientServiceError);
    await expect(attempt).rejects.toThrow(
      /fencing ai-gateway in us-west-2 needs 1 of 1 fence votes and 0 were published/,
    );
  });
});
