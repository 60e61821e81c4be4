import type { Report } from '../../local/report/Report.ts';
import type { SimulationContext } from '../../local/simulate/Simulation.ts';
import type { World } from '../../local/world/World.ts';
import { ledgerOf, rehearse, stateNames } from '../support/scenario.ts';

const SLOT = '2030-01-01T00:00:00Z';
const RESTORED = 'lifeboat-ai-gateway-20300101-0000';
const COPY = 'lifeboat-ai-gateway-20291231-2300';
/** A restore well inside ai-gateway's 900 s RTO target. */
const QUICK = { rdsRestoreSeconds: 300, rdsDeleteSeconds: 120 };

function restoreTests(report: Report) {
  return report.executions.filter((e) => e.workflow === 'restore-test');
}

/** Seeds an hour-old Lifeboat copy of ai-gateway in us-west-2 and keeps the world for the test. */
function withCopy(): { setup: (context: SimulationContext) => void; world: () => World } {
  let world: World | undefined;
  return {
    setup: (context) => {
      world = context.world;
      context.world.snapshots.seed({
        id: COPY,
        region: 'us-west-2',
        application: 'ai-gateway',
        takenAt: -3600,
        tags: { 'lifeboat:application': 'ai-gateway', 'lifeboat:kind': 'backup-copy' },
      });
    },
    world: () => world!,
  };
}

const START = { at: 10, start: 'restore-test', input: { application: 'ai-gateway', slot: SLOT } };

describe('restore-test workflow (real ASL on the local runtime)', () => {
  it('restores the latest copy, checks it, deletes it and records PASSED with the restore time', async () => {
    const seeded = withCopy();
    const report = await rehearse({ events: [START], latency: QUICK, until: 1800, setup: seeded.setup });
    const [run] = restoreTests(report);
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    expect(stateNames(run!)).toEqual(
      expect.arrayContaining([
        'FindSnapshot',
        'Restore',
        'CheckRestore',
        'VerifyRestore',
        'Cleanup',
        'RecordPassed',
      ]),
    );
    const record = ledgerOf(report, run!.name);
    expect(record).toMatchObject({
      kind: 'restore-test',
      status: 'PASSED',
      details: {
        snapshot: { id: COPY, region: 'us-west-2' },
        rtoTargetSeconds: 900,
        rtoMet: true,
        rpoMet: true,
        cleanedUp: true,
        left: [],
      },
    });
    const details = record!.details as { rtoSeconds: number; checks: { ok: boolean }[] };
    // 300 s of restore, seen by a check that polls every minute.
    expect(details.rtoSeconds).toBeGreaterThanOrEqual(300);
    expect(details.rtoSeconds).toBeLessThanOrEqual(360);
    expect(details.checks.map((c) => c.ok)).toEqual([true, true, true, true]);
    expect(report.timeline.map((e) => e.text)).toContain(`${RESTORED} deleted`);
    expect(seeded.world().snapshots.restoresLeft()).toEqual([]);
  });

  it('records FAILED, and still deletes the instance, when the restore takes longer than the RTO target', async () => {
    const seeded = withCopy();
    const report = await rehearse({
      events: [START],
      latency: { rdsRestoreSeconds: 1200, rdsDeleteSeconds: 120 },
      until: 3600,
      setup: seeded.setup,
    });
    const [run] = restoreTests(report);
    expect(run).toMatchObject({ status: 'FAILED', error: 'RestoreTestFailed' });
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'FAILED',
      details: { rtoMet: false, cleanedUp: true, left: [] },
    });
    expect(seeded.world().snapshots.restoresLeft()).toEqual([]);
    expect(report.slack.map((m) => m.text)).toEqual([expect.stringContaining('RTO target 900 s')]);
  });

  it('cleans up after a step fails: the Catch deletes the instance once RDS lets it, then records FAILED', async () => {
    const seeded = withCopy();
    const report = await rehearse({
      events: [
        {
          at: 0,
          fault: 'api-error',
          service: 'rds',
          operation: 'DescribeDBInstances',
          region: 'us-west-2',
          error: 'AccessDenied',
          count: 1,
        },
        START,
      ],
      latency: QUICK,
      until: 1800,
      setup: seeded.setup,
    });
    const [run] = restoreTests(report);
    expect(run).toMatchObject({ status: 'FAILED' });
    expect(stateNames(run!)).toEqual(
      expect.arrayContaining(['CheckRestore', 'Cleanup', 'WaitForCleanup', 'RecordFailure']),
    );
    expect(stateNames(run!)).not.toContain('VerifyRestore');
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'FAILED',
      error: { name: 'PermanentServiceError', cause: expect.stringContaining('AccessDenied') },
      details: { cleanedUp: true, left: [] },
    });
    expect(seeded.world().snapshots.restoresLeft()).toEqual([]);
  });

  it('records what was left when the cleanup itself fails', async () => {
    const seeded = withCopy();
    const report = await rehearse({
      events: [
        {
          at: 0,
          fault: 'api-error',
          service: 'rds',
          operation: 'DeleteDBInstance',
          error: 'AccessDenied',
          permanent: true,
        },
        START,
      ],
      latency: QUICK,
      until: 1800,
      setup: seeded.setup,
    });
    const [run] = restoreTests(report);
    expect(run).toMatchObject({ status: 'FAILED' });
    expect(stateNames(run!)).toContain('RecordCleanupFailed');
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'FAILED',
      reason: expect.stringContaining('could not be deleted'),
      details: { cleanedUp: false, left: [`us-west-2/db:${RESTORED}`] },
    });
    expect(seeded.world().snapshots.restoresLeft()).toEqual([`us-west-2/db:${RESTORED}`]);
    expect(report.slack.map((m) => m.text)).toEqual([expect.stringContaining('could not be deleted')]);
  });

  it('records FAILED when there is no copy to restore, having created nothing', async () => {
    const report = await rehearse({ events: [START], latency: QUICK, until: 600 });
    const [run] = restoreTests(report);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'FAILED',
      error: { name: 'PreconditionFailedError', cause: expect.stringContaining('run the backup first') },
    });
  });

  it('restores what the backup copied: a backup, then a restore test of its copy', async () => {
    const report = await rehearse({
      // On the AWS twin: the Aurora cluster is restored first, and its instance created only once
      // the cluster is available, as RDS requires.
      events: [
        { at: 0, start: 'backup', input: { application: 'ai-gateway-drill', slot: SLOT } },
        { at: 1800, start: 'restore-test', input: { application: 'ai-gateway-drill' } },
      ],
      latency: { rdsSnapshotSeconds: 300, rdsSnapshotCopySeconds: 600, ...QUICK },
      until: 3600,
    });
    expect(report.violations).toEqual([]);
    const run = restoreTests(report).find((r) => r.startedAt >= 1800);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'PASSED',
      details: {
        request: { instanceClass: 'db.t4g.medium', subnetGroupName: 'ai-gateway-drill-restore-test' },
        snapshot: { id: 'lifeboat-ai-gateway-drill-20300101-0000', engine: 'aurora-postgresql' },
      },
    });
  });
});
