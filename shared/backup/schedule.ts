import type { ApplicationConfig } from '../config/LifeboatConfig.ts';

/** The tags Lifeboat puts on every snapshot and temporary instance it makes; pruning looks for the first. */
export const TAG_APPLICATION = 'lifeboat:application';
export const TAG_KIND = 'lifeboat:kind';
export const TAG_SLOT = 'lifeboat:slot';

/** What a Lifeboat-made RDS resource is. */
export type LifeboatResourceKind = 'backup' | 'backup-copy' | 'restore-test';

/** Every snapshot and temporary instance of an application starts with this (IAM scopes to it). */
export function resourcePrefix(application: string): string {
  return `lifeboat-${application}-`;
}

/**
 * The schedule slot an instant falls in, to the minute (UTC): `2030-01-01T06:00:00.000Z`. EventBridge
 * Scheduler passes the slot's scheduled time, so a retried or duplicated delivery names the same slot.
 */
export function slotOf(instant: Date): string {
  const minute = new Date(instant.getTime());
  minute.setUTCSeconds(0, 0);
  return minute.toISOString();
}

/**
 * The identifier of the snapshot (in both regions) and of the restore test's temporary instance for
 * one slot: `lifeboat-<application>-<yyyymmdd>-<hhmm>`, at most 63 characters for a 40-character
 * application name, lower case as RDS stores it. The same slot always gives the same identifier,
 * which makes every create idempotent.
 */
export function resourceId(application: string, slot: string): string {
  const iso = new Date(slot).toISOString();
  const date = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 16).replace(':', '');
  return `${resourcePrefix(application)}${date}-${time}`;
}

/**
 * The backup schedule of an application: its own, or one derived from the RPO target. A snapshot
 * cannot give a seconds-level RPO (that is the replica's job); it covers the loss of the replica too,
 * so it runs every `rpoSeconds` rounded down to whole hours, at least hourly (RDS keeps 100 manual
 * snapshots per region by default) and at most daily.
 */
export function backupSchedule(app: ApplicationConfig): string {
  if (app.backup?.schedule !== undefined) return app.backup.schedule;
  const hours = Math.min(24, Math.max(1, Math.floor(app.targets.rpoSeconds / 3600)));
  if (hours === 24) return 'rate(1 day)';
  return hours === 1 ? 'rate(1 hour)' : `rate(${hours} hours)`;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  minute: 60,
  minutes: 60,
  hour: 3600,
  hours: 3600,
  day: 86_400,
  days: 86_400,
};

/**
 * The longest gap between two runs of a schedule expression: exact for `rate(...)`; for `cron(...)`
 * the period of its coarsest field that is not a wildcard (every hour, every day, or every week when
 * it names days of the week), which is what a freshness check must allow.
 */
export function scheduleIntervalSeconds(expression: string): number {
  const rate = /^rate\((\d+) (\w+)\)$/.exec(expression);
  if (rate !== null) return Number(rate[1]) * (UNIT_SECONDS[rate[2] ?? ''] ?? 86_400);
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (cron === null) throw new RangeError(`not a schedule expression: ${expression}`);
  const [, minutes, hours, dayOfMonth, month, dayOfWeek] = cron;
  const wild = (field: string | undefined) => field === '*' || field === '?';
  if (!wild(month)) return 366 * 86_400;
  if (!wild(dayOfMonth) && dayOfMonth !== undefined) return 31 * 86_400;
  if (!wild(dayOfWeek)) return 7 * 86_400;
  if (!wild(hours)) {
    const step = /^(?:\*|0)\/(\d+)$/.exec(hours ?? '');
    return step === null ? 86_400 : Number(step[1]) * 3600;
  }
  const step = /^(?:\*|0)\/(\d+)$/.exec(minutes ?? '');
  if (wild(minutes)) return 60;
  return step === null ? 3600 : Number(step[1]) * 60;
}

/** How long a snapshot and its cross-region copy may take before the next one is late. */
export const BACKUP_GRACE_SECONDS = 3600;

/**
 * The oldest the latest backup may be before a drill calls it stale: the RPO target, or the backup
 * interval when that is longer (a snapshot cannot be fresher than its schedule), plus the time a
 * backup takes.
 */
export function backupMaxAgeSeconds(app: ApplicationConfig): number {
  return (
    Math.max(app.targets.rpoSeconds, scheduleIntervalSeconds(backupSchedule(app))) + BACKUP_GRACE_SECONDS
  );
}

/** The restore test's instance class: the configured one, or the smallest its engine offers. */
export function restoreInstanceClass(app: ApplicationConfig): string {
  return (
    app.backup?.restoreTest?.instanceClass ??
    (app.database.engine === 'aurora-global' ? 'db.t4g.medium' : 'db.t4g.micro')
  );
}

/** The identifier of the application's writer in `region`: its DB instance or Aurora cluster. */
export function databaseId(app: ApplicationConfig, region: string): string | undefined {
  return app.database.engine === 'rds-read-replica'
    ? app.database.instances[region]
    : app.database.clusters[region];
}
