import { parseConfig } from '../../../shared/config/loadConfig.ts';
import type { ApplicationConfig } from '../../../shared/config/LifeboatConfig.ts';
import {
  CustomStepFailedError,
  CustomSteps,
  customStepsPlan,
  jobName,
  type CustomStepInput,
} from '../../../shared/custom/CustomSteps.ts';
import type { CustomStepsPort } from '../../../shared/ports/Estate.ts';
import { exampleConfigDocument } from '../../support/exampleConfig.ts';

const ARN = 'arn:aws:lambda:us-west-2:123456789012:function:warm-cache';

function configWith(steps: Record<string, unknown>[]) {
  const doc = exampleConfigDocument();
  (doc.applications[0] as { customSteps: unknown }).customSteps = steps;
  return parseConfig(doc, 'test');
}

const config = configWith([
  {
    name: 'warm-cache',
    at: 'failover.before-traffic',
    kind: 'lambda',
    functionArn: ARN,
    retries: 2,
    backoffSeconds: 5,
    onFailure: 'stop',
  },
  {
    name: 'smoke-test',
    at: 'failover.after-traffic',
    kind: 'kubernetes-job',
    namespace: 'ai-gateway',
    timeoutSeconds: 120,
    retries: 0,
    onFailure: 'continue',
    job: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    },
  },
  { name: 'probe', at: 'drill.readiness', kind: 'lambda', functionArn: ARN, retries: 0, onFailure: 'stop' },
]);
const app = config.applications[0] as ApplicationConfig;

function input(step: string, over: Partial<CustomStepInput> = {}): CustomStepInput {
  return {
    request: { application: app.name, sourceRegion: 'us-east-1', targetRegion: 'us-west-2' },
    workflow: 'failover',
    point: step === 'warm-cache' ? 'before-traffic' : 'after-traffic',
    step: { name: step, taskTimeoutSeconds: 80 },
    executionName: 'auto-ai-gateway-us-east-1-20300101T000036Z',
    attempt: 1,
    ...over,
  };
}

function steps(port: Partial<CustomStepsPort> = {}, now = () => new Date('2030-01-01T00:10:00Z')) {
  const calls: string[] = [];
  const custom: CustomStepsPort = {
    invoke: (arn, payload) => {
      calls.push(`invoke ${arn} ${JSON.stringify(payload)}`);
      return Promise.resolve({ ok: true, output: '{"ok":true}' });
    },
    startJob: (_, region, namespace, name) => {
      calls.push(`start ${region} ${namespace}/${name}`);
      return Promise.resolve();
    },
    jobStatus: () => Promise.resolve({ state: 'running', detail: '1 active, 0 succeeded, 0 failed' }),
    deleteJob: (_, region, namespace, name) => {
      calls.push(`delete ${region} ${namespace}/${name}`);
      return Promise.resolve();
    },
    ...port,
  };
  return { custom: new CustomSteps({ config, estate: { custom }, clock: { now } }), calls };
}

describe('customStepsPlan', () => {
  it("lists every point of the workflow, with each step's name and Task timeout (its own and a margin)", () => {
    expect(customStepsPlan(app, 'failover')).toEqual({
      afterPreflight: [],
      beforeTraffic: [{ name: 'warm-cache', taskTimeoutSeconds: 80 }],
      afterTraffic: [{ name: 'smoke-test', taskTimeoutSeconds: 60 }],
    });
    expect(customStepsPlan(app, 'drill')).toEqual({ readiness: [{ name: 'probe', taskTimeoutSeconds: 80 }] });
  });
});

