import type { ApplicationConfig } from '../../../shared/config/LifeboatConfig.ts';
import { loadConfig } from '../../../shared/config/loadConfig.ts';
import type { StoresPort, StoreStatus } from '../../../shared/ports/Estate.ts';
import {
  FOLLOW_LIMIT_SECONDS,
  followWriter,
  retiredIdentifier,
  type FollowResult,
} from '../../../shared/failover/followWriter.ts';
import type { DatabasePort, DatabaseStatus } from '../../../shared/ports/Estate.ts';
import { EXAMPLE_CONFIG_PATH } from '../../support/exampleConfig.ts';

const config = loadConfig(EXAMPLE_CONFIG_PATH);
const WITH_STORE = config.applications.find((a) => a.name === 'ai-gateway')!;
/** The example's RDS application without its store (the store's followers are tested below). */
const RDS: ApplicationConfig = { ...WITH_STORE, stores: [] };

/** A stores port for applications without stores: any call is a test failure. */
const NO_STORES: StoresPort = {
  describe: () => Promise.reject(new Error('no store to describe')),
  promote: () => Promise.reject(new Error('no store to promote')),
  lagHistory: () => Promise.reject(new Error('no store lag to read')),
};
const AURORA: ApplicationConfig = {
  ...config.applications.find((a) => a.name === 'ai-gateway-drill')!,
  regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
  database: {
    engine: 'aurora-global',
    globalClusterIdentifier: 'g',
    clusters: { 'us-east-1': 'c1', 'us-west-2': 'c2', 'eu-west-1': 'c3' },
  },
};

class NotFound extends Error {
  override name = 'DBInstanceNotFoundFault';
}

/** An RDS estate in memory: each region's instance, a rename frees its identifier after `renameCalls` describes. */
function fakeDatabase(initial: Record<string, DatabaseStatus | undefined>): DatabasePort & {
  calls: string[];
  renaming: Set<string>;
  failNext?: Error;
  problem?: string;
} {
  const state = { ...initial };
  const renaming = new Set<string>();
  const calls: string[] = [];
  const port = {
    calls,
    renaming,
    failNext: undefined as Error | undefined,
    problem: undefined as string | undefined,
    replicaProblem: (_app: ApplicationConfig, region: string, source: string) => {
      calls.push(`replicaProblem ${region} from ${source}`);
      return Promise.resolve(port.problem);
    },
    describe: (_app: ApplicationConfig, region: string) => {
      calls.push(`describe ${region}`);
      if (port.failNext !== undefined) {
        const error = port.failNext;
        port.failNext = undefined;
        return Promise.reject(error);
      }
      const status = state[region];
      return status === undefined
        ? Promise.reject(new NotFound(`no instance in ${region}`))
        : Promise.resolve(status);
    },
    retire: (_app: ApplicationConfig, region: string, id: string) => {
      calls.push(`retire ${region} ${id}`);
      state[region] = undefined;
      renaming.add(region);
      return Promise.resolve('renamed' as const);
    },
    createReplica: (_app: ApplicationConfig, region: string, source: string) => {
      calls.push(`create ${region} from ${source}`);
      if (renaming.has(region)) return Promise.resolve('busy' as const);
      state[region] = { role: 'replica', available: false, sourceRegion: source };
      return Promise.resolve('started' as const);
    },
    promote: () => Promise.reject(new Error('not expected')),
    quarantine: () => Promise.reject(new Error('not expected')),
    reboot: () => Promise.reject(new Error('not expected')),
    follow: () => Promise.reject(new Error('not expected')),
    fence: () => Promise.reject(new Error('not expected')),
  };
  return port;
}

function clockAt(iso: string): { now: () => Date; set: (iso: string) => void } {
  let now = new Date(iso);
  return { now: () => now, set: (next) => (now = new Date(next)) };
}

const HANDLED = { 'us-east-1': 'the old primary: left to the failback' };

