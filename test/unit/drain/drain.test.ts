import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../../shared/config/loadConfig.ts';
import type { LifeboatConfig } from '../../../shared/config/LifeboatConfig.ts';
import { checkDrainInput, undrainSteps, type DrainRequest } from '../../../shared/drain/DrainInput.ts';
import { DrainSteps, regionSizing } from '../../../shared/drain/DrainSteps.ts';
import { ConfigError, InvalidInputError } from '../../../shared/errors.ts';
import type {
  AutoscalerStatus,
  Estate,
  NodeGroupStatus,
  WorkloadsPort,
} from '../../../shared/ports/Estate.ts';
import type { Ledger } from '../../../shared/ports/Ledger.ts';
import { exampleConfigDocument } from '../../support/exampleConfig.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
type Doc = { applications: Record<string, unknown>[] } & Record<string, unknown>;

function activeActiveDoc(): Doc {
  return JSON.parse(readFileSync(`${ROOT}examples/active-active.config.json`, 'utf8')) as Doc;
}

const CONFIG: LifeboatConfig = parseConfig(activeActiveDoc());
const APP = CONFIG.applications[0]!;
const SERVING = { 'us-east-1': 40, 'us-west-2': 40, 'eu-west-1': 20 };

function check(input: Record<string, unknown>, weights: Record<string, number> = SERVING): DrainRequest {
  return checkDrainInput({ application: 'inference-api', ...input }, CONFIG, {
    weights,
    region: 'us-west-2',
  });
}

