import { fileURLToPath } from 'node:url';
import { main } from '../../local/cli/main.ts';
import type { Report } from '../../local/report/Report.ts';
import type { SimulationContext } from '../../local/simulate/Simulation.ts';
import { ledgerOf, rehearse, rehearseKeepingWorld } from '../support/scenario.ts';

/**
 * ai-gateway-pg (examples/cloudnativepg.config.json): PostgreSQL run by CloudNativePG in each region's
 * EKS cluster, one `Cluster` per region in a distributed topology (pg-use1 the primary, pg-usw2 and
 * pg-euw1 replica clusters), rehearsed on the AWS twin: the deployed handlers reach the Clusters
 * through the Kubernetes twin with their EKS tokens, the access entries and the RBAC of
 * `lifeboat kubernetes-rbac`.
 */
const CONFIG = 'examples/cloudnativepg.config.json';
const APP = 'ai-gateway-pg';

function databaseNotes(report: Report): string[] {
  return report.timeline.filter((e) => e.kind === 'database' && e.application === APP).map((e) => e.text);
}

function writersNow(report: Report): readonly string[] | undefined {
  return report.writers.filter((w) => w.application === APP).at(-1)?.regions;
}

function awsRefusals(report: Report): string[] {
  return report.violations.filter((v) => v.startsWith('iam:') || v.startsWith('api-model:'));
}

/** Who each promotion of the application was by, as the invariant checker sees it. */
function promotionsBy(
  context: SimulationContext,
): { region: string; by: string | undefined; planned: boolean }[] {
  const seen: { region: string; by: string | undefined; planned: boolean }[] = [];
  context.world.onChange((change) => {
    if (change.type === 'promotion-started' && change.application === APP && change.store === undefined)
      seen.push({ region: change.region, by: change.by, planned: change.planned });
  });
  return seen;
}

const OUTAGE = [
  { at: 0, fault: 'region-outage', region: 'us-east-1' },
  { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 4 },
  { at: 0, fault: 'replica-lag', region: 'eu-west-1', seconds: 6 },
  { at: 1800, recover: 'region-outage', region: 'us-east-1' },
];

