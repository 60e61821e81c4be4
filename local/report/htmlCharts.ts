import type { Report, ReportSeriesPoint } from './Report.ts';
import { formatClock, formatSeconds } from './renderText.ts';

/**
 * The HTML report's charts of values over time (DNS weights, replica lag, error rate) and of RTO
 * and RPO against their targets: inline SVG, no script and no external asset.
 */

const WIDTH = 980;
const LEFT = 64;
const RIGHT = 150;
const TOP = 14;
const PLOT_HEIGHT = 150;
const BOTTOM = 26;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const PALETTE = ['#3b7fc4', '#2e9e5b', '#e59a2d', '#9b6ad1', '#d64541', '#1b9aaa', '#6b7384'];

export const CHART_STYLE = `
svg .line { fill: none; stroke-width: 2; }
svg .target { stroke: #c0392b; stroke-dasharray: 5 4; stroke-width: 1.5; }
svg .violation-marker { stroke: #c0392b; stroke-width: 2; }
svg text.violation-label { fill: #c0392b; font-weight: 600; }
.objectives td.bar { width: 55%; }
.objectives svg { border: none; background: transparent; }
svg .value.met { fill: #2e9e5b; }
svg .value.missed { fill: #d64541; }
svg .value.na { fill: #b9bfca; }
#violations.bad li { background: #fff; border-left: 4px solid #c0392b; padding: 2px 6px; margin: 4px 0; list-style: none; }
`;

interface Line {
  readonly label: string;
  readonly points: readonly { readonly at: number; readonly value: number | null }[];
}

/** The times, in seconds, that the violation lines name (`invariant N at T s: …`). */
export function violationTimes(report: Report): number[] {
  return report.violations
    .map((v) => /\bat (\d+(?:\.\d+)?) s\b/.exec(v)?.[1])
    .filter((t): t is string => t !== undefined)
    .map(Number);
}

function byApplication(series: readonly ReportSeriesPoint[]): Map<string, ReportSeriesPoint[]> {
  const out = new Map<string, ReportSeriesPoint[]>();
  for (const point of series) {
    const list = out.get(point.application);
    if (list === undefined) out.set(point.application, [point]);
    else list.push(point);
  }
  return out;
}

/** DNS weights, replica lag and error rate, one chart per application each. */
export function seriesSections(report: Report, scale: number): string {
  const series = report.series ?? [];
  const apps = byApplication(series);
  const marks = violationTimes(report);
  const empty = '<p>This report has no series (it was written before they were recorded).</p>';
  const charts = (
    title: (app: string) => string,
    lines: (points: ReportSeriesPoint[], app: string) => Line[],
    unit: string,
    fixedMax: number | undefined,
    target: (app: string) => number | undefined,
    kind: string,
  ): string =>
    apps.size === 0
      ? empty
      : [...apps]
          .map(([app, points]) => {
            const t = target(app);
            return `<h3>${esc(title(app))}</h3>\n${lineChart(lines(points, app), { scale, unit, fixedMax, target: t, marks, kind, application: app })}`;
          })
          .join('\n');
  const regionsOf = (
    points: ReportSeriesPoint[],
    pick: (p: ReportSeriesPoint) => Readonly<Record<string, number>>,
  ) => [...new Set(points.flatMap((p) => Object.keys(pick(p))))];
  const weights = charts(
    (app) => `${app}: record weights`,
    (points) =>
      regionsOf(points, (p) => p.weights).map((region) => ({
        label: region,
        points: points.map((p) => ({ at: p.at, value: p.weights[region] ?? null })),
      })),
    '',
    100,
    () => undefined,
    'weights',
  );
  const lag = charts(
    (app) => `${app}: replica lag (dashed: the RPO target)`,
    (points) =>
      regionsOf(points, (p) => p.replicaLagSeconds).map((region) => ({
        label: region,
        points: points.map((p) => ({ at: p.at, value: p.replicaLagSeconds[region] ?? null })),
      })),
    ' s',
    undefined,
    (app) => report.applications[app]?.rpoTargetSeconds,
    'lag',
  );
  const errors = charts(
    (app) => `${app}: error rate clients see`,
    (points) => [
      { label: 'error rate', points: points.map((p) => ({ at: p.at, value: p.errorRatePercent })) },
    ],
    '%',
    100,
    () => undefined,
    'errors',
  );
  return `<section id="weights">
<h2>DNS weights</h2>
<p class="meta">The weight of each region's record over time.</p>
${weights}
</section>
<section id="lag">
<h2>Replica lag</h2>
<p class="meta">How far each replica trails its writer; a line ends when its database is promoted.</p>
${lag}
</section>
<section id="errors">
<h2>Error rate</h2>
<p class="meta">The share of client requests that fail, by the traffic each region takes.</p>
${errors}
</section>`;
}

