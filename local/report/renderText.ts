import { awsCallRows } from './awsCallSummary.ts';
import { collapseLoops } from './collapseLoops.ts';
import { slackPlain } from './slackText.ts';
import { slackThreads } from './slackThreads.ts';

export { stateLabel } from './collapseLoops.ts';
import type { Report, ReportApplication, ReportExecution } from './Report.ts';

export interface RenderTextOptions {
  /** Add ANSI colors; off by default so the output is plain text. */
  readonly color?: boolean;
  /** The longest a line may be, in characters; longer lines are cut with `…`. */
  readonly width?: number;
}

/** How a recovery objective came out: `not restored` while an outage is shorter than its target. */
export type ObjectiveVerdict = 'met' | 'MISSED' | 'not restored' | 'n/a';

type Tone = 'green' | 'red' | 'yellow' | 'cyan' | 'dim' | 'bold';

interface Cell {
  readonly text: string;
  readonly tone?: Tone | undefined;
}

interface Happening {
  readonly at: number;
  readonly tag: string;
  readonly tone?: Tone | undefined;
  readonly where: string;
  readonly text: string;
}

const ESC = '\u001b';
const RESET = `${ESC}[0m`;
const CODES: Record<Tone, string> = { green: '32', red: '31', yellow: '33', cyan: '36', dim: '2', bold: '1' };
const DEFAULT_WIDTH = 120;
/** The narrowest the report is laid out for, whatever the terminal says. */
export const MIN_WIDTH = 80;

/**
 * The width the text report is laid out for: the terminal's (or `COLUMNS`), at least 80; 120 when
 * neither is known (a pipe or a file).
 */
export function reportWidth(columns: number | undefined): number {
  if (columns === undefined || !Number.isFinite(columns) || columns <= 0) return DEFAULT_WIDTH;
  return Math.max(MIN_WIDTH, Math.floor(columns));
}
const BAR_WIDTH = 40;
const NAME_LIMIT = 28;

const TAGS: Readonly<Record<string, string>> = {
  fault: 'FAULT',
  recover: 'RECOVER',
  'health-check': 'HEALTH',
  alarm: 'ALARM',
  'event-delivered': 'EVENT',
  'event-dropped': 'EVENT-LOST',
  'dns-change': 'DNS',
  'dns-insync': 'DNS-SYNC',
  database: 'DB',
  'node-group': 'NODES',
  deployment: 'DEPLOY',
  slack: 'SLACK',
  schedule: 'SCHEDULE',
  execution: 'RUN',
  page: 'PAGE',
  'custom-step': 'CUSTOM',
  approve: 'APPROVE',
};

const TAG_TONES: Readonly<Record<string, Tone>> = { fault: 'red', recover: 'green', alarm: 'yellow' };

