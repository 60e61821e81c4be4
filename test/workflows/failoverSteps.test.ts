import { trackPort } from '../../local/clock/trackPort.ts';
import { EmbeddedDynamo } from '../../local/ledger/EmbeddedDynamo.ts';
import { worldEstate } from '../../local/world/WorldEstate.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { FailoverSteps, runFailoverStep } from '../../shared/failover/FailoverSteps.ts';
import type { FailoverRequest } from '../../shared/failover/FailoverInput.ts';
import { TransientServiceError } from '../../shared/errors.ts';
import { testWorld } from '../support/world.ts';

describe('failover steps run twice', () => {
  let dynamo: EmbeddedDynamo;
  beforeAll(async () => {
    dynamo = await EmbeddedDynamo.start();
    await dynamo.createLedgerTable('lifeboat-ledger');
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  async function setup() {
    const { world, clock } = testWorld({ latency: { rdsPromoteSeconds: 60 } });
    const ledger = trackPort(new DynamoLedger(dynamo.client(), 'lifeboat-ledger'), clock);
    const steps = new FailoverSteps({
      config: world.config,
      estate: worldEstate(world, { channel: 'C0LIFEBOAT1' }),
      ledger,
      ledgerIn: () => ledger,
      clock,
    });
    world.setRegionOutage('us-east-1', true);
    await clock.runUntil(40);
    const request: FailoverRequest = {
      application: 'ai-gateway',
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      mode: 'automatic',
      dryRun: false,
      force: false,
      reason: 'test',
      incidentStartedAt: clock.now().toISOString(),
      confirmationWaitSeconds: 0,
      approvalTimeoutSeconds: 3600,
      approvalLockLeaseSeconds: 3600 + 26 * 3600,
    };
    /** Runs `work` on the clock to completion. */
    const run = async <T>(work: Promise<T>): Promise<T> => {
      let result: { value: T } | undefined;
      let failure: unknown;
      void work.then(
        (value) => (result = { value }),
        (e: unknown) => (failure = e),
      );
      await clock.runUntil(clock.seconds + 5);
      if (failure !== undefined) throw failure as Error;
      return result!.value;
    };
    return { world, clock, steps, request, run, ledger };
  }

  it('fences once: the second fence changes nothing', async () => {
    const { world, clock, steps, request, run } = await setup();
    await run(steps.fenceSource({ request }));
    await clock.runUntil(clock.seconds + 70);
    const after = world.timeline.length;
    await run(steps.fenceSource({ request }));
    await clock.runUntil(clock.seconds + 70);
    expect(world.timeline.slice(after).filter((e) => e.kind === 'dns-change')).toEqual([]);
    expect(world.isFenced('ai-gateway', 'us-east-1')).toBe(true);
  });

  it('goes on without the fence of a region that is neither source nor target when its vote region is down, and says so', async () => {
    const { world, clock, steps, request, run } = await setup();
    // us-west-2, the writer after an earlier failover, fails: us-east-1's and eu-west-1's records vote
    // in us-west-2 (fenceRegion), us-west-2's in eu-west-1.
    world.setRegionOutage('us-east-1', false);
    world.setRegionOutage('us-west-2', true);
    const second = { ...request, sourceRegion: 'us-west-2', targetRegion: 'eu-west-1' };
    const result = await run(steps.fenceSource({ request: second }));
    expect(result.fenced).toEqual(['us-west-2']);
    expect(result.unfenced).toEqual([]);
    expect(result.unreachable.map((u) => u.split(' ')[0])).toEqual(['us-east-1', 'eu-west-1']);
    expect(result.unreachable[0]).toMatch(/fencing ai-gateway in us-east-1 needs 1 of 1 fence votes/);
    await clock.runUntil(clock.seconds + 70);
    expect(world.isFenced('ai-gateway', 'us-west-2')).toBe(true);
  });

  it("fails, retryably, while the source's own fence cannot be voted", async () => {
    const { world, steps, request, run } = await setup();
    // us-east-1's record votes in us-west-2; with both down nothing can fence it.
    world.setRegionOutage('us-west-2', true);
    const attempt = run(steps.fenceSource({ request: { ...request, targetRegion: 'eu-west-1' } }));
    await expect(attempt).rejects.toBeInstanceOf(TransientServiceError);
    await expect(attempt).rejects.toThrow(/fencing ai-gateway in us-east-1 needs 1 of 1 fence votes/);
    expect(world.isFenced('ai-gateway', 'eu-west-1')).toBe(false);
  });

  it('promotes once: the second promotion is already promoted', async () => {
    const { steps, request, run, world } = await setup();
    expect(await run(steps.promoteDatabase({ request, executionName: 'x' }))).toMatchObject({
      status: 'started',
    });
    expect(await run(steps.promoteDatabase({ request, executionName: 'x' }))).toMatchObject({
      status: 'already-promoted',
    });
    // One promotion of the database and one failover of the example's store, none by the second run.
    expect(
      world.timeline.filter((e) => e.kind === 'database' && e.text.includes('started')).map((e) => e.text),
    ).toEqual([
      'promotion of ai-gateway-db-usw2 started (lag 0 s)',
      'budgets: failover of ldgnf-ai-gateway-budgets to ai-gateway-budgets-usw2 started (lag 0 s)',
    ]);
  });

  it("says what the other side already began when the database's promotion or a store's failover fails", async () => {
    const { steps, request, run, world } = await setup();
    // The replica is backing up: RDS refuses its promotion for now, the store's failover starts.
    world.setDatabaseBackup('us-west-2', true);
    const refused = run(steps.promoteDatabase({ request, executionName: 'x' }));
    await expect(refused).rejects.toMatchObject({ name: 'DatabaseBusyError' });
    await expect(refused).rejects.toThrow(/\(the failover of store budgets already begun\)$/);
    world.setDatabaseBackup('us-west-2', false);
    // The retry promotes the database; the store's failover, already running, is not asked twice.
    expect(await run(steps.promoteDatabase({ request, executionName: 'x' }))).toMatchObject({
      status: 'started',
    });
    expect(
      world.timeline.filter((e) => e.kind === 'database' && e.text.includes('started')).map((e) => e.text),
    ).toEqual([
      'budgets: failover of ldgnf-ai-gateway-budgets to ai-gateway-budgets-usw2 started (lag 0 s)',
      'promotion of ai-gateway-db-usw2 started (lag 0 s)',
    ]);
  });

  it('scales once: the second scaling asks for what is already there', async () => {
    const { steps, request, run, world } = await setup();
    await run(steps.scaleNodeGroups({ request }));
    await run(steps.scaleDeployments({ request }));
    const after = world.timeline.length;
    await run(steps.scaleNodeGroups({ request }));
    await run(steps.scaleDeployments({ request }));
    expect(
      world.timeline
        .slice(after)
        .filter((e) => e.kind === 'node-group' || (e.kind === 'deployment' && e.text.includes('scaled'))),
    ).toEqual([]);
  });

  it('shifts once: the second change batch sets the weights already set', async () => {
    const { steps, request, run, world, clock } = await setup();
    world.setRegionOutage('us-east-1', false);
    await run(steps.shiftTraffic({ request, executionName: 'x' }));
    await clock.runUntil(clock.seconds + 70);
    const weights = world.weights('ai-gateway');
    await run(steps.shiftTraffic({ request, executionName: 'x' }));
    await clock.runUntil(clock.seconds + 70);
    expect(world.weights('ai-gateway')).toEqual(weights);
  });

  it('takes and releases the lock once: the second take extends, the second release is a no-op', async () => {
    const { steps, request, run } = await setup();
    expect(await run(steps.acquireLock({ request, executionName: 'run-1' }))).toEqual({
      acquired: true,
      heldBy: null,
    });
    expect(await run(steps.acquireLock({ request, executionName: 'run-1' }))).toEqual({
      acquired: true,
      heldBy: null,
    });
    expect(await run(steps.acquireLock({ request, executionName: 'run-2' }))).toEqual({
      acquired: false,
      heldBy: 'run-1',
    });
    expect(await run(steps.releaseLock({ state: { request }, executionName: 'run-1' }))).toEqual({
      released: true,
    });
    expect(await run(steps.releaseLock({ state: { request }, executionName: 'run-1' }))).toEqual({
      released: false,
    });
  });

  it('records once: the second record of the same run overwrites the same item', async () => {
    const { steps, request, run, ledger } = await setup();
    const payload = {
      state: { request, startedAt: '2030-01-01T00:00:40.000Z' },
      executionName: 'run-rec',
      status: 'SUCCEEDED' as const,
    };
    await run(steps.record(payload));
    await run(steps.record(payload));
    expect(
      (await ledger.listRuns('ai-gateway', 'failover', 50)).filter((r) => r.executionName === 'run-rec'),
    ).toHaveLength(1);
  });

  it('refuses an operation the function does not run, naming the ones it does', async () => {
    const { steps } = await setup();
    await expect(runFailoverStep('lifeboat-lock', { operation: 'promoteDatabase' }, steps)).rejects.toThrow(
      'operation: promoteDatabase is not one of acquireLock, confirmLock, releaseLock (lifeboat-lock)',
    );
  });
});
