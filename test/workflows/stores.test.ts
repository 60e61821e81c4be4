import type { Report } from '../../local/report/Report.ts';
import type { SimulationContext } from '../../local/simulate/Simulation.ts';
import { failovers, ledgerOf, rehearse, rehearseKeepingWorld } from '../support/scenario.ts';

/**
 * The example's ai-gateway keeps its budgets in an ElastiCache Global Datastore (store `budgets`)
 * beside its RDS database: the real failover, failback and drill ASL over the AWS twin, every call
 * checked against ElastiCache's API model and the functions' synthesized IAM.
 */
const OUTAGE = { at: 0, fault: 'region-outage', region: 'us-east-1' };
const RECOVERY = { at: 1800, recover: 'region-outage', region: 'us-east-1' };
const APPROVE_FAILBACK = { at: 4000, approve: 'failback', by: 'U0APPROVER' };

function storeNotes(report: Report): { at: number; region: string | undefined; text: string }[] {
  return report.timeline
    .filter((t) => t.kind === 'database' && t.application === 'ai-gateway' && t.text.startsWith('budgets:'))
    .map((t) => ({ at: t.at, region: t.region, text: t.text }));
}

describe('a store beside the database: an outage, the automatic failover and the failback', () => {
  let report: Report;
  let context: SimulationContext;
  beforeAll(async () => {
    ({ report, context } = await rehearseKeepingWorld({
      events: [
        { at: 0, fault: 'store-lag', region: 'us-west-2', seconds: 2 },
        OUTAGE,
        RECOVERY,
        APPROVE_FAILBACK,
      ],
      until: 12000,
    }));
  });

  it('holds every safety invariant, the stores’ included, with no call denied or malformed', () => {
    expect(report.violations).toEqual([]);
  });

  it('fails the Global Datastore over to us-west-2 beside the promotion, and records it', () => {
    const [run] = failovers(report);
    expect(run?.status).toBe('SUCCEEDED');
    const notes = storeNotes(report);
    expect(notes[0]).toMatchObject({
      region: 'us-west-2',
      text: 'budgets: failover of ldgnf-ai-gateway-budgets to ai-gateway-budgets-usw2 started (lag 2 s)',
    });
    expect(ledgerOf(report, run!.name)).toMatchObject({
      details: expect.objectContaining({
        promotion: expect.objectContaining({ stores: { budgets: 'started' } }),
        database: expect.objectContaining({ writable: true, stores: { budgets: 'primary' } }),
      }) as unknown,
    });
  });

  it('waits for the store as for the database: traffic moves only once both take writes', () => {
    const [run] = failovers(report);
    const primary = storeNotes(report).find((n) => n.text.includes('is the primary'))!;
    const shift = run!.states.find((s) => s.name === 'ShiftTraffic' || s.name === 'SetWeights');
    expect(primary.at).toBeLessThan(shift?.enteredAt ?? Infinity);
  });

  it("takes the run's RPO as the worst of its components' (the store's 2 s over the database's 0 s)", () => {
    const [run] = failovers(report);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      details: expect.objectContaining({ rpoSeconds: 2 }) as unknown,
    });
  });

  it('switches the store back to us-east-1 at the failback once it has caught up, losing nothing', () => {
    const failback = report.executions.find((e) => e.workflow === 'failback');
    expect(failback?.status).toBe('SUCCEEDED');
    const back = storeNotes(report).find((n) => n.text.includes('to ai-gateway-budgets-use1 started'));
    expect(back?.text).toBe(
      'budgets: failover of ldgnf-ai-gateway-budgets to ai-gateway-budgets-use1 started (lag 0 s)',
    );
    // Every member follows the primary again: us-east-1 writes, the others are its secondaries.
    expect(context.world.stores.roles('ai-gateway', 'budgets')).toEqual({
      'us-east-1': 'primary',
      'us-west-2': 'secondary',
      'eu-west-1': 'secondary',
    });
  });
});

