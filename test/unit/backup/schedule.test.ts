import {
  backupMaxAgeSeconds,
  backupSchedule,
  resourceId,
  scheduleIntervalSeconds,
  slotOf,
} from '../../../shared/backup/schedule.ts';
import { testConfig } from '../../support/synth.ts';

describe('backup naming', () => {
  it('names a slot’s snapshot lifeboat-<application>-<yyyymmdd>-<hhmm>', () => {
    expect(resourceId('ai-gateway', '2030-01-01T06:00:00.000Z')).toBe('lifeboat-ai-gateway-20300101-0600');
  });

  it('keeps the identifier within the 63 characters RDS allows for the longest application name', () => {
    expect(resourceId('a'.repeat(40), '2030-12-31T23:59:00.000Z')).toHaveLength(63);
  });

  it('puts every instant of a minute in the same slot', () => {
    expect(slotOf(new Date('2030-01-01T06:00:59.999Z'))).toBe('2030-01-01T06:00:00.000Z');
  });
});

describe('backupSchedule', () => {
  const app = (rpoSeconds: number, schedule?: string) => {
    const config = testConfig((doc) => {
      const first = doc.applications[0] as {
        targets: { rpoSeconds: number };
        automation: { maxReplicaLagSeconds: number };
        backup: { schedule?: string };
      };
      first.targets.rpoSeconds = rpoSeconds;
      first.automation.maxReplicaLagSeconds = 0;
      if (schedule === undefined) delete first.backup.schedule;
      else first.backup.schedule = schedule;
    });
    return config.applications[0]!;
  };

  it('uses the configured schedule', () => {
    expect(backupSchedule(app(60, 'cron(0 3 * * ? *)'))).toBe('cron(0 3 * * ? *)');
  });

  it('derives hourly backups from an RPO under an hour', () => {
    expect(backupSchedule(app(60))).toBe('rate(1 hour)');
  });

  it('derives whole hours from a longer RPO, and at most a day', () => {
    expect(backupSchedule(app(4 * 3600 + 100))).toBe('rate(4 hours)');
    expect(backupSchedule(app(3 * 86_400))).toBe('rate(1 day)');
  });

  it('lets a backup be as old as its interval plus an hour before it is stale', () => {
    expect(backupMaxAgeSeconds(app(60))).toBe(3600 + 3600);
    expect(backupMaxAgeSeconds(app(60, 'rate(6 hours)'))).toBe(6 * 3600 + 3600);
  });
});

describe('scheduleIntervalSeconds', () => {
  it.each([
    ['rate(15 minutes)', 900],
    ['rate(1 hour)', 3600],
    ['rate(7 days)', 7 * 86_400],
    ['cron(0 3 * * ? *)', 86_400],
    ['cron(0 */6 * * ? *)', 6 * 3600],
    ['cron(0 * * * ? *)', 3600],
    ['cron(0 9 ? * MON-FRI *)', 7 * 86_400],
    ['cron(0 4 ? * SUN *)', 7 * 86_400],
  ])('gives %s a longest gap of %d s', (expression, seconds) => {
    expect(scheduleIntervalSeconds(expression)).toBe(seconds);
  });
});
