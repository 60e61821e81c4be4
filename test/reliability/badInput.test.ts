import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackPort } from '../../local/clock/trackPort.ts';
import { EmbeddedDynamo } from '../../local/ledger/EmbeddedDynamo.ts';
import { parseScenario } from '../../local/scenario/Scenario.ts';
import { worldEstate } from '../../local/world/WorldEstate.ts';
import { DynamoApprovals } from '../../shared/aws/DynamoApprovals.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { loadConfig, parseConfig } from '../../shared/config/loadConfig.ts';
import { healthCheckAlarmName } from '../../shared/config/naming.ts';
import { ConfigError, ScenarioError } from '../../shared/errors.ts';
import type { WorkflowControl } from '../../shared/ports/Workflows.ts';
import { APPROVE_ACTION } from '../../shared/slack/messages.ts';
import { slackSignature } from '../../shared/slack/signature.ts';
import { handleSlackCallback, MAX_BODY_BYTES } from '../../shared/slack/SlackCallback.ts';
import { handleAlarmEvent, type AlarmStateChange } from '../../shared/trigger/Trigger.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';
import { testWorld } from '../support/world.ts';
import { reliabilityFigures } from './support/figures.ts';
import { rehearseObserved } from './support/observed.ts';

const figures = reliabilityFigures(import.meta.url);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Doc = ReturnType<typeof exampleConfigDocument>;
type App = Record<string, Record<string, unknown>>;
const app0 = (doc: Doc): App => doc.applications[0] as App;

/** A config change and the field the error must name. */
const CONFIG_CASES: [string, (doc: Doc) => void, string][] = [
  ['version missing', (d) => delete d.version, 'version'],
  ['version 2', (d) => (d.version = 2), 'version'],
  ['no control-plane regions', (d) => (d.controlPlaneRegions = []), 'controlPlaneRegions'],
  [
    'ledger table name a number',
    (d) => ((d.ledger as Record<string, unknown>).tableName = 7),
    'ledger.tableName',
  ],
  ['slack channel missing', (d) => delete (d.slack as Record<string, unknown>).channelId, 'slack.channelId'],
  [
    'approvers not a list',
    (d) => ((d.slack as Record<string, unknown>).approvers = 'U0APPROVER'),
    'slack.approvers',
  ],
  ['an unknown top-level field', (d) => (d.extra = true), 'extra'],
  ['no applications', (d) => (d.applications = []), 'applications'],
  ['application name missing', (d) => delete d.applications[0]!.name, 'applications[0].name'],
  ['one region only', (d) => (d.applications[0]!.regions = ['us-east-1']), 'applications[0].regions'],
  ['negative TTL', (d) => (app0(d).dns!.ttlSeconds = -1), 'applications[0].dns.ttlSeconds'],
  ['record type TXT', (d) => (app0(d).dns!.recordType = 'TXT'), 'applications[0].dns.recordType'],
  ['database engine unknown', (d) => (app0(d).database!.engine = 'mongo'), 'applications[0].database'],
  ['RTO a string', (d) => (app0(d).targets!.rtoSeconds = 'fast'), 'applications[0].targets.rtoSeconds'],
  [
    'automatic failover not a boolean',
    (d) => (app0(d).automation!.automaticFailover = 'yes'),
    'applications[0].automation.automaticFailover',
  ],
  ['health checks missing', (d) => delete app0(d).healthChecks, 'applications[0].healthChecks'],
];

describe('bad config files', () => {
  it.each(CONFIG_CASES.map(([label, change, field]) => ({ label, change, field })))(
    '$label: refused naming $field',
    ({ change, field }) => {
      const doc = exampleConfigDocument();
      change(doc);
      expect(() => parseConfig(doc, 'bad.json')).toThrow(ConfigError);
      expect(() => parseConfig(doc, 'bad.json')).toThrow(field);
      figures.count();
      figures.rejected(0);
    },
  );

  it.each([
    ['a missing file', null, 'cannot read the file: no such file'],
    ['a file that is not JSON', '{"version": 1,', 'not valid JSON'],
    ['a JSON array', '[]', '(top level)'],
  ])('loadConfig refuses %s, naming the file', (_label, text, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bad-config-'));
    const file = join(dir, 'lifeboat.config.json');
    if (text !== null) writeFileSync(file, text);
    expect(() => loadConfig(file)).toThrow(ConfigError);
    expect(() => loadConfig(file)).toThrow(file);
    expect(() => loadConfig(file)).toThrow(message);
    figures.count();
    figures.rejected(0);
  });
});

