import type { SimulationContext } from '../../local/simulate/Simulation.ts';
import type { ApprovalStatus } from '../../shared/ports/Approvals.ts';
import { buttonsOf } from '../../shared/slack/messages.ts';
import { rehearse } from '../support/scenario.ts';

/**
 * us-east-1 fails at 120 s and returns at 900 s; the automatic failover moves ai-gateway to us-west-2.
 * Each offer stays open 3500 s (slack.approvalTimeoutSeconds), so its deadline falls between two runs
 * of the offer's 5-minute schedule and a press can land on an offer past its deadline that no run has
 * closed yet.
 */
const EVENTS = [
  { at: 120, fault: 'region-outage', region: 'us-east-1' },
  { at: 900, recover: 'region-outage', region: 'us-east-1' },
];

function shortenOffers(doc: Record<string, unknown>): void {
  (doc.slack as Record<string, unknown>).approvalTimeoutSeconds = 3500;
}

/**
 * The approvals behind every message that had buttons, as the table holds them just before `until`
 * (read through the runtime's own store, as the offer and the callback read them).
 */
function watchApprovals(until: number): {
  setup: (context: SimulationContext) => void;
  statuses: Map<string, ApprovalStatus | undefined>;
} {
  const statuses = new Map<string, ApprovalStatus | undefined>();
  return {
    statuses,
    setup: (context) => {
      context.clock.every(60, 60, () => {
        for (const message of context.world.slack) {
          const buttons = buttonsOf(message.blocks);
          if (buttons !== undefined && !statuses.has(buttons.approvalId))
            statuses.set(buttons.approvalId, undefined);
        }
      });
      context.clock.schedule(until - 30, () => {
        void context.clock.track(
          (async () => {
            for (const id of statuses.keys()) statuses.set(id, (await context.approvals.get(id))?.status);
          })(),
        );
      });
    },
  };
}

describe('failback offer (real ASL, the offer schedule on the AWS twin)', () => {
  it('expires an unanswered offer, answers a late press on it, offers again and fails back on the new one', async () => {
    const watched = watchApprovals(18000);
    const report = await rehearse({
      config: shortenOffers,
      setup: watched.setup,
      events: [
        ...EVENTS,
        // Past the first offer's deadline (6500 s), before the offer run at 6600 s closes it.
        { at: 6550, approve: 'failback', by: 'U0APPROVER' },
        // On the second offer, long after the first would have closed.
        { at: 11400, approve: 'failback', by: 'U0APPROVER' },
      ],
      until: 18000,
    });
    expect(report.violations).toEqual([]);

    const posted = report.slack.filter((m) => /^\*?Fail ai-gateway back to us-east-1\?/.test(m.text));
    expect(posted).toHaveLength(2);
    const [first, second] = posted as [(typeof posted)[0], (typeof posted)[0]];
    // The first offer: posted once us-east-1 had been healthy 30 minutes, open 3500 s.
    expect(first.at).toBeGreaterThan(900 + 1800);
    expect(first.at).toBeLessThan(3300);
    // The late press closed it: its message says so and has no buttons left.
    expect(first.updatedAt).toBeCloseTo(6550, 0);
    expect(first.text).toContain(':hourglass: Expired unanswered');
    expect(first.actions).toEqual([]);
    // The presser alone was told that no offer is open and how to fail back by hand.
    const answers = report.slack.filter((m) => m.onlyFor !== undefined);
    expect(answers).toEqual([
      expect.objectContaining({
        onlyFor: 'U0APPROVER',
        text: expect.stringContaining(
          'is expired: your press changed nothing. No offer is open now',
        ) as string,
      }),
    ]);
    expect(answers[0]!.text).toContain('lifeboat start failback --app ai-gateway --to us-east-1');
    // Nothing started on the late press.
    const failbacks = report.executions.filter((e) => e.workflow === 'failback');
    expect(failbacks).toHaveLength(1);
    expect(failbacks[0]!.startedAt).toBeGreaterThanOrEqual(11400);

    // The second offer: no sooner than reofferAfterSeconds (1800 s) after the first's deadline.
    const firstDeadline = first.at + 3500;
    expect(second.at).toBeGreaterThanOrEqual(firstDeadline + 1800);
    expect(second.at).toBeLessThan(firstDeadline + 1800 + 300 + 5);
    expect(second.text).toContain('Approved by <@U0APPROVER>');
    expect(failbacks[0]).toMatchObject({ status: 'SUCCEEDED' });

    // The table agrees: the first EXPIRED (no longer counted as waiting), the second APPROVED.
    expect([...watched.statuses.values()]).toEqual(['EXPIRED', 'APPROVED']);
  });

  it('closes an expired offer at the next offer run even when nobody presses, and keeps offering while the primary stays healthy', async () => {
    const watched = watchApprovals(12600);
    const report = await rehearse({
      config: shortenOffers,
      setup: watched.setup,
      events: EVENTS,
      until: 12600,
    });
    expect(report.violations).toEqual([]);
    const posted = report.slack.filter((m) => /^\*?Fail ai-gateway back to us-east-1\?/.test(m.text));
    // Offers at about 50 min, 2 h 20 min and 3 h 50 min: each open 3500 s, then 1800 s before the next.
    expect(posted.map((m) => Math.round(m.at / 100) * 100)).toEqual(
      [3000, 8400, 12600].slice(0, posted.length),
    );
    expect(posted.length).toBeGreaterThanOrEqual(2);
    const closed = posted.filter((m) => m.actions.length === 0);
    for (const message of closed) {
      expect(message.text).toContain(':hourglass: Expired unanswered');
      // Closed by the first offer run after its deadline: within the schedule's 5 minutes.
      expect(message.updatedAt! - (message.at + 3500)).toBeLessThanOrEqual(300 + 5);
    }
    expect(closed.length).toBeGreaterThanOrEqual(1);
    expect(report.executions.filter((e) => e.workflow === 'failback')).toEqual([]);
    // The closed offers are EXPIRED in the table (no longer counted as waiting); only the newest is open.
    expect([...watched.statuses.values()]).toEqual([
      ...closed.map(() => 'EXPIRED'),
      ...(posted.length > closed.length ? ['PENDING'] : []),
    ]);
  });
});
