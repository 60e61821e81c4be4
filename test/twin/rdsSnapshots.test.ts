import * as sdk from '@aws-sdk/client-rds';
import { RDSClient } from '@aws-sdk/client-rds';
import type { VirtualClock } from '../../local/clock/VirtualClock.ts';
import { rdsDatabaseOperations } from '../../local/twin/services/rdsDatabase.ts';
import {
  rdsSnapshotOperations,
  snapshotTags,
  type ResourceTags,
} from '../../local/twin/services/rdsSnapshots.ts';
import {
  NOT_MINE,
  type ServiceOperations,
  type TwinCallContext,
} from '../../local/twin/services/ServiceTwin.ts';
import type { World } from '../../local/world/World.ts';
import { RdsSnapshots } from '../../shared/aws/RdsSnapshots.ts';
import { BackupSteps } from '../../shared/backup/BackupSteps.ts';
import type { ApplicationConfig } from '../../shared/config/LifeboatConfig.ts';
import type { Estate } from '../../shared/ports/Estate.ts';
import type { Ledger } from '../../shared/ports/Ledger.ts';
import { testWorld } from '../support/world.ts';

const ACCOUNT = '000000000000';
const SLOT_ID = 'lifeboat-ai-gateway-20300101-0000';
const DRILL_ID = 'lifeboat-ai-gateway-drill-20300101-0000';
const TAGS = { 'lifeboat:application': 'ai-gateway', 'lifeboat:kind': 'backup' };
const DRILL_TAGS = { 'lifeboat:application': 'ai-gateway-drill', 'lifeboat:kind': 'backup' };
const LATENCY = {
  rdsSnapshotSeconds: 300,
  rdsSnapshotCopySeconds: 600,
  rdsRestoreSeconds: 900,
  rdsDeleteSeconds: 300,
};
const RESTORE_OPTIONS = {
  subnetGroupName: 'restore-test',
  instanceClass: 'db.t4g.micro',
  tags: { 'lifeboat:application': 'ai-gateway', 'lifeboat:kind': 'restore-test' },
};

/** One call as the twin answered it: what the SDK was given, and what it got back. */
interface Answered {
  readonly operation: string;
  readonly region: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly output?: Record<string, unknown>;
  readonly error?: string;
}

interface Rig {
  readonly world: World;
  readonly clock: VirtualClock;
  readonly backups: RdsSnapshots;
  readonly calls: Answered[];
  readonly tags: ResourceTags;
  /** Runs one operation in a region as the twin would, without the SDK. */
  call(operation: string, region: string, input: Record<string, unknown>): unknown;
  app(name: string): ApplicationConfig;
  /** Moves the virtual clock on by `seconds`. */
  wait(seconds: number): Promise<void>;
}

/**
 * The real adapter over RDS clients whose calls are answered the way the twin answers a function's
 * calls: by the command's name and its input before the SDK's middleware (so without the presigned
 * URL it would add), the database twin first and this one next, `$metadata` added, errors thrown
 * as the handlers throw them.
 */
function rig(): Rig {
  const { world, clock } = testWorld({ latency: LATENCY });
  const tags: ResourceTags = new Map();
  const twins: readonly ServiceOperations[] = [rdsDatabaseOperations(), rdsSnapshotOperations(tags)];
  const calls: Answered[] = [];
  const context = (region: string): TwinCallContext => ({
    world,
    region,
    account: ACCOUNT,
    partition: 'aws',
    functionName: 'lifeboat-backup',
    event: {},
  });
  const call = (operation: string, region: string, input: Record<string, unknown>): unknown => {
    for (const operations of twins) {
      const handler = operations[operation];
      if (handler === undefined) continue;
      let output: unknown;
      try {
        output = handler(input, context(region));
      } catch (error) {
        calls.push({ operation, region, input, error: (error as Error).name });
        throw error;
      }
      if (output === NOT_MINE) continue;
      calls.push({ operation, region, input, output: output as Record<string, unknown> });
      return output;
    }
    throw new Error(`no twin answers rds ${operation}`);
  };
  const backups = new RdsSnapshots((region) => {
    const client = new RDSClient({ region });
    const send = (command: { readonly input: Record<string, unknown> }): Promise<unknown> =>
      Promise.resolve().then(() => ({
        ...(call(command.constructor.name.replace(/Command$/, ''), region, command.input) as object),
        $metadata: { httpStatusCode: 200, attempts: 1 },
      }));
    Object.assign(client, { send });
    return client;
  });
  return {
    world,
    clock,
    backups,
    calls,
    tags,
    call,
    app: (name) => world.application(name),
    wait: async (seconds) => {
      await clock.runUntil(clock.seconds + seconds);
    },
  };
}

function callsOf(r: Rig, operation: string): Answered[] {
  return r.calls.filter((c) => c.operation === operation);
}

/** The error a direct call throws, for its name. */
function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw');
}

function lifeboatSnapshot(
  id: string,
  region: string,
  application: string,
  takenAt: number,
): Parameters<World['snapshots']['seed']>[0] {
  return {
    id,
    region,
    application,
    takenAt,
    tags: { 'lifeboat:application': application, 'lifeboat:kind': 'backup' },
  };
}

