import { startEvacuation } from '../../bench/fleet/evacuationWorkflow.ts';
import { fleetConfig, fleetName } from '../../bench/fleet/fleetConfig.ts';
import { rehearse } from '../support/scenario.ts';

const OUTAGE = { at: 0, fault: 'region-outage', region: 'us-east-1' };
// Route 53's API is in us-east-1: each failover's record change is retried until the region returns.
const RECOVERY = { at: 1800, recover: 'region-outage', region: 'us-east-1' };
const APPS = [0, 1, 2].map(fleetName);

const threeApps = (doc: Parameters<NonNullable<Parameters<typeof rehearse>[0]['config']>>[0]): void => {
  doc.applications = fleetConfig(doc, 3).applications;
};

describe('region-evacuation workflow (real ASL on the local runtime)', () => {
  it('fails over every application served from the failing region, two started at a time, and waits for them', async () => {
    const report = await rehearse({
      // The evacuation workflow is the fleet benchmark's, deployed by no stack: the port level runs it.
      mode: 'ports',
      config: threeApps,
      until: 3600,
      events: [OUTAGE, RECOVERY],
      setup: (context) => {
        startEvacuation(context, 90, {
          failingRegion: 'us-east-1',
          maxConcurrency: 2,
          reason: 'us-east-1 is down',
        });
      },
    });
    expect(report.violations).toEqual([]);
    const evacuation = report.executions.find((e) => e.workflow === 'region-evacuation');
    expect(evacuation).toMatchObject({ status: 'SUCCEEDED' });
    const failovers = report.executions.filter((e) => e.workflow === 'failover');
    expect(failovers.map((f) => f.name).sort()).toEqual(APPS.map((a) => `evac-${a}-${evacuation!.name}`));
    for (const f of failovers) expect(f.status).toBe('SUCCEEDED');
    // Each was started by its own Map iteration, and the evacuation ended only once the last one's
    // outcome was recorded (its record; making the other regions' replicas follow the new writer
    // goes on after it).
    expect(evacuation!.states.filter((s) => s.name === 'StartFailover')).toHaveLength(3);
    expect(evacuation!.stoppedAt).toBeGreaterThanOrEqual(
      Math.max(
        ...failovers.map((f) => f.states.find((s) => s.name === 'RecordSuccess')?.exitedAt ?? Infinity),
      ),
    );
    const output = report.executions.find((e) => e.workflow === 'region-evacuation');
    expect(output).toBeDefined();
    for (const app of APPS) {
      expect(report.applications[app]?.restoredAt).not.toBeNull();
      expect(report.world.regions['us-west-2']?.applications[app]).toMatchObject({
        dnsWeight: 100,
        database: 'standalone',
      });
    }
  });

  it('refuses a region no application runs in, and starts nothing', async () => {
    const report = await rehearse({
      // The evacuation workflow is the fleet benchmark's, deployed by no stack: the port level runs it.
      mode: 'ports',
      config: threeApps,
      until: 300,
      events: [OUTAGE],
      setup: (context) => {
        startEvacuation(context, 90, { failingRegion: 'mars-east-1' });
      },
    });
    const evacuation = report.executions.find((e) => e.workflow === 'region-evacuation');
    expect(evacuation).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(report.executions.filter((e) => e.workflow === 'failover')).toEqual([]);
  });

  it('skips an application whose primary is elsewhere', async () => {
    const report = await rehearse({
      // The evacuation workflow is the fleet benchmark's, deployed by no stack: the port level runs it.
      mode: 'ports',
      config: (doc) => {
        threeApps(doc);
        const apps = doc.applications as { regions: string[] }[];
        const moved = apps[2]!;
        moved.regions = ['us-west-2', 'us-east-1', 'eu-west-1'];
      },
      until: 3600,
      events: [OUTAGE, RECOVERY],
      setup: (context) => {
        startEvacuation(context, 90, { failingRegion: 'us-east-1' });
      },
    });
    expect(report.violations).toEqual([]);
    const failovers = report.executions.filter((e) => e.workflow === 'failover');
    expect(failovers.map((f) => (f.name.includes(APPS[2]!) ? 'moved' : f.status)).sort()).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
  });
});

describe('automation.preScaleOnFirstSignal', () => {
  const outage = async (preScale: boolean) =>
    rehearse({
      config: (doc) => {
        for (const a of doc.applications as { name: string; automation: Record<string, unknown> }[]) {
          a.automation.automaticFailover = a.name === 'ai-gateway-drill';
          a.automation.preScaleOnFirstSignal = preScale;
        }
      },
      events: [OUTAGE, RECOVERY],
    });

  it("scales the Aurora standby's workloads on the first signal, so the application serves sooner", async () => {
    const [off, on] = [await outage(false), await outage(true)];
    expect(off.violations).toEqual([]);
    expect(on.violations).toEqual([]);
    const rto = (r: typeof off): number => r.applications['ai-gateway-drill']!.rtoSeconds!;
    expect(rto(on)).toBeLessThan(rto(off));
    // The failover still ran its own scaling steps (which changed nothing the second time).
    const run = on.executions.find((e) => e.workflow === 'failover');
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    expect(run!.states.map((s) => s.name)).toEqual(expect.arrayContaining(['ScaleNodeGroups']));
  });
});
