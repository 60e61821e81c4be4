import { EmbeddedDynamo } from '../../../local/ledger/EmbeddedDynamo.ts';
import { DynamoLedger } from '../../../shared/aws/DynamoLedger.ts';
import { handleExecutionEnded, IN_FLIGHT_SECONDS } from '../../../shared/ledger/runEnded.ts';
import type { Clock } from '../../../shared/ports/Clock.ts';
import { statusChange } from '../../support/executionEvents.ts';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const STOP = T0 + 600_000;

describe('handleExecutionEnded', () => {
  let dynamo: EmbeddedDynamo;
  let table = 0;
  beforeAll(async () => {
    dynamo = await EmbeddedDynamo.start();
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  /** A fresh table per test, and a clock stopped a second after the execution's stop. */
  async function setup() {
    const name = `ledger-${++table}`;
    await dynamo.createLedgerTable(name);
    const ledger = new DynamoLedger(dynamo.client(), name);
    const clock: Clock = { now: () => new Date(STOP + 1000), sleep: () => Promise.resolve() };
    return { ledger, deps: { ledger, clock } };
  }

  it('records a stopped run that left no record, and cuts the lease of the lock it holds', async () => {
    const { ledger, deps } = await setup();
    await ledger.acquireLock('ai-gateway', 'manual-1', new Date(T0), 3 * 3600);
    const outcome = await handleExecutionEnded(statusChange(), deps);
    expect(outcome).toEqual({ action: 'recorded', status: 'ABORTED', lock: 'shortened' });
    expect(await ledger.listRuns('ai-gateway', 'failover', 10)).toEqual([
      {
        application: 'ai-gateway',
        kind: 'failover',
        executionName: 'manual-1',
        startedAt: '2026-11-22T10:00:00.000Z',
        endedAt: '2026-11-22T10:10:00.000Z',
        status: 'ABORTED',
        reason: 'the execution was stopped (StopExecution) before it could record its end',
        details: { recordedBy: 'execution status change' },
      },
    ]);
    expect((await ledger.getLock('ai-gateway'))?.leaseExpiresAt).toBe(
      new Date(STOP + 1000 + IN_FLIGHT_SECONDS * 1000).toISOString(),
    );
    // A second delivery of the event changes nothing.
    expect(await handleExecutionEnded(statusChange(), deps)).toEqual({
      action: 'ignored',
      reason: 'manual-1 already recorded ABORTED',
    });
  });

  it('replaces the RUNNING record a waiting run wrote, keeping its key, and records the error of a timeout', async () => {
    const { ledger, deps } = await setup();
    await ledger.putRun({
      application: 'ai-gateway',
      kind: 'failback',
      executionName: 'manual-1',
      startedAt: '2026-11-22T10:00:01.500Z',
      status: 'RUNNING',
      reason: 'waiting for Slack',
      details: { request: { targetRegion: 'us-east-1' } },
    });
    const outcome = await handleExecutionEnded(
      statusChange({
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:lifeboat-failback',
        status: 'TIMED_OUT',
        error: 'States.Timeout',
        cause: 'the execution timed out',
      }),
      deps,
    );
    expect(outcome).toEqual({ action: 'recorded', status: 'TIMED_OUT', lock: 'not held' });
    expect(await ledger.listRuns('ai-gateway', 'failback', 10)).toEqual([
      expect.objectContaining({
        startedAt: '2026-11-22T10:00:01.500Z',
        status: 'TIMED_OUT',
        error: { name: 'States.Timeout', cause: 'the execution timed out' },
        details: { request: { targetRegion: 'us-east-1' }, recordedBy: 'execution status change' },
      }),
    ]);
  });

  it('leaves a record the workflow wrote itself, and the lock, as they are', async () => {
    const { ledger, deps } = await setup();
    const recorded = {
      application: 'ai-gateway',
      kind: 'failover' as const,
      executionName: 'manual-1',
      startedAt: '2026-11-22T10:00:00.200Z',
      endedAt: '2026-11-22T10:09:59.000Z',
      status: 'FAILED' as const,
      reason: 'the failover stopped at an error',
    };
    await ledger.putRun(recorded);
    await ledger.acquireLock('ai-gateway', 'manual-1', new Date(T0), 3 * 3600);
    const before = await ledger.getLock('ai-gateway');
    expect(await handleExecutionEnded(statusChange({ status: 'FAILED' }), deps)).toEqual({
      action: 'ignored',
      reason: 'manual-1 already recorded FAILED',
    });
    expect(await ledger.listRuns('ai-gateway', 'failover', 10)).toEqual([recorded]);
    expect(await ledger.getLock('ai-gateway')).toEqual(before);
  });

  it('does not touch a lock another run holds', async () => {
    const { ledger, deps } = await setup();
    await ledger.acquireLock('ai-gateway', 'manual-2', new Date(STOP), 3 * 3600);
    const before = await ledger.getLock('ai-gateway');
    expect(await handleExecutionEnded(statusChange(), deps)).toMatchObject({ lock: 'not held' });
    expect(await ledger.getLock('ai-gateway')).toEqual(before);
  });

  it('records a scheduled workflow without looking at locks, and a run whose input was not JSON as unknown', async () => {
    const { ledger, deps } = await setup();
    expect(
      await handleExecutionEnded(
        statusChange({
          stateMachineArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:lifeboat-backup',
          input: '{not json',
        }),
        deps,
      ),
    ).toEqual({ action: 'recorded', status: 'ABORTED', lock: 'none' });
    expect(await ledger.listRuns('unknown', 'backup', 10)).toHaveLength(1);
  });

  /** A notifier that keeps what it was asked to post. */
  function notifier(fail?: Error) {
    const posts: { text: string; thread: unknown }[] = [];
    return {
      posts,
      post: (text: string, _blocks?: readonly unknown[], thread?: unknown) => {
        if (fail !== undefined) return Promise.reject(fail);
        posts.push({ text, thread });
        return Promise.resolve(`${posts.length}.000`);
      },
      update: () => Promise.resolve(),
      postEphemeral: () => Promise.resolve(),
    };
  }

  /** The failover's state document as it left PromoteDatabase (inside Recover). */
  const PROMOTING = {
    request: { application: 'ai-gateway', sourceRegion: 'us-east-1', targetRegion: 'us-west-2' },
    thread: { ts: '1764000000.000100' },
    fence: { fenced: ['us-east-1', 'eu-west-1'], unfenced: ['us-west-2'], unreachable: [] },
    promotion: { status: 'modifying', lagSeconds: 3 },
  };

  it("says what a stopped failover had changed, in the ledger and in the run's Slack thread", async () => {
    const { ledger, deps } = await setup();
    const slack = notifier();
    const asked: string[] = [];
    const outcome = await handleExecutionEnded(
      statusChange({ error: 'StoppedByOperator', cause: 'stopped by ana: wrong region' }),
      {
        ...deps,
        notifier: slack,
        history: (arn) => {
          asked.push(arn);
          return Promise.resolve({
            lastEntered: 'WaitForDatabase',
            outputs: [
              { state: 'PromoteDatabase', output: PROMOTING },
              { state: 'FenceSource', output: { ...PROMOTING, promotion: undefined } },
              { state: 'Weird', output: 'not a document' },
            ],
          });
        },
      },
    );
    expect(asked).toEqual(['arn:aws:states:us-west-2:123456789012:execution:lifeboat-failover:manual-1']);
    expect(outcome).toEqual({ action: 'recorded', status: 'ABORTED', lock: 'not held', slack: 'posted' });
    const [record] = await ledger.listRuns('ai-gateway', 'failover', 10);
    expect(record?.details).toEqual({
      recordedBy: 'execution status change',
      stoppedIn: 'WaitForDatabase',
      changes: {
        made: [
          'fenced the record of us-east-1, eu-west-1 (out of DNS answers)',
          'began promoting the database in us-west-2 and scaling its workloads; either may have finished (a promotion cannot be undone)',
        ],
        notMade: ['the Route 53 weights still on us-east-1'],
      },
    });
    expect(slack.posts).toHaveLength(1);
    expect(slack.posts[0]?.thread).toEqual({ ts: '1764000000.000100', broadcast: true });
    expect(slack.posts[0]?.text.split('\n')).toEqual([
      '*Lifeboat failover of ai-gateway to us-west-2 STOPPED* (`manual-1`) in WaitForDatabase: StoppedByOperator: stopped by ana: wrong region',
      '*Changed before it stopped:*',
      '• fenced the record of us-east-1, eu-west-1 (out of DNS answers)',
      '• began promoting the database in us-west-2 and scaling its workloads; either may have finished (a promotion cannot be undone)',
      '*Not changed:*',
      '• the Route 53 weights still on us-east-1',
      expect.stringMatching(
        /^\*Next:\* `lifeboat status --app ai-gateway` to see where it stands \(the fences, the writer, the weights\); to finish it, `lifeboat start failover --app ai-gateway --to us-west-2 --reason "\.\.\."` redoes only what is missing/,
      ),
    ]);
    // A second delivery finds the record: nothing more is written or said.
    expect((await handleExecutionEnded(statusChange(), { ...deps, notifier: slack })).action).toBe('ignored');
    expect(slack.posts).toHaveLength(1);
  });

  it('records a stopped switchover under its own kind, cuts its lock and says how to finish it', async () => {
    const { ledger, deps } = await setup();
    await ledger.acquireLock('ai-gateway', 'switchover-1', new Date(T0), 3 * 3600);
    const slack = notifier();
    const outcome = await handleExecutionEnded(
      statusChange({
        executionArn: 'arn:aws:states:us-west-2:123456789012:execution:lifeboat-switchover:switchover-1',
        stateMachineArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:lifeboat-switchover',
        name: 'switchover-1',
        input: JSON.stringify({ application: 'ai-gateway', targetRegion: 'us-west-2' }),
      }),
      {
        ...deps,
        notifier: slack,
        history: () =>
          Promise.resolve({
            lastEntered: 'Bake',
            outputs: [
              {
                state: 'ShiftStep',
                output: {
                  request: {
                    workflow: 'switchover',
                    application: 'ai-gateway',
                    sourceRegion: 'us-east-1',
                    targetRegion: 'us-west-2',
                  },
                  deployments: {},
                  step: { percent: 25 },
                },
              },
            ],
          }),
      },
    );
    expect(outcome).toEqual({ action: 'recorded', status: 'ABORTED', lock: 'shortened', slack: 'posted' });
    expect(await ledger.listRuns('ai-gateway', 'failback', 10)).toEqual([]);
    const [record] = await ledger.listRuns('ai-gateway', 'switchover', 10);
    expect(record).toMatchObject({ kind: 'switchover', status: 'ABORTED', details: { stoppedIn: 'Bake' } });
    expect(record?.details?.changes).toMatchObject({
      made: expect.arrayContaining(['moved 25 % of the traffic to us-west-2']) as unknown,
    });
    expect(slack.posts[0]?.text).toContain('*Lifeboat switchover of ai-gateway to us-west-2 STOPPED*');
    expect(slack.posts[0]?.text).toContain('`lifeboat start switchover --app ai-gateway --to us-west-2');
  });

  it('says what a timed-out drain had changed (the regions it scaled, the weights it left) and cuts its lock', async () => {
    const { ledger, deps } = await setup();
    await ledger.acquireLock('inference-api', 'drain-1', new Date(T0), 3 * 3600);
    const slack = notifier();
    const drainArn = 'arn:aws:states:us-west-2:123456789012:execution:lifeboat-drain:drain-1';
    const outcome = await handleExecutionEnded(
      statusChange({
        executionArn: drainArn,
        stateMachineArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:lifeboat-drain',
        name: 'drain-1',
        status: 'TIMED_OUT',
        input: JSON.stringify({ application: 'inference-api', region: 'us-east-1' }),
      }),
      {
        ...deps,
        notifier: slack,
        history: () =>
          Promise.resolve({
            lastEntered: 'WaitForStepInSync',
            outputs: [
              {
                state: 'DrainStep',
                output: {
                  request: { application: 'inference-api', action: 'drain', region: 'us-east-1' },
                  scaled: { scaled: { 'us-west-2': { 'inference/api': 10 } } },
                  step: { weights: { 'us-east-1': 20, 'us-west-2': 40, 'eu-west-1': 20 } },
                },
              },
            ],
          }),
      },
    );
    expect(outcome).toEqual({ action: 'recorded', status: 'TIMED_OUT', lock: 'shortened', slack: 'posted' });
    const [record] = await ledger.listRuns('inference-api', 'drain', 10);
    expect(record?.details).toEqual({
      recordedBy: 'execution status change',
      stoppedIn: 'WaitForStepInSync',
      changes: [
        'us-west-2 scaled (inference/api 10)',
        'weights left at us-east-1 20, us-west-2 40, eu-west-1 20',
      ],
    });
    expect(slack.posts[0]?.text).toBe(
      'Lifeboat drain run drain-1 of inference-api TIMED OUT in WaitForStepInSync before it recorded its end. It had changed: us-west-2 scaled (inference/api 10); weights left at us-east-1 20, us-west-2 40, eu-west-1 20. Start the drain or the undrain again from the weights in force.',
    );
  });

  it('says it could not read what changed when the history does not answer, and still records the end', async () => {
    const { ledger, deps } = await setup();
    const slack = notifier();
    const denied = new Error('not authorized to perform: states:GetExecutionHistory');
    denied.name = 'AccessDeniedException';
    const outcome = await handleExecutionEnded(
      statusChange({ status: 'TIMED_OUT', error: 'States.Timeout' }),
      {
        ...deps,
        notifier: slack,
        history: () => Promise.reject(denied),
      },
    );
    expect(outcome).toMatchObject({ action: 'recorded', status: 'TIMED_OUT', slack: 'posted' });
    const [record] = await ledger.listRuns('ai-gateway', 'failover', 10);
    expect(record?.details).toEqual({
      recordedBy: 'execution status change',
      changesUnread: 'AccessDeniedException: not authorized to perform: states:GetExecutionHistory',
    });
    // No thread is known: the message stands in the channel, and names the target from the input.
    expect(slack.posts[0]?.thread).toBeUndefined();
    expect(slack.posts[0]?.text.split('\n').slice(0, 2)).toEqual([
      expect.stringMatching(
        /^\*Lifeboat failover of ai-gateway to us-west-2 TIMED OUT\* \(`manual-1`\): States\.Timeout: /,
      ),
      '*What it changed before it stopped could not be read* (AccessDeniedException: not authorized to perform: states:GetExecutionHistory).',
    ]);
  });

  it('keeps the record when Slack does not answer, and says the message was not posted', async () => {
    const { ledger, deps } = await setup();
    const outcome = await handleExecutionEnded(statusChange(), {
      ...deps,
      notifier: notifier(new Error('service_unavailable')),
      history: () => Promise.resolve({ outputs: [] }),
    });
    expect(outcome).toMatchObject({ action: 'recorded', slack: 'not posted: service_unavailable' });
    expect(await ledger.listRuns('ai-gateway', 'failover', 10)).toHaveLength(1);
  });

  it('says nothing on Slack for a scheduled workflow (the backup has its own record and alarms)', async () => {
    const { deps } = await setup();
    const slack = notifier();
    const outcome = await handleExecutionEnded(
      statusChange({ stateMachineArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:lifeboat-backup' }),
      { ...deps, notifier: slack, history: () => Promise.reject(new Error('not asked')) },
    );
    expect(outcome).toEqual({ action: 'recorded', status: 'ABORTED', lock: 'none' });
    expect(slack.posts).toEqual([]);
  });

  it.each([
    ['a run that succeeded', statusChange({ status: 'SUCCEEDED' }), /manual-1 is SUCCEEDED/],
    [
      'another state machine',
      statusChange({ stateMachineArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:orders' }),
      /is not a Lifeboat workflow/,
    ],
    [
      'another source',
      statusChange({}, { source: 'aws.cloudwatch' }),
      /not a Step Functions status change: source/,
    ],
    [
      'no detail',
      { source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change' },
      /detail/,
    ],
    ['no execution name', statusChange({ name: '' }), /detail\.name/],
    ['a start date that is text', statusChange({ startDate: 'yesterday' }), /detail\.startDate/],
  ])('ignores %s, naming why, and writes nothing', async (_label, event, reason) => {
    const { ledger, deps } = await setup();
    const outcome = await handleExecutionEnded(event, deps);
    expect(outcome).toEqual({ action: 'ignored', reason: expect.stringMatching(reason) });
    expect(await ledger.listRuns('ai-gateway', 'failover', 10)).toEqual([]);
  });
});
