import type { Report } from '../../local/report/Report.ts';
import { ledgerOf, rehearse, stateNames } from '../support/scenario.ts';

/** The drill application's primary goes down (a fault injected for the game day), and comes back. */
const OUTAGE = { at: 0, fault: 'region-outage', region: 'us-east-1' };
const RECOVERY = { at: 1800, recover: 'region-outage', region: 'us-east-1' };
const GAME_DAY = { at: 120, start: 'drill', input: { application: 'ai-gateway-drill', mode: 'game-day' } };
/** Once Aurora has rebuilt the old primary from the new one (auroraSecondaryRebuildSeconds) and the failback asks. */
const APPROVE = { at: 3900, approve: 'failback', by: 'U0APPROVER' };
const UNTIL = 9000;

interface Finding {
  check: string;
  severity: string;
  ok: boolean;
  detail: string;
}

interface GameDayRecord {
  application: string;
  status: string;
  reason: string;
  details: {
    mode: string;
    findings: Finding[];
    rtoSeconds: number | null;
    rpoSeconds: number | null;
    rtoTargetSeconds: number;
    rpoTargetSeconds: number;
    failover: { executionName: string; status: string } | null;
    failback: { executionName: string; status: string } | null;
  };
}

function gameDayOf(report: Report) {
  const execution = report.executions.find((e) => e.workflow === 'drill');
  if (execution === undefined) throw new Error('no drill ran');
  const record = ledgerOf(report, execution.name) as GameDayRecord | undefined;
  if (record === undefined) throw new Error(`no ledger record of ${execution.name}`);
  return { execution, record, failed: record.details.findings.filter((f) => !f.ok).map((f) => f.check) };
}

/** The runs the game day started (each named after it). */
function runs(report: Report, workflow: string) {
  return report.executions.filter(
    (e) => e.workflow === workflow && e.name.startsWith('gameday-ai-gateway-drill-'),
  );
}