/** Console input to each workflow and the field its InvalidInput cause must name. */
const CONSOLE_CASES: [string, Record<string, unknown>, string][] = [
  ['failover', {}, 'application'],
  ['failover', { application: 'nothing', targetRegion: 'us-west-2' }, 'application'],
  ['failover', { application: 'ai-gateway', targetRegion: 'mars-1' }, 'targetRegion'],
  ['failover', { application: 'ai-gateway', targetRegion: 'us-west-2', mode: 'yolo' }, 'mode'],
  ['failover', { application: 'ai-gateway', targetRegion: 'us-west-2', force: 'yes' }, 'force'],
  ['failover', { application: 42, targetRegion: 'us-west-2' }, 'application'],
  ['failback', {}, 'application'],
  ['failback', { application: 'ai-gateway' }, 'targetRegion'],
  [
    'failback',
    { application: 'ai-gateway', targetRegion: 'us-east-1', offerApprovalId: 'nope' },
    'offerApprovalId',
  ],
  ['failback', { application: 'ai-gateway', targetRegion: 'us-east-1', extra: 1 }, 'extra'],
  ['switchover', {}, 'application'],
  ['switchover', { application: 'ai-gateway', targetRegion: 'us-east-1' }, 'targetRegion'],
  ['switchover', { application: 'ai-gateway', targetRegion: 'us-west-2', dryRun: 'yes' }, 'dryRun'],
  [
    'switchover',
    { application: 'ai-gateway', targetRegion: 'us-west-2', offerApprovalId: 'abcdefghij' },
    'offerApprovalId',
  ],
  ['backup', {}, 'application'],
  ['backup', { application: 'ai-gateway', slot: 'yesterday' }, 'slot'],
  ['backup', { application: 'nothing' }, 'application'],
  ['backup', { application: 'ai-gateway', extra: 1 }, 'extra'],
  ['restore-test', {}, 'application'],
  ['restore-test', { application: 'nothing' }, 'application'],
  ['restore-test', { application: 'ai-gateway', slot: 'yesterday' }, 'slot'],
  ['restore-test', { application: 'ai-gateway', extra: 1 }, 'extra'],
  ['drill', {}, 'application'],
  ['drill', { application: 'ai-gateway', mode: 'chaos' }, 'mode'],
  ['drill', { application: 'nothing', mode: 'readiness' }, 'application'],
  ['drill', { application: 'ai-gateway', mode: 'readiness', extra: 1 }, 'extra'],
];

describe('bad console input to every workflow (real ASL on the local runtime)', () => {
  it.each(CONSOLE_CASES)('%s %j: InvalidInput naming %s, nothing changed', async (workflow, input, field) => {
    const { report, calls } = await rehearseObserved({
      events: [{ at: 10, start: workflow, input }],
      until: 120,
    });
    const runs = report.executions.filter((e) => e.workflow === workflow);
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(run.cause).toContain(field);
    const mutating = calls.filter((c) => c.mutating);
    // The only ledger write a refused run makes is its own FAILED record.
    const ledgerWrites = report.ledger;
    expect(ledgerWrites).toEqual([
      expect.objectContaining({
        executionName: run.name,
        status: 'FAILED',
        error: expect.objectContaining({ name: 'InvalidInput' }),
      }),
    ]);
    expect(mutating).toEqual([]);
    expect(report.violations).toEqual([]);
    figures.count(report);
    figures.rejected(mutating.length + ledgerWrites.length - 1);
  });
});

