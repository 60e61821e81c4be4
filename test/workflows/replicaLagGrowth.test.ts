import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../local/scenario/Scenario.ts';
import { simulate } from '../../local/simulate/Simulation.ts';
import { twinRuntime } from '../../local/simulate/twinRuntime.ts';
import type { Report } from '../../local/report/Report.ts';
import type { World } from '../../local/world/World.ts';
import { rehearse } from '../support/scenario.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface FailoverRecord {
  readonly kind: string;
  readonly status: string;
  readonly details?: {
    readonly rpoSeconds?: number | null;
    readonly request?: {
      readonly application?: string;
      readonly targetRegion?: string;
      readonly reason?: string;
    };
    readonly preflight?: readonly { readonly check: string; readonly ok: boolean; readonly detail: string }[];
  };
}

function failovers(report: Report, application: string): FailoverRecord[] {
  return (report.ledger as unknown as FailoverRecord[]).filter(
    (r) => r.kind === 'failover' && r.details?.request?.application === application,
  );
}

/**
 * RDS for PostgreSQL's ReplicaLag is now() minus the last replayed transaction: it grows while the
 * source is down. The lag gate and the RPO measure what the replica lacked when replication stopped
 * (docs/replica-lag.md), not the outage's length.
 */
describe('replica lag while the source is down (on the AWS twin)', () => {
  describe('the default outage, to the promotion', () => {
    let report: Report;
    let world: World;
    /** eu-west-1's datapoints read while it still replicates from us-east-1 (FollowWriter later replaces it). */
    const euWest1: Record<number, { at: number; seconds: number }[]> = {};
    beforeAll(async () => {
      report = await rehearse({
        setup: (context) => {
          world = context.world;
          for (const at of [540, 660]) {
            context.clock.schedule(at + 1, () => {
              euWest1[at] = context.world.replicaLagSeries('ai-gateway', 'eu-west-1', at, at, 60);
            });
          }
        },
        until: 1200,
        events: [
          { at: 0, fault: 'region-outage', region: 'us-east-1' },
          { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 4 },
          // Route 53's API returns with us-east-1: the run's DNS change, and its record, complete.
          { at: 600, recover: 'region-outage', region: 'us-east-1' },
        ],
      });
    });

    it("grows us-west-2's ReplicaLag one second a second from the 4 s it had", () => {
      // eu-west-1 follows us-east-1 too, and is not promoted: its lag grows until us-east-1 returns.
      expect(euWest1[540]).toEqual([{ at: 540, seconds: 540 }]);
      expect(euWest1[660]).toEqual([{ at: 660, seconds: 0 }]);
      // us-west-2 is promoted by now: it publishes no ReplicaLag any more; its datapoints before did.
      const series = world.replicaLagSeries('ai-gateway', 'us-west-2', -120, 120, 60);
      expect(series).toEqual([
        { at: 120, seconds: 124 },
        { at: 60, seconds: 64 },
        { at: 0, seconds: 4 },
        { at: -60, seconds: 4 },
        { at: -120, seconds: 4 },
      ]);
    });

    it('fails over on its own, with 4 s at risk by the gate and 4 s of RPO, and no violation', () => {
      expect(report.violations).toEqual([]);
      const [record] = failovers(report, 'ai-gateway');
      expect(record?.status).toBe('SUCCEEDED');
      const lag = record?.details?.preflight?.find((c) => c.check === 'replica-lag');
      expect(lag?.ok).toBe(true);
      expect(record?.details?.rpoSeconds).toBe(4);
      expect(report.applications['ai-gateway']?.rpoSeconds).toBe(4);
    });
  });

  describe('replication into us-west-2 broke ten minutes before the outage (examples/scenarios/replication-stopped-before-outage.json)', () => {
    let report: Report;
    beforeAll(async () => {
      report = await simulate({
        scenario: loadScenario('examples/scenarios/replication-stopped-before-outage.json', ROOT),
        ...twinRuntime(),
      });
    });

    it('fails over to eu-west-1, saying us-west-2 may lack the 602 s of writes since its replication stopped', () => {
      expect(report.violations).toEqual([]);
      const [record] = failovers(report, 'ai-gateway');
      expect(record?.status).toBe('SUCCEEDED');
      expect(record?.details?.request?.targetRegion).toBe('eu-west-1');
      expect(record?.details?.request?.reason).toMatch(
        /eu-west-1 chosen over us-west-2: us-west-2 602 s of writes at risk against the 30 s budget; eu-west-1 3 s of writes at risk, no capacity issue$/,
      );
      expect(record?.details?.rpoSeconds).toBe(3);
      expect(report.applications['ai-gateway']?.rpoSeconds).toBe(3);
    });
  });

  describe('every standby stopped replicating before the outage', () => {
    let report: Report;
    beforeAll(async () => {
      report = await rehearse({
        until: 2400,
        events: [
          { at: 0, fault: 'replication-stall', region: 'us-west-2' },
          { at: 0, fault: 'replication-stall', region: 'eu-west-1' },
          { at: 600, fault: 'region-outage', region: 'us-east-1' },
          { at: 900, approve: 'failover', by: 'U0APPROVER' },
          { at: 1800, recover: 'region-outage', region: 'us-east-1' },
        ],
      });
    });

    it('asks a person, saying what may be lost, and promotes only on their approval', () => {
      const ask = report.slack.find((m) => m.text.includes('Fail over ai-gateway to us-west-2?'));
      expect(ask?.text).toContain(
        'replication stopped at 2030-01-01T00:00:00.000Z with 0 s of lag; the metric reads',
      );
      expect(ask?.text).toContain('the source may have taken 600 s of writes the replica never received');
      const promoted = report.timeline.find((t) => /promotion of ai-gateway-db-usw2 started/.test(t.text));
      expect(promoted?.at).toBeGreaterThanOrEqual(900);
    });

    it('records the 600 s it lost as its RPO, past the target, with no invariant broken (a person decided)', () => {
      expect(report.violations).toEqual([]);
      const [record] = failovers(report, 'ai-gateway');
      expect(record?.details?.rpoSeconds).toBe(600);
      expect(report.applications['ai-gateway']?.rpoSeconds).toBe(600);
    });
  });

  describe("an Aurora secondary's lag metric stops with its primary Region", () => {
    let report: Report;
    beforeAll(async () => {
      report = await rehearse({
        until: 1500,
        events: [
          { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 1 },
          { at: 0, fault: 'region-outage', region: 'us-east-1' },
          {
            at: 300,
            start: 'failover',
            input: {
              application: 'ai-gateway-drill',
              targetRegion: 'us-west-2',
              reason: 'us-east-1 is down',
            },
          },
          { at: 900, recover: 'region-outage', region: 'us-east-1' },
        ],
      });
    });

    it('takes the last datapoint before it stopped as what the failover loses', () => {
      expect(report.violations).toEqual([]);
      const [record] = failovers(report, 'ai-gateway-drill');
      expect(record?.status).toBe('SUCCEEDED');
      const lag = record?.details?.preflight?.find((c) => c.check === 'replica-lag');
      expect(lag?.detail).toBe('the lag metric stopped at 2029-12-31T23:59:00.000Z with 1 s (budget 30 s)');
      expect(record?.details?.rpoSeconds).toBe(1);
    });
  });
});
