import type { Report, ReportExecution } from '../../local/report/Report.ts';
import { renderHtml } from '../../local/report/renderHtml.ts';
import { formatClock, renderText } from '../../local/report/renderText.ts';

const ESC = '\u001b';

/** A failover that worked: a retried lock, a Parallel of two branches, and a failback still running. */
const failover: Report = {
  version: 1,
  scenario: 'primary-outage',
  description: 'us-east-1 goes dark; ai-gateway fails over to us-west-2 and fails back on approval.',
  until: 7200,
  executions: [
    {
      workflow: 'failover',
      name: 'failover-ai-gateway-0001',
      status: 'SUCCEEDED',
      startedAt: 10,
      stoppedAt: 321,
      error: null,
      states: [
        { name: 'ValidateInput', type: 'Task', enteredAt: 10, exitedAt: 11, status: 'SUCCEEDED' },
        {
          name: 'AcquireLock',
          type: 'Task',
          enteredAt: 11,
          exitedAt: 12,
          status: 'RETRIED',
          error: 'Ledger.Busy',
        },
        { name: 'AcquireLock', type: 'Task', enteredAt: 14, exitedAt: 15, status: 'SUCCEEDED' },
        { name: 'FailoverInParallel', type: 'Parallel', enteredAt: 15, exitedAt: 320, status: 'SUCCEEDED' },
        { name: 'PromoteDatabase', type: 'Task', enteredAt: 15, exitedAt: 315, status: 'SUCCEEDED' },
        { name: 'ScaleUpNodeGroup', type: 'Task', enteredAt: 15, exitedAt: 75, status: 'SUCCEEDED' },
        { name: 'ShiftTraffic', type: 'Task', enteredAt: 75, exitedAt: 130, status: 'SUCCEEDED' },
        { name: 'WaitForWriter', type: 'Wait', enteredAt: 315, exitedAt: 320, status: 'SUCCEEDED' },
        { name: 'NotifySlack', type: 'Task', enteredAt: 320, exitedAt: 321, status: 'SUCCEEDED' },
      ],
    },
    {
      workflow: 'failback',
      name: 'failback-ai-gateway-0001',
      status: 'RUNNING',
      startedAt: 3600,
      stoppedAt: null,
      error: null,
      states: [
        { name: 'CheckApproval', type: 'Task', enteredAt: 3600, exitedAt: 3700, status: 'SUCCEEDED' },
        { name: 'RestartDeployments', type: 'Map', enteredAt: 3700, exitedAt: null, status: 'RUNNING' },
        {
          name: 'RestartDeployment',
          type: 'Task',
          enteredAt: 3700,
          exitedAt: 3760.4,
          status: 'SUCCEEDED',
          index: 0,
        },
        {
          name: 'RestartDeployment',
          type: 'Task',
          enteredAt: 3700,
          exitedAt: null,
          status: 'RUNNING',
          index: 1,
        },
      ],
    },
  ],
  rtoSeconds: 412,
  rpoSeconds: 4,
  applications: {
    'ai-gateway': {
      outageAt: 0,
      restoredAt: 352,
      rtoSeconds: 412,
      rpoSeconds: 4,
      rtoTargetSeconds: 900,
      rpoTargetSeconds: 60,
    },
    billing: {
      outageAt: 0,
      restoredAt: 1140,
      rtoSeconds: 1200,
      rpoSeconds: null,
      rtoTargetSeconds: 900,
      rpoTargetSeconds: 60,
    },
  },
  world: {
    regions: {
      'us-east-1': {
        healthy: true,
        dnsWeight: 0,
        database: 'replica',
        workloads: { 'ai-gateway/api': 3 },
        applications: {
          'ai-gateway': { dnsWeight: 0, database: 'replica' },
          billing: { dnsWeight: 100, database: 'writer' },
        },
      },
      'us-west-2': {
        healthy: true,
        dnsWeight: 100,
        database: 'writer',
        workloads: { 'ai-gateway/api': 6 },
        applications: {
          'ai-gateway': { dnsWeight: 100, database: 'writer' },
          billing: { dnsWeight: 0, database: 'replica' },
        },
      },
    },
  },
  ledger: [],
  slack: [
    { at: 320.5, text: 'Failover of ai-gateway to us-west-2 complete.', actions: [] },
    {
      at: 1900,
      text: 'us-east-1 is healthy again.\nFail ai-gateway back?',
      actions: ['Approve', 'Reject'],
      updatedAt: 3600,
    },
  ],
  dns: [
    { at: 0, application: 'ai-gateway', answers: ['us-east-1'] },
    { at: 130, application: 'ai-gateway', answers: ['us-west-2'] },
    { at: 0, application: 'billing', answers: ['us-east-1'] },
    { at: 1140, application: 'billing', answers: ['us-east-1', 'us-west-2'] },
  ],
  writers: [
    { at: 0, application: 'ai-gateway', regions: ['us-east-1'] },
    { at: 315, application: 'ai-gateway', regions: ['us-west-2'] },
  ],
  timeline: [
    { at: 0, kind: 'fault', region: 'us-east-1', text: 'region outage in us-east-1' },
    {
      at: 15,
      kind: 'node-group',
      application: 'ai-gateway',
      region: 'us-west-2',
      text: 'node group ng desired 6',
    },
    {
      at: 30,
      kind: 'health-check',
      application: 'ai-gateway',
      region: 'us-east-1',
      text: `health check unhealthy ${'after three consecutive failed probes from every checker '.repeat(4)}`,
    },
    {
      at: 60,
      kind: 'alarm',
      application: 'ai-gateway',
      region: 'us-east-1',
      text: 'alarm lifeboat-ai-gateway-us-east-1 OK → ALARM',
    },
    {
      at: 61,
      kind: 'event-delivered',
      application: 'ai-gateway',
      text: 'alarm event delivered to us-west-2',
    },
    { at: 75, kind: 'deployment', application: 'ai-gateway', region: 'us-west-2', text: 'api ready 6/6' },
    { at: 130, kind: 'dns-change', application: 'ai-gateway', text: 'change C1 submitted: us-west-2=100' },
    { at: 190, kind: 'dns-insync', application: 'ai-gateway', text: 'change C1 INSYNC' },
    {
      at: 315,
      kind: 'database',
      application: 'ai-gateway',
      region: 'us-west-2',
      text: 'db now accepts writes',
    },
    { at: 320.5, kind: 'slack', text: 'Slack: Failover of ai-gateway to us-west-2 complete.' },
    { at: 1800, kind: 'recover', region: 'us-east-1', text: 'region outage in us-east-1 over' },
  ],
  events: [],
  violations: [],
};

