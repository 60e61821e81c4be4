import type { ApplicationConfig, LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import {
  probeMetricData,
  probeMinute,
  probeTargets,
  roundOffsets,
  type ProbeResult,
} from '../../shared/detection/probeRound.ts';
import type { Clock } from '../../shared/ports/Clock.ts';
import { testConfig } from '../support/synth.ts';

/** A clock whose sleeps pass at once, advancing its time; probes may also advance it. */
function virtualClock(): Clock & { seconds: number; sleeps: number[] } {
  const clock = {
    seconds: 0,
    sleeps: [] as number[],
    now: () => new Date(Date.UTC(2026, 0, 1) + clock.seconds * 1000),
    sleep: (s: number) => {
      clock.sleeps.push(s);
      clock.seconds += s;
      return Promise.resolve();
    },
  };
  return clock;
}

function withInterval(config: LifeboatConfig, interval: 10 | 30 | 60): LifeboatConfig {
  return {
    ...config,
    applications: config.applications.map((a) => ({
      ...a,
      detection: { ...a.detection, probeIntervalSeconds: interval },
    })),
  };
}

describe('probeTargets', () => {
  it("probes every other region of each application that runs in this control plane's region", () => {
    const config = testConfig();
    expect(probeTargets(config, 'us-west-2').map((t) => `${t.app.name}/${t.region}`)).toEqual([
      'ai-gateway/us-east-1',
      'ai-gateway/eu-west-1',
      'ai-gateway-drill/us-east-1',
    ]);
    expect(probeTargets(config, 'eu-west-1').map((t) => `${t.app.name}/${t.region}`)).toEqual([
      'ai-gateway/us-east-1',
      'ai-gateway/us-west-2',
    ]);
    expect(probeTargets(config, 'ap-south-1')).toEqual([]);
  });
});

describe('roundOffsets', () => {
  it('fills the minute, the first round at once', () => {
    expect(roundOffsets(10)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(roundOffsets(30)).toEqual([0, 30]);
    expect(roundOffsets(60)).toEqual([0]);
  });
});

describe('probeMinute', () => {
  it('probes each target every interval and publishes each round in one call', async () => {
    const config = withInterval(testConfig(), 10);
    const clock = virtualClock();
    const probed: string[] = [];
    const published: ProbeResult[][] = [];
    const outcome = await probeMinute(probeTargets(config, 'us-west-2'), {
      clock,
      probe: {
        probe: (app: ApplicationConfig, region: string) => {
          probed.push(`${clock.seconds}:${app.name}/${region}`);
          return Promise.resolve(region === 'us-east-1' ? 'unhealthy' : 'healthy');
        },
      },
      publish: (results) => {
        published.push([...results]);
        return Promise.resolve();
      },
    });
    expect(outcome).toEqual({ rounds: 6, published: 18, failedRounds: 0 });
    expect(published).toHaveLength(6);
    expect(published[0]).toEqual([
      { application: 'ai-gateway', region: 'us-east-1', success: false },
      { application: 'ai-gateway', region: 'eu-west-1', success: true },
      { application: 'ai-gateway-drill', region: 'us-east-1', success: false },
    ]);
    expect(probed.filter((p) => p.startsWith('0:'))).toHaveLength(3);
    expect(probed.filter((p) => p.startsWith('50:'))).toHaveLength(3);
    expect(clock.sleeps).toEqual([10, 10, 10, 10, 10]);
  });

  it('keeps to the schedule when a round is slow, and goes on after a failed publish', async () => {
    const config = withInterval(testConfig(), 30);
    const clock = virtualClock();
    const errors: string[] = [];
    let publishes = 0;
    const outcome = await probeMinute(probeTargets(config, 'eu-west-1'), {
      clock,
      probe: {
        probe: () => {
          clock.seconds += 3; // probes take three seconds
          return Promise.resolve('healthy');
        },
      },
      publish: () => {
        publishes += 1;
        return publishes === 1 ? Promise.reject(new Error('throttled')) : Promise.resolve();
      },
      onError: (what) => errors.push(what),
    });
    expect(outcome).toEqual({ rounds: 2, published: 2, failedRounds: 1 });
    expect(clock.sleeps).toEqual([24]);
    expect(errors).toEqual(['publish the round at 0 s']);
  });

  it('leaves out a probe that cannot be made and reports it', async () => {
    const config = withInterval(testConfig(), 60);
    const errors: string[] = [];
    const published: ProbeResult[][] = [];
    await probeMinute(probeTargets(config, 'eu-west-1'), {
      clock: virtualClock(),
      probe: {
        probe: (_app: ApplicationConfig, region: string) =>
          region === 'us-east-1' ? Promise.reject(new Error('no endpoint')) : Promise.resolve('healthy'),
      },
      publish: (results) => {
        published.push([...results]);
        return Promise.resolve();
      },
      onError: (what) => errors.push(what),
    });
    expect(published).toEqual([[{ application: 'ai-gateway', region: 'us-west-2', success: true }]]);
    expect(errors).toEqual(['probe ai-gateway in us-east-1']);
  });
});

describe('probeMetricData', () => {
  it('is ProbeSuccess by application and probed region, 1 or 0, at one-second resolution', () => {
    const at = new Date('2026-01-01T00:00:10Z');
    expect(
      probeMetricData(
        [
          { application: 'a', region: 'us-east-1', success: true },
          { application: 'a', region: 'eu-west-1', success: false },
        ],
        at,
      ),
    ).toEqual([
      {
        MetricName: 'ProbeSuccess',
        Dimensions: [
          { Name: 'Application', Value: 'a' },
          { Name: 'Region', Value: 'us-east-1' },
        ],
        Value: 1,
        StorageResolution: 1,
        Timestamp: at,
      },
      {
        MetricName: 'ProbeSuccess',
        Dimensions: [
          { Name: 'Application', Value: 'a' },
          { Name: 'Region', Value: 'eu-west-1' },
        ],
        Value: 0,
        StorageResolution: 1,
        Timestamp: at,
      },
    ]);
  });
});
