import { readFileSync } from 'node:fs';
import { loadConfig, parseConfig } from '../../../shared/config/loadConfig.ts';
import { InvalidInputError } from '../../../shared/errors.ts';
import { checkFailbackInput } from '../../../shared/failback/FailbackInput.ts';
import { resumableFailback } from '../../../shared/failback/FailbackSteps.ts';
import { guardedMoveOf } from '../../../shared/failback/guardedMove.ts';
import type { Ledger, RunKind, RunRecord } from '../../../shared/ports/Ledger.ts';
import { EXAMPLE_CONFIG_PATH, exampleConfigDocument } from '../../support/exampleConfig.ts';

const CONFIG = loadConfig(EXAMPLE_CONFIG_PATH);

function problems(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  throw new Error('the input was accepted');
}

describe('the switchover input', () => {
  it('is a guarded move towards a standby, approved on Slack by default', () => {
    const request = checkFailbackInput({ application: 'ai-gateway', targetRegion: 'us-west-2' }, CONFIG, {
      workflow: 'switchover',
      currentPrimary: 'us-east-1',
      region: 'us-west-2',
    });
    expect(request).toMatchObject({
      workflow: 'switchover',
      approval: 'slack',
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      steps: [10, 25, 50, 75, 100],
      firstStepIndex: 0,
    });
  });

  it("takes the approval from the application's switchover.approval; a failback is always approved", () => {
    const doc = exampleConfigDocument();
    (doc.applications[0] as { switchover?: unknown }).switchover = { approval: 'none' };
    const config = parseConfig(doc);
    const input = { application: 'ai-gateway', targetRegion: 'us-west-2' };
    expect(
      checkFailbackInput(input, config, { workflow: 'switchover', currentPrimary: 'us-east-1' }).approval,
    ).toBe('none');
    expect(checkFailbackInput(input, config, { currentPrimary: 'us-east-1' })).toMatchObject({
      workflow: 'failback',
      approval: 'slack',
    });
  });

  it('refuses a bad switchover.approval in the config, naming the field', () => {
    const doc = exampleConfigDocument();
    (doc.applications[0] as { switchover?: unknown }).switchover = { approval: 'maybe' };
    expect(() => parseConfig(doc)).toThrow(
      /applications\[0\]\.switchover\.approval: expected "slack" or "none"/,
    );
  });

  it.each([
    [
      { application: 'ai-gateway', targetRegion: 'us-east-1' },
      'targetRegion: us-east-1 already serves ai-gateway; name the standby to move to (us-west-2, eu-west-1)',
    ],
    [
      { application: 'ai-gateway', targetRegion: 'us-west-2', offerApprovalId: 'abcdefghij' },
      'offerApprovalId',
    ],
    [
      { application: 'ai-gateway', targetRegion: 'eu-west-1' },
      'targetRegion: a switchover runs in the region it moves traffic to; start it from the eu-west-1 console (this is us-west-2)',
    ],
  ])('refuses %j, naming the field', (input, message) => {
    const found = problems(() =>
      checkFailbackInput(input, CONFIG, {
        workflow: 'switchover',
        currentPrimary: 'us-east-1',
        // Run where it was started: the target's console, but for the last case.
        region: input.targetRegion === 'eu-west-1' ? 'us-west-2' : input.targetRegion,
      }),
    );
    expect(found.join('\n')).toContain(message);
  });

  it('refuses an active-active application and points at the drain', () => {
    const config = parseConfig(
      JSON.parse(
        readFileSync(new URL('../../../examples/active-active.config.json', import.meta.url), 'utf8'),
      ),
    );
    const app = config.applications.find((a) => a.activeActive !== undefined)!;
    const found = problems(() =>
      checkFailbackInput({ application: app.name, targetRegion: app.regions[1] }, config, {
        workflow: 'switchover',
        currentPrimary: app.regions[0],
      }),
    );
    expect(found).toEqual([
      expect.stringMatching(/^application: .* is active-active .* Drain the region instead/),
    ]);
  });

  it('knows its kind from the state machine name and from nothing else', () => {
    expect(guardedMoveOf('lifeboat-switchover')).toBe('switchover');
    expect(guardedMoveOf('lifeboat-failback')).toBe('failback');
    expect(guardedMoveOf('lifeboat-failover')).toBeUndefined();
    expect(guardedMoveOf('switchover')).toBeUndefined();
    expect(guardedMoveOf(undefined)).toBeUndefined();
  });
});