/** A broken run: hostile text in the scenario name and a violation, two writers at once. */
const broken: Report = {
  ...failover,
  scenario: '<script>alert(1)</script>',
  description: `a ${ESC}[31mred${ESC}[0m description`,
  executions: [
    {
      workflow: 'failover',
      name: 'failover-ai-gateway-0002',
      status: 'FAILED',
      startedAt: 10,
      stoppedAt: 40,
      error: 'States.TaskFailed',
      cause: 'PromoteDatabase: InvalidDBInstanceState',
      states: [
        {
          name: 'PromoteDatabase',
          type: 'Task',
          enteredAt: 10,
          exitedAt: 40,
          status: 'FAILED',
          error: 'States.TaskFailed',
        },
      ],
    },
  ],
  writers: [
    { at: 0, application: 'ai-gateway', regions: ['us-east-1'] },
    { at: 1805, application: 'ai-gateway', regions: ['us-east-1', 'us-west-2'] },
  ],
  dns: [...failover.dns, { at: 1805, application: 'ai-gateway', answers: ['us-east-1', 'us-west-2'] }],
  violations: [
    'invariant 6 at 1805 s: ai-gateway has two writers <script>alert(2)</script>',
    'invariant 3 at 1810 s: DNS answered with unhealthy us-east-1 for ai-gateway',
  ],
};