const SCENARIO_CASES: [string, Record<string, unknown>, string][] = [
  ['no name', { until: 60, events: [] }, 'name'],
  ['until negative', { name: 's', until: -1, events: [] }, 'until'],
  ['events not a list', { name: 's', until: 60, events: {} }, 'events'],
  ['an event with no kind', { name: 's', until: 60, events: [{ at: 1 }] }, 'events[0]'],
  [
    'an event with two kinds',
    { name: 's', until: 60, events: [{ at: 1, start: 'drill', approve: 'failover', by: 'U', input: {} }] },
    'events[0]',
  ],
  [
    'an unknown workflow',
    { name: 's', until: 60, events: [{ at: 1, start: 'teleport', input: {} }] },
    'teleport',
  ],
  [
    'start input not an object',
    { name: 's', until: 60, events: [{ at: 1, start: 'drill', input: 'x' }] },
    'input',
  ],
  ['an unknown fault', { name: 's', until: 60, events: [{ at: 1, fault: 'meteor' }] }, 'events[0]'],
  [
    'an outage of an unknown region',
    { name: 's', until: 60, events: [{ at: 1, fault: 'region-outage', region: 'mars-1' }] },
    'region',
  ],
  ['an event at a negative time', { name: 's', until: 60, events: [{ at: -5, fault: 'slack-down' }] }, 'at'],
  ['an unknown latency', { name: 's', until: 60, latency: { warpSeconds: 1 }, events: [] }, 'warpSeconds'],
  ['a missing config file', { name: 's', until: 60, config: 'nowhere.json', events: [] }, 'nowhere.json'],
];

describe('bad scenario files', () => {
  it.each(SCENARIO_CASES)('%s: refused naming the field (%j)', (_label, raw, field) => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bad-scenario-'));
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(exampleConfigDocument()));
    const doc = { config: configFile, ...raw };
    expect(() => parseScenario(doc, 'bad.scenario.json', { baseDir: dir, cwd: ROOT })).toThrow(ScenarioError);
    expect(() => parseScenario(doc, 'bad.scenario.json', { baseDir: dir, cwd: ROOT })).toThrow(field);
    figures.count();
    figures.rejected(0);
  });
});

