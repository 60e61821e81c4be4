import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, parseConfig } from '../../shared/config/loadConfig.ts';
import { InvalidInputError } from '../../shared/errors.ts';
import { allStates, loadAsl, operationOf, type AslMachine } from '../../shared/statemachines/aslModel.ts';
import { EXIT, main } from '../../local/cli/main.ts';
import {
  ESTIMATED_OPERATIONS,
  PlanError,
  planFailover,
  type EndpointCheckChoice,
  type PlanStep,
} from '../../local/plan/FailoverPlan.ts';
import { planSwitchover } from '../../local/plan/SwitchoverPlan.ts';
import { DEFAULT_LATENCY } from '../../local/world/LatencyModel.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';
import { rehearse } from '../support/scenario.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: ROOT });
  return { code, stdout, stderr };
}

function config(change?: (doc: ReturnType<typeof exampleConfigDocument>) => void) {
  const doc = exampleConfigDocument();
  change?.(doc);
  return parseConfig(doc);
}

function configFile(change: (doc: ReturnType<typeof exampleConfigDocument>) => void): string {
  const doc = exampleConfigDocument();
  change(doc);
  const file = join(mkdtempSync(join(tmpdir(), 'lifeboat-plan-')), 'config.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

const names = (steps: readonly PlanStep[]) => steps.map((s) => s.name);

/** The RTO a rehearsed outage of us-east-1 (back at 1800 s) measures for `application`. */
async function rehearsedOutageRto(application: string, configFile?: string): Promise<number> {
  const report = await rehearse({
    ...(configFile === undefined ? {} : { configFile }),
    events: [
      { at: 0, fault: 'region-outage', region: 'us-east-1' },
      { at: 1800, recover: 'region-outage', region: 'us-east-1' },
    ],
    until: 2400,
  });
  const measured = report.applications[application]?.rtoSeconds;
  expect(measured).toEqual(expect.any(Number));
  return measured!;
}

/**
 * A rehearsed switchover of `application` to us-west-2, started at once and approved at 600 s, and
 * how long it took less the wait for Approve (which a plan leaves out).
 */
async function rehearsedSwitchover(application: string, configFile?: string): Promise<number> {
  const report = await rehearse({
    ...(configFile === undefined ? {} : { configFile }),
    events: [
      {
        at: 0,
        start: 'switchover',
        input: { application, targetRegion: 'us-west-2', reason: 'plan check' },
      },
      { at: 600, approve: 'switchover', by: 'U0APPROVER' },
    ],
    until: 6000,
  });
  const run = report.executions.find((e) => e.workflow === 'switchover')!;
  expect(run.status).toBe('SUCCEEDED');
  const approval = run.states.find((s) => s.name === 'RequestApproval')!;
  return run.stoppedAt! - run.startedAt - (approval.exitedAt! - approval.enteredAt);
}

describe('planFailover', () => {
  it('follows the failover state machine: its states in order, its Parallel branches side by side', () => {
    const plan = planFailover(config(), { application: 'ai-gateway', targetRegion: 'us-west-2' });
    expect(plan).toMatchObject({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', mode: 'automatic' });
    expect(names(plan.steps)).toEqual([
      'Detection',
      'ValidateInput',
      'AcquireLock',
      'WaitForLockReplication',
      'ConfirmLock',
      'NotifyStarted',
      'Preflight',
      'Decide',
      'FenceSource',
      'Recover',
      'NotifyRestored',
      'ShiftTraffic',
      'WaitForInSync ⇄ CheckChange',
      'NotifyTrafficMoved',
      'VerifyTarget',
      'CustomStepsAfterTraffic',
      'RecordSuccess',
      'NotifySuccess',
      'FollowWriter',
      'NotifyReplicas',
      'RecordReplicas',
      'ReleaseLock',
    ]);
    const preflight = plan.steps.find((s) => s.name === 'Preflight');
    expect(preflight?.branches?.map(names)).toEqual([
      ['CheckTarget'],
      ['WaitForConfirmation', 'CheckSource'],
      ['CheckReplicaLag'],
      ['CheckCooldown'],
      ['CheckTargetCluster'],
    ]);
    const recover = plan.steps.find((s) => s.name === 'Recover');
    expect(recover?.branches?.map(names)).toEqual([
      ['PromoteDatabase', 'WaitForDatabase ⇄ CheckDatabase', 'NotifyPromoted'],
      ['ScaleNodeGroups', 'ScaleDeployments', 'WaitForWorkloads ⇄ CheckWorkloads', 'NotifyWorkloadsReady'],
      ['NotifyFenced'],
    ]);
    // Branches start together.
    for (const branch of recover?.branches ?? []) expect(branch[0]?.startsAt).toBe(recover?.startsAt);
  });

  it('names the resources of the config each step touches', () => {
    const plan = planFailover(config(), { application: 'ai-gateway', targetRegion: 'us-west-2' });
    const all = plan.steps.flatMap((s) => [s, ...(s.branches ?? []).flat()]);
    const touches = (name: string) => all.find((s) => s.name === name)?.touches;
    // The example's store fails over beside the database.
    expect(touches('PromoteDatabase')).toEqual([
      'RDS instance ai-gateway-db-usw2 (us-west-2)',
      'Global Datastore ldgnf-ai-gateway-budgets (store budgets) → ai-gateway-budgets-usw2',
    ]);
    expect(plan.rpo.stores).toEqual(['budgets']);
    expect(touches('ScaleNodeGroups')).toEqual(['node group ai-gateway-usw2/general: 2 → 6 (max 10)']);
    expect(touches('FenceSource')).toEqual([
      'fence metric and alarm of us-east-1',
      'fence metric and alarm of eu-west-1',
    ]);
    expect(touches('ShiftTraffic')).toEqual([
      'Route 53 record gateway.example.com: us-east-1 → 0, us-west-2 → 100',
    ]);
    expect(touches('Detection')).toEqual([
      'lifeboat-ai-gateway-us-east-1-probe-from-us-west-2',
      'lifeboat-ai-gateway-us-east-1-probe-from-eu-west-1',
    ]);
    expect(plan.warnings.join('\n')).toContain(
      'lifeboat-ai-gateway-us-east-1-route53-health lives in us-east-1',
    );
  });

  it('estimates the RTO within 5% of what the rehearsal of the same outage measures', async () => {
    const plan = planFailover(config(), { application: 'ai-gateway', targetRegion: 'us-west-2' });
    const measured = await rehearsedOutageRto('ai-gateway');
    expect(Math.abs(plan.rtoSeconds - measured) / measured).toBeLessThan(0.05);
    expect(plan.meetsRto).toBe(true);
    expect(plan.dominant.label).toBe('RDS promotion until the target writes');
  });

  it('says the target cannot be met and which step dominates when the promotion is too slow', () => {
    const plan = planFailover(config(), {
      application: 'ai-gateway',
      targetRegion: 'us-west-2',
      latency: { ...DEFAULT_LATENCY, rdsPromoteSeconds: 1200 },
    });
    expect(plan.meetsRto).toBe(false);
    expect(plan.rtoSeconds).toBeGreaterThan(plan.rtoTargetSeconds);
    expect(plan.dominant).toEqual({ label: 'RDS promotion until the target writes', seconds: 1200 });
  });

  it('puts the node group scale-up on the RTO path when the workloads are the last to be ready', () => {
    const plan = planFailover(config(), {
      application: 'ai-gateway-drill',
      targetRegion: 'us-west-2',
    });
    expect(plan.mode).toBe('manual');
    expect(plan.critical.map((c) => c.label)).toEqual(
      expect.arrayContaining(['new nodes join the cluster', 'pods start and pass readiness']),
    );
    expect(plan.dominant.label).toBe('new nodes join the cluster');
  });

  it('warns that automatic failover cannot start when too few signals can be read during the outage', () => {
    const plan = planFailover(
      config((doc) => {
        (doc.applications[0] as { detection?: unknown }).detection = { quorum: 3 };
      }),
      { application: 'ai-gateway', targetRegion: 'us-west-2' },
    );
    expect(plan.mode).toBe('manual');
    expect(plan.warnings.join('\n')).toContain(
      'automatic failover cannot start during an outage of us-east-1: 2 signal(s) can be read and detection.quorum is 3',
    );
  });

  it('reads the definition it is given: a branch removed from the file is gone from the plan', () => {
    const machine = structuredClone(loadAsl('failover')) as {
      States: Record<string, { Branches?: unknown[] }>;
    };
    machine.States.Preflight!.Branches = machine.States.Preflight!.Branches!.slice(0, 4);
    const plan = planFailover(config(), {
      application: 'ai-gateway',
      targetRegion: 'us-west-2',
      machine: machine as unknown as AslMachine,
    });
    expect(plan.steps.find((s) => s.name === 'Preflight')?.branches).toHaveLength(4);
  });

  it('refuses a definition with an operation it cannot estimate, naming it', () => {
    const machine = structuredClone(loadAsl('failover')) as {
      States: Record<string, { Parameters?: Record<string, unknown> }>;
    };
    machine.States.FenceSource!.Parameters!.operation = 'teleport';
    expect(() =>
      planFailover(config(), {
        application: 'ai-gateway',
        targetRegion: 'us-west-2',
        machine: machine as unknown as AslMachine,
      }),
    ).toThrow(
      new PlanError(
        'no estimate for operation teleport (state FenceSource); add one to local/plan/FailoverPlan.ts',
      ),
    );
  });

  it('has an estimate for every operation the failover definition names', () => {
    const operations = allStates(loadAsl('failover'))
      .map((s) => operationOf(s.state))
      .filter((o): o is string => o !== undefined);
    expect(operations.filter((o) => !ESTIMATED_OPERATIONS.includes(o))).toEqual([]);
  });

  it('refuses a target that is not a region of the application, as the workflow would', () => {
    expect(() => planFailover(config(), { application: 'ai-gateway', targetRegion: 'ap-south-1' })).toThrow(
      InvalidInputError,
    );
    expect(() => planFailover(config(), { application: 'ai-gateway', targetRegion: 'us-east-1' })).toThrow(
      /already serves ai-gateway/,
    );
  });
});

describe('the endpoint checks to choose from', () => {
  it('prices each setting for every record and marks the config', () => {
    const checks = planFailover(config(), {
      application: 'ai-gateway',
      targetRegion: 'us-west-2',
    }).endpointChecks;
    expect(checks).toMatchObject({
      regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
      checksPerRecord: 1,
      failureThreshold: 3,
    });
    // $0.50 a check, $1 for HTTPS, $1 for the 10 s interval; 3 records × 1 check.
    const row = (c: EndpointCheckChoice) => [
      c.https,
      c.intervalSeconds,
      c.monthlyUsd,
      c.route53DetectsSeconds,
      c.current,
    ];
    expect(checks?.choices.map(row)).toEqual([
      [true, 10, 7.5, 30, false],
      [true, 30, 4.5, 90, false],
      [false, 10, 4.5, 30, false],
      [false, 30, 1.5, 90, true],
    ]);
    // fenceVotes "majority" lists the endpoint twice in each record's check: twice the price.
    const majority = planFailover(
      config((doc) => Object.assign(doc, { fenceVotes: 'majority' })),
      { application: 'ai-gateway', targetRegion: 'us-west-2' },
    ).endpointChecks;
    expect(majority?.checksPerRecord).toBe(2);
    expect(majority?.choices.map((c) => c.monthlyUsd)).toEqual([15, 9, 9, 3]);
    expect(checks?.choices.find((c) => c.intervalSeconds === 30)?.route53AlarmSeconds).toBe(120);
  });

  it('plans each setting: a slower check moves the RTO only where Route 53 is among the first signals', () => {
    // us-west-2 fails (its Route 53 alarm in us-east-1 can be read) and a quorum of all three signals
    // is needed: the slowest signal, Route 53's, starts the failover.
    const quorumOfAll = config((doc) => {
      doc.applications[0]!.detection = { quorum: 3 };
    });
    const plan = planFailover(quorumOfAll, {
      application: 'ai-gateway',
      sourceRegion: 'us-west-2',
      targetRegion: 'eu-west-1',
    });
    const [fast, slow] = plan.endpointChecks?.choices ?? [];
    expect(plan.endpointChecks?.choices.find((c) => c.current)).toMatchObject({
      https: false,
      intervalSeconds: 30,
    });
    expect(slow?.rtoSeconds).toBe(plan.rtoSeconds);
    // Its alarm changes a period later (120 s against 60 s); the confirmation window absorbs part.
    expect(slow!.route53AlarmSeconds - fast!.route53AlarmSeconds).toBe(60);
    expect(slow!.rtoSeconds).toBeGreaterThan(fast!.rtoSeconds);
    expect(slow!.rtoSeconds - fast!.rtoSeconds).toBeLessThanOrEqual(60);
  });

  it('prints the choices with lifeboat plan', async () => {
    const { code, stdout } = await cli(
      'plan',
      '--app',
      'ai-gateway',
      '--to',
      'us-west-2',
      '--config',
      'examples/lifeboat.config.json',
    );
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/Endpoint checks of ai-gateway/);
    expect(stdout).toMatch(/HTTPS\s+10 s\s+7\.50\s+30 s\s+\+0:01:00\s+[\d.]+ s\n/);
    expect(stdout).toMatch(/HTTP\s+30 s\s+1\.50\s+90 s\s+\+0:02:00\s+[\d.]+ s\s+← the config/);
  });
});

describe('lifeboat plan', () => {
  it('prints the steps, the estimated RTO and the target, and exits 0 when the target can be met', async () => {
    const { code, stdout } = await cli('plan', '--app', 'ai-gateway', '--to', 'us-west-2');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('Failover plan for ai-gateway: us-east-1 → us-west-2 (automatic)');
    expect(stdout).toContain('Recover (parallel, 3 branches)');
    expect(stdout).toMatch(/Estimated RTO [\d.]+ s against the target of 900 s: met/);
  });

  it('exits 1 and says plainly when the target cannot be met, naming the dominant step', async () => {
    const file = configFile((doc) => {
      (doc.applications[0] as { targets: { rtoSeconds: number } }).targets.rtoSeconds = 300;
    });
    const { code, stdout } = await cli('plan', '--app', 'ai-gateway', '--to', 'us-west-2', '--config', file);
    expect(code).toBe(1);
    expect(stdout).toMatch(/The RTO target of 300 s CANNOT be met: the estimate is [\d.]+ s/);
    expect(stdout).toContain('RDS promotion until the target writes dominates');
  });

  it('prints JSON with --json', async () => {
    const { code, stdout } = await cli('plan', '--app', 'ai-gateway-drill', '--to', 'us-west-2', '--json');
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(stdout)).toMatchObject({
      application: 'ai-gateway-drill',
      mode: 'manual',
      meetsRto: true,
    });
  });

  it.each([
    [
      ['plan', '--to', 'us-west-2'],
      '--app is required: name the application to plan for (ai-gateway, ai-gateway-drill)',
    ],
    [
      ['plan', '--app', 'ai-gateway'],
      '--to is required: name the region to fail over to (us-west-2, eu-west-1)',
    ],
    [['plan', '--app', 'ai-gateway', '--to', 'ap-south-1'], '--to: ap-south-1 is not a region of ai-gateway'],
    [['plan', '--app', 'nope', '--to', 'us-west-2'], '--app: no application named "nope"'],
    [
      ['plan', '--app', 'ai-gateway', '--to', 'us-west-2', '--from', 'mars-1'],
      '--from: mars-1 is not a region',
    ],
    [['plan', '--app', 'ai-gateway', '--to', 'us-west-2', '--speed', 'fast'], "Unknown option '--speed'"],
    [
      ['plan', '--app', 'ai-gateway', '--to', 'us-west-2', '--config', 'nope.json'],
      'cannot read the file: no such file',
    ],
  ])('exits 2 for %j, naming the argument', async (argv, message) => {
    const { code, stderr, stdout } = await cli(...argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(message);
    expect(stdout).toBe('');
  });
});

describe('planSwitchover', () => {
  it('follows lifeboat-switchover: each weight step set, waited on, baked and guarded, then the fence and the switch', () => {
    const plan = planSwitchover(config(), { application: 'ai-gateway', targetRegion: 'us-west-2' });
    expect(plan).toMatchObject({
      workflow: 'switchover',
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      approval: 'slack',
      rpoSeconds: 0,
      stores: ['budgets'],
    });
    const shown = names(plan.steps);
    expect(shown).toContain('RequestApproval');
    expect(shown).not.toContain('AnnounceStart');
    // Five steps of dns.failback.steps, in order, each one a change, a wait for INSYNC, a bake, a guard.
    const shifts = plan.steps.filter((s) => s.name === 'ShiftStep');
    expect(shifts.map((s) => /us-west-2 → (\d+) %/.exec(s.touches[0] ?? '')?.[1])).toEqual([
      '10',
      '25',
      '50',
      '75',
      '100',
    ]);
    expect(plan.steps.filter((s) => s.name === 'Bake').map((s) => s.seconds)).toEqual([
      300, 300, 300, 300, 300,
    ]);
    expect(shown.slice(shown.indexOf('Guard', shown.lastIndexOf('ShiftStep')))).toEqual([
      'Guard',
      'FenceSourceForSwitch',
      'DrainWrites',
      'SwitchWriter',
      'WaitForWriter ⇄ CheckWriter',
      'RestoreStandby ⇄ WaitForStandby',
      'FollowWriter ⇄ WaitForFollowers',
      'NotifyReplicas',
      'UnfenceStandbys',
      'ScaleDownSource',
      'RecordSuccess',
      'NotifySuccess',
      'ReleaseLock',
    ]);
    // The writer waits for the TTL's drain (60 + 15 s), then RDS's promotion (300 s), the store's 60 s beside it.
    expect(plan.writerSwitch.fencedAt).toBe(plan.trafficMovedAt);
    expect(plan.writerSwitch.seconds).toBeGreaterThanOrEqual(75 + 300);
    expect(plan.writerSwitch.seconds).toBeLessThan(75 + 300 + 10);
    // The old primary's rebuild (rename, a new replica, its catch-up) is the long tail.
    const standby = plan.steps.find((s) => s.name === 'RestoreStandby ⇄ WaitForStandby')!;
    expect(standby.seconds).toBeGreaterThan(
      DEFAULT_LATENCY.rdsRenameSeconds + DEFAULT_LATENCY.rdsReplicaCreateSeconds,
    );
    expect(plan.totalSeconds).toBeGreaterThan(standby.startsAt + standby.seconds);
  });

  it("announces instead of asking with switchover.approval none, and an Aurora switchover's old primary needs no rebuild", () => {
    const plan = planSwitchover(
      config((doc) => {
        (doc.applications[1] as { switchover?: unknown }).switchover = { approval: 'none' };
      }),
      { application: 'ai-gateway-drill', targetRegion: 'us-west-2' },
    );
    expect(plan.approval).toBe('none');
    expect(names(plan.steps)).toContain('AnnounceStart');
    expect(names(plan.steps)).not.toContain('RequestApproval');
    expect(plan.steps.filter((s) => s.name === 'ShiftStep')).toHaveLength(3);
    // Aurora's global switchover: about a minute after the drain, and the old primary stays a secondary.
    expect(plan.writerSwitch.seconds).toBeLessThan(75 + DEFAULT_LATENCY.auroraFailoverSeconds + 10);
    expect(plan.steps.find((s) => s.name.startsWith('RestoreStandby'))?.kind).toBe('task');
    expect(plan.warnings.join('\n')).toContain('switchover.approval is none');
  });

  it('estimates the run within 5% of what the rehearsal of the same switchover measures, less the approval wait', async () => {
    const plan = planSwitchover(config(), { application: 'ai-gateway', targetRegion: 'us-west-2' });
    const measured = await rehearsedSwitchover('ai-gateway');
    expect(Math.abs(plan.totalSeconds - measured) / measured).toBeLessThan(0.05);
  });

  it('refuses a target that already serves, as the workflow would', () => {
    expect(() => planSwitchover(config(), { application: 'ai-gateway', targetRegion: 'us-east-1' })).toThrow(
      InvalidInputError,
    );
  });

  it('is printed by lifeboat plan --switchover, and --manual is refused with it', async () => {
    const printed = await cli('plan', '--switchover', '--app', 'ai-gateway', '--to', 'us-west-2');
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain(
      'Switchover plan for ai-gateway: us-east-1 → us-west-2 (approval: slack)',
    );
    expect(printed.stdout).toMatch(/Writer switch: us-east-1 fenced at \+\d:\d\d:\d\d/);
    expect(printed.stdout).toContain(
      'RPO 0 s: the writer moves only once the database and budgets have caught up.',
    );
    const refused = await cli('plan', '--switchover', '--manual', '--app', 'ai-gateway', '--to', 'us-west-2');
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toContain('--manual: a switchover is always started by a person; drop --manual');
  });
});

describe('plan of a CloudNativePG application (examples/cloudnativepg.config.json)', () => {
  const CNPG = 'examples/cloudnativepg.config.json';
  const cnpgConfig = () => loadConfig(fileURLToPath(new URL(`../../${CNPG}`, import.meta.url)));

  it("estimates the failover's RTO within 5% of the rehearsal, CloudNativePG's promotion named", async () => {
    const plan = planFailover(cnpgConfig(), { application: 'ai-gateway-pg', targetRegion: 'us-west-2' });
    const measured = await rehearsedOutageRto('ai-gateway-pg', CNPG);
    expect(Math.abs(plan.rtoSeconds - measured) / measured).toBeLessThan(0.05);
    // CloudNativePG promotes in about 30 s: the standby's new nodes, not the database, set the RTO.
    expect(plan.dominant.label).toBe('new nodes join the cluster');
    expect(JSON.stringify(plan.steps)).toContain('CloudNativePG cluster ai-gateway/pg-usw2 (us-west-2)');
  });

  it("estimates the switchover within 5% of the rehearsal, the writer's switch the demotion then the token's promotion", async () => {
    const plan = planSwitchover(cnpgConfig(), { application: 'ai-gateway-pg', targetRegion: 'us-west-2' });
    expect(plan.writerSwitch.seconds).toBeCloseTo(
      75 + DEFAULT_LATENCY.cnpgDemoteSeconds + DEFAULT_LATENCY.cnpgPromoteSeconds,
      -1,
    );
    expect(plan.oldPrimary).toBe('kept');
    const measured = await rehearsedSwitchover('ai-gateway-pg', CNPG);
    expect(Math.abs(plan.totalSeconds - measured) / measured).toBeLessThan(0.05);
  });
});
