/**
 * EventBridge Scheduler's recurring schedule expressions, evaluated: when a `rate(...)` or `cron(...)`
 * schedule invokes its target.
 *
 * The forms are AWS's: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 * - `rate(value unit)`: every `value` minutes, hours or days from the schedule's start (with no
 *   `StartDate`, from its creation).
 * - `cron(minutes hours day-of-month month day-of-week year)`, six fields, evaluated in the schedule's
 *   time zone (UTC when it names none), to the minute:
 *
 *   | field        | values              | wildcards       |
 *   | ------------ | ------------------- | --------------- |
 *   | minutes      | 0-59                | , - * /         |
 *   | hours        | 0-23                | , - * /         |
 *   | day-of-month | 1-31                | , - * ? / L W   |
 *   | month        | 1-12 or JAN-DEC     | , - * /         |
 *   | day-of-week  | 1-7 or SUN-SAT      | , - * ? L #     |
 *   | year         | 1970-2199           | , - * /         |
 *
 *   One of day-of-month and day-of-week must be `?`. `L` is the month's last day (day-of-month) or,
 *   after a weekday, its last occurrence in the month (`6L`, the last Friday; `L` alone is Saturday);
 *   `15W` is the weekday nearest the 15th within the month (`LW`, the month's last weekday); `3#2` the
 *   second Tuesday. (Field table and wildcards as AWS documents them for cron expressions:
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html)
 */

/** A parsed schedule expression. */
export type ScheduleExpression =
  { readonly kind: 'rate'; readonly seconds: number } | { readonly kind: 'cron'; readonly cron: CronFields };

interface CronFields {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly years: ReadonlySet<number>;
  /** Whether a day of a month matches (day-of-month or day-of-week, whichever is not `?`). */
  readonly day: (year: number, month: number, day: number) => boolean;
}

const RATE_UNITS: Readonly<Record<string, number>> = {
  minute: 60,
  minutes: 60,
  hour: 3600,
  hours: 3600,
  day: 86_400,
  days: 86_400,
};

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Thrown for an expression EventBridge Scheduler would refuse; the message says which part. */
export class ScheduleExpressionError extends RangeError {
  constructor(expression: string, problem: string) {
    super(`${expression}: ${problem}`);
    this.name = 'ScheduleExpressionError';
  }
}

/** Parses `rate(...)` or `cron(...)`; throws `ScheduleExpressionError` naming what is wrong. */
export function parseScheduleExpression(expression: string): ScheduleExpression {
  const rate = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression);
  if (rate !== null) {
    const value = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (value < 1) throw new ScheduleExpressionError(expression, 'a rate must be a positive number');
    if ((value === 1) !== !unit.endsWith('s'))
      throw new ScheduleExpressionError(
        expression,
        `write "1 ${unit.replace(/s$/, '')}" or "${value} ${unit}s"`,
      );
    return { kind: 'rate', seconds: value * (RATE_UNITS[unit] ?? 0) };
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (cron === null)
    throw new ScheduleExpressionError(expression, 'expected rate(value unit) or cron(six fields)');
  const [, minutes = '', hours = '', dayOfMonth = '', month = '', dayOfWeek = '', year = ''] = cron;
  const fail = (problem: string): never => {
    throw new ScheduleExpressionError(expression, problem);
  };
  if ((dayOfMonth === '?') === (dayOfWeek === '?'))
    fail('exactly one of day-of-month and day-of-week must be "?"');
  return {
    kind: 'cron',
    cron: {
      minutes: parseField(minutes, 'minutes', 0, 59, [], fail),
      hours: parseField(hours, 'hours', 0, 23, [], fail),
      months: parseField(month, 'month', 1, 12, MONTHS, fail),
      years: parseField(year, 'year', 1970, 2199, [], fail),
      day: dayOfMonth === '?' ? dayOfWeekMatcher(dayOfWeek, fail) : dayOfMonthMatcher(dayOfMonth, fail),
    },
  };
}

/**
 * One field's values: `*`, a value, `a-b`, `a/step` or `*\/step` (from `a` to the field's end),
 * `a-b/step`, or a comma list of these. `names` are the field's names for 1, 2, ... (months, weekdays).
 */
function parseField(
  text: string,
  field: string,
  min: number,
  max: number,
  names: readonly string[],
  fail: (problem: string) => never,
): Set<number> {
  const value = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const n = named >= 0 ? named + 1 : /^\d+$/.test(token) ? Number(token) : NaN;
    if (!(n >= min && n <= max)) fail(`${field}: "${token}" is not a value from ${min} to ${max}`);
    return n;
  };
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(part);
    const [, range = '', stepText] =
      match ?? fail(`${field}: "${part}" is not a value, a range or an increment`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) fail(`${field}: the increment in "${part}" must be positive`);
    let from = min;
    let to = max;
    if (range !== '*') {
      const [a = '', b] = range.split('-');
      from = value(a);
      // `a/step` runs to the field's end; `a` alone is one value.
      to = b !== undefined ? value(b) : stepText !== undefined ? max : from;
    }
    if (from > to) fail(`${field}: the range "${range}" runs backwards`);
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 (Sunday) to 7 (Saturday), as cron numbers weekdays. */
function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

