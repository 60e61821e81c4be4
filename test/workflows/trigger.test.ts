import { trackPort } from '../../local/clock/trackPort.ts';
import { EmbeddedDynamo } from '../../local/ledger/EmbeddedDynamo.ts';
import { worldEstate } from '../../local/world/WorldEstate.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { handleAlarmEvent } from '../../shared/trigger/Trigger.ts';
import { testWorld } from '../support/world.ts';

describe('trigger', () => {
  let dynamo: EmbeddedDynamo;
  beforeAll(async () => {
    dynamo = await EmbeddedDynamo.start();
    await dynamo.createLedgerTable('lifeboat-ledger');
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  it("records the old primary's return to OK, keeping the moment it began across repeats", async () => {
    const { world, clock } = testWorld();
    const ledger = trackPort(new DynamoLedger(dynamo.client(), 'lifeboat-ledger'), clock);
    const deps = {
      config: world.config,
      estate: worldEstate(world, { channel: 'C0LIFEBOAT1' }),
      ledger,
      clock,
      region: 'us-west-2',
      starter: { start: () => Promise.resolve('started' as const) },
    };
    const outcomes: unknown[] = [];
    world.onEvent((d) => {
      if (d.busRegion === 'us-west-2') void handleAlarmEvent(d.event, deps).then((o) => outcomes.push(o));
    });
    world.setRegionOutage('us-east-1', true);
    await clock.runUntil(300);
    expect(await clock.track(ledger.getHealth('ai-gateway', 'us-east-1'))).toMatchObject({ state: 'ALARM' });
    world.setRegionOutage('us-east-1', false);
    await clock.runUntil(600);
    const health = await clock.track(ledger.getHealth('ai-gateway', 'us-east-1'));
    expect(health?.state).toBe('OK');
    // us-east-1 is back at 300 s. Route 53's view is its health check's alarm: OK once the checkers
    // see it healthy (3 checks, 30 s apart) and the alarm's next one-minute evaluations follow.
    const since = clock.secondsAt(health!.since);
    expect(since).toBeGreaterThanOrEqual(390);
    expect(since).toBeLessThan(540);
    expect(outcomes.some((o) => (o as { reason?: string }).reason?.includes('is OK') === true)).toBe(true);
  });

  it('reads again (throws for Lambda to retry the event) when a 5xx on a signal that decides the quorum is all that is missing', async () => {
    const { world, clock } = testWorld();
    const ledger = trackPort(new DynamoLedger(dynamo.client(), 'lifeboat-ledger'), clock);
    const estate = worldEstate(world, { channel: 'C0LIFEBOAT1' });
    let failing = true;
    const serverError = Object.assign(new Error('We encountered an internal error'), {
      name: 'InternalFailure',
      $metadata: { httpStatusCode: 500 },
    });
    const deps = {
      config: world.config,
      // us-east-1 is down; the probe alarms about it live in us-west-2 and eu-west-1, which are up.
      estate: {
        ...estate,
        alarms: {
          describe: (name: string, region: string) =>
            failing && region !== 'us-east-1'
              ? Promise.reject(serverError)
              : estate.alarms.describe(name, region),
        },
      },
      ledger,
      clock,
      region: 'us-west-2',
      starter: { start: () => Promise.resolve('started' as const) },
    };
    const events: Parameters<typeof handleAlarmEvent>[0][] = [];
    world.onEvent((d) => {
      if (d.busRegion === 'us-west-2' && d.event.detail.state.value === 'ALARM') events.push(d.event);
    });
    world.setRegionOutage('us-east-1', true);
    await clock.runUntil(300);
    expect(events.length).toBeGreaterThan(0);
    // The trigger's calls take virtual time: let the clock run while each invocation is under way.
    const invoke = async () => {
      const outcome = handleAlarmEvent(events[0]!, deps).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      await clock.runUntil(clock.seconds + 30);
      return outcome;
    };
    // Route 53's alarm (in the region that is down) counts; the two probes' reads failed: retry.
    expect(await invoke()).toEqual({
      error: expect.objectContaining({
        name: 'TransientServiceError',
        message: expect.stringMatching(/could not be read: .*probe.* \(InternalFailure: We encountered/),
      }),
    });
    failing = false;
    expect(await invoke()).toEqual({ value: expect.objectContaining({ action: 'started' }) });
  });

  it("ignores an alarm that is not one of this config's detection alarms", async () => {
    const { world, clock } = testWorld();
    const ledger = trackPort(new DynamoLedger(dynamo.client(), 'lifeboat-ledger'), clock);
    const outcome = await handleAlarmEvent(
      { detail: { alarmName: 'someone-elses-alarm', state: { value: 'ALARM' } } },
      {
        config: world.config,
        estate: worldEstate(world, { channel: 'C' }),
        ledger,
        clock,
        region: 'us-west-2',
        starter: { start: () => Promise.resolve('started' as const) },
      },
    );
    expect(outcome).toEqual({
      action: 'ignored',
      reason: 'someone-elses-alarm is not a Lifeboat detection alarm of this config',
    });
  });
});
