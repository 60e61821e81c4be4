import type { Report } from '../../local/report/Report.ts';
import { rehearse } from '../support/scenario.ts';

/**
 * The person on call hears from the failover as it happens: when it starts, and as soon as the
 * service is restored (the target writes and serves, the fences keep every other region out of the
 * answers), not only when its DNS change finally lands after us-east-1 returns.
 */
describe("the failover's incident messages in the default outage (real ASL, on the AWS twin)", () => {
  let report: Report;
  beforeAll(async () => {
    report = await rehearse({
      events: [
        { at: 0, fault: 'region-outage', region: 'us-east-1' },
        { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 4 },
      ],
      latency: { rdsPromoteSeconds: 300 },
      until: 900,
    });
  });

  it('posts its first message within a minute of the run starting, saying what and why', () => {
    const [run] = report.executions.filter((e) => e.workflow === 'failover');
    expect(run?.status).toBe('RUNNING');
    const [first] = report.slack;
    expect(first?.at).toBeGreaterThanOrEqual(run!.startedAt);
    expect(first!.at - run!.startedAt).toBeLessThan(60);
    expect(first?.text).toMatch(
      /^Lifeboat is failing ai-gateway over from us-east-1 to us-west-2 \(automatic: /,
    );
  });

  it('says the service is restored within a minute of the restore, long before the weights can move', () => {
    const restoredAt = report.applications['ai-gateway']?.restoredAt;
    expect(restoredAt).toEqual(expect.any(Number));
    const restored = report.slack.find((m) => m.text.startsWith('Service restored: ai-gateway in us-west-2'));
    expect(restored).toBeDefined();
    expect(Math.abs(restored!.at - restoredAt!)).toBeLessThan(60);
    expect(restored?.text).toContain('DNS answers with us-west-2 alone (us-east-1 is fenced)');
    // Route 53's API is down with us-east-1: the weights have not moved yet.
    expect(report.timeline.filter((t) => t.kind === 'dns-insync')).toEqual([]);
    expect(report.violations).toEqual([]);
  });
});
