import { startEvacuation } from '../../bench/fleet/evacuationWorkflow.ts';
import { fleetConfig, fleetName } from '../../bench/fleet/fleetConfig.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../local/cli/main.ts';
import type { Report } from '../../local/report/Report.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';
import { executionName } from '../../shared/evacuation/EvacuationSteps.ts';
import { operatorCommands, rehearse, type OperatorRun } from '../support/scenario.ts';

const OUTAGE = { at: 0, fault: 'region-outage', region: 'us-east-1' };
// Route 53's API is in us-east-1: each failover's record change is retried until the region returns.
const RECOVERY = { at: 1800, recover: 'region-outage', region: 'us-east-1' };
const APPS = [0, 1, 2].map(fleetName);

const threeApps = (doc: Parameters<NonNullable<Parameters<typeof rehearse>[0]['config']>>[0]): void => {
  doc.applications = fleetConfig(doc, 3).applications;
};

const EVACUATE = (at: number, input: Record<string, unknown>) => ({
  at,
  start: 'region-evacuation',
  input,
});

interface EvacuationRecord {
  application: string;
  kind: string;
  executionName: string;
  status: string;
  reason: string;
  details: { applications: { application: string; status: string }[]; skipped: unknown[] };
}

function evacuationRecords(report: Report): EvacuationRecord[] {
  return report.ledger.filter(
    (r) => (r as { kind?: unknown }).kind === 'evacuation',
  ) as unknown as EvacuationRecord[];
}

