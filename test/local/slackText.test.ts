import type { ReportSlackMessage } from '../../local/report/Report.ts';
import { slackHtml, slackPlain } from '../../local/report/slackText.ts';
import { slackThreads } from '../../local/report/slackThreads.ts';

const esc = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('Slack formatting in the reports', () => {
  const failed =
    '*Lifeboat failover of ai-gateway to us-west-2 FAILED* (`failover-1`): DatabaseError: RDS said &lt;no&gt;\n*Next:* `lifeboat status --app ai-gateway` or <https://example.com/runbook|the runbook>, <@U123ABC>';

  it('reads as plain text: marks dropped, code kept in backticks, entities and links spelled out', () => {
    expect(slackPlain(failed)).toBe(
      'Lifeboat failover of ai-gateway to us-west-2 FAILED (`failover-1`): DatabaseError: RDS said <no>\nNext: `lifeboat status --app ai-gateway` or the runbook (https://example.com/runbook), @U123ABC',
    );
  });

  it('leaves what is not formatting alone: a lone asterisk, snake_case words, marks inside code', () => {
    expect(slackPlain('2 * 3 = 6; the rds_read_replica kind; `*not bold*`; _slow_ step')).toBe(
      '2 * 3 = 6; the rds_read_replica kind; `*not bold*`; slow step',
    );
  });

  it('renders as HTML: strong, code and links, every text escaped (an unescaped <...> is a link, never a tag)', () => {
    expect(slackHtml('*Done* in `us-west-2` <https://x.example/?a=1&amp;b=2|log> <script>', esc)).toBe(
      '<strong>Done</strong> in <code>us-west-2</code> <a href="https://x.example/?a=1&amp;b=2">log</a> script',
    );
  });
});

describe('slackThreads', () => {
  const m = (at: number, ts: string, thread?: string): ReportSlackMessage => ({
    at,
    ts,
    text: ts,
    actions: [],
    ...(thread === undefined ? {} : { thread: { ts: thread, broadcast: false } }),
  });

  it("lists each thread's replies under its first message, in the order posted", () => {
    const listed = slackThreads([
      m(1, 'a'),
      m(2, 'b'),
      m(3, 'a1', 'a'),
      m(4, 'b1', 'b'),
      m(5, 'a2', 'a'),
      m(6, 'x1', 'gone'),
    ]);
    expect(listed.map((t) => `${t.reply ? '  ' : ''}${t.message.ts ?? ''}`)).toEqual([
      'a',
      '  a1',
      '  a2',
      'b',
      '  b1',
      '  x1',
    ]);
  });
});