describe('followWriter (RDS): a replica of the old primary is renamed, kept and replaced by a replica of the writer', () => {
  it('renames, waits for the identifier, creates, then keeps the final state without asking again', async () => {
    const database = fakeDatabase({
      'us-west-2': { role: 'standalone', available: true, sourceRegion: undefined },
      'eu-west-1': { role: 'replica', available: true, sourceRegion: 'us-east-1' },
    });
    const clock = clockAt('2030-01-01T00:30:00Z');
    const options = { writer: 'us-west-2', handled: HANDLED, retiredLabel: 'pre-failover' };
    const first = await followWriter({ database, stores: NO_STORES, clock }, RDS, options);
    expect(first).toMatchObject({ settled: false, writer: 'us-west-2', since: '2030-01-01T00:30:00.000Z' });
    expect(first.followers).toEqual([
      { region: 'us-east-1', state: 'left', final: true, detail: 'the old primary: left to the failback' },
      {
        region: 'eu-west-1',
        state: 'renaming',
        final: false,
        detail:
          'ai-gateway-db-euw1, a replica of us-east-1, renamed ai-gateway-db-euw1-pre-failover-203001010030 and kept (it may hold writes us-west-2 lacks); a replica of us-west-2 takes its place',
        renamedTo: 'ai-gateway-db-euw1-pre-failover-203001010030',
      },
    ]);

    // The rename has not freed the identifier yet: the same input asks and changes nothing more.
    clock.set('2030-01-01T00:31:00Z');
    const second = await followWriter({ database, stores: NO_STORES, clock }, RDS, {
      ...options,
      previous: first,
    });
    expect(second.settled).toBe(false);
    expect(second.followers[1]).toMatchObject({
      state: 'renaming',
      renamedTo: 'ai-gateway-db-euw1-pre-failover-203001010030',
    });
    expect(database.calls.filter((c) => c.startsWith('retire'))).toHaveLength(1);

    database.renaming.clear();
    clock.set('2030-01-01T00:32:00Z');
    const third = await followWriter({ database, stores: NO_STORES, clock }, RDS, {
      ...options,
      previous: second,
    });
    expect(third.settled).toBe(true);
    expect(third.followers[1]).toEqual({
      region: 'eu-west-1',
      state: 'building',
      final: true,
      detail:
        'the old replica was renamed ai-gateway-db-euw1-pre-failover-203001010030 and kept; a new read replica of us-west-2 is being created',
      renamedTo: 'ai-gateway-db-euw1-pre-failover-203001010030',
    });
    expect(third.since).toBe('2030-01-01T00:30:00.000Z');

    // Once settled, a run again asks nothing of a region that is final.
    const before = database.calls.length;
    const again = await followWriter({ database, stores: NO_STORES, clock }, RDS, {
      ...options,
      previous: third,
    });
    expect(again.followers).toEqual(third.followers);
    expect(database.calls.length).toBe(before);
  });

  it('does not rename twice while RDS still shows the instance under its old identifier (renaming)', async () => {
    const database = fakeDatabase({
      'eu-west-1': { role: 'replica', available: false, sourceRegion: 'us-east-1' },
    });
    // Real RDS: the instance answers to its old identifier until the rename is applied.
    const retire = database.retire.bind(database);
    database.retire = async (app, region, id) => {
      await retire(app, region, id);
      database.renaming.delete(region);
      return 'renamed';
    };
    const kept = fakeDatabase({
      'eu-west-1': { role: 'replica', available: false, sourceRegion: 'us-east-1' },
    });
    const stillThere: typeof database = {
      ...database,
      describe: (app, region) => kept.describe(app, region),
    };
    const clock = clockAt('2030-01-01T00:30:00Z');
    const options = { writer: 'us-west-2', handled: HANDLED, retiredLabel: 'pre-failover' };
    const first = await followWriter({ database: stillThere, stores: NO_STORES, clock }, RDS, options);
    clock.set('2030-01-01T00:31:30Z');
    const second = await followWriter({ database: stillThere, stores: NO_STORES, clock }, RDS, {
      ...options,
      previous: first,
    });
    expect(second.followers[1]).toMatchObject({
      state: 'renaming',
      final: false,
      renamedTo: 'ai-gateway-db-euw1-pre-failover-203001010030',
    });
    expect(database.calls.filter((c) => c.startsWith('retire'))).toEqual([
      'retire eu-west-1 ai-gateway-db-euw1-pre-failover-203001010030',
    ]);
  });

  it('renames nothing when a replica of the writer could not take its place, and says why', async () => {
    const database = fakeDatabase({
      'eu-west-1': { role: 'replica', available: true, sourceRegion: 'us-east-1' },
    });
    database.problem =
      "ai-gateway's database in us-west-2 is encrypted, so its replica in eu-west-1 needs a KMS key of eu-west-1: set database.replicas.eu-west-1.kmsKeyId of ai-gateway in the config";
    const clock = clockAt('2030-01-01T00:30:00Z');
    const result = await followWriter({ database, stores: NO_STORES, clock }, RDS, {
      writer: 'us-west-2',
      handled: HANDLED,
      retiredLabel: 'pre-failover',
    });
    expect(result.settled).toBe(true);
    expect(result.followers[1]).toEqual({
      region: 'eu-west-1',
      state: 'left',
      final: true,
      detail: `ai-gateway-db-euw1, a replica of us-east-1, left as it is: ${database.problem}`,
    });
    expect(database.calls.filter((c) => c.startsWith('retire'))).toEqual([]);
  });

  it('leaves a replica that already follows the writer, and a writer elsewhere, as they are', async () => {
    const database = fakeDatabase({
      'eu-west-1': { role: 'standalone', available: true, sourceRegion: undefined },
    });
    const clock = clockAt('2030-01-01T00:30:00Z');
    const result = await followWriter({ database, stores: NO_STORES, clock }, RDS, {
      writer: 'us-west-2',
      handled: HANDLED,
      retiredLabel: 'pre-failover',
    });
    expect(result.settled).toBe(true);
    expect(result.followers[1]).toMatchObject({
      region: 'eu-west-1',
      state: 'left',
      detail: expect.stringContaining('a standalone database, not a replica: left as it is') as unknown,
    });
    expect(database.calls).toEqual(['describe eu-west-1']);

    const follows = fakeDatabase({
      'eu-west-1': { role: 'replica', available: true, sourceRegion: 'us-west-2' },
    });
    const out = await followWriter({ database: follows, stores: NO_STORES, clock }, RDS, {
      writer: 'us-west-2',
      handled: HANDLED,
      retiredLabel: 'pre-failover',
    });
    expect(out.followers[1]).toEqual({
      region: 'eu-west-1',
      state: 'follows',
      final: true,
      detail: 'replicates from us-west-2',
    });
  });

  it('asks again after an error that may pass, and says why not after a permanent one', async () => {
    const clock = clockAt('2030-01-01T00:30:00Z');
    const options = { writer: 'us-west-2', handled: HANDLED, retiredLabel: 'pre-failover' };
    const transient = fakeDatabase({
      'eu-west-1': { role: 'replica', available: true, sourceRegion: 'us-east-1' },
    });
    transient.failNext = Object.assign(new Error('eu-west-1 is not answering'), {
      name: 'ServiceUnavailable',
    });
    const first = await followWriter({ database: transient, stores: NO_STORES, clock }, RDS, options);
    expect(first.settled).toBe(false);
    expect(first.followers[1]).toMatchObject({ state: 'unreachable', final: false });
    const second = await followWriter({ database: transient, stores: NO_STORES, clock }, RDS, {
      ...options,
      previous: first,
    });
    expect(second.followers[1]).toMatchObject({ state: 'renaming' });

    const permanent = fakeDatabase({
      'eu-west-1': { role: 'replica', available: true, sourceRegion: 'us-east-1' },
    });
    permanent.failNext = Object.assign(new Error('User is not authorized'), { name: 'AccessDenied' });
    const refused = await followWriter({ database: permanent, stores: NO_STORES, clock }, RDS, options);
    expect(refused.settled).toBe(true);
    expect(refused.followers[1]).toMatchObject({
      state: 'left',
      final: true,
      detail: 'not made to follow us-west-2: AccessDenied: User is not authorized',
    });
  });

  it(`gives up ${FOLLOW_LIMIT_SECONDS} s after the writer moved, saying where the region stood`, async () => {
    const database = fakeDatabase({
      'eu-west-1': { role: 'replica', available: true, sourceRegion: 'us-east-1' },
    });
    const clock = clockAt('2030-01-01T00:30:00Z');
    const options = { writer: 'us-west-2', handled: HANDLED, retiredLabel: 'pre-failover' };
    const first = await followWriter({ database, stores: NO_STORES, clock }, RDS, options);
    clock.set(new Date(Date.parse('2030-01-01T00:30:00Z') + (FOLLOW_LIMIT_SECONDS + 1) * 1000).toISOString());
    const late: FollowResult = await followWriter({ database, stores: NO_STORES, clock }, RDS, {
      ...options,
      previous: first,
    });
    expect(late.settled).toBe(true);
    expect(late.followers[1]).toMatchObject({
      state: 'left',
      final: true,
      detail: expect.stringMatching(
        new RegExp(
          `waiting for the rename to free ai-gateway-db-euw1; given up ${FOLLOW_LIMIT_SECONDS} s after the writer moved$`,
        ),
      ) as unknown,
    });
  });
});

