import { createHash } from 'node:crypto';
import type { ApplicationConfig, CustomStepConfig, CustomStepPoint } from '../config/LifeboatConfig.ts';
import { LifeboatError } from '../errors.ts';
import type { Estate } from '../ports/Estate.ts';

/** A custom step that failed with `onFailure: stop`: the run ends there, changing nothing after. */
export class CustomStepFailedError extends LifeboatError {
  constructor(message: string) {
    super(message);
    this.name = 'CustomStepFailed';
  }
}

/** The workflows with custom step points, and the point names as a run's request lists them. */
export type CustomWorkflow = 'failover' | 'failback' | 'switchover' | 'drill';

/** One step as a run's request carries it into a point's Map: its name and its Task timeout. */
export interface CustomStepItem {
  readonly name: string;
  /** How long Lifeboat's call may take (an invocation's timeout, a Job's start): the Task's timeout. */
  readonly taskTimeoutSeconds: number;
}

/** The steps of each point of one workflow, by the point's short name (`after-preflight` → `afterPreflight`). */
export type CustomStepsPlan = Readonly<Record<string, readonly CustomStepItem[]>>;

/** Lifeboat's own margin over a step's timeout for its call to the function (its cold start, its write). */
const TASK_MARGIN_SECONDS = 20;

/** `after-preflight` → `afterPreflight`: the key of a point in a request's `customSteps`. */
export function pointKey(point: string): string {
  return point.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * The custom steps of each of a workflow's points, in config order, as the run's request carries
 * them (every point listed, empty where none is configured, so each point's Map has its items).
 */
export function customStepsPlan(app: ApplicationConfig, workflow: CustomWorkflow): CustomStepsPlan {
  const points = POINTS_OF[workflow];
  return Object.fromEntries(
    points.map((point) => [
      pointKey(point),
      app.customSteps
        .filter((s) => s.at === `${workflow}.${point}`)
        .map((s) => ({
          name: s.name,
          taskTimeoutSeconds:
            s.kind === 'lambda' ? s.timeoutSeconds + TASK_MARGIN_SECONDS : TASK_MARGIN_SECONDS * 3,
        })),
    ]),
  );
}

/** Each workflow's points, in the order a run passes them. */
export const POINTS_OF: Readonly<Record<CustomWorkflow, readonly string[]>> = {
  failover: ['after-preflight', 'before-traffic', 'after-traffic'],
  failback: ['after-preflight', 'before-traffic', 'after-traffic'],
  switchover: ['after-preflight', 'before-traffic', 'after-traffic'],
  drill: ['readiness'],
};

/** What a point's Map passes each step: the run, the step and where it stands. */
export interface CustomStepInput {
  readonly request: {
    readonly application: string;
    readonly sourceRegion: string;
    readonly targetRegion: string;
    readonly dryRun?: boolean;
  };
  readonly workflow: CustomWorkflow;
  readonly point: string;
  readonly step: CustomStepItem;
  readonly executionName: string;
  readonly attempt: number;
}

/** Where one attempt stands. */
export interface CustomStepRun {
  readonly state: 'running' | 'succeeded' | 'failed';
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly detail: string;
  /** A Job's name and region. */
  readonly job?: { readonly name: string; readonly region: string; readonly namespace: string };
  /** How long to wait between reads of a Job: a sixtieth of its timeout, at least 10 s. */
  readonly pollSeconds?: number;
}

/** A step's outcome, as the ledger record and the report keep it. */
export interface CustomStepOutcome {
  readonly step: string;
  readonly kind: CustomStepConfig['kind'];
  readonly point: string;
  readonly outcome: 'succeeded' | 'warning' | 'failed';
  readonly attempts: number;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly onFailure: CustomStepConfig['onFailure'];
  /** The function's answer or the Job's state; for a failure, why. */
  readonly detail: string;
}

interface Deps {
  readonly config: { readonly applications: readonly ApplicationConfig[] };
  readonly estate: Pick<Estate, 'custom'>;
  readonly clock: { now(): Date };
}

/**
 * The custom steps' operations, which each point's Map runs for one step (docs/custom-steps.md):
 * StartCustomStep invokes the function (the answer comes back in the same call) or creates the
 * Job; CheckCustomStep follows a Job until it completes, fails or outlives its timeout (then it is
 * deleted); FinishCustomStep judges the attempt, asks for another after the backoff while retries
 * remain, and otherwise gives the outcome; JudgeCustomSteps, after the point's last step, fails the
 * run for a failed `onFailure: stop` step.
 */
export class CustomSteps {
  readonly #deps: Deps;

  constructor(deps: Deps) {
    this.#deps = deps;
  }

  async start(input: CustomStepInput): Promise<CustomStepRun> {
    const { app, step } = this.#find(input);
    const startedAt = this.#now();
    if (step.kind === 'lambda') {
      const arn =
        typeof step.functionArn === 'string'
          ? step.functionArn
          : step.functionArn[input.request.targetRegion];
      if (arn === undefined) {
        return this.#failed(startedAt, `no function for ${input.request.targetRegion} in functionArn`);
      }
      const answer = await this.#deps.estate.custom.invoke(arn, payloadOf(input), step.timeoutSeconds);
      return answer.ok
        ? { state: 'succeeded', startedAt, endedAt: this.#now(), detail: answer.output }
        : this.#failed(startedAt, answer.error ?? 'the function failed', answer.output);
    }
    const region = regionOf(step, input);
    const name = jobName(input);
    const job = withEnvironment(step.job ?? {}, payloadOf(input), {
      'lifeboat.io/application': app.name,
      'lifeboat.io/step': step.name,
    });
    await this.#deps.estate.custom.startJob(app, region, step.namespace, name, job);
    return {
      state: 'running',
      startedAt,
      detail: `Job ${step.namespace}/${name} created in ${region}`,
      job: { name, region, namespace: step.namespace },
      // About sixty reads an attempt whatever its timeout, within Step Functions' 25,000 history events.
      pollSeconds: Math.max(10, Math.ceil(step.timeoutSeconds / 60)),
    };
  }

  async check(input: CustomStepInput & { readonly run: CustomStepRun }): Promise<CustomStepRun> {
    const { app, step } = this.#find(input);
    const job = input.run.job;
    if (step.kind !== 'kubernetes-job' || job === undefined) return input.run;
    const status = await this.#deps.estate.custom.jobStatus(app, job.region, job.namespace, job.name);
    const elapsed = (this.#deps.clock.now().getTime() - Date.parse(input.run.startedAt)) / 1000;
    if (status.state === 'succeeded')
      return { ...input.run, state: 'succeeded', endedAt: this.#now(), detail: status.detail };
    if (status.state === 'failed' || status.state === 'missing')
      return { ...input.run, state: 'failed', endedAt: this.#now(), detail: status.detail };
    if (elapsed > step.timeoutSeconds) {
      await this.#deps.estate.custom.deleteJob(app, job.region, job.namespace, job.name);
      return {
        ...input.run,
        state: 'failed',
        endedAt: this.#now(),
        detail: `did not complete within ${step.timeoutSeconds} s (${status.detail}): deleted`,
      };
    }
    return { ...input.run, detail: status.detail };
  }

  /**
   * The attempt's end: another attempt after the backoff while retries remain, or the outcome. A
   * failure of a `stop` step fails the run (a drill records it as a finding instead).
   */
  async finish(
    input: CustomStepInput & {
      readonly run?: CustomStepRun;
      /** The Task's error when the attempt did not end by itself (a timeout, the function failing). */
      readonly failure?: { readonly Error?: string; readonly Cause?: string };
    },
  ): Promise<{ retryInSeconds: number; nextAttempt: number } | { done: CustomStepOutcome }> {
    const { app, step } = this.#find(input);
    const now = this.#now();
    const job = input.run?.job;
    if (input.run?.state === 'running' && job !== undefined) {
      // Its reads failed: the Job is left to nobody, so it goes before another attempt starts one.
      await this.#deps.estate.custom
        .deleteJob(app, job.region, job.namespace, job.name)
        .catch(() => undefined);
    }
    const run: CustomStepRun =
      input.run?.state === 'succeeded' || input.run?.state === 'failed'
        ? input.run
        : {
            state: 'failed',
            startedAt: input.run?.startedAt ?? now,
            endedAt: now,
            detail:
              input.failure?.Error === 'States.Timeout'
                ? `did not answer within ${step.kind === 'lambda' ? step.timeoutSeconds : input.step.taskTimeoutSeconds} s`
                : `${input.failure?.Error ?? 'failed'}: ${causeOf(input.failure?.Cause)}`,
          };
    if (run.state === 'failed' && input.attempt <= step.retries) {
      return {
        retryInSeconds: step.backoffSeconds * 2 ** (input.attempt - 1),
        nextAttempt: input.attempt + 1,
      };
    }
    const outcome: CustomStepOutcome = {
      step: step.name,
      kind: step.kind,
      point: input.point,
      outcome: run.state === 'succeeded' ? 'succeeded' : step.onFailure === 'stop' ? 'failed' : 'warning',
      attempts: input.attempt,
      startedAt: run.startedAt,
      endedAt: run.endedAt ?? now,
      onFailure: step.onFailure,
      detail: run.detail,
    };
    return { done: outcome };
  }

  /**
   * JudgeCustomSteps: after a point's steps, CustomStepFailed when one of them failed with
   * `onFailure: stop`; the point's outcomes are in the run's state by then, so its record keeps them.
   */
  judge(input: {
    readonly workflow: CustomWorkflow;
    readonly point: string;
    readonly outcomes?: readonly CustomStepOutcome[];
  }): { judged: number } {
    const failed = (input.outcomes ?? []).find((o) => o.outcome === 'failed');
    if (failed !== undefined && input.workflow !== 'drill') {
      throw new CustomStepFailedError(
        `custom step ${failed.step} (${failed.kind}, ${input.workflow}.${input.point}) failed after ${failed.attempts} attempt${failed.attempts === 1 ? '' : 's'}: ${failed.detail}. It stops the run (onFailure: stop): nothing after ${input.point} was done`,
      );
    }
    return { judged: input.outcomes?.length ?? 0 };
  }

  #find(input: CustomStepInput): { app: ApplicationConfig; step: CustomStepConfig } {
    const app = this.#deps.config.applications.find((a) => a.name === input.request.application);
    const step = app?.customSteps.find((s) => s.name === input.step.name);
    if (app === undefined || step === undefined) {
      throw new CustomStepFailedError(
        `custom step ${input.step.name} of ${input.request.application} is not in the deployed config`,
      );
    }
    return { app, step };
  }

  #failed(startedAt: string, detail: string, output?: string): CustomStepRun {
    return {
      state: 'failed',
      startedAt,
      endedAt: this.#now(),
      detail: output === undefined || output === '' ? detail : `${detail} (${output})`,
    };
  }

  #now(): string {
    return this.#deps.clock.now().toISOString();
  }
}

/**
 * What a custom step is given (a Lambda function's event; a Job's containers get it as LIFEBOAT_*
 * environment variables): the run, the point and an idempotency key that is the same on every
 * attempt of the step in this run.
 */
export function payloadOf(input: CustomStepInput): Record<string, unknown> {
  return {
    lifeboat: 1,
    application: input.request.application,
    workflow: input.workflow,
    point: input.point,
    step: input.step.name,
    sourceRegion: input.request.sourceRegion,
    targetRegion: input.request.targetRegion,
    runName: input.executionName,
    idempotencyKey: `${input.executionName}/${input.point}/${input.step.name}`,
    attempt: input.attempt,
  };
}

function regionOf(step: CustomStepConfig & { kind: 'kubernetes-job' }, input: CustomStepInput): string {
  if (step.region === 'target') return input.request.targetRegion;
  if (step.region === 'source') return input.request.sourceRegion;
  return step.region;
}

/** A Job name per run, step and attempt, within Kubernetes' 63 characters: `<step>-<digest>-<attempt>`. */
export function jobName(input: CustomStepInput): string {
  const digest = createHash('sha256')
    .update(`${input.executionName}/${input.point}`)
    .digest('hex')
    .slice(0, 10);
  return `${input.step.name.slice(0, 63 - 10 - 6)}-${digest}-${input.attempt}`;
}

/** The manifest with the payload added to every container's environment (LIFEBOAT_APPLICATION, ...). */
function withEnvironment(
  job: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  labels: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const metadata = (job.metadata ?? {}) as Record<string, unknown>;
  const env = Object.entries(payload)
    .filter(([key]) => key !== 'lifeboat')
    .map(([key, value]) => ({
      name: `LIFEBOAT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`,
      value: String(value),
    }));
  const spec = (job.spec ?? {}) as Record<string, unknown>;
  const template = (spec.template ?? {}) as Record<string, unknown>;
  const podSpec = (template.spec ?? {}) as Record<string, unknown>;
  const containers = ((podSpec.containers ?? []) as Record<string, unknown>[]).map((c) => ({
    ...c,
    env: [...((c.env ?? []) as unknown[]), ...env],
  }));
  return {
    ...job,
    metadata: { ...metadata, labels: { ...(metadata.labels ?? {}), ...labels } },
    spec: { ...spec, template: { ...template, spec: { ...podSpec, containers } } },
  };
}

function causeOf(cause: string | undefined): string {
  if (cause === undefined || cause === '') return 'no cause given';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // A plain text cause.
  }
  return cause;
}

/** Flattens a run's `custom` state (each point's Map results, one outcome per step) into a list. */
export function customOutcomes(custom: unknown): CustomStepOutcome[] {
  if (typeof custom !== 'object' || custom === null) return [];
  return Object.values(custom as Record<string, unknown>).flatMap((results) =>
    Array.isArray(results)
      ? results.filter(
          (r: unknown): r is CustomStepOutcome =>
            typeof r === 'object' && r !== null && typeof (r as { step?: unknown }).step === 'string',
        )
      : [],
  );
}

/** The record's `customSteps` (every step's outcome so far), or nothing when no step ran. */
export function customStepsDetail(state: { readonly custom?: unknown }): {
  customSteps?: CustomStepOutcome[];
} {
  const outcomes = customOutcomes(state.custom);
  return outcomes.length === 0 ? {} : { customSteps: outcomes };
}

export type { CustomStepPoint };