describe('rdsSnapshotOperations: a backup slot', () => {
  it('snapshots the writer, and copies it to the copy region once it is available', async () => {
    const r = rig();
    const gateway = r.app('ai-gateway');

    const made = await r.backups.createSnapshot(gateway, 'us-east-1', SLOT_ID, TAGS);
    expect(made).toMatchObject({
      id: SLOT_ID,
      arn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:${SLOT_ID}`,
      region: 'us-east-1',
      status: 'creating',
      sourceId: 'ai-gateway-db-use1',
      engine: 'postgres',
      sizeGiB: 100,
      encrypted: true,
      tags: TAGS,
    });
    await r.wait(301);
    const available = await r.backups.describeSnapshot(gateway, 'us-east-1', SLOT_ID);
    expect(available?.status).toBe('available');

    await r.wait(100);
    const copy = await r.backups.copySnapshot(gateway, available!, 'us-west-2', SLOT_ID, {
      kmsKeyId: 'alias/ai-gateway-backups',
      tags: { ...TAGS, 'lifeboat:kind': 'backup-copy' },
    });
    // A copy keeps its original's creation time: the data's age.
    expect(copy).toMatchObject({ region: 'us-west-2', status: 'creating', createdAt: made.createdAt });
    expect(callsOf(r, 'CopyDBSnapshot')).toEqual([
      expect.objectContaining({
        region: 'us-west-2',
        input: expect.objectContaining({
          SourceDBSnapshotIdentifier: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:${SLOT_ID}`,
          KmsKeyId: 'alias/ai-gateway-backups',
        }),
        output: {
          DBSnapshot: expect.objectContaining({
            Status: 'copying',
            SourceRegion: 'us-east-1',
            KmsKeyId: 'alias/ai-gateway-backups',
          }),
        },
      }),
    ]);
    await r.wait(601);
    await expect(r.backups.describeSnapshot(gateway, 'us-west-2', SLOT_ID)).resolves.toMatchObject({
      status: 'available',
      tags: { 'lifeboat:kind': 'backup-copy' },
    });
  });

  it('returns the snapshot already made when the slot runs again', async () => {
    const r = rig();
    const gateway = r.app('ai-gateway');
    await r.backups.createSnapshot(gateway, 'us-east-1', SLOT_ID, TAGS);

    await expect(r.backups.createSnapshot(gateway, 'us-east-1', SLOT_ID, TAGS)).resolves.toMatchObject({
      id: SLOT_ID,
      status: 'creating',
    });
    expect(callsOf(r, 'CreateDBSnapshot').map((c) => c.error)).toEqual([
      undefined,
      'DBSnapshotAlreadyExistsFault',
    ]);
  });

  it('refuses to copy a snapshot that is still being created (InvalidDBSnapshotStateFault)', async () => {
    const r = rig();
    const gateway = r.app('ai-gateway');
    const made = await r.backups.createSnapshot(gateway, 'us-east-1', SLOT_ID, TAGS);

    await expect(
      r.backups.copySnapshot(gateway, made, 'us-west-2', SLOT_ID, { kmsKeyId: 'alias/k', tags: TAGS }),
    ).rejects.toMatchObject({ name: 'InvalidDBSnapshotStateFault' });
  });

  it('accepts a copy request that carries the presigned URL or a SourceRegion, as other callers send it', () => {
    const r = rig();
    r.world.snapshots.seed(lifeboatSnapshot(SLOT_ID, 'us-east-1', 'ai-gateway', -60));
    const source = `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:${SLOT_ID}`;

    r.call('CopyDBSnapshot', 'us-west-2', {
      SourceDBSnapshotIdentifier: source,
      TargetDBSnapshotIdentifier: 'copy-a',
      KmsKeyId: 'alias/k',
      PreSignedUrl: `https://rds.us-east-1.amazonaws.com/?Action=CopyDBSnapshot&DestinationRegion=us-west-2`,
    });
    r.call('CopyDBSnapshot', 'us-west-2', {
      SourceDBSnapshotIdentifier: source,
      TargetDBSnapshotIdentifier: 'copy-b',
      KmsKeyId: 'alias/k',
      SourceRegion: 'us-east-1',
    });

    expect(
      r.world.snapshots
        .all()
        .filter((s) => s.region === 'us-west-2')
        .map((s) => [s.id, s.copiedFrom?.region]),
    ).toEqual([
      ['copy-a', 'us-east-1'],
      ['copy-b', 'us-east-1'],
    ]);
  });

  it('finds no source when a cross-region copy names it by identifier instead of ARN', () => {
    const r = rig();
    r.world.snapshots.seed(lifeboatSnapshot(SLOT_ID, 'us-east-1', 'ai-gateway', -60));

    expect(
      thrown(() =>
        r.call('CopyDBSnapshot', 'us-west-2', {
          SourceDBSnapshotIdentifier: SLOT_ID,
          TargetDBSnapshotIdentifier: SLOT_ID,
          KmsKeyId: 'alias/k',
        }),
      ).name,
    ).toBe('DBSnapshotNotFoundFault');
  });

  it('refuses a copy encrypted with a KMS key of another region (KMSKeyNotAccessibleFault)', () => {
    const r = rig();
    r.world.snapshots.seed(lifeboatSnapshot(SLOT_ID, 'us-east-1', 'ai-gateway', -60));

    expect(
      thrown(() =>
        r.call('CopyDBSnapshot', 'us-west-2', {
          SourceDBSnapshotIdentifier: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:${SLOT_ID}`,
          TargetDBSnapshotIdentifier: SLOT_ID,
          KmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/ai-gateway-backups`,
        }),
      ).name,
    ).toBe('KMSKeyNotAccessibleFault');
  });

  it("fails a copy whose source region is out, and a call hit by a scenario's api-error, once", async () => {
    const r = rig();
    const gateway = r.app('ai-gateway');
    r.world.snapshots.seed(lifeboatSnapshot(SLOT_ID, 'us-east-1', 'ai-gateway', -60));
    const source = await r.backups.describeSnapshot(gateway, 'us-east-1', SLOT_ID);
    r.world.faults.addApiFault({
      service: 'rds',
      operation: 'CopyDBSnapshot',
      error: 'InternalFailure',
      count: 1,
    });
    const copy = () =>
      r.backups.copySnapshot(gateway, source!, 'us-west-2', SLOT_ID, { kmsKeyId: 'alias/k', tags: TAGS });

    await expect(copy()).rejects.toMatchObject({ name: 'InternalFailure' });
    r.world.faults.setOutage('us-east-1', true);
    await expect(copy()).rejects.toMatchObject({ name: 'ServiceUnavailableException' });
    r.world.faults.setOutage('us-east-1', false);
    await expect(copy()).resolves.toMatchObject({ status: 'creating' });
  });
});

