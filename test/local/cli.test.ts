import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, main } from '../../local/cli/main.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: ROOT,
  });
  return { code, stdout, stderr };
}

describe('lifeboat simulate', () => {
  it('prints the report contract with --json and exits 0 when no invariant broke', async () => {
    const { code, stdout } = await cli('simulate', 'examples/scenarios/primary-outage.json', '--json');
    expect(code).toBe(EXIT.ok);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ scenario: 'primary-outage', violations: [] });
    // The scheduled backups and drills run beside the failover and the failback.
    const executions = report.executions as { workflow: string; status: string }[];
    expect(executions.filter((e) => e.workflow === 'failover' || e.workflow === 'failback')).toMatchObject([
      { workflow: 'failover', status: 'SUCCEEDED' },
      { workflow: 'failback', status: 'SUCCEEDED' },
    ]);
    for (const key of ['rtoSeconds', 'rpoSeconds', 'world', 'ledger', 'slack', 'dns', 'writers'])
      expect(report).toHaveProperty(key);
  });

  it('prints a readable timeline by default, without colors when stdout is not a terminal', async () => {
    const { code, stdout } = await cli('simulate', 'examples/scenarios/primary-outage.json');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('Timeline');
    expect(stdout).toContain('health check unhealthy');
    expect(stdout).toContain('No safety invariant was broken.');
    expect(stdout).not.toContain('\u001b[');
  });

  it('writes the HTML report to the file --html names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-cli-'));
    const { code, stderr } = await cli(
      'simulate',
      'examples/scenarios/health-check-flap.json',
      '--html',
      join(dir, 'r.html'),
    );
    expect(code).toBe(EXIT.ok);
    expect(stderr).toContain('HTML report written to');
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('exits 2 with the field named when the scenario is bad', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-cli-'));
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'bad',
        config: `${ROOT}examples/lifeboat.config.json`,
        events: [{ at: 0, fault: 'region-outage', regoin: 'us-east-1' }],
      }),
    );
    const { code, stderr, stdout } = await cli('simulate', file);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('events[0].regoin: unknown field');
    expect(stdout).toBe('');
  });

  it('runs a scenario against the config --config names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-cli-'));
    const mine = JSON.parse(readFileSync(join(ROOT, 'examples/lifeboat.config.json'), 'utf8')) as {
      applications: { name: string; targets: { rtoSeconds: number } }[];
    };
    mine.applications[0]!.targets.rtoSeconds = 300;
    writeFileSync(join(dir, 'lifeboat.config.json'), JSON.stringify(mine));
    const { code, stdout } = await cli(
      'simulate',
      'examples/scenarios/primary-outage.json',
      '--config',
      join(dir, 'lifeboat.config.json'),
      '--ports',
      '--json',
    );
    // The same outage, judged against the tighter target of this config.
    expect(code).toBe(EXIT.ok);
    const report = JSON.parse(stdout) as { applications: Record<string, { rtoTargetSeconds: number }> };
    expect(report.applications['ai-gateway']?.rtoTargetSeconds).toBe(300);
  });

  it.each([
    [[], /Usage:/],
    [['simulate'], /expected one scenario file, got 0/],
    [['simulate', 'a.json', 'b.json'], /expected one scenario file, got 2/],
    [['simulate', 'a.json', '--colour'], /Unknown option '--colour'/],
    [['simulat', 'a.json'], /unknown command "simulat"/],
    [['simulate', 'no-such-file.json'], /cannot read the file|no such file/],
  ])('exits 2 for %j with a message and the usage', async (argv, message) => {
    const { code, stderr } = await cli(...argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toMatch(message);
  });

  it('refuses an --html path it cannot write before running anything, in one line, exit 2', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'lifeboat-html-')), 'no-such-folder', 'r.html');
    const { code, stdout, stderr } = await cli(
      'simulate',
      'examples/scenarios/health-check-flap.json',
      '--ports',
      '--html',
      missing,
    );
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `lifeboat simulate: --html: cannot write ${missing}: the folder ${join(missing, '..')} does not exist\n`,
    );
  });

  it('ends quietly, with no stack trace, when its reader stops early (| head)', () => {
    // `head -n 1` closes the pipe after the first line; the rest of the timeline (larger than a pipe's
    // buffer) meets EPIPE.
    const run = spawnSync(
      'sh',
      [
        '-c',
        `"${join(ROOT, 'node_modules/.bin/node')}" bin/lifeboat.js simulate examples/scenarios/primary-outage.json --ports --quiet | head -n 1`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(run.stdout).toBe('Lifeboat simulation: primary-outage\n');
    expect(run.stderr).toBe('');
  });

  it('prints its usage on --help and exits 0', async () => {
    const { code, stdout } = await cli('--help');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('lifeboat simulate <scenario.json>');
  });

  it('runs as the lifeboat bin on Node.js 24 and refuses older versions with the way out', () => {
    const node24 = join(ROOT, 'node_modules/.bin/node');
    const ok = spawnSync(
      node24,
      [join(ROOT, 'bin/lifeboat.js'), 'simulate', 'examples/scenarios/health-check-flap.json', '--json'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ scenario: 'health-check-flap', violations: [] });
  });
});

