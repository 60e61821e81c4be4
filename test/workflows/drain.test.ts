import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../local/cli/main.ts';
import type { Report } from '../../local/report/Report.ts';
import { ledgerOf, operatorCommands, rehearse, stateNames, type OperatorRun } from '../support/scenario.ts';

const CONFIG = 'examples/active-active.config.json';
const APP = 'inference-api';
const DRAIN = (at: number, input: Record<string, unknown> = {}) => ({
  at,
  start: 'drain',
  input: { application: APP, region: 'us-east-1', ...input },
});
const APPROVE = (at: number) => ({ at, approve: 'drain', by: 'U0APPROVER' });

type Doc = { applications: Record<string, unknown>[] };
function activeActive(doc: Doc): Record<string, unknown> {
  return doc.applications[0]?.activeActive as Record<string, unknown>;
}

/** The example with `approval: none`: the start is the decision. */
function withoutApproval(doc: Doc): void {
  activeActive(doc).approval = 'none';
}

function drains(report: Report) {
  return report.executions.filter((e) => e.workflow === 'drain');
}

/** Every record's weight after each DNS change the world applied, in order. */
function weightChanges(report: Report): string[] {
  return report.timeline
    .filter((e) => e.application === APP && /^change \S+ INSYNC: /.test(e.text))
    .map((e) => e.text);
}

interface DrainRecord {
  status: string;
  kind: string;
  reason?: string;
  details: Record<string, unknown> & { action?: string; steps?: { ok: boolean; weight: number }[] };
}

function recordOf(report: Report, name: string): DrainRecord {
  return ledgerOf(report, name) as unknown as DrainRecord;
}

/** When the timeline first says `text`. */
function firstAt(report: Report, text: string): number {
  const event = report.timeline.find((e) => e.text.includes(text));
  if (event === undefined) throw new Error(`no timeline event says "${text}"`);
  return event.at;
}

