import type { Report, ReportExecution } from '../../local/report/Report.ts';
import { dnsChanges, ledgerOf, promotions, rehearse, stateNames } from '../support/scenario.ts';

const OUTAGE = { at: 0, fault: 'region-outage', region: 'us-east-1' };
const RECOVERY = { at: 1800, recover: 'region-outage', region: 'us-east-1' };
/** A console start of the failback, once the automatic failover has finished and us-east-1 is back. */
const START = {
  at: 2400,
  start: 'failback',
  input: { application: 'ai-gateway', targetRegion: 'us-east-1' },
};

function failbacks(report: Report): ReportExecution[] {
  return report.executions.filter((e) => e.workflow === 'failback');
}

/** The weights of every change of ai-gateway's records, as `us-east-1=…` of each. */
function eastWeights(report: Report): number[] {
  return dnsChanges(report).map((text) => Number(/us-east-1=(\d+)/.exec(text)?.[1]));
}

describe('failback workflow (real ASL on the local runtime)', () => {
  it('on the approved offer, rebuilds the replica, shifts traffic back step by step and switches the writer without loss', async () => {
    const report = await rehearse({
      events: [OUTAGE, RECOVERY, { at: 4000, approve: 'failback', by: 'U0APPROVER' }],
      until: 9600,
    });
    expect(report.violations).toEqual([]);
    const [run, ...others] = failbacks(report);
    expect(others).toEqual([]);
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      name: expect.stringMatching(/^failback-ai-gateway-[a-z0-9]{10}$/),
    });
    // Nothing moved before the approval.
    expect(run!.startedAt).toBeGreaterThanOrEqual(4000);
    // The offer stood for the approval: no second question.
    expect(stateNames(run!)).toContain('ClaimOffer');
    expect(stateNames(run!)).not.toContain('RequestApproval');
    // The old primary's instance was renamed and kept, and a replica of the writer built in its place.
    const database = report.timeline.filter((e) => e.kind === 'database' && e.application === 'ai-gateway');
    expect(database.map((e) => e.text)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^ai-gateway-db-use1 \(writer\) renamed to ai-gateway-db-use1-pre-failback-\d{12} and kept$/,
        ),
        'read replica ai-gateway-db-use1 of ai-gateway-db-usw2 (us-west-2) being created',
        expect.stringMatching(/^read replica ai-gateway-db-use1 is available \(lag \d+ s, catching up\)$/),
        'read replica ai-gateway-db-use1 caught up',
      ]),
    );
    // The failover's change, then every configured step, never all zero.
    expect(eastWeights(report)).toEqual([0, 10, 25, 50, 75, 100]);
    const shifts = run!.states.filter((s) => s.name === 'ShiftStep');
    const bakes = run!.states.filter((s) => s.name === 'Bake');
    expect(shifts).toHaveLength(5);
    expect(bakes.map((b) => Math.round(b.exitedAt! - b.enteredAt))).toEqual([300, 300, 300, 300, 300]);
    // Traffic moves only once the rebuilt replica has caught up with the writer.
    const caughtUp = database.find((e) => e.text === 'read replica ai-gateway-db-use1 caught up')!;
    expect(shifts[0]!.enteredAt).toBeGreaterThan(caughtUp.at);
    // The writer moved back only once every answer named us-east-1, with nothing lost (planned).
    const switched = report.timeline.find(
      (e) => e.application === 'ai-gateway' && e.text.startsWith('promotion of ai-gateway-db-use1'),
    )!;
    expect(switched.at).toBeGreaterThan(shifts[4]!.exitedAt!);
    expect(report.writers.filter((w) => w.application === 'ai-gateway').at(-1)?.regions).toContain(
      'us-east-1',
    );
    const record = ledgerOf(report, run!.name) as {
      status: string;
      details: { shift: { percent: number; ok: boolean }[] };
    };
    expect(record.status).toBe('SUCCEEDED');
    expect(record.details.shift.map((s) => [s.percent, s.ok])).toEqual([
      [10, true],
      [25, true],
      [50, true],
      [75, true],
      [100, true],
    ]);
    // The primary serves again: all answers, the database writer, us-west-2 back to its standby sizes.
    expect(report.world.regions['us-east-1']).toMatchObject({ dnsWeight: 100 });
    expect(report.world.regions['us-west-2']?.workloads).toMatchObject({
      'ai-gateway/litellm': 2,
      'ai-gateway/agentgateway': 1,
    });
    expect(report.dns.filter((d) => d.application === 'ai-gateway').at(-1)?.answers).toEqual(['us-east-1']);
  });

  it('started from the console, asks on Slack and moves nothing on Reject', async () => {
    const report = await rehearse({
      // The approval is asked for once the rebuilt replica has caught up (about 3,910 s).
      events: [OUTAGE, RECOVERY, START, { at: 4100, reject: 'failback', by: 'U0ONCALL01' }],
      until: 4700,
    });
    const [run] = failbacks(report);
    expect(run?.status).toBe('ABORTED');
    expect(stateNames(run!)).toContain('RequestApproval');
    // Only the failover's change; no step, no promotion of us-east-1.
    expect(eastWeights(report)).toEqual([0]);
    expect(promotions(report).filter((p) => p.includes('use1'))).toEqual([]);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'REJECTED',
      reason: expect.stringContaining('U0ONCALL01'),
    });
    expect(report.slack.some((m) => m.text.includes('Rejected by <@U0ONCALL01>'))).toBe(true);
    expect(report.violations).toEqual([]);
  });

  it('ends TIMED_OUT when nobody decides, moving nothing, and the message says it timed out', async () => {
    const report = await rehearse({ events: [OUTAGE, RECOVERY, START], until: 8000 });
    const [run] = failbacks(report);
    expect(run?.status).toBe('ABORTED');
    expect(eastWeights(report)).toEqual([0]);
    expect(ledgerOf(report, run!.name)).toMatchObject({ status: 'TIMED_OUT' });
    expect(
      report.slack.some((m) => m.text.includes('Timed out: nobody approved within 3600 s; nothing moved.')),
    ).toBe(true);
    expect(report.violations).toEqual([]);
  });

  it('rolls back to the last good weights when the guard sees errors at 25 %, records it and releases the lock', async () => {
    const report = await rehearse({
      events: [OUTAGE, RECOVERY, { at: 4000, approve: 'failback', by: 'U0APPROVER' }],
      until: 8000,
      setup: (context) => {
        // The returning region starts failing requests once it takes a quarter of the traffic.
        context.world.onChange((change) => {
          if (change.type === 'weights' && change.after['us-east-1'] === 25)
            context.world.setErrorRate('us-east-1', 6);
        });
      },
    });
    expect(report.violations).toEqual([]);
    const [run] = failbacks(report);
    expect(run?.status).toBe('ABORTED');
    expect(eastWeights(report)).toEqual([0, 10, 25, 10]);
    const record = ledgerOf(report, run!.name) as {
      status: string;
      reason: string;
      details: { rollback: { weights: Record<string, number> } };
    };
    expect(record.status).toBe('ROLLED_BACK');
    expect(record.reason).toMatch(/guard breached at 25 %: 25 %: error rate 6\.00 % > 1 %/);
    expect(record.details.rollback.weights).toEqual({ 'us-east-1': 10, 'us-west-2': 90 });
    // The writer stayed in us-west-2.
    expect(promotions(report).filter((p) => p.includes('use1'))).toEqual([]);
    expect(report.slack.some((m) => m.text.includes('ROLLED BACK'))).toBe(true);
  });

  it('waits for Slack while it is down, says so in the ledger, and asks once it is back', async () => {
    const report = await rehearse({
      events: [
        OUTAGE,
        RECOVERY,
        { at: 2300, fault: 'slack-down' },
        START,
        { at: 5000, recover: 'slack-down' },
        { at: 5200, approve: 'failback', by: 'U0APPROVER' },
      ],
      until: 5300,
    });
    const [run] = failbacks(report);
    const asks = run!.states.filter((s) => s.name === 'RequestApproval');
    expect(asks.filter((s) => s.status === 'RETRIED').length).toBeGreaterThan(10);
    const ask = report.timeline.find(
      (e) => e.kind === 'slack' && e.text.startsWith('Slack: Fail back ai-gateway'),
    );
    expect(ask?.at).toBeGreaterThanOrEqual(5000);
    expect(run!.states.some((s) => s.name === 'RenewLock')).toBe(true);
    // While it waited, the ledger said why (the run is still going at the end: this is that record).
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'RUNNING',
      reason: expect.stringContaining('waiting for Slack to take the approval request'),
    });
    expect(report.violations).toEqual([]);
  });

  it('ends FAILED without moving anything when Slack is down and the config says not to wait', async () => {
    const report = await rehearse({
      events: [OUTAGE, RECOVERY, { at: 2300, fault: 'slack-down' }, START],
      until: 5000,
      config: (doc) => {
        (doc.slack as Record<string, unknown>).whenSlackIsDown = 'fail';
      },
    });
    const [run] = failbacks(report);
    expect(run?.status).toBe('FAILED');
    expect(eastWeights(report)).toEqual([0]);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'FAILED',
      error: {
        name: 'ApprovalNotPosted',
        cause: expect.stringContaining('Slack did not take the approval request'),
      },
      // What it had changed before it stopped, for whoever finishes or undoes it.
      details: {
        changes: {
          made: ["made us-east-1's database a replica of us-west-2's"],
          notMade: [
            'the Route 53 weights still on us-west-2',
            "the writer still us-west-2's database",
            "us-west-2's workloads still at active size",
          ],
        },
      },
    });
    expect(report.violations).toEqual([]);
  });

  it('on a dry run, checks and plans and changes nothing', async () => {
    const report = await rehearse({
      events: [
        OUTAGE,
        RECOVERY,
        {
          at: 2400,
          start: 'failback',
          input: { application: 'ai-gateway', targetRegion: 'us-east-1', dryRun: true },
        },
      ],
      until: 2600,
    });
    const [run] = failbacks(report);
    expect(run?.status).toBe('SUCCEEDED');
    expect(stateNames(run!)).toContain('Planned');
    // The failover before it made eu-west-1 follow us-west-2; the dry run renames nothing.
    expect(report.timeline.some((e) => e.text.includes('-pre-failback-'))).toBe(false);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'SUCCEEDED',
      reason: expect.stringContaining('dry run'),
    });
  });

  it.each([
    [{ application: 'ai-gateway' }, 'targetRegion: required'],
    [
      { application: 'ai-gateway', targetRegion: 'us-west-2' },
      'targetRegion: us-west-2 already serves ai-gateway',
    ],
    [
      { application: 'ai-gateway', targetRegion: 'us-east-1', offerApprovalId: 'nope' },
      'offerApprovalId: expected the 10-character id',
    ],
    [{ application: 'nothing', targetRegion: 'us-east-1' }, 'application: no application named'],
  ])('refuses console input %j at once, naming the field, changing nothing', async (input, message) => {
    const report = await rehearse({
      events: [OUTAGE, RECOVERY, { at: 2400, start: 'failback', input }],
      until: 2500,
    });
    const [run] = failbacks(report);
    expect(run).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(run!.cause).toContain(message);
    expect(eastWeights(report)).toEqual([0]);
  });

  it('refuses an offer id that was never approved, after taking the lock, and releases it', async () => {
    const report = await rehearse({
      events: [
        OUTAGE,
        RECOVERY,
        {
          at: 2400,
          start: 'failback',
          input: { application: 'ai-gateway', targetRegion: 'us-east-1', offerApprovalId: 'abcdef1234' },
        },
      ],
      until: 4500,
    });
    const [run] = failbacks(report);
    expect(run?.status).toBe('FAILED');
    expect(eastWeights(report)).toEqual([0]);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'FAILED',
      error: { name: 'InvalidInput', cause: expect.stringContaining('is not an approved failback offer') },
    });
    expect(report.violations).toEqual([]);
  });
});