describe('rdsSnapshotOperations: listing and pruning', () => {
  it("pages through the region's manual snapshots with Marker, and keeps the application's own", async () => {
    const r = rig();
    for (let i = 0; i < 130; i++) {
      const id = `lifeboat-ai-gateway-2029${String(100 + i).padStart(4, '0')}-0000`;
      r.world.snapshots.seed(lifeboatSnapshot(id, 'us-west-2', 'ai-gateway', -3600 * (i + 1)));
    }
    r.world.snapshots.seed(lifeboatSnapshot('lifeboat-x', 'us-west-2', 'ai-gateway-drill', -60));

    const listed = await r.backups.listSnapshots(r.app('ai-gateway'), 'us-west-2');

    expect(listed).toHaveLength(130);
    const pages = callsOf(r, 'DescribeDBSnapshots');
    expect(pages.map((p) => (p.output?.DBSnapshots as unknown[]).length)).toEqual([100, 30]);
    expect(pages[0]!.output?.Marker).toEqual(expect.any(String));
    expect(pages[1]!.input.Marker).toBe(pages[0]!.output?.Marker);
    expect(pages[1]!.output?.Marker).toBeUndefined();
    // Aurora's cluster snapshots are another API's.
    expect(callsOf(r, 'DescribeDBClusterSnapshots')).toEqual([]);
  });

  it("prunes Lifeboat's snapshots past retention in both regions, and never one without Lifeboat's tag", async () => {
    const r = rig();
    const { snapshots } = r.world;
    const old = -10 * 86_400;
    snapshots.seed(lifeboatSnapshot('lifeboat-ai-gateway-20291222-0000', 'us-east-1', 'ai-gateway', old));
    snapshots.seed(lifeboatSnapshot('lifeboat-ai-gateway-20291222-0000', 'us-west-2', 'ai-gateway', old));
    snapshots.seed(lifeboatSnapshot('lifeboat-ai-gateway-20291231-2300', 'us-west-2', 'ai-gateway', -3600));
    snapshots.seed({
      ...lifeboatSnapshot('lifeboat-ai-gateway-20291201-0000', 'us-east-1', 'ai-gateway', old),
      tags: { team: 'db' },
    });
    snapshots.seed(
      lifeboatSnapshot('lifeboat-ai-gateway-drill-20291222-0000', 'us-west-2', 'ai-gateway-drill', old),
    );
    const steps = new BackupSteps({
      config: r.world.config,
      estate: { backups: r.backups } as unknown as Estate,
      ledger: {} as Ledger,
      clock: r.clock,
    });

    const pruned = await steps.prune({
      request: {
        application: 'ai-gateway',
        slot: '2030-01-01T00:00:00.000Z',
        snapshotId: SLOT_ID,
        sourceRegion: 'us-east-1',
        copyRegion: 'us-west-2',
        retentionDays: 7,
      },
    });

    expect(pruned.deleted).toEqual([
      { region: 'us-east-1', id: 'lifeboat-ai-gateway-20291222-0000' },
      { region: 'us-west-2', id: 'lifeboat-ai-gateway-20291222-0000' },
    ]);
    expect(
      snapshots
        .all()
        .map((s) => `${s.region}/${s.id}`)
        .sort(),
    ).toEqual([
      'us-east-1/ai-gateway-db-use1-before-upgrade',
      'us-east-1/ai-gateway-drill-use1-before-upgrade',
      'us-east-1/lifeboat-ai-gateway-20291201-0000',
      'us-west-2/lifeboat-ai-gateway-20291231-2300',
      'us-west-2/lifeboat-ai-gateway-drill-20291222-0000',
    ]);
    expect(callsOf(r, 'DeleteDBSnapshot').map((c) => c.output?.DBSnapshot)).toEqual([
      expect.objectContaining({ Status: 'deleted' }),
      expect.objectContaining({ Status: 'deleted' }),
    ]);
  });

  it('refuses to delete a snapshot still being taken (InvalidDBSnapshotStateFault), and says gone of one not there', async () => {
    const r = rig();
    const gateway = r.app('ai-gateway');
    await r.backups.createSnapshot(gateway, 'us-east-1', SLOT_ID, TAGS);

    await expect(r.backups.deleteSnapshot(gateway, 'us-east-1', SLOT_ID)).rejects.toMatchObject({
      name: 'InvalidDBSnapshotStateFault',
    });
    await expect(r.backups.deleteSnapshot(gateway, 'us-east-1', 'lifeboat-nothing')).resolves.toBe('gone');
    expect(callsOf(r, 'DeleteDBSnapshot').map((c) => c.error)).toEqual([
      'InvalidDBSnapshotStateFault',
      'DBSnapshotNotFoundFault',
    ]);
  });
});