function lineChart(
  lines: readonly Line[],
  options: {
    scale: number;
    unit: string;
    fixedMax: number | undefined;
    target: number | undefined;
    marks: readonly number[];
    kind: string;
    application: string;
  },
): string {
  const values = lines.flatMap((l) => l.points.map((p) => p.value ?? 0));
  const max = options.fixedMax ?? Math.max(1, options.target ?? 0, ...values) * 1.1;
  const height = TOP + PLOT_HEIGHT + BOTTOM;
  const x = (t: number) => LEFT + (Math.min(Math.max(t, 0), options.scale) / options.scale) * PLOT_WIDTH;
  const y = (v: number) => TOP + PLOT_HEIGHT - (Math.min(v, max) / max) * PLOT_HEIGHT;
  const parts: string[] = [
    `<rect class="plot" x="${LEFT}" y="${TOP}" width="${PLOT_WIDTH}" height="${PLOT_HEIGHT}"/>`,
  ];
  for (const v of [0, max / 2, max]) {
    parts.push(
      `<line class="grid" x1="${LEFT}" y1="${num(y(v))}" x2="${LEFT + PLOT_WIDTH}" y2="${num(y(v))}"/>`,
      `<text class="tick" x="${LEFT - 6}" y="${num(y(v) + 4)}" text-anchor="end">${esc(`${Math.round(v * 10) / 10}${options.unit}`)}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const t = (options.scale * i) / 4;
    parts.push(
      `<text class="tick" x="${num(x(t))}" y="${height - 8}" text-anchor="middle">+${esc(formatClock(Math.round(t)))}</text>`,
    );
  }
  if (options.target !== undefined) {
    parts.push(
      `<line class="target" x1="${LEFT}" y1="${num(y(options.target))}" x2="${LEFT + PLOT_WIDTH}" y2="${num(y(options.target))}"><title>target ${esc(formatSeconds(options.target))}</title></line>`,
    );
  }
  for (const [i, line] of lines.entries()) {
    const color = PALETTE[i % PALETTE.length] ?? '#333';
    // Step lines: a value holds until the next point; null breaks the line.
    const segments: string[][] = [];
    let current: string[] | undefined;
    for (const [j, point] of line.points.entries()) {
      const next = line.points[j + 1]?.at ?? options.scale;
      if (point.value === null) {
        current = undefined;
        continue;
      }
      if (current === undefined) {
        current = [];
        segments.push(current);
      }
      current.push(
        `${num(x(point.at))},${num(y(point.value))}`,
        `${num(x(Math.max(point.at, next)))},${num(y(point.value))}`,
      );
    }
    for (const segment of segments) {
      parts.push(
        `<polyline class="line" data-series="${esc(line.label)}" stroke="${color}" points="${segment.join(' ')}"><title>${esc(`${options.application} ${line.label}`)}</title></polyline>`,
      );
    }
    const lastValue = [...line.points].reverse().find((p) => p.value !== null)?.value;
    parts.push(
      `<rect x="${LEFT + PLOT_WIDTH + 12}" y="${TOP + 4 + i * 18}" width="10" height="10" fill="${color}"/>`,
      `<text x="${LEFT + PLOT_WIDTH + 28}" y="${TOP + 13 + i * 18}">${esc(`${line.label}${lastValue === undefined || lastValue === null ? '' : ` (${lastValue}${options.unit})`}`)}</text>`,
    );
  }
  for (const t of options.marks) {
    parts.push(
      `<line class="violation-marker" x1="${num(x(t))}" y1="${TOP}" x2="${num(x(t))}" y2="${TOP + PLOT_HEIGHT}"><title>${esc(`invariant violated at +${formatClock(t)}`)}</title></line>`,
    );
  }
  return `<svg class="series" data-kind="${esc(options.kind)}" data-application="${esc(options.application)}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${esc(`${options.application} ${options.kind} over time`)}">
${parts.join('\n')}
</svg>`;
}

/** RTO and RPO of each application as bars against their targets. */
export function objectivesSection(report: Report): string {
  const rows = Object.entries(report.applications).flatMap(([name, app]) => [
    objectiveRow(name, 'RTO', app.rtoSeconds, app.rtoTargetSeconds),
    objectiveRow(name, 'RPO', app.rpoSeconds, app.rpoTargetSeconds),
  ]);
  if (rows.length === 0) return '';
  return `<section id="objectives" class="objectives">
<h2>RTO and RPO against target</h2>
<table>
<thead><tr><th>Application</th><th>Objective</th><th>Measured</th><th>Target</th><th class="bar">Measured (bar) against target (dashed line)</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>`;
}

function objectiveRow(application: string, what: string, value: number | null, target: number): string {
  const verdict = value === null ? 'na' : value <= target ? 'met' : 'missed';
  const max = Math.max(target, value ?? 0, 1) * 1.15;
  const w = 400;
  const bar = value === null ? 0 : (value / max) * w;
  const targetX = (target / max) * w;
  const label = value === null ? 'n/a' : formatSeconds(value);
  return `<tr class="objective ${verdict}" data-objective="${esc(`${application} ${what}`)}"><td>${esc(application)}</td><td>${esc(what)}</td><td class="${verdict === 'missed' ? 'missed' : verdict === 'met' ? 'met' : ''}">${esc(label)}${verdict === 'missed' ? ' MISSED' : verdict === 'met' ? ' met' : ''}</td><td>${esc(formatSeconds(target))}</td><td class="bar"><svg viewBox="0 0 ${w} 18" role="img" aria-label="${esc(`${application} ${what} ${label} against ${formatSeconds(target)}`)}"><rect class="value ${verdict}" x="0" y="3" width="${num(Math.max(bar, value === null ? 0 : 1))}" height="12" rx="2"/><line class="target" x1="${num(targetX)}" y1="0" x2="${num(targetX)}" y2="18"/></svg></td></tr>`;
}

function num(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
