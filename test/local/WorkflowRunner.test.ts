import { VirtualClock } from '../../local/clock/VirtualClock.ts';
import { loadDefinition } from '../../local/runner/loadDefinition.ts';
import { functionNameOf, WorkflowRunner, type LocalFunction } from '../../local/runner/WorkflowRunner.ts';
import { latencyModel } from '../../local/world/LatencyModel.ts';
import { fixturePath } from '../support/fixtures.ts';

const arn = (name: string) => `arn:aws:lambda:us-west-2:123456789012:function:${name}`;
// No invocation overhead, so the assertions read as the definitions' own times.
const latency = latencyModel({
  lambdaColdStartSeconds: 0,
  lambdaWarmStartSeconds: 0,
  stepFunctionsTransitionSeconds: 0,
});

const runners: WorkflowRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.shutdown()));
});

function setup(
  functions: Record<string, LocalFunction> | ((clock: VirtualClock) => Record<string, LocalFunction>),
) {
  const clock = new VirtualClock();
  const runner = new WorkflowRunner(
    clock,
    latency,
    typeof functions === 'function' ? functions(clock) : functions,
  );
  runners.push(runner);
  runner.register(
    loadDefinition('shapes', fixturePath('statemachines/shapes.asl.json'), { SlowFunctionArn: arn('slow') }),
  );
  runner.register(
    loadDefinition('retry-catch', fixturePath('statemachines/retry-catch.asl.json'), {
      FlakyFunctionArn: arn('flaky'),
    }),
  );
  runner.register(
    loadDefinition('approval', fixturePath('statemachines/approval.asl.json'), {
      AskFunctionArn: arn('ask'),
    }),
  );
  return { clock, runner };
}

