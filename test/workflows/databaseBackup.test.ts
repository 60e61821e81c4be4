import type { Report } from '../../local/report/Report.ts';
import { failovers, promotions, rehearse } from '../support/scenario.ts';

/**
 * RDS and its backups around a promotion (on the AWS twin): a read replica in its backup window
 * refuses PromoteReadReplica ("a read replica cannot be promoted to a standalone instance when it is
 * in the backing-up status", API_PromoteReadReplica), and a promoted instance is backed up while it
 * already takes writes.
 */

const OUTAGE = { at: 0, fault: 'region-outage', region: 'us-east-1' };
// Route 53's API returns with us-east-1: the run's DNS change, and its record, complete.
const RETURN = { at: 2400, recover: 'region-outage', region: 'us-east-1' };

describe('promotion and RDS backups (on the AWS twin)', () => {
  describe('the standby is backing up when the outage begins', () => {
    let report: Report;
    beforeAll(async () => {
      report = await rehearse({
        until: 3600,
        events: [
          OUTAGE,
          { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 4 },
          { at: 0, fault: 'database-backup', region: 'us-west-2' },
          { at: 900, recover: 'database-backup', region: 'us-west-2' },
          RETURN,
        ],
      });
    });

    it('asks again each minute until the backup ends, then promotes it once and finishes the failover', () => {
      const [run] = failovers(report);
      expect(run?.status).toBe('SUCCEEDED');
      const attempts = run!.states.filter((s) => s.name === 'PromoteDatabase');
      // One refused attempt after another until the backup ends at 900 s, then the promotion.
      expect(attempts.length).toBeGreaterThan(5);
      expect(promotions(report)).toHaveLength(1);
      const promotion = report.timeline.find((t) => /promotion of .* started/.test(t.text));
      expect(promotion?.at).toBeGreaterThanOrEqual(900);
      expect(promotion?.at).toBeLessThan(900 + 60 + 5);
      expect(report.violations).toEqual([]);
    });

    it('each refused attempt is a PromoteReadReplica call the role may make', () => {
      const calls = report.awsCalls?.filter((c) => c.operation === 'PromoteReadReplica') ?? [];
      expect(calls.length).toBeGreaterThan(5);
      expect(calls.every((c) => c.decision === 'allowed' && c.function === 'lifeboat-database')).toBe(true);
    });
  });

  it('does not wait for the backup RDS takes of the promoted instance: it serves while it is backing-up', async () => {
    const events = [OUTAGE, { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 4 }, RETURN];
    const withBackup = await rehearse({ until: 3000, events });
    const without = await rehearse({ until: 3000, events, latency: { rdsPostPromotionBackupSeconds: 0 } });
    expect(failovers(withBackup)[0]?.status).toBe('SUCCEEDED');
    expect(withBackup.rtoSeconds).not.toBeNull();
    expect(withBackup.rtoSeconds).toBe(without.rtoSeconds);
    expect(withBackup.violations).toEqual([]);
  });
});