/** A time from the scenario's start as `h:mm:ss`, with tenths (`h:mm:ss.s`) only when not whole. */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const tenths = Math.round(Math.abs(seconds) * 10);
  const sign = seconds < 0 && tenths > 0 ? '-' : '';
  const whole = Math.floor(tenths / 10);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const base = `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return `${sign}${base}${tenths % 10 === 0 ? '' : `.${tenths % 10}`}`;
}

/** A span of seconds as `412 s`, one decimal when not whole. */
export function formatSeconds(seconds: number): string {
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

/**
 * Whether an application's RTO met its target. An outage never restored has no RTO, yet it has
 * certainly missed the target once the scenario ran past outage + target.
 */
export function rtoVerdict(application: ReportApplication, until: number): ObjectiveVerdict {
  const { rtoSeconds, rtoTargetSeconds, outageAt, restoredAt } = application;
  if (rtoSeconds !== null) return rtoSeconds <= rtoTargetSeconds ? 'met' : 'MISSED';
  if (outageAt !== null && restoredAt === null) {
    return until - outageAt > rtoTargetSeconds ? 'MISSED' : 'not restored';
  }
  return 'n/a';
}

/** Whether an application's RPO met its target; `n/a` when nothing was promoted. */
export function rpoVerdict(application: ReportApplication): ObjectiveVerdict {
  if (application.rpoSeconds === null) return 'n/a';
  return application.rpoSeconds <= application.rpoTargetSeconds ? 'met' : 'MISSED';
}

/** The last line of both renderers. */
/**
 * What went wrong short of a broken invariant, each in a line: a run that failed, timed out or was
 * aborted, and an application that missed its RTO or RPO target. A report without violations but
 * with any of these is not a clean one.
 */
export function concerns(report: Report): string[] {
  const out: string[] = [];
  for (const e of report.executions) {
    if (e.status === 'FAILED' || e.status === 'TIMED_OUT' || e.status === 'ABORTED') {
      out.push(`${e.workflow} ${e.name} ended ${e.status}${e.error === null ? '' : ` (${e.error})`}`);
    }
  }
  for (const [name, app] of Object.entries(report.applications)) {
    if (rtoVerdict(app, report.until) === 'MISSED') {
      out.push(
        app.rtoSeconds === null
          ? `${name} was not restored within its RTO target of ${formatSeconds(app.rtoTargetSeconds)}`
          : `${name} missed its RTO target: ${formatSeconds(app.rtoSeconds)} against ${formatSeconds(app.rtoTargetSeconds)}`,
      );
    }
    if (rpoVerdict(app) === 'MISSED') {
      out.push(
        `${name} missed its RPO target: ${formatSeconds(app.rpoSeconds ?? 0)} against ${formatSeconds(app.rpoTargetSeconds)}`,
      );
    }
  }
  return out;
}

export function verdictLine(violations: number): string {
  if (violations === 0) return 'No safety invariant was broken.';
  return `${violations} safety invariant violation${violations === 1 ? '' : 's'}.`;
}

/** The scale of time charts: the scenario's length, or the latest time seen when it is not positive. */
export function timeScale(report: Report): number {
  if (report.until > 0) return report.until;
  const times = report.executions.flatMap((e) => [
    e.startedAt,
    e.stoppedAt ?? 0,
    ...e.states.map((s) => s.exitedAt ?? s.enteredAt),
  ]);
  return Math.max(1, ...times);
}

/** `Name` or `Name[2]` for a state inside a Map iteration. */

/** The span of a state as `[start, end)` columns of a bar `columns` wide; at least one column. */
export function barSpan(
  enteredAt: number,
  exitedAt: number,
  scale: number,
  columns: number,
): { readonly start: number; readonly end: number } {
  const column = (t: number) => Math.min(columns, Math.max(0, Math.round((t / scale) * columns)));
  const start = Math.min(columns - 1, column(enteredAt));
  return { start, end: Math.max(start + 1, column(exitedAt)) };
}

export function renderText(report: Report, options?: RenderTextOptions): string {
  const color = options?.color ?? false;
  const requested = options?.width ?? DEFAULT_WIDTH;
  const width = Number.isFinite(requested) ? Math.max(1, Math.floor(requested)) : DEFAULT_WIDTH;
  const paint = (text: string, tone?: Tone): string =>
    color && tone !== undefined && text !== '' ? `${ESC}[${CODES[tone]}m${text}${RESET}` : text;
  const lines: string[] = [];
  const heading = (title: string) => {
    lines.push('', paint(title, 'bold'), paint('─'.repeat(Math.min(width, columns(title))), 'dim'));
  };

  header(report, width, paint, lines);

  heading('Timeline');
  timeline(report, width, paint, lines);

  heading('Executions');
  if (report.executions.length === 0) lines.push('  none');
  for (const [i, execution] of report.executions.entries()) {
    if (i > 0) lines.push('');
    executionTable(report, execution, width, paint, lines);
  }

  heading('Recovery');
  recovery(report, paint, lines, width);

  heading('Final world');
  finalWorld(report, paint, lines, width);

  heading('Slack');
  if (report.slack.length === 0) lines.push('  none');
  for (const { message, reply } of slackThreads(report.slack)) {
    const updated = message.updatedAt == null ? '' : `  (updated at +${formatClock(message.updatedAt)})`;
    const only = message.onlyFor === undefined ? '' : `  (only ${message.onlyFor} sees it)`;
    const thread = !reply
      ? ''
      : message.thread?.broadcast === true
        ? '  (in thread, also in channel)'
        : '  (in thread)';
    // A thread's replies sit under its first message, as Slack shows them.
    const indent = reply ? '    ' : '';
    lines.push(`  ${indent}${reply ? '↳ ' : ''}+${formatClock(message.at)}${updated}${only}${thread}`);
    for (const line of slackPlain(message.text).split('\n'))
      lines.push(...wrap(clean(line), width, `      ${indent}`));
    if (message.actions.length > 0) {
      lines.push(...wrap(`actions: ${message.actions.map(clean).join(', ')}`, width, `      ${indent}`));
    }
  }

  if (report.awsCalls !== undefined) {
    heading('AWS calls');
    awsCalls(report, width, paint, lines);
  }

  heading('Violations');
  if (report.violations.length === 0) lines.push(`  ${paint('none', 'green')}`);
  for (const violation of report.violations) {
    lines.push(...wrap(clean(violation), width, '  ', '    ').map((l) => paint(l, 'red')));
  }

  lines.push(
    '',
    paint(verdictLine(report.violations.length), report.violations.length === 0 ? 'green' : 'red'),
  );
  // The verdict is about the invariants; what else went wrong follows it, so a clean verdict is
  // not read as a clean run.
  for (const concern of concerns(report)) {
    lines.push(...wrap(`But: ${clean(concern)}.`, width, '', '  ').map((l) => paint(l, 'yellow')));
  }
  return `${lines.map((line) => fit(line, width)).join('\n')}\n`;
}

type Paint = (text: string, tone?: Tone) => string;

/** Calls per function and operation, as the AWS twin checked them; denials and model errors first. */
function awsCalls(report: Report, width: number, paint: Paint, lines: string[]): void {
  const rows = awsCallRows(report);
  if (rows.length === 0) {
    lines.push('  none');
    return;
  }
  const total = rows.reduce((n, r) => n + r.calls, 0);
  const denied = rows.reduce((n, r) => n + r.denied, 0);
  const invalid = rows.reduce((n, r) => n + r.modelErrors, 0);
  lines.push(
    `  ${total} calls by ${new Set(rows.map((r) => r.function)).size} functions: ` +
      paint(`${denied} denied`, denied === 0 ? 'green' : 'red') +
      ', ' +
      paint(`${invalid} rejected by the API model`, invalid === 0 ? 'green' : 'red'),
  );
  // Each function on a line of its own, its calls below it: names of any length fit.
  const opWidth = Math.min(
    Math.max(...rows.map((r) => columns(clean(`${r.service} ${r.operation}`)))),
    Math.max(10, width - 4 - 1 - 5),
  );
  let current: string | undefined;
  for (const row of rows) {
    if (row.function !== current) {
      current = row.function;
      lines.push(...wrap(clean(row.function), width, '  ', '    '));
    }
    const problems =
      row.denied + row.modelErrors === 0
        ? ''
        : paint(
            ` ${row.denied > 0 ? `${row.denied} denied` : ''}${row.denied > 0 && row.modelErrors > 0 ? ', ' : ''}${row.modelErrors > 0 ? `${row.modelErrors} malformed` : ''}`,
            'red',
          );
    lines.push(
      `    ${clean(`${row.service} ${row.operation}`).padEnd(opWidth)} ${String(row.calls).padStart(5)}${problems}`,
    );
    if (row.example !== undefined)
      lines.push(...wrap(clean(row.example), width, '      ', '        ').map((l) => paint(l, 'red')));
  }
}

function header(report: Report, width: number, paint: Paint, lines: string[]): void {
  lines.push(paint(`Lifeboat simulation: ${clean(report.scenario)}`, 'bold'));
  if (report.description !== undefined && report.description.trim() !== '') {
    for (const line of report.description.split('\n')) lines.push(...wrap(clean(line), width, ''));
  }
  lines.push(`Duration ${formatClock(report.until)} (${formatSeconds(report.until)} of virtual time)`);
}

function timeline(report: Report, width: number, paint: Paint, lines: string[]): void {
  const happenings: Happening[] = report.timeline.map((entry) => ({
    at: entry.at,
    tag: TAGS[entry.kind] ?? clean(entry.kind).toUpperCase(),
    tone: TAG_TONES[entry.kind],
    where: [entry.application, entry.region]
      .filter((part): part is string => part !== undefined && part !== '')
      .map(clean)
      .join('/'),
    text: clean(entry.text),
  }));
  for (const execution of report.executions) {
    const title = `${clean(execution.workflow)} ${clean(execution.name)}`;
    happenings.push({
      at: execution.startedAt,
      tag: 'START',
      tone: 'cyan',
      where: '',
      text: `${title} started`,
    });
    if (execution.stoppedAt !== null) {
      const error = execution.error === null ? '' : `: ${clean(execution.error)}`;
      happenings.push({
        at: execution.stoppedAt,
        tag: 'STOP',
        tone: statusTone(execution.status),
        where: '',
        text: `${title} ${execution.status}${error}`,
      });
    }
  }
  // Array.prototype.sort is stable: at equal times the world's own order comes first.
  happenings.sort((a, b) => a.at - b.at);
  if (happenings.length === 0) {
    lines.push('  nothing happened');
    return;
  }
  const times = happenings.map((h) => `+${formatClock(h.at)}`);
  const timeWidth = Math.max(...times.map((t) => t.length));
  const tagWidth = Math.max(...happenings.map((h) => h.tag.length));
  for (const [i, h] of happenings.entries()) {
    const prefix = `  ${(times[i] ?? '').padEnd(timeWidth)}  `;
    const tag = h.tag.padEnd(tagWidth);
    const where = h.where === '' ? '' : `${h.where}  `;
    // The text wraps under itself, never cut: the first line after the tag and where, the rest
    // under the where column.
    const lead = columns(prefix) + tagWidth + 2;
    const [first = '', ...more] = wrap(
      h.text,
      width,
      ' '.repeat(lead + columns(where)),
      ' '.repeat(lead + 2),
    );
    lines.push(`${prefix}${paint(tag, h.tone)}  ${where}${first.trimStart()}`, ...more);
  }
}

function executionTable(
  report: Report,
  execution: ReportExecution,
  width: number,
  paint: Paint,
  lines: string[],
): void {
  const scale = timeScale(report);
  const end = execution.stoppedAt ?? report.until;
  const started = `+${formatClock(execution.startedAt)}`;
  const stopped = execution.stoppedAt === null ? 'running' : `+${formatClock(execution.stoppedAt)}`;
  const duration = `${formatClock(Math.max(0, end - execution.startedAt))}${execution.stoppedAt === null ? '+' : ''}`;
  const summary = table(
    [
      ['workflow', 'name', 'status', 'start', 'stop', 'duration', 'error'].map((text) => ({
        text,
        tone: 'dim' as const,
      })),
      [
        { text: clean(execution.workflow) },
        { text: clean(execution.name) },
        { text: execution.status, tone: statusTone(execution.status) },
        { text: started },
        { text: stopped },
        { text: duration },
        {
          text: execution.error === null ? '—' : clean(execution.error),
          tone: execution.error === null ? undefined : 'red',
        },
      ],
    ],
    '  ',
    paint,
  );
  if (Math.max(...summary.map(visibleLength)) <= width) lines.push(...summary);
  else {
    // Too narrow for the table: the same facts as a sentence, wrapped.
    const error = execution.error === null ? '' : `, error ${clean(execution.error)}`;
    const sentence = `${clean(execution.workflow)} ${clean(execution.name)}: ${execution.status}, ${started} to ${stopped} (${duration})${error}`;
    lines.push(...wrap(sentence, width, '  ', '    '));
  }
  if (execution.cause != null && execution.cause !== '') {
    lines.push(...wrap(`cause: ${clean(execution.cause)}`, width, '  ', '    '));
  }
  if (execution.states.length === 0) {
    lines.push('    no states');
    return;
  }
  // A polling loop or a retried task is one row per state, with the number of passes.
  const collapsed = collapseLoops(execution.states, report.until);
  const rows: Cell[][] = collapsed.map((state) => [
    { text: `${truncate(clean(state.label), NAME_LIMIT)}${state.count > 1 ? ` ×${state.count}` : ''}` },
    { text: clean(state.status), tone: statusTone(state.lastStatus) },
    { text: `+${formatClock(state.enteredAt)}` },
    { text: state.exitedAt === null ? 'running' : `+${formatClock(state.exitedAt)}` },
    { text: `${formatClock(state.tookSeconds)}${state.exitedAt === null ? '+' : ''}` },
  ]);
  // Narrower terminals drop the bar, then `exited`, then `entered`, before any cell is cut.
  const layouts = [
    { keep: [0, 1, 2, 3, 4], bar: true },
    { keep: [0, 1, 2, 3, 4], bar: false },
    { keep: [0, 1, 2, 4], bar: false },
    { keep: [0, 1, 4], bar: false },
  ];
  const names = ['state', 'status', 'entered', 'exited', 'took'];
  const fitted = layouts.map((layout) => {
    const pick = <T>(cells: readonly T[]): T[] =>
      layout.keep.map((i) => cells[i]).filter((c): c is T => c !== undefined);
    const head: Cell[] = pick(names).map((text) => ({ text, tone: 'dim' }));
    const picked = rows.map(pick);
    const widths = columnWidths([head, ...picked]);
    const used = 4 + widths.reduce((sum, w) => sum + w + 2, 0) - 2;
    return { layout, head, picked, widths, used };
  });
  const chosen =
    fitted.find((f) => (f.layout.bar ? f.used + 2 + 12 <= width : f.used <= width)) ?? fitted.at(-1);
  if (chosen === undefined) return;
  const { head, picked, widths, used } = chosen;
  // The bar takes what the width leaves after the columns and the errors, between 10 and 40
  // columns; where the errors leave it less than 10, each error goes on the line below its state.
  const errorWidth = Math.max(
    0,
    ...collapsed.map((r) => (r.error === undefined ? 0 : visibleLength(clean(r.error)) + 2)),
  );
  const withBar = chosen.layout.bar;
  const room = width - used - 2 - 2;
  const besideBar = withBar && room - errorWidth >= 10;
  const barWidth = Math.min(BAR_WIDTH, Math.max(10, room - (besideBar ? errorWidth : 0)));
  const from = formatClock(0);
  const to = formatClock(scale);
  const axis =
    barWidth >= from.length + to.length + 1
      ? `${from}${' '.repeat(barWidth - from.length - to.length)}${to}`
      : '';
  lines.push(`    ${row(head, widths, paint)}${withBar ? `  ${paint(` ${axis}`, 'dim')}` : ''}`.trimEnd());
  for (const [i, state] of collapsed.entries()) {
    const cells = row(picked[i] ?? [], widths, paint);
    if (!withBar) {
      lines.push(`    ${cells}`.trimEnd());
    } else {
      const { start, end: stop } = barSpan(state.enteredAt, state.exitedAt ?? scale, scale, barWidth);
      const bar = `${'·'.repeat(start)}${paint('█'.repeat(stop - start), statusTone(state.lastStatus))}${'·'.repeat(barWidth - stop)}`;
      const error = state.error === undefined || !besideBar ? '' : `  ${paint(clean(state.error), 'red')}`;
      lines.push(`    ${cells}  |${bar}|${error}`);
    }
    if (state.error !== undefined && !besideBar) {
      lines.push(...wrap(clean(state.error), width, '      ').map((l) => paint(l, 'red')));
    }
  }
}

/**
 * Whether the application was restored where it served before the outage: the answers at its
 * restore name the same regions as the first answers (no failover moved it).
 */
function restoredInPlace(report: Report, application: string, restoredAt: number): boolean {
  const series = report.dns.filter((d) => d.application === application);
  const key = (answers: readonly string[]) => [...answers].sort().join(',');
  const first = series[0];
  const atRestore = series.filter((d) => d.at <= restoredAt).at(-1);
  return first !== undefined && atRestore !== undefined && key(first.answers) === key(atRestore.answers);
}

function recovery(report: Report, paint: Paint, lines: string[], width: number): void {
  const applications = Object.entries(report.applications);
  if (applications.length === 0) {
    const rto = report.rtoSeconds === null ? 'n/a' : formatSeconds(report.rtoSeconds);
    const rpo = report.rpoSeconds === null ? 'n/a' : formatSeconds(report.rpoSeconds);
    lines.push(`  no applications; RTO ${rto}, RPO ${rpo}`);
    return;
  }
  for (const [name, app] of applications) {
    const at = (t: number | null) => (t === null ? 'n/a' : `+${formatClock(t)}`);
    lines.push(`  ${paint(clean(name), 'bold')}`);
    lines.push(`    outage at    ${at(app.outageAt)}`);
    lines.push(`    restored at  ${at(app.restoredAt)}`);
    const rto = rtoVerdict(app, report.until);
    lines.push(
      `    ${objective('RTO', app.rtoSeconds, app.rtoTargetSeconds)}${rto === 'n/a' ? '' : ` — ${paint(rto === 'not restored' ? 'not restored by the end' : rto, verdictTone(rto))}`}`,
    );
    if (app.restoredAt !== null && restoredInPlace(report, name, app.restoredAt)) {
      lines.push(
        ...wrap(
          'restored in place: the answers name the same region as before the outage, so no failover moved the service; the RTO above is how long the fault lasted, plus the TTL',
          width,
          '    ',
          '      ',
        ),
      );
    }
    if (app.recorded !== undefined) {
      const value = app.recorded.rtoSeconds === null ? 'n/a' : formatSeconds(app.recorded.rtoSeconds);
      lines.push(
        ...wrap(
          `recorded RTO ${value} from ${clean(app.recorded.from)} (${at(app.recorded.measuredFromAt)}), as Lifeboat's ledger, Slack and RTO metric say; the RTO above is measured from the fault itself`,
          width,
          '    ',
          '      ',
        ),
      );
    }
    const rpo = rpoVerdict(app);
    lines.push(
      `    ${objective('RPO', app.rpoSeconds, app.rpoTargetSeconds)}${rpo === 'n/a' ? '' : ` — ${paint(rpo, verdictTone(rpo))}`}`,
    );
  }
}

