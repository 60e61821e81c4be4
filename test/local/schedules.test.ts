import { lifeboatSchedules, SCHEDULE_GROUP_NAME } from '../../shared/backup/schedule.ts';
import { synthesizeDeployment } from '../../local/twin/Deployment.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { nextRuns, parseScheduleExpression } from '../../shared/backup/scheduleExpression.ts';
import { VIRTUAL_EPOCH } from '../../local/clock/VirtualClock.ts';
import type { Report } from '../../local/report/Report.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';
import { rehearse } from '../support/scenario.ts';

const DAY = 86_400;

/** The virtual second of each scheduled run of `expression` up to `until`, from the schedules' start. */
function expectedRuns(expression: string, until: number): number[] {
  const epoch = new Date(VIRTUAL_EPOCH);
  return nextRuns(parseScheduleExpression(expression), epoch, 10_000, { start: epoch })
    .map((d) => (d.getTime() - VIRTUAL_EPOCH) / 1000)
    .filter((s) => s < until);
}

/** When each named schedule fired, from the report's timeline. */
function fired(report: Report, name: string, region: string): number[] {
  return report.timeline
    .filter((e) => e.kind === 'schedule' && e.region === region && e.text.startsWith(`schedule ${name} (`))
    .filter((e) => e.text.includes(' fired: '))
    .map((e) => e.at);
}

describe('EventBridge Scheduler expressions', () => {
  const runs = (expression: string, count: number, after = '2030-01-01T00:00:00Z', timeZone?: string) =>
    nextRuns(parseScheduleExpression(expression), new Date(after), count, {
      start: new Date(after),
      timeZone,
    }).map((d) => d.toISOString());

  it('runs a rate schedule at whole periods from its start', () => {
    expect(runs('rate(6 hours)', 3)).toEqual([
      '2030-01-01T06:00:00.000Z',
      '2030-01-01T12:00:00.000Z',
      '2030-01-01T18:00:00.000Z',
    ]);
  });

  it('runs a weekday cron at its hour on Monday to Friday only', () => {
    // 2030-01-01 is a Tuesday.
    expect(runs('cron(0 9 ? * MON-FRI *)', 5)).toEqual([
      '2030-01-01T09:00:00.000Z',
      '2030-01-02T09:00:00.000Z',
      '2030-01-03T09:00:00.000Z',
      '2030-01-04T09:00:00.000Z',
      '2030-01-07T09:00:00.000Z',
    ]);
  });

  it('reads increments, lists, ranges, L, W and # as AWS documents them', () => {
    expect(runs('cron(0/20 8-9 ? * 2 *)', 3)).toEqual([
      '2030-01-07T08:00:00.000Z',
      '2030-01-07T08:20:00.000Z',
      '2030-01-07T08:40:00.000Z',
    ]);
    expect(runs('cron(30 4 L * ? *)', 2)).toEqual(['2030-01-31T04:30:00.000Z', '2030-02-28T04:30:00.000Z']);
    // The 1st of June 2030 is a Saturday: the nearest weekday within the month is Monday the 3rd.
    expect(runs('cron(0 0 1W JUN ? 2030)', 1)).toEqual(['2030-06-03T00:00:00.000Z']);
    expect(runs('cron(0 12 ? JAN,FEB 3#2 *)', 2)).toEqual([
      '2030-01-08T12:00:00.000Z',
      '2030-02-12T12:00:00.000Z',
    ]);
    expect(runs('cron(15 10 ? * 6L 2030)', 1)).toEqual(['2030-01-25T10:15:00.000Z']);
    expect(runs('cron(0 0 1 1 ? 2030)', 1)).toEqual([]);
  });

  it('evaluates a cron in the schedule’s time zone', () => {
    // 09:00 in New York in January is 14:00 UTC; in July (daylight saving time) 13:00 UTC.
    expect(runs('cron(0 9 ? * TUE *)', 1, '2030-01-01T00:00:00Z', 'America/New_York')).toEqual([
      '2030-01-01T14:00:00.000Z',
    ]);
    expect(runs('cron(0 9 ? * TUE *)', 1, '2030-07-01T00:00:00Z', 'America/New_York')).toEqual([
      '2030-07-02T13:00:00.000Z',
    ]);
  });

  it('refuses in the config what Scheduler would refuse, naming the key', () => {
    const doc = exampleConfigDocument();
    (doc.applications[0] as { drills: { readinessSchedule: string } }).drills.readinessSchedule =
      'cron(0 9 * * MON-FRI *)';
    expect(() => parseConfig(doc)).toThrow(/readinessSchedule.*day-of-month and day-of-week/s);
  });
});

