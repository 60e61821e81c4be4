import type { Report, ReportExecution } from '../../local/report/Report.ts';
import type { exampleConfigDocument } from '../support/exampleConfig.ts';
import { dnsChanges, ledgerOf, promotions, rehearse, stateNames } from '../support/scenario.ts';

/** A console start of the switchover of ai-gateway (RDS and the store budgets) to us-west-2. */
const START = {
  at: 60,
  start: 'switchover',
  input: { application: 'ai-gateway', targetRegion: 'us-west-2', reason: 'us-east-1 maintenance window' },
};
const APPROVE = { at: 600, approve: 'switchover', by: 'U0APPROVER' };

/** ai-gateway-drill (Aurora) with `switchover.approval: none`: the start is the decision. */
function drillWithoutApproval(doc: ReturnType<typeof exampleConfigDocument>): void {
  const app = doc.applications.find((a) => a.name === 'ai-gateway-drill')!;
  (app as { switchover?: unknown }).switchover = { approval: 'none' };
}

/** Whether Slack was asked to fail ai-gateway back (the offer's question or a run's). */
function failbackOffered(report: Report): boolean {
  return report.slack.some((m) => /Fail (?:back ai-gateway|ai-gateway back)/.test(m.text));
}

function switchovers(report: Report): ReportExecution[] {
  return report.executions.filter((e) => e.workflow === 'switchover');
}

/** us-west-2's weight in each change of ai-gateway's records. */
function westWeights(report: Report, application = 'ai-gateway'): number[] {
  return dnsChanges(report, application).map((text) => Number(/us-west-2=(\d+)/.exec(text)?.[1]));
}

interface SwitchoverRecord {
  kind: string;
  status: string;
  reason?: string;
  details: {
    request: { workflow: string; approval: string; sourceRegion: string; targetRegion: string };
    approval: unknown;
    switch: { started: boolean; lagSeconds: number };
    shift: { percent: number; ok: boolean }[];
    replicas: { followers: { region: string; state: string }[] };
  };
}