function dayOfMonthMatcher(
  text: string,
  fail: (problem: string) => never,
): (year: number, month: number, day: number) => boolean {
  if (text === 'L') return (y, m, d) => d === daysInMonth(y, m);
  if (text === 'LW') {
    return (y, m, d) => {
      let last = daysInMonth(y, m);
      while (weekdayOf(y, m, last) === 1 || weekdayOf(y, m, last) === 7) last--;
      return d === last;
    };
  }
  const nearest = /^(\d+)W$/.exec(text);
  if (nearest !== null) {
    const target = Number(nearest[1]);
    if (!(target >= 1 && target <= 31)) fail(`day-of-month: "${text}" is not a day from 1 to 31`);
    return (y, m, d) => {
      const length = daysInMonth(y, m);
      if (target > length) return false;
      // The weekday nearest the day, never crossing into another month.
      const weekday = weekdayOf(y, m, target);
      let chosen = target;
      if (weekday === 7) chosen = target === 1 ? 3 : target - 1;
      else if (weekday === 1) chosen = target === length ? target - 2 : target + 1;
      return d === chosen;
    };
  }
  const days = parseField(text, 'day-of-month', 1, 31, [], fail);
  return (_y, _m, d) => days.has(d);
}

function dayOfWeekMatcher(
  text: string,
  fail: (problem: string) => never,
): (year: number, month: number, day: number) => boolean {
  const weekday = (token: string): number =>
    [...parseField(token, 'day-of-week', 1, 7, WEEKDAYS, fail)][0] ?? 0;
  if (text === 'L') return (y, m, d) => weekdayOf(y, m, d) === 7;
  const last = /^([A-Za-z0-9]+)L$/.exec(text);
  if (last !== null) {
    const wanted = weekday(last[1] ?? '');
    return (y, m, d) => weekdayOf(y, m, d) === wanted && d + 7 > daysInMonth(y, m);
  }
  const nth = /^([A-Za-z0-9]+)#(\d)$/.exec(text);
  if (nth !== null) {
    const wanted = weekday(nth[1] ?? '');
    const n = Number(nth[2]);
    if (!(n >= 1 && n <= 5)) fail(`day-of-week: "${text}" names an occurrence other than 1 to 5`);
    return (y, m, d) => weekdayOf(y, m, d) === wanted && Math.ceil(d / 7) === n;
  }
  const days = parseField(text, 'day-of-week', 1, 7, WEEKDAYS, fail);
  return (y, m, d) => days.has(weekdayOf(y, m, d));
}

/** The wall-clock fields of an instant in a time zone. */
interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

function wallClockIn(timeZone: string): (instant: number) => WallClock {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') {
    return (instant) => {
      const d = new Date(instant);
      return {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: d.getUTCHours(),
        minute: d.getUTCMinutes(),
      };
    };
  }
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  return (instant) => {
    const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, Number(p.value)]));
    return {
      year: parts.year ?? 0,
      month: parts.month ?? 0,
      day: parts.day ?? 0,
      hour: parts.hour ?? 0,
      minute: parts.minute ?? 0,
    };
  };
}

const MINUTE = 60_000;

/**
 * The first time after `after` (strictly) that a cron schedule invokes its target: a whole minute
 * whose wall-clock time in `timeZone` matches every field. Undefined when no such minute is left
 * (a year field that has passed).
 */
function nextCronRun(cron: CronFields, after: number, timeZone: string): number | undefined {
  const wall = wallClockIn(timeZone);
  const lastYear = Math.max(...cron.years);
  let t = Math.floor(after / MINUTE) * MINUTE + MINUTE;
  for (;;) {
    const w = wall(t);
    if (w.year > lastYear) return undefined;
    // Skip to the next local day, hour or minute as soon as a coarser field does not match.
    if (!cron.years.has(w.year) || !cron.months.has(w.month) || !cron.day(w.year, w.month, w.day)) {
      t += ((23 - w.hour) * 60 + (60 - w.minute)) * MINUTE;
    } else if (!cron.hours.has(w.hour)) {
      t += (60 - w.minute) * MINUTE;
    } else if (!cron.minutes.has(w.minute)) {
      t += MINUTE;
    } else {
      return t;
    }
  }
}

/**
 * The first time after `after` (strictly) that a schedule invokes its target. A rate schedule runs
 * at whole periods from `start` (its `StartDate`, or its creation); a cron schedule at the minutes its
 * fields match in `timeZone` (UTC when the schedule names none, as Scheduler does).
 */
export function nextRun(
  expression: ScheduleExpression,
  after: Date,
  options: { readonly start: Date; readonly timeZone?: string | undefined },
): Date | undefined {
  if (expression.kind === 'rate') {
    const period = expression.seconds * 1000;
    const start = options.start.getTime();
    const since = after.getTime() - start;
    const periods = since < 0 ? 0 : Math.floor(since / period) + 1;
    return new Date(start + periods * period);
  }
  const next = nextCronRun(expression.cron, after.getTime(), options.timeZone ?? 'UTC');
  return next === undefined ? undefined : new Date(next);
}

/** The first `count` runs of a schedule after `after`. */
export function nextRuns(
  expression: ScheduleExpression,
  after: Date,
  count: number,
  options: { readonly start: Date; readonly timeZone?: string | undefined },
): Date[] {
  const runs: Date[] = [];
  let from = after;
  while (runs.length < count) {
    const next = nextRun(expression, from, options);
    if (next === undefined) break;
    runs.push(next);
    from = next;
  }
  return runs;
}
