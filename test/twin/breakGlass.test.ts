import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AwsClients } from '../../local/cli/aws/AwsClients.ts';
import { EXIT, main } from '../../local/cli/main.ts';
import type { Report } from '../../local/report/Report.ts';
import type { SimulationContext } from '../../local/simulate/Simulation.ts';
import { OPERATOR } from '../../local/twin/AwsTwin.ts';
import { rehearse } from '../support/scenario.ts';

/**
 * The break-glass commands (`lifeboat unlock`, `stop`, `weights`, `fence`, `unfence`) run against a
 * rehearsal while it runs: their AWS calls go through the AWS twin (AWS's API model checked) to the
 * simulated deployment, the same Step Functions, ledger, Route 53 and CloudWatch the functions use.
 * Each refusal is met in the situation it exists for, and each action is seen in the world.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOME = mkdtempSync(join(tmpdir(), 'lifeboat-break-glass-'));
copyFileSync(join(ROOT, 'examples', 'lifeboat.config.json'), join(HOME, 'lifeboat.config.json'));

interface CommandRun {
  readonly args: readonly string[];
  readonly at: number;
  readonly endedAt: number;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

type Args = readonly string[] | ((context: SimulationContext) => readonly string[]);

/** A rehearsal with CLI commands run at given seconds (the operator's clients go through the twin). */
async function withCommands(
  events: readonly Record<string, unknown>[],
  until: number,
  commands: readonly (readonly [number, Args])[],
  setup?: (context: SimulationContext) => void,
): Promise<{ report: Report; runs: CommandRun[]; context: SimulationContext }> {
  const runs: CommandRun[] = [];
  const done: Promise<void>[] = [];
  let captured: SimulationContext | undefined;
  const report = await rehearse({
    events,
    until,
    ...(setup === undefined ? {} : { setup }),
    twin: {
      operator: (aws: AwsClients, context) => {
        captured = context;
        for (const [at, argsOf] of commands) {
          context.clock.schedule(at, () => {
            const args = typeof argsOf === 'function' ? argsOf(context) : argsOf;
            let stdout = '';
            let stderr = '';
            done.push(
              main([...args], {
                stdout: (t) => (stdout += t),
                stderr: (t) => (stderr += t),
                cwd: HOME,
                aws,
                now: () => context.clock.now(),
                sleep: (seconds) => context.clock.sleep(seconds),
              }).then((code) => {
                runs.push({ args, at, endedAt: context.clock.seconds, code, stdout, stderr });
              }),
            );
          });
        }
      },
    },
  });
  await Promise.all(done);
  if (captured === undefined) throw new Error('the rehearsal gave no operator clients');
  runs.sort((a, b) => a.at - b.at);
  return { report, runs, context: captured };
}

function at(runs: readonly CommandRun[], second: number): CommandRun {
  const run = runs.find((r) => r.at === second);
  if (run === undefined) throw new Error(`no command ran at ${second} s`);
  return run;
}

const BY = ['--by', 'ana@example.com'] as const;
const failoverName = (context: SimulationContext): string =>
  context.runner().executions.find((e) => e.workflow === 'failover')?.name ?? 'no-failover-yet';