describe('switchover workflow (the failback ASL as lifeboat-switchover, on the AWS twin)', () => {
  it('asks on Slack, then moves the writer, the store and the traffic to the standby step by step with nothing lost', async () => {
    const report = await rehearse({ events: [START, APPROVE], until: 6000 });
    expect(report.violations).toEqual([]);
    const [run, ...others] = switchovers(report);
    expect(others).toEqual([]);
    expect(run?.status).toBe('SUCCEEDED');
    expect(stateNames(run!)).toContain('RequestApproval');
    expect(
      report.slack.some(
        (m) => m.text.startsWith('Slack: ') || m.text.includes('Switch over ai-gateway to us-west-2?'),
      ),
    ).toBe(true);
    // Nothing moved before the press: the first change comes after it, then every configured step.
    const firstShift = run!.states.find((s) => s.name === 'ShiftStep')!;
    expect(firstShift.enteredAt).toBeGreaterThan(APPROVE.at);
    expect(westWeights(report)).toEqual([10, 25, 50, 75, 100]);
    // The writer and the store moved only once every answer named us-west-2, each at lag 0.
    const lastShift = run!.states.filter((s) => s.name === 'ShiftStep').at(-1)!;
    const moved = report.timeline.filter(
      (e) =>
        e.application === 'ai-gateway' &&
        (e.text.startsWith('promotion of ai-gateway-db-usw2') || e.text.includes('budgets: failover of')),
    );
    expect(moved.map((e) => e.text)).toEqual([
      'promotion of ai-gateway-db-usw2 started (lag 0 s)',
      'budgets: failover of ldgnf-ai-gateway-budgets to ai-gateway-budgets-usw2 started (lag 0 s)',
    ]);
    expect(Math.min(...moved.map((e) => e.at))).toBeGreaterThan(lastShift.exitedAt!);
    expect(report.writers.filter((w) => w.application === 'ai-gateway').at(-1)?.regions).toEqual([
      'us-west-2',
    ]);
    expect(report.dns.filter((d) => d.application === 'ai-gateway').at(-1)?.answers).toEqual(['us-west-2']);

    const record = ledgerOf(report, run!.name) as unknown as SwitchoverRecord;
    expect(record).toMatchObject({
      kind: 'switchover',
      status: 'SUCCEEDED',
      details: {
        request: {
          workflow: 'switchover',
          approval: 'slack',
          sourceRegion: 'us-east-1',
          targetRegion: 'us-west-2',
        },
        // RPO 0: the switch waited for lag 0 on the database and on the store.
        switch: { started: true, lagSeconds: 0 },
        rpoSeconds: 0,
      },
    });
    expect(record.details.shift.every((s) => s.ok)).toBe(true);
    // The old primary is rebuilt as a replica of the new writer and kept (renamed for a switchover),
    // eu-west-1 follows the new writer, and us-east-1 is back at its standby sizes.
    const database = report.timeline.filter((e) => e.kind === 'database' && e.application === 'ai-gateway');
    expect(database.map((e) => e.text)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^ai-gateway-db-use1 \(writer\) renamed to ai-gateway-db-use1-pre-switchover-\d{12} and kept$/,
        ),
        'read replica ai-gateway-db-use1 of ai-gateway-db-usw2 (us-west-2) being created',
        'read replica ai-gateway-db-use1 caught up',
      ]),
    );
    expect(record.details.replicas.followers).toEqual(
      expect.arrayContaining([expect.objectContaining({ region: 'eu-west-1' })]),
    );
    expect(report.world.regions['us-east-1']?.workloads).toMatchObject({ 'ai-gateway/litellm': 2 });
    expect(
      report.slack.some((m) => m.text.includes('Lifeboat switchover of ai-gateway to us-west-2 done')),
    ).toBe(true);
    // A switchover is a decision, not an outage: us-east-1 is healthy and preferred, and still no
    // failback is offered for the rest of the run.
    expect(failbackOffered(report)).toBe(false);
  });

  it("with the application's switchover.approval none, the start is the decision: an Aurora global switchover, RPO 0", async () => {
    const report = await rehearse({
      config: drillWithoutApproval,
      events: [
        {
          at: 60,
          start: 'switchover',
          input: { application: 'ai-gateway-drill', targetRegion: 'us-west-2', reason: 'region move' },
        },
      ],
      until: 3600,
    });
    expect(report.violations).toEqual([]);
    const [run] = switchovers(report);
    expect(run?.status).toBe('SUCCEEDED');
    expect(stateNames(run!)).not.toContain('RequestApproval');
    expect(report.slack.some((m) => m.text.includes('Switch over ai-gateway-drill'))).toBe(false);
    // The team hears that it begins, and why, before anything moves.
    const announced = report.slack.find((m) => m.text.includes('begins (started without a Slack approval'));
    expect(announced?.text).toContain('region move');
    const firstShift = run!.states.find((s) => s.name === 'ShiftStep')!;
    expect(announced!.at).toBeLessThan(firstShift.enteredAt);
    // The run's later messages reply in the announcement's thread.
    const done = report.slack.find((m) =>
      m.text.includes('Lifeboat switchover of ai-gateway-drill to us-west-2 done'),
    );
    expect(done?.thread?.ts).toBe(announced!.ts);
    expect(westWeights(report, 'ai-gateway-drill')).toEqual([25, 50, 100]);
    expect(promotions(report, 'ai-gateway-drill')).toEqual([expect.stringMatching(/lag 0 s/)]);
    expect(report.writers.filter((w) => w.application === 'ai-gateway-drill').at(-1)?.regions).toEqual([
      'us-west-2',
    ]);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      kind: 'switchover',
      status: 'SUCCEEDED',
      // No approval: the announcement stands in its place, the root of the run's thread.
      details: {
        request: { approval: 'none' },
        approval: { messageTs: announced!.ts, withoutApproval: true },
        rpoSeconds: 0,
      },
    });
  });

  it('after a failover, a switchover to the third region is where traffic stays: no failback is offered', async () => {
    const report = await rehearse({
      events: [
        { at: 0, fault: 'region-outage', region: 'us-east-1' },
        { at: 1800, recover: 'region-outage', region: 'us-east-1' },
        {
          at: 2400,
          start: 'switchover',
          input: { application: 'ai-gateway', targetRegion: 'eu-west-1', reason: 'move to eu-west-1' },
        },
        { at: 4000, approve: 'switchover', by: 'U0APPROVER' },
      ],
      until: 9000,
    });
    expect(report.violations).toEqual([]);
    const [run] = switchovers(report);
    expect(run?.status).toBe('SUCCEEDED');
    expect(report.dns.filter((d) => d.application === 'ai-gateway').at(-1)?.answers).toEqual(['eu-west-1']);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      details: { request: { sourceRegion: 'us-west-2', targetRegion: 'eu-west-1' }, rpoSeconds: 0 },
    });
    // us-east-1 has been healthy far longer than offerAfterHealthySeconds (1800 s) by the end, and
    // is the preferred primary: without the switchover an offer is posted at about 3,900 s.
    expect(failbackOffered(report)).toBe(false);
  });

  it('goes on when Slack cannot take the announcement of a start without approval (best effort)', async () => {
    const report = await rehearse({
      config: drillWithoutApproval,
      events: [
        {
          at: 0,
          fault: 'api-error',
          service: 'slack',
          operation: 'chat.postMessage',
          error: 'channel_not_found',
          permanent: true,
        },
        { at: 120, recover: 'api-error', service: 'slack', operation: 'chat.postMessage' },
        {
          at: 60,
          start: 'switchover',
          input: { application: 'ai-gateway-drill', targetRegion: 'us-west-2', reason: 'region move' },
        },
      ],
      until: 3600,
    });
    expect(report.violations).toEqual([]);
    const [run] = switchovers(report);
    expect(run?.status).toBe('SUCCEEDED');
    // Retried, then caught: the run goes on without its announcement.
    expect(run!.states.filter((s) => s.name === 'AnnounceStart').at(-1)?.status).toBe('CAUGHT');
    expect(westWeights(report, 'ai-gateway-drill')).toEqual([25, 50, 100]);
  });

  it('a switchover that failed at 75 % is finished by starting it again; a move back meanwhile is refused, the live writer untouched', async () => {
    const report = await rehearse({
      events: [
        START,
        APPROVE,
        // Route 53 refuses every change from just before the 75 % step until 3000 s.
        {
          at: 1900,
          fault: 'api-error',
          service: 'route53',
          operation: 'ChangeResourceRecordSets',
          error: 'AccessDenied',
          permanent: true,
        },
        { at: 3000, recover: 'api-error', service: 'route53', operation: 'ChangeResourceRecordSets' },
        // Most traffic is on us-west-2 now, the writer still in us-east-1: moving "back" to us-east-1
        // must not take us-east-1 for a stale old writer.
        {
          at: 3100,
          start: 'switchover',
          input: { application: 'ai-gateway', targetRegion: 'us-east-1', reason: 'give up' },
        },
        { at: 3200, start: 'failback', input: { application: 'ai-gateway', targetRegion: 'us-east-1' } },
        { ...START, at: 3300 },
        { at: 3400, approve: 'switchover', by: 'U0APPROVER' },
      ],
      until: 9000,
    });
    expect(report.violations).toEqual([]);
    const [failed, back, finished] = switchovers(report);
    expect(failed?.status).toBe('FAILED');
    expect(ledgerOf(report, failed!.name)).toMatchObject({
      details: { progress: { switchBegun: false, shiftedPercent: 75 } },
    });
    const refusal = `the switchover ${failed!.name} of ai-gateway to us-west-2 ended FAILED at its 75 % step towards us-west-2, with the writer still in us-east-1; finish it first`;
    expect(back).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(back?.cause).toContain(refusal);
    const failback = report.executions.find((e) => e.workflow === 'failback');
    expect(failback).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(failback?.cause).toContain(refusal);
    // The same switchover, started again, resumes at the step the traffic is at and finishes.
    expect(finished?.status).toBe('SUCCEEDED');
    expect(ledgerOf(report, finished!.name)).toMatchObject({
      details: { request: { resumes: { executionName: failed!.name } }, rpoSeconds: 0 },
    });
    // us-east-1's writer was renamed only once it had stopped being the writer: after the switch.
    const renamed = report.timeline.find(
      (e) => e.text.startsWith('ai-gateway-db-use1 (') && e.text.includes('renamed'),
    );
    const switched = report.timeline.find(
      (e) => e.text === 'promotion of ai-gateway-db-usw2 started (lag 0 s)',
    );
    expect(switched).toBeDefined();
    expect(renamed?.at).toBeGreaterThan(switched!.at);
    expect(report.writers.filter((w) => w.application === 'ai-gateway').at(-1)?.regions).toEqual([
      'us-west-2',
    ]);
  });

  it('a switchover stopped after its 75 % step is finished by starting it again; a move back meanwhile is refused', async () => {
    const report = await rehearse({
      events: [
        START,
        APPROVE,
        {
          at: 3100,
          start: 'switchover',
          input: { application: 'ai-gateway', targetRegion: 'us-east-1', reason: 'give up' },
        },
        { ...START, at: 3200 },
        { at: 3500, approve: 'switchover', by: 'U0APPROVER' },
      ],
      until: 9000,
      setup: (context) => {
        // An operator stops the run during the bake of its 75 % step (lifeboat stop).
        context.clock.schedule(1950, () => {
          const run = context.runner().executions.find((e) => e.workflow === 'switchover');
          if (run !== undefined)
            context.runner().stop(run.name, 'StoppedByOperator', 'stopped by ana: look at p99 first');
        });
      },
    });
    expect(report.violations).toEqual([]);
    const [stopped, back, finished] = switchovers(report);
    expect(stopped?.status).toBe('ABORTED');
    // The run-ended recorder keeps the request and how far it got, as the run would have.
    expect(ledgerOf(report, stopped!.name)).toMatchObject({
      status: 'ABORTED',
      details: {
        request: { targetRegion: 'us-west-2' },
        progress: { switchBegun: false, shiftedPercent: 75 },
      },
    });
    expect(back).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(back?.cause).toContain(
      `the switchover ${stopped!.name} of ai-gateway to us-west-2 ended ABORTED at its 75 % step towards us-west-2, with the writer still in us-east-1; finish it first`,
    );
    expect(finished?.status).toBe('SUCCEEDED');
    expect(ledgerOf(report, finished!.name)).toMatchObject({
      details: { request: { resumes: { executionName: stopped!.name } }, rpoSeconds: 0 },
    });
    expect(report.writers.filter((w) => w.application === 'ai-gateway').at(-1)?.regions).toEqual([
      'us-west-2',
    ]);
  });

  it('moves nothing on Reject and records the decision', async () => {
    const report = await rehearse({
      events: [START, { at: 600, reject: 'switchover', by: 'U0ONCALL01' }],
      until: 1200,
    });
    expect(report.violations).toEqual([]);
    const [run] = switchovers(report);
    expect(run?.status).toBe('ABORTED');
    expect(westWeights(report)).toEqual([]);
    expect(promotions(report)).toEqual([]);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      kind: 'switchover',
      status: 'REJECTED',
      reason: expect.stringContaining('U0ONCALL01'),
    });
  });

  it('a dry run checks and records the plan, asking nobody and moving nothing', async () => {
    const report = await rehearse({
      events: [{ ...START, input: { ...START.input, dryRun: true } }],
      until: 600,
    });
    const [run] = switchovers(report);
    expect(run?.status).toBe('SUCCEEDED');
    expect(stateNames(run!)).toContain('RecordPlan');
    expect(stateNames(run!)).not.toContain('RequestApproval');
    expect(westWeights(report)).toEqual([]);
    expect(ledgerOf(report, run!.name)).toMatchObject({ kind: 'switchover', status: 'SUCCEEDED' });
    expect(report.violations).toEqual([]);
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
      { application: 'ai-gateway', targetRegion: 'ap-south-1' },
      'targetRegion: ap-south-1 is not a region of ai-gateway',
    ],
  ])('refuses %j at once, changing nothing', async (input, message) => {
    const report = await rehearse({ events: [{ at: 60, start: 'switchover', input }], until: 300 });
    const [run] = switchovers(report);
    expect(run).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(run?.cause).toContain(message);
    expect(run!.states.map((s) => s.name)).toEqual(['ValidateInput', 'InvalidInput']);
    expect(westWeights(report)).toEqual([]);
    // Recorded as a refused start, under the switchover's kind.
    expect(ledgerOf(report, run!.name)).toMatchObject({ kind: 'switchover', status: 'FAILED' });
  });

  it('rolls back to the last good weights when the guard breaches, and says which run rolled back', async () => {
    const report = await rehearse({
      events: [START, APPROVE],
      until: 4000,
      setup: (context) => {
        context.world.onChange((change) => {
          if (change.type === 'weights' && change.after['us-west-2'] === 25)
            context.world.setErrorRate('us-west-2', 6);
        });
      },
    });
    expect(report.violations).toEqual([]);
    const [run] = switchovers(report);
    expect(westWeights(report)).toEqual([10, 25, 10]);
    expect(promotions(report)).toEqual([]);
    expect(ledgerOf(report, run!.name)).toMatchObject({ kind: 'switchover', status: 'ROLLED_BACK' });
    expect(
      report.slack.some((m) => /Lifeboat switchover switchover-\d+ of ai-gateway ROLLED BACK/.test(m.text)),
    ).toBe(true);
  });
});