function objective(label: string, value: number | null, target: number): string {
  return `${label} ${value === null ? 'n/a' : formatSeconds(value)} (target ${formatSeconds(target)})`;
}

function finalWorld(report: Report, paint: Paint, lines: string[], width: number): void {
  const regions = Object.entries(report.world.regions);
  if (regions.length === 0) lines.push('  no regions');
  for (const [name, region] of regions) {
    lines.push(
      `  ${paint(clean(name), 'bold')}  ${region.healthy ? paint('healthy', 'green') : paint('unhealthy', 'red')}`,
    );
    const applications = Object.entries(region.applications);
    const rows: Cell[][] =
      applications.length > 0
        ? applications.map(([app, state]) => [
            { text: clean(app) },
            { text: `dns weight ${state.dnsWeight}` },
            { text: `database ${clean(state.database)}`, tone: databaseTone(state.database) },
          ])
        : [
            [
              { text: '(first application)' },
              { text: `dns weight ${region.dnsWeight}` },
              { text: `database ${region.database}`, tone: databaseTone(region.database) },
            ],
          ];
    lines.push(...table(rows, '    ', paint));
    const workloads = Object.entries(region.workloads).map(
      ([workload, ready]) => `${clean(workload)} ${ready}`,
    );
    lines.push(
      ...wrap(
        `ready workloads: ${workloads.length === 0 ? 'none' : workloads.join(', ')}`,
        width,
        '    ',
        '      ',
      ),
    );
  }
}

