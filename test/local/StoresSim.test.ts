import { testWorld } from '../support/world.ts';

/** The simulated Global Datastores (local/world/StoresSim.ts), through the world's faults. */
describe('StoresSim', () => {
  const APP = 'ai-gateway';
  const STORE = 'budgets';

  function member(world: ReturnType<typeof testWorld>['world'], region: string) {
    const store = world.stores.store(APP, STORE);
    return world.stores.describeGlobal(store).members.find((m) => m.region === region)!;
  }

  it('fails over in storeFailoverSeconds, making every other member a secondary of the new primary', async () => {
    const { world, clock } = testWorld();
    await clock.runUntil(60);
    world.stores.failover(world.stores.store(APP, STORE), 'us-west-2', { planned: true, by: 'test' });
    expect(world.stores.describeGlobal(world.stores.store(APP, STORE)).status).toBe('modifying');
    await clock.runUntil(60 + world.latency.storeFailoverSeconds + 1);
    expect(world.stores.roles(APP, STORE)).toEqual({
      'us-east-1': 'secondary',
      'us-west-2': 'primary',
      'eu-west-1': 'secondary',
    });
    expect(world.stores.describeGlobal(world.stores.store(APP, STORE)).status).toBe('available');
  });

  it('stops publishing a secondary’s lag while its primary’s region is down, keeping the lag it stopped at', async () => {
    const { world, clock } = testWorld();
    world.stores.setLag('us-west-2', 3);
    await clock.runUntil(600);
    world.setRegionOutage('us-east-1', true);
    await clock.runUntil(1200);
    const series = world.stores.lagSeries(world.stores.store(APP, STORE), 'us-west-2', 0, 1200, 60);
    expect(series.every((p) => p.at < 600 && p.seconds === 3)).toBe(true);
    expect(series.length).toBe(10);
  });

  it('resynchronizes an old primary demoted while its region was down, once the region is back', async () => {
    const { world, clock } = testWorld();
    await clock.runUntil(60);
    world.setRegionOutage('us-east-1', true);
    world.stores.failover(world.stores.store(APP, STORE), 'us-west-2', { planned: false, by: 'test' });
    await clock.runUntil(600);
    expect(member(world, 'us-east-1')).toMatchObject({ role: 'SECONDARY', status: 'associated' });
    world.setRegionOutage('us-east-1', false);
    expect(member(world, 'us-east-1').status).toBe('associating');
    // No lag is published while it resynchronizes.
    await clock.runUntil(600 + world.latency.storeResyncSeconds - 60);
    const store = world.stores.store(APP, STORE);
    expect(world.stores.lagSeries(store, 'us-east-1', 600, clock.seconds, 60)).toEqual([]);
    await clock.runUntil(600 + world.latency.storeResyncSeconds + 120);
    expect(member(world, 'us-east-1').status).toBe('associated');
    expect(
      world.stores.lagSeries(store, 'us-east-1', clock.seconds - 120, clock.seconds, 60).length,
    ).toBeGreaterThan(0);
  });
});