describe('region-evacuation workflow (real ASL, deployed, on the AWS twin)', () => {
  it('fails over every application served from the failing region, two started at a time, waits for them and records each outcome', async () => {
    const report = await rehearse({
      config: threeApps,
      until: 3600,
      events: [
        OUTAGE,
        RECOVERY,
        EVACUATE(90, { failingRegion: 'us-east-1', maxConcurrency: 2, reason: 'us-east-1 is down' }),
      ],
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
    for (const app of APPS) {
      expect(report.applications[app]?.restoredAt).not.toBeNull();
      expect(report.world.regions['us-west-2']?.applications[app]).toMatchObject({
        dnsWeight: 100,
        database: 'standalone',
      });
    }
    // Its own record, each application's outcome in it.
    expect(evacuationRecords(report)).toEqual([
      expect.objectContaining({
        application: 'region-evacuation:us-east-1',
        executionName: evacuation!.name,
        status: 'SUCCEEDED',
        reason: '3 application(s) moved off us-east-1',
        details: expect.objectContaining({
          applications: APPS.map((application): unknown =>
            expect.objectContaining({ application, status: 'SUCCEEDED' }),
          ),
        }) as unknown,
      }),
    ]);
    // Every call the evacuation function made was allowed by its own role and well-formed.
    const calls = (report.awsCalls ?? []).filter((c) => c.function === 'lifeboat-evacuation');
    expect(calls.filter((c) => c.operation === 'StartExecution')).toHaveLength(3);
    expect(calls.filter((c) => c.decision !== 'allowed' || c.modelErrors.length > 0)).toEqual([]);
  });

  it('lets one evacuation of a region run at a time: a second start meanwhile starts nothing and is recorded SKIPPED', async () => {
    const report = await rehearse({
      config: threeApps,
      until: 3600,
      events: [
        OUTAGE,
        RECOVERY,
        EVACUATE(90, { failingRegion: 'us-east-1', maxConcurrency: 1 }),
        EVACUATE(100, { failingRegion: 'us-east-1' }),
      ],
    });
    expect(report.violations).toEqual([]);
    const [first, second] = report.executions.filter((e) => e.workflow === 'region-evacuation');
    expect(first).toMatchObject({ status: 'SUCCEEDED' });
    expect(second).toMatchObject({ status: 'SUCCEEDED' });
    expect(second!.states.map((s) => s.name)).toContain('Skipped');
    expect(second!.states.map((s) => s.name)).not.toContain('StartFailovers');
    const failovers = report.executions.filter((e) => e.workflow === 'failover');
    expect(failovers.every((f) => f.name.endsWith(first!.name))).toBe(true);
    expect(evacuationRecords(report).map((r) => [r.executionName, r.status])).toEqual(
      expect.arrayContaining([
        [first!.name, 'SUCCEEDED'],
        [second!.name, 'SKIPPED'],
      ]),
    );
  });

  it('refuses a region no application runs in, and starts nothing', async () => {
    const report = await rehearse({
      config: threeApps,
      until: 300,
      events: [OUTAGE, EVACUATE(90, { failingRegion: 'mars-east-1' })],
    });
    const evacuation = report.executions.find((e) => e.workflow === 'region-evacuation');
    expect(evacuation).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(evacuation?.cause).toContain('failingRegion: expected one of');
    expect(report.executions.filter((e) => e.workflow === 'failover')).toEqual([]);
  });

  it('skips an application whose primary is elsewhere, and names it in the record', async () => {
    const report = await rehearse({
      config: (doc) => {
        threeApps(doc);
        const apps = doc.applications as { regions: string[] }[];
        const moved = apps[2]!;
        moved.regions = ['us-west-2', 'us-east-1', 'eu-west-1'];
      },
      until: 3600,
      events: [OUTAGE, RECOVERY, EVACUATE(90, { failingRegion: 'us-east-1' })],
    });
    expect(report.violations).toEqual([]);
    const failovers = report.executions.filter((e) => e.workflow === 'failover');
    expect(failovers.map((f) => (f.name.includes(APPS[2]!) ? 'moved' : f.status)).sort()).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    expect(evacuationRecords(report)[0]?.details.skipped).toEqual([
      { application: APPS[2], reason: 'us-west-2 serves it, not us-east-1', unmoved: false },
    ]);
  });

  it('is started and followed by lifeboat start region-evacuation, from the first other control plane', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lifeboat-evacuation-cli-'));
    const doc = exampleConfigDocument();
    threeApps(doc);
    writeFileSync(join(home, 'lifeboat.config.json'), JSON.stringify(doc));
    const runs: OperatorRun[] = [];
    const report = await rehearse({
      config: threeApps,
      until: 3600,
      events: [OUTAGE, RECOVERY],
      twin: {
        operator: operatorCommands(
          home,
          [
            // A bad input first: refused before anything starts, naming the flag.
            {
              at: 80,
              argv: ['start', 'region-evacuation', '--from', 'us-east-1', '--max-concurrency', '99'],
            },
            { at: 90, argv: ['start', 'region-evacuation', '--from', 'us-east-1', '--max-concurrency', '2'] },
          ],
          runs,
        ),
      },
    });
    expect(report.violations).toEqual([]);
    const [refused, started] = runs;
    expect(refused?.code).toBe(EXIT.usage);
    expect(refused?.stderr).toContain('--max-concurrency: expected a whole number from 1 to 40');
    expect(started?.code).toBe(EXIT.ok);
    expect(started?.stdout).toContain('Started the region evacuation of us-east-1 in us-west-2.');
    expect(started?.stdout).toContain('The region evacuation of us-east-1 ended SUCCEEDED.');
    expect(started?.stdout).toContain(
      'ledger     lifeboat history --app region-evacuation:us-east-1 --kind evacuation',
    );
    const evacuations = report.executions.filter((e) => e.workflow === 'region-evacuation');
    expect(evacuations).toHaveLength(1);
    expect(evacuationRecords(report).map((r) => r.status)).toEqual(['SUCCEEDED']);
  });

  it('goes on when one failover cannot be started, and records that application FAILED', async () => {
    const report = await rehearse({
      config: threeApps,
      until: 3600,
      events: [
        OUTAGE,
        RECOVERY,
        // The first StartExecution is refused for good (access denied): one application's start.
        {
          at: 0,
          fault: 'api-error',
          service: 'sfn',
          operation: 'StartExecution',
          error: 'AccessDeniedException',
          count: 1,
        },
        EVACUATE(90, { failingRegion: 'us-east-1', maxConcurrency: 1 }),
      ],
    });
    expect(report.violations).toEqual([]);
    const evacuation = report.executions.find((e) => e.workflow === 'region-evacuation');
    expect(evacuation).toMatchObject({ status: 'FAILED', error: 'EvacuationIncomplete' });
    expect(report.executions.filter((e) => e.workflow === 'failover')).toHaveLength(2);
    const [record] = evacuationRecords(report);
    expect(record?.status).toBe('FAILED');
    expect(record?.reason).toMatch(/^1 of 3 application\(s\) did not fail over: \S+ FAILED$/);
    const failed = record?.details.applications.find((a) => a.status === 'FAILED') as
      { reason?: string } | undefined;
    expect(failed?.reason).toMatch(/^its failover could not be started in us-west-2: /);
  });

  it('names each failover within 80 characters, distinct for two evacuations of long names', () => {
    const a = executionName(`cli-evacuation-us-east-1-us-west-2-${'1'.repeat(12)}`, 'x'.repeat(40));
    const b = executionName(`cli-evacuation-us-east-1-us-west-2-${'2'.repeat(12)}`, 'x'.repeat(40));
    expect(a.length).toBeLessThanOrEqual(80);
    expect(b.length).toBeLessThanOrEqual(80);
    expect(a).not.toBe(b);
    expect(executionName('evacuation-of-us-east-1', 'ai-gateway')).toBe(
      'evac-ai-gateway-evacuation-of-us-east-1',
    );
  });

  it('is started at the port level too, as the fleet benchmark starts it', async () => {
    const report = await rehearse({
      mode: 'ports',
      config: threeApps,
      until: 3600,
      events: [OUTAGE, RECOVERY],
      setup: (context) => {
        startEvacuation(context, 90, { failingRegion: 'us-east-1', maxConcurrency: 2 });
      },
    });
    expect(report.violations).toEqual([]);
    expect(report.executions.find((e) => e.workflow === 'region-evacuation')).toMatchObject({
      status: 'SUCCEEDED',
    });
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