function refusal(input: Record<string, unknown>, weights?: Record<string, number>, config = CONFIG): string {
  try {
    if (config === CONFIG) check(input, weights);
    else checkDrainInput(input, config, { weights: weights ?? {}, region: 'us-east-1' });
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('expected the input to be refused');
}

describe('the drain input', () => {
  it('drains a serving region in the configured steps of its serving weight, the others unchanged', () => {
    const request = check({ region: 'us-east-1', reason: 'elevated 5xx' });
    expect(request).toMatchObject({
      action: 'drain',
      region: 'us-east-1',
      targetRegion: 'us-west-2',
      remaining: ['us-west-2', 'eu-west-1'],
      startWeights: SERVING,
      servingWeight: 40,
      steps: [50, 0],
      stepWeights: [20, 0],
      reason: 'elevated 5xx',
      approval: 'slack',
      scaleRemaining: true,
      bakeSeconds: 120,
      dryRun: false,
    });
  });

  it('finishes a partial drain from the weight now, and climbs the same steps back on an undrain', () => {
    expect(check({ region: 'us-east-1' }, { ...SERVING, 'us-east-1': 20 }).stepWeights).toEqual([0]);
    const back = check({ region: 'us-east-1', undrain: true }, { ...SERVING, 'us-east-1': 0 });
    expect(back).toMatchObject({ action: 'undrain', steps: [50, 100], stepWeights: [20, 40] });
    expect(
      check({ region: 'us-east-1', undrain: true }, { ...SERVING, 'us-east-1': 20 }).stepWeights,
    ).toEqual([40]);
    expect(undrainSteps([75, 50, 25, 0])).toEqual([25, 50, 75, 100]);
  });

  it.each([
    [{ region: 'us-east-2' }, undefined, 'region: us-east-2 is not a region of inference-api'],
    [
      { region: 'us-east-1' },
      { ...SERVING, 'us-east-1': 0 },
      'region: us-east-1 is already drained (weight 0',
    ],
    [
      { region: 'us-east-1' },
      { 'us-east-1': 40, 'us-west-2': 0, 'eu-west-1': 0 },
      'region: us-east-1 is the only region of inference-api that serves',
    ],
    [{ region: 'us-east-1', undrain: true }, undefined, 'already serves inference-api at its full weight 40'],
    [{ region: 'us-east-1', dryrun: true }, undefined, 'dryrun'],
    [{ region: 'us-east-1', reason: 'x'.repeat(501) }, undefined, 'reason'],
  ])('refuses %j (weights %j), naming the field', (input, weights, message) => {
    expect(refusal(input, weights)).toContain(message);
  });

  it('refuses an active-passive application and an unknown one, saying what to do instead', () => {
    const example = parseConfig(exampleConfigDocument());
    expect(refusal({ application: 'ai-gateway', region: 'us-east-1' }, undefined, example)).toContain(
      'application: ai-gateway is active-passive (its config has no activeActive)',
    );
    expect(refusal({ application: 'inference-apj', region: 'us-east-1' })).toContain(
      'application: no application named "inference-apj"',
    );
  });

  it('refuses to bring back a region whose serving weight is 0', () => {
    const doc = activeActiveDoc();
    (doc.applications[0]!.activeActive as { weights: Record<string, number> }).weights['eu-west-1'] = 0;
    const config = parseConfig(doc);
    expect(() =>
      checkDrainInput({ application: 'inference-api', region: 'eu-west-1', undrain: true }, config, {
        weights: { 'us-east-1': 40, 'us-west-2': 40, 'eu-west-1': 0 },
        region: 'us-east-1',
      }),
    ).toThrow(/eu-west-1 does not serve inference-api when every region serves/);
  });
});

describe('the activeActive config', () => {
  function problemsOf(mutate: (settings: Record<string, unknown>) => void): string[] {
    const doc = activeActiveDoc();
    mutate(doc.applications[0]!.activeActive as Record<string, unknown>);
    try {
      parseConfig(doc, 'test.json');
    } catch (error) {
      if (error instanceof ConfigError) return [...error.problems];
      throw error;
    }
    return [];
  }

  it.each([
    [
      'a region without a weight',
      (s: Record<string, unknown>) => delete (s.weights as Record<string, number>)['eu-west-1'],
      'applications[0].activeActive.weights.eu-west-1: missing; every region of the application needs a weight',
    ],
    [
      'one serving region',
      (s: Record<string, unknown>) => (s.weights = { 'us-east-1': 40, 'us-west-2': 0, 'eu-west-1': 0 }),
      'applications[0].activeActive.weights: at least two regions must serve (weight above 0) for the application to be active-active; only us-east-1 does',
    ],
    [
      'steps that do not decrease',
      (s: Record<string, unknown>) => (s.drainSteps = [50, 60, 0]),
      'applications[0].activeActive.drainSteps[1]: drainSteps must decrease: 60 comes after 50',
    ],
    [
      'steps that do not end at 0',
      (s: Record<string, unknown>) => (s.drainSteps = [50, 25]),
      'applications[0].activeActive.drainSteps: the last step must be 0',
    ],
    [
      'a weight Route 53 does not take',
      (s: Record<string, unknown>) => ((s.weights as Record<string, number>)['us-east-1'] = 256),
      'applications[0].activeActive.weights.us-east-1',
    ],
  ])('refuses %s, naming the path', (_name, mutate, message) => {
    expect(problemsOf(mutate).join('\n')).toContain(message);
  });

  it('accepts the example with its defaults', () => {
    expect(problemsOf(() => undefined)).toEqual([]);
    expect(APP.activeActive).toEqual({
      weights: SERVING,
      drainSteps: [50, 0],
      scaleRemaining: true,
      approval: 'slack',
      moveWriter: true,
    });
  });

  it('refuses moveWriter for an RDS database, whose promoted replica the other regions would not follow', () => {
    const doc = exampleConfigDocument();
    doc.applications[0]!.activeActive = {
      weights: { 'us-east-1': 50, 'us-west-2': 50, 'eu-west-1': 0 },
      moveWriter: true,
    };
    expect(() => parseConfig(doc, 'test.json')).toThrow(
      /applications\[0\]\.activeActive\.moveWriter: only an aurora-global database's writer moves with a drain/,
    );
  });
});

describe('regionSizing', () => {
  it('scales a region in proportion to its share over its serving share, rounded up, never down', () => {
    const after = { 'us-east-1': 0, 'us-west-2': 40, 'eu-west-1': 20 };
    const west = regionSizing(APP, 'us-west-2', after);
    expect(west).toMatchObject({ sharePercent: 66.7, factor: 1.667 });
    expect(west.workloads.map((w) => [w.workload.name, w.replicas, w.minReady])).toEqual([
      ['router', 7, 7],
      ['api', 10, 10],
    ]);
    expect(west.nodeGroups).toEqual([{ name: 'general', desired: 7, max: 8 }]);
    // At its serving share, its active sizes exactly (no rounding drift).
    expect(regionSizing(APP, 'us-west-2', SERVING).workloads.map((w) => w.replicas)).toEqual([4, 6]);
    // Less than its serving share: never below its active sizes.
    expect(regionSizing(APP, 'eu-west-1', { 'us-east-1': 80, 'us-west-2': 80, 'eu-west-1': 20 }).factor).toBe(
      1,
    );
  });
});

/** A cluster per region behind the port: node groups, replicas, autoscalers; every write listed. */
function fakeWorkloads() {
  const writes: string[] = [];
  const nodeGroups = new Map<string, NodeGroupStatus>();
  const replicas = new Map<string, number>();
  const bounds = new Map<string, AutoscalerStatus>();
  for (const region of APP.regions) {
    const w = APP.workloads[region]!;
    for (const g of w.nodeGroups)
      nodeGroups.set(`${region}/${g.name}`, {
        desired: g.activeSize,
        ready: g.activeSize,
        min: 1,
        max: g.maxSize!,
      });
    for (const d of w.deployments) {
      replicas.set(`${region}/${d.name}`, d.activeReplicas);
      if (d.autoscaler !== undefined)
        bounds.set(`${region}/${d.autoscaler.name}`, {
          min: d.activeReplicas,
          max: 2 * d.activeReplicas,
          target: { apiVersion: 'apps/v1', kind: d.kind, name: d.name },
          paused: false,
        });
    }
  }
  const port = {
    describeNodeGroup: (_: unknown, region: string, name: string) =>
      Promise.resolve(nodeGroups.get(`${region}/${name}`)!),
    scaleNodeGroup: (
      _: unknown,
      region: string,
      name: string,
      s: { desired: number; min?: number; max?: number },
    ) => {
      const key = `${region}/${name}`;
      const current = nodeGroups.get(key)!;
      writes.push(`${key} desired ${s.desired}`);
      nodeGroups.set(key, {
        ...current,
        desired: s.desired,
        min: s.min ?? current.min,
        max: s.max ?? current.max,
      });
      return Promise.resolve();
    },
    describeWorkload: (_: unknown, region: string, w: { name: string }) => {
      const n = replicas.get(`${region}/${w.name}`)!;
      return Promise.resolve({ replicas: n, readyReplicas: n });
    },
    scaleWorkload: (_: unknown, region: string, w: { name: string }, n: number) => {
      const key = `${region}/${w.name}`;
      if (replicas.get(key) !== n) writes.push(`${key} scale ${n}`);
      replicas.set(key, n);
      return Promise.resolve();
    },
    describeAutoscaler: (_: unknown, region: string, w: { autoscaler: { name: string } }) =>
      Promise.resolve(bounds.get(`${region}/${w.autoscaler.name}`)!),
    setAutoscalerBounds: (
      _: unknown,
      region: string,
      w: { autoscaler: { name: string } },
      b: { min: number; max: number },
    ) => {
      const key = `${region}/${w.autoscaler.name}`;
      const current = bounds.get(key)!;
      if (current.min !== b.min || current.max !== b.max) writes.push(`${key} bounds ${b.min}-${b.max}`);
      bounds.set(key, { ...current, ...b });
      return Promise.resolve();
    },
  } as unknown as WorkloadsPort;
  return { port, writes, replicas };
}

/** Route 53's weights behind the port (each write applied at once) and a health check per region. */
function stepsWith(
  workloads: WorkloadsPort,
  dnsWrites: string[] = [],
  options: { weights?: Record<string, number>; unhealthy?: readonly string[] } = {},
): DrainSteps {
  const live: Record<string, number> = { ...(options.weights ?? SERVING) };
  const estate = {
    workloads,
    dns: {
      getWeights: () => Promise.resolve({ ...live }),
      setWeights: (_: unknown, weights: Record<string, number>) => {
        dnsWrites.push(JSON.stringify(weights));
        Object.assign(live, weights);
        return Promise.resolve('C1');
      },
    },
    health: {
      getStatus: (_: unknown, region: string) =>
        Promise.resolve(options.unhealthy?.includes(region) === true ? 'unhealthy' : 'healthy'),
    },
    telemetry: { weights: () => Promise.resolve() },
  } as unknown as Estate;
  return new DrainSteps({
    config: CONFIG,
    estate,
    ledger: {} as Ledger,
    ledgerIn: () => ({}) as Ledger,
    clock: { now: () => new Date('2030-01-01T00:00:00Z'), sleep: () => Promise.resolve() },
  });
}

describe('the drain preflight', () => {
  it('turns a check it cannot make into a failed check, so Decide stops the run with the reason', async () => {
    const estate = {
      health: { getStatus: () => Promise.resolve('healthy') },
      workloads: {
        clusterReachable: (_: unknown, region: string) =>
          region === 'eu-west-1' ? Promise.reject(new Error('AccessDeniedException')) : Promise.resolve(true),
      },
      database: {
        describe: () => Promise.resolve({ role: 'writer', available: true, sourceRegion: undefined }),
      },
    } as unknown as Estate;
    const steps = new DrainSteps({
      config: CONFIG,
      estate,
      ledger: {} as Ledger,
      ledgerIn: () => ({}) as Ledger,
      clock: { now: () => new Date('2030-01-01T00:00:00Z'), sleep: () => Promise.resolve() },
    });
    const request = check({ region: 'us-east-1' });
    const preflight = await steps.checkDrain({ request });
    expect(preflight.filter((c) => !c.ok)).toEqual([
      {
        check: 'cluster',
        region: 'eu-west-1',
        ok: false,
        detail: 'eu-west-1 cluster could not be read (AccessDeniedException)',
      },
    ]);
    expect(steps.decideDrain({ request, preflight })).toMatchObject({
      outcome: 'stop',
      reasons: [
        'eu-west-1 must take traffic but its cluster cannot be reached: eu-west-1 cluster could not be read (AccessDeniedException)',
      ],
      moveWriterTo: 'us-west-2',
    });
  });
});

describe('the drain steps, run twice', () => {
  it('ScaleForDrain scales the remaining regions once: the second run changes nothing', async () => {
    const cluster = fakeWorkloads();
    const steps = stepsWith(cluster.port);
    const request = check({ region: 'us-east-1' });
    const first = await steps.scaleForDrain({ request });
    expect(cluster.writes).toEqual([
      'us-west-2/general desired 7',
      'us-west-2/router scale 7',
      'us-west-2/router bounds 7-8',
      'us-west-2/api scale 10',
      'eu-west-1/general desired 4',
      'eu-west-1/router scale 4',
      'eu-west-1/router bounds 4-4',
      'eu-west-1/api scale 5',
    ]);
    expect(first.scaled['us-west-2']).toEqual({
      'nodegroup/general': 7,
      'inference/router': 7,
      'inference/api': 10,
    });
    cluster.writes.length = 0;
    await steps.scaleForDrain({ request });
    expect(cluster.writes).toEqual([]);
  });

  it('ScaleForDrain never makes a region smaller than it runs', async () => {
    const cluster = fakeWorkloads();
    cluster.replicas.set('us-west-2/api', 12);
    await stepsWith(cluster.port).scaleForDrain({ request: check({ region: 'us-east-1' }) });
    expect(cluster.writes).not.toContain('us-west-2/api scale 10');
    expect(cluster.replicas.get('us-west-2/api')).toBe(12);
  });

  it('ScaleBack after an undrain lowers the others to their serving share once; a drain scales nothing back', async () => {
    const cluster = fakeWorkloads();
    const steps = stepsWith(cluster.port);
    await steps.scaleForDrain({ request: check({ region: 'us-east-1' }) });
    cluster.writes.length = 0;
    const undrain = check({ region: 'us-east-1', undrain: true }, { ...SERVING, 'us-east-1': 0 });
    await steps.scaleBack({ request: undrain });
    expect(cluster.writes).toEqual([
      'us-west-2/router bounds 4-8',
      'us-west-2/api scale 6',
      'us-west-2/general desired 4',
      'eu-west-1/router bounds 2-4',
      'eu-west-1/api scale 3',
      'eu-west-1/general desired 2',
    ]);
    cluster.writes.length = 0;
    await steps.scaleBack({ request: undrain });
    expect(cluster.writes).toEqual([]);
    await steps.scaleBack({ request: check({ region: 'us-east-1' }) });
    expect(cluster.writes).toEqual([]);
  });

  it("DrainStep changes only the region's record, the same each time it runs, and refuses an index past the steps", async () => {
    const dns: string[] = [];
    const steps = stepsWith(fakeWorkloads().port, dns);
    const request = check({ region: 'us-east-1' });
    const a = await steps.drainStep({ request, index: 0, executionName: 'x' });
    const b = await steps.drainStep({ request, index: 0, executionName: 'x' });
    const c = await steps.drainStep({ request, index: 1, executionName: 'x' });
    expect([a.weights, b.weights]).toEqual([
      { 'us-east-1': 20, 'us-west-2': 40, 'eu-west-1': 20 },
      { 'us-east-1': 20, 'us-west-2': 40, 'eu-west-1': 20 },
    ]);
    expect(dns).toEqual(['{"us-east-1":20}', '{"us-east-1":20}', '{"us-east-1":0}']);
    expect(c.last).toBe(true);
    await expect(steps.drainStep({ request, index: 2, executionName: 'x' })).rejects.toThrow(
      'index: 2 is not a step of 50, 0',
    );
  });

  it('DrainStep stops, changing nothing, when a record was changed by hand since the run began', async () => {
    const dns: string[] = [];
    const request = check({ region: 'us-east-1' });
    const steps = stepsWith(fakeWorkloads().port, dns, {
      weights: { 'us-east-1': 20, 'us-west-2': 40, 'eu-west-1': 0 },
    });
    await expect(steps.drainStep({ request, index: 1, executionName: 'x' })).rejects.toThrow(
      'the weights changed since the drain began (eu-west-1 0, was 20); it stops here and leaves them as they are',
    );
    const moved = stepsWith(fakeWorkloads().port, dns, { weights: { ...SERVING, 'us-east-1': 5 } });
    await expect(moved.drainStep({ request, index: 1, executionName: 'x' })).rejects.toThrow(
      '(us-east-1 5, was 20)',
    );
    expect(dns).toEqual([]);
  });

  it('an undrain step does not raise a region whose health check fails', async () => {
    const dns: string[] = [];
    const request = check({ region: 'us-east-1', undrain: true }, { ...SERVING, 'us-east-1': 0 });
    const steps = stepsWith(fakeWorkloads().port, dns, {
      weights: { ...SERVING, 'us-east-1': 0 },
      unhealthy: ['us-east-1'],
    });
    await expect(steps.drainStep({ request, index: 0, executionName: 'x' })).rejects.toThrow(
      'us-east-1 fails its health check (route53); the undrain stops at weight 0 rather than raise it to 20',
    );
    expect(dns).toEqual([]);
  });

  it("RollBack gives the region the last good step's weight, or where it was, but never raises a failing one", async () => {
    const request = check({ region: 'us-east-1' });
    const reading = (weight: number, ok: boolean) => ({
      percent: weight === 20 ? 50 : 0,
      weight,
      weights: { ...SERVING, 'us-east-1': weight },
      at: '',
      regions: {},
      ok,
      detail: '',
    });
    const dns: string[] = [];
    const at0 = { weights: { ...SERVING, 'us-east-1': 0 } };
    const back = await stepsWith(fakeWorkloads().port, dns, at0).rollBackDrain({
      request,
      history: [reading(20, true), reading(0, false)],
      executionName: 'x',
    });
    expect(back.weights['us-east-1']).toBe(20);
    expect(back.detail).toContain('us-east-1 back to 20 (the last step the guard passed, 50 %)');
    const none = await stepsWith(fakeWorkloads().port, dns, at0).rollBackDrain({
      request,
      history: [reading(20, false)],
      executionName: 'x',
    });
    expect(none.detail).toContain('us-east-1 back to 40 (where it was)');
    const failing = await stepsWith(fakeWorkloads().port, dns, {
      ...at0,
      unhealthy: ['us-east-1'],
    }).rollBackDrain({ request, history: [reading(20, false)], executionName: 'x' });
    expect(failing.weights['us-east-1']).toBe(0);
    expect(failing.detail).toContain('us-east-1 kept at 0: its health check fails');
    // Only the region's record is written.
    expect(dns).toEqual(['{"us-east-1":20}', '{"us-east-1":40}', '{"us-east-1":0}']);
  });

  it('ScaleForDrain keeps an autoscaler minimum and a node group maximum set higher than it needs', async () => {
    const cluster = fakeWorkloads();
    await cluster.port.setAutoscalerBounds(
      APP,
      'us-west-2',
      {
        ...APP.workloads['us-west-2']!.deployments[0]!,
        autoscaler: { kind: 'HorizontalPodAutoscaler', name: 'router' },
      },
      { min: 12, max: 16 },
    );
    await cluster.port.scaleNodeGroup(APP, 'us-west-2', 'general', { desired: 4, max: 20 });
    cluster.writes.length = 0;
    await stepsWith(cluster.port).scaleForDrain({ request: check({ region: 'us-east-1' }) });
    expect(cluster.writes.filter((w) => w.startsWith('us-west-2/'))).toEqual([
      'us-west-2/general desired 7',
      'us-west-2/router scale 12',
      'us-west-2/api scale 10',
    ]);
  });
});
