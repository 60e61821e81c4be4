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

  it("records that the store's other members follow the new primary (ElastiCache repoints them itself)", () => {
    const [run] = failovers(report);
    const record = ledgerOf(report, run!.name) as {
      details: { replicas?: { stores?: { store: string; region: string; state: string }[] } };
    };
    expect(record.details.replicas?.stores).toEqual([
      expect.objectContaining({ store: 'budgets', region: 'us-east-1', state: 'follows' }),
      expect.objectContaining({ store: 'budgets', region: 'eu-west-1', state: 'follows' }),
    ]);
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

describe('a manual dry run with a store', () => {
  it("lists the store's failover in its plan and the store's lag in its check, and changes nothing", async () => {
    const report = await rehearse({
      events: [
        { at: 0, fault: 'store-lag', region: 'us-west-2', seconds: 3 },
        {
          at: 60,
          start: 'failover',
          input: { application: 'ai-gateway', targetRegion: 'us-west-2', dryRun: true },
        },
      ],
      until: 600,
    });
    expect(report.violations).toEqual([]);
    const [run] = failovers(report);
    const text = JSON.stringify(ledgerOf(report, run!.name));
    expect(text).toContain(
      'fail the Global Datastore ldgnf-ai-gateway-budgets (store budgets) over to ai-gateway-budgets-usw2 in us-west-2',
    );
    expect(text).toContain('store budgets: replica lag 3 s (budget 30 s)');
    expect(storeNotes(report)).toEqual([]);
  });
});

describe('CheckDatabase waits for the stores as for the database', () => {
  it('moves traffic only once the store writes, when its failover outlasts the promotion', async () => {
    // The store's failover takes 15 minutes here, far longer than RDS's promotion.
    const report = await rehearse({
      events: [OUTAGE, { at: 2400, recover: 'region-outage', region: 'us-east-1' }],
      latency: { storeFailoverSeconds: 900 },
      until: 3600,
    });
    expect(report.violations).toEqual([]);
    const [run] = failovers(report);
    expect(run?.status).toBe('SUCCEEDED');
    const database = report.timeline.find((t) => t.text === 'ai-gateway-db-usw2 now accepts writes')!;
    const store = storeNotes(report).find((n) => n.text.includes('is the primary'))!;
    expect(store.at).toBeGreaterThan(database.at + 300);
    const shift = run!.states.find((st) => st.name === 'ShiftTraffic')!;
    expect(shift.enteredAt).toBeGreaterThanOrEqual(store.at);
    // The service was restored when the store wrote, not when the database did.
    const restored = report.slack.find((m) => m.text.includes('restored'));
    expect(restored?.at).toBeGreaterThanOrEqual(store.at);
  });
});

describe('the failback switches a store only once it has caught up', () => {
  it('waits while the returning member lags, and switches it after', async () => {
    const report = await rehearse({
      events: [
        OUTAGE,
        RECOVERY,
        // us-east-1's member (now a secondary of us-west-2) lags through the failback's shift.
        { at: 3000, fault: 'store-lag', region: 'us-east-1', seconds: 5 },
        APPROVE_FAILBACK,
        { at: 7000, recover: 'store-lag', region: 'us-east-1' },
      ],
      until: 12000,
    });
    expect(report.violations).toEqual([]);
    const failback = report.executions.find((e) => e.workflow === 'failback');
    expect(failback?.status).toBe('SUCCEEDED');
    const back = storeNotes(report).find((n) => n.text.includes('to ai-gateway-budgets-use1 started'))!;
    expect(back.at).toBeGreaterThanOrEqual(7000);
    expect(back.text).toContain('(lag 0 s)');
  });

  it('gives up half an hour after the fence when a member never catches up, saying where things stand', async () => {
    const report = await rehearse({
      events: [
        OUTAGE,
        RECOVERY,
        { at: 3000, fault: 'store-lag', region: 'us-east-1', seconds: 5 },
        APPROVE_FAILBACK,
      ],
      until: 12000,
    });
    expect(report.violations).toEqual([]);
    const failback = report.executions.find((e) => e.workflow === 'failback')!;
    expect(failback.status).toBe('FAILED');
    const record = ledgerOf(report, failback.name) as {
      status: string;
      error?: { name: string; cause: string };
    };
    expect(record.status).toBe('FAILED');
    expect(record.error?.cause).toContain(
      "not caught up 1800 s after us-west-2 was fenced for the writer's switch (store budgets's member in us-east-1 lags 5 s); the writer stays in us-west-2 and all traffic on us-east-1",
    );
    // Nothing was switched: the store's primary and the database's writer are still in us-west-2.
    expect(storeNotes(report).filter((n) => n.text.includes('to ai-gateway-budgets-use1 started'))).toEqual(
      [],
    );
    const fence = failback.states.find((st) => st.name === 'FenceSourceForSwitch')!;
    const gaveUp = failback.states.filter((st) => st.name === 'SwitchWriter').at(-1)!;
    expect(gaveUp.enteredAt - fence.exitedAt!).toBeGreaterThanOrEqual(1800);
  });

  it('finishes the switch when the same failback is started again once the member has caught up', async () => {
    const report = await rehearse({
      events: [
        OUTAGE,
        RECOVERY,
        { at: 3000, fault: 'store-lag', region: 'us-east-1', seconds: 5 },
        APPROVE_FAILBACK,
        { at: 11000, recover: 'store-lag', region: 'us-east-1' },
        { at: 11100, start: 'failback', input: { application: 'ai-gateway', targetRegion: 'us-east-1' } },
        { at: 11200, approve: 'failback', by: 'U0APPROVER' },
      ],
      until: 18000,
    });
    expect(report.violations).toEqual([]);
    const runs = report.executions
      .filter((e) => e.workflow === 'failback')
      .sort((a, b) => a.startedAt - b.startedAt);
    expect(runs.map((r) => r.status)).toEqual(['FAILED', 'SUCCEEDED']);
    // The second run resumed at the switch: it shifted no traffic again.
    expect(runs[1]!.states.map((st) => st.name)).not.toContain('ShiftStep');
    const back = storeNotes(report).find((n) => n.text.includes('to ai-gateway-budgets-use1 started'))!;
    expect(back.at).toBeGreaterThan(11200);
    expect(back.text).toContain('(lag 0 s)');
  });
});

describe("the trigger's choice of standby weighs the stores' lag", () => {
  it('prefers a standby whose store is within the budget over the first one, whose store lags', async () => {
    const report = await rehearse({
      events: [
        { at: 0, fault: 'store-lag', region: 'us-west-2', seconds: 45 },
        OUTAGE,
        { at: 1200, recover: 'region-outage', region: 'us-east-1' },
      ],
      until: 1700,
    });
    expect(report.violations).toEqual([]);
    const [run] = failovers(report);
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    // No person asked: eu-west-1's store is within the budget.
    expect(run!.states.map((st) => st.name)).not.toContain('RequestApproval');
    const record = ledgerOf(report, run!.name) as {
      details: { request: { targetRegion: string; reason: string } };
    };
    expect(record.details.request.targetRegion).toBe('eu-west-1');
    expect(record.details.request.reason).toMatch(
      /eu-west-1 chosen over us-west-2: us-west-2 45 s of writes at risk against the 30 s budget/,
    );
  });
});

describe('a store lagging past the automatic budget', () => {
  // eu-west-1 too: a standby within the budget would be chosen instead (see above).
  const STORE_LAG = { at: 0, fault: 'store-lag', region: 'us-west-2', seconds: 45 };
  const STORE_LAG_EU = { at: 0, fault: 'store-lag', region: 'eu-west-1', seconds: 50 };

  it('asks on Slack, naming the store, and fails nothing over while it waits', async () => {
    const report = await rehearse({ events: [STORE_LAG, STORE_LAG_EU, OUTAGE], until: 600 });
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
        STORE_LAG_EU,
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
