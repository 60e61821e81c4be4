import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { detectionSignals } from '../../shared/config/naming.ts';
import { checkFailbackInput } from '../../shared/failback/FailbackInput.ts';
import { checkFailoverInput } from '../../shared/failover/FailoverInput.ts';
import { allStates, loadAsl, operationOf, type AslMachine } from '../../shared/statemachines/aslModel.ts';
import { EXIT, main } from '../../local/cli/main.ts';
import { renderRunbook } from '../../local/runbook/renderRunbook.ts';
import { STEP_GUIDE } from '../../local/runbook/stepGuide.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const config = parseConfig(exampleConfigDocument());
const app = (name: string) => config.applications.find((a) => a.name === name)!;

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: ROOT });
  return { code, stdout, stderr };
}

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`## ${heading}`);
  expect(start).toBeGreaterThanOrEqual(0);
  const next = markdown.indexOf('\n## ', start + 3);
  return markdown.slice(start, next < 0 ? undefined : next);
}

describe('renderRunbook', () => {
  const markdown = renderRunbook(config, app('ai-gateway'), { configFile: 'examples/lifeboat.config.json' });

  it('has every section an on-call person follows', () => {
    for (const heading of [
      'At a glance',
      '1. The automatic path and what to watch',
      '2. Start a failover by hand (AWS console)',
      '3. From a terminal (CLI)',
      '4. Failback (Slack-approved)',
      '5. Backups and restore',
      '6. Verify',
      '7. Break glass',
      '8. When a step fails',
    ])
      section(markdown, heading);
  });

  it('names every detection alarm and health check of the application', () => {
    const watch = section(markdown, '1. The automatic path');
    for (const signal of detectionSignals({
      controlPlaneRegions: config.controlPlaneRegions,
      applications: [app('ai-gateway')],
    }))
      expect(watch).toContain(`\`${signal.alarmName}\``);
    expect(watch).toContain('HTTP `usw2.gateway.example.com:80/health/liveliness`, every 30 s, 3 failures');
  });

  it('gives console inputs that the failover accepts when started in the target region', () => {
    const manual = section(markdown, '2. Start a failover by hand');
    const inputs = [...manual.matchAll(/```json\n([\s\S]*?)\n```/g)].map(
      (m) => JSON.parse(m[1]!) as { targetRegion: string },
    );
    expect(inputs).toHaveLength(4);
    for (const input of inputs) {
      expect(() =>
        checkFailoverInput(input, config, {
          now: new Date(),
          currentPrimary: () => 'us-east-1',
          region: input.targetRegion,
        }),
      ).not.toThrow();
    }
  });

  it('says what to do when each step fails, with a row for every Task of the state machine and its Catch', () => {
    const failing = section(markdown, '8. When a step fails');
    const tasks = allStates(loadAsl('failover')).filter((s) => s.state.Type === 'Task');
    for (const task of tasks) expect(failing).toContain(`| \`${task.name}\``);
    expect(failing).toContain('| `ValidateInput` | Checks the input');
    expect(failing).toContain('InvalidInput → `InvalidInput`; States.ALL → `RecordFailure`');
    expect(failing).toContain('`Recover` catches it: States.ALL → `RecordFailure`');
    expect(failing).toContain('States.ALL → `CheckTargetUnavailable`');
    expect(failing).toContain('| `NotReadyError` |');
  });

  it('gives each ledger record its own description: the status it records and why', () => {
    const failing = section(markdown, '8. When a step fails');
    expect(failing).toContain(
      '| `RecordGaveWay` | records the run as SKIPPED in the ledger: another region took the lock of … first: … |',
    );
    expect(failing).toContain(
      '| `RecordSkipped` | records the run as SKIPPED in the ledger: another run holds the lock of …: … |',
    );
    expect(failing).toContain(
      '| `RecordPlan` | records the run as SUCCEEDED in the ledger: dry run: every check ran and nothing was changed |',
    );
  });

  it('carries the config it was generated from in every command, and leaves no template text', () => {
    const commands = [...markdown.matchAll(/npx lifeboat [^\n`]*/g)].map((m) => m[0]);
    expect(commands.length).toBeGreaterThan(10);
    for (const command of commands) expect(command).toMatch(/--config examples\/lifeboat\.config\.json$/);
    const spaced = renderRunbook(config, app('ai-gateway'), { configFile: 'my configs/prod.json' });
    expect(spaced).toContain("npx lifeboat status --app ai-gateway --config 'my configs/prod.json'");
    const drill = renderRunbook(config, app('ai-gateway-drill'), { configFile: 'c.json' });
    // No schedule in the drill's backup config: the one derived from its RPO target, named as such.
    expect(section(drill, '5. Backups')).toContain('taken on `rate(1 hour)` (derived from the RPO target)');
    expect(drill).not.toMatch(/<engine>|a schedule derived/);
  });

  it('restores by hand completely: the tagged copy, the region database network, and an Aurora instance', () => {
    const rds = section(markdown, '5. Backups');
    expect(rds).toContain(
      `SNAPSHOT=$(aws rds describe-db-snapshots --region us-west-2 --snapshot-type manual --query "reverse(sort_by(DBSnapshots[?TagList[?Key=='lifeboat:application' && Value=='ai-gateway']],&SnapshotCreateTime))[0].DBSnapshotIdentifier" --output text)`,
    );
    expect(rds).toContain(
      'aws rds restore-db-instance-from-db-snapshot --region us-west-2 --db-instance-identifier ai-gateway-db-use1-restored --db-snapshot-identifier "$SNAPSHOT" --db-subnet-group-name "$SUBNETS" --vpc-security-group-ids $GROUPS --no-publicly-accessible',
    );
    expect(rds).toContain(
      "--db-instance-identifier ai-gateway-db-usw2 --query 'DBInstances[0].DBSubnetGroup.DBSubnetGroupName'",
    );
    const aurora = section(
      renderRunbook(config, app('ai-gateway-drill'), { configFile: 'c.json' }),
      '5. Backups',
    );
    const lines = aurora.split('\n');
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    expect(at('aws rds restore-db-cluster-from-snapshot')).toBeGreaterThan(at('ENGINE=$('));
    expect(at('aws rds wait db-cluster-available')).toBeGreaterThan(
      at('aws rds restore-db-cluster-from-snapshot'),
    );
    expect(at('aws rds create-db-instance')).toBeGreaterThan(at('aws rds wait db-cluster-available'));
    expect(lines[at('aws rds create-db-instance')]).toContain(
      '--db-cluster-identifier ai-gateway-drill-use1-restored --engine "$ENGINE" --db-instance-class "$CLASS"',
    );
  });

  it('has a break-glass section with each command for this application and where its fences are voted', () => {
    const glass = section(markdown, '7. Break glass');
    for (const command of ['unlock', 'stop <execution-name>', 'fence', 'unfence', 'weights'])
      expect(glass).toContain(`npx lifeboat ${command} --app ai-gateway`);
    expect(glass).toContain('--set us-west-2=100,us-east-1=0');
    expect(glass).toContain("us-east-1's in us-west-2; us-west-2's in eu-west-1; eu-west-1's in us-west-2");
  });

  it('has a step guide for every operation the failover names', () => {
    const operations = allStates(loadAsl('failover'))
      .map((s) => operationOf(s.state))
      .filter((o) => o !== undefined);
    expect(operations.filter((o) => !(o in STEP_GUIDE))).toEqual([]);
  });

  it('refuses a definition with an operation it has no guide for, naming it', () => {
    const machine = structuredClone(loadAsl('failover')) as {
      States: Record<string, { Parameters?: Record<string, unknown> }>;
    };
    machine.States.FenceSource!.Parameters!.operation = 'teleport';
    expect(() =>
      renderRunbook(config, app('ai-gateway'), {
        configFile: 'c.json',
        machine: machine as unknown as AslMachine,
      }),
    ).toThrow('no runbook entry for operation teleport (state FenceSource)');
  });

  it('tells how to switch over on purpose instead of failing over, with an input the switchover accepts', () => {
    const failback = section(markdown, '4. Failback (Slack-approved)');
    expect(failback).toContain('### Planned switchover (maintenance, a region move)');
    expect(failback).toContain('State machine `lifeboat-switchover` in the console of us-west-2 with');
    expect(failback).toContain(
      'npx lifeboat start switchover --app ai-gateway --to us-west-2 --reason "us-east-1 maintenance" --config examples/lifeboat.config.json',
    );
    expect(failback).toContain('and each store (budgets)');
    expect(failback).toContain('Nothing moves until an approver presses **Approve** on Slack.');
    const inputs = [...failback.matchAll(/```json\n([\s\S]*?)\n```/g)].map(
      (m) => JSON.parse(m[1] ?? '') as { targetRegion?: string },
    );
    const input = inputs.find((i) => i.targetRegion === 'us-west-2');
    expect(input).not.toBeNull();
    expect(() =>
      checkFailbackInput(input, config, {
        workflow: 'switchover',
        currentPrimary: 'us-east-1',
        region: 'us-west-2',
      }),
    ).not.toThrow();
  });

  it('follows the config: the failback steps, the backup region, an application with automatic failover off', () => {
    expect(section(markdown, '4. Failback')).toContain('steps of 10%, 25%, 50%, 75%, 100%, each held 300 s');
    expect(section(markdown, '5. Backups')).toContain('copied to us-west-2, and kept 7 days');
    const drill = renderRunbook(config, app('ai-gateway-drill'), { configFile: 'c.json' });
    expect(section(drill, '1. The automatic path')).toContain(
      'Automatic failover is off for ai-gateway-drill',
    );
    expect(section(drill, '6. Verify')).toContain('describe-global-clusters');
  });
});

describe('lifeboat runbook', () => {
  it('writes the runbook to --out', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lifeboat-runbook-')), 'rb.md');
    const { code, stderr } = await cli('runbook', '--app', 'ai-gateway', '--out', out);
    expect(code).toBe(EXIT.ok);
    expect(stderr).toContain('Runbook for ai-gateway written to');
    expect(readFileSync(out, 'utf8')).toMatch(/^# Runbook: ai-gateway\n/);
  });

  it('prints it without --out', async () => {
    const { code, stdout } = await cli('runbook', '--app', 'ai-gateway-drill');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('# Runbook: ai-gateway-drill');
  });

  it.each([
    [['runbook'], '--app is required: name the application (ai-gateway, ai-gateway-drill)'],
    [
      ['runbook', '--app', 'gateway'],
      '--app: no application named "gateway"; the config has ai-gateway, ai-gateway-drill',
    ],
    [['runbook', '--app', 'ai-gateway', '--format', 'pdf'], "Unknown option '--format'"],
  ])('exits 2 for %j, naming the argument', async (argv, message) => {
    const { code, stderr } = await cli(...argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(message);
  });
});

describe('runbook of a CloudNativePG application (examples/cloudnativepg.config.json)', () => {
  const file = fileURLToPath(new URL('../../examples/cloudnativepg.config.json', import.meta.url));
  const config = parseConfig(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
  const markdown = renderRunbook(config, config.applications[0]!, {
    configFile: 'examples/cloudnativepg.config.json',
  });

  it('names the Clusters, the re-clone a failback waits for, the kubectl check, and no RDS backup or command', () => {
    expect(markdown).toContain(
      'CloudNativePG replica clusters (`clusters.postgresql.cnpg.io`): us-east-1 `ai-gateway/pg-use1`',
    );
    expect(markdown).toContain('Until then the failback stops at its preflight, before anything moves');
    expect(markdown).toContain(
      "kubectl get clusters.postgresql.cnpg.io pg-usw2 -n ai-gateway -o jsonpath='{.status.phase} {.spec.replica.primary}'",
    );
    expect(markdown).toContain('CloudNativePG, which backs it up itself');
    expect(markdown).toContain('us-east-1 kept as a replica of the new writer');
    expect(markdown).not.toMatch(/aws rds describe|restore-test --app/);
  });
});