describe('rdsSnapshotOperations: the restore test', () => {
  it('restores the copy into a temporary instance that becomes available, then deletes it', async () => {
    const r = rig();
    const gateway = r.app('ai-gateway');
    r.world.snapshots.seed(lifeboatSnapshot(SLOT_ID, 'us-west-2', 'ai-gateway', -3600));
    const copy = await r.backups.describeSnapshot(gateway, 'us-west-2', SLOT_ID);
    const restoreId = 'lifeboat-ai-gateway-20300105-0400';

    await expect(r.backups.restore(gateway, copy!, restoreId, RESTORE_OPTIONS)).resolves.toBe('started');
    await expect(r.backups.restore(gateway, copy!, restoreId, RESTORE_OPTIONS)).resolves.toBe('exists');
    await expect(r.backups.describeRestore(gateway, 'us-west-2', restoreId)).resolves.toMatchObject({
      status: 'creating',
      resources: [`db:${restoreId}`],
    });
    await r.wait(901);
    await expect(r.backups.describeRestore(gateway, 'us-west-2', restoreId)).resolves.toEqual({
      id: restoreId,
      region: 'us-west-2',
      status: 'available',
      engine: 'postgres',
      endpoint: `${restoreId}.us-west-2.rds.local`,
      resources: [`db:${restoreId}`],
    });
    // The restore's tags, for IAM's aws:ResourceTag on the later calls.
    expect(r.tags.get(`arn:aws:rds:us-west-2:${ACCOUNT}:db:${restoreId}`)).toEqual(RESTORE_OPTIONS.tags);

    await expect(r.backups.deleteRestore(gateway, 'us-west-2', restoreId)).resolves.toEqual([
      `db:${restoreId}`,
    ]);
    expect(callsOf(r, 'DeleteDBInstance')[0]).toMatchObject({
      input: { SkipFinalSnapshot: true },
      output: { DBInstance: expect.objectContaining({ DBInstanceStatus: 'deleting' }) },
    });
    await expect(r.backups.describeRestore(gateway, 'us-west-2', restoreId)).resolves.toMatchObject({
      status: 'deleting',
    });
    await r.wait(301);
    await expect(r.backups.deleteRestore(gateway, 'us-west-2', restoreId)).resolves.toEqual([]);
    expect(callsOf(r, 'DescribeDBInstances').at(-1)?.error).toBe('DBInstanceNotFoundFault');
    expect(r.world.snapshots.restoresLeft()).toEqual([]);
  });

  it('refuses to delete the instance while it is still being created; the adapter asks again later', async () => {
    const r = rig();
    const gateway = r.app('ai-gateway');
    r.world.snapshots.seed(lifeboatSnapshot(SLOT_ID, 'us-west-2', 'ai-gateway', -3600));
    const copy = await r.backups.describeSnapshot(gateway, 'us-west-2', SLOT_ID);
    await r.backups.restore(gateway, copy!, 'rt', RESTORE_OPTIONS);

    await expect(r.backups.deleteRestore(gateway, 'us-west-2', 'rt')).resolves.toEqual(['db:rt']);
    expect(callsOf(r, 'DeleteDBInstance').map((c) => c.error)).toEqual(['InvalidDBInstanceStateFault']);
    expect(r.world.snapshots.restoresLeft()).toEqual(['us-west-2/db:rt']);
  });

  it('refuses a delete that neither skips the final snapshot nor names one', () => {
    const r = rig();
    r.world.snapshots.seed(lifeboatSnapshot(SLOT_ID, 'us-west-2', 'ai-gateway', -3600));
    r.call('RestoreDBInstanceFromDBSnapshot', 'us-west-2', {
      DBInstanceIdentifier: 'rt',
      DBSnapshotIdentifier: SLOT_ID,
    });

    expect(thrown(() => r.call('DeleteDBInstance', 'us-west-2', { DBInstanceIdentifier: 'rt' })).name).toBe(
      'InvalidParameterCombination',
    );
  });
});