describe('odd alarm events to the trigger', () => {
  let dynamo: EmbeddedDynamo;
  beforeAll(async () => {
    dynamo = await EmbeddedDynamo.start();
    await dynamo.createLedgerTable('lifeboat-ledger');
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  const ALARM = healthCheckAlarmName('ai-gateway', 'us-east-1');

  /**
   * The trigger of the us-west-2 control plane over a fresh world. Every case here is refused before
   * the trigger reads the estate or writes the ledger, so nothing waits on the virtual clock.
   */
  function trigger(): {
    starts: unknown[];
    handle: (event: unknown) => Promise<{ action: string; reason?: string }>;
  } {
    const { world, clock } = testWorld();
    const ledger = trackPort(new DynamoLedger(dynamo.client(), 'lifeboat-ledger'), clock);
    const starts: unknown[] = [];
    const deps = {
      config: world.config,
      estate: worldEstate(world, { channel: 'C0LIFEBOAT1' }),
      ledger,
      clock,
      region: 'us-west-2',
      starter: {
        start: (...args: unknown[]) => {
          starts.push(args);
          return Promise.resolve('started' as const);
        },
      },
    };
    return { starts, handle: (event) => handleAlarmEvent(event as AlarmStateChange, deps) };
  }

  it.each([
    ['no detail', {}, 'no detail'],
    ['detail null', { detail: null }, 'no detail'],
    ['no alarm name', { detail: { state: { value: 'ALARM' } } }, 'detail.alarmName'],
    ['alarm name a number', { detail: { alarmName: 7, state: { value: 'ALARM' } } }, 'detail.alarmName'],
    ['no state', { detail: { alarmName: ALARM } }, 'detail.state.value'],
    ['state value missing', { detail: { alarmName: ALARM, state: {} } }, 'detail.state.value'],
    ['state value a number', { detail: { alarmName: ALARM, state: { value: 1 } } }, 'detail.state.value'],
    ['an empty alarm name', { detail: { alarmName: '', state: { value: 'ALARM' } } }, 'detail.alarmName'],
    [
      'an alarm of another config',
      { detail: { alarmName: 'someone-elses-alarm', state: { value: 'ALARM' } } },
      'not a Lifeboat detection alarm',
    ],
  ])(
    '%s: ignored with the reason, never a start',
    async (...[, event, reason]: [string, unknown, string]) => {
      const { starts, handle } = trigger();
      const outcome = await handle(event);
      expect(outcome).toEqual({ action: 'ignored', reason: expect.stringContaining(reason) });
      expect(starts).toEqual([]);
      figures.count();
      figures.rejected(starts.length);
    },
  );
});

describe('bad Slack callbacks', () => {
  let dynamo: EmbeddedDynamo;
  beforeAll(async () => {
    dynamo = await EmbeddedDynamo.start();
    await dynamo.createLedgerTable('lifeboat-approvals');
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  const SECRET = 'test-signing-secret';
  const now = new Date('2030-01-01T00:00:00.000Z');
  const ts = now.getTime() / 1000;
  const press = {
    type: 'block_actions',
    user: { id: 'U0APPROVER' },
    channel: { id: 'C0LIFEBOAT1' },
    actions: [{ action_id: APPROVE_ACTION, value: 'abcdef1234', type: 'button' }],
  };

  it.each<
    [string, () => { headers: Record<string, string>; body: string; isBase64Encoded?: boolean }, number]
  >([
    ['no payload field', () => sign('other=1'), 400],
    ['payload not JSON', () => sign('payload=%7Bnot-json'), 400],
    ['payload a JSON string', () => sign(`payload=${encodeURIComponent('"x"')}`), 400],
    ['bad form encoding', () => sign('payload=%E0%A4%A'), 400],
    ['a payload of another type', () => sign(form({ ...press, type: 'view_submission' })), 400],
    ['no user', () => sign(form({ ...press, user: {} })), 400],
    ['two actions', () => sign(form({ ...press, actions: [...press.actions, ...press.actions] })), 400],
    [
      'a foreign action',
      () => sign(form({ ...press, actions: [{ action_id: 'other', value: 'abcdef1234' }] })),
      400,
    ],
    [
      'an action value that is not an approval id',
      () => sign(form({ ...press, actions: [{ action_id: APPROVE_ACTION, value: '../x' }] })),
      400,
    ],
    ['an oversized body', () => sign(`payload=${'a'.repeat(MAX_BODY_BYTES + 1)}`), 413],
    [
      'wrong content type',
      () => ({
        ...sign(form(press)),
        headers: { ...sign(form(press)).headers, 'content-type': 'application/json' },
      }),
      415,
    ],
    [
      'no content type',
      () => {
        const r = sign(form(press));
        const headers = Object.fromEntries(Object.entries(r.headers).filter(([k]) => k !== 'content-type'));
        return { ...r, headers };
      },
      415,
    ],
    [
      'no signature headers',
      () => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(press) }),
      401,
    ],
    ['a valid press for an approval that does not exist', () => sign(form(press)), 403],
  ])('%s: refused with a bare status, nothing delivered', async (_label, build, status) => {
    const { world } = testWorld();
    const config = parseConfig(exampleConfigDocument());
    const delivered: unknown[] = [];
    const workflows: WorkflowControl = {
      sendTaskSuccess: (...args) => (delivered.push(args), Promise.resolve('delivered')),
      sendTaskFailure: (...args) => (delivered.push(args), Promise.resolve('delivered')),
      start: (...args) => (delivered.push(args), Promise.resolve('started')),
    };
    const request = build();
    const { response, verdict } = await handleSlackCallback(request, {
      config,
      approvals: new DynamoApprovals(dynamo.client(), 'lifeboat-approvals'),
      signingSecret: () => Promise.resolve(SECRET),
      workflows,
      notifier: worldEstate(world, { channel: 'C0LIFEBOAT1' }).notifier,
      clock: { now: () => now, sleep: () => Promise.resolve() },
      log: () => undefined,
    });
    expect(response.statusCode).toBe(status);
    expect(['bad request', 'invalid request', 'not allowed']).toContain(response.body);
    expect(verdict).toMatchObject({ outcome: 'refused', counted: false });
    expect(verdict.reason).toBeTruthy();
    expect(delivered).toEqual([]);
    figures.count();
    figures.rejected(delivered.length);
  });

  function form(payload: unknown): string {
    return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  }
  function sign(body: string): { headers: Record<string, string>; body: string } {
    const timestamp = String(ts);
    return {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': slackSignature(SECRET, timestamp, body),
      },
      body,
    };
  }
});
