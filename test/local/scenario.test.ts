import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LATENCY } from '../../local/world/LatencyModel.ts';
import {
  FAULT_TYPES,
  faultKey,
  loadScenario,
  parseScenario,
  type Scenario,
} from '../../local/scenario/Scenario.ts';
import { ScenarioError } from '../../shared/errors.ts';
import { EXAMPLE_CONFIG_PATH, exampleConfigDocument } from '../support/exampleConfig.ts';
import { fixturePath } from '../support/fixtures.ts';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- the cases below break an untyped JSON document on purpose */
type Doc = any;

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONTRACT_PATH = fixturePath('scenarios/contract-example.json');
const CONTRACT_DIR = dirname(CONTRACT_PATH);

/** A fresh, mutable copy of the contract example document. */
function contractDocument(): Doc {
  return JSON.parse(readFileSync(CONTRACT_PATH, 'utf8'));
}

function parse(doc: Doc, options: { baseDir?: string; cwd?: string } = {}): Scenario {
  return parseScenario(doc, 'test.json', {
    baseDir: options.baseDir ?? CONTRACT_DIR,
    cwd: options.cwd ?? REPO_ROOT,
  });
}

function problemsOf(mutate: (doc: Doc) => void): readonly string[] {
  const doc = contractDocument();
  mutate(doc);
  try {
    parse(doc);
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  throw new Error('expected the scenario to be rejected');
}

function thrown(run: () => unknown): ScenarioError {
  try {
    run();
  } catch (error) {
    if (error instanceof ScenarioError) return error;
    throw error;
  }
  throw new Error('expected a ScenarioError');
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'lifeboat-scenario-'));
}

const exampleConfigText = (): string => readFileSync(EXAMPLE_CONFIG_PATH, 'utf8');

