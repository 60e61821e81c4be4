import type { Report } from '../../local/report/Report.ts';
import { rehearse } from '../support/scenario.ts';

/**
 * The paging hook (`paging.eventBusName`, "default" in the example): each failover puts a "Lifeboat
 * Incident Update" event on its region's bus as it starts, restores the service and ends, through
 * the notify function's PutEvents (held to AWS's API model and the function's IAM policy). A pager
 * that cannot be reached never holds a run up.
 */
const OUTAGE = { at: 0, fault: 'region-outage', region: 'us-east-1' };
const RETURN = { at: 900, recover: 'region-outage', region: 'us-east-1' };

const pages = (report: Report): string[] =>
  report.timeline
    .filter((t) => t.kind === 'page')
    .map((t) => `${t.region ?? ''} ${t.text.split(': ').slice(0, 2).join(': ')}`);

describe('the paging hook (real ASL, on the AWS twin)', () => {
  it('pages as the failover starts (critical), restores the service (warning) and succeeds (info)', async () => {
    const report = await rehearse({ events: [OUTAGE, RETURN], until: 1500 });
    expect(report.executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(pages(report)).toEqual([
      'us-west-2 Lifeboat Incident Update on default: started (critical)',
      'us-west-2 Lifeboat Incident Update on default: restored (warning)',
      'us-west-2 Lifeboat Incident Update on default: succeeded (info)',
    ]);
    // Each page comes with the Slack message it summarizes, not after the run.
    const [started] = report.timeline.filter((t) => t.kind === 'page');
    expect(started!.at - report.executions[0]!.startedAt).toBeLessThan(60);
    expect(report.violations).toEqual([]);
  });

  it('pages a failed failover as critical', async () => {
    const report = await rehearse({
      events: [
        OUTAGE,
        {
          at: 0,
          fault: 'api-error',
          service: 'rds',
          operation: 'PromoteReadReplica',
          error: 'InvalidDBInstanceState',
          count: 99,
        },
      ],
      until: 900,
    });
    expect(report.executions.map((e) => e.status)).toEqual(['FAILED']);
    expect(pages(report)).toEqual([
      'us-west-2 Lifeboat Incident Update on default: started (critical)',
      'us-west-2 Lifeboat Incident Update on default: failed (critical)',
    ]);
    expect(report.violations).toEqual([]);
  });

  it('goes on, posting on Slack, when the bus refuses every event', async () => {
    const report = await rehearse({
      events: [
        OUTAGE,
        RETURN,
        {
          at: 0,
          fault: 'api-error',
          service: 'events',
          operation: 'PutEvents',
          error: 'AccessDeniedException',
          count: 99,
        },
      ],
      until: 1500,
    });
    expect(report.executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(pages(report)).toEqual([]);
    expect(report.slack.map((m) => m.text.split(' ')[0])).toContain('Service');
    const run = report.executions[0]!;
    // No retry: a refused page is said in the step's output, and the run does not wait for it.
    expect(run.states.filter((s) => s.name === 'NotifyStarted')).toHaveLength(1);
    expect(report.violations).toEqual([]);
  });
});