type AppDoc = {
  name: string;
  backup?: { schedule?: string; restoreTest?: { schedule?: string } };
  drills?: { readinessSchedule: string };
};

describe('the rehearsal fires the schedules the stacks deploy', () => {
  const config = parseConfig(exampleConfigDocument());
  const schedules = lifeboatSchedules(config);

  it('deploys, in each region, the schedules the shared derivation gives', () => {
    const deployed = synthesizeDeployment(config).schedules.map((s) => ({
      region: s.region,
      name: s.name,
      group: s.groupName,
      expression: s.expression,
      timeZone: s.timeZone,
      window: s.flexibleWindow.mode,
      input: JSON.parse(s.input) as unknown,
    }));
    expect(deployed.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      schedules
        .map((s) => ({
          region: s.region,
          name: s.name,
          group: SCHEDULE_GROUP_NAME,
          expression: s.expression,
          timeZone: 'Etc/UTC',
          window: 'OFF',
          input: s.input('<aws.scheduler.scheduled-time>'),
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
  });

  it('shows a simulated day of backups and readiness drills on the AWS twin, at the schedules’ times', async () => {
    const until = DAY;
    const report = await rehearse({ events: [], until });
    expect(report.violations).toEqual([]);
    expect(schedules.map((s) => `${s.region} ${s.name} ${s.expression}`).sort()).toEqual(
      [
        'us-west-2 lifeboat-ai-gateway-backup rate(1 hour)',
        'us-west-2 lifeboat-ai-gateway-restore-test cron(0 4 ? * SUN *)',
        'us-west-2 lifeboat-ai-gateway-readiness cron(0 9 ? * MON-FRI *)',
        'us-west-2 lifeboat-ai-gateway-drill-backup rate(1 hour)',
        'us-west-2 lifeboat-ai-gateway-drill-restore-test rate(7 days)',
      ].sort(),
    );
    expect(expectedRuns('rate(1 hour)', until).slice(0, 3)).toEqual([3600, 7200, 10_800]);
    // 2030-01-01, the rehearsal's first day, is a Tuesday: its drill is at 09:00; no restore test yet.
    expect(expectedRuns('cron(0 9 ? * MON-FRI *)', until)).toEqual([9 * 3600]);
    for (const schedule of schedules) {
      expect(fired(report, schedule.name, schedule.region)).toEqual(expectedRuns(schedule.expression, until));
    }
    // Each run is an execution of its workflow, started at its scheduled time with the schedule's input.
    const backups = report.executions.filter((e) => e.workflow === 'backup');
    expect(backups.map((e) => e.startedAt).sort((a, b) => a - b)).toEqual(
      schedules
        .filter((s) => s.workflow === 'backup')
        .flatMap((s) => expectedRuns(s.expression, until))
        .sort((a, b) => a - b),
    );
    expect(backups.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    expect(report.ledger.filter((r) => r.kind === 'backup')).toHaveLength(backups.length);
    const firstBackup = report.ledger.find((r) => r.kind === 'backup' && r.application === 'ai-gateway');
    expect((firstBackup?.details as { request?: { slot?: string } } | undefined)?.request?.slot).toBe(
      '2030-01-01T01:00:00.000Z',
    );
    const drills = report.executions.filter((e) => e.workflow === 'drill');
    expect(drills.map((e) => e.startedAt)).toEqual([9 * 3600]);
    // A fresh estate has no restore test yet, which the readiness drill reports.
    expect(report.ledger.filter((r) => r.kind === 'drill').map((r) => r.status)).toEqual(['FAILED']);
    // Scheduler starts each run as the schedule's role, which IAM allows, in the schedule's region.
    const starts = (report.awsCalls ?? []).filter((c) => c.function.startsWith('scheduler lifeboat/'));
    expect(starts).toHaveLength(report.executions.length);
    expect(starts.every((c) => c.decision === 'allowed' && c.region === 'us-west-2')).toBe(true);
  });

  /** The example config with every schedule of a day in reach: backups, a restore test, a drill. */
  const dayOfSchedules = (doc: ReturnType<typeof exampleConfigDocument>): void => {
    const [gateway, drill] = doc.applications as unknown as AppDoc[];
    if (gateway?.backup?.restoreTest === undefined || drill?.backup === undefined) throw new Error('config');
    gateway.backup.schedule = 'rate(6 hours)';
    gateway.backup.restoreTest.schedule = 'cron(30 7 * * ? *)';
    drill.backup.schedule = 'cron(15 */8 * * ? *)';
  };

  it('fires the same schedules on the port-level runtime', async () => {
    const until = DAY;
    const report = await rehearse({ events: [], until, mode: 'ports', config: dayOfSchedules });
    expect(report.violations).toEqual([]);
    // When each schedule's runs started, by the executions it started.
    const starts = (schedule: string) =>
      report.timeline
        .flatMap((e) =>
          e.kind === 'schedule'
            ? [new RegExp(`^schedule ${schedule} in \\S+: started (\\S+)$`).exec(e.text)?.[1]]
            : [],
        )
        .filter((name) => name !== undefined)
        .map((name) => report.executions.find((e) => e.name === name)?.startedAt);
    expect(starts('lifeboat-ai-gateway-backup')).toEqual([6, 12, 18].map((h) => h * 3600));
    expect(starts('lifeboat-ai-gateway-drill-backup')).toEqual([0, 8, 16].map((h) => h * 3600 + 15 * 60));
    expect(starts('lifeboat-ai-gateway-restore-test')).toEqual([7.5 * 3600]);
    expect(starts('lifeboat-ai-gateway-readiness')).toEqual([9 * 3600]);
    // The restore test restored the 06:00 backup's copy.
    const test = report.ledger.find((r) => r.kind === 'restore-test');
    expect(JSON.stringify(test)).toContain('lifeboat-ai-gateway-20300101-0600');
    expect(fired(report, 'lifeboat-ai-gateway-readiness', 'us-west-2')).toEqual([9 * 3600]);
  });

  it('misses a run while the schedule’s region is down, and says so', async () => {
    const report = await rehearse({
      mode: 'ports',
      until: 8000,
      events: [
        { at: 3000, fault: 'region-outage', region: 'us-west-2' },
        { at: 4000, recover: 'region-outage', region: 'us-west-2' },
      ],
    });
    const missed = report.timeline.filter((e) => e.kind === 'schedule' && e.text.includes('missed'));
    expect(missed.map((e) => [e.at, e.region, e.text])).toEqual([
      [
        3600,
        'us-west-2',
        'schedule lifeboat-ai-gateway-backup (rate(1 hour)) in us-west-2 missed its 2030-01-01T01:00:00Z run: us-west-2 is down',
      ],
      [
        3600,
        'us-west-2',
        'schedule lifeboat-ai-gateway-drill-backup (rate(1 hour)) in us-west-2 missed its 2030-01-01T01:00:00Z run: us-west-2 is down',
      ],
    ]);
    expect(report.executions.filter((e) => e.workflow === 'backup').map((e) => e.startedAt)).toEqual([
      7200, 7200,
    ]);
  });
});