describe('a store lagging past the automatic budget', () => {
  const STORE_LAG = { at: 0, fault: 'store-lag', region: 'us-west-2', seconds: 45 };

  it('asks on Slack, naming the store, and fails nothing over while it waits', async () => {
    const report = await rehearse({ events: [STORE_LAG, OUTAGE], until: 600 });
    const [run] = failovers(report);
    expect(run?.status).toBe('RUNNING');
    expect(run!.states.at(-1)).toMatchObject({ name: 'RequestApproval' });
    expect(storeNotes(report)).toEqual([]);
    const ask = report.slack.find((m) => m.text.includes('Fail over ai-gateway to us-west-2?'));
    expect(ask?.text).toContain('store budgets:');
    expect(ask?.text).toContain('45 s');
    expect(report.violations).toEqual([]);
  });

  it("fails the store over on an approver's Approve, and records its lag as the run's RPO", async () => {
    const report = await rehearse({
      events: [
        STORE_LAG,
        OUTAGE,
        { at: 400, approve: 'failover', by: 'U0APPROVER' },
        // Route 53's API (in us-east-1) returns: the run's DNS change completes.
        { at: 1200, recover: 'region-outage', region: 'us-east-1' },
      ],
      until: 1800,
    });
    const [run] = failovers(report);
    expect(run?.status).toBe('SUCCEEDED');
    expect(storeNotes(report)[0]?.text).toContain('(lag 45 s)');
    expect(ledgerOf(report, run!.name)).toMatchObject({
      details: expect.objectContaining({
        rpoSeconds: 45,
        approval: expect.objectContaining({ by: 'U0APPROVER' }),
      }) as unknown,
    });
    // Invariant 3 holds: the store went past the budget only with a person.
    expect(report.violations).toEqual([]);
  });
});

describe('the readiness drill reads the stores', () => {
  const DRILL = { at: 300, start: 'drill', input: { application: 'ai-gateway', mode: 'readiness' } };

  function findings(report: Report): { check: string; ok: boolean; severity: string; detail: string }[] {
    const run = report.executions.find((e) => e.workflow === 'drill');
    const record = ledgerOf(report, run!.name) as {
      details: { findings: { check: string; ok: boolean; severity: string; detail: string }[] };
    };
    return record.details.findings.filter((f) => f.check.startsWith('store-source:'));
  }

  it('passes with every member a secondary of the primary', async () => {
    const report = await rehearse({ events: [DRILL], until: 900 });
    expect(findings(report)).toEqual([
      {
        check: 'store-source:budgets:us-west-2',
        severity: 'critical',
        ok: true,
        detail: "store budgets's member in us-west-2 is a secondary of the primary in us-east-1",
      },
      {
        check: 'store-source:budgets:eu-west-1',
        severity: 'warning',
        ok: true,
        detail: "store budgets's member in eu-west-1 is a secondary of the primary in us-east-1",
      },
    ]);
    expect(report.violations).toEqual([]);
  });

  it("fails when the store's primary is not in the database's region: a failover would not find it", async () => {
    const report = await rehearse({
      events: [DRILL],
      until: 900,
      // Someone failed the Global Datastore over to eu-west-1 by hand.
      setup: (context) => {
        const store = context.world.stores.store('ai-gateway', 'budgets');
        context.world.stores.failover(store, 'eu-west-1', { planned: true, by: 'human:console' });
      },
    });
    const drill = report.executions.find((e) => e.workflow === 'drill');
    expect(drill?.status).toBe('FAILED');
    expect(findings(report)).toEqual([
      expect.objectContaining({
        check: 'store-source:budgets:us-west-2',
        ok: false,
        detail:
          "store budgets's member in us-west-2 is a secondary of eu-west-1, not a secondary of the primary in us-east-1 (docs/stores.md)",
      }),
      expect.objectContaining({
        check: 'store-source:budgets:eu-west-1',
        ok: false,
        detail:
          "store budgets's member in eu-west-1 is the primary, not a secondary of the primary in us-east-1 (docs/stores.md)",
      }),
    ]);
    expect(report.violations).toEqual([]);
  });
});