describe('CloudNativePG replica clusters (the real ASL on the AWS twin)', () => {
  it('fails over on its own: promotes pg-usw2 with no token, re-points pg-euw1 at it, and fences pg-use1 when it comes back', async () => {
    let by: ReturnType<typeof promotionsBy> = [];
    const { report, context } = await rehearseKeepingWorld({
      configFile: CONFIG,
      events: OUTAGE,
      setup: (c) => {
        by = promotionsBy(c);
      },
      until: 3000,
    });
    expect(report.violations).toEqual([]);
    // The Kubernetes call is attributed to the run that sent it: the invariant checker holds an
    // automatic promotion to the lag budget.
    expect(by).toEqual([{ region: 'us-west-2', by: 'automatic', planned: false }]);
    const [run, ...others] = report.executions.filter((e) => e.workflow === 'failover');
    expect(others).toEqual([]);
    expect(run?.status).toBe('SUCCEEDED');
    // The failover's promotion: the spec names pg-usw2 primary with no token, so CloudNativePG
    // promotes at once and the 4 s of lag are the RPO.
    expect(databaseNotes(report)).toEqual(
      expect.arrayContaining([
        'promotion of CloudNativePG cluster pg-usw2 started (lag 4 s)',
        'pg-usw2 now accepts writes',
        'CloudNativePG cluster pg-euw1 now replicates from pg-usw2',
        'CloudNativePG cluster pg-use1 fenced: PostgreSQL stopped, data kept',
      ]),
    );
    expect(ledgerOf(report, run!.name)).toMatchObject({ status: 'SUCCEEDED', details: { rpoSeconds: 4 } });
    const usw2 = context.world.cnpgCluster(APP, 'us-west-2') as {
      spec: { replica: Record<string, unknown> };
      status: { phase: string; timelineID: number };
    };
    expect(usw2.spec.replica).toEqual({ primary: 'pg-usw2', source: 'pg-use1' });
    expect(usw2.status).toMatchObject({ phase: 'Cluster in healthy state', timelineID: 2 });
    expect(
      (context.world.cnpgCluster(APP, 'eu-west-1') as { spec: { replica: unknown } }).spec.replica,
    ).toEqual({ primary: 'pg-usw2', source: 'pg-usw2' });
    // The old primary came back still naming itself primary: fenced, recorded, and never a second
    // writer.
    expect(
      (context.world.cnpgCluster(APP, 'us-east-1') as { metadata: { annotations?: unknown } }).metadata
        .annotations,
    ).toEqual({ 'cnpg.io/fencedInstances': '["*"]' });
    expect(writersNow(report)).toEqual(['us-west-2']);
    expect(report.ledger.filter((r) => r.kind === 'quarantine')).toEqual([
      expect.objectContaining({
        status: 'SUCCEEDED',
        details: expect.objectContaining({ identifier: 'pg-use1' }),
      }),
    ]);
    const failover = ledgerOf(report, run!.name) as {
      details: { replicas: { followers: { region: string; state: string }[] } };
    };
    expect(failover.details.replicas.followers).toEqual([
      expect.objectContaining({ region: 'us-east-1', state: 'left' }),
      expect.objectContaining({ region: 'eu-west-1', state: 'follows' }),
    ]);
    // Every Kubernetes call went through an access entry and the RBAC lifeboat kubernetes-rbac prints.
    const calls = (report.awsCalls ?? []).filter(
      (c) => c.service === 'kubernetes' && c.operation.endsWith('CnpgCluster'),
    );
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.decision === 'allowed')).toBe(true);
    expect(new Set(calls.map((c) => c.function))).toEqual(new Set(['lifeboat-database', 'lifeboat-offer']));
  });

  it('leaves a replica cluster that replayed past the promoted one unfollowing, and says after the limit that it must be re-cloned', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      events: [
        { at: 0, fault: 'region-outage', region: 'us-east-1' },
        { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 10 },
        { at: 0, fault: 'replica-lag', region: 'eu-west-1', seconds: 2 },
        { at: 600, recover: 'region-outage', region: 'us-east-1' },
      ],
      until: 3000,
    });
    expect(report.violations).toEqual([]);
    const run = report.executions.find((e) => e.workflow === 'failover');
    expect(run?.status).toBe('SUCCEEDED');
    expect(databaseNotes(report)).toContain(
      "CloudNativePG cluster pg-euw1 re-pointed at pg-usw2 but cannot follow it: it replayed past pg-usw2's promotion point and must be re-cloned",
    );
    const record = ledgerOf(report, run!.name) as {
      details: { replicas: { followers: { region: string; state: string; detail: string }[] } };
    };
    expect(record.details.replicas.followers.find((f) => f.region === 'eu-west-1')).toMatchObject({
      state: 'left',
      detail: expect.stringMatching(/must be re-cloned.*given up 900 s after the writer moved/) as unknown,
    });
  });

  it('asks Slack when the lag is over budget, and promotes only once a person approves', async () => {
    let by: ReturnType<typeof promotionsBy> = [];
    const report = await rehearse({
      configFile: CONFIG,
      setup: (c) => {
        by = promotionsBy(c);
      },
      events: [
        { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 45 },
        { at: 0, fault: 'replica-lag', region: 'eu-west-1', seconds: 50 },
        { at: 0, fault: 'region-outage', region: 'us-east-1' },
        { at: 400, approve: 'failover', by: 'U0ONCALL01' },
        // Route 53's API is in us-east-1: the weights are set once it is back.
        { at: 1500, recover: 'region-outage', region: 'us-east-1' },
      ],
      until: 2700,
    });
    expect(report.violations).toEqual([]);
    const run = report.executions.find((e) => e.workflow === 'failover');
    expect(run?.status).toBe('SUCCEEDED');
    const asked = report.slack.find((m) => /lag/i.test(m.text) && /approv/i.test(m.text));
    expect(asked).toBeDefined();
    const promotion = report.timeline.find(
      (e) => e.application === APP && e.text.startsWith('promotion of CloudNativePG cluster pg-usw2'),
    );
    expect(promotion?.at).toBeGreaterThan(400);
    expect(by).toEqual([{ region: 'us-west-2', by: 'approved:U0ONCALL01', planned: false }]);
    expect(ledgerOf(report, run!.name)).toMatchObject({ status: 'SUCCEEDED', details: { rpoSeconds: 45 } });
  });

  it('fails back once a person has re-cloned the old primary: demotes pg-usw2, promotes pg-use1 with its demotion token, loses nothing', async () => {
    const { report, context } = await rehearseKeepingWorld({
      configFile: CONFIG,
      events: [
        ...OUTAGE,
        // A person re-clones the fenced old primary as a replica cluster of the writer.
        { at: 2400, reclone: APP, region: 'us-east-1' },
        { at: 4000, approve: 'failback', by: 'U0APPROVER' },
      ],
      until: 9000,
    });
    expect(report.violations).toEqual([]);
    const failback = report.executions.find((e) => e.workflow === 'failback');
    expect(failback?.status).toBe('SUCCEEDED');
    const notes = databaseNotes(report);
    expect(notes).toEqual(
      expect.arrayContaining([
        'CloudNativePG cluster pg-use1 fenced: PostgreSQL stopped, data kept',
        'CloudNativePG cluster pg-use1 re-cloned as a replica cluster of pg-usw2 (by hand)',
        'CloudNativePG cluster pg-usw2 is being demoted: it takes no writes',
        'CloudNativePG cluster pg-usw2 demoted: its demotion token is written',
        "CloudNativePG cluster pg-use1 waits to replay up to its promotion token's LSN",
        'promotion of CloudNativePG cluster pg-use1 started (lag 0 s)',
      ]),
    );
    // The token is demoted pg-usw2's, and pg-use1 keeps it as the last it was promoted with.
    const use1 = context.world.cnpgCluster(APP, 'us-east-1') as {
      spec: { replica: { primary: string; promotionToken?: string } };
      status: { lastPromotionToken?: string };
    };
    const usw2 = context.world.cnpgCluster(APP, 'us-west-2') as {
      spec: { replica: { primary: string; source: string } };
      status: { demotionToken?: string };
    };
    expect(use1.spec.replica.primary).toBe('pg-use1');
    expect(use1.status.lastPromotionToken).toBe(usw2.status.demotionToken);
    expect(usw2.spec.replica).toMatchObject({ primary: 'pg-use1', source: 'pg-use1' });
    expect(writersNow(report)).toEqual(['us-east-1']);
    expect(ledgerOf(report, failback!.name)).toMatchObject({
      status: 'SUCCEEDED',
      details: { rpoSeconds: 0 },
    });
    // eu-west-1 follows the writer again.
    expect(
      (context.world.cnpgCluster(APP, 'eu-west-1') as { spec: { replica: unknown } }).spec.replica,
    ).toEqual({ primary: 'pg-use1', source: 'pg-use1' });
  });

  it('stops a failback before anything moves while the old primary has not been re-cloned, saying what to do', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      events: [
        ...OUTAGE,
        // A re-clone asked while us-east-1 is still down is not done, and says so.
        { at: 600, reclone: APP, region: 'us-east-1' },
        {
          at: 2400,
          start: 'failback',
          input: { application: APP, targetRegion: 'us-east-1', reason: 'us-east-1 is back' },
        },
      ],
      until: 3600,
    });
    expect(report.violations).toEqual([]);
    const failback = report.executions.find((e) => e.workflow === 'failback');
    expect(failback?.status).not.toBe('SUCCEEDED');
    const record = ledgerOf(report, failback!.name) as { reason?: string; details?: { reasons?: string[] } };
    expect(JSON.stringify(record)).toContain('must be re-cloned as a replica cluster of the writer');
    expect(databaseNotes(report)).toContain(
      "re-clone of ai-gateway-pg's Cluster in us-east-1 not done: us-east-1 is down: its Cluster cannot be re-cloned until the region is back",
    );
    // Nothing moved: no DNS change after the failover's, no promotion of pg-use1.
    expect(
      report.timeline.filter(
        (e) => e.application === APP && e.text.startsWith('promotion of CloudNativePG cluster pg-use1'),
      ),
    ).toEqual([]);
  });

  it('switches over with no data loss: demotion, token, promotion; the old primary follows the new one', async () => {
    let by: ReturnType<typeof promotionsBy> = [];
    const { report, context } = await rehearseKeepingWorld({
      configFile: CONFIG,
      setup: (c) => {
        by = promotionsBy(c);
      },
      events: [
        { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 3 },
        {
          at: 60,
          start: 'switchover',
          input: { application: APP, targetRegion: 'us-west-2', reason: 'us-east-1 maintenance' },
        },
        { at: 300, approve: 'switchover', by: 'U0APPROVER' },
      ],
      until: 6000,
    });
    expect(report.violations).toEqual([]);
    const run = report.executions.find((e) => e.workflow === 'switchover');
    expect(run?.status).toBe('SUCCEEDED');
    expect(ledgerOf(report, run!.name)).toMatchObject({ status: 'SUCCEEDED', details: { rpoSeconds: 0 } });
    expect(context.world.promotions.filter((p) => p.application === APP)).toEqual([
      expect.objectContaining({ region: 'us-west-2', planned: true, lagSeconds: 0 }),
    ]);
    expect(by).toEqual([{ region: 'us-west-2', by: `switchover:${run!.name}`, planned: true }]);
    // Never two writers: the demoted primary stopped taking writes before the target was promoted.
    const writerSets = report.writers.filter((w) => w.application === APP).map((w) => w.regions);
    expect(writerSets.every((regions) => regions.length <= 1)).toBe(true);
    expect(writersNow(report)).toEqual(['us-west-2']);
    expect(
      (context.world.cnpgCluster(APP, 'us-east-1') as { spec: { replica: unknown } }).spec.replica,
    ).toEqual({ primary: 'pg-usw2', source: 'pg-usw2' });
    expect(
      (context.world.cnpgCluster(APP, 'eu-west-1') as { spec: { replica: unknown } }).spec.replica,
    ).toEqual({ primary: 'pg-usw2', source: 'pg-usw2' });
    expect(awsRefusals(report)).toEqual([]);
  });

  it('passes a readiness drill that reads every Cluster, changing nothing', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      events: [{ at: 60, start: 'drill', input: { application: APP, mode: 'readiness' } }],
      until: 600,
    });
    expect(report.violations).toEqual([]);
    const execution = report.executions.find((e) => e.workflow === 'drill');
    expect(execution?.status).toBe('SUCCEEDED');
    const record = ledgerOf(report, execution!.name) as {
      status: string;
      details: { findings: { check: string; ok: boolean; severity: string; detail: string }[] };
    };
    expect(record.details.findings.filter((f) => !f.ok && f.severity === 'critical')).toEqual([]);
    expect(record.status).toBe('PASSED');
    expect(record.details.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ check: 'replica-source:us-west-2', ok: true }),
        expect.objectContaining({ check: 'replica-source:eu-west-1', ok: true }),
      ]),
    );
    expect(report.timeline.filter((e) => e.kind === 'database')).toEqual([]);
  });
});