describe('CustomSteps', () => {
  it('invokes the function with the documented payload and an idempotency key the same on every attempt', async () => {
    const { custom, calls } = steps();
    await expect(custom.start(input('warm-cache'))).resolves.toMatchObject({
      state: 'succeeded',
      detail: '{"ok":true}',
    });
    await custom.start(input('warm-cache', { attempt: 2 }));
    const payloads = calls.map(
      (c) => JSON.parse(c.slice(`invoke ${ARN} `.length)) as Record<string, unknown>,
    );
    expect(payloads[0]).toEqual({
      lifeboat: 1,
      application: 'ai-gateway',
      workflow: 'failover',
      point: 'before-traffic',
      step: 'warm-cache',
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      runName: 'auto-ai-gateway-us-east-1-20300101T000036Z',
      idempotencyKey: 'auto-ai-gateway-us-east-1-20300101T000036Z/before-traffic/warm-cache',
      attempt: 1,
    });
    expect(payloads[1]?.idempotencyKey).toBe(payloads[0]?.idempotencyKey);
  });

  it('records a function error with its type and message', async () => {
    const { custom } = steps({
      invoke: () => Promise.resolve({ ok: false, output: '{}', error: 'Error: boom' }),
    });
    await expect(custom.start(input('warm-cache'))).resolves.toMatchObject({
      state: 'failed',
      detail: 'Error: boom ({})',
    });
  });

  it('creates a Job named per run and attempt, within 63 characters, in the target region', async () => {
    const { custom, calls } = steps();
    const run = await custom.start(input('smoke-test'));
    expect(run).toMatchObject({
      state: 'running',
      job: { region: 'us-west-2', namespace: 'ai-gateway', name: jobName(input('smoke-test')) },
    });
    expect(calls).toEqual([`start us-west-2 ai-gateway/${jobName(input('smoke-test'))}`]);
    const long = input('smoke-test', { step: { name: 'x'.repeat(63), taskTimeoutSeconds: 60 } });
    expect(jobName(long)).toMatch(/^x+-[0-9a-f]{10}-1$/);
    expect(jobName(long).length).toBeLessThanOrEqual(63);
    expect(jobName(input('smoke-test', { attempt: 2 }))).not.toBe(jobName(input('smoke-test')));
  });

  it('deletes a Job that outlives its timeout, and counts the attempt failed', async () => {
    const started = new Date('2030-01-01T00:00:00Z');
    const { custom, calls } = steps({}, () => new Date(started.getTime() + 121_000));
    const run = {
      state: 'running' as const,
      startedAt: started.toISOString(),
      detail: '',
      job: { name: 'smoke-test-abc-1', region: 'us-west-2', namespace: 'ai-gateway' },
    };
    await expect(custom.check({ ...input('smoke-test'), run })).resolves.toMatchObject({
      state: 'failed',
      detail: 'did not complete within 120 s (1 active, 0 succeeded, 0 failed): deleted',
    });
    expect(calls).toEqual(['delete us-west-2 ai-gateway/smoke-test-abc-1']);
  });

  it('asks for another attempt after the backoff, doubled each time, while retries remain', async () => {
    const { custom } = steps();
    const failed = { state: 'failed' as const, startedAt: '2030-01-01T00:00:00.000Z', detail: 'boom' };
    await expect(custom.finish({ ...input('warm-cache'), run: failed })).resolves.toEqual({
      retryInSeconds: 5,
      nextAttempt: 2,
    });
    await expect(custom.finish({ ...input('warm-cache', { attempt: 2 }), run: failed })).resolves.toEqual({
      retryInSeconds: 10,
      nextAttempt: 3,
    });
  });

  it("gives a stop step with no retry left a failed outcome, which the point's judge turns into CustomStepFailed", async () => {
    const { custom } = steps();
    const done = await custom.finish({
      ...input('warm-cache', { attempt: 3 }),
      failure: { Error: 'States.Timeout', Cause: '' },
    });
    expect(done).toEqual({
      done: expect.objectContaining({
        step: 'warm-cache',
        outcome: 'failed',
        attempts: 3,
        detail: 'did not answer within 60 s',
      }) as unknown,
    });
    const outcomes = 'done' in done ? [done.done] : [];
    const judge = () => custom.judge({ workflow: 'failover', point: 'before-traffic', outcomes });
    expect(judge).toThrow(CustomStepFailedError);
    expect(judge).toThrow(
      'custom step warm-cache (lambda, failover.before-traffic) failed after 3 attempts: did not answer within 60 s. It stops the run (onFailure: stop): nothing after before-traffic was done',
    );
    expect(custom.judge({ workflow: 'drill', point: 'readiness', outcomes })).toEqual({ judged: 1 });
  });

  it('records a continue step that failed as a warning, and deletes a Job whose reads failed before the next attempt', async () => {
    const { custom, calls } = steps();
    const failed = {
      state: 'failed' as const,
      startedAt: '2030-01-01T00:00:00.000Z',
      endedAt: '2030-01-01T00:01:00.000Z',
      detail: 'BackoffLimitExceeded',
    };
    await expect(custom.finish({ ...input('smoke-test'), run: failed })).resolves.toEqual({
      done: expect.objectContaining({
        step: 'smoke-test',
        outcome: 'warning',
        attempts: 1,
        onFailure: 'continue',
        detail: 'BackoffLimitExceeded',
      }) as unknown,
    });
    const running = {
      state: 'running' as const,
      startedAt: '2030-01-01T00:00:00.000Z',
      detail: '1 active',
      job: { name: 'smoke-test-abc-1', region: 'us-west-2', namespace: 'ai-gateway' },
    };
    await custom.finish({
      ...input('smoke-test'),
      run: running,
      failure: { Error: 'PermanentServiceError', Cause: 'Forbidden' },
    });
    expect(calls).toEqual(['delete us-west-2 ai-gateway/smoke-test-abc-1']);
  });

  it('refuses a step the deployed config does not have', async () => {
    const { custom } = steps();
    await expect(custom.start(input('nope'))).rejects.toThrow(
      'custom step nope of ai-gateway is not in the deployed config',
    );
  });

  it('gives a Job its payload as LIFEBOAT_* variables and its labels', async () => {
    let given: Record<string, unknown> | undefined;
    const { custom } = steps({
      startJob: (_, __, ___, ____, job) => {
        given = job;
        return Promise.resolve();
      },
    });
    await custom.start(input('smoke-test'));
    const container = (
      given as { spec: { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } } }
    ).spec.template.spec.containers[0]!;
    expect(container.env).toEqual([
      { name: 'LIFEBOAT_APPLICATION', value: 'ai-gateway' },
      { name: 'LIFEBOAT_WORKFLOW', value: 'failover' },
      { name: 'LIFEBOAT_POINT', value: 'after-traffic' },
      { name: 'LIFEBOAT_STEP', value: 'smoke-test' },
      { name: 'LIFEBOAT_SOURCE_REGION', value: 'us-east-1' },
      { name: 'LIFEBOAT_TARGET_REGION', value: 'us-west-2' },
      { name: 'LIFEBOAT_RUN_NAME', value: 'auto-ai-gateway-us-east-1-20300101T000036Z' },
      {
        name: 'LIFEBOAT_IDEMPOTENCY_KEY',
        value: 'auto-ai-gateway-us-east-1-20300101T000036Z/after-traffic/smoke-test',
      },
      { name: 'LIFEBOAT_ATTEMPT', value: '1' },
    ]);
    expect((given as { metadata: { labels: unknown } }).metadata.labels).toEqual({
      'lifeboat.io/application': 'ai-gateway',
      'lifeboat.io/step': 'smoke-test',
    });
  });
});
