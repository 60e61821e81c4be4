import type { ApplicationConfig, CustomStepConfig } from '../../shared/config/LifeboatConfig.ts';
import type { VirtualClock } from '../clock/VirtualClock.ts';
import type { LatencyModel } from './LatencyModel.ts';
import { SimulatedServiceError, type FaultRegistry } from './faults.ts';

/** What a scenario makes a custom step do: fail, or hang until it is timed out. */
export type CustomStepBehaviour = 'fail' | 'hang';

interface StepFault {
  readonly behaviour: CustomStepBehaviour;
  /** Attempts it still affects; undefined until recovered. */
  remaining: number | undefined;
}

interface JobSim {
  readonly application: string;
  readonly step: string;
  readonly createdAt: number;
  readonly behaviour: CustomStepBehaviour | 'succeed';
  deleted: boolean;
}

type Note = (entry: { kind: 'custom-step'; application: string; region?: string; text: string }) => void;

/**
 * The teams' own custom steps in the simulated world: their Lambda functions and their Kubernetes
 * Jobs. A function answers after `customFunctionSeconds`, a Job completes after `kubernetesJobSeconds`
 * (scenario latencies); a `custom-step` fault makes the named step's next attempts fail (the function
 * throws, the Job's pod fails past its backoff limit) or hang (no answer, a Job that never completes),
 * for `count` attempts or until recovered. Each invocation, Job start and end is in the timeline.
 */
export class CustomStepsSim {
  readonly #clock: VirtualClock;
  readonly #latency: LatencyModel;
  readonly #faults: FaultRegistry;
  readonly #note: Note;
  readonly #applications: readonly ApplicationConfig[];
  readonly #stepFaults = new Map<string, StepFault>();
  readonly #jobs = new Map<string, JobSim>();

  constructor(options: {
    clock: VirtualClock;
    latency: LatencyModel;
    faults: FaultRegistry;
    note: Note;
    applications: readonly ApplicationConfig[];
  }) {
    this.#clock = options.clock;
    this.#latency = options.latency;
    this.#faults = options.faults;
    this.#note = options.note;
    this.#applications = options.applications;
  }

