import { CHART_STYLE, objectivesSection, seriesSections, violationTimes } from './htmlCharts.ts';
import { awsCallRows } from './awsCallSummary.ts';
import { slackHtml } from './slackText.ts';
import { slackThreads } from './slackThreads.ts';
import type { Report, ReportExecution, ReportState } from './Report.ts';
import {
  formatClock,
  formatSeconds,
  rpoVerdict,
  rtoVerdict,
  stateLabel,
  timeScale,
  verdictLine,
  concerns,
  type ObjectiveVerdict,
} from './renderText.ts';

/** Chart geometry in SVG user units; the SVGs scale to the page width. */
const CHART_WIDTH = 980;
const LABEL_WIDTH = 300;
const RIGHT_PAD = 24;
const PLOT_WIDTH = CHART_WIDTH - LABEL_WIDTH - RIGHT_PAD;
const AXIS_HEIGHT = 28;
const ROW_HEIGHT = 20;
const BAR_HEIGHT = 14;
const LABEL_CHARS = 44;

/** Nice tick steps, in seconds, from which the axis takes the first that gives at most 8 intervals. */
const TICK_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];

const KNOWN_STATUSES = new Set([
  'SUCCEEDED',
  'FAILED',
  'RUNNING',
  'RETRIED',
  'CAUGHT',
  'ABORTED',
  'TIMED_OUT',
  'SKIPPED',
]);

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f6f8; color: #1c2230; line-height: 1.45;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 0 0 10px; }
h3 { font-size: 1rem; margin: 14px 0 6px; }
section { margin: 28px 0; }
.meta { color: #555e70; margin: 0 0 4px; }
.card { background: #fff; border: 1px solid #d3d8e0; border-radius: 8px; padding: 16px 18px; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 0.9rem; }
th, td { border: 1px solid #d3d8e0; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eceff4; font-weight: 600; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.denied td { background: #fdecea; color: #7d1b12; }
.met { color: #17803d; font-weight: 600; }
.missed { color: #c0392b; font-weight: 600; }
.pending { color: #a86400; font-weight: 600; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; margin: 6px 0 0; padding: 0; list-style: none; }
.chip { border-radius: 999px; padding: 1px 10px; font-size: 0.85rem; color: #fff; background: #6b7384; }
.box { border-radius: 8px; padding: 12px 16px; border: 2px solid; }
.box.bad { border-color: #c0392b; background: #fdecea; color: #7d1b12; }
.box.good { border-color: #17803d; background: #e8f6ee; color: #0f5a2a; }
.box.warn { border-color: #a86400; background: #fff4e0; color: #5c3700; }
.box ul { margin: 6px 0 0; padding-left: 20px; }
.box li { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.85rem; }
.slack { list-style: none; padding: 0; margin: 0; }
.slack li { background: #fff; border: 1px solid #d3d8e0; border-left: 4px solid #4a154b; border-radius: 6px;
  padding: 8px 12px; margin: 0 0 8px; }
.slack .text { white-space: pre-wrap; margin: 4px 0 0; }
.slack li.reply { margin-left: 28px; border-left-color: #8a6a8b; }
.slack .action { display: inline-block; border: 1px solid #b6bcc8; border-radius: 4px; padding: 0 8px;
  margin: 6px 6px 0 0; font-size: 0.85rem; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: 0.8rem; color: #555e70; margin: 6px 0 0; }
.legend span::before { content: ""; display: inline-block; width: 10px; height: 10px; margin-right: 4px;
  border-radius: 2px; background: var(--swatch); vertical-align: -1px; }
svg { display: block; width: 100%; height: auto; background: #fff; border: 1px solid #d3d8e0; border-radius: 8px; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #1c2230; }
svg text.tick { fill: #6b7384; }
svg text.group { font-weight: 600; }
svg .grid { stroke: #e6e9ef; stroke-width: 1; }
svg .plot { fill: none; stroke: #c4cad4; }
svg .separator { stroke: #c4cad4; }
svg .execution { opacity: 0.35; }
.s-succeeded { fill: #2e9e5b; --swatch: #2e9e5b; }
.s-failed { fill: #d64541; --swatch: #d64541; }
.s-timed_out { fill: #a62b27; --swatch: #a62b27; }
.s-running { fill: #3b7fc4; --swatch: #3b7fc4; }
.s-retried { fill: #e59a2d; --swatch: #e59a2d; }
.s-caught { fill: #9b6ad1; --swatch: #9b6ad1; }
.s-aborted { fill: #7d8595; --swatch: #7d8595; }
.s-skipped { fill: #b9bfca; --swatch: #b9bfca; }
.s-other { fill: #5c6b80; --swatch: #5c6b80; }
.chip.s-succeeded, .chip.s-failed, .chip.s-timed_out, .chip.s-running, .chip.s-retried, .chip.s-caught,
.chip.s-aborted, .chip.s-skipped, .chip.s-other { background: var(--swatch); }
.answered { fill: #3b7fc4; --swatch: #3b7fc4; }
.writer { fill: #2e9e5b; --swatch: #2e9e5b; }
.split { fill: #d64541; --swatch: #d64541; }
.fenced-writer { fill: #e0a030; --swatch: #e0a030; }
tr.kind-fault td { background: #fdecea; }
tr.kind-recover td { background: #e8f6ee; }
tr.kind-alarm td { background: #fff6e0; }
`;

export function renderHtml(report: Report): string {
  const scale = timeScale(report);
  const title = `Lifeboat simulation: ${report.scenario}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}${CHART_STYLE}</style>
</head>
<body>
<main>
<header>
<h1>${esc(title)}</h1>
${report.description === undefined || report.description === '' ? '' : `<p class="meta">${esc(report.description)}</p>\n`}<p class="meta">Duration ${esc(formatClock(report.until))} (${esc(formatSeconds(report.until))} of virtual time) · report version ${esc(String(report.version))}</p>
</header>
${summary(report)}
${violations(report)}
${objectivesSection(report)}
<section id="executions">
<h2>Executions</h2>
${gantt(report, scale)}
${legend(['SUCCEEDED', 'FAILED', 'RUNNING', 'RETRIED', 'CAUGHT', 'TIMED_OUT', 'ABORTED'].map((s) => [statusClass(s), s]))}
</section>
<section id="dns">
<h2>DNS answers</h2>
<p class="meta">Which regions a client's DNS query can be answered with, per application.</p>
${stepChart(
  report.dns.map((d) => ({ at: d.at, application: d.application, regions: d.answers })),
  report,
  scale,
  'answered',
  'No DNS answers were recorded.',
)}
${legend([['answered', 'answered']])}
</section>
<section id="writers">
<h2>Writers</h2>
<p class="meta">Which regions' databases accept writes, per application. A second writer is drawn in amber while it is fenced (DNS does not answer with it: no client reaches it), and both in red while DNS answers with both.</p>
${stepChart(writerSpans(report), report, scale, 'writer', 'No writers were recorded.')}
${legend([
  ['writer', 'accepts writes'],
  ['fenced-writer', 'a second writer, fenced out of DNS answers'],
  ['split', 'two writers DNS answers with'],
])}
</section>
${seriesSections(report, scale)}
<section id="timeline">
<h2>World timeline</h2>
${worldTimeline(report)}
</section>
<section id="slack">
<h2>Slack</h2>
${slack(report)}
</section>
<section id="world">
<h2>Final world</h2>
${finalWorld(report)}
</section>
${awsCalls(report)}
<p><strong>${esc(verdictLine(report.violations.length))}</strong></p>
</main>
</body>
</html>
`;
}

function summary(report: Report): string {
  const applications = Object.entries(report.applications);
  const rows = applications.map(([name, app]) => {
    const at = (t: number | null) => (t === null ? 'n/a' : `+${formatClock(t)}`);
    const recorded =
      app.recorded === undefined
        ? 'none'
        : `${app.recorded.rtoSeconds === null ? 'n/a' : formatSeconds(app.recorded.rtoSeconds)} from ${app.recorded.from} (${at(app.recorded.measuredFromAt)})`;
    return `<tr><td>${esc(name)}</td><td class="time">${esc(at(app.outageAt))}</td><td class="time">${esc(at(app.restoredAt))}</td>${objectiveCell(app.rtoSeconds, app.rtoTargetSeconds, rtoVerdict(app, report.until))}<td>${esc(recorded)}</td>${objectiveCell(app.rpoSeconds, app.rpoTargetSeconds, rpoVerdict(app))}</tr>`;
  });
  const counts = new Map<string, number>();
  for (const execution of report.executions) {
    counts.set(execution.status, (counts.get(execution.status) ?? 0) + 1);
  }
  const chips =
    counts.size === 0
      ? '<span>none</span>'
      : `<ul class="chips">${[...counts]
          .map(([status, n]) => `<li class="chip ${statusClass(status)}">${esc(status)} ${n}</li>`)
          .join('')}</ul>`;
  const count = report.violations.length;
  return `<section id="summary" class="card">
<h2>Summary</h2>
${
  rows.length === 0
    ? `<p>No applications. RTO ${esc(report.rtoSeconds === null ? 'n/a' : formatSeconds(report.rtoSeconds))}, RPO ${esc(report.rpoSeconds === null ? 'n/a' : formatSeconds(report.rpoSeconds))}.</p>`
    : `<table>
<thead><tr><th>Application</th><th>Outage at</th><th>Restored at</th><th title="From the fault itself, which only a rehearsal knows">RTO (target)</th><th title="What Lifeboat's ledger, Slack message and RTO metric say: measured from where the failure began as detection saw it">RTO recorded by Lifeboat</th><th>RPO (target)</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`
}
<p>Safety invariant violations: <a href="#violations" class="${count === 0 ? 'met' : 'missed'}">${count}</a></p>
<div>Executions by status: ${chips}</div>
</section>`;
}

function objectiveCell(value: number | null, target: number, verdict: ObjectiveVerdict): string {
  const shown = `${value === null ? 'n/a' : formatSeconds(value)} (target ${formatSeconds(target)})`;
  const mark =
    verdict === 'met'
      ? ' <span class="met">met</span>'
      : verdict === 'MISSED'
        ? ' <span class="missed">MISSED</span>'
        : verdict === 'not restored'
          ? ' <span class="pending">not restored</span>'
          : '';
  return `<td>${esc(shown)}${mark}</td>`;
}

function violations(report: Report): string {
  const other = concerns(report);
  const also =
    other.length === 0
      ? ''
      : `<p>${report.violations.length === 0 ? 'But the run was not clean' : 'Also'}:</p>
<ul class="concerns">
${other.map((c) => `<li>${esc(c)}</li>`).join('\n')}
</ul>`;
  if (report.violations.length === 0) {
    return `<section id="violations" class="box ${other.length === 0 ? 'good' : 'warn'}"><strong>No violations.</strong> ${esc(verdictLine(0))}${also}</section>`;
  }
  return `<section id="violations" class="box bad">
<strong>${esc(verdictLine(report.violations.length))}</strong>
<ul>
${report.violations.map((v) => `<li>${esc(v)}</li>`).join('\n')}
</ul>
${also}
</section>`;
}

interface Segment {
  readonly from: number;
  readonly to: number;
  readonly className: string;
  readonly title: string;
  /** The state a Gantt bar stands for. */
  readonly state?: string;
}

interface Row {
  readonly label: string;
  readonly group?: boolean;
  /** Drawn under the group row above it. */
  readonly indent?: boolean;
  readonly segments: readonly Segment[];
}

/** One header row per execution, then one row per state (a Map iteration's states get a row per index). */
function gantt(report: Report, scale: number): string {
  const rows: Row[] = [];
  for (const execution of report.executions) {
    rows.push(executionRow(execution, report.until));
    // Retries and loops re-enter a state later; they share its row, while Parallel branches and Map
    // iterations, being different states or indexes, get rows of their own and so read side by side.
    const byState = new Map<string, ReportState[]>();
    for (const state of execution.states) {
      const key = `${state.name}\u0000${state.index ?? ''}`;
      const attempts = byState.get(key);
      if (attempts === undefined) byState.set(key, [state]);
      else attempts.push(state);
    }
    for (const attempts of byState.values()) {
      const first = attempts[0];
      if (first === undefined) continue;
      rows.push({
        label: stateLabel(first),
        indent: true,
        segments: attempts.map((state) => stateSegment(state, report.until)),
      });
    }
  }
  return chart(
    rows,
    scale,
    'No executions ran.',
    'Executions and their states over time',
    violationTimes(report),
  );
}

function executionRow(execution: ReportExecution, until: number): Row {
  const stop = execution.stoppedAt ?? until;
  const error = execution.error === null ? '' : `, ${execution.error}`;
  return {
    label: `${execution.workflow} · ${execution.name}`,
    group: true,
    segments: [
      {
        from: execution.startedAt,
        to: stop,
        className: `execution ${statusClass(execution.status)}`,
        title: `${execution.workflow} ${execution.name}: ${execution.status}${error}, +${formatClock(execution.startedAt)} to ${execution.stoppedAt === null ? 'still running' : `+${formatClock(stop)}`}`,
      },
    ],
  };
}

function stateSegment(state: ReportState, until: number): Segment {
  const exited = state.exitedAt ?? until;
  const error = state.error === undefined ? '' : `, ${state.error}`;
  return {
    from: state.enteredAt,
    to: exited,
    className: statusClass(state.status),
    state: state.name,
    title: `${stateLabel(state)}${state.type === undefined ? '' : ` (${state.type})`}: ${state.status}${error}, +${formatClock(state.enteredAt)} to ${state.exitedAt === null ? 'still running' : `+${formatClock(exited)}`} (${formatSeconds(Math.max(0, exited - state.enteredAt))}${state.exitedAt === null ? ' so far' : ''})`,
  };
}

/**
 * Lanes of a step function per application and region: a region's lane is filled while the latest
 * entry of its application names it, until the next entry (or the scenario's end).
 */
/** A writers entry, and the regions DNS answered with meanwhile (writers only). */
interface StepEntry {
  readonly at: number;
  readonly application: string;
  readonly regions: readonly string[];
  readonly answered?: readonly string[];
}

/**
 * The writers log cut at every change of the DNS answers too, so that each span knows whether DNS
 * answered with each writer: a second writer DNS does not answer with is fenced, not a split brain.
 */
function writerSpans(report: Report): StepEntry[] {
  const out: StepEntry[] = [];
  const applications = new Set(report.writers.map((w) => w.application));
  for (const application of applications) {
    const writers = report.writers.filter((w) => w.application === application).sort((a, b) => a.at - b.at);
    const dns = report.dns.filter((d) => d.application === application).sort((a, b) => a.at - b.at);
    const first = writers[0]?.at ?? 0;
    const times = [
      ...new Set([...writers.map((w) => w.at), ...dns.map((d) => d.at).filter((t) => t > first)]),
    ].sort((a, b) => a - b);
    const at = <T extends { at: number }>(list: readonly T[], t: number): T | undefined =>
      list.filter((e) => e.at <= t).at(-1);
    for (const t of times) {
      out.push({
        at: t,
        application,
        regions: at(writers, t)?.regions ?? [],
        answered: at(dns, t)?.answers ?? [],
      });
    }
  }
  return out;
}

function stepChart(
  entries: readonly StepEntry[],
  report: Report,
  scale: number,
  className: string,
  empty: string,
): string {
  const byApplication = new Map<string, StepEntry[]>();
  for (const entry of entries) {
    const list = byApplication.get(entry.application);
    if (list === undefined) byApplication.set(entry.application, [entry]);
    else list.push(entry);
  }
  const rows: Row[] = [];
  for (const [application, list] of byApplication) {
    // Stable: entries at the same time keep their order, and the later one wins.
    const ordered = [...list].sort((a, b) => a.at - b.at);
    const regions = new Set<string>();
    for (const [region, state] of Object.entries(report.world.regions)) {
      if (Object.hasOwn(state.applications, application)) regions.add(region);
    }
    for (const entry of ordered) for (const region of entry.regions) regions.add(region);
    rows.push({ label: application, group: true, segments: [] });
    for (const region of regions) {
      const segments: Segment[] = [];
      for (const [i, entry] of ordered.entries()) {
        const to = ordered[i + 1]?.at ?? Math.max(scale, entry.at);
        if (!entry.regions.includes(region) || to <= entry.at) continue;
        const split = className === 'writer' && entry.regions.length > 1;
        const last = segments.at(-1);
        // Of two writers, one DNS does not answer with is fenced (nothing reaches it), and the one it
        // answers with is the writer; only writers DNS answers with together are a split brain.
        const answeredWriters = entry.regions.filter((r) => entry.answered?.includes(r) !== false);
        const kind = !split
          ? className
          : entry.answered?.includes(region) === false
            ? 'fenced-writer'
            : answeredWriters.length > 1
              ? 'split'
              : className;
        // A span goes on while its kind and its company stay the same.
        const sameCompany = (ordered[i - 1]?.regions ?? []).join() === entry.regions.join();
        if (last !== undefined && last.to === entry.at && last.className === kind && sameCompany) {
          segments[segments.length - 1] = {
            ...last,
            to,
            title: spanTitle(region, application, kind, last.from, to, entry.regions),
          };
        } else {
          segments.push({
            from: entry.at,
            to,
            className: kind,
            title: spanTitle(region, application, kind, entry.at, to, entry.regions),
          });
        }
      }
      rows.push({ label: region, indent: true, segments });
    }
  }
  return chart(rows, scale, empty, className === 'writer' ? 'Writers over time' : 'DNS answers over time');
}

function spanTitle(
  region: string,
  application: string,
  className: string,
  from: number,
  to: number,
  regions: readonly string[],
): string {
  const what =
    className === 'fenced-writer'
      ? `${region} accepts writes for ${application} but is fenced: DNS does not answer with it`
      : className === 'writer' || className === 'split'
        ? `${region} accepts writes for ${application}`
        : `${application} answered with ${region}`;
  const others = regions.length > 1 ? ` (with ${regions.filter((r) => r !== region).join(', ')})` : '';
  return `${what}${others}, +${formatClock(from)} to +${formatClock(to)}`;
}

/** A labelled lane chart with a time axis from 0 to `scale` seconds. */
function chart(
  rows: readonly Row[],
  scale: number,
  empty: string,
  label: string,
  marks: readonly number[] = [],
): string {
  if (rows.length === 0) {
    return `<svg viewBox="0 0 ${CHART_WIDTH} 40" role="img" aria-label="${esc(label)}"><text x="16" y="24">${esc(empty)}</text></svg>`;
  }
  const height = AXIS_HEIGHT + rows.length * ROW_HEIGHT + 8;
  const x = (t: number) => LABEL_WIDTH + (Math.min(Math.max(t, 0), scale) / scale) * PLOT_WIDTH;
  const parts: string[] = [];
  const step = TICK_STEPS.find((s) => scale / s <= 8) ?? Math.ceil(scale / 8);
  for (let t = 0; t <= scale + 1e-9; t += step) {
    parts.push(
      `<line class="grid" x1="${num(x(t))}" y1="${AXIS_HEIGHT - 6}" x2="${num(x(t))}" y2="${height - 4}"/>`,
      `<text class="tick" x="${num(x(t))}" y="${AXIS_HEIGHT - 10}" text-anchor="middle">${esc(tickLabel(t, step))}</text>`,
    );
  }
  parts.push(
    `<rect class="plot" x="${LABEL_WIDTH}" y="${AXIS_HEIGHT - 6}" width="${PLOT_WIDTH}" height="${height - AXIS_HEIGHT + 2}"/>`,
  );
  for (const [i, row] of rows.entries()) {
    const top = AXIS_HEIGHT + i * ROW_HEIGHT;
    if (row.group === true && i > 0) {
      parts.push(`<line class="separator" x1="0" y1="${top}" x2="${CHART_WIDTH}" y2="${top}"/>`);
    }
    const text = truncate(row.label, LABEL_CHARS);
    const labelTitle = text === row.label ? '' : `<title>${esc(row.label)}</title>`;
    parts.push(
      `<text${row.group === true ? ' class="group"' : ''} x="${row.indent === true ? 24 : 8}" y="${top + ROW_HEIGHT / 2 + 4}">${labelTitle}${esc(text)}</text>`,
    );
    for (const segment of row.segments) {
      const left = x(segment.from);
      // A zero-length span still shows, one unit wide.
      const width = Math.max(1, x(segment.to) - left);
      parts.push(
        `<rect class="${segment.className}"${segment.state === undefined ? '' : ` data-state="${esc(segment.state)}"`} x="${num(left)}" y="${top + (ROW_HEIGHT - BAR_HEIGHT) / 2}" width="${num(width)}" height="${BAR_HEIGHT}" rx="2"><title>${esc(segment.title)}</title></rect>`,
      );
    }
  }
  for (const t of marks) {
    parts.push(
      `<line class="violation-marker" x1="${num(x(t))}" y1="${AXIS_HEIGHT - 6}" x2="${num(x(t))}" y2="${height - 4}"><title>${esc(`invariant violated at +${formatClock(t)}`)}</title></line>`,
    );
  }
  return `<svg viewBox="0 0 ${CHART_WIDTH} ${height}" role="img" aria-label="${esc(label)}">
${parts.join('\n')}
</svg>`;
}

function tickLabel(t: number, step: number): string {
  if (step < 60) return `${t} s`;
  if (step < 3600) return `${t / 60} min`;
  return `${t / 3600} h`;
}

function legend(items: readonly (readonly [string, string])[]): string {
  return `<div class="legend">${items.map(([className, text]) => `<span class="${className}">${esc(text)}</span>`).join('')}</div>`;
}

function worldTimeline(report: Report): string {
  if (report.timeline.length === 0) return '<p>Nothing happened in the world.</p>';
  const rows = report.timeline.map(
    (entry) =>
      `<tr class="kind-${kindClass(entry.kind)}"><td class="time">+${esc(formatClock(entry.at))}</td><td>${esc(entry.kind)}</td><td>${esc(entry.application ?? '')}</td><td>${esc(entry.region ?? '')}</td><td>${esc(entry.text)}</td></tr>`,
  );
  return `<table>
<thead><tr><th>Time</th><th>Kind</th><th>Application</th><th>Region</th><th>What happened</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function slack(report: Report): string {
  if (report.slack.length === 0) return '<p>No Slack messages.</p>';
  const items = slackThreads(report.slack).map(({ message, reply }) => {
    const updated =
      (message.updatedAt == null ? '' : ` · updated at +${formatClock(message.updatedAt)}`) +
      (message.onlyFor === undefined ? '' : ` · only ${message.onlyFor} sees it`) +
      (!reply ? '' : message.thread?.broadcast === true ? ' · in thread, also in channel' : ' · in thread');
    const actions = message.actions.map((a) => `<span class="action">${esc(a)}</span>`).join('');
    return `<li${reply ? ' class="reply"' : ''}><div class="meta">+${esc(formatClock(message.at))}${esc(updated)}</div><div class="text">${slackHtml(message.text, esc)}</div>${actions === '' ? '' : `<div>${actions}</div>`}</li>`;
  });
  return `<ul class="slack">
${items.join('\n')}
</ul>`;
}

/** The AWS twin's calls per function and operation, denials and model errors first. */
function awsCalls(report: Report): string {
  if (report.awsCalls === undefined) return '';
  const rows = awsCallRows(report);
  const body = rows
    .map(
      (r) =>
        `<tr${r.denied + r.modelErrors > 0 ? ' class="denied"' : ''}><td>${esc(r.function)}</td><td>${esc(r.service)}</td><td>${esc(r.operation)}</td><td class="num">${r.calls}</td><td class="num">${r.denied}</td><td class="num">${r.modelErrors}</td><td>${esc(r.example ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<section id="aws-calls">
<h2>AWS calls</h2>
<p class="meta">Every AWS call the functions made, checked against AWS's API model and the calling role's IAM policies.</p>
${
  rows.length === 0
    ? '<p>No AWS calls.</p>'
    : `<table>
<thead><tr><th>function</th><th>service</th><th>operation</th><th>calls</th><th>denied</th><th>malformed</th><th>first problem</th></tr></thead>
<tbody>
${body}
</tbody>
</table>`
}
</section>`;
}

function finalWorld(report: Report): string {
  const regions = Object.entries(report.world.regions);
  if (regions.length === 0) return '<p>No regions.</p>';
  const rows = regions.map(([name, region]) => {
    const applications = Object.entries(region.applications);
    const apps =
      applications.length === 0
        ? `DNS weight ${region.dnsWeight}, database ${esc(region.database)}`
        : applications
            .map(
              ([app, state]) => `${esc(app)}: DNS weight ${state.dnsWeight}, database ${esc(state.database)}`,
            )
            .join('<br>');
    const workloads = Object.entries(region.workloads);
    const ready = workloads.length === 0 ? 'none' : workloads.map(([w, n]) => `${esc(w)}: ${n}`).join('<br>');
    return `<tr><td>${esc(name)}</td><td class="${region.healthy ? 'met' : 'missed'}">${region.healthy ? 'healthy' : 'unhealthy'}</td><td>${apps}</td><td>${ready}</td></tr>`;
  });
  return `<table>
<thead><tr><th>Region</th><th>Health</th><th>Applications</th><th>Ready workloads</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function statusClass(status: string): string {
  return KNOWN_STATUSES.has(status) ? `s-${status.toLowerCase()}` : 's-other';
}

/** A timeline kind as a class name: only letters and dashes, whatever the report holds. */
function kindClass(kind: string): string {
  return kind.toLowerCase().replace(/[^a-z-]/g, '') || 'other';
}

function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function num(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** Text for HTML content and quoted attributes alike. */
function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