/** Nothing ran and nothing went wrong. */
const empty: Report = {
  version: 1,
  scenario: 'quiet-day',
  until: 600,
  executions: [],
  rtoSeconds: null,
  rpoSeconds: null,
  applications: {
    'ai-gateway': {
      outageAt: null,
      restoredAt: null,
      rtoSeconds: null,
      rpoSeconds: null,
      rtoTargetSeconds: 900,
      rpoTargetSeconds: 60,
    },
  },
  world: {
    regions: {
      'us-east-1': {
        healthy: true,
        dnsWeight: 100,
        database: 'writer',
        workloads: {},
        applications: { 'ai-gateway': { dnsWeight: 100, database: 'writer' } },
      },
    },
  },
  ledger: [],
  slack: [],
  dns: [],
  writers: [],
  timeline: [],
  events: [],
  violations: [],
};

/** One execution with one state spanning the given seconds of a one-hour scenario. */
function withState(enteredAt: number, exitedAt: number): Report {
  const execution: ReportExecution = {
    workflow: 'drill',
    name: 'drill-1',
    status: 'SUCCEEDED',
    startedAt: enteredAt,
    stoppedAt: exitedAt,
    error: null,
    states: [{ name: 'HalfTheRun', type: 'Wait', enteredAt, exitedAt, status: 'SUCCEEDED' }],
  };
  return { ...empty, until: 3600, executions: [execution] };
}

/** The lines of a section: from its heading's rule to the next blank line. */
function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(title);
  const end = lines.indexOf('', start + 2);
  return lines.slice(start + 2, end === -1 ? undefined : end);
}

/** The line of the states table that names a state. */
function stateLine(text: string, name: string): string {
  const line = text.split('\n').find((l) => l.trimStart().startsWith(`${name} `));
  if (line === undefined) throw new Error(`no line for ${name}`);
  return line;
}

describe('formatClock', () => {
  it('formats whole seconds as h:mm:ss and others with tenths', () => {
    expect(formatClock(0)).toBe('0:00:00');
    expect(formatClock(90)).toBe('0:01:30');
    expect(formatClock(3760.4)).toBe('1:02:40.4');
    expect(formatClock(59.96)).toBe('0:01:00');
  });
});

