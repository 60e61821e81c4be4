import type { Report } from '../../local/report/Report.ts';
import type { SimulationContext } from '../../local/simulate/Simulation.ts';
import type { World } from '../../local/world/World.ts';
import { ledgerOf, rehearse, stateNames } from '../support/scenario.ts';

const FAST = { rdsSnapshotSeconds: 300, rdsSnapshotCopySeconds: 600 };
const SLOT = '2030-01-01T00:00:00Z';
const ID = 'lifeboat-ai-gateway-20300101-0000';

function runs(report: Report, workflow: string) {
  return report.executions.filter((e) => e.workflow === workflow);
}

function backupAt(at: number, slot = SLOT) {
  return { at, start: 'backup', input: { application: 'ai-gateway', slot } };
}

/** Keeps the world of a rehearsal for the test to look at afterwards. */
function keep(): { setup: (context: SimulationContext) => void; world: () => World } {
  let world: World | undefined;
  return {
    setup: (context) => {
      world = context.world;
    },
    world: () => {
      if (world === undefined) throw new Error('the rehearsal has not run');
      return world;
    },
  };
}

describe('backup workflow (real ASL on the local runtime)', () => {
  it('snapshots the writer, copies it to the copy region and records the backup', async () => {
    const report = await rehearse({ events: [backupAt(0)], latency: FAST, until: 1800 });
    const [run] = runs(report, 'backup');
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    expect(stateNames(run!)).toEqual(
      expect.arrayContaining([
        'CreateSnapshot',
        'CheckSnapshot',
        'CopySnapshot',
        'CheckCopy',
        'Prune',
        'RecordSuccess',
      ]),
    );
    expect(ledgerOf(report, run!.name)).toMatchObject({
      kind: 'backup',
      status: 'SUCCEEDED',
      details: {
        snapshot: { id: ID, region: 'us-east-1', status: 'available', engine: 'postgres', sizeGiB: 100 },
        copy: { id: ID, region: 'us-west-2', status: 'available' },
        copied: true,
        targets: {
          intervalSeconds: 3600,
          completedWithinInterval: true,
          dataTakenAt: expect.stringMatching(/^2030-01-01T00:00:0/),
        },
      },
    });
    expect(report.slack).toEqual([]);
  });

  it('makes one snapshot and one copy when the same slot is started twice', async () => {
    const world = keep();
    const report = await rehearse({
      events: [backupAt(0), backupAt(30)],
      latency: FAST,
      until: 1800,
      setup: world.setup,
    });
    expect(runs(report, 'backup').map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(
      report.timeline.filter((e) => e.text === `snapshot ${ID} of ai-gateway-db-use1 started`),
    ).toHaveLength(1);
    expect(report.timeline.filter((e) => e.text.startsWith(`copy of ${ID}`))).toHaveLength(1);
    expect(
      world
        .world()
        .snapshots.all()
        .filter((s) => s.id === ID),
    ).toHaveLength(2);
  });

  it('snapshots the Aurora cluster of an aurora-global application', async () => {
    const report = await rehearse({
      events: [{ at: 0, start: 'backup', input: { application: 'ai-gateway-drill', slot: SLOT } }],
      latency: FAST,
      until: 1800,
    });
    const [run] = runs(report, 'backup');
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'SUCCEEDED',
      details: {
        snapshot: { id: 'lifeboat-ai-gateway-drill-20300101-0000', engine: 'aurora-postgresql' },
        copied: true,
      },
    });
  });

  it('retries a failing snapshot request, then records the backup FAILED and tells Slack', async () => {
    const report = await rehearse({
      events: [
        {
          at: 0,
          fault: 'api-error',
          service: 'rds',
          operation: 'CreateDBSnapshot',
          error: 'InternalFailure',
          count: 20,
        },
        backupAt(1),
      ],
      latency: FAST,
      until: 1800,
    });
    const [run] = runs(report, 'backup');
    expect(run).toMatchObject({ status: 'FAILED', error: 'TransientServiceError' });
    expect(run!.states.filter((s) => s.name === 'CreateSnapshot' && s.status === 'RETRIED')).toHaveLength(4);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'FAILED',
      error: { name: 'TransientServiceError', cause: expect.stringContaining('InternalFailure') },
      details: { snapshot: null, copied: false },
    });
    expect(report.slack.map((m) => m.text)).toEqual([expect.stringContaining('Backup of ai-gateway FAILED')]);
  });

  it('retries a failing copy, then records the backup FAILED with the snapshot it did make', async () => {
    const report = await rehearse({
      events: [
        {
          at: 0,
          fault: 'api-error',
          service: 'rds',
          operation: 'CopyDBSnapshot',
          error: 'InternalFailure',
          count: 20,
        },
        backupAt(1),
      ],
      latency: FAST,
      until: 1800,
    });
    const [run] = runs(report, 'backup');
    expect(run).toMatchObject({ status: 'FAILED' });
    expect(run!.states.filter((s) => s.name === 'CopySnapshot' && s.status === 'RETRIED')).toHaveLength(4);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'FAILED',
      details: { snapshot: { id: ID, region: 'us-east-1', status: 'available' }, copy: null, copied: false },
    });
  });

  it("prunes only Lifeboat's own snapshots of the application past retention, in both regions", async () => {
    const world = keep();
    const old = -10 * 86_400;
    const lifeboat = (id: string, region: string, application = 'ai-gateway') => ({
      id,
      region,
      application,
      takenAt: old,
      tags: { 'lifeboat:application': application, 'lifeboat:kind': 'backup' },
    });
    const report = await rehearse({
      events: [backupAt(0)],
      latency: FAST,
      until: 1800,
      setup: (context) => {
        world.setup(context);
        const snapshots = context.world.snapshots;
        snapshots.seed(lifeboat('lifeboat-ai-gateway-20291222-0000', 'us-east-1'));
        snapshots.seed(lifeboat('lifeboat-ai-gateway-20291222-0000', 'us-west-2'));
        // Recent enough to keep.
        snapshots.seed({ ...lifeboat('lifeboat-ai-gateway-20291231-2300', 'us-west-2'), takenAt: -3600 });
        // Named like Lifeboat's but not tagged by it: never deleted.
        snapshots.seed({
          ...lifeboat('lifeboat-ai-gateway-20291201-0000', 'us-east-1'),
          tags: { team: 'db' },
        });
        // Another application's.
        snapshots.seed(lifeboat('lifeboat-ai-gateway-drill-20291222-0000', 'us-west-2', 'ai-gateway-drill'));
      },
    });
    const [run] = runs(report, 'backup');
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'SUCCEEDED',
      details: {
        pruned: {
          deleted: [
            { region: 'us-east-1', id: 'lifeboat-ai-gateway-20291222-0000' },
            { region: 'us-west-2', id: 'lifeboat-ai-gateway-20291222-0000' },
          ],
        },
      },
    });
    expect(
      world
        .world()
        .snapshots.all()
        .map((s) => `${s.region}/${s.id}`)
        .sort(),
    ).toEqual(
      [
        'us-east-1/ai-gateway-db-use1-before-upgrade',
        'us-east-1/ai-gateway-drill-use1-before-upgrade',
        'us-east-1/lifeboat-ai-gateway-20291201-0000',
        `us-east-1/${ID}`,
        'us-west-2/lifeboat-ai-gateway-20291231-2300',
        'us-west-2/lifeboat-ai-gateway-drill-20291222-0000',
        `us-west-2/${ID}`,
      ].sort(),
    );
  });

  it('refuses an input whose slot is not a time, records the refusal and changes nothing', async () => {
    const report = await rehearse({
      events: [{ at: 0, start: 'backup', input: { application: 'ai-gateway', slot: 'yesterday' } }],
      until: 60,
    });
    const [run] = runs(report, 'backup');
    expect(run).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(run!.cause).toContain('slot');
    expect(ledgerOf(report, run!.name)).toMatchObject({ status: 'FAILED', error: { name: 'InvalidInput' } });
    expect(report.timeline.filter((e) => e.text.includes('snapshot'))).toEqual([]);
  });
});