describe('followWriter (Aurora): Aurora rebuilds its secondaries itself', () => {
  it('reads each member and asks nothing of Aurora', async () => {
    const database = fakeDatabase({
      'us-west-2': { role: 'writer', available: true, sourceRegion: undefined },
      'eu-west-1': { role: 'replica', available: false, sourceRegion: 'us-west-2' },
    });
    const clock = clockAt('2030-01-01T00:30:00Z');
    const result = await followWriter({ database, stores: NO_STORES, clock }, AURORA, {
      writer: 'us-west-2',
      handled: HANDLED,
      retiredLabel: 'pre-failover',
    });
    expect(result.settled).toBe(true);
    expect(result.followers[1]).toEqual({
      region: 'eu-west-1',
      state: 'building',
      final: true,
      detail: 'Aurora is rebuilding it from us-west-2; it reads again once rebuilt',
    });
    expect(database.calls).toEqual(['describe eu-west-1']);
  });

  it('waits while a member is still a secondary of another region', async () => {
    const database = fakeDatabase({
      'eu-west-1': { role: 'replica', available: true, sourceRegion: 'us-east-1' },
    });
    const clock = clockAt('2030-01-01T00:30:00Z');
    const result = await followWriter({ database, stores: NO_STORES, clock }, AURORA, {
      writer: 'us-west-2',
      handled: HANDLED,
      retiredLabel: 'pre-failover',
    });
    expect(result.settled).toBe(false);
    expect(result.followers[1]).toMatchObject({ state: 'waiting', final: false });
  });
});