describe('renderText', () => {
  it('prints every section in order and ends with the verdict when the run is clean', () => {
    const text = renderText(failover);
    const headings = ['Timeline', 'Executions', 'Recovery', 'Final world', 'Slack', 'Violations'];
    const positions = headings.map((h) => text.split('\n').indexOf(h));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text.split('\n')[0]).toBe('Lifeboat simulation: primary-outage');
    expect(text).toContain('us-east-1 goes dark');
    expect(text).toContain('Duration 2:00:00');
    expect(section(text, 'Violations')).toEqual(['  none']);
    // billing's RTO (1200 s against 900 s) follows the verdict: not a violation, not clean either.
    expect(text.trimEnd().split('\n').slice(-2)).toEqual([
      'No safety invariant was broken.',
      'But: billing missed its RTO target: 1200 s against 900 s.',
    ]);
  });

  it('merges world happenings and execution starts and stops in time order', () => {
    // A happening too long for its line goes on below, indented under it.
    const lines = section(renderText(failover), 'Timeline').filter((l) => !l.startsWith('   '));
    const times = lines.map((l) => l.trim().split(' ')[0] ?? '');
    expect(times.every((t) => /^\+\d+:\d\d:\d\d(\.\d)?$/.test(t))).toBe(true);
    const seconds = times.map((t) => {
      const [h, m, s] = t.slice(1).split(':').map(Number);
      return (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
    });
    expect([...seconds].sort((a, b) => a - b)).toEqual(seconds);
    expect(lines).toHaveLength(failover.timeline.length + 3);
    expect(lines.find((l) => l.includes('START'))).toMatch(
      /\+0:00:10\s+START\s+failover failover-ai-gateway-0001/,
    );
    expect(lines.find((l) => l.includes('STOP'))).toMatch(/\+0:05:21\s+STOP\s+failover .* SUCCEEDED/);
    expect(lines.find((l) => l.includes('SLACK'))).toContain('+0:05:20.5');
    expect(lines.find((l) => l.includes('ALARM'))).toContain('ai-gateway/us-east-1  alarm lifeboat');
  });

  it('keeps every line within the width, wrapping a long happening under itself at word boundaries', () => {
    for (const width of [120, 80, 60]) {
      const lines = renderText(failover, { width }).split('\n');
      expect(Math.max(...lines.map((l) => Array.from(l).length))).toBeLessThanOrEqual(width);
    }
    const timeline = section(renderText(failover), 'Timeline');
    const at = timeline.findIndex((l) => l.includes('HEALTH'));
    expect(timeline[at]).toContain('ai-gateway/us-east-1  health check unhealthy after');
    expect(timeline[at]?.endsWith('…')).toBe(false);
    // The rest of its text on the next line, indented under the where column, not cut.
    const text = failover.timeline.find((e) => e.kind === 'health-check')!.text;
    const continued = timeline
      .slice(at + 1)
      .filter((_, i, rest) => rest.slice(0, i + 1).every((l) => l.startsWith('   ')));
    expect(continued.length).toBeGreaterThan(0);
    expect(
      [timeline[at]!.split('ai-gateway/us-east-1  ')[1], ...continued.map((l) => l.trim())].join(' '),
    ).toBe(text.trim());
  });

  it('breaks a word longer than a line (an alarm name, an ARN) after a hyphen, never mid-word', () => {
    const long = {
      ...failover,
      timeline: [
        {
          at: 1,
          kind: 'alarm',
          application: 'ai-gateway',
          region: 'us-east-1',
          text: 'alarm lifeboat-ai-gateway-drill-us-east-1-probe-from-us-west-2-and-a-much-longer-tail OK → ALARM',
        },
      ],
    } as typeof failover;
    const lines = section(renderText(long, { width: 60 }), 'Timeline').filter(
      (l) => !l.includes('START') && !l.includes('STOP') && !l.includes('SLACK'),
    );
    expect(lines.every((l) => Array.from(l).length <= 60)).toBe(true);
    const pieces = lines
      .flatMap((l) => l.trim().split(' '))
      .filter((w) => w.startsWith('lifeboat-') || /^[a-z0-9-]+$/.test(w));
    expect(pieces.filter((p) => p.includes('-')).every((p) => p.endsWith('-') || p.endsWith('tail'))).toBe(
      true,
    );
  });

  it('tables each execution and its states, with running spans marked', () => {
    const text = renderText(failover);
    expect(text).toMatch(
      /failover\s+failover-ai-gateway-0001\s+SUCCEEDED\s+\+0:00:10\s+\+0:05:21\s+0:05:11\s+—/,
    );
    expect(text).toMatch(/failback\s+failback-ai-gateway-0001\s+RUNNING\s+\+1:00:00\s+running\s+1:00:00\+/);
    // Retried: one row with its passes, the first entry to the last exit, the time inside summed.
    expect(text).toMatch(
      /AcquireLock ×2\s+SUCCEEDED, 1 RETRIED\s+\+0:00:11\s+\+0:00:15\s+0:00:02\s+\|.*\|\s+Ledger\.Busy/,
    );
    expect(stateLine(text, 'RestartDeployment[0]')).toMatch(
      /SUCCEEDED\s+\+1:01:40\s+\+1:02:40\.4\s+0:01:00\.4/,
    );
    expect(stateLine(text, 'RestartDeployment[1]')).toMatch(/RUNNING\s+\+1:01:40\s+running\s+0:58:20\+/);
  });

  it('draws state spans in proportion to the scenario', () => {
    const bar = (report: Report) =>
      /\|([·█]+)\|/.exec(stateLine(renderText(report), 'HalfTheRun'))?.[1] ?? '';
    expect(bar(withState(0, 1800))).toBe(`${'█'.repeat(20)}${'·'.repeat(20)}`);
    expect(bar(withState(1800, 2700))).toBe(`${'·'.repeat(20)}${'█'.repeat(10)}${'·'.repeat(10)}`);
    // A span too short for a column still shows.
    expect(bar(withState(3599, 3600))).toBe(`${'·'.repeat(39)}█`);
  });

  it('lines up parallel branches side by side', () => {
    const text = renderText(failover);
    const start = (name: string) => stateLine(text, name).indexOf('█');
    expect(start('PromoteDatabase')).toBe(start('ScaleUpNodeGroup'));
    expect(start('ShiftTraffic')).toBeGreaterThanOrEqual(start('ScaleUpNodeGroup'));
  });

  it('says whether each application met its RTO and RPO', () => {
    const recovery = section(renderText(failover), 'Recovery');
    expect(recovery).toContain('    RTO 412 s (target 900 s) — met');
    expect(recovery).toContain('    RPO 4 s (target 60 s) — met');
    expect(recovery).toContain('    RTO 1200 s (target 900 s) — MISSED');
    expect(recovery).toContain('    RPO n/a (target 60 s)');
    expect(recovery).toContain('    outage at    +0:00:00');
    expect(recovery).toContain('    restored at  +0:05:52');
  });

  it('counts an outage never restored as missed once it outlasts the target', () => {
    const lost: Report = {
      ...empty,
      until: 3600,
      applications: {
        late: { ...failover.applications['billing']!, restoredAt: null, rtoSeconds: null },
        early: { ...failover.applications['billing']!, outageAt: 3000, restoredAt: null, rtoSeconds: null },
      },
    };
    const recovery = section(renderText(lost), 'Recovery');
    expect(recovery).toContain('    RTO n/a (target 900 s) — MISSED');
    expect(recovery).toContain('    RTO n/a (target 900 s) — not restored by the end');
  });

  it('shows the final world, Slack messages and their updates', () => {
    const text = renderText(failover);
    const world = section(text, 'Final world');
    expect(world).toContain('  us-west-2  healthy');
    expect(world.some((l) => /ai-gateway\s+dns weight 100\s+database writer/.test(l))).toBe(true);
    expect(world).toContain('    ready workloads: ai-gateway/api 6');
    const slack = text.split('\n').slice(text.split('\n').indexOf('Slack'));
    expect(slack).toContain('  +0:05:20.5');
    expect(slack).toContain('  +0:31:40  (updated at +1:00:00)');
    expect(slack).toContain('      Fail ai-gateway back?');
    expect(slack).toContain('      actions: Approve, Reject');
  });

  it('lists violations and counts them in the verdict when invariants broke', () => {
    const text = renderText(broken);
    expect(section(text, 'Violations')).toEqual([
      '  invariant 6 at 1805 s: ai-gateway has two writers <script>alert(2)</script>',
      '  invariant 3 at 1810 s: DNS answered with unhealthy us-east-1 for ai-gateway',
    ]);
    const end = text.trimEnd().split('\n');
    const verdict = end.indexOf('2 safety invariant violations.');
    expect(verdict).toBeGreaterThan(0);
    expect(end.slice(verdict + 1)).toContain(
      'But: failover failover-ai-gateway-0002 ended FAILED (States.TaskFailed).',
    );
    expect(renderText({ ...broken, violations: broken.violations.slice(0, 1) })).toMatch(
      /\n1 safety invariant violation\.\n/,
    );
    expect(text).toMatch(/failover\s+failover-ai-gateway-0002\s+FAILED.*States\.TaskFailed/);
    expect(text).toContain('  cause: PromoteDatabase: InvalidDBInstanceState');
  });

  it('wraps long violations within the width', () => {
    const long = { ...broken, violations: [`invariant 1 at 5 s: ${'word '.repeat(40)}`] };
    const lines = section(renderText(long, { width: 60 }), 'Violations');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.every((l) => Array.from(l).length <= 60)).toBe(true);
    expect(lines.join(' ').replace(/\s+/g, ' ')).toContain(`invariant 1 at 5 s: ${'word '.repeat(39)}word`);
  });

  it('renders an empty run with none in each list', () => {
    const text = renderText(empty);
    expect(section(text, 'Timeline')).toEqual(['  nothing happened']);
    expect(section(text, 'Executions')).toEqual(['  none']);
    expect(section(text, 'Slack')).toEqual(['  none']);
    expect(section(text, 'Recovery')).toContain('    RTO n/a (target 900 s)');
    expect(section(text, 'Final world')).toContain('    ready workloads: none');
    expect(text).toContain('Duration 0:10:00');
    expect(text.trimEnd().split('\n').at(-1)).toBe('No safety invariant was broken.');
  });

  it('writes no ANSI codes without color, even from the report text', () => {
    expect(renderText(failover)).not.toContain(ESC);
    expect(renderText(broken)).not.toContain(ESC);
    expect(renderText(broken)).toContain('a [31mred [0m description');
  });

  it('colors statuses and violations when asked, without counting the codes in the width', () => {
    const text = renderText(broken, { color: true, width: 60 });
    expect(text).toContain(`${ESC}[31mFAILED${ESC}[0m`);
    expect(text).toContain(`${ESC}[31m  invariant 6 at 1805 s:`);
    expect(renderText(failover, { color: true })).toContain(`${ESC}[32mSUCCEEDED${ESC}[0m`);
    // eslint-disable-next-line no-control-regex -- the point is to strip the codes
    const visible = text.split('\n').map((l) => l.replace(/\u001b\[[0-9;]*m/g, ''));
    expect(Math.max(...visible.map((l) => Array.from(l).length))).toBeLessThanOrEqual(60);
    // eslint-disable-next-line no-control-regex -- the same
    expect(visible.join('\n')).toBe(renderText(broken, { width: 60 }).replace(/\u001b\[[0-9;]*m/g, ''));
  });
});

/** Open and close tags balance, void elements aside, as a single well-formed document's do. */
function balanced(html: string): boolean {
  const voids = new Set(['meta', 'br', 'hr', 'img', 'input', 'link', 'col', 'wbr']);
  const stack: string[] = [];
  const body = html.replace(/<style>[\s\S]*?<\/style>/, '');
  for (const match of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*)>/g)) {
    const [, closing, name = '', attributes = ''] = match;
    if (voids.has(name.toLowerCase()) || attributes.endsWith('/')) continue;
    if (closing === '') stack.push(name);
    else if (stack.pop() !== name) return false;
  }
  return stack.length === 0;
}

