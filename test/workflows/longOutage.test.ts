import type { Report } from '../../local/report/Report.ts';
import { rehearse } from '../support/scenario.ts';

/**
 * us-east-1, and with it Route 53's API, stays down for four hours. The failover's DNS change is
 * retried for about 24 hours (5 s growing to 5 min apart), so the run waits it out instead of
 * failing after an hour; the fences keep us-east-1 out of the answers meanwhile.
 */
describe('a four-hour outage of us-east-1 (on the AWS twin)', () => {
  let report: Report;
  beforeAll(async () => {
    report = await rehearse({
      events: [
        { at: 0, fault: 'region-outage', region: 'us-east-1' },
        { at: 14400, recover: 'region-outage', region: 'us-east-1' },
      ],
      until: 15000,
    });
  });

  it('keeps the failover retrying its DNS change until Route 53 answers, and it succeeds', () => {
    expect(report.violations).toEqual([]);
    const [run] = report.executions.filter((e) => e.workflow === 'failover');
    expect(run?.status).toBe('SUCCEEDED');
    const retries = run!.states.filter((s) => s.name === 'ShiftTraffic' && s.status === 'RETRIED');
    // Five minutes apart once the backoff reaches its cap: about 12 an hour for four hours.
    expect(retries.length).toBeGreaterThan(40);
    expect(retries.length).toBeLessThan(300);
    expect(report.world.regions['us-west-2']?.applications['ai-gateway']?.dnsWeight).toBe(100);
  });

  it('answers with us-west-2 alone from the fence on, through the whole outage', () => {
    const answers = report.dns.filter((d) => d.application === 'ai-gateway');
    const fenced = answers.findIndex((d) => d.answers.join() === 'us-west-2');
    expect(answers[fenced]?.at).toBeLessThan(300);
    expect(answers.slice(fenced).every((d) => d.answers.join() === 'us-west-2')).toBe(true);
  });
});