describe('lifeboat verify with CloudNativePG scenarios', () => {
  const ROOT = fileURLToPath(new URL('../../', import.meta.url));
  async function verify(config: string): Promise<{ code: number; result: VerifyJson }> {
    let stdout = '';
    const code = await main(
      ['verify', '--config', config, 'examples/scenarios/cloudnativepg-failback.json', '--json'],
      { stdout: (t) => (stdout += t), stderr: () => undefined, cwd: ROOT },
    );
    return { code, result: JSON.parse(stdout) as VerifyJson };
  }
  interface VerifyJson {
    held: boolean;
    scenarios: { scenario: string; skipped?: string; calls: number; denied: number; malformed: number }[];
  }

  it('holds on the CloudNativePG example: every call of the failover and the failback allowed and well-formed', async () => {
    const { code, result } = await verify('examples/cloudnativepg.config.json');
    expect(code).toBe(0);
    expect(result.held).toBe(true);
    expect(result.scenarios).toEqual([
      expect.objectContaining({ scenario: 'cloudnativepg-failback', denied: 0, malformed: 0 }),
    ]);
    expect(result.scenarios[0]?.skipped).toBeUndefined();
  });

  it('skips, saying why, a re-clone on a config whose database is not CloudNativePG', async () => {
    const { result } = await verify('examples/lifeboat.config.json');
    expect(result.scenarios).toEqual([
      expect.objectContaining({
        scenario: 'cloudnativepg-failback',
        skipped: expect.stringContaining('only a CloudNativePG cluster is re-cloned by hand') as unknown,
      }),
    ]);
  });
});