describe('WorkflowRunner', () => {
  const slow =
    (clock: VirtualClock): LocalFunction =>
    async (payload) => {
      const { seconds, tag } = payload as { seconds: number; tag: unknown };
      await clock.sleep(seconds);
      return { tag, at: clock.seconds };
    };

  it('runs Parallel branches side by side, then Choice, Map with its concurrency, and a Wait in virtual time', async () => {
    const { clock, runner } = setup((c) => ({ slow: slow(c) }));
    const started = performance.now();
    const run = runner.start('shapes', { count: 3, items: ['a', 'b', 'c'], pause: 3600 });
    await clock.runUntil(Number.POSITIVE_INFINITY);
    expect(run.status).toBe('SUCCEEDED');
    const at = (name: string, index?: number) =>
      run.states.find((s) => s.name === name && s.index === index)!;
    expect([at('Left').exitedAt, at('Right').exitedAt]).toEqual([30, 90]);
    expect(at('Both').exitedAt).toBe(90);
    // Three items, two at a time, ten seconds each.
    expect([at('Item', 0).exitedAt, at('Item', 1).exitedAt, at('Item', 2).exitedAt]).toEqual([100, 100, 110]);
    expect(at('Pause')).toMatchObject({ type: 'Wait', enteredAt: 110, exitedAt: 3710 });
    expect(run.stoppedAt).toBe(3710);
    expect(run.output).toMatchObject({
      branches: [
        { tag: 'left', at: 30 },
        { tag: 'right', at: 90 },
      ],
      mapped: [{ tag: 'a' }, { tag: 'b' }, { tag: 'c' }],
    });
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('takes the Choice default when no rule matches', async () => {
    const { clock, runner } = setup((c) => ({ slow: slow(c) }));
    const run = runner.start('shapes', { count: 1, items: [], pause: 0 });
    await clock.runUntil(Number.POSITIVE_INFINITY);
    expect(run.states.map((s) => s.name)).toEqual([
      'Both',
      'Left',
      'Right',
      'HowMany',
      'Few',
      'Pause',
      'Done',
    ]);
  });

  it('retries by error name with exponential back-off in virtual time, then succeeds', async () => {
    let calls = 0;
    const times: number[] = [];
    const { clock, runner } = setup({
      flaky: () => {
        times.push(clock.seconds);
        if (++calls <= 3)
          return Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
        return Promise.resolve('ok');
      },
    });
    const run = runner.start('retry-catch', {});
    await clock.runUntil(Number.POSITIVE_INFINITY);
    expect(run.status).toBe('SUCCEEDED');
    expect(times).toEqual([0, 2, 6, 14]);
    expect(run.states.filter((s) => s.name === 'Flaky').map((s) => s.status)).toEqual([
      'RETRIED',
      'RETRIED',
      'RETRIED',
      'SUCCEEDED',
    ]);
  });

  it("catches the error once retries run out and fails the execution with the Fail state's error", async () => {
    const { clock, runner } = setup({
      flaky: () => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })),
    });
    const run = runner.start('retry-catch', {});
    await clock.runUntil(Number.POSITIVE_INFINITY);
    expect(run).toMatchObject({
      status: 'FAILED',
      error: 'FlakyFailed',
      cause: 'the flaky step gave up',
      stoppedAt: 14,
    });
    expect(run.states.find((s) => s.name === 'Recover')).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('does not retry an error no retrier names, and passes the function error as Step Functions would', async () => {
    const { clock, runner } = setup({
      flaky: () =>
        Promise.reject(Object.assign(new Error('no such instance'), { name: 'DBInstanceNotFoundFault' })),
    });
    runner.register(
      loadDefinition('retry-catch-2', fixturePath('statemachines/retry-catch.asl.json'), {
        FlakyFunctionArn: arn('flaky'),
      }),
    );
    const run = runner.start('retry-catch', { id: 1 });
    await clock.runUntil(Number.POSITIVE_INFINITY);
    expect(run.states.filter((s) => s.name === 'Flaky')).toHaveLength(1);
    expect(run.stoppedAt).toBe(0);
    expect(run.output).toBeNull();
    const recover = run.states.find((s) => s.name === 'Recover');
    expect(recover?.status).toBe('SUCCEEDED');
  });

  it('completes a waitForTaskToken task when its token is sent, and fails it by the error sent', async () => {
    const asked: { token: string; question: string }[] = [];
    const { clock, runner } = setup({
      ask: (payload) => {
        asked.push(payload as { token: string; question: string });
        return Promise.resolve(null);
      },
    });
    const yes = runner.start('approval', { question: 'fail back?' }, 'yes');
    const no = runner.start('approval', { question: 'fail over?' }, 'no');
    await clock.runUntil(600);
    expect(asked).toHaveLength(2);
    expect(asked[0]!.token).not.toBe(asked[1]!.token);
    expect(
      runner
        .waitingTasks()
        .map((t) => t.executionName)
        .sort(),
    ).toEqual(['no', 'yes']);
    runner.sendTaskSuccess(asked[0]!.token, { approvedBy: 'U0APPROVER' });
    runner.sendTaskFailure(asked[1]!.token, 'Rejected', 'U0APPROVER pressed Reject');
    await clock.runUntil(Number.POSITIVE_INFINITY);
    expect(yes).toMatchObject({
      status: 'SUCCEEDED',
      stoppedAt: 600,
      output: { answer: { approvedBy: 'U0APPROVER' } },
    });
    expect(no).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected' });
    expect(() => {
      runner.sendTaskSuccess(asked[0]!.token, {});
    }).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }));
  });

  it('times a waiting task out in virtual time', async () => {
    const { clock, runner } = setup({ ask: () => Promise.resolve(null) });
    const run = runner.start('approval', { question: 'anyone?' });
    const started = performance.now();
    await clock.runUntil(Number.POSITIVE_INFINITY);
    expect(run).toMatchObject({ status: 'FAILED', error: 'ApprovalTimedOut', stoppedAt: 3600 });
    expect(runner.waitingTasks()).toEqual([]);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('returns the running execution for a repeated name and input, and refuses the name with another input', () => {
    const { runner } = setup({ ask: () => Promise.resolve(null) });
    const first = runner.start('approval', { question: 'q' }, 'incident-42');
    expect(runner.start('approval', { question: 'q' }, 'incident-42')).toBe(first);
    expect(() => runner.start('approval', { question: 'other' }, 'incident-42')).toThrow(
      expect.objectContaining({ name: 'ExecutionAlreadyExists' }),
    );
    expect(() => runner.start('nope', {})).toThrow(
      expect.objectContaining({ name: 'StateMachineDoesNotExist' }),
    );
  });

  it('fails the task with Lambda.ResourceNotFoundException when no local function is bound', async () => {
    const { clock, runner } = setup({});
    const run = runner.start('retry-catch', {});
    await clock.runUntil(Number.POSITIVE_INFINITY);
    expect(run.states.find((s) => s.name === 'Flaky')).toMatchObject({ status: 'CAUGHT' });
    expect(run.error).toBe('FlakyFailed');
  });

  it('stops an execution when asked', async () => {
    const { clock, runner } = setup({ ask: () => Promise.resolve(null) });
    const run = runner.start('approval', { question: 'q' });
    await clock.runUntil(10);
    runner.stop(run.name);
    await clock.runUntil(20);
    expect(run.status).toBe('ABORTED');
  });
});

describe('loadDefinition', () => {
  it('refuses a definition whose placeholder has no local binding', () => {
    expect(() => loadDefinition('shapes', fixturePath('statemachines/shapes.asl.json'), {})).toThrow(
      /uses \$\{SlowFunctionArn\} but substitutions has no value/,
    );
  });

  it('rewrites each Wait into a Task on the virtual clock and keeps its type for reports', () => {
    const loaded = loadDefinition('shapes', fixturePath('statemachines/shapes.asl.json'), {
      SlowFunctionArn: arn('slow'),
    });
    expect(loaded.states.get('Pause')).toEqual({ kind: 'wait', secondsPath: '$.pause' });
    expect((loaded.definition.States.Pause as { Type: string }).Type).toBe('Task');
    expect(loaded.states.get('Item')).toMatchObject({
      kind: 'task',
      resource: 'arn:aws:states:::lambda:invoke',
    });
  });
});

describe('functionNameOf', () => {
  it.each([
    ['arn:aws:lambda:us-east-1:123456789012:function:lifeboat-trigger', 'lifeboat-trigger'],
    ['arn:aws:lambda:us-east-1:123456789012:function:lifeboat-trigger:live', 'lifeboat-trigger'],
    ['lifeboat-trigger', 'lifeboat-trigger'],
  ])('reads %s as %s', (reference, name) => {
    expect(functionNameOf(reference)).toBe(name);
  });
});