function table(rows: readonly (readonly Cell[])[], indent: string, paint: Paint): string[] {
  const widths = columnWidths(rows);
  return rows.map((cells) => `${indent}${row(cells, widths, paint)}`.trimEnd());
}

function columnWidths(rows: readonly (readonly Cell[])[]): number[] {
  const widths: number[] = [];
  for (const cells of rows) {
    for (const [i, cell] of cells.entries()) widths[i] = Math.max(widths[i] ?? 0, columns(cell.text));
  }
  return widths;
}

function row(cells: readonly Cell[], widths: readonly number[], paint: Paint): string {
  return cells
    .map((cell, i) => {
      const padding = ' '.repeat(Math.max(0, (widths[i] ?? 0) - columns(cell.text)));
      return `${paint(cell.text, cell.tone)}${padding}`;
    })
    .join('  ');
}

function statusTone(status: string): Tone | undefined {
  switch (status) {
    case 'SUCCEEDED':
      return 'green';
    case 'FAILED':
    case 'TIMED_OUT':
    case 'ABORTED':
      return 'red';
    case 'RUNNING':
    case 'RETRIED':
    case 'CAUGHT':
      return 'yellow';
    case 'SKIPPED':
      return 'dim';
    default:
      return undefined;
  }
}

function verdictTone(verdict: ObjectiveVerdict): Tone | undefined {
  if (verdict === 'met') return 'green';
  if (verdict === 'MISSED') return 'red';
  return verdict === 'not restored' ? 'yellow' : undefined;
}

