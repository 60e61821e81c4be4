import { nextRun, parseScheduleExpression } from '../../shared/backup/scheduleExpression.ts';
import type { VirtualClock } from '../clock/VirtualClock.ts';
import type { World } from '../world/World.ts';

/** One EventBridge Scheduler schedule as a rehearsal fires it. */
export interface FiredSchedule {
  readonly name: string;
  /** The region whose Scheduler holds it (in its schedule group) and whose state machine it starts. */
  readonly region: string;
  readonly workflow: string;
  readonly application: string;
  readonly expression: string;
  /** The time zone Scheduler evaluates a cron in; undefined: UTC. */
  readonly timeZone: string | undefined;
}

/** Scheduler's `<aws.scheduler.scheduled-time>`: the run's scheduled instant, to the second, in UTC. */
export function scheduledTimeOf(instant: Date): string {
  return `${instant.toISOString().slice(0, 19)}Z`;
}

/**
 * Fires `schedules` on the virtual clock as EventBridge Scheduler would: each at the times its
 * expression gives (after second 0; a rate schedule counts its periods from second 0, when the
 * rehearsal's stacks stand deployed, so its run at creation is before the scenario), by calling
 * `start` with the scheduled instant. A schedule whose region is down at a run's time misses it
 * (Scheduler is a regional service); the timeline says so, as it says each run's start. Nothing
 * fires at or after `until`, when the rehearsal ends (a run started then would show nothing).
 */
export function fireSchedules<S extends FiredSchedule>(
  world: World,
  clock: VirtualClock,
  until: number,
  schedules: readonly S[],
  start: (schedule: S, scheduledTime: string) => Promise<string>,
): void {
  const created = clock.now();
  for (const schedule of schedules) {
    const expression = parseScheduleExpression(schedule.expression);
    const where = `${schedule.name} (${schedule.expression}) in ${schedule.region}`;
    const note = (text: string): void => {
      world.timeline.push({
        at: clock.seconds,
        kind: 'schedule',
        application: schedule.application,
        region: schedule.region,
        text,
      });
    };
    const arm = (after: Date): void => {
      const next = nextRun(expression, after, { start: created, timeZone: schedule.timeZone });
      if (next === undefined || clock.secondsAt(next) >= until) return;
      clock.schedule(clock.secondsAt(next), () => {
        arm(next);
        if (world.faults.isOutage(schedule.region)) {
          note(`schedule ${where} missed its ${scheduledTimeOf(next)} run: ${schedule.region} is down`);
          return;
        }
        note(`schedule ${where} fired: starts ${schedule.workflow}`);
        start(schedule, scheduledTimeOf(next)).then(
          (outcome) => {
            if (outcome !== '') note(`schedule ${schedule.name} in ${schedule.region}: ${outcome}`);
          },
          (error: unknown) => {
            note(
              `schedule ${schedule.name} in ${schedule.region} could not start ${schedule.workflow}: ${(error as Error).name}: ${(error as Error).message}`,
            );
          },
        );
        clock.touch();
      });
    };
    arm(created);
  }
}
