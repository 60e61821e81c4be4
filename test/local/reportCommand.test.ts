import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, main } from '../../local/cli/main.ts';
import type { Report } from '../../local/report/Report.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: ROOT });
  return { code, stdout, stderr };
}

describe('lifeboat report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-report-'));
  let json: string;

  beforeAll(async () => {
    const { stdout } = await cli(
      'simulate',
      'examples/scenarios/health-check-flap.json',
      '--json',
      '--html',
      join(dir, 'simulated.html'),
    );
    json = join(dir, 'report.json');
    writeFileSync(json, stdout);
  });

  it('renders a saved report as the same HTML page simulate --html writes', async () => {
    const { code, stderr } = await cli('report', json, '--html', join(dir, 'rendered.html'));
    expect(code).toBe(EXIT.ok);
    expect(stderr).toContain('HTML report written to');
    const html = readFileSync(join(dir, 'rendered.html'), 'utf8');
    expect(html).toBe(readFileSync(join(dir, 'simulated.html'), 'utf8'));
    expect(html).toContain('<section id="weights">');
    // Self-contained: no script, stylesheet or image is fetched from anywhere.
    expect(html).not.toMatch(/<(script|link|img)\b[^>]*\b(src|href)=/i);
  });

  it('keeps the report contract and adds the series of weights, lag and error rate', () => {
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    for (const key of [
      'scenario',
      'executions',
      'rtoSeconds',
      'rpoSeconds',
      'world',
      'ledger',
      'slack',
      'dns',
      'writers',
      'violations',
    ])
      expect(report).toHaveProperty(key);
    expect(report.series?.[0]).toMatchObject({
      at: 0,
      application: 'ai-gateway',
      weights: { 'us-east-1': 100, 'us-west-2': 0, 'eu-west-1': 0 },
      replicaLagSeconds: { 'us-west-2': 0, 'eu-west-1': 0 },
      errorRatePercent: expect.any(Number) as number,
    });
  });

  it('prints the timeline without --html and exits 1 when the report has violations', async () => {
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const broken = join(dir, 'broken.json');
    writeFileSync(
      broken,
      JSON.stringify({ ...report, violations: ['invariant 1 at 5 s: every weight is zero'] }),
    );
    const { code, stdout } = await cli('report', broken);
    expect(code).toBe(1);
    expect(stdout).toContain('invariant 1 at 5 s: every weight is zero');
  });

  it.each([
    [['report'], 'expected one report file, got 0'],
    [['report', 'nope.json'], 'nope.json: cannot read the file: no such file'],
    [
      ['report', 'examples/lifeboat.config.json'],
      'is not a Lifeboat report (write one with "lifeboat simulate <scenario> --json > report.json")',
    ],
    [['report', 'examples/lifeboat.config.json'], 'scenario:'],
    [['report', 'a.json', '--pdf'], "Unknown option '--pdf'"],
  ])('exits 2 for %j, saying what is wrong', async (argv, message) => {
    const { code, stderr } = await cli(...argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(message);
  });
});
