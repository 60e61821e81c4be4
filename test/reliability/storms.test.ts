import type { Report } from '../../local/report/Report.ts';
import type { SimulationContext } from '../../local/simulate/Simulation.ts';
import { detectionSignals } from '../../shared/config/naming.ts';
import { ledgerOf, promotions } from '../support/scenario.ts';
import { reliabilityFigures } from './support/figures.ts';
import { approveFailbacks, failedOverAndRecovered, matrixConfig, MATRIX_LATENCY } from './support/matrix.ts';
import { actors, rehearseObserved } from './support/observed.ts';

const figures = reliabilityFigures(import.meta.url);

/**
 * `count` alarm events for ai-gateway's signals about `region`, spread evenly over `seconds` from
 * `from`, ALARM and OK taking turns, each delivered to every control-plane bus: what a flapping
 * alarm, EventBridge's at-least-once delivery and several detectors firing at once look like.
 */
function storm(options: { region: string; from: number; seconds: number; count: number }) {
  return (context: SimulationContext): void => {
    const signals = detectionSignals(context.scenario.config).filter(
      (s) => s.application === 'ai-gateway' && s.region === options.region,
    );
    expect(signals.length).toBeGreaterThan(1);
    for (let i = 0; i < options.count; i++) {
      const signal = signals[i % signals.length]!;
      const alarm = Math.floor(i / signals.length) % 2 === 0;
      context.clock.schedule(options.from + (i * options.seconds) / options.count, () => {
        context.world.deliverAlarmEvent({
          application: 'ai-gateway',
          alarmName: signal.alarmName,
          alarmRegion: signal.alarmRegion,
          state: alarm ? 'ALARM' : 'OK',
          previous: alarm ? 'OK' : 'ALARM',
          busRegions: context.scenario.config.controlPlaneRegions,
        });
      });
    }
  };
}

/** The storm's events the buses received (the scenario's own alarm changes excluded by time). */
function stormEvents(report: Report, from: number, to: number): number {
  return report.events.filter((e) => e.application === 'ai-gateway' && e.at >= from && e.at <= to + 1).length;
}

const runsOf = (report: Report, workflow: string) => report.executions.filter((e) => e.workflow === workflow);

/**
 * Each skipped run's ledger record says why, naming the run that held the lock when it looked: the
 * one that acted or, across regions, a run that held its own region's lock then and gave way later.
 */
function expectSkippedWithReason(report: Report, names: readonly string[], holders: readonly string[]): void {
  for (const name of names) {
    const record = ledgerOf(report, name) as { status?: string; reason?: string } | undefined;
    const reason = record?.reason ?? '';
    const named = holders.filter((h) => h !== name && new RegExp(`\\b${h}\\b`).test(reason));
    expect({ name, status: record?.status, lock: /the lock/.test(reason), named: named.length }).toEqual({
      name,
      status: 'SKIPPED',
      lock: true,
      named: 1,
    });
  }
}