describe('retiredIdentifier', () => {
  it('keeps within RDS’s 63 characters with the label and the minute', () => {
    const id = retiredIdentifier('a'.repeat(70), new Date('2030-01-01T00:30:00Z'), 'pre-failover');
    expect(id).toHaveLength(63);
    expect(id.endsWith('-pre-failover-203001010030')).toBe(true);
  });
});

describe("followWriter: the stores' members follow the new primary by themselves, or the record says why not", () => {
  const database = () =>
    fakeDatabase({
      'us-west-2': { role: 'standalone', available: true, sourceRegion: undefined },
      'eu-west-1': { role: 'replica', available: true, sourceRegion: 'us-west-2' },
    });
  const handled = { 'us-east-1': 'the old primary: left to the failback' };
  const options = { writer: 'us-west-2', handled, retiredLabel: 'pre-failover' };

  function storesAt(roles: Record<string, StoreStatus | Error>): StoresPort & { described: string[] } {
    const described: string[] = [];
    return {
      described,
      describe: (_app, _store, region) => {
        described.push(region);
        const status = roles[region];
        if (status === undefined) return Promise.reject(new Error(`no member in ${region}`));
        return status instanceof Error ? Promise.reject(status) : Promise.resolve(status);
      },
      promote: () => Promise.reject(new Error('followWriter promotes nothing')),
      lagHistory: () => Promise.reject(new Error('followWriter reads no lag')),
    };
  }

  it('names each member: a secondary of the writer follows, one still joining is asked again', async () => {
    const stores = storesAt({
      'us-east-1': { role: 'secondary', available: false, sourceRegion: 'us-west-2' },
      'eu-west-1': { role: 'secondary', available: true, sourceRegion: 'us-west-2' },
    });
    const clock = clockAt('2030-01-01T00:30:00Z');
    const result = await followWriter({ database: database(), stores, clock }, WITH_STORE, options);
    expect(result.stores).toEqual([
      {
        store: 'budgets',
        region: 'us-east-1',
        state: 'building',
        final: false,
        detail: 'joining ldgnf-ai-gateway-budgets as a secondary of us-west-2',
      },
      {
        store: 'budgets',
        region: 'eu-west-1',
        state: 'follows',
        final: true,
        detail: 'a secondary of us-west-2',
      },
    ]);
    expect(result.settled).toBe(false);
    expect(result.summary).toContain('eu-west-1 (store budgets): a secondary of us-west-2');
    expect(stores.described).toEqual(['us-east-1', 'eu-west-1']);
  });

  const unavailable = (region: string): Error => {
    const down = new Error(`${region} is unavailable`);
    down.name = 'ServiceUnavailableException';
    (down as Error & { $metadata: unknown }).$metadata = { httpStatusCode: 503 };
    return down;
  };

  it("leaves another primary to a person, and does not wait for the old primary's region", async () => {
    const stores = storesAt({
      'us-east-1': unavailable('us-east-1'),
      'eu-west-1': { role: 'primary', available: true, sourceRegion: undefined },
    });
    const clock = clockAt('2030-01-01T00:30:00Z');
    const result = await followWriter({ database: database(), stores, clock }, WITH_STORE, options);
    expect(result.stores).toEqual([
      expect.objectContaining({
        region: 'us-east-1',
        state: 'left',
        final: true,
        detail: expect.stringContaining(
          'ElastiCache makes it a secondary of us-west-2 once it does',
        ) as unknown,
      }),
      {
        store: 'budgets',
        region: 'eu-west-1',
        state: 'left',
        final: true,
        detail: "the primary, not a secondary of us-west-2: a person's decision (docs/stores.md)",
      },
    ]);
  });

  it('asks an unanswering region again, and gives up at the limit', async () => {
    const stores = storesAt({
      'us-east-1': { role: 'secondary', available: true, sourceRegion: 'us-west-2' },
      'eu-west-1': unavailable('eu-west-1'),
    });
    const clock = clockAt('2030-01-01T00:30:00Z');
    const first = await followWriter({ database: database(), stores, clock }, WITH_STORE, options);
    expect(first.stores?.[1]).toMatchObject({ region: 'eu-west-1', state: 'unreachable', final: false });
    expect(first.settled).toBe(false);
    clock.set('2030-01-01T00:46:00Z');
    const late = await followWriter({ database: database(), stores, clock }, WITH_STORE, {
      ...options,
      previous: first,
    });
    expect(late.stores?.[1]).toMatchObject({
      region: 'eu-west-1',
      state: 'left',
      final: true,
      detail: expect.stringContaining('given up 900 s after the writer moved') as unknown,
    });
  });
});