describe('lifeboat kubernetes-rbac', () => {
  it("prints, for kubectl, a Role over the cluster's ScaledObjects alone and one over Jobs, each bound to its group", async () => {
    const { code, stdout, stderr } = await cli('kubernetes-rbac', '--cluster', 'ai-gateway-usw2');
    expect(code).toBe(EXIT.ok);
    expect(stderr).toContain('reading the example');
    expect(JSON.parse(stdout)).toEqual({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'lifeboat-scalers', namespace: 'ai-gateway' },
          rules: [
            {
              apiGroups: ['keda.sh'],
              resources: ['scaledobjects'],
              resourceNames: ['vllm'],
              verbs: ['get', 'patch'],
            },
          ],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'lifeboat-scalers', namespace: 'ai-gateway' },
          subjects: [{ kind: 'Group', name: 'lifeboat-scalers', apiGroup: 'rbac.authorization.k8s.io' }],
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'lifeboat-scalers' },
        },
        // The smoke-test custom step's Jobs run in ai-gateway: create, read and delete Jobs there.
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'lifeboat-jobs', namespace: 'ai-gateway' },
          rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'delete'] }],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'lifeboat-jobs', namespace: 'ai-gateway' },
          subjects: [{ kind: 'Group', name: 'lifeboat-jobs', apiGroup: 'rbac.authorization.k8s.io' }],
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'lifeboat-jobs' },
        },
      ],
    });
  });

  it('says when a cluster needs nothing beyond its access entries, and prints an empty list', async () => {
    const { code, stdout, stderr } = await cli('kubernetes-rbac', '--cluster', 'ai-gateway-drill-usw2');
    expect(code).toBe(EXIT.ok);
    expect(stderr).toContain('ai-gateway-drill-usw2 needs no RBAC beyond its access entries');
    expect(JSON.parse(stdout)).toMatchObject({ kind: 'List', items: [] });
  });

  it.each([
    [
      [],
      '--cluster is required: name the EKS cluster (ai-gateway-drill-use1, ai-gateway-drill-usw2, ai-gateway-euw1, ai-gateway-use1, ai-gateway-usw2)',
    ],
    [['--cluster', 'nope'], '--cluster: no cluster named "nope"'],
    [
      ['--cluster', 'ai-gateway-usw2', '--region', 'eu-west-1'],
      '--region: the config has no cluster ai-gateway-usw2 in eu-west-1; it is in us-west-2',
    ],
  ])('refuses %j with a usage error naming the fix', async (args, message) => {
    const { code, stdout, stderr } = await cli('kubernetes-rbac', ...args);
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
  });
});