describe('lifeboat stop and unlock during a us-east-1 outage (real ASL, AWS twin)', () => {
  let report: Report;
  let runs: CommandRun[];
  beforeAll(async () => {
    ({ report, runs } = await withCommands([{ at: 60, fault: 'region-outage', region: 'us-east-1' }], 900, [
      [200, ['unlock', '--app', 'ai-gateway', '--reason', 'looks stuck', ...BY]],
      [210, (c) => ['stop', failoverName(c), '--app', 'ai-gateway-drill', '--reason', 'wrong app', ...BY]],
      [
        220,
        (c) => ['stop', failoverName(c), '--app', 'ai-gateway', '--reason', 'promoting the wrong way', ...BY],
      ],
      [240, ['unlock', '--app', 'ai-gateway', '--reason', 'after the stop', ...BY]],
      [400, (c) => ['stop', failoverName(c), '--app', 'ai-gateway', '--reason', 'again', ...BY]],
      [410, ['unlock', '--app', 'ai-gateway', '--reason', 'after the lease', ...BY]],
      [420, ['weights', '--app', 'ai-gateway', '--set', 'us-west-2=100', '--reason', 'by hand', ...BY]],
    ]));
  }, 120_000);

  it('unlock refuses while the run that holds the lock is RUNNING, and names lifeboat stop', () => {
    const unlock = at(runs, 200);
    expect(unlock.code).toBe(EXIT.violations);
    expect(unlock.stderr).toMatch(
      /^lifeboat unlock: refused: ai-gateway's lock is held by (\S+), which is RUNNING \(failover in us-west-2\); the lock is not stuck\. To end that run: lifeboat stop \1 --app ai-gateway --reason "\.\.\."\n$/,
    );
  });

  it('stop refuses a run of another application than the one named', () => {
    const stop = at(runs, 210);
    expect(stop.code).toBe(EXIT.violations);
    expect(stop.stderr).toMatch(
      /refused: \S+ runs for ai-gateway, not ai-gateway-drill; name its application/,
    );
  });

  it('stop ends the failover with who and why, records it, and the run-ended recorder records it ABORTED', () => {
    const stop = at(runs, 220);
    expect(stop.stderr).toBe('');
    expect(stop.code).toBe(EXIT.ok);
    expect(stop.stdout).toMatch(/^Stopped (\S+) \(failover in us-west-2\) in state (\w+)\.\n/);
    const [failover] = report.executions.filter((e) => e.workflow === 'failover');
    expect(failover?.status).toBe('ABORTED');
    expect(failover?.error).toBe('StoppedByOperator');
    expect(failover?.cause).toBe('stopped by ana@example.com: promoting the wrong way');
    expect(failover!.stoppedAt).toBeGreaterThanOrEqual(220);
    expect(failover!.stoppedAt).toBeLessThan(stop.endedAt + 1);
    const breakGlass = report.ledger.find(
      (r) => r.kind === 'break-glass' && (r.details as { action?: string } | undefined)?.action === 'stop',
    );
    expect(breakGlass).toMatchObject({
      status: 'SUCCEEDED',
      reason: 'promoting the wrong way',
      details: {
        by: 'ana@example.com',
        execution: failover?.name,
        workflow: 'failover',
        region: 'us-west-2',
      },
    });
    expect(report.ledger.find((r) => r.executionName === failover?.name)).toMatchObject({
      kind: 'failover',
      status: 'ABORTED',
    });
    expect(report.timeline.map((t) => t.text)).toContainEqual(
      expect.stringMatching(/^run-ended in us-west-2 recorded failover \S+ ABORTED \(lock shortened\)$/),
    );
  });

  it("the stopped run's record and its Slack thread say what it had changed, read from its history", () => {
    const state = /in state (\w+)\./.exec(at(runs, 220).stdout)?.[1];
    const [failover] = report.executions.filter((e) => e.workflow === 'failover');
    const record = report.ledger.find((r) => r.executionName === failover?.name);
    expect(record?.details).toEqual({
      recordedBy: 'execution status change',
      stoppedIn: state,
      changes: {
        made: [
          'fenced the record of us-east-1, eu-west-1 (out of DNS answers)',
          'began promoting the database in us-west-2 and scaling its workloads; either may have finished (a promotion cannot be undone)',
        ],
        notMade: ['the Route 53 weights still on us-east-1'],
      },
    });
    const root = report.slack.find((m) => m.text.startsWith('Lifeboat is failing ai-gateway over'));
    const stopped = report.slack.find((m) => m.text.includes('STOPPED'));
    expect(stopped?.thread).toEqual({ ts: root?.ts, broadcast: true });
    // The pager hears of it too (the example's paging hook, the default bus).
    expect(report.timeline.filter((t) => t.kind === 'page').map((t) => t.text.split(': ')[1])).toEqual([
      'started (critical)',
      'stopped (critical)',
    ]);
    expect(stopped?.text).toMatch(
      new RegExp(
        `^\\*Lifeboat failover of ai-gateway to us-west-2 STOPPED\\* \\(\`${failover?.name ?? ''}\`\\) in ${state ?? ''}: StoppedByOperator: stopped by ana@example\\.com: promoting the wrong way\n`,
      ),
    );
  });

  it("unlock refuses a stopped run's lock while a region that may run it does not answer", () => {
    const unlock = at(runs, 240);
    expect(unlock.code).toBe(EXIT.violations);
    expect(unlock.stderr).toMatch(
      /^lifeboat unlock: refused: cannot prove that \S+ is not running: us-east-1 \(ServiceUnavailableException: .*\) did not answer\. Retry when it answers, or wait for the lease to run out at 2030-01-01T00:0\d:\d\d\.\d{3}Z\.\n$/,
    );
  });

  it('a second stop changes nothing, and unlock has nothing to do once the shortened lease ran out', () => {
    expect(at(runs, 400)).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(at(runs, 400).stdout).toMatch(
      /already ended ABORTED at 2030-01-01T00:03:\d\d\.\d{3}Z: nothing to stop\.\n$/,
    );
    expect(at(runs, 410)).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(at(runs, 410).stdout).toMatch(/ran out at .*: the next run takes it; nothing to release\.\n$/);
    expect(report.ledger.filter((r) => r.kind === 'break-glass')).toHaveLength(1);
  });

  it("weights says AWS was not reached while Route 53's API is down with us-east-1, and changes nothing", () => {
    const weights = at(runs, 420);
    expect(weights.code).toBe(EXIT.internal);
    expect(weights.stderr).toMatch(
      /^lifeboat weights: ServiceUnavailableException: route53 ListResourceRecordSets/,
    );
  });

  it("the operator's calls are held to AWS's API model like the functions' (none rejected)", () => {
    const operator = (report.awsCalls ?? []).filter((c) => c.function === OPERATOR);
    expect(new Set(operator.map((c) => `${c.service} ${c.operation}`))).toEqual(
      new Set([
        'dynamodb GetItem',
        'dynamodb PutItem',
        'sfn ListStateMachines',
        'sfn DescribeExecution',
        'sfn GetExecutionHistory',
        'sfn StopExecution',
        'route53 ListResourceRecordSets',
      ]),
    );
    expect(operator.filter((c) => c.modelErrors.length > 0)).toEqual([]);
    expect(report.violations).toEqual([]);
  });
});

