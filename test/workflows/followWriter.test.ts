import type { Report } from '../../local/report/Report.ts';
import type { SimulationContext } from '../../local/simulate/Simulation.ts';
import { rehearseKeepingWorld } from '../support/scenario.ts';

/**
 * After the writer moves, every other region's database follows it, or the run's record says why
 * not: the real failover and failback ASL over the AWS twin, on the three-region example.
 */
const OUTAGE = { at: 0, fault: 'region-outage', region: 'us-east-1' };
const RECOVERY = { at: 1800, recover: 'region-outage', region: 'us-east-1' };
const APPROVE = { at: 4000, approve: 'failback', by: 'U0APPROVER' };

interface Follower {
  region: string;
  state: string;
  final: boolean;
  detail: string;
  renamedTo?: string;
}

function replicasOf(report: Report, kind: 'failover' | 'failback'): Follower[] | undefined {
  const run = report.ledger.find(
    (r) =>
      (r as { kind?: unknown }).kind === kind &&
      (r as { application?: unknown }).application === 'ai-gateway',
  ) as { status?: string; details?: { replicas?: { followers?: Follower[] } } } | undefined;
  expect(run?.status).toBe('SUCCEEDED');
  return run?.details?.replicas?.followers;
}

function databaseNotes(report: Report, region: string): string[] {
  return report.timeline
    .filter((t) => t.kind === 'database' && t.application === 'ai-gateway' && t.region === region)
    .map((t) => t.text);
}

describe('the other regions follow the new writer (RDS read replicas, three regions)', () => {
  let report: Report;
  let context: SimulationContext;
  beforeAll(async () => {
    ({ report, context } = await rehearseKeepingWorld({ events: [OUTAGE, RECOVERY, APPROVE], until: 12000 }));
  });

  it('holds every safety invariant through the failover and the failback', () => {
    expect(report.violations).toEqual([]);
  });

  it('after the failover, renames eu-west-1’s replica of the old primary, keeps it, and builds a replica of us-west-2', () => {
    const followers = replicasOf(report, 'failover');
    expect(followers).toEqual([
      expect.objectContaining({ region: 'us-east-1', state: 'left', final: true }),
      expect.objectContaining({
        region: 'eu-west-1',
        state: 'building',
        final: true,
        renamedTo: expect.stringMatching(/^ai-gateway-db-euw1-pre-failover-\d{12}$/) as unknown,
      }),
    ]);
    const notes = databaseNotes(report, 'eu-west-1');
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^ai-gateway-db-euw1 \(replica\) renamed to ai-gateway-db-euw1-pre-failover-\d{12} and kept$/,
        ),
        'read replica ai-gateway-db-euw1 of ai-gateway-db-usw2 (us-west-2) being created',
      ]),
    );
    // Nothing waits for them: the replicas are seen to once the run is recorded and announced, and
    // its record is written again with where they stand before the lock is released.
    const failover = report.executions.find((e) => e.workflow === 'failover' && e.status === 'SUCCEEDED')!;
    const names = failover.states.map((s) => s.name);
    expect(names.indexOf('FollowWriter')).toBeGreaterThan(names.indexOf('NotifySuccess'));
    expect(names.indexOf('RecordReplicas')).toBeGreaterThan(names.lastIndexOf('FollowWriter'));
    expect(names.indexOf('ReleaseLock')).toBeGreaterThan(names.indexOf('RecordReplicas'));
  });

  it('after the failback, eu-west-1 follows us-east-1 again, and says so in the incident thread', () => {
    const followers = replicasOf(report, 'failback');
    expect(followers).toEqual([
      expect.objectContaining({ region: 'us-west-2', state: 'left' }),
      expect.objectContaining({
        region: 'eu-west-1',
        state: 'building',
        renamedTo: expect.stringMatching(/^ai-gateway-db-euw1-pre-failback-\d{12}$/) as unknown,
      }),
    ]);
    expect(context.world.inspectDatabase('ai-gateway', 'eu-west-1')).toEqual({
      identifier: 'ai-gateway-db-euw1',
      role: 'replica',
      sourceRegion: 'us-east-1',
    });
    expect(context.world.inspectDatabase('ai-gateway', 'us-west-2')).toMatchObject({
      role: 'replica',
      sourceRegion: 'us-east-1',
    });
    const replies = report.slack.filter((m) => m.text.startsWith('*Replicas* of the new writer'));
    expect(replies.map((m) => m.text.split('\n')[0])).toEqual([
      '*Replicas* of the new writer in us-west-2:',
      '*Replicas* of the new writer in us-east-1:',
    ]);
    expect(replies.every((m) => m.thread !== undefined)).toBe(true);
  });

  it('makes each call with the database function’s own grant, well-formed by AWS’s API model', () => {
    const calls = (report.awsCalls ?? []).filter(
      (c) =>
        c.function === 'lifeboat-database' &&
        c.region === 'eu-west-1' &&
        ['ModifyDBInstance', 'CreateDBInstanceReadReplica'].includes(c.operation),
    );
    expect(calls.every((c) => c.decision === 'allowed' && c.modelErrors.length === 0)).toBe(true);
    // A request for the replica while the rename still holds the identifier is refused by RDS
    // (DBInstanceAlreadyExists) and asked again: the rename, then the creation, once per run.
    const operations = calls.map((c) => c.operation).filter((op, i, all) => op !== all[i - 1]);
    expect(operations).toEqual([
      'ModifyDBInstance',
      'CreateDBInstanceReadReplica',
      'ModifyDBInstance',
      'CreateDBInstanceReadReplica',
    ]);
  });
});