describe('rdsSnapshotOperations: Aurora', () => {
  it('snapshots the writer cluster and copies it with the copy region key', async () => {
    const r = rig();
    const drill = r.app('ai-gateway-drill');

    const made = await r.backups.createSnapshot(drill, 'us-east-1', DRILL_ID, DRILL_TAGS);
    expect(made).toMatchObject({
      arn: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster-snapshot:${DRILL_ID}`,
      status: 'creating',
      sourceId: 'ai-gateway-drill-use1',
      engine: 'aurora-postgresql',
      encrypted: true,
    });
    await r.wait(301);
    const source = await r.backups.describeSnapshot(drill, 'us-east-1', DRILL_ID);
    const key = `arn:aws:kms:us-west-2:${ACCOUNT}:alias/ai-gateway-drill-backups`;
    const copy = await r.backups.copySnapshot(drill, source!, 'us-west-2', DRILL_ID, {
      kmsKeyId: key,
      tags: DRILL_TAGS,
    });

    expect(copy).toMatchObject({ region: 'us-west-2', status: 'creating', createdAt: made.createdAt });
    expect(callsOf(r, 'CopyDBClusterSnapshot')[0]).toMatchObject({
      region: 'us-west-2',
      input: { SourceDBClusterSnapshotIdentifier: source!.arn, KmsKeyId: key },
      output: {
        DBClusterSnapshot: expect.objectContaining({
          Status: 'copying',
          SourceDBClusterSnapshotArn: source!.arn,
        }),
      },
    });
    await r.wait(601);
    await expect(r.backups.listSnapshots(drill, 'us-west-2')).resolves.toEqual([
      expect.objectContaining({ id: DRILL_ID, status: 'available' }),
    ]);
    expect(callsOf(r, 'DescribeDBSnapshots')).toEqual([]);
  });

  it("creates a restored cluster's instance only once the cluster is available, as RDS requires", async () => {
    const r = rig();
    const drill = r.app('ai-gateway-drill');
    r.world.snapshots.seed(lifeboatSnapshot(DRILL_ID, 'us-west-2', 'ai-gateway-drill', -3600));
    const copy = await r.backups.describeSnapshot(drill, 'us-west-2', DRILL_ID);
    const options = { ...RESTORE_OPTIONS, instanceClass: 'db.t4g.medium' };
    const finish = () =>
      r.backups.finishRestore(drill, 'us-west-2', 'rt', {
        instanceClass: options.instanceClass,
        tags: options.tags,
      });

    await expect(r.backups.restore(drill, copy!, 'rt', options)).resolves.toBe('started');
    // While the cluster is being restored, no instance is asked for (RDS would refuse it).
    await expect(finish()).resolves.toBe('waiting');
    expect(callsOf(r, 'CreateDBInstance')).toEqual([]);
    await expect(r.backups.describeRestore(drill, 'us-west-2', 'rt')).resolves.toMatchObject({
      status: 'creating',
      resources: ['cluster:rt'],
    });
    // A repeated restore changes nothing.
    await expect(r.backups.restore(drill, copy!, 'rt', options)).resolves.toBe('exists');

    await r.wait(901);
    await expect(finish()).resolves.toBe('created');
    await expect(finish()).resolves.toBe('done');
    expect(callsOf(r, 'CreateDBInstance').map((c) => c.error)).toEqual([undefined]);
    await r.wait(901);
    await expect(r.backups.describeRestore(drill, 'us-west-2', 'rt')).resolves.toMatchObject({
      status: 'available',
      engine: 'aurora-postgresql',
      endpoint: 'rt.us-west-2.rds.local',
      resources: ['db:rt', 'cluster:rt'],
    });
    expect(r.tags.get(`arn:aws:rds:us-west-2:${ACCOUNT}:cluster:rt`)).toEqual(options.tags);
  });

  it('deletes the instance first, refuses the cluster while the instance is there, then deletes the cluster', async () => {
    const r = rig();
    const drill = r.app('ai-gateway-drill');
    r.world.snapshots.seed(lifeboatSnapshot(DRILL_ID, 'us-west-2', 'ai-gateway-drill', -3600));
    r.call('RestoreDBClusterFromSnapshot', 'us-west-2', {
      DBClusterIdentifier: 'rt',
      SnapshotIdentifier: DRILL_ID,
      Engine: 'aurora-postgresql',
    });
    await r.wait(901);
    r.call('CreateDBInstance', 'us-west-2', {
      DBInstanceIdentifier: 'rt',
      DBClusterIdentifier: 'rt',
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.t4g.medium',
    });
    await r.wait(901);

    expect(
      thrown(() =>
        r.call('DeleteDBCluster', 'us-west-2', { DBClusterIdentifier: 'rt', SkipFinalSnapshot: true }),
      ).name,
    ).toBe('InvalidDBClusterStateFault');
    await expect(r.backups.deleteRestore(drill, 'us-west-2', 'rt')).resolves.toEqual(['db:rt', 'cluster:rt']);
    await r.wait(301);
    await expect(r.backups.deleteRestore(drill, 'us-west-2', 'rt')).resolves.toEqual(['cluster:rt']);
    expect(callsOf(r, 'DeleteDBCluster').at(-1)?.output).toEqual({
      DBCluster: expect.objectContaining({ DBClusterIdentifier: 'rt', Status: 'deleting' }),
    });
    await r.wait(301);
    await expect(r.backups.deleteRestore(drill, 'us-west-2', 'rt')).resolves.toEqual([]);
    expect(r.world.snapshots.restoresLeft()).toEqual([]);
  });
});

describe('rdsSnapshotOperations: errors and identifiers', () => {
  it('names a missing resource with the SDK exception of its kind', async () => {
    const r = rig();
    const gateway = r.app('ai-gateway');
    const drill = r.app('ai-gateway-drill');

    await expect(
      r.backups.describeSnapshot(gateway, 'us-east-1', 'lifeboat-nothing'),
    ).resolves.toBeUndefined();
    await expect(r.backups.describeSnapshot(drill, 'us-east-1', 'lifeboat-nothing')).resolves.toBeUndefined();
    await expect(r.backups.describeRestore(drill, 'us-west-2', 'lifeboat-nothing')).resolves.toMatchObject({
      status: 'gone',
      resources: [],
    });
    expect(r.calls.map((c) => [c.operation, c.error])).toEqual([
      ['DescribeDBSnapshots', 'DBSnapshotNotFoundFault'],
      ['DescribeDBClusterSnapshots', 'DBClusterSnapshotNotFoundFault'],
      ['DescribeDBInstances', 'DBInstanceNotFoundFault'],
      ['DescribeDBClusters', 'DBClusterNotFoundFault'],
    ]);
    // A database of another region, or none: not found in the call's region.
    expect(
      thrown(() =>
        r.call('CreateDBSnapshot', 'us-west-2', {
          DBInstanceIdentifier: 'ai-gateway-db-use1',
          DBSnapshotIdentifier: 'x',
        }),
      ).name,
    ).toBe('DBInstanceNotFoundFault');
    expect(
      thrown(() =>
        r.call('CreateDBClusterSnapshot', 'us-east-1', {
          DBClusterIdentifier: 'nope',
          DBClusterSnapshotIdentifier: 'x',
        }),
      ).name,
    ).toBe('DBClusterNotFoundFault');
    expect(
      thrown(() =>
        r.call('RestoreDBInstanceFromDBSnapshot', 'us-west-2', {
          DBInstanceIdentifier: 'rt',
          DBSnapshotIdentifier: 'nope',
        }),
      ).name,
    ).toBe('DBSnapshotNotFoundFault');
    expect(
      thrown(() =>
        r.call('CreateDBInstance', 'us-west-2', { DBInstanceIdentifier: 'rt', DBClusterIdentifier: 'rt' }),
      ).name,
    ).toBe('DBClusterNotFoundFault');
  });

  it('names an identifier already taken with the SDK exception of its kind', async () => {
    const r = rig();
    const { snapshots } = r.world;
    snapshots.seed(lifeboatSnapshot(SLOT_ID, 'us-east-1', 'ai-gateway', -60));
    snapshots.seed(lifeboatSnapshot(SLOT_ID, 'us-west-2', 'ai-gateway', -60));
    snapshots.seed(lifeboatSnapshot(DRILL_ID, 'us-east-1', 'ai-gateway-drill', -60));
    snapshots.seed(lifeboatSnapshot(DRILL_ID, 'us-west-2', 'ai-gateway-drill', -60));
    const restore = { DBInstanceIdentifier: 'rt', DBSnapshotIdentifier: SLOT_ID };
    const restoreCluster = {
      DBClusterIdentifier: 'rc',
      SnapshotIdentifier: DRILL_ID,
      Engine: 'aurora-postgresql',
    };
    r.call('RestoreDBInstanceFromDBSnapshot', 'us-west-2', restore);
    r.call('RestoreDBClusterFromSnapshot', 'us-west-2', restoreCluster);
    await r.wait(901);
    const instance = { DBInstanceIdentifier: 'rc', DBClusterIdentifier: 'rc', Engine: 'aurora-postgresql' };
    r.call('CreateDBInstance', 'us-west-2', instance);

    const names = [
      thrown(() =>
        r.call('CreateDBSnapshot', 'us-east-1', {
          DBInstanceIdentifier: 'ai-gateway-db-use1',
          DBSnapshotIdentifier: SLOT_ID,
        }),
      ),
      thrown(() =>
        r.call('CreateDBClusterSnapshot', 'us-east-1', {
          DBClusterIdentifier: 'ai-gateway-drill-use1',
          DBClusterSnapshotIdentifier: DRILL_ID,
        }),
      ),
      thrown(() =>
        r.call('CopyDBSnapshot', 'us-west-2', {
          SourceDBSnapshotIdentifier: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:${SLOT_ID}`,
          TargetDBSnapshotIdentifier: SLOT_ID,
          KmsKeyId: 'alias/k',
        }),
      ),
      thrown(() =>
        r.call('CopyDBClusterSnapshot', 'us-west-2', {
          SourceDBClusterSnapshotIdentifier: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster-snapshot:${DRILL_ID}`,
          TargetDBClusterSnapshotIdentifier: DRILL_ID,
          KmsKeyId: 'alias/k',
        }),
      ),
      thrown(() => r.call('RestoreDBInstanceFromDBSnapshot', 'us-west-2', restore)),
      thrown(() => r.call('RestoreDBClusterFromSnapshot', 'us-west-2', restoreCluster)),
      thrown(() => r.call('CreateDBInstance', 'us-west-2', instance)),
      // An application's own database already has the identifier.
      thrown(() =>
        r.call('RestoreDBInstanceFromDBSnapshot', 'us-west-2', {
          ...restore,
          DBInstanceIdentifier: 'ai-gateway-db-usw2',
        }),
      ),
    ].map((e) => e.name);

    expect(names).toEqual([
      'DBSnapshotAlreadyExistsFault',
      'DBClusterSnapshotAlreadyExistsFault',
      'DBSnapshotAlreadyExistsFault',
      'DBClusterSnapshotAlreadyExistsFault',
      'DBInstanceAlreadyExistsFault',
      'DBClusterAlreadyExistsFault',
      'DBInstanceAlreadyExistsFault',
      'DBInstanceAlreadyExistsFault',
    ]);
  });

  it('throws only exception names that @aws-sdk/client-rds exports', () => {
    const names = [
      'DBSnapshotNotFoundFault',
      'DBClusterSnapshotNotFoundFault',
      'DBInstanceNotFoundFault',
      'DBClusterNotFoundFault',
      'DBSnapshotAlreadyExistsFault',
      'DBClusterSnapshotAlreadyExistsFault',
      'DBInstanceAlreadyExistsFault',
      'DBClusterAlreadyExistsFault',
      'InvalidDBSnapshotStateFault',
      'InvalidDBClusterSnapshotStateFault',
      'InvalidDBInstanceStateFault',
      'InvalidDBClusterStateFault',
      'KMSKeyNotAccessibleFault',
    ];
    const exported = sdk as unknown as Record<
      string,
      (new (o: { message: string; $metadata: object }) => Error) | undefined
    >;
    expect(names.map((n) => exported[n] && new exported[n]({ message: '', $metadata: {} }).name)).toEqual(
      names,
    );
  });

  it("passes the applications' own databases on to the database twin", () => {
    const r = rig();
    const { world } = r;
    const context: TwinCallContext = {
      world,
      region: 'us-east-1',
      account: ACCOUNT,
      partition: 'aws',
      functionName: 'lifeboat-database',
      event: {},
    };
    const ops = rdsSnapshotOperations();

    expect([
      ops.DescribeDBInstances!({ DBInstanceIdentifier: 'ai-gateway-db-use1' }, context),
      ops.DescribeDBInstances!(
        { DBInstanceIdentifier: `arn:aws:rds:us-east-1:${ACCOUNT}:db:ai-gateway-db-use1` },
        context,
      ),
      ops.DescribeDBInstances!({}, context),
      ops.DescribeDBClusters!({ DBClusterIdentifier: 'ai-gateway-drill-use1' }, context),
      ops.DeleteDBInstance!({ DBInstanceIdentifier: 'ai-gateway-db-use1', SkipFinalSnapshot: true }, context),
      ops.DeleteDBCluster!(
        { DBClusterIdentifier: 'ai-gateway-drill-use1', SkipFinalSnapshot: true },
        context,
      ),
      ops.CreateDBInstance!(
        { DBInstanceIdentifier: 'new', DBInstanceClass: 'db.t4g.micro', Engine: 'postgres' },
        context,
      ),
    ]).toEqual(Array(7).fill(NOT_MINE));
  });

  it("gives IAM a snapshot's tags by its ARN, seeded ones included, and nothing for another kind", () => {
    const r = rig();
    r.world.snapshots.seed(lifeboatSnapshot(SLOT_ID, 'us-east-1', 'ai-gateway', -60));
    r.world.snapshots.seed(lifeboatSnapshot(DRILL_ID, 'us-east-1', 'ai-gateway-drill', -60));

    expect(snapshotTags(r.world, `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:${SLOT_ID}`)).toEqual(TAGS);
    expect(snapshotTags(r.world, `arn:aws:rds:us-east-1:${ACCOUNT}:cluster-snapshot:${DRILL_ID}`)).toEqual(
      DRILL_TAGS,
    );
    expect(
      snapshotTags(r.world, `arn:aws:rds:us-east-1:${ACCOUNT}:cluster-snapshot:${SLOT_ID}`),
    ).toBeUndefined();
    expect(snapshotTags(r.world, `arn:aws:rds:us-west-2:${ACCOUNT}:snapshot:${SLOT_ID}`)).toBeUndefined();
    expect(snapshotTags(r.world, `arn:aws:rds:us-east-1:${ACCOUNT}:db:ai-gateway-db-use1`)).toBeUndefined();
  });

  it('checks the fault registry once, under the call’s own operation', async () => {
    const r = rig();
    const drill = r.app('ai-gateway-drill');
    r.world.snapshots.seed(lifeboatSnapshot(DRILL_ID, 'us-west-2', 'ai-gateway-drill', -3600));
    r.call('RestoreDBClusterFromSnapshot', 'us-west-2', {
      DBClusterIdentifier: 'rt',
      SnapshotIdentifier: DRILL_ID,
      Engine: 'aurora-postgresql',
    });
    r.world.faults.addApiFault({
      service: 'rds',
      operation: 'DescribeDBClusters',
      error: 'Throttling',
      count: 1,
    });

    // DescribeDBInstances does not consume DescribeDBClusters' fault.
    expect(
      thrown(() => r.call('DescribeDBInstances', 'us-west-2', { DBInstanceIdentifier: 'rt' })).name,
    ).toBe('DBInstanceNotFoundFault');
    await expect(r.backups.describeRestore(drill, 'us-west-2', 'rt')).rejects.toMatchObject({
      name: 'Throttling',
    });
    await expect(r.backups.describeRestore(drill, 'us-west-2', 'rt')).resolves.toMatchObject({
      resources: ['cluster:rt'],
    });
  });
});

describe('rdsSnapshotOperations: response shapes', () => {
  it('answers with every field RdsSnapshots reads, typed as the SDK returns them', async () => {
    const r = rig();
    const gateway = r.app('ai-gateway');
    const drill = r.app('ai-gateway-drill');
    r.world.snapshots.seed(lifeboatSnapshot(SLOT_ID, 'us-east-1', 'ai-gateway', -3600));
    r.world.snapshots.seed(lifeboatSnapshot(DRILL_ID, 'us-east-1', 'ai-gateway-drill', -3600));
    await r.wait(60);
    const instanceSource = await r.backups.describeSnapshot(gateway, 'us-east-1', SLOT_ID);
    const clusterSource = await r.backups.describeSnapshot(drill, 'us-east-1', DRILL_ID);
    await r.backups.copySnapshot(gateway, instanceSource!, 'us-west-2', SLOT_ID, {
      kmsKeyId: 'alias/k',
      tags: TAGS,
    });
    await r.backups.copySnapshot(drill, clusterSource!, 'us-west-2', DRILL_ID, {
      kmsKeyId: 'alias/k',
      tags: DRILL_TAGS,
    });
    await r.wait(601);
    await r.backups.describeSnapshot(gateway, 'us-west-2', SLOT_ID);
    await r.backups.describeSnapshot(drill, 'us-west-2', DRILL_ID);
    await r.backups.restore(
      gateway,
      (await r.backups.describeSnapshot(gateway, 'us-west-2', SLOT_ID))!,
      'rt',
      RESTORE_OPTIONS,
    );
    r.call('RestoreDBClusterFromSnapshot', 'us-west-2', {
      DBClusterIdentifier: 'rc',
      SnapshotIdentifier: DRILL_ID,
      Engine: 'aurora-postgresql',
    });
    await r.wait(901);
    await r.backups.describeRestore(gateway, 'us-west-2', 'rt');
    await r.backups.describeRestore(drill, 'us-west-2', 'rc');

    const last = (operation: string) =>
      callsOf(r, operation)
        .filter((c) => c.output !== undefined)
        .at(-1)?.output;
    const dbCopy = (last('DescribeDBSnapshots')?.DBSnapshots as Record<string, unknown>[])[0]!;
    expect(dbCopy).toEqual(
      expect.objectContaining({
        DBSnapshotIdentifier: SLOT_ID,
        DBSnapshotArn: `arn:aws:rds:us-west-2:${ACCOUNT}:snapshot:${SLOT_ID}`,
        DBInstanceIdentifier: 'ai-gateway-db-use1',
        Status: 'available',
        Engine: 'postgres',
        AllocatedStorage: 100,
        Encrypted: true,
        TagList: [
          { Key: 'lifeboat:application', Value: 'ai-gateway' },
          { Key: 'lifeboat:kind', Value: 'backup' },
        ],
      }),
    );
    // The copy's own creation time, and its original's (the data's).
    expect(dbCopy.SnapshotCreateTime).toEqual(new Date('2030-01-01T00:01:00.000Z'));
    expect(dbCopy.OriginalSnapshotCreateTime).toEqual(new Date('2029-12-31T23:00:00.000Z'));

    const clusterCopy = (
      last('DescribeDBClusterSnapshots')?.DBClusterSnapshots as Record<string, unknown>[]
    )[0]!;
    expect(clusterCopy).toEqual(
      expect.objectContaining({
        DBClusterSnapshotIdentifier: DRILL_ID,
        DBClusterSnapshotArn: `arn:aws:rds:us-west-2:${ACCOUNT}:cluster-snapshot:${DRILL_ID}`,
        DBClusterIdentifier: 'ai-gateway-drill-use1',
        Status: 'available',
        Engine: 'aurora-postgresql',
        AllocatedStorage: 100,
        StorageEncrypted: true,
        SnapshotCreateTime: new Date('2029-12-31T23:00:00.000Z'),
        TagList: expect.arrayContaining([{ Key: 'lifeboat:application', Value: 'ai-gateway-drill' }]),
      }),
    );

    const instance = (last('DescribeDBInstances')?.DBInstances as Record<string, unknown>[])[0]!;
    expect(instance).toEqual(
      expect.objectContaining({
        DBInstanceIdentifier: 'rt',
        DBInstanceStatus: 'available',
        Engine: 'postgres',
        Endpoint: { Address: 'rt.us-west-2.rds.local', Port: 5432 },
      }),
    );
    const cluster = (last('DescribeDBClusters')?.DBClusters as Record<string, unknown>[])[0]!;
    expect(cluster).toEqual(
      expect.objectContaining({
        DBClusterIdentifier: 'rc',
        Status: 'available',
        Engine: 'aurora-postgresql',
      }),
    );
  });
});