/** x and width of the bar whose tooltip starts with `title`. */
function rect(html: string, title: string): { x: number; width: number } {
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`<rect [^>]*x="([\\d.]+)"[^>]*width="([\\d.]+)"[^>]*><title>${escaped}`).exec(
    html,
  );
  if (match === null) throw new Error(`no bar for ${title}`);
  return { x: Number(match[1]), width: Number(match[2]) };
}

describe('renderHtml', () => {
  it('is one self-contained HTML5 document', () => {
    for (const report of [failover, broken, empty]) {
      const html = renderHtml(report);
      expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
      expect(html.trimEnd().endsWith('</html>')).toBe(true);
      expect(html.match(/<html/g)).toHaveLength(1);
      expect(html.match(/<body/g)).toHaveLength(1);
      expect(html).toContain('<meta charset="utf-8">');
      expect(balanced(html)).toBe(true);
      expect(html).not.toMatch(/https?:\/\/|src=|url\(|<link|<script|@import/i);
      // The execution Gantt, the DNS answers and the writers; an RTO and an RPO bar per application;
      // a weights, a lag and an error-rate chart per application in the series.
      const apps = Object.keys(report.applications).length;
      const series = new Set((report.series ?? []).map((p) => p.application)).size;
      expect(html.match(/<svg/g)).toHaveLength(3 + 2 * apps + 3 * series);
      expect(html.match(/<\/svg>/g)).toHaveLength(3 + 2 * apps + 3 * series);
    }
  });

  it('escapes the report text so a scenario cannot inject markup', () => {
    const html = renderHtml(broken);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).not.toContain('<script>alert(2)</script>');
    expect(html).toContain('<title>Lifeboat simulation: &lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(html).toContain('<h1>Lifeboat simulation: &lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(html).toContain('two writers &lt;script&gt;alert(2)&lt;/script&gt;</li>');
    const quoted = renderHtml({ ...empty, scenario: `"><img onerror=x>'` });
    expect(quoted).not.toContain('<img');
    expect(quoted).toContain('&quot;&gt;&lt;img onerror=x&gt;&#39;');
  });

  it('shows every state, each parallel branch on its own row', () => {
    const html = renderHtml(failover);
    for (const execution of failover.executions) {
      for (const state of execution.states) expect(html).toContain(`>${state.name}`);
    }
    expect(html).toContain('>RestartDeployment[0]</text>');
    expect(html).toContain('>RestartDeployment[1]</text>');
    const promote = rect(html, 'PromoteDatabase (Task)');
    const scale = rect(html, 'ScaleUpNodeGroup (Task)');
    expect(promote.x).toBe(scale.x);
    const rowOf = (name: string) => new RegExp(`y="([\\d.]+)"[^>]*>${name}</text>`).exec(html)?.[1];
    expect(rowOf('PromoteDatabase')).not.toBe(rowOf('ScaleUpNodeGroup'));
    // Both attempts of the retried state share a row, colored by their own status.
    expect(rect(html, 'AcquireLock (Task): RETRIED, Ledger.Busy').x).toBeLessThan(
      rect(html, 'AcquireLock (Task): SUCCEEDED').x,
    );
    expect(html).toMatch(/class="s-retried"[^>]*><title>AcquireLock/);
    expect(html).toMatch(/class="s-running"[^>]*><title>RestartDeployment\[1\]/);
  });

  it('draws state bars in proportion to the scenario, on a time axis', () => {
    const html = renderHtml(withState(0, 1800));
    const plot = /<rect class="plot" x="([\d.]+)"[^>]*width="([\d.]+)"/.exec(html);
    const [plotX, plotWidth] = [Number(plot?.[1]), Number(plot?.[2])];
    const half = rect(html, 'HalfTheRun');
    expect(half.x).toBeCloseTo(plotX, 0);
    expect(half.width / plotWidth).toBeCloseTo(0.5, 2);
    const quarter = rect(renderHtml(withState(1800, 2700)), 'HalfTheRun');
    expect((quarter.x - plotX) / plotWidth).toBeCloseTo(0.5, 2);
    expect(quarter.width / plotWidth).toBeCloseTo(0.25, 2);
    expect(html).toContain('>0 min</text>');
    expect(html).toContain('>60 min</text>');
    expect(renderHtml({ ...withState(0, 30), until: 60 })).toContain('>30 s</text>');
  });

  it('charts DNS answers and writers per application and region, marking two writers', () => {
    const html = renderHtml(failover);
    expect(html).toContain('<title>ai-gateway answered with us-east-1, +0:00:00 to +0:02:10</title>');
    expect(html).toContain('<title>ai-gateway answered with us-west-2, +0:02:10 to +2:00:00</title>');
    expect(html).toContain(
      '<title>billing answered with us-west-2 (with us-east-1), +0:19:00 to +2:00:00</title>',
    );
    expect(html).toContain('<title>us-west-2 accepts writes for ai-gateway, +0:05:15 to +2:00:00</title>');
    expect(html).not.toMatch(/<rect class="split"/);
    expect(renderHtml(broken)).toMatch(/<rect class="split"[^>]*><title>us-west-2 accepts writes/);
  });

  it('draws a second writer DNS does not answer with as fenced, not as a split brain', () => {
    // The old primary comes back writable at 1800 s; the fence keeps it out of the answers.
    const html = renderHtml({
      ...failover,
      writers: [
        ...failover.writers,
        { at: 1800, application: 'ai-gateway', regions: ['us-east-1', 'us-west-2'] },
      ],
    });
    expect(html).toContain(
      '<title>us-east-1 accepts writes for ai-gateway but is fenced: DNS does not answer with it (with us-west-2), +0:30:00 to +2:00:00</title>',
    );
    expect(html).toMatch(/<rect class="fenced-writer"[^>]*><title>us-east-1 accepts writes/);
    expect(html).toContain(
      '<title>us-west-2 accepts writes for ai-gateway (with us-east-1), +0:30:00 to +2:00:00</title>',
    );
    expect(html).not.toMatch(/<rect class="split"/);
  });

  it('summarises RTO and RPO against their targets and executions by status', () => {
    const html = renderHtml(failover);
    expect(html).toContain('<td>412 s (target 900 s) <span class="met">met</span></td>');
    expect(html).toContain('<td>1200 s (target 900 s) <span class="missed">MISSED</span></td>');
    expect(html).toContain('<td>n/a (target 60 s)</td>');
    expect(html).toContain('<li class="chip s-succeeded">SUCCEEDED 1</li>');
    expect(html).toContain('<li class="chip s-running">RUNNING 1</li>');
  });

  it('boxes violations in red, or says there are none in green', () => {
    const bad = renderHtml(broken);
    expect(bad).toContain('<section id="violations" class="box bad">');
    expect(bad).toContain('<strong>2 safety invariant violations.</strong>');
    expect(bad).toContain(
      '<li>invariant 3 at 1810 s: DNS answered with unhealthy us-east-1 for ai-gateway</li>',
    );
    const good = renderHtml({
      ...failover,
      applications: { 'ai-gateway': failover.applications['ai-gateway']! },
    });
    expect(good).toContain('<section id="violations" class="box good"><strong>No violations.</strong>');
    expect(good).not.toContain('class="box bad"');
  });

  it('turns the banner amber, naming each, for a failed run or a missed target without violations', () => {
    const failed: Report = {
      ...failover,
      executions: failover.executions.map((e, i) =>
        i === 0 ? { ...e, status: 'FAILED', error: 'States.Timeout' } : e,
      ),
      applications: { 'ai-gateway': { ...failover.applications['ai-gateway']!, rtoSeconds: 1200 } },
    };
    const html = renderHtml(failed);
    expect(html).toContain('<section id="violations" class="box warn"><strong>No violations.</strong>');
    expect(html).toMatch(/<li>failover failover-ai-gateway-0001 ended FAILED \(States\.Timeout\)<\/li>/);
    expect(html).toMatch(/<li>ai-gateway missed its RTO target: 1200 s against 900 s<\/li>/);
    const text = renderText(failed).trimEnd().split('\n');
    expect(text.slice(-3)).toEqual([
      'No safety invariant was broken.',
      'But: failover failover-ai-gateway-0001 ended FAILED (States.Timeout).',
      'But: ai-gateway missed its RTO target: 1200 s against 900 s.',
    ]);
  });

  it('lists the world timeline, Slack messages and the final world', () => {
    const html = renderHtml(failover);
    expect(html).toContain(
      '<tr class="kind-alarm"><td class="time">+0:01:00</td><td>alarm</td><td>ai-gateway</td><td>us-east-1</td><td>alarm lifeboat-ai-gateway-us-east-1 OK → ALARM</td></tr>',
    );
    expect(html).toContain('+0:31:40 · updated at +1:00:00');
    expect(html).toContain('us-east-1 is healthy again.\nFail ai-gateway back?');
    expect(html).toContain('<span class="action">Approve</span>');
    expect(html).toMatch(
      /<td>us-west-2<\/td><td class="met">healthy<\/td><td>ai-gateway: DNS weight 100, database writer/,
    );
    expect(html).toContain('ai-gateway/api: 6');
  });

  it('renders an empty run with empty charts and placeholders', () => {
    const html = renderHtml(empty);
    expect(html).toContain('No executions ran.');
    expect(html).toContain('No DNS answers were recorded.');
    expect(html).toContain('No Slack messages.');
    expect(html).toContain('Nothing happened in the world.');
    expect(html).toContain('<span>none</span>');
  });
});