describe('game day (real ASL on the local runtime)', () => {
  it('fails the drill application over and, once approved, back; PASSED within the targets', async () => {
    const report = await rehearse({ events: [OUTAGE, GAME_DAY, RECOVERY, APPROVE], until: UNTIL });
    const { execution, record, failed } = gameDayOf(report);
    expect(execution.status).toBe('SUCCEEDED');
    expect(record).toMatchObject({ application: 'ai-gateway-drill', status: 'PASSED' });
    expect(failed).toEqual([]);
    expect(record.details.findings.map((f) => f.check)).toEqual(['failover', 'rto', 'rpo', 'failback']);
    // One failover and one failback, under names derived from the drill's start.
    const [failover, ...moreFailovers] = runs(report, 'failover');
    const [failback, ...moreFailbacks] = runs(report, 'failback');
    expect([moreFailovers, moreFailbacks]).toEqual([[], []]);
    expect(failover).toMatchObject({
      status: 'SUCCEEDED',
      name: 'gameday-ai-gateway-drill-20300101T000200-failover',
    });
    expect(failback).toMatchObject({
      status: 'SUCCEEDED',
      name: 'gameday-ai-gateway-drill-20300101T000200-failback',
    });
    expect(ledgerOf(report, failover!.name)).toMatchObject({
      application: 'ai-gateway-drill',
      details: { request: { mode: 'manual', sourceRegion: 'us-east-1', targetRegion: 'us-west-2' } },
    });
    expect(ledgerOf(report, failback!.name)).toMatchObject({
      application: 'ai-gateway-drill',
      details: { request: { sourceRegion: 'us-west-2', targetRegion: 'us-east-1' } },
    });
    // The failback asked on Slack and started only once the primary was back.
    expect(stateNames(failback!)).toContain('RequestApproval');
    expect(failback!.startedAt).toBeGreaterThan(1800);
    // The measured RTO and RPO are the failover's own, judged against the drill application's targets.
    const failoverRecord = ledgerOf(report, failover!.name) as {
      details: { rtoSeconds: number; rpoSeconds: number };
    };
    expect(record.details).toMatchObject({
      rtoSeconds: failoverRecord.details.rtoSeconds,
      rpoSeconds: failoverRecord.details.rpoSeconds,
      rtoTargetSeconds: 900,
      rpoTargetSeconds: 60,
    });
    expect(record.details.rtoSeconds).toBeLessThanOrEqual(900);
    // Traffic and the writer are back on the primary.
    expect(report.dns.filter((d) => d.application === 'ai-gateway-drill').at(-1)?.answers).toEqual([
      'us-east-1',
    ]);
    expect(report.slack.some((m) => m.text.startsWith('Game day'))).toBe(false);
    expect(report.violations).toEqual([]);
  });

  it('records FAILED with the RTO finding when the failover misses the target, and still fails back', async () => {
    const report = await rehearse({
      events: [OUTAGE, GAME_DAY, RECOVERY, APPROVE],
      until: UNTIL,
      config: (doc) => {
        (doc.applications[1] as { targets: { rtoSeconds: number } }).targets.rtoSeconds = 120;
      },
    });
    const { execution, record, failed } = gameDayOf(report);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'GameDayFailed' });
    expect(record.status).toBe('FAILED');
    expect(failed).toEqual(['rto']);
    expect(record.details.rtoSeconds).toBeGreaterThan(120);
    expect(record.details.findings.find((f) => f.check === 'rto')?.detail).toMatch(
      /^RTO \d+ s from the failover's start to clients reaching us-west-2 \(target 120 s\)$/,
    );
    expect(runs(report, 'failback').map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(report.slack.map((m) => m.text)).toContainEqual(
      expect.stringMatching(/^Game day of ai-gateway-drill: FAILED\. \[rto\] RTO \d+ s/),
    );
    expect(report.violations).toEqual([]);
  });

  it('records FAILED when the failback is rejected on Slack', async () => {
    const report = await rehearse({
      events: [OUTAGE, GAME_DAY, RECOVERY, { at: 3900, reject: 'failback', by: 'U0ONCALL01' }],
      until: 4000,
    });
    const { execution, record, failed } = gameDayOf(report);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'GameDayFailed' });
    expect(failed).toEqual(['failback']);
    expect(record.details.findings.find((f) => f.check === 'failback')?.detail).toMatch(
      /^the failback gameday-ai-gateway-drill-20300101T000200-failback to us-east-1 ended REJECTED: .*U0ONCALL01/,
    );
    // The failover itself met its targets; nothing moved back.
    expect(record.details.findings.filter((f) => f.ok).map((f) => f.check)).toEqual([
      'failover',
      'rto',
      'rpo',
    ]);
    expect(report.dns.filter((d) => d.application === 'ai-gateway-drill').at(-1)?.answers).toEqual([
      'us-west-2',
    ]);
    expect(report.slack.map((m) => m.text)).toContainEqual(
      expect.stringMatching(/^Game day of ai-gateway-drill: FAILED\. \[failback\]/),
    );
    expect(report.violations).toEqual([]);
  });

  it('records FAILED, saying why, when the primary is up: the real failover acts only on an outage', async () => {
    const report = await rehearse({ events: [{ ...GAME_DAY, at: 0 }], until: 600 });
    const { execution, record, failed } = gameDayOf(report);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'GameDayFailed' });
    expect(failed).toEqual(['failover']);
    expect(record.details.findings[0]?.detail).toContain('ended ABORTED');
    expect(record.details.findings[0]?.detail).toContain('the source us-east-1 is up and writable');
    expect(runs(report, 'failback')).toEqual([]);
    expect(report.violations).toEqual([]);
  });

  it('refuses a game day of an application that is not a drill application, naming the field', async () => {
    const report = await rehearse({
      events: [{ at: 0, start: 'drill', input: { application: 'ai-gateway', mode: 'game-day' } }],
      until: 60,
    });
    const drill = report.executions.find((e) => e.workflow === 'drill')!;
    expect(drill).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(drill.cause).toContain(
      "application: ai-gateway is not a drill application; a game day runs a real failover and failback, so it runs only for an application named by some application's drills.gameDayApplication (ai-gateway-drill)",
    );
    expect(ledgerOf(report, drill.name)).toMatchObject({
      application: 'ai-gateway',
      kind: 'drill',
      status: 'FAILED',
      error: { name: 'InvalidInput' },
      details: { input: { mode: 'game-day' } },
    });
    expect(report.executions.filter((e) => e.workflow !== 'drill')).toEqual([]);
    expect(report.violations).toEqual([]);
  });
});