describe('the other regions follow the new writer (Aurora global database, three regions)', () => {
  let report: Report;
  let context: SimulationContext;
  beforeAll(async () => {
    ({ report, context } = await rehearseKeepingWorld({
      events: [OUTAGE, RECOVERY, APPROVE],
      until: 9000,
      config: (doc) => {
        const app = doc.applications[0] as { database: unknown };
        app.database = {
          engine: 'aurora-global',
          globalClusterIdentifier: 'ai-gateway-global',
          clusters: {
            'us-east-1': 'ai-gateway-use1',
            'us-west-2': 'ai-gateway-usw2',
            'eu-west-1': 'ai-gateway-euw1',
          },
        };
      },
    }));
  });

  it('lets Aurora rebuild eu-west-1 from the new primary, asks nothing of it, and records where it stands', () => {
    expect(report.violations).toEqual([]);
    expect(databaseNotes(report, 'eu-west-1')).toEqual([
      'Aurora cluster ai-gateway-euw1 is being rebuilt as a secondary of us-west-2',
      'Aurora cluster ai-gateway-euw1 rebuilt: it replicates from us-west-2',
    ]);
    expect(databaseNotes(report, 'us-east-1')).toContain(
      'Aurora cluster ai-gateway-use1 rejoined as a secondary of us-west-2',
    );
    const [old, third] = replicasOf(report, 'failover') ?? [];
    expect(old).toMatchObject({ region: 'us-east-1', state: 'left' });
    expect(['follows', 'building']).toContain(third?.state);
    expect(third?.final).toBe(true);
    const mutations = (report.awsCalls ?? []).filter(
      (c) =>
        c.region === 'eu-west-1' && ['ModifyDBInstance', 'CreateDBInstanceReadReplica'].includes(c.operation),
    );
    expect(mutations).toEqual([]);
  });

  it('keeps the topology through the failback’s switchover: eu-west-1 follows us-east-1', () => {
    expect(replicasOf(report, 'failback')).toEqual([
      expect.objectContaining({ region: 'us-west-2', state: 'left' }),
      expect.objectContaining({ region: 'eu-west-1', state: 'follows', detail: 'replicates from us-east-1' }),
    ]);
    expect(context.world.inspectDatabase('ai-gateway', 'eu-west-1')).toMatchObject({
      role: 'replica',
      sourceRegion: 'us-east-1',
    });
  });
});

describe('a region that cannot be made to follow the writer', () => {
  it('is named in the record with the reason, and the failover still succeeds', async () => {
    const { report, context } = await rehearseKeepingWorld({
      events: [
        OUTAGE,
        RECOVERY,
        {
          at: 0,
          fault: 'api-error',
          service: 'rds',
          operation: 'ModifyDBInstance',
          region: 'eu-west-1',
          error: 'InvalidDBInstanceStateFault',
          permanent: true,
        },
        // The readiness drill then says eu-west-1 follows the old primary.
        { at: 3000, start: 'drill', input: { application: 'ai-gateway', mode: 'readiness' } },
      ],
      until: 3600,
    });
    expect(report.violations).toEqual([]);
    const [, third] = replicasOf(report, 'failover') ?? [];
    expect(third).toMatchObject({
      region: 'eu-west-1',
      state: 'left',
      final: true,
      detail: expect.stringMatching(
        /^not made to follow us-west-2: InvalidDBInstanceStateFault: /,
      ) as unknown,
    });
    const drill = report.executions.find((e) => e.workflow === 'drill')!;
    const findings = (
      report.ledger.find((r) => (r as { executionName?: string }).executionName === drill.name) as {
        details: { findings: { check: string; severity: string; ok: boolean; detail: string }[] };
      }
    ).details.findings;
    expect(findings.filter((f) => f.check.startsWith('replica-source:'))).toEqual([
      {
        check: 'replica-source:us-east-1',
        severity: 'critical',
        ok: false,
        detail:
          "us-east-1's database is a writer, not a replica of the writer in us-west-2 (docs/topology.md)",
      },
      {
        check: 'replica-source:eu-west-1',
        severity: 'warning',
        ok: false,
        detail:
          "eu-west-1's database replicates from us-east-1, not from the writer in us-west-2: a failover to it would lose every write since; make it a replica of us-west-2 (docs/topology.md)",
      },
    ]);
    // Nothing was changed there: the replica of the old primary is as it was.
    expect(context.world.inspectDatabase('ai-gateway', 'eu-west-1')).toMatchObject({
      identifier: 'ai-gateway-db-euw1',
      role: 'replica',
      sourceRegion: 'us-east-1',
    });
  });
});