function databaseTone(role: string): Tone | undefined {
  if (role === 'writer') return 'green';
  return role === 'down' ? 'red' : undefined;
}

/** Text from the report on one line with no control characters, so it cannot move the cursor or color. */
function clean(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    out += code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0) ? ' ' : char;
  }
  return out;
}

/** Plain text cut to `max` characters, the last one `…`. */
function truncate(text: string, max: number): string {
  const chars = codePoints(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** A line cut to `width` visible characters; ANSI sequences take no room and are kept whole. */
function fit(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let out = '';
  let shown = 0;
  let inside = false;
  let colored = false;
  for (const char of line) {
    if (char === ESC) {
      inside = true;
      colored = true;
      out += char;
    } else if (inside) {
      out += char;
      if (char === 'm') inside = false;
    } else {
      if (shown === width - 1) break;
      out += char;
      shown += 1;
    }
  }
  return `${out}…${colored ? RESET : ''}`;
}

/** Characters a terminal shows: those outside `ESC [ … m` sequences. */
function visibleLength(line: string): number {
  let length = 0;
  let inside = false;
  for (const char of line) {
    if (char === ESC) inside = true;
    else if (!inside) length += 1;
    else if (char === 'm') inside = false;
  }
  return length;
}

/** The characters of a text as a terminal counts its columns (one per code point, as the report's text is). */
function codePoints(text: string): string[] {
  const chars: string[] = [];
  for (const char of text) chars.push(char);
  return chars;
}

/** How many terminal columns text takes: an emoji takes two. */
function columns(text: string): number {
  let n = 0;
  for (const char of codePoints(text)) n += /\p{Extended_Pictographic}/u.test(char) ? 2 : 1;
  return n;
}

/** Words of plain text over lines no wider than `width`; a word too long for a line is cut. */
function wrap(text: string, width: number, indent: string, hanging = indent): string[] {
  const lines: string[] = [];
  let current = indent;
  let empty = true;
  const room = Math.max(1, width - columns(hanging));
  const words = text
    .split(' ')
    .filter((w) => w !== '')
    .flatMap((word) => (columns(word) > room ? splitLong(word, room) : [word]));
  for (const word of words) {
    const candidate = empty ? `${current}${word}` : `${current} ${word}`;
    if (columns(candidate) <= width || empty) {
      current = candidate;
      empty = false;
    } else {
      lines.push(current);
      current = `${hanging}${word}`;
    }
  }
  lines.push(current);
  return lines.map((line) => line.trimEnd());
}

/**
 * A word longer than a line (an ARN, an alarm name), in pieces that fit, each ending after a
 * `-`, `/`, `:` or `.` where one is near enough; cut at the room only where none is.
 */
function splitLong(word: string, room: number): string[] {
  const pieces: string[] = [];
  let rest = codePoints(word);
  while (rest.length > room) {
    let cut = room;
    for (let i = room; i > room / 2; i--) {
      if ('-/:.'.includes(rest[i - 1] ?? '')) {
        cut = i;
        break;
      }
    }
    pieces.push(rest.slice(0, cut).join(''));
    rest = rest.slice(cut);
  }
  pieces.push(rest.join(''));
  return pieces;
}
