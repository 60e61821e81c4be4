import { loadConfig } from '../../shared/config/loadConfig.ts';
import { worldEstate } from '../../local/world/WorldEstate.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';
import { testWorld } from '../support/world.ts';

const config = loadConfig(EXAMPLE_CONFIG_PATH);
const gateway = config.applications.find((a) => a.name === 'ai-gateway')!;
const drill = config.applications.find((a) => a.name === 'ai-gateway-drill')!;
const ID = 'lifeboat-ai-gateway-20300101-0000';
const TAGS = { 'lifeboat:application': 'ai-gateway' };

/** Runs one port call to its end: the virtual clock moves one second, past the call's API latency. */
async function call<T>(
  clock: { seconds: number; runUntil(t: number): Promise<number> },
  work: Promise<T>,
): Promise<T> {
  const outcome = work.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  await clock.runUntil(clock.seconds + 1);
  const settled = await outcome;
  if (!settled.ok) throw settled.error;
  return settled.value;
}

describe('simulated RDS snapshots', () => {
  it('makes a snapshot available after the snapshot time, and copies it across regions after the copy time', async () => {
    const { world, clock } = testWorld({ latency: { rdsSnapshotSeconds: 100, rdsSnapshotCopySeconds: 50 } });
    const { backups } = worldEstate(world, { channel: 'C0LIFEBOAT1' });

    const made = await call(clock, backups.createSnapshot(gateway, 'us-east-1', ID, TAGS));
    expect(made).toMatchObject({ status: 'creating', sourceId: 'ai-gateway-db-use1', engine: 'postgres' });
    // A copy needs an available source.
    await expect(
      call(clock, backups.copySnapshot(gateway, made, 'us-west-2', ID, { kmsKeyId: 'alias/k', tags: TAGS })),
    ).rejects.toMatchObject({ name: 'InvalidDBSnapshotState' });

    await clock.runUntil(105);
    const available = await call(clock, backups.describeSnapshot(gateway, 'us-east-1', ID));
    expect(available?.status).toBe('available');
    const copy = await call(
      clock,
      backups.copySnapshot(gateway, available!, 'us-west-2', ID, { kmsKeyId: 'alias/k', tags: TAGS }),
    );
    expect(copy).toMatchObject({ region: 'us-west-2', status: 'creating', createdAt: made.createdAt });
    await clock.runUntil(170);
    expect((await call(clock, backups.listSnapshots(gateway, 'us-west-2'))).map((s) => s.status)).toEqual([
      'available',
    ]);
    // A second create of the slot returns the same snapshot instead of failing.
    await expect(call(clock, backups.createSnapshot(gateway, 'us-east-1', ID, TAGS))).resolves.toMatchObject({
      id: ID,
      status: 'available',
    });
  });

  it("lists only Lifeboat's snapshots of the application, never the team's own", async () => {
    const { world, clock } = testWorld();
    const { backups } = worldEstate(world, { channel: 'C0LIFEBOAT1' });
    expect(world.snapshots.all().map((s) => s.id)).toContain('ai-gateway-db-use1-before-upgrade');
    await expect(call(clock, backups.listSnapshots(gateway, 'us-east-1'))).resolves.toEqual([]);
  });

  it('fails a snapshot request with the api-error a scenario injects', async () => {
    const { world, clock } = testWorld();
    const { backups } = worldEstate(world, { channel: 'C0LIFEBOAT1' });
    world.faults.addApiFault({
      service: 'rds',
      operation: 'CreateDBClusterSnapshot',
      error: 'InternalFailure',
      count: 1,
    });

    await expect(
      call(clock, backups.createSnapshot(drill, 'us-east-1', 'lifeboat-ai-gateway-drill-20300101-0000', {})),
    ).rejects.toMatchObject({ name: 'InternalFailure' });
    await expect(
      call(clock, backups.createSnapshot(drill, 'us-east-1', 'lifeboat-ai-gateway-drill-20300101-0000', {})),
    ).resolves.toMatchObject({ status: 'creating' });
  });

  it('restores into a temporary Aurora cluster and instance, and deletes the instance before the cluster', async () => {
    const { world, clock } = testWorld({ latency: { rdsRestoreSeconds: 100, rdsDeleteSeconds: 10 } });
    const { backups } = worldEstate(world, { channel: 'C0LIFEBOAT1' });
    world.snapshots.seed({
      id: 'lifeboat-ai-gateway-drill-20291231-2300',
      region: 'us-west-2',
      application: 'ai-gateway-drill',
      takenAt: -3600,
      tags: { 'lifeboat:application': 'ai-gateway-drill' },
    });
    const [copy] = await call(clock, backups.listSnapshots(drill, 'us-west-2'));
    const options = { subnetGroupName: 'g', instanceClass: 'db.t4g.medium', tags: {} };
    await expect(call(clock, backups.restore(drill, copy!, 'rt', options))).resolves.toBe('started');
    await expect(call(clock, backups.restore(drill, copy!, 'rt', options))).resolves.toBe('exists');
    await clock.runUntil(110);
    await expect(call(clock, backups.describeRestore(drill, 'us-west-2', 'rt'))).resolves.toMatchObject({
      status: 'available',
      engine: 'aurora-postgresql',
      resources: ['db:rt', 'cluster:rt'],
    });
    await call(clock, backups.deleteRestore(drill, 'us-west-2', 'rt'));
    await clock.runUntil(125);
    await expect(call(clock, backups.deleteRestore(drill, 'us-west-2', 'rt'))).resolves.toEqual([
      'cluster:rt',
    ]);
    await clock.runUntil(140);
    await expect(call(clock, backups.deleteRestore(drill, 'us-west-2', 'rt'))).resolves.toEqual([]);
    expect(world.snapshots.restoresLeft()).toEqual([]);
  });
});
