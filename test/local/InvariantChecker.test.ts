import { formatViolation, InvariantChecker } from '../../local/invariants/InvariantChecker.ts';
import { EmbeddedDynamo } from '../../local/ledger/EmbeddedDynamo.ts';
import type { ExecutionRecord } from '../../local/runner/WorkflowRunner.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { testConfig } from '../support/synth.ts';
import { testWorld } from '../support/world.ts';

const APP = 'ai-gateway';

function execution(workflow: string, name: string, overrides: Partial<ExecutionRecord>): ExecutionRecord {
  return {
    workflow,
    name,
    input: { application: APP },
    startedAt: 0,
    stoppedAt: null,
    status: 'SUCCEEDED',
    error: null,
    cause: null,
    output: null,
    states: [],
    done: Promise.resolve(),
    ...overrides,
  };
}

function setup(executions: ExecutionRecord[] = [], primary?: string) {
  const config = testConfig((doc) => {
    if (primary === undefined) return;
    const app = doc.applications[0] as { regions: string[]; backup: { copyToRegion: string } };
    app.regions = [primary, ...app.regions.filter((r) => r !== primary)];
    app.backup.copyToRegion = app.regions[1]!;
  });
  const { world, clock } = testWorld({ config, latency: { rdsPromoteSeconds: 60 } });
  const checker = new InvariantChecker(world, {
    executions: () => executions,
    actingStates: { failover: ['ShiftTraffic'], failback: ['ShiftTraffic'] },
    lockingWorkflows: ['failover', 'failback'],
  });
  return { world, clock, checker };
}