describe('drain workflow (real ASL, deployed, on the AWS twin)', () => {
  it('drains a region of an active-active application: the others scaled for their new share first, then its weight lowered in guarded steps, recorded', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 1500,
      events: [DRAIN(60, { reason: 'elevated 5xx in us-east-1' }), APPROVE(120)],
    });
    expect(report.violations).toEqual([]);
    const [run] = drains(report);
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    // Nothing moved before the approval; the regions that take the share were scaled and ready first.
    expect(weightChanges(report)).toEqual([
      expect.stringContaining('us-east-1=20, us-west-2=40, eu-west-1=20'),
      expect.stringContaining('us-east-1=0, us-west-2=40, eu-west-1=20'),
    ]);
    const firstChange = firstAt(report, 'us-east-1=20, us-west-2=40');
    expect(firstAt(report, 'inference/api scaled to 10')).toBeGreaterThan(120);
    expect(firstAt(report, 'inference/api has 10 ready')).toBeLessThan(firstChange);
    expect(firstAt(report, 'inference/api has 5 ready')).toBeLessThan(firstChange);
    expect(firstAt(report, 'HorizontalPodAutoscaler inference/router bounds set to 7')).toBeLessThan(
      firstChange,
    );
    // Each step baked and guarded in the regions that took traffic.
    const names = stateNames(run!);
    expect(names.filter((n) => n === 'Guard')).toHaveLength(2);
    expect(names).toContain('RequestApproval');
    expect(names).not.toContain('RollBack');
    // Once us-east-1's traffic was out, its Aurora writer moved to us-west-2 (activeActive.moveWriter).
    const final = report.world.regions;
    expect(final['us-east-1']?.applications[APP]).toMatchObject({ dnsWeight: 0, database: 'replica' });
    expect(final['us-west-2']?.applications[APP]).toMatchObject({ dnsWeight: 40, database: 'writer' });
    expect(firstAt(report, 'Aurora failover to inference-api-usw2 started')).toBeGreaterThan(
      firstAt(report, 'us-east-1=0, us-west-2=40'),
    );
    expect(names).toEqual(expect.arrayContaining(['MoveWriter', 'CheckWriter', 'WriterMoved']));
    const record = recordOf(report, run!.name);
    expect(record).toMatchObject({ kind: 'drain', status: 'SUCCEEDED' });
    expect(record.details.action).toBe('drain');
    expect(record.details.steps?.map((s) => [s.weight, s.ok])).toEqual([
      [20, true],
      [0, true],
    ]);
    expect(record.details.preflight).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          check: 'database',
          writer: true,
          detail: expect.stringContaining(
            "the database writer is in us-east-1: it moves once the region's traffic is out",
          ),
        }),
      ]),
    );
    expect(record.details.writer).toMatchObject({ started: true });
    expect(report.slack.map((m) => m.text).join('\n')).toContain(
      'Lifeboat drain of us-east-1 in inference-api done: weights now {"us-east-1":0,"us-west-2":40,"eu-west-1":20}; the database writer moved from us-east-1 to us-west-2',
    );
  });

  it('leaves the database writer in the drained region without activeActive.moveWriter', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 1500,
      config: (doc) => {
        activeActive(doc).moveWriter = false;
        activeActive(doc).approval = 'none';
      },
      events: [DRAIN(60)],
    });
    expect(report.violations).toEqual([]);
    const [run] = drains(report);
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    expect(stateNames(run!)).not.toContain('MoveWriter');
    expect(stateNames(run!)).not.toContain('RequestApproval');
    expect(report.world.regions['us-east-1']?.applications[APP]).toMatchObject({
      dnsWeight: 0,
      database: 'writer',
    });
    expect(JSON.stringify(recordOf(report, run!.name).details.preflight)).toContain(
      'the database writer is in us-east-1 and stays there',
    );
  });

  it('rolls back on a guard breach in a region that took the share: the drained region gets its weight back and the run says why', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 1500,
      events: [
        { at: 0, fault: 'elevated-errors', region: 'us-east-1', percent: 8 },
        DRAIN(60),
        APPROVE(120),
        // After the first step's change is in sync: us-west-2 fails while it carries the share.
        { at: 330, fault: 'elevated-errors', region: 'us-west-2', percent: 5 },
      ],
    });
    expect(report.violations).toEqual([]);
    const [run] = drains(report);
    expect(stateNames(run!)).toEqual(expect.arrayContaining(['RollBack', 'RecordRolledBack']));
    expect(stateNames(run!)).not.toContain('ScaleBack');
    expect(weightChanges(report)).toEqual([
      expect.stringContaining('us-east-1=20, us-west-2=40, eu-west-1=20'),
      expect.stringContaining('us-east-1=40, us-west-2=40, eu-west-1=20'),
    ]);
    const record = recordOf(report, run!.name);
    expect(record.status).toBe('ROLLED_BACK');
    expect(record.reason).toMatch(
      /us-west-2: error rate 5\.00 % > 1 %.*us-east-1 back to 40 \(where it was\)/,
    );
    expect(report.slack.map((m) => m.text).join('\n')).toContain('ROLLED BACK');
  });

  it('keeps a drained region that fails its health check out on a rollback, never raising its weight', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 1800,
      // The drain runs in us-east-1's control plane (the first that answers), away from the region it drains.
      events: [
        DRAIN(60, { region: 'us-west-2' }),
        APPROVE(120),
        // us-west-2 goes down during the first step's bake, us-east-1 errs: the guard breaches.
        { at: 320, fault: 'region-outage', region: 'us-west-2' },
        { at: 330, fault: 'elevated-errors', region: 'us-east-1', percent: 5 },
        // Back before the end, so that its ledger replica learns the lock was released.
        { at: 1200, recover: 'region-outage', region: 'us-west-2' },
      ],
    });
    expect(report.violations).toEqual([]);
    const [run] = drains(report);
    const record = recordOf(report, run!.name);
    expect(record.status).toBe('ROLLED_BACK');
    expect(record.reason).toContain('us-west-2 kept at 20: its health check fails');
    expect(report.world.regions['us-west-2']?.applications[APP]).toMatchObject({ dnsWeight: 20 });
  });

  it('undrains: the returning region ready first, its weight raised in guarded steps, the others scaled back to their share', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 3600,
      events: [DRAIN(60), APPROVE(120), DRAIN(1500, { undrain: true }), APPROVE(1560)],
    });
    expect(report.violations).toEqual([]);
    const [drain, undrain] = drains(report);
    expect(drain).toMatchObject({ status: 'SUCCEEDED' });
    expect(undrain).toMatchObject({ status: 'SUCCEEDED' });
    expect(weightChanges(report).slice(2)).toEqual([
      expect.stringContaining('us-east-1=20, us-west-2=40, eu-west-1=20'),
      expect.stringContaining('us-east-1=40, us-west-2=40, eu-west-1=20'),
    ]);
    expect(recordOf(report, undrain!.name).details.action).toBe('undrain');
    // us-west-2 back to what its serving share needs: api 6, the HPA's minimum 4 (it scales down itself).
    const last = weightChanges(report).at(-1) ?? '';
    const scaledBack = report.timeline.filter(
      (e) => e.at > firstAt(report, last) && e.application === APP && e.region === 'us-west-2',
    );
    expect(scaledBack.map((e) => e.text)).toEqual(
      expect.arrayContaining([
        'inference/api scaled to 6',
        'HorizontalPodAutoscaler inference/router bounds set to 4–8',
        'node group general desired 4',
      ]),
    );
    expect(report.world.regions['us-west-2']?.applications[APP]?.dnsWeight).toBe(40);
  });

  it('moves nothing when the approver rejects, and records it', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 900,
      events: [DRAIN(60), { at: 120, reject: 'drain', by: 'U0APPROVER' }],
    });
    expect(report.violations).toEqual([]);
    const [run] = drains(report);
    expect(weightChanges(report)).toEqual([]);
    expect(report.timeline.filter((e) => e.kind === 'deployment' || e.kind === 'node-group')).toEqual([]);
    expect(recordOf(report, run!.name).status).toBe('REJECTED');
  });

  it('moves nothing when nobody approves in time, and records it TIMED_OUT', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 4200,
      events: [DRAIN(60)],
    });
    expect(report.violations).toEqual([]);
    const [run] = drains(report);
    expect(stateNames(run!)).toEqual(expect.arrayContaining(['CloseApprovalTimedOut', 'RecordTimedOut']));
    expect(recordOf(report, run!.name)).toMatchObject({
      status: 'TIMED_OUT',
      reason: 'nobody approved within 3600 s; nothing moved',
    });
    expect(weightChanges(report)).toEqual([]);
    expect(report.timeline.filter((e) => e.kind === 'deployment' || e.kind === 'node-group')).toEqual([]);
  });

  it("retries Route 53's throttling and transient errors on a step and goes on", async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 1500,
      events: [
        DRAIN(60),
        APPROVE(120),
        { at: 0, fault: 'api-throttle', service: 'route53', operation: 'ChangeResourceRecordSets', count: 3 },
        {
          at: 0,
          fault: 'api-error',
          service: 'route53',
          operation: 'GetChange',
          error: 'InternalError',
          count: 2,
        },
      ],
    });
    expect(report.violations).toEqual([]);
    const [run] = drains(report);
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    expect(weightChanges(report)).toEqual([
      expect.stringContaining('us-east-1=20, us-west-2=40, eu-west-1=20'),
      expect.stringContaining('us-east-1=0, us-west-2=40, eu-west-1=20'),
    ]);
    // Each failed attempt was retried by the state's Retry, not caught.
    const failedAttempts = (name: string) =>
      run!.states.filter((st) => st.name === name && st.status !== 'SUCCEEDED').map((st) => st.error);
    expect(failedAttempts('DrainStep')).toEqual(['ThrottledError', 'ThrottledError', 'ThrottledError']);
    expect(failedAttempts('CheckStepChange')).toEqual(['TransientServiceError', 'TransientServiceError']);
  });

  it('stops before anything moves when a node group cannot grow to carry the share, naming the field to change', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 900,
      config: (doc) => {
        const app = doc.applications[0] as {
          workloads: Record<string, { nodeGroups: { maxSize: number }[] }>;
        };
        app.workloads['us-west-2']!.nodeGroups[0]!.maxSize = 5;
        activeActive(doc).approval = 'none';
      },
      events: [DRAIN(60)],
    });
    expect(report.violations).toEqual([]);
    const [run] = drains(report);
    expect(stateNames(run!)).not.toContain('ScaleForDrain');
    const record = recordOf(report, run!.name);
    expect(record.status).toBe('ABORTED');
    expect(record.reason).toContain(
      'us-west-2 needs 7 nodes in node group general to carry 66.7 % of the traffic, above its maxSize 5: raise applications[].workloads.us-west-2.nodeGroups[0].maxSize',
    );
    expect(weightChanges(report)).toEqual([]);
  });

  it('fails before traffic moves when the capacity does not come ready, saying which workloads are short', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 1800,
      config: withoutApproval,
      events: [{ at: 0, fault: 'capacity-shortfall', region: 'us-west-2', maxReplicas: 8 }, DRAIN(60)],
    });
    expect(report.violations).toEqual([]);
    const [run] = drains(report);
    expect(run).toMatchObject({ status: 'FAILED', error: 'NotReadyError' });
    expect(weightChanges(report)).toEqual([]);
    const record = recordOf(report, run!.name);
    expect(record.details.changes).toEqual([
      'us-west-2 scaled (nodegroup/general 7, inference/router 7, inference/api 10)',
      'eu-west-1 scaled (nodegroup/general 4, inference/router 4, inference/api 5)',
    ]);
    expect(report.slack.map((m) => m.text).join('\n')).toContain(
      "Lifeboat drain of us-east-1 in inference-api (drain-0001) FAILED: checkCapacity: the regions that would take us-east-1's share are short of capacity",
    );
    expect(JSON.stringify(record)).toContain('us-west-2 inference/api 8/10 ready');
  });

  it("fails, records and says so when Route 53's API cannot give the weights the drain starts from", async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 600,
      events: [
        {
          at: 0,
          fault: 'api-error',
          service: 'route53',
          operation: 'ListResourceRecordSets',
          error: 'AccessDenied',
          permanent: true,
        },
        DRAIN(60),
        { at: 120, recover: 'api-error', service: 'route53', operation: 'ListResourceRecordSets' },
      ],
    });
    expect(report.violations).toEqual([]);
    const [run] = drains(report);
    expect(run).toMatchObject({ status: 'FAILED', error: 'PermanentServiceError' });
    expect(recordOf(report, run!.name)).toMatchObject({
      status: 'FAILED',
      details: { changes: ['nothing'] },
    });
    expect(report.slack.map((m) => m.text).join('\n')).toMatch(
      /Lifeboat drain run in inference-api \(drain-0001\) FAILED: validateDrain: AccessDenied.*It had changed: nothing/,
    );
    expect(weightChanges(report)).toEqual([]);
  });

  it('stops rather than undo a weight changed by hand while it runs', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 1500,
      config: withoutApproval,
      events: [DRAIN(60)],
      // After the first step (us-east-1 at 20), an operator sets us-east-1 to 30 by hand.
      setup: (context) => {
        context.clock.schedule(260, () => context.world.changeWeights(APP, { 'us-east-1': 30 }));
      },
    });
    expect(report.violations).toEqual([]);
    const [run] = drains(report);
    expect(run).toMatchObject({ status: 'FAILED', error: 'PreconditionFailedError' });
    expect(run!.cause).toContain('the weights changed since the drain began (us-east-1 30, was 20)');
    // Neither undone nor pushed on: us-east-1 keeps the weight set by hand.
    expect(report.world.regions['us-east-1']?.applications[APP]?.dnsWeight).toBe(30);
    expect(recordOf(report, run!.name).details.changes).toEqual(
      expect.arrayContaining(['weights left at us-east-1 20, us-west-2 40, eu-west-1 20']),
    );
  });

  it('refuses a bad start at once, records it, and touches nothing', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 600,
      events: [
        DRAIN(60, { region: 'us-east-2' }),
        DRAIN(61, { undrain: true }),
        { at: 62, start: 'drain', input: { application: APP, region: 'us-east-1', steps: [10] } },
      ],
    });
    expect(report.violations).toEqual([]);
    const runs = drains(report);
    expect(runs.map((r) => [r.status, r.error])).toEqual([
      ['FAILED', 'InvalidInput'],
      ['FAILED', 'InvalidInput'],
      ['FAILED', 'InvalidInput'],
    ]);
    expect(runs.map((r) => r.cause)).toEqual([
      expect.stringContaining('region: us-east-2 is not a region of inference-api'),
      expect.stringContaining('region: us-east-1 already serves inference-api at its full weight 40'),
      expect.stringContaining('steps'),
    ]);
    for (const run of runs) expect(recordOf(report, run.name).status).toBe('FAILED');
    expect(weightChanges(report)).toEqual([]);
  });

  it('takes the application lock: a second drain meanwhile is skipped, and the region left is never drained too', async () => {
    const report = await rehearse({
      configFile: CONFIG,
      until: 1500,
      config: withoutApproval,
      events: [DRAIN(60), DRAIN(61, { region: 'us-west-2' })],
    });
    expect(report.violations).toEqual([]);
    const [first, second] = drains(report);
    expect(first).toMatchObject({ status: 'SUCCEEDED' });
    expect(recordOf(report, second!.name)).toMatchObject({ status: 'SKIPPED' });
    expect(recordOf(report, second!.name).reason).toContain(`another run holds the lock: ${first!.name}`);
    expect(report.world.regions['us-west-2']?.applications[APP]?.dnsWeight).toBe(40);
  });

  it('is started and followed by lifeboat start drain and undrain, from a control plane other than the drained region', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lifeboat-drain-cli-'));
    const doc = JSON.parse(readFileSync(CONFIG, 'utf8')) as Doc;
    activeActive(doc).approval = 'none';
    writeFileSync(join(home, 'lifeboat.config.json'), JSON.stringify(doc));
    const runs: OperatorRun[] = [];
    const report = await rehearse({
      configFile: CONFIG,
      config: (d) => {
        activeActive(d).approval = 'none';
      },
      until: 3000,
      events: [],
      twin: {
        operator: operatorCommands(
          home,
          [
            // Refused before anything starts: the region is not the application's; nothing is drained yet.
            { at: 50, argv: ['start', 'drain', '--app', APP, '--region', 'ap-south-1'] },
            { at: 55, argv: ['start', 'undrain', '--app', APP, '--region', 'us-east-1'] },
            {
              at: 60,
              argv: ['start', 'drain', '--app', APP, '--region', 'us-east-1', '--reason', 'bad deploy'],
            },
            { at: 1500, argv: ['start', 'undrain', '--app', APP, '--region', 'us-east-1'] },
          ],
          runs,
        ),
      },
    });
    expect(report.violations).toEqual([]);
    const [badRegion, nothingToUndrain, drained, undrained] = runs;
    expect(badRegion).toMatchObject({ code: EXIT.usage });
    expect(badRegion?.stderr).toContain('--region: ap-south-1 is not a region of inference-api');
    expect(nothingToUndrain).toMatchObject({ code: EXIT.usage });
    expect(nothingToUndrain?.stderr).toContain(
      '--region: us-east-1 already serves inference-api at its full weight 40',
    );
    expect(drained?.code).toBe(EXIT.ok);
    expect(drained?.stdout).toContain(
      'Started the drain of us-east-1 in inference-api in us-west-2 (weights now us-east-1 40, us-west-2 40, eu-west-1 20).',
    );
    expect(drained?.stdout).toContain('The drain of us-east-1 in inference-api ended SUCCEEDED.');
    expect(drained?.stdout).toContain('ledger     lifeboat history --app inference-api --kind drain');
    expect(undrained?.code).toBe(EXIT.ok);
    expect(undrained?.stdout).toContain('The undrain of us-east-1 in inference-api ended SUCCEEDED.');
    expect(drains(report).map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(report.world.regions['us-east-1']?.applications[APP]?.dnsWeight).toBe(40);
  });

  it('is recorded with what it had changed, and its lock cut, when an operator stops it mid-way', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lifeboat-drain-stop-'));
    writeFileSync(join(home, 'lifeboat.config.json'), readFileSync(CONFIG, 'utf8'));
    const runs: OperatorRun[] = [];
    const report = await rehearse({
      configFile: CONFIG,
      until: 1200,
      events: [DRAIN(60), APPROVE(120)],
      twin: {
        // During the first step's bake: us-east-1 at 20, the others scaled.
        operator: operatorCommands(
          home,
          [
            {
              at: 330,
              argv: ['stop', 'drain-0001', '--app', APP, '--reason', 'wrong region', '--by', 'ana'],
            },
          ],
          runs,
        ),
      },
    });
    expect(report.violations).toEqual([]);
    expect(runs[0]?.code).toBe(EXIT.ok);
    const [run] = drains(report);
    expect(run).toMatchObject({ status: 'ABORTED' });
    const record = recordOf(report, run!.name);
    expect(record).toMatchObject({ status: 'ABORTED' });
    expect(record.details.changes).toEqual([
      'us-west-2 scaled (nodegroup/general 7, inference/router 7, inference/api 10)',
      'eu-west-1 scaled (nodegroup/general 4, inference/router 4, inference/api 5)',
      'weights left at us-east-1 20, us-west-2 40, eu-west-1 20',
    ]);
    expect(report.slack.map((m) => m.text).join('\n')).toContain(
      'Lifeboat drain run drain-0001 of inference-api STOPPED in Bake before it recorded its end',
    );
    expect(report.world.regions['us-east-1']?.applications[APP]?.dnsWeight).toBe(20);
  });
});