describe('finishing a failed guarded move', () => {
  const run = (kind: RunKind, startedAt: string, status: RunRecord['status']): RunRecord => ({
    application: 'ai-gateway',
    kind,
    executionName: `${kind}-${startedAt}`,
    startedAt,
    status,
    details: {
      request: { sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false },
      progress: { switchBegun: false, shiftedPercent: 50 },
    },
  });
  const ledgerOf = (runs: RunRecord[]): Ledger =>
    ({
      listRuns: (_app: string, kind: RunKind) =>
        Promise.resolve(
          runs.filter((r) => r.kind === kind).sort((a, b) => b.startedAt.localeCompare(a.startedAt)),
        ),
    }) as unknown as Ledger;

  it('a failed switchover is finished by the same switchover, and any other guarded move is refused meanwhile', async () => {
    const ledger = ledgerOf([run('switchover', '2030-01-01T01:00:00.000Z', 'FAILED')]);
    const failed = await resumableFailback(ledger, 'ai-gateway');
    expect(failed).toMatchObject({
      workflow: 'switchover',
      executionName: 'switchover-2030-01-01T01:00:00.000Z',
      shiftedPercent: 50,
      switchBegun: false,
    });
    // Half the traffic on us-west-2 (the heavier weight may be either), the writer still in us-east-1.
    const again = checkFailbackInput({ application: 'ai-gateway', targetRegion: 'us-west-2' }, CONFIG, {
      workflow: 'switchover',
      currentPrimary: 'us-west-2',
      resumable: failed,
      targetWeight: 50,
    });
    expect(again).toMatchObject({ sourceRegion: 'us-east-1', firstStepIndex: 2, resumes: failed });
    for (const [workflow, targetRegion] of [
      ['failback', 'us-east-1'],
      ['switchover', 'us-east-1'],
      ['failback', 'us-west-2'],
      ['switchover', 'eu-west-1'],
    ] as const) {
      const found = problems(() =>
        checkFailbackInput({ application: 'ai-gateway', targetRegion }, CONFIG, {
          workflow,
          currentPrimary: 'us-west-2',
          resumable: failed,
        }),
      );
      expect(found).toEqual([
        'targetRegion: the switchover switchover-2030-01-01T01:00:00.000Z of ai-gateway to us-west-2 ended FAILED at its 50 % step towards us-west-2, with the writer still in us-east-1; finish it first: start the switchover to us-west-2 again (lifeboat start switchover --app ai-gateway --to us-west-2), or put the traffic back on us-east-1 by hand (lifeboat weights --app ai-gateway --set us-east-1=100,us-west-2=0)',
      ]);
    }
  });

  it('a stopped or timed-out run is unfinished only if it had moved traffic or fenced for the switch', async () => {
    const stopped = (status: 'ABORTED' | 'TIMED_OUT', progress: object) => ({
      ...run('switchover', '2030-01-01T01:00:00.000Z', status),
      details: {
        request: { sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false },
        progress,
      },
    });
    expect(
      await resumableFailback(
        ledgerOf([stopped('ABORTED', { switchBegun: false, shiftedPercent: 25 })]),
        'ai-gateway',
      ),
    ).toMatchObject({ ended: 'ABORTED', shiftedPercent: 25 });
    expect(
      await resumableFailback(
        ledgerOf([stopped('TIMED_OUT', { switchBegun: true, shiftedPercent: 100 })]),
        'ai-gateway',
      ),
    ).toMatchObject({ ended: 'TIMED_OUT', switchBegun: true });
    // Stopped while it waited for its approval: it moved nothing, and a later start looks past it.
    expect(
      await resumableFailback(
        ledgerOf([stopped('ABORTED', { switchBegun: false, shiftedPercent: 0 })]),
        'ai-gateway',
      ),
    ).toBeUndefined();
  });

  it('a failed failback that a later switchover moved on from is not finished', async () => {
    const ledger = ledgerOf([
      run('failback', '2030-01-01T01:00:00.000Z', 'FAILED'),
      run('switchover', '2030-01-01T02:00:00.000Z', 'SUCCEEDED'),
    ]);
    expect(await resumableFailback(ledger, 'ai-gateway')).toBeUndefined();
  });
});
