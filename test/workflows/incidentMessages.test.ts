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

  it('keeps the incident in one thread: each phase a reply to the first message, the restore shown in the channel too', () => {
    const [first, ...rest] = report.slack;
    expect(first?.thread).toBeUndefined();
    expect(first?.ts).toEqual(expect.any(String));
    const replies = rest.map((m) => [m.thread?.ts, m.thread?.broadcast, m.text.split(/[:.]/)[0]]);
    // The promotion takes 300 s here: the workloads are ready first.
    expect(replies).toEqual([
      [first?.ts, false, '*Fenced* us-east-1 and eu-west-1'],
      [first?.ts, false, '*Workloads ready* in us-west-2'],
      [first?.ts, false, '*Database promoted'],
      [first?.ts, true, 'Service restored'],
    ]);
    expect(rest[0]?.text).toContain('Route 53 stops answering with them within about two minutes');
    expect(rest[1]?.text).toMatch(/`ai-gateway\/litellm` \d+ pods ready \(4 needed\)/);
    expect(rest[2]?.text).toMatch(
      /us-west-2's database takes writes \(\w+\); about 4 s of the source's last writes may be missing \(RPO target 60 s\)\.$/,
    );
  });
});

describe("the failover's thread to its end (real ASL, on the AWS twin)", () => {
  it('replies when the traffic has moved, and ends with the outcome shown in the channel', async () => {
    const report = await rehearse({
      events: [
        { at: 0, fault: 'region-outage', region: 'us-east-1' },
        { at: 900, recover: 'region-outage', region: 'us-east-1' },
      ],
      until: 1500,
    });
    const run = report.executions.find((e) => e.workflow === 'failover');
    expect(run?.status).toBe('SUCCEEDED');
    const root = report.slack.find((m) => m.text.startsWith('Lifeboat is failing ai-gateway over'));
    const thread = report.slack.filter((m) => m.thread?.ts === root?.ts);
    expect(thread.map((m) => m.text.split(/[:(]/)[0])).toEqual([
      '*Fenced* us-east-1 and eu-west-1',
      '*Workloads ready* in us-west-2',
      '*Database promoted',
      'Service restored',
      '*Traffic moved',
      'Lifeboat failed ai-gateway over from us-east-1 to us-west-2 ',
      // Then where eu-west-1's database stands against the new writer (FollowWriter).
      '*Replicas* of the new writer in us-west-2',
    ]);
    expect(thread.at(-3)?.text).toMatch(
      /^\*Traffic moved:\* Route 53 applied the weights us-east-1=0, us-west-2=100 \(in sync, change `\w+`\)/,
    );
    // The end is shown in the channel too; the replicas' reply stays in the thread.
    expect(thread.at(-2)?.thread?.broadcast).toBe(true);
    expect(thread.at(-1)?.thread?.broadcast).toBe(false);
    expect(thread.at(-1)?.text).toContain(
      '• eu-west-1 (building): the old replica was renamed ai-gateway-db-euw1-pre-failover-',
    );
    expect(report.violations).toEqual([]);
  });
});