  /** A `custom-step` fault: the step's next `count` attempts (or all, until recovered) fail or hang. */
  setFault(
    application: string | undefined,
    step: string,
    behaviour: CustomStepBehaviour,
    count?: number,
  ): void {
    for (const app of this.#matching(application, step))
      this.#stepFaults.set(`${app}/${step}`, { behaviour, remaining: count });
  }

  clearFault(application: string | undefined, step: string): void {
    for (const app of this.#matching(application, step)) this.#stepFaults.delete(`${app}/${step}`);
  }

  /**
   * Lambda's Invoke of a custom step's function: its answer after the function's time, or (hung) none
   * before `hangSeconds` (the caller's timeout ends the wait first). An unknown function is Lambda's
   * ResourceNotFoundException.
   */
  async invoke(
    functionArn: string,
    payload: Readonly<Record<string, unknown>>,
  ): Promise<{ functionError?: string; payload: string }> {
    const region = functionArn.split(':')[3] ?? '';
    this.#faults.check('lambda', 'Invoke', region);
    const found = this.#byArn(functionArn);
    if (found === undefined) {
      throw new SimulatedServiceError('ResourceNotFoundException', `Function not found: ${functionArn}`, 404);
    }
    const { app, step } = found;
    const behaviour = this.#take(app.name, step.name);
    const attempt = typeof payload.attempt === 'number' ? payload.attempt : 1;
    const name = `${step.name} (lambda, attempt ${attempt})`;
    this.#note({ kind: 'custom-step', application: app.name, region, text: `custom step ${name} invoked` });
    if (behaviour === 'hang') {
      await this.#clock.sleep(HANG_SECONDS);
      return {
        functionError: 'Unhandled',
        payload: JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out' }),
      };
    }
    await this.#clock.sleep(this.#latency.customFunctionSeconds);
    if (behaviour === 'fail') {
      this.#note({ kind: 'custom-step', application: app.name, region, text: `custom step ${name} failed` });
      return {
        functionError: 'Unhandled',
        payload: JSON.stringify({ errorType: 'Error', errorMessage: `${step.name} failed (simulated)` }),
      };
    }
    this.#note({ kind: 'custom-step', application: app.name, region, text: `custom step ${name} succeeded` });
    return { payload: JSON.stringify({ ok: true, step: step.name, idempotencyKey: payload.idempotencyKey }) };
  }

  /** Creates a Job (a step's); one of that name already there is Kubernetes' AlreadyExists. */
  createJob(
    application: string,
    step: string,
    region: string,
    namespace: string,
    name: string,
    checkFaults = true,
  ): void {
    if (checkFaults) this.#faults.check('kubernetes', 'CreateJob', region);
    const key = `${region}/${namespace}/${name}`;
    const existing = this.#jobs.get(key);
    if (existing !== undefined && !existing.deleted) {
      throw new SimulatedServiceError('AlreadyExists', `jobs.batch "${name}" already exists`, 409);
    }
    const behaviour = this.#take(application, step) ?? 'succeed';
    this.#jobs.set(key, { application, step, createdAt: this.#clock.seconds, behaviour, deleted: false });
    this.#note({
      kind: 'custom-step',
      application,
      region,
      text: `custom step ${step}: Job ${namespace}/${name} created`,
    });
    if (behaviour !== 'hang') {
      this.#clock.schedule(this.#clock.seconds + this.#latency.kubernetesJobSeconds, () => {
        const job = this.#jobs.get(key);
        if (job === undefined || job.deleted) return;
        this.#note({
          kind: 'custom-step',
          application,
          region,
          text: `custom step ${step}: Job ${namespace}/${name} ${behaviour === 'fail' ? 'failed (BackoffLimitExceeded)' : 'complete'}`,
        });
      });
    }
  }

  /** A Job's state, as its status conditions say. */
  job(
    region: string,
    namespace: string,
    name: string,
    checkFaults = true,
  ):
    | { state: 'running' | 'succeeded' | 'failed'; active: number; succeeded: number; failed: number }
    | undefined {
    if (checkFaults) this.#faults.check('kubernetes', 'ReadJob', region);
    const job = this.#jobs.get(`${region}/${namespace}/${name}`);
    if (job === undefined || job.deleted) return undefined;
    const done =
      job.behaviour !== 'hang' && this.#clock.seconds - job.createdAt >= this.#latency.kubernetesJobSeconds;
    if (!done) return { state: 'running', active: 1, succeeded: 0, failed: 0 };
    return job.behaviour === 'fail'
      ? { state: 'failed', active: 0, succeeded: 0, failed: 7 }
      : { state: 'succeeded', active: 0, succeeded: 1, failed: 0 };
  }

  /** Deletes a Job; false when there was none. */
  deleteJob(region: string, namespace: string, name: string, checkFaults = true): boolean {
    if (checkFaults) this.#faults.check('kubernetes', 'DeleteJob', region);
    const job = this.#jobs.get(`${region}/${namespace}/${name}`);
    if (job === undefined || job.deleted) return false;
    job.deleted = true;
    this.#note({
      kind: 'custom-step',
      application: job.application,
      region,
      text: `custom step ${job.step}: Job ${namespace}/${name} deleted`,
    });
    return true;
  }

  /** The application whose config names this function ARN for a custom step. */
  #byArn(arn: string): { app: ApplicationConfig; step: CustomStepConfig } | undefined {
    for (const app of this.#applications) {
      for (const step of app.customSteps) {
        if (step.kind !== 'lambda') continue;
        const arns =
          typeof step.functionArn === 'string' ? [step.functionArn] : Object.values(step.functionArn);
        if (arns.includes(arn)) return { app, step };
      }
    }
    return undefined;
  }

  #matching(application: string | undefined, step: string): string[] {
    return this.#applications
      .filter(
        (a) =>
          (application === undefined || a.name === application) && a.customSteps.some((s) => s.name === step),
      )
      .map((a) => a.name);
  }

  /** The behaviour of the step's next attempt under its fault, counting the attempt. */
  #take(application: string, step: string): CustomStepBehaviour | undefined {
    const key = `${application}/${step}`;
    const fault = this.#stepFaults.get(key);
    if (fault === undefined) return undefined;
    if (fault.remaining !== undefined) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.#stepFaults.delete(key);
    }
    return fault.behaviour;
  }
}

/** A hung function: long past any step's timeout (840 s at most) and Lambda's 15 minutes. */
const HANG_SECONDS = 900;