describe('parseScenario', () => {
  it('parses the contract example with latency overrides applied and events sorted by time', () => {
    const scenario = parse(contractDocument());

    expect(scenario.name).toBe('primary-outage');
    expect(scenario.description).toBeUndefined();
    expect(scenario.configPath).toBe(EXAMPLE_CONFIG_PATH);
    expect(scenario.config.applications.map((app) => app.name)).toEqual(['ai-gateway', 'ai-gateway-drill']);
    expect(scenario.latency).toEqual({ ...DEFAULT_LATENCY, rdsPromoteSeconds: 300 });
    expect(scenario.until).toBe(7200);
    expect(scenario.seed).toBe(1);
    expect(scenario.events).toEqual([
      { kind: 'fault', index: 0, at: 0, fault: { type: 'region-outage', region: 'us-east-1' } },
      { kind: 'fault', index: 1, at: 0, fault: { type: 'replica-lag', region: 'us-west-2', seconds: 4 } },
      {
        kind: 'start',
        index: 4,
        at: 10,
        workflow: 'failover',
        input: { application: 'ai-gateway', targetRegion: 'us-west-2' },
      },
      { kind: 'recover', index: 2, at: 1800, fault: { type: 'region-outage', region: 'us-east-1' } },
      { kind: 'approve', index: 3, at: 3600, workflow: 'failback', by: 'U0APPROVER' },
    ]);
  });

  it('applies the until and seed defaults when the file leaves them out', () => {
    const doc = contractDocument();
    delete doc.until;
    delete doc.latency;
    doc.description = 'defaults';
    const scenario = parse(doc);
    expect(scenario.until).toBe(7200);
    expect(scenario.seed).toBe(1);
    expect(scenario.latency).toEqual(DEFAULT_LATENCY);
    expect(scenario.description).toBe('defaults');
  });

  it('keeps the file order of events at the same time', () => {
    const doc = contractDocument();
    doc.events = [
      { at: 5, reject: 'failback', by: 'U0ONCALL01' },
      { at: 5, approve: 'failback', by: 'U0APPROVER' },
      { at: 1, fault: 'slack-down' },
      { at: 5, recover: 'slack-down' },
    ];
    expect(parse(doc).events.map((event) => event.index)).toEqual([2, 0, 1, 3]);
  });

  it('parses every fault type into its spec and each recover into the identifying fields', () => {
    const doc = contractDocument();
    doc.seed = 42;
    doc.events = [
      { at: 0, fault: 'region-outage', region: 'us-east-1' },
      { at: 0, fault: 'health-check-flap', region: 'us-east-1', periodSeconds: 20 },
      { at: 0, fault: 'replica-lag', region: 'eu-west-1', seconds: 0 },
      { at: 0, fault: 'store-lag', region: 'us-west-2', seconds: 5 },
      { at: 0, fault: 'replication-stall', region: 'us-west-2' },
      { at: 0, fault: 'database-backup', region: 'us-west-2' },
      {
        at: 0,
        fault: 'api-error',
        service: 'rds',
        operation: 'PromoteReadReplica',
        region: 'us-west-2',
        error: 'InvalidDBInstanceState',
        count: 2,
      },
      {
        at: 0,
        fault: 'api-error',
        service: 'slack',
        operation: 'chat.update',
        error: 'fatal',
        permanent: true,
      },
      { at: 0, fault: 'api-throttle', service: 'route53', count: 3 },
      { at: 0, fault: 'capacity-shortfall', region: 'us-west-2', maxReplicas: 0 },
      { at: 0, fault: 'elevated-errors', region: 'us-west-2', percent: 5 },
      { at: 0, fault: 'slack-down' },
      { at: 0, fault: 'custom-step', step: 'smoke-test', outcome: 'hang', count: 2 },
      { at: 60, recover: 'api-error', service: 'slack', operation: 'chat.update' },
      { at: 60, recover: 'api-throttle', service: 'route53' },
      { at: 60, recover: 'slack-down' },
    ];
    const scenario = parse(doc);
    expect(scenario.seed).toBe(42);
    expect(scenario.events.map((event) => ('fault' in event ? event.fault : undefined))).toEqual([
      { type: 'region-outage', region: 'us-east-1' },
      { type: 'health-check-flap', region: 'us-east-1', periodSeconds: 20 },
      { type: 'replica-lag', region: 'eu-west-1', seconds: 0 },
      { type: 'store-lag', region: 'us-west-2', seconds: 5 },
      { type: 'replication-stall', region: 'us-west-2' },
      { type: 'database-backup', region: 'us-west-2' },
      {
        type: 'api-error',
        service: 'rds',
        operation: 'PromoteReadReplica',
        region: 'us-west-2',
        error: 'InvalidDBInstanceState',
        count: 2,
      },
      { type: 'api-error', service: 'slack', operation: 'chat.update', error: 'fatal', permanent: true },
      { type: 'api-throttle', service: 'route53', count: 3 },
      { type: 'capacity-shortfall', region: 'us-west-2', maxReplicas: 0 },
      { type: 'elevated-errors', region: 'us-west-2', percent: 5 },
      { type: 'slack-down' },
      { type: 'custom-step', step: 'smoke-test', outcome: 'hang', count: 2 },
      { type: 'api-error', service: 'slack', operation: 'chat.update' },
      { type: 'api-throttle', service: 'route53' },
      { type: 'slack-down' },
    ]);
    const faults = scenario.events.flatMap((event) => (event.kind === 'fault' ? [event.fault.type] : []));
    expect(new Set(faults)).toEqual(new Set(FAULT_TYPES));
  });

  it('passes start input through unchecked so the workflow sees bad input', () => {
    const doc = contractDocument();
    doc.events[4].input = { application: 42, extra: [null] };
    const start = parse(doc).events.find((event) => event.kind === 'start');
    expect(start).toMatchObject({ input: { application: 42, extra: [null] } });
  });

  it('accepts an approver who is not in the config, leaving that to the Slack callback', () => {
    const doc = contractDocument();
    doc.events[3].by = 'U0STRANGER9';
    expect(parse(doc).events.find((event) => event.kind === 'approve')).toMatchObject({ by: 'U0STRANGER9' });
  });

  it('matches a recover with a fault earlier in the file at the same time', () => {
    const doc = contractDocument();
    doc.events[2].at = 0;
    expect(parse(doc).events.map((event) => event.index)).toEqual([0, 1, 2, 4, 3]);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf((d) => {
      d.name = 'Bad Name';
      d.latency.podStartSecs = 1;
      d.events[1].region = 'ap-south-1';
      d.events[3].by = 'bob';
    });
    expect(problems).toEqual([
      expect.stringMatching(/^name: /),
      expect.stringMatching(/^latency\.podStartSecs: /),
      expect.stringMatching(/^events\[3\]\.by: /),
      expect.stringMatching(/^events\[1\]\.region: /),
    ]);
  });

  it('does not blame a recover whose fault is itself invalid', () => {
    const problems = problemsOf((d) => (d.events[0].fault = 'region-down'));
    expect(problems).toEqual([expect.stringMatching(/^events\[0\]\.fault: unknown fault/)]);
  });

  it('gives faults the same key exactly when they share their identifying fields', () => {
    expect(faultKey({ type: 'health-check-flap', region: 'us-east-1', periodSeconds: 20 })).toBe(
      faultKey({ type: 'health-check-flap', region: 'us-east-1' }),
    );
    expect(
      faultKey({ type: 'api-throttle', service: 'rds', count: 1, operation: 'DescribeDBInstances' }),
    ).not.toBe(faultKey({ type: 'api-throttle', service: 'rds' }));
  });

  describe('config path', () => {
    it('resolves relative to the working directory when the file is there', () => {
      const scenario = parse(contractDocument(), { baseDir: tempDir(), cwd: REPO_ROOT });
      expect(scenario.configPath).toBe(EXAMPLE_CONFIG_PATH);
    });

    it("falls back to the scenario file's directory", () => {
      const dir = tempDir();
      mkdirSync(join(dir, 'configs'));
      writeFileSync(join(dir, 'configs', 'lifeboat.json'), exampleConfigText());
      const doc = contractDocument();
      doc.config = 'configs/lifeboat.json';
      const scenario = parse(doc, { baseDir: dir, cwd: tempDir() });
      expect(scenario.configPath).toBe(join(dir, 'configs', 'lifeboat.json'));
    });

    it('prefers the working directory when both hold the file', () => {
      const [here, there] = [tempDir(), tempDir()];
      writeFileSync(join(here, 'lifeboat.json'), exampleConfigText());
      writeFileSync(join(there, 'lifeboat.json'), exampleConfigText());
      const doc = contractDocument();
      doc.config = 'lifeboat.json';
      expect(parse(doc, { baseDir: there, cwd: here }).configPath).toBe(join(here, 'lifeboat.json'));
    });

    it('uses an absolute path as it is', () => {
      const doc = contractDocument();
      doc.config = EXAMPLE_CONFIG_PATH;
      expect(parse(doc, { baseDir: tempDir(), cwd: tempDir() }).configPath).toBe(EXAMPLE_CONFIG_PATH);
    });

    it('names both places it looked when the file is in neither', () => {
      const [cwd, baseDir] = [tempDir(), tempDir()];
      const error = thrown(() => parse(contractDocument(), { baseDir, cwd }));
      expect(error.problems).toEqual([
        `config: cannot find "examples/lifeboat.config.json" (looked in ${cwd} and ${baseDir})`,
      ]);
    });
  });

  // Each case breaks one thing and names the path (and a word of the fix) the message must carry.
  let invalidConfigPath = '';
  beforeAll(() => {
    const config: Doc = exampleConfigDocument();
    config.applications[0].regions = ['us-east-1'];
    invalidConfigPath = join(tempDir(), 'invalid.config.json');
    writeFileSync(invalidConfigPath, JSON.stringify(config));
  });

  const apiError = {
    at: 5,
    fault: 'api-error',
    service: 'rds',
    operation: 'PromoteReadReplica',
    error: 'InternalFailure',
  };

  const cases: [string, (doc: Doc) => void, string, RegExp][] = [
    ['an unknown top-level field', (d) => (d.regions = []), 'regions', /unknown field.*takes name/],
    [
      'an unknown event field',
      (d) => (d.events[2].regoin = 'us-east-1'),
      'events[2].regoin',
      /unknown field; remove it or check its spelling \(a "region-outage" recover takes at, recover, region\)/,
    ],
    [
      'an unknown fault type',
      (d) => (d.events[0].fault = 'region-down'),
      'events[0].fault',
      /unknown fault "region-down"; expected one of region-outage, health-check-flap/,
    ],
    [
      'an event with two kinds',
      (d) => (d.events[3].start = 'failback'),
      'events[3]',
      /has both "approve" and "start"/,
    ],
    ['an event with no kind', (d) => d.events.push({ at: 5 }), 'events[5]', /give one of fault, recover/],
    ['an event that is not an object', (d) => d.events.push('boom'), 'events[5]', /expected an object/],
    ['events that are not a list', (d) => (d.events = {}), 'events', /expected array/],
    ['a negative at', (d) => (d.events[1].at = -1), 'events[1].at', /0 or more/],
    ['an event past until', (d) => (d.events[3].at = 9000), 'events[3].at', /after until \(7200\)/],
    ['a zero until', (d) => (d.until = 0), 'until', /more than 0/],
    ['a fractional seed', (d) => (d.seed = 1.5), 'seed', /expected int/],
    [
      'an unknown latency key',
      (d) => (d.latency.rdsPromoteSecs = 300),
      'latency.rdsPromoteSecs',
      /unknown field.*rdsPromoteSeconds/,
    ],
    [
      'a negative latency',
      (d) => (d.latency.rdsPromoteSeconds = -5),
      'latency.rdsPromoteSeconds',
      /0 or more seconds/,
    ],
    [
      'a region of no application',
      (d) => (d.events[1].region = 'ap-southeast-2'),
      'events[1].region',
      /not a region of any application in examples\/lifeboat\.config\.json/,
    ],
    [
      'a region with a typo',
      (d) => (d.events[1].region = 'us-wset-2'),
      'events[1].region',
      /not a region of any application .*; did you mean "us-west-2"\?/,
    ],
    ['a malformed region', (d) => (d.events[0].region = 'us-east'), 'events[0].region', /AWS region name/],
    ['a bad Slack user id', (d) => (d.events[3].by = 'alice'), 'events[3].by', /Slack user id/],
    [
      'an unknown workflow to approve',
      (d) => (d.events[3].approve = 'failforward'),
      'events[3].approve',
      /unknown workflow "failforward"/,
    ],
    [
      'an unknown workflow to start',
      (d) => (d.events[4].start = 'evacuate'),
      'events[4].start',
      /unknown workflow "evacuate" to start; expected one of failover/,
    ],
    [
      'an api-error with both count and permanent',
      (d) => d.events.push({ ...apiError, count: 2, permanent: true }),
      'events[5].count',
      /not both/,
    ],
    [
      'an api-error with neither count nor permanent',
      (d) => d.events.push({ ...apiError }),
      'events[5].count',
      /required: give count/,
    ],
    [
      'an api-error that is permanent: false',
      (d) => d.events.push({ ...apiError, permanent: false }),
      'events[5].permanent',
      /expected true/,
    ],
    [
      'an unknown operation for a service',
      (d) => d.events.push({ ...apiError, operation: 'PromoteReplica', count: 1 }),
      'events[5].operation',
      /not an operation the simulator serves for rds; expected one of .*PromoteReadReplica/,
    ],
    [
      'an unknown service',
      (d) => d.events.push({ at: 5, fault: 'api-throttle', service: 'ec2', count: 1 }),
      'events[5].service',
      /unknown service "ec2"; expected one of route53/,
    ],
    [
      'a throttle of zero calls',
      (d) => d.events.push({ at: 5, fault: 'api-throttle', service: 'eks', count: 0 }),
      'events[5].count',
      /1 or more/,
    ],
    [
      'a flap with no period',
      (d) => d.events.push({ at: 5, fault: 'health-check-flap', region: 'us-east-1', periodSeconds: 0 }),
      'events[5].periodSeconds',
      /more than 0/,
    ],
    [
      'a fractional capacity',
      (d) => d.events.push({ at: 5, fault: 'capacity-shortfall', region: 'us-west-2', maxReplicas: 1.5 }),
      'events[5].maxReplicas',
      /expected int/,
    ],
    [
      'a recover with no earlier fault',
      (d) => d.events.push({ at: 100, recover: 'region-outage', region: 'us-west-2' }),
      'events[5]',
      /recover "region-outage" for us-west-2 has no earlier fault to recover from/,
    ],
    [
      'a recover listed before its fault at the same time',
      (d) => d.events.unshift({ at: 0, recover: 'region-outage', region: 'us-east-1' }),
      'events[0]',
      /no earlier fault/,
    ],
    [
      'a fault recovered twice',
      (d) => d.events.push({ at: 2000, recover: 'region-outage', region: 'us-east-1' }),
      'events[5]',
      /already recovered by events\[2\]/,
    ],
    [
      'a recover that names a different operation',
      (d) =>
        d.events.push(
          { ...apiError, count: 3 },
          { at: 50, recover: 'api-error', service: 'rds', operation: 'DescribeDBInstances' },
        ),
      'events[6]',
      /recover "api-error" for rds DescribeDBInstances has no earlier fault/,
    ],
    [
      'a slack-down fault with an extra field',
      (d) => d.events.push({ at: 5, fault: 'slack-down', region: 'us-east-1' }),
      'events[5].region',
      /unknown field.*slack-down/,
    ],
    [
      'a start input that is not an object',
      (d) => (d.events[4].input = ['ai-gateway']),
      'events[4].input',
      /expected a JSON object \(the workflow input\), not an array/,
    ],
    ['a start without input', (d) => delete d.events[4].input, 'events[4].input', /required/],
    [
      'a missing config file',
      (d) => (d.config = 'nope/lifeboat.config.json'),
      'config',
      /cannot find "nope\/lifeboat\.config\.json" \(looked in/,
    ],
    ['no config at all', (d) => delete d.config, 'config', /required/],
    [
      'a config that fails validation',
      (d) => (d.config = invalidConfigPath),
      'config',
      /applications\[0\]\.regions: an application needs a primary and at least one standby/,
    ],
    [
      'a re-clone of an application that is not in the config',
      (d) => d.events.push({ at: 10, reclone: 'ai-gateway-pgx', region: 'us-east-1' }),
      'events[5].reclone',
      /no application named ai-gateway-pgx in .*lifeboat\.config\.json/,
    ],
    [
      'a re-clone of a database that is not CloudNativePG',
      (d) => d.events.push({ at: 10, reclone: 'ai-gateway', region: 'us-east-1' }),
      'events[5].reclone',
      /ai-gateway's database is rds-read-replica; only a CloudNativePG cluster is re-cloned by hand/,
    ],
    [
      'a re-clone without its region',
      (d) => d.events.push({ at: 10, reclone: 'ai-gateway' }),
      'events[5].region',
      /required/,
    ],
    ['a bad name', (d) => (d.name = 'Primary Outage'), 'name', /lowercase letters/],
    ['an empty name', (d) => (d.name = ''), 'name', /lowercase letters/],
  ];

  it.each(cases)('rejects %s, naming the path', (_name, mutate, path, message) => {
    const problems = problemsOf(mutate);
    const match = problems.find((p) => p.startsWith(`${path}: `));
    expect({ problems, found: match !== undefined }).toMatchObject({ found: true });
    expect(match).toMatch(message);
  });

  it('covers at least 20 distinct bad scenarios', () => {
    expect(new Set(cases.map(([name]) => name)).size).toBeGreaterThanOrEqual(20);
  });
});

describe('loadScenario', () => {
  it('loads a scenario file by its absolute path', () => {
    expect(loadScenario(CONTRACT_PATH, REPO_ROOT).events).toHaveLength(5);
  });

  it('resolves a relative scenario path from cwd', () => {
    const scenario = loadScenario('test/fixtures/scenarios/contract-example.json', REPO_ROOT);
    expect(scenario.configPath).toBe(EXAMPLE_CONFIG_PATH);
  });

  it('names the file when it does not exist', () => {
    const error = thrown(() => loadScenario('missing-scenario.json', tempDir()));
    expect(error.message).toContain('missing-scenario.json');
    expect(error.problems).toEqual(['cannot read the file: no such file']);
  });

  it('names the file when it is not JSON', () => {
    const file = join(tempDir(), 'broken.json');
    writeFileSync(file, '{ "name": ');
    const error = thrown(() => loadScenario(file));
    expect(error.message).toContain(file);
    expect(error.problems).toEqual([expect.stringMatching(/^not valid JSON: /)]);
  });

  it('names the file in a validation error', () => {
    const file = join(tempDir(), 'bad.json');
    writeFileSync(file, JSON.stringify({ ...contractDocument(), name: 'Bad' }));
    const error = thrown(() => loadScenario(file, REPO_ROOT));
    expect(error.message).toContain(`Invalid scenario ${file}`);
    expect(error.problems).toEqual([expect.stringMatching(/^name: /)]);
  });
});

describe('examples/scenarios', () => {
  const examples = readdirSync(join(REPO_ROOT, 'examples', 'scenarios'))
    .filter((file) => file.endsWith('.json'))
    .sort();

  it('holds the example scenarios', () => {
    expect(examples).toEqual(expect.arrayContaining(['health-check-flap.json', 'primary-outage.json']));
  });

  it.each(examples)('loads %s from the repository root', (file) => {
    const scenario = loadScenario(join('examples', 'scenarios', file), REPO_ROOT);
    expect(scenario.name).toBe(file.replace(/\.json$/, ''));
    expect(scenario.description).toEqual(expect.any(String));
    // Each names one of the example configs: the active-passive one, the active-active one, or the
    // CloudNativePG one.
    expect([
      EXAMPLE_CONFIG_PATH,
      join(REPO_ROOT, 'examples', 'active-active.config.json'),
      join(REPO_ROOT, 'examples', 'cloudnativepg.config.json'),
    ]).toContain(scenario.configPath);
  });

  it('runs primary-outage through the automatic failover, the recovery and an approved failback', () => {
    const scenario = loadScenario('examples/scenarios/primary-outage.json', REPO_ROOT);
    expect(scenario.until).toBe(9600);
    expect(scenario.latency.rdsPromoteSeconds).toBe(300);
    expect(scenario.events.map(({ kind, at }) => [kind, at])).toEqual([
      ['fault', 0],
      ['fault', 0],
      ['recover', 1800],
      ['approve', 4000],
    ]);
  });

  it('flaps us-east-1 every 20 seconds from 0 to 600 in health-check-flap', () => {
    const scenario = loadScenario('examples/scenarios/health-check-flap.json', REPO_ROOT);
    expect(scenario.until).toBe(900);
    expect(scenario.description).toMatch(/must start nothing/);
    expect(scenario.events).toEqual([
      {
        kind: 'fault',
        index: 0,
        at: 0,
        fault: { type: 'health-check-flap', region: 'us-east-1', periodSeconds: 20 },
      },
      { kind: 'recover', index: 1, at: 600, fault: { type: 'health-check-flap', region: 'us-east-1' } },
    ]);
  });
});