describe('lifeboat unlock, weights, fence and unfence on a healthy deployment (AWS twin)', () => {
  let report: Report;
  let runs: CommandRun[];
  let context: SimulationContext;
  beforeAll(async () => {
    ({ report, runs, context } = await withCommands(
      [],
      900,
      [
        [60, ['unlock', '--app', 'ai-gateway', '--reason', 'a run that never started', ...BY]],
        [70, ['unlock', '--app', 'ai-gateway', '--reason', 'again', ...BY]],
        [80, ['weights', '--app', 'ai-gateway', '--set', 'us-east-1=0', '--reason', 'all off', ...BY]],
        [90, ['weights', '--app', 'ai-gateway', '--set', 'us-west-2=100', '--reason', 'to a replica', ...BY]],
        [100, ['weights', '--app', 'ai-gateway', '--set', 'us-east-1=200', '--reason', 'heavier', ...BY]],
        [110, ['fence', '--app', 'ai-gateway', '--region', 'us-east-1', '--reason', 'the writer', ...BY]],
        [120, ['fence', '--app', 'ai-gateway', '--region', 'us-west-2', '--reason', 'keep it out', ...BY]],
        [400, ['unfence', '--app', 'ai-gateway', '--region', 'us-west-2', '--reason', 'back in', ...BY]],
      ],
      (c) => {
        // A lock left by a run that never started (its owner is no execution anywhere).
        void c.clock.track(
          c.ledger.acquireLock('ai-gateway', 'failover-that-never-ran', c.clock.now(), 3600),
        );
      },
    ));
  }, 120_000);

  it('unlock releases a lock whose owner never started, records who and why, and then has nothing to do', () => {
    const unlock = at(runs, 60);
    expect(unlock).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(unlock.stdout).toMatch(
      /^Released ai-gateway's lock, held by failover-that-never-ran \(no such execution in any control-plane region\)\.\n {2}recorded {3}unlock-ai-gateway-\S+ \(break-glass, by ana@example\.com\): a run that never started\n$/,
    );
    expect(at(runs, 70).stdout).toBe('ai-gateway holds no lock (ledger in us-east-1): nothing to release.\n');
    expect(
      report.ledger.filter((r) => (r.details as { action?: string } | undefined)?.action === 'unlock'),
    ).toEqual([
      expect.objectContaining({
        kind: 'break-glass',
        reason: 'a run that never started',
        details: expect.objectContaining({ owner: 'failover-that-never-ran', ownerStatus: 'never started' }),
      }),
    ]);
  });

  it('weights refuses all records at zero and weight on a replica, and sets an allowed weight', () => {
    expect(at(runs, 80).code).toBe(EXIT.violations);
    expect(at(runs, 80).stderr).toMatch(/refused: every record of ai-gateway would weigh 0 \(us-east-1=0, /);
    expect(at(runs, 90).code).toBe(EXIT.violations);
    expect(at(runs, 90).stderr).toMatch(
      /refused: us-west-2's database is a replica of us-east-1 and accepts no writes\. Fail over to it instead/,
    );
    const heavier = at(runs, 100);
    expect(heavier).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(heavier.stdout).toMatch(
      /^Submitted us-east-1=200 for ai-gateway \(Route 53 change \S+; was us-east-1=100, /,
    );
    expect(context.world.getWeights('ai-gateway')['us-east-1']).toBe(200);
    expect(
      report.ledger.filter((r) => (r.details as { action?: string } | undefined)?.action === 'weights'),
    ).toHaveLength(1);
  });

  it('fence refuses the region that carries the traffic without --force', () => {
    expect(at(runs, 110).code).toBe(EXIT.violations);
    expect(at(runs, 110).stderr).toMatch(
      /refused: us-east-1 carries ai-gateway's traffic weight; fenced, its traffic goes to the zero-weight records.*Add --force if a person has judged it safe\.\n$/,
    );
  });

  it("fence keeps a standby out of the answers and unfence lifts it, each seen by Route 53's health checks", () => {
    const fence = at(runs, 120);
    expect(fence).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(fence.stdout).toMatch(/^Fenced ai-gateway in us-west-2: vote 1 published in eu-west-1;/);
    const unfence = at(runs, 400);
    expect(unfence).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(unfence.stdout).toMatch(/^Unfenced ai-gateway in us-west-2: vote 0 published in eu-west-1;/);
    const fenceEvents = report.timeline
      .filter((t) => t.application === 'ai-gateway' && /^record of us-west-2 (fenced|unfenced)/.test(t.text))
      .map((t) => [t.at, t.text.split(' (')[0]]);
    expect(fenceEvents).toEqual([
      [expect.any(Number), 'record of us-west-2 fenced'],
      [expect.any(Number), 'record of us-west-2 unfenced'],
    ]);
    expect(fenceEvents[0]![0]).toBeGreaterThan(120);
    expect(fenceEvents[0]![0]).toBeLessThan(400);
    expect(fenceEvents[1]![0]).toBeGreaterThan(400);
    expect(context.world.isFenced('ai-gateway', 'us-west-2')).toBe(false);
    expect(
      report.ledger
        .filter((r) => r.kind === 'break-glass')
        .map((r) => (r.details as { action?: string } | undefined)?.action),
    ).toEqual(['unlock', 'weights', 'fence', 'unfence']);
    expect(report.violations).toEqual([]);
  });
});

describe('lifeboat unfence and weights after a failover, with the old primary back (AWS twin)', () => {
  let report: Report;
  let runs: CommandRun[];
  let context: SimulationContext;
  beforeAll(async () => {
    ({ report, runs, context } = await withCommands(
      [
        { at: 0, fault: 'region-outage', region: 'us-east-1' },
        { at: 1800, recover: 'region-outage', region: 'us-east-1' },
      ],
      2400,
      [
        [2000, ['unfence', '--app', 'ai-gateway', '--region', 'us-east-1', '--reason', 'it is back', ...BY]],
        [2010, ['weights', '--app', 'ai-gateway', '--set', 'us-east-1=50', '--reason', 'split', ...BY]],
        [
          2020,
          ['fence', '--app', 'ai-gateway', '--region', 'us-west-2', '--reason', 'oops', '--force', ...BY],
        ],
      ],
    ));
  }, 120_000);

  it('unfence refuses to put the old primary, a writer, back in the answers beside the new one', () => {
    expect(report.executions.find((e) => e.workflow === 'failover')?.status).toBe('SUCCEEDED');
    expect(context.world.isFenced('ai-gateway', 'us-east-1')).toBe(true);
    const unfence = at(runs, 2000);
    expect(unfence.code).toBe(EXIT.violations);
    expect(unfence.stderr).toMatch(
      /refused: us-east-1's database accepts writes \(\w+\) while us-west-2 carries the traffic weight: unfenced, it is a second writer in Route 53's answers\. Add --force/,
    );
  });

  it('weights refuses weight on the old primary, a second writer, while the new one carries the traffic', () => {
    const weights = at(runs, 2010);
    expect(weights.code).toBe(EXIT.violations);
    expect(weights.stderr).toMatch(
      /refused: us-east-1's database accepts writes \(standalone\) while us-west-2 carries the traffic weight: weighted, it is a second writer/,
    );
    expect(context.world.getWeights('ai-gateway')['us-east-1']).toBe(0);
  });

  it('fence refuses, even with --force, to fence the last record Route 53 could answer with', () => {
    const fence = at(runs, 2020);
    expect(fence.code).toBe(EXIT.violations);
    expect(fence.stderr).toMatch(
      /refused: every other record of ai-gateway is fenced \(us-east-1, eu-west-1\)/,
    );
    expect(report.ledger.filter((r) => r.kind === 'break-glass')).toEqual([]);
    expect(report.violations).toEqual([]);
  });
});