describe('storms and concurrent starts (real ASL on the local runtime)', () => {
  it('starts exactly one failover for 1,000 alarm events in a minute, OK events interleaved, during an outage', async () => {
    const { report } = await rehearseObserved({
      // Route 53's API (us-east-1) comes back at 600 s, so that the run can finish its DNS change.
      events: [
        { at: 0, fault: 'region-outage', region: 'us-east-1' },
        { at: 600, recover: 'region-outage', region: 'us-east-1' },
      ],
      until: 1500,
      setup: storm({ region: 'us-east-1', from: 20, seconds: 60, count: 1000 }),
    });
    figures.count(report);
    // us-east-1's own bus is down with it: each event reaches the other two control planes.
    expect(stormEvents(report, 20, 80)).toBeGreaterThanOrEqual(2000);
    const runs = runsOf(report, 'failover');
    // The trigger names a run by the alarms it acts on, so every later event finds it started.
    expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED']);
    expect(runs[0]!.name).toMatch(/^auto-ai-gateway-us-east-1-/);
    expect(promotions(report)).toHaveLength(1);
    expect(report.timeline.filter((e) => /trigger in .* failed/.test(e.text))).toEqual([]);
    expect(report.violations).toEqual([]);
  });

  it('starts nothing and changes nothing for 1,000 events in a minute about a region that is up', async () => {
    const { report, calls } = await rehearseObserved({
      events: [],
      until: 600,
      setup: storm({ region: 'us-east-1', from: 20, seconds: 60, count: 1000 }),
    });
    figures.count(report);
    expect(stormEvents(report, 20, 80)).toBe(3000);
    // The trigger reads the alarms themselves: an event saying ALARM is not evidence on its own.
    expect(report.executions).toEqual([]);
    expect(calls.filter((c) => c.mutating)).toEqual([]);
    expect(report.violations).toEqual([]);
  });

  it('lets exactly one of 50 concurrent manual starts act, across two target regions; 49 end SKIPPED naming the holder', async () => {
    const start = (i: number) => ({
      at: 120,
      start: 'failover',
      input: {
        application: 'ai-gateway',
        targetRegion: i % 2 === 0 ? 'us-east-1' : 'eu-west-1',
        reason: `on-call ${i}`,
      },
    });
    const { report, calls } = await rehearseObserved({
      events: [
        { at: 0, fault: 'region-outage', region: 'us-west-2' },
        ...Array.from({ length: 50 }, (_, i) => start(i)),
      ],
      until: 1200,
      config: matrixConfig,
      latency: MATRIX_LATENCY,
    });
    figures.count(report);
    const runs = runsOf(report, 'failover');
    expect(runs).toHaveLength(50);
    const acted = runs.filter((r) => r.status !== 'SKIPPED');
    expect(acted.map((r) => r.status)).toEqual(['SUCCEEDED']);
    const skipped = runs.filter((r) => r.status === 'SKIPPED').map((r) => r.name);
    expect(skipped).toHaveLength(49);
    expectSkippedWithReason(
      report,
      skipped,
      runs.map((r) => r.name),
    );
    // A run in the winner's region was refused by the winner itself.
    expect(
      skipped.filter((n) => (ledgerOf(report, n) as { reason?: string }).reason?.endsWith(acted[0]!.name)),
    ).not.toEqual([]);
    // Only the run that acted changed anything: one promotion, and every mutating call is its own.
    expect(promotions(report)).toHaveLength(1);
    expect(actors(calls)).toEqual([acted[0]!.name]);
    expect(report.violations).toEqual([]);
  });

  it('lets one of a failover and a failback started together act; the other ends SKIPPED naming it', async () => {
    const { report, calls } = await rehearseObserved({
      events: [
        ...failedOverAndRecovered('outage'),
        {
          at: 1000,
          start: 'failback',
          input: { application: 'ai-gateway', targetRegion: 'us-west-2', reason: 'back home' },
        },
        {
          at: 1000,
          start: 'failover',
          input: { application: 'ai-gateway', targetRegion: 'us-west-2', reason: 'back now', force: true },
        },
      ],
      until: 3000,
      config: matrixConfig,
      latency: MATRIX_LATENCY,
      setup: approveFailbacks,
    });
    figures.count(report);
    const contenders = report.executions.filter((e) => e.startedAt >= 1000);
    expect(contenders).toHaveLength(2);
    const skipped = contenders.filter((r) => r.status === 'SKIPPED');
    const acted = contenders.filter((r) => r.status !== 'SKIPPED');
    expect(skipped).toHaveLength(1);
    expect(acted).toHaveLength(1);
    expectSkippedWithReason(report, [skipped[0]!.name], [acted[0]!.name]);
    expect(acted[0]!.status).toBe('SUCCEEDED');
    expect(actors(calls.filter((c) => c.at >= 1000))).toEqual([acted[0]!.name]);
    expect(report.violations).toEqual([]);
  });
});
