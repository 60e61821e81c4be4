import type { Report } from '../../local/report/Report.ts';
import { oldWriterAllowanceSeconds } from '../../local/invariants/InvariantChecker.ts';
import { DEFAULT_LATENCY } from '../../local/world/LatencyModel.ts';
import { rehearse } from '../support/scenario.ts';

/**
 * An old RDS writer that comes back after a failover is cut off from its clients: moved into the
 * region's quarantine security group, then rebooted once the group is active, by the offer schedule
 * of its region (issue: no database but the promoted one accepts client writes for longer than that).
 */
describe('quarantine of the old writer (the default outage, on the AWS twin)', () => {
  const events = [
    { at: 0, fault: 'region-outage', region: 'us-east-1' },
    { at: 1800, recover: 'region-outage', region: 'us-east-1' },
  ];
  let report: Report;
  beforeAll(async () => {
    report = await rehearse({ events, until: 3600 });
  });

  const notes = () =>
    report.timeline
      .filter(
        (t) =>
          t.application === 'ai-gateway' && t.region === 'us-east-1' && /ai-gateway-db-use1/.test(t.text),
      )
      .map((t) => [t.at, t.text] as const);

  it('moves the returned writer into its quarantine group, then reboots it once the group is active', () => {
    expect(report.violations).toEqual([]);
    const texts = notes().map(([, text]) => text);
    expect(texts).toEqual([
      'ai-gateway-db-use1 moved to security group sg-0a1b2c3d4e5f60001',
      'ai-gateway-db-use1 rebooting',
      'ai-gateway-db-use1 rebooted: quarantined, no client connection is open or can be made',
    ]);
    const [moved, , rebooted] = notes();
    expect(moved![0]).toBeGreaterThanOrEqual(1800);
    expect(rebooted![0] - 1800).toBeLessThanOrEqual(oldWriterAllowanceSeconds(DEFAULT_LATENCY));
  });

  it('records the quarantine in the ledger with the groups it had, and does it once', () => {
    const runs = report.ledger.filter((r) => (r as { kind?: unknown }).kind === 'quarantine');
    expect(runs).toEqual([
      expect.objectContaining({
        application: 'ai-gateway',
        status: 'SUCCEEDED',
        details: expect.objectContaining({
          region: 'us-east-1',
          identifier: 'ai-gateway-db-use1',
          quarantineSecurityGroupId: 'sg-0a1b2c3d4e5f60001',
          securityGroupIdsBefore: ['sg-0a000000000000001'],
        }) as unknown,
      }),
    ]);
    // Later offer runs find it done: one move, one reboot, every call allowed and well-formed.
    const calls = (report.awsCalls ?? []).filter(
      (c) =>
        c.function === 'lifeboat-offer' && ['ModifyDBInstance', 'RebootDBInstance'].includes(c.operation),
    );
    expect(calls.map((c) => [c.operation, c.region, c.decision, c.modelErrors])).toEqual([
      ['ModifyDBInstance', 'us-east-1', 'allowed', []],
      ['RebootDBInstance', 'us-east-1', 'allowed', []],
    ]);
  });

  it('leaves no second writer once rebooted: only us-west-2 accepts client writes', () => {
    const last = report.writers.filter((w) => w.application === 'ai-gateway').at(-1);
    expect(last?.regions).toEqual(['us-west-2']);
  });

  it('cuts the old writer off while the failover that promoted its standby still runs (its lock names the target)', async () => {
    // Route 53's API returns with us-east-1 just after one of ShiftTraffic's backed-off retries: the
    // failover runs on for minutes, and has written no record yet, when the old writer answers.
    const promotion = [
      { at: 0, fault: 'region-outage', region: 'us-east-1' },
      { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 4 },
      { at: 0, fault: 'database-backup', region: 'us-west-2' },
      { at: 900, recover: 'database-backup', region: 'us-west-2' },
      { at: 2400, recover: 'region-outage', region: 'us-east-1' },
    ];
    const report = await rehearse({ events: promotion, until: 3600 });
    expect(report.violations).toEqual([]);
    const moved = report.timeline.find((t) =>
      t.text.startsWith('ai-gateway-db-use1 moved to security group'),
    )!;
    const [run] = report.executions.filter((e) => e.workflow === 'failover');
    // Quarantined before the failover ended.
    expect(moved.at).toBeLessThan(run!.stoppedAt!);
  });

  it('reports the old writer as a split brain at the database when no quarantine group is configured', async () => {
    const without = await rehearse({
      events,
      until: 3600,
      config: (doc) => {
        delete (doc.applications[0] as { database: { quarantineSecurityGroupIds?: unknown } }).database
          .quarantineSecurityGroupIds;
      },
    });
    expect(without.violations).toEqual([
      'invariant 6 at 2640 s: the database of ai-gateway in us-east-1 has accepted client writes for 840 s after us-west-2 was promoted; quarantine it (database.quarantineSecurityGroupIds)',
    ]);
  });
});

describe('quarantine after a failover and a switchover that moved the writer on (on the AWS twin)', () => {
  it('still cuts the old writer off when it returns after the writer moved to a third region', async () => {
    const report = await rehearse({
      config: (doc) => {
        const app = doc.applications[0] as {
          regions: string[];
          switchover?: unknown;
          backup?: { copyToRegion?: string };
        };
        app.regions = ['us-west-2', 'us-east-1', 'eu-west-1'];
        app.switchover = { approval: 'none' };
        if (app.backup !== undefined) app.backup.copyToRegion = 'us-east-1';
      },
      events: [
        // us-west-2 (the primary) fails; the automatic failover moves ai-gateway to us-east-1.
        { at: 0, fault: 'region-outage', region: 'us-west-2' },
        // While it is still down, a switchover moves the writer and the traffic on to eu-west-1.
        {
          at: 3000,
          start: 'switchover',
          input: { application: 'ai-gateway', targetRegion: 'eu-west-1', reason: 'region move' },
        },
        { at: 8000, recover: 'region-outage', region: 'us-west-2' },
      ],
      until: 9600,
    });
    expect(report.violations).toEqual([]);
    expect(
      report.executions.filter((e) => e.workflow !== 'backup').map((e) => [e.workflow, e.status]),
    ).toEqual([
      ['failover', 'SUCCEEDED'],
      ['switchover', 'SUCCEEDED'],
    ]);
    // The switchover rebuilt us-east-1, not us-west-2: its returning writer is still the failover's leftover.
    const notes = report.timeline
      .filter((t) => t.region === 'us-west-2' && /ai-gateway-db-usw2/.test(t.text))
      .map((t) => t.text);
    expect(notes).toEqual(
      expect.arrayContaining([
        'ai-gateway-db-usw2 moved to security group sg-0a1b2c3d4e5f60002',
        'ai-gateway-db-usw2 rebooted: quarantined, no client connection is open or can be made',
      ]),
    );
    expect(
      report.slack.some((m) =>
        m.text.includes(
          'came back writable after the failover away from it (the writer is now in eu-west-1)',
        ),
      ),
    ).toBe(true);
  });
});
