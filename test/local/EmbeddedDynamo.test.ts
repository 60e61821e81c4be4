import { connect } from 'node:net';
import { DescribeTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import type { RunKind, RunRecord } from '../../shared/ports/Ledger.ts';
import { EmbeddedDynamo } from '../../local/ledger/EmbeddedDynamo.ts';

const T0 = Date.parse('2026-11-22T06:00:00.000Z');

function at(offsetSeconds: number): Date {
  return new Date(T0 + offsetSeconds * 1000);
}

function run(
  application: string,
  kind: RunKind,
  offsetSeconds: number,
  extra: Partial<RunRecord> = {},
): RunRecord {
  const startedAt = at(offsetSeconds).toISOString();
  return {
    application,
    kind,
    executionName: `${kind}-${application}-${offsetSeconds}`,
    startedAt,
    status: 'SUCCEEDED',
    ...extra,
  };
}

/** Resolves to whether anything accepts a TCP connection at the endpoint. */
function accepts(endpoint: string): Promise<boolean> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

describe('EmbeddedDynamo', () => {
  let dynamo: EmbeddedDynamo;
  let tables = 0;

  beforeAll(async () => {
    dynamo = await EmbeddedDynamo.start();
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  /** Each test gets its own table so none sees another's items. */
  async function freshLedger(): Promise<{ ledger: DynamoLedger; tableName: string }> {
    const tableName = `ledger-${++tables}`;
    await dynamo.createLedgerTable(tableName);
    return { ledger: new DynamoLedger(dynamo.client(), tableName), tableName };
  }

  async function itemCount(tableName: string): Promise<number> {
    const output = await dynamo.client().send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }));
    return output.Count ?? 0;
  }

  it('listens on loopback at an OS-chosen port when started', () => {
    expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dynamo.endpoint).not.toMatch(/:0$/);
  });

  it('creates the ledger table with the key schema, index and billing of the CDK stack', async () => {
    const { tableName } = await freshLedger();
    const { Table: table } = await dynamo.client().send(new DescribeTableCommand({ TableName: tableName }));
    expect(table?.TableStatus).toBe('ACTIVE');
    expect(table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table?.GlobalSecondaryIndexes).toHaveLength(1);
    const index = table?.GlobalSecondaryIndexes?.[0];
    expect(index?.IndexName).toBe('byKind');
    expect(index?.IndexStatus).toBe('ACTIVE');
    expect(index?.KeySchema).toEqual([
      { AttributeName: 'gsi1pk', KeyType: 'HASH' },
      { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
    ]);
    expect(index?.Projection).toEqual({ ProjectionType: 'ALL' });
    expect(new Set(table?.AttributeDefinitions)).toEqual(
      new Set([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ]),
    );
  });

  describe('with DynamoLedger runs', () => {
    it('leaves one item that reads back whole when the same run is put twice', async () => {
      const { ledger, tableName } = await freshLedger();
      const first = run('ai-gateway', 'failover', 0, { status: 'RUNNING' });
      const finished = run('ai-gateway', 'failover', 0, {
        endedAt: at(312).toISOString(),
        reason: 'Promoted the us-west-2 replica.',
        error: { name: 'ThrottlingException', cause: 'Rate exceeded' },
        details: { rtoSeconds: 312, steps: [{ name: 'promote', ok: true }], snapshot: null },
      });
      await ledger.putRun(first);
      await ledger.putRun(finished);
      await ledger.putRun(finished);
      expect(await itemCount(tableName)).toBe(1);
      expect(await ledger.listRuns('ai-gateway', 'failover', 10)).toEqual([finished]);
    });

    it('returns the newest runs first, no more than the limit, of the asked kind only', async () => {
      const { ledger } = await freshLedger();
      // Written out of order: the sort key, not the write order, decides.
      for (const offset of [60, 0, 180, 120]) await ledger.putRun(run('ai-gateway', 'backup', offset));
      await ledger.putRun(run('ai-gateway', 'drill', 240));
      await ledger.putRun(run('ai-gateway', 'failback', 300));
      await ledger.putRun(run('billing', 'backup', 360));

      const latestTwo = await ledger.listRuns('ai-gateway', 'backup', 2);
      expect(latestTwo.map((r) => r.executionName)).toEqual([
        'backup-ai-gateway-180',
        'backup-ai-gateway-120',
      ]);
      const all = await ledger.listRuns('ai-gateway', 'backup', 10);
      expect(all.map((r) => r.startedAt)).toEqual(
        [at(180), at(120), at(60), at(0)].map((d) => d.toISOString()),
      );
      expect(await ledger.listRuns('ai-gateway', 'drill', 10)).toEqual([run('ai-gateway', 'drill', 240)]);
      expect(await ledger.listRuns('ai-gateway', 'restore-test', 10)).toEqual([]);
    });

    it('lists one kind across applications newest first when asked by kind', async () => {
      const { ledger } = await freshLedger();
      await ledger.putRun(run('ai-gateway', 'drill', 0));
      await ledger.putRun(run('billing', 'drill', 60));
      await ledger.putRun(run('ai-gateway', 'drill', 120));
      await ledger.putRun(run('billing', 'failover', 180));

      const drills = await ledger.listRunsByKind('drill', 10);
      expect(drills).toEqual([
        run('ai-gateway', 'drill', 120),
        run('billing', 'drill', 60),
        run('ai-gateway', 'drill', 0),
      ]);
      const latest = await ledger.listRunsByKind('drill', 2);
      expect(latest.map((r) => r.application)).toEqual(['ai-gateway', 'billing']);
      expect(await ledger.listRunsByKind('failover', 10)).toEqual([run('billing', 'failover', 180)]);
    });
  });

  describe('with DynamoLedger runs by application and date', () => {
    it("reads back an application's drills and restore tests of a day, newest first, one Query each", async () => {
      const { ledger } = await freshLedger();
      const day = 86_400;
      await ledger.putRun(run('ai-gateway', 'drill', -60, { status: 'PASSED' }));
      await ledger.putRun(run('ai-gateway', 'drill', 3600, { status: 'PASSED' }));
      await ledger.putRun(
        run('ai-gateway', 'drill', 7200, { status: 'FAILED', reason: 'not ready: backup-age' }),
      );
      await ledger.putRun(run('ai-gateway', 'restore-test', 5400, { status: 'PASSED' }));
      await ledger.putRun(run('ai-gateway', 'drill', day, { status: 'PASSED' }));
      await ledger.putRun(run('billing', 'drill', 3600, { status: 'FAILED' }));
      const firstDay = { from: at(0).toISOString(), to: at(day - 0.001).toISOString() };

      const drills = await ledger.listRunsBetween('ai-gateway', 'drill', firstDay, 10);
      expect(drills.map((r) => [r.startedAt, r.status, r.reason])).toEqual([
        [at(7200).toISOString(), 'FAILED', 'not ready: backup-age'],
        [at(3600).toISOString(), 'PASSED', undefined],
      ]);
      expect(await ledger.listRunsBetween('ai-gateway', 'restore-test', firstDay, 10)).toEqual([
        run('ai-gateway', 'restore-test', 5400, { status: 'PASSED' }),
      ]);
      // Both ends are included, to the millisecond.
      const exact = { from: at(3600).toISOString(), to: at(day).toISOString() };
      expect(
        (await ledger.listRunsBetween('ai-gateway', 'drill', exact, 10)).map((r) => r.startedAt),
      ).toEqual([day, 7200, 3600].map((s) => at(s).toISOString()));
      expect(await ledger.listRunsBetween('ai-gateway', 'drill', firstDay, 1)).toHaveLength(1);
      await expect(
        ledger.listRunsBetween('ai-gateway', 'drill', { from: '2030-01-01', to: firstDay.to }, 10),
      ).rejects.toThrow('from is "2030-01-01"');
    });
  });

  describe('with DynamoLedger locks', () => {
    const APP = 'ai-gateway';
    const LEASE = 900;

    it('grants a free lock and records the lease', async () => {
      const { ledger } = await freshLedger();
      const result = await ledger.acquireLock(APP, 'owner-a', at(0), LEASE);
      const lease = {
        application: APP,
        owner: 'owner-a',
        acquiredAt: at(0).toISOString(),
        leaseExpiresAt: at(LEASE).toISOString(),
      };
      expect(result).toEqual({ acquired: true, lease });
      expect(await ledger.getLock(APP)).toEqual(lease);
      expect(await ledger.getLock('billing')).toBeUndefined();
    });

    it('refuses a second owner and names the holder while the lease runs', async () => {
      const { ledger } = await freshLedger();
      const first = await ledger.acquireLock(APP, 'owner-a', at(0), LEASE);
      if (!first.acquired) throw new Error('expected the first acquire to succeed');
      expect(await ledger.acquireLock(APP, 'owner-b', at(10), LEASE)).toEqual({
        acquired: false,
        heldBy: first.lease,
      });
      expect(await ledger.getLock(APP)).toEqual(first.lease);
    });

    it('extends the lease when the holder acquires again', async () => {
      const { ledger } = await freshLedger();
      await ledger.acquireLock(APP, 'owner-a', at(0), LEASE);
      const again = await ledger.acquireLock(APP, 'owner-a', at(600), LEASE);
      expect(again).toEqual({
        acquired: true,
        lease: {
          application: APP,
          owner: 'owner-a',
          acquiredAt: at(600).toISOString(),
          leaseExpiresAt: at(600 + LEASE).toISOString(),
        },
      });
      // Past the first lease but inside the extended one: still held.
      const refused = await ledger.acquireLock(APP, 'owner-b', at(LEASE + 60), LEASE);
      expect(refused.acquired).toBe(false);
    });

    it('lets another owner take the lock only once the lease has passed', async () => {
      const { ledger } = await freshLedger();
      await ledger.acquireLock(APP, 'owner-a', at(0), LEASE);
      const expiry = T0 + LEASE * 1000;
      for (const nowMs of [T0 + 1, expiry - 1, expiry]) {
        const attempt = await ledger.acquireLock(APP, 'owner-b', new Date(nowMs), LEASE);
        expect(attempt.acquired).toBe(false);
      }
      expect((await ledger.getLock(APP))?.owner).toBe('owner-a');

      const taken = await ledger.acquireLock(APP, 'owner-b', new Date(expiry + 1), LEASE);
      expect(taken.acquired).toBe(true);
      expect(await ledger.getLock(APP)).toEqual({
        application: APP,
        owner: 'owner-b',
        acquiredAt: new Date(expiry + 1).toISOString(),
        leaseExpiresAt: new Date(expiry + 1 + LEASE * 1000).toISOString(),
      });
      expect(await ledger.acquireLock(APP, 'owner-a', new Date(expiry + 2), LEASE)).toMatchObject({
        acquired: false,
        heldBy: { owner: 'owner-b' },
      });
    });

    it('grants the lock to exactly one of many owners racing for it', async () => {
      const { ledger } = await freshLedger();
      const owners = Array.from({ length: 8 }, (_, i) => `owner-${i}`);
      const results = await Promise.all(owners.map((owner) => ledger.acquireLock(APP, owner, at(0), LEASE)));
      const winners = results.filter((r) => r.acquired);
      expect(winners).toHaveLength(1);
      const holder = await ledger.getLock(APP);
      for (const result of results) {
        if (!result.acquired) expect(result.heldBy).toEqual(holder);
      }
    });

    it('changes nothing and returns false when someone other than the holder releases', async () => {
      const { ledger } = await freshLedger();
      await ledger.acquireLock(APP, 'owner-a', at(0), LEASE);
      const before = await ledger.getLock(APP);
      expect(await ledger.releaseLock(APP, 'owner-b')).toBe(false);
      expect(await ledger.getLock(APP)).toEqual(before);
    });

    it('frees the lock on release by the holder and returns false when released again', async () => {
      const { ledger } = await freshLedger();
      await ledger.acquireLock(APP, 'owner-a', at(0), LEASE);
      expect(await ledger.releaseLock(APP, 'owner-a')).toBe(true);
      expect(await ledger.getLock(APP)).toBeUndefined();
      expect(await ledger.releaseLock(APP, 'owner-a')).toBe(false);
      expect((await ledger.acquireLock(APP, 'owner-b', at(1), LEASE)).acquired).toBe(true);
    });

    it('returns false when releasing a lock nobody ever took', async () => {
      const { ledger } = await freshLedger();
      expect(await ledger.releaseLock(APP, 'owner-a')).toBe(false);
    });
  });

  describe('stop', () => {
    it('closes the server once and resolves on every later call', async () => {
      const own = await EmbeddedDynamo.start();
      await own.createLedgerTable('ledger');
      expect(await accepts(own.endpoint)).toBe(true);
      await Promise.all([own.stop(), own.stop()]);
      await own.stop();
      expect(await accepts(own.endpoint)).toBe(false);
      expect(() => own.client()).toThrow(`EmbeddedDynamo at ${own.endpoint} is stopped`);
    });
  });
});
