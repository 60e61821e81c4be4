import { fileURLToPath } from 'node:url';
import type { Report } from '../../local/report/Report.ts';
import { renderText } from '../../local/report/renderText.ts';
import { loadScenario } from '../../local/scenario/Scenario.ts';
import { simulate } from '../../local/simulate/Simulation.ts';
import { twinRuntime } from '../../local/simulate/twinRuntime.ts';
import { ledgerOf, promotions } from '../support/scenario.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function example(file: string): Promise<Report> {
  const scenario = loadScenario(`examples/scenarios/${file}`, ROOT);
  return simulate({ scenario, ...twinRuntime() });
}

/** Examples whose descriptions make claims about their outcome: the report must bear them out. */
describe('example scenarios end as their descriptions say (on the AWS twin)', () => {
  it('lag-over-budget: asks a person, is rejected, changes nothing, and the ledger says REJECTED', async () => {
    const report = await example('lag-over-budget.json');
    const [run, ...others] = report.executions;
    expect(others).toEqual([]);
    expect(run).toMatchObject({ workflow: 'failover', status: 'ABORTED' });
    expect(run?.states.map((s) => s.name)).toContain('RequestApproval');
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'REJECTED',
      reason: expect.stringContaining('rejected by U0ONCALL01'),
    });
    expect(promotions(report)).toEqual([]);
    expect(report.slack.some((m) => /replica lag 45 s \(budget 30 s\)/.test(m.text))).toBe(true);
    expect(report.violations).toEqual([]);
  });

  it("store-lag-over-budget: asks a person naming the store, promotes the database and the store once approved, RPO the store's 45 s", async () => {
    const report = await example('store-lag-over-budget.json');
    expect(report.violations).toEqual([]);
    const [run, ...others] = report.executions;
    expect(others).toEqual([]);
    expect(run).toMatchObject({ workflow: 'failover', status: 'SUCCEEDED' });
    expect(report.slack.some((m) => /store budgets: replica lag 45 s \(budget 30 s\)/.test(m.text))).toBe(
      true,
    );
    expect(promotions(report)).toHaveLength(1);
    expect(
      report.timeline.some((t) => t.text.startsWith('budgets: failover of ldgnf-ai-gateway-budgets')),
    ).toBe(true);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'SUCCEEDED',
      details: expect.objectContaining({ rpoSeconds: 45 }) as unknown,
    });
  });

  it('cloudnativepg-outage: promotes pg-usw2 with no token (RPO 4 s), re-points pg-euw1 at it, fences the returning pg-use1', async () => {
    const report = await example('cloudnativepg-outage.json');
    expect(report.violations).toEqual([]);
    const [run, ...others] = report.executions;
    expect(others).toEqual([]);
    expect(run).toMatchObject({ workflow: 'failover', status: 'SUCCEEDED' });
    expect(promotions(report, 'ai-gateway-pg')).toEqual([
      'promotion of CloudNativePG cluster pg-usw2 started (lag 4 s)',
    ]);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'SUCCEEDED',
      details: expect.objectContaining({ rpoSeconds: 4 }) as unknown,
    });
    const notes = report.timeline.filter((t) => t.kind === 'database').map((t) => t.text);
    expect(notes).toEqual(
      expect.arrayContaining([
        'CloudNativePG cluster pg-euw1 now replicates from pg-usw2',
        'CloudNativePG cluster pg-use1 fenced: PostgreSQL stopped, data kept',
      ]),
    );
    expect(report.writers.at(-1)?.regions).toEqual(['us-west-2']);
  });

  it('cloudnativepg-failback: after a person re-clones the fenced pg-use1, fails back with the demotion token, RPO 0', async () => {
    const report = await example('cloudnativepg-failback.json');
    expect(report.violations).toEqual([]);
    expect(report.executions.map((e) => `${e.workflow} ${e.status}`)).toEqual([
      'failover SUCCEEDED',
      'failback SUCCEEDED',
    ]);
    expect(promotions(report, 'ai-gateway-pg')).toEqual([
      'promotion of CloudNativePG cluster pg-usw2 started (lag 4 s)',
      'promotion of CloudNativePG cluster pg-use1 started (lag 0 s)',
    ]);
    const failback = report.executions[1]!;
    expect(ledgerOf(report, failback.name)).toMatchObject({
      status: 'SUCCEEDED',
      details: expect.objectContaining({ rpoSeconds: 0 }) as unknown,
    });
    const notes = report.timeline.filter((t) => t.kind === 'database').map((t) => t.text);
    const fenced = notes.indexOf('CloudNativePG cluster pg-use1 fenced: PostgreSQL stopped, data kept');
    const recloned = notes.indexOf(
      'CloudNativePG cluster pg-use1 re-cloned as a replica cluster of pg-usw2 (by hand)',
    );
    expect(fenced).toBeGreaterThanOrEqual(0);
    expect(recloned).toBeGreaterThan(fenced);
    expect(notes).toContain('CloudNativePG cluster pg-euw1 now replicates from pg-use1');
    expect(report.writers.at(-1)?.regions).toEqual(['us-east-1']);
  });

  it('switchover: a maintenance round trip, each switch at lag 0 (RPO 0), no failback offered between', async () => {
    const report = await example('switchover.json');
    expect(report.violations).toEqual([]);
    expect(report.executions.filter((e) => e.workflow === 'switchover').map((e) => e.status)).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    expect(promotions(report)).toEqual([
      'promotion of ai-gateway-db-usw2 started (lag 0 s)',
      'promotion of ai-gateway-db-use1 started (lag 0 s)',
    ]);
    expect(
      report.timeline
        .filter((t) => t.text.startsWith('budgets: failover of'))
        .map((t) => t.text.endsWith('started (lag 0 s)')),
    ).toEqual([true, true]);
    for (const run of report.executions.filter((e) => e.workflow === 'switchover')) {
      expect(ledgerOf(report, run.name)).toMatchObject({
        kind: 'switchover',
        status: 'SUCCEEDED',
        details: expect.objectContaining({ rpoSeconds: 0 }) as unknown,
      });
    }
    expect(report.slack.some((m) => /Fail (?:back ai-gateway|ai-gateway back)/.test(m.text))).toBe(false);
    expect(report.dns.filter((d) => d.application === 'ai-gateway').at(-1)?.answers).toEqual(['us-east-1']);
  });

  it("drain-guard-breach: the first drain rolls back on us-west-2's errors, the second drains us-east-1, the undrain brings it back", async () => {
    const report = await example('drain-guard-breach.json');
    expect(report.violations).toEqual([]);
    const runs = report.executions;
    expect(runs.map((r) => [r.workflow, r.status])).toEqual([
      ['drain', 'ABORTED'],
      ['drain', 'SUCCEEDED'],
      ['drain', 'SUCCEEDED'],
    ]);
    expect(runs.map((r) => ledgerOf(report, r.name)?.status)).toEqual([
      'ROLLED_BACK',
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    expect(ledgerOf(report, runs[0]!.name)?.reason).toContain('us-west-2: error rate 5.00 % > 1 %');
    expect(report.timeline.filter((t) => /^change \S+ INSYNC: /.test(t.text)).map((t) => t.text)).toEqual([
      expect.stringContaining('us-east-1=20, us-west-2=40, eu-west-1=20'),
      expect.stringContaining('us-east-1=40, us-west-2=40, eu-west-1=20'),
      expect.stringContaining('us-east-1=20, us-west-2=40, eu-west-1=20'),
      expect.stringContaining('us-east-1=0, us-west-2=40, eu-west-1=20'),
      expect.stringContaining('us-east-1=20, us-west-2=40, eu-west-1=20'),
      expect.stringContaining('us-east-1=40, us-west-2=40, eu-west-1=20'),
    ]);
    expect(report.slack.some((m) => m.text.includes('ROLLED BACK'))).toBe(true);
    expect(report.world.regions['us-east-1']?.applications['inference-api']?.dnsWeight).toBe(40);
    expect(report.world.regions['us-west-2']?.applications['inference-api']?.database).toBe('writer');
  });

  it('capacity-shortfall: with both standbys short, goes to the first, reports the shortfall, moves no weight', async () => {
    const report = await example('capacity-shortfall.json');
    const [run, ...others] = report.executions;
    expect(others).toEqual([]);
    expect(run).toMatchObject({
      workflow: 'failover',
      status: 'FAILED',
      cause: expect.stringContaining('ai-gateway/litellm 3/4 ready'),
    });
    expect(promotions(report)).toEqual([expect.stringContaining('ai-gateway-db-usw2')]);
    expect(report.timeline.filter((t) => t.kind === 'dns-change' && t.text.startsWith('change'))).toEqual([]);
    expect(report.violations).toEqual([]);
  });

  it('standby-capacity: goes to eu-west-1 past us-west-2, which cannot launch instances, and says why', async () => {
    const report = await example('standby-capacity.json');
    const [run, ...others] = report.executions;
    expect(others).toEqual([]);
    expect(run).toMatchObject({ workflow: 'failover', status: 'SUCCEEDED' });
    expect(promotions(report)).toEqual([expect.stringContaining('ai-gateway-db-euw1')]);
    expect(report.slack[0]?.text).toMatch(
      /^Lifeboat is failing ai-gateway over from us-east-1 to eu-west-1 \(automatic: .*eu-west-1 chosen over us-west-2: us-west-2 short of capacity \(node group general: AsgInstanceLaunchFailures\)/,
    );
    expect(ledgerOf(report, run!.name)).toMatchObject({
      details: { request: { reason: expect.stringContaining('us-west-2 short of capacity') } },
    });
    expect(report.world.regions['eu-west-1']?.applications['ai-gateway']?.dnsWeight).toBe(100);
    expect(report.violations).toEqual([]);
  });

  it('health-check-flap: starts nothing, and shows the service restored in place when the flap ends', async () => {
    const report = await example('health-check-flap.json');
    expect(report.executions.filter((e) => e.workflow === 'failover')).toEqual([]);
    expect(report.applications['ai-gateway']).toMatchObject({ restoredAt: 600, rtoSeconds: 660 });
    expect(renderText(report, { color: false, width: 100 })).toMatch(
      /restored in place: the answers name the same region/,
    );
    expect(report.violations).toEqual([]);
  });
});
