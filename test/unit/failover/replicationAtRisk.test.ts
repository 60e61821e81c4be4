import { loadConfig } from '../../../shared/config/loadConfig.ts';
import { detectionAllowanceSeconds, replicationAtRisk } from '../../../shared/failover/replicationAtRisk.ts';
import type { LagSample } from '../../../shared/ports/Estate.ts';
import { EXAMPLE_CONFIG_PATH } from '../../support/exampleConfig.ts';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');

/** Datapoints at the given minutes (relative to T0) with the given values, as the adapter returns them. */
function samples(points: readonly (readonly [minute: number, seconds: number])[]): LagSample[] {
  return points.map(([minute, seconds]) => ({
    at: new Date(T0 + minute * 60_000).toISOString(),
    seconds,
  }));
}

function at(seconds: number): Date {
  return new Date(T0 + seconds * 1000);
}

const ALLOWANCE = 120;

describe('replicationAtRisk', () => {
  it('is the newest datapoint while replication flows', () => {
    const risk = replicationAtRisk(
      samples([
        [2, 5],
        [1, 3],
        [0, 4],
      ]),
      { now: at(150), allowanceSeconds: ALLOWANCE },
    );
    expect(risk).toEqual({ seconds: 5, newestSeconds: 5, detail: 'replica lag 5 s' });
  });

  it('is the newest datapoint of a replica that replays slowly: its lag grows, but replay advances', () => {
    const risk = replicationAtRisk(
      samples([
        [2, 70],
        [1, 40],
        [0, 10],
      ]),
      { now: at(150), allowanceSeconds: ALLOWANCE },
    );
    expect(risk.seconds).toBe(70);
    expect(risk.replicationStoppedAt).toBeUndefined();
  });

  it('is the lag from before replication stopped when the metric grows with the clock (the source is down)', () => {
    // The source went down at 00:00 with the replica 4 s behind: ReplicaLag = now - last replay.
    const risk = replicationAtRisk(
      samples([
        [2, 124],
        [1, 64],
        [0, 4],
        [-1, 4],
        [-2, 3],
      ]),
      { now: at(150), failureBeganAt: at(0).toISOString(), allowanceSeconds: ALLOWANCE },
    );
    expect(risk.seconds).toBe(4);
    expect(risk.newestSeconds).toBe(124);
    expect(risk.replicationStoppedAt).toBe('2029-12-31T23:59:56.000Z');
    expect(risk.detail).toBe(
      'replication stopped at 2030-01-01T00:00:00.000Z with 4 s of lag; the metric reads 124 s now because the source sends nothing',
    );
  });

  it('is the last datapoint when the metric is no longer published', () => {
    const risk = replicationAtRisk(
      samples([
        [-1, 1.5],
        [-2, 1.2],
      ]),
      { now: at(400), failureBeganAt: at(0).toISOString(), allowanceSeconds: ALLOWANCE },
    );
    expect(risk.seconds).toBe(1.5);
    expect(risk.detail).toBe('the lag metric stopped at 2029-12-31T23:59:00.000Z with 1.5 s');
  });

  it('puts the whole span at risk when replication stopped well before the failure began', () => {
    // Replication stopped at 00:00 (a partition), but the source kept serving until 00:10.
    const points = samples([
      [12, 724],
      [11, 664],
      [10, 604],
      [1, 64],
      [0, 4],
      [-1, 4],
    ]);
    const risk = replicationAtRisk(points, {
      now: at(730),
      failureBeganAt: at(600).toISOString(),
      allowanceSeconds: ALLOWANCE,
    });
    expect(risk.seconds).toBe(604);
    expect(risk.detail).toContain('600 s before the failure began (2030-01-01T00:10:00.000Z)');
    expect(risk.detail).toContain('the source may have taken 604 s of writes the replica never received');
  });

  it('keeps the lag from before when the stop falls within the detection allowance of the failure', () => {
    const risk = replicationAtRisk(
      samples([
        [3, 184],
        [2, 124],
        [1, 64],
        [0, 4],
        [-1, 4],
      ]),
      { now: at(200), failureBeganAt: at(90).toISOString(), allowanceSeconds: ALLOWANCE },
    );
    expect(risk.seconds).toBe(4);
  });

  it('judges one datapoint after a stop by its value: a stop is seen only from the second', () => {
    // The source went down at 00:00:30; the 00:01 datapoint alone cannot tell a stop from a jump.
    const risk = replicationAtRisk(
      samples([
        [1, 34],
        [0, 4],
      ]),
      { now: at(75), allowanceSeconds: ALLOWANCE },
    );
    expect(risk.seconds).toBe(34);
  });

  it('says there is nothing to go on without datapoints', () => {
    expect(replicationAtRisk([], { now: at(0), allowanceSeconds: ALLOWANCE })).toEqual({
      seconds: undefined,
      newestSeconds: undefined,
      detail: 'no replica lag datapoint in the last 3 h',
    });
  });
});

describe('detectionAllowanceSeconds', () => {
  const app = loadConfig(EXAMPLE_CONFIG_PATH).applications[0]!;

  it('is the slower signal to notice plus a metric period', () => {
    // Route 53 every 30 s, 3 failures (90 s); probes every 10 s, 3 failures (30 s); one minute's datapoint.
    expect(detectionAllowanceSeconds(app, 'us-east-1')).toBe(150);
  });

  it("takes AWS's defaults (30 s, 3 failures) for a health check Lifeboat did not create", () => {
    const existing = {
      ...app,
      healthChecks: {
        ...app.healthChecks,
        'us-east-1': { kind: 'existing' as const, healthCheckId: '0b1c2d3e-0000-4000-8000-000000000001' },
      },
    };
    expect(detectionAllowanceSeconds(existing, 'us-east-1')).toBe(150);
  });
});
