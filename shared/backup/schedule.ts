import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { parseScheduleExpression } from './scheduleExpression.ts';

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

/**
 * The longest gap between two runs of a schedule expression: exact for `rate(...)`; for `cron(...)`
 * the period of its coarsest field that is not a wildcard (every hour, every day, or every week when
 * it names days of the week), which is what a freshness check must allow.
 */
export function scheduleIntervalSeconds(expression: string): number {
  if (expression.startsWith('rate(')) {
    const parsed = parseScheduleExpression(expression);
    if (parsed.kind === 'rate') return parsed.seconds;
  }
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

/**
 * The applications whose backup and restore test run in `region`: those whose `backup.copyToRegion`
 * is `region`. The copy is requested in the copy region (RDS copies across regions from the
 * destination), the restore test restores there, and a control plane there survives the loss of the
 * primary it backs up, so exactly one region schedules each application's backups.
 */
export function backupApplicationsIn(config: LifeboatConfig, region: string): ApplicationConfig[] {
  return config.applications.filter((a) => a.backup?.copyToRegion === region);
}

/**
 * The region whose control plane runs an application's scheduled readiness drill: its first standby,
 * where a failover from the configured primary would run, so the drill reads the estate from where
 * the failover would act.
 */
export function drillRegionOf(app: ApplicationConfig): string | undefined {
  return app.regions[1];
}

/** The applications whose scheduled readiness drill runs in `region`. */
export function drillApplicationsIn(config: LifeboatConfig, region: string): ApplicationConfig[] {
  return config.applications.filter((a) => a.drills !== undefined && drillRegionOf(a) === region);
}

/** The workflows EventBridge Scheduler starts, with one schedule per application each. */
export type ScheduledWorkflowName = 'backup' | 'restore-test' | 'drill';

/** The schedule group of every Lifeboat schedule in a region (the scheduler roles trust only it). */
export const SCHEDULE_GROUP_NAME = 'lifeboat';

/**
 * The time zone of every Lifeboat schedule: UTC, so a schedule's slot is the same instant in every
 * region, and `cron(0 3 * * ? *)` in the config reads the same wherever it runs.
 */
export const SCHEDULE_TIME_ZONE = 'Etc/UTC';

/** One EventBridge Scheduler schedule the control-plane stack of a region creates. */
export interface LifeboatSchedule {
  /** `lifeboat-<application>-backup`, `-restore-test`, or `-readiness` for the drill. */
  readonly name: string;
  /** The control-plane region whose schedule group holds it, and whose state machine it starts. */
  readonly region: string;
  readonly workflow: ScheduledWorkflowName;
  readonly application: string;
  /** `rate(...)` or `cron(...)`. */
  readonly expression: string;
  /** The IANA time zone Scheduler evaluates a cron in: UTC (Scheduler's and CDK's default). */
  readonly timeZone: string;
  readonly description: string;
  /**
   * The execution's input. `scheduledTime` is what the schedule's input names for Scheduler's
   * `<aws.scheduler.scheduled-time>`: the stack passes the context attribute, a rehearsal the run's time.
   */
  readonly input: (scheduledTime: string) => Record<string, string>;
}

/**
 * Every schedule the control plane of `region` creates: each backup application's backup and (when
 * it has one) restore test, each drill application's readiness drill. The stack builds its
 * EventBridge Scheduler schedules from these, and a rehearsal fires them.
 */
export function schedulesIn(config: LifeboatConfig, region: string): LifeboatSchedule[] {
  const backups = backupApplicationsIn(config, region);
  const schedule = (
    app: ApplicationConfig,
    workflow: ScheduledWorkflowName,
    expression: string,
    description: string,
    input: (scheduledTime: string) => Record<string, string>,
  ): LifeboatSchedule => ({
    // The drill's is `-readiness`: `lifeboat-ai-gateway-drill` would read as an application's name.
    name: `lifeboat-${app.name}-${workflow === 'drill' ? 'readiness' : workflow}`,
    region,
    workflow,
    application: app.name,
    expression,
    timeZone: SCHEDULE_TIME_ZONE,
    description,
    input,
  });
  return [
    ...backups.map((app) =>
      schedule(
        app,
        'backup',
        backupSchedule(app),
        `Backs up ${app.name} (snapshot of the writer, copied to ${region})`,
        (slot) => ({ application: app.name, slot }),
      ),
    ),
    ...backups.flatMap((app) => {
      const test = app.backup?.restoreTest;
      return test === undefined
        ? []
        : [
            schedule(
              app,
              'restore-test',
              test.schedule,
              `Restore test of ${app.name}'s latest copy in ${region}`,
              (slot) => ({ application: app.name, slot }),
            ),
          ];
    }),
    ...drillApplicationsIn(config, region).flatMap((app) =>
      app.drills === undefined
        ? []
        : [
            schedule(
              app,
              'drill',
              app.drills.readinessSchedule,
              `Readiness drill of ${app.name}: changes nothing`,
              () => ({ application: app.name, mode: 'readiness' }),
            ),
          ],
    ),
  ];
}

/** Every schedule the control-plane stacks of `config` create, region by region. */
export function lifeboatSchedules(config: LifeboatConfig): LifeboatSchedule[] {
  return config.controlPlaneRegions.flatMap((region) => schedulesIn(config, region));
}