describe('InvariantChecker', () => {
  let dynamo: EmbeddedDynamo;
  let ledger: DynamoLedger;

  beforeAll(async () => {
    dynamo = await EmbeddedDynamo.start();
    await dynamo.createLedgerTable('lifeboat-ledger');
    ledger = new DynamoLedger(dynamo.client(), 'lifeboat-ledger');
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  it('reports nothing for a correct failover: detect, promote, move traffic to the healthy standby', async () => {
    const { world, clock, checker } = setup([], 'us-west-2');
    world.setRegionOutage('us-west-2', true);
    await clock.runUntil(40);
    world.promoteDatabase(APP, 'us-east-1', { by: 'automatic' });
    world.changeWeights(APP, { 'us-west-2': 0, 'us-east-1': 100 });
    await clock.runUntil(200);
    world.setRegionOutage('us-west-2', false);
    await clock.runUntil(400);
    expect(checker.violations).toEqual([]);
  });

  it('reports invariant 1 when every weight of an application becomes zero', async () => {
    const { world, clock, checker } = setup();
    world.changeWeights(APP, { 'us-east-1': 0 });
    await clock.runUntil(100);
    expect(checker.violations.map(formatViolation)).toEqual([
      'invariant 1 at 60 s: every weight of ai-gateway is zero (change C000001SIM); Route 53 now answers with every record',
    ]);
  });

  it('reports invariant 2 when traffic moves to a region whose health check fails, unless forced', async () => {
    const { world, clock, checker } = setup();
    world.setRegionOutage('eu-west-1', true);
    await clock.runUntil(40);
    world.changeWeights(APP, { 'eu-west-1': 50 });
    await clock.runUntil(120);
    expect(checker.violations).toMatchObject([{ invariant: 2, application: APP, at: 100 }]);
    world.changeWeights(APP, { 'eu-west-1': 60 }, { force: true });
    await clock.runUntil(200);
    expect(checker.violations).toHaveLength(1);
  });

  it('reports invariant 3 for a promotion while the source is healthy and writable', async () => {
    const { world, clock, checker } = setup();
    world.promoteDatabase(APP, 'us-west-2', { by: 'automatic' });
    await clock.runUntil(10);
    expect(checker.violations).toMatchObject([
      {
        invariant: 3,
        message: expect.stringContaining('while its source in us-east-1 is healthy and writable'),
      },
    ]);
  });

  it('allows a planned switchover while the source is writable', async () => {
    const { world, clock, checker } = setup();
    world.promoteDatabase(APP, 'us-west-2', { planned: true, by: 'failback-1' });
    await clock.runUntil(10);
    expect(checker.violations).toEqual([]);
  });

  it("reports invariant 3 for an automatic promotion past the lag budget, but not a human's", async () => {
    const { world, clock, checker } = setup();
    world.setRegionOutage('us-east-1', true);
    world.setReplicaLag('us-west-2', 45);
    world.setReplicaLag('eu-west-1', 45);
    world.promoteDatabase(APP, 'us-west-2', { by: 'automatic' });
    world.promoteDatabase(APP, 'eu-west-1', { by: 'human:U0APPROVER' });
    await clock.runUntil(10);
    expect(checker.violations).toMatchObject([
      { invariant: 3, message: expect.stringContaining('45 s of replica lag, past its budget of 30 s') },
    ]);
  });

  it('reports invariant 6 when answers name the old primary after the standby was promoted', async () => {
    const { world, clock, checker } = setup();
    world.setRegionOutage('us-east-1', true);
    // Promoted once Route 53's check (30 s × 3) has dropped the old primary from the answers.
    await clock.runUntil(95);
    world.promoteDatabase(APP, 'us-west-2', { by: 'automatic' });
    await clock.runUntil(150);
    expect(checker.violations).toEqual([]);
    // The old primary comes back with its weight still at 100: no fence, no weight change.
    world.setRegionOutage('us-east-1', false);
    await clock.runUntil(300);
    expect(checker.violations.filter((v) => v.invariant === 6).map((v) => v.message)).toEqual([
      'DNS answers for ai-gateway name us-east-1, the old primary, after its standby was promoted and before any failback',
    ]);
  });

  it('reports invariant 6 when answers name two regions whose databases both accept writes', async () => {
    const { world, clock, checker } = setup([], 'us-west-2');
    world.setRegionOutage('us-west-2', true);
    world.promoteDatabase(APP, 'us-east-1', { by: 'automatic' });
    world.changeWeights(APP, { 'us-west-2': 50, 'us-east-1': 50 });
    await clock.runUntil(100);
    world.setRegionOutage('us-west-2', false);
    await clock.runUntil(300);
    expect(checker.violations.map((v) => v.message)).toContain(
      'DNS answers for ai-gateway name us-west-2 and us-east-1, whose databases all accept writes',
    );
  });

  it('reports invariant 6 when answers name two regions whose members of one store both take writes', async () => {
    const { world, clock, checker } = setup();
    // No AWS API makes two primaries of one Global Datastore; a model error (or a hand edit) could.
    world.stores.store(APP, 'budgets').members.get('us-west-2')!.role = 'primary';
    world.changeWeights(APP, { 'us-east-1': 50, 'us-west-2': 50 });
    await clock.runUntil(300);
    expect(checker.violations.map((v) => v.message)).toContain(
      'DNS answers for ai-gateway name us-east-1 and us-west-2, whose members of the store budgets all accept writes',
    );
  });

  it('reports invariant 3 when an automatic failover promotes a store past the lag budget', async () => {
    const { world, clock, checker } = setup();
    world.stores.setLag('us-west-2', 45);
    await clock.runUntil(60);
    world.setRegionOutage('us-east-1', true);
    world.stores.failover(world.stores.store(APP, 'budgets'), 'us-west-2', {
      planned: false,
      by: 'automatic',
    });
    await clock.runUntil(200);
    expect(checker.violations.map((v) => v.message)).toContain(
      'an automatic failover promoted the store budgets of ai-gateway in us-west-2 with 45 s of replica lag, past its budget of 30 s, without a human',
    );
  });

  it('lets a failback bring traffic back to the old primary', async () => {
    const executions = [execution('failback', 'failback-1', { status: 'RUNNING' })];
    const { world, clock, checker } = setup(executions, 'us-west-2');
    world.setRegionOutage('us-west-2', true);
    await clock.runUntil(40);
    world.promoteDatabase(APP, 'us-east-1', { by: 'automatic' });
    world.changeWeights(APP, { 'us-west-2': 0, 'us-east-1': 100 });
    await clock.runUntil(100);
    world.setRegionOutage('us-west-2', false);
    await clock.runUntil(150);
    world.changeWeights(APP, { 'us-west-2': 100, 'us-east-1': 0 }, { by: 'failback-1' });
    await clock.runUntil(300);
    expect(checker.violations.filter((v) => v.invariant === 6)).toEqual([]);
  });

  it('reports invariant 7 for a Slack action that counted without a valid signature', () => {
    const { world, checker } = setup();
    const decision = {
      approvalId: 'a1',
      user: 'U0APPROVER',
      counted: true,
      signatureValid: true,
      timestampSkewSeconds: 10,
      userAllowed: true,
      duplicate: false,
    };
    world.recordSlackDecision(decision);
    world.recordSlackDecision({ ...decision, counted: false, signatureValid: false });
    world.recordSlackDecision({
      ...decision,
      signatureValid: false,
      timestampSkewSeconds: -400,
      user: 'U0MALLORY1',
      userAllowed: false,
      duplicate: true,
    });
    expect(checker.violations.map((v) => v.message)).toEqual([
      'a Slack action on approval a1 counted although its signature is not valid and its timestamp is -400 s away and U0MALLORY1 is not an approver and a decision had already been counted',
    ]);
  });

  it('reports invariant 4 when two runs act on one application at once', async () => {
    const acting = (from: number) => [
      {
        name: 'ShiftTraffic',
        type: 'Task',
        enteredAt: from,
        exitedAt: from + 60,
        status: 'SUCCEEDED' as const,
      },
    ];
    const executions = [
      execution('failover', 'failover-a', { stoppedAt: 300, states: acting(100) }),
      execution('failback', 'failback-b', { stoppedAt: 500, states: acting(250) }),
      execution('failover', 'failover-c', { stoppedAt: 900, states: acting(600) }),
    ];
    const { checker } = setup(executions);
    for (const e of executions) {
      await ledger.putRun({
        application: APP,
        kind: e.workflow as 'failover',
        executionName: e.name,
        startedAt: new Date(Date.UTC(2030, 0, 1, 0, 0, e.startedAt)).toISOString(),
        status: 'SUCCEEDED',
      });
    }
    await checker.finish(ledger);
    expect(checker.violations.map(formatViolation)).toEqual([
      'invariant 4 at 250 s: failover failover-a and failback failback-b both acted on ai-gateway at once',
    ]);
  });

  it('reports invariant 5 for a run with no ledger record and one that kept its lock', async () => {
    const executions = [
      execution('failover', 'failover-unrecorded', { status: 'FAILED', stoppedAt: 50 }),
      execution('failover', 'failover-locked', { status: 'SUCCEEDED', stoppedAt: 80 }),
      execution('failover', 'failover-running', { status: 'RUNNING' }),
    ];
    const { world, checker } = setup(executions);
    await ledger.putRun({
      application: APP,
      kind: 'failover',
      executionName: 'failover-locked',
      startedAt: world.clock.now().toISOString(),
      status: 'SUCCEEDED',
    });
    await ledger.acquireLock(APP, 'failover-locked', world.clock.now(), 900);
    await checker.finish(ledger);
    expect(checker.violations.map(formatViolation)).toEqual([
      'invariant 5 at 50 s: failover failover-unrecorded ended FAILED with no ledger record',
      'invariant 5 at 80 s: failover failover-locked ended SUCCEEDED still holding the lock of ai-gateway',
    ]);
  });
});
