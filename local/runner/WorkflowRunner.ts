import { ExecutionAbortedError, StateMachine, type RunOptions } from 'aws-local-stepfunctions';
import { JSONPath } from 'jsonpath-plus';
import type { VirtualClock } from '../clock/VirtualClock.ts';
import type { LatencyModel } from '../world/LatencyModel.ts';
import {
  LOCAL_TIMEOUT_KEY,
  LOCAL_WAIT_RESOURCE,
  TASK_TOKEN_PLACEHOLDER,
  type LoadedDefinition,
  type Retrier,
  type StateMeta,
} from './loadDefinition.ts';

/** What a local function gets besides its payload. */
export interface InvocationContext {
  readonly workflow: string;
  readonly executionName: string;
  readonly stateName: string;
  /** The task token, for `.waitForTaskToken` tasks. */
  readonly taskToken: string | undefined;
}

/** The local stand-in for one Lambda function: the same operation the handler calls in AWS. */
export type LocalFunction = (payload: unknown, context: InvocationContext) => Promise<unknown>;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface StateRecord {
  readonly name: string;
  /** The state's type in the definition (a rewritten Wait still reads `Wait`). */
  readonly type: string;
  readonly enteredAt: number;
  exitedAt: number | null;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CAUGHT' | 'RETRIED';
  error?: string;
  /** For states inside a Map iteration. */
  readonly index?: number;
}

export interface ExecutionRecord {
  readonly workflow: string;
  readonly name: string;
  readonly input: unknown;
  readonly startedAt: number;
  stoppedAt: number | null;
  status: ExecutionStatus;
  error: string | null;
  cause: string | null;
  output: unknown;
  readonly states: StateRecord[];
  /** Settles when the execution ends, whatever the outcome. */
  readonly done: Promise<void>;
}

/** An error Step Functions' API would return, with its name. */
export class StepFunctionsApiError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface PendingToken {
  readonly executionName: string;
  readonly stateName: string;
  resolve(output: unknown): void;
  reject(error: Error): void;
  heartbeat(): void;
}

type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

/** The definitions (as JSON text) this process has validated against the ASL schema. */
const VALIDATED = new Set<string>();

const DEFAULT_RETRY = { IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 } as const;

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function replaceDeep(value: unknown, from: string, to: string): unknown {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((v) => replaceDeep(v, from, to));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceDeep(v, from, to)]));
  }
  return value;
}

/** The function name of a Lambda ARN, name, or partial ARN (`…:function:<name>[:qualifier]`). */
export function functionNameOf(reference: string): string {
  const match = /(?:^|:function:)([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/.exec(reference);
  return match?.[1] ?? reference;
}

/**
 * Runs the real `statemachines/*.asl.json` with aws-local-stepfunctions on the virtual clock:
 * every Task calls the local function bound to the Lambda it names, Waits sleep in virtual time,
 * Retry back-off and Task timeouts are kept in virtual time, and `.waitForTaskToken` tasks wait
 * until `sendTaskSuccess` / `sendTaskFailure` is called with their token. Any number of executions
 * share the one clock.
 */
export class WorkflowRunner {
  private readonly endListeners: ((record: ExecutionRecord) => void)[] = [];
  private readonly startListeners: ((record: ExecutionRecord) => void)[] = [];
  readonly executions: ExecutionRecord[] = [];
  private readonly workflows = new Map<string, LoadedDefinition>();
  private readonly machines = new Map<string, StateMachine>();
  private readonly functions: Readonly<Record<string, LocalFunction>>;
  private readonly tokens = new Map<string, PendingToken>();
  private readonly warm = new Set<string>();
  private readonly abortFns = new Map<string, () => void>();
  private readonly stopReasons = new Map<string, { error: string; cause: string }>();
  /** Each exited state's output (what Step Functions' history holds with execution data). */
  private readonly outputs = new WeakMap<StateRecord, unknown>();
  /** Rejects every in-flight task of an execution, so the library's own timers are cleared. */
  private readonly cancels = new Map<
    string,
    { readonly signal: Promise<never>; cancel(reason: string): void }
  >();
  private closing = false;
  private tokenSeq = 0;
  private readonly clock: VirtualClock;
  private readonly latency: LatencyModel;

  constructor(
    clock: VirtualClock,
    latency: LatencyModel,
    functions: Readonly<Record<string, LocalFunction>>,
  ) {
    this.clock = clock;
    this.latency = latency;
    this.functions = functions;
  }

  register(workflow: LoadedDefinition): void {
    this.workflows.set(workflow.name, workflow);
    this.machines.delete(workflow.name);
  }

  /**
   * The library's state machine for a workflow, validated against the ASL schema once per
   * definition in the process (the validator compiles its schema each time: a second or more per
   * rehearsal otherwise). A StateMachine holds no execution state; each `run` is independent.
   */
  private machineOf(workflow: LoadedDefinition): StateMachine {
    const cached = this.machines.get(workflow.name);
    if (cached !== undefined) return cached;
    const text = JSON.stringify(workflow.definition);
    const machine = new StateMachine(workflow.definition, {
      validationOptions: VALIDATED.has(text) ? { noValidate: true } : { checkPaths: true, checkArn: true },
    });
    VALIDATED.add(text);
    this.machines.set(workflow.name, machine);
    return machine;
  }

  /** Whether a workflow of that name is registered. */
  has(workflowName: string): boolean {
    return this.workflows.has(workflowName);
  }

  /**
   * StartExecution. A name already used with the same input returns the existing execution (as Step
   * Functions does for a running one); with another input it fails with ExecutionAlreadyExists.
   */
  start(workflowName: string, input: unknown, name?: string): ExecutionRecord {
    const workflow = this.workflows.get(workflowName);
    if (workflow === undefined) {
      throw new StepFunctionsApiError('StateMachineDoesNotExist', `no workflow named ${workflowName}`);
    }
    const executionName = name ?? `${workflowName}-${String(this.executions.length + 1).padStart(4, '0')}`;
    const existing = this.executions.find((e) => e.name === executionName && e.workflow === workflowName);
    if (existing !== undefined) {
      if (JSON.stringify(existing.input) === JSON.stringify(input)) return existing;
      throw new StepFunctionsApiError(
        'ExecutionAlreadyExists',
        `execution ${executionName} already exists with another input`,
      );
    }

    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const record: ExecutionRecord = {
      workflow: workflowName,
      name: executionName,
      input,
      startedAt: this.clock.seconds,
      stoppedAt: null,
      status: 'RUNNING',
      error: null,
      cause: null,
      output: null,
      states: [],
      done,
    };
    this.executions.push(record);
    this.clock.touch();
    for (const listener of this.startListeners) listener(record);

    const machine = this.machineOf(workflow);
    const arn = `arn:aws:states:us-east-1:000000000000:execution:lifeboat-${workflowName}:${executionName}`;
    const options: RunOptions = {
      overrides: {
        taskResourceLocalHandlers: this.handlersFor(workflow, record),
        retryIntervalOverrides: Object.fromEntries(workflow.retryable.map((s) => [s, 0])),
      },
      noThrowOnAbort: false,
      context: {
        Execution: {
          Id: arn,
          Name: executionName,
          StartTime: this.clock.now().toISOString(),
          Input: input as never,
        },
        StateMachine: {
          Id: `arn:aws:states:us-east-1:000000000000:stateMachine:lifeboat-${workflowName}`,
          Name: `lifeboat-${workflowName}`,
        },
        Task: { Token: TASK_TOKEN_PLACEHOLDER },
      },
    };
    let cancel: (reason: string) => void = () => undefined;
    const signal = new Promise<never>((_resolve, reject) => {
      cancel = (reason) => {
        reject(namedError('States.Runtime', reason));
      };
    });
    signal.catch(() => undefined);
    this.cancels.set(executionName, { signal, cancel });
    const execution = machine.run(input as never, options);
    this.abortFns.set(executionName, execution.abort);
    // The event log ends with the execution; the record is closed only once every event is in it.
    const following = this.follow(record, workflow, execution.eventLogs);
    const settled = execution.result.then(
      (output) => ({ ok: true as const, output }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    void Promise.all([settled, following]).then(([outcome]) => {
      if (outcome.ok) {
        this.end(record, 'SUCCEEDED', { output: outcome.output }, finish);
        return;
      }
      const error = outcome.error;
      if (error instanceof ExecutionAbortedError) {
        const reason = this.stopReasons.get(record.name);
        this.stopReasons.delete(record.name);
        this.end(
          record,
          'ABORTED',
          reason ?? { error: 'ExecutionAborted', cause: 'the execution was stopped' },
          finish,
        );
        return;
      }
      const inner = (error as { cause?: unknown }).cause;
      const failure = (inner instanceof Error ? inner : error) as Error;
      this.end(record, 'FAILED', { error: failure.name, cause: failure.message }, finish);
    });
    return record;
  }

  /** Calls `listener` with each execution as it starts, before its first state runs. */
  onStart(listener: (record: ExecutionRecord) => void): void {
    this.startListeners.push(listener);
  }

  /**
   * Calls `listener` with each execution as it ends (not those still running when the rehearsal
   * ends): Step Functions' "Execution Status Change" event.
   */
  onEnd(listener: (record: ExecutionRecord) => void): void {
    this.endListeners.push(listener);
  }

  /**
   * StopExecution: the execution ends ABORTED with `error` and `cause` (Step Functions' defaults,
   * when not given, are empty; the rehearsal's say that it was stopped).
   */
  stop(executionName: string, error?: string, cause?: string): void {
    if (error !== undefined || cause !== undefined) {
      this.stopReasons.set(executionName, {
        error: error ?? 'ExecutionAborted',
        cause: cause ?? 'the execution was stopped',
      });
    }
    this.abortFns.get(executionName)?.();
    this.cancels.get(executionName)?.cancel('the execution was stopped');
  }

  /**
   * Ends the rehearsal: executions still running stay RUNNING in the record (they had not finished
   * when the scenario did), and their pending tasks are released so that nothing is left waiting.
   */
  async shutdown(): Promise<void> {
    this.closing = true;
    const running = this.running();
    for (const record of running) {
      this.abortFns.get(record.name)?.();
      this.cancels.get(record.name)?.cancel('the rehearsal ended');
    }
    await Promise.all(running.map((r) => r.done));
  }

  /** SendTaskSuccess: completes the waiting task with `output`. */
  sendTaskSuccess(taskToken: string, output: unknown): void {
    this.takeToken(taskToken).resolve(output);
  }

  /** SendTaskFailure: fails the waiting task with `error` (the name its Catch matches) and `cause`. */
  sendTaskFailure(taskToken: string, error: string, cause: string): void {
    this.takeToken(taskToken).reject(namedError(error, cause));
  }

  /** SendTaskHeartbeat. */
  sendTaskHeartbeat(taskToken: string): void {
    const pending = this.tokens.get(taskToken);
    if (pending === undefined)
      throw new StepFunctionsApiError('TaskTimedOut', `task token ${taskToken} is not waiting`);
    pending.heartbeat();
  }

  /** Tokens of tasks that wait now, with their execution and state. */
  waitingTasks(): { token: string; executionName: string; stateName: string }[] {
    return [...this.tokens].map(([token, p]) => ({
      token,
      executionName: p.executionName,
      stateName: p.stateName,
    }));
  }

  /** A state's output, once it exited (undefined before, or for a state that failed). */
  stateOutput(state: StateRecord): unknown {
    return this.outputs.get(state);
  }

  running(): ExecutionRecord[] {
    return this.executions.filter((e) => e.status === 'RUNNING');
  }

  private takeToken(taskToken: string): PendingToken {
    const pending = this.tokens.get(taskToken);
    if (pending === undefined) {
      // Step Functions answers a token whose task already ended (or never existed) with TaskTimedOut
      // or InvalidToken; either way the caller's decision changes nothing.
      throw new StepFunctionsApiError('TaskTimedOut', `task token ${taskToken} is not waiting`);
    }
    this.tokens.delete(taskToken);
    this.clock.touch();
    return pending;
  }

  private end(
    record: ExecutionRecord,
    status: ExecutionStatus,
    outcome: { output?: unknown; error?: string; cause?: string },
    finish: () => void,
  ): void {
    this.abortFns.delete(record.name);
    this.cancels.delete(record.name);
    if (this.closing) {
      // The scenario ended first: the record keeps saying RUNNING, with no stop time.
      finish();
      return;
    }
    record.status = status;
    record.stoppedAt = this.clock.seconds;
    record.output = outcome.output ?? null;
    record.error = outcome.error ?? null;
    record.cause = outcome.cause ?? null;
    for (const state of record.states) {
      if (state.exitedAt === null) {
        state.exitedAt = this.clock.seconds;
        if (state.status === 'RUNNING') state.status = status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED';
      }
    }
    this.clock.touch();
    finish();
    for (const listener of this.endListeners) listener(record);
  }

  private async follow(
    record: ExecutionRecord,
    workflow: LoadedDefinition,
    events: AsyncGenerator<{
      type: string;
      state?: { name: string; output?: unknown };
      index?: number;
      Error?: string;
    }>,
  ): Promise<void> {
    const open = (name: string, index?: number) =>
      [...record.states].reverse().find((s) => s.name === name && s.exitedAt === null && s.index === index);
    for await (const event of events) {
      const name = event.state?.name;
      if (name === undefined) continue;
      const meta = workflow.states.get(name);
      const type =
        meta === undefined
          ? 'Unknown'
          : meta.kind === 'task'
            ? 'Task'
            : meta.kind === 'wait'
              ? 'Wait'
              : meta.type;
      const at = this.clock.seconds;
      const enter = (): void => {
        record.states.push({
          name,
          type,
          enteredAt: at,
          exitedAt: null,
          status: 'RUNNING',
          ...(event.index === undefined ? {} : { index: event.index }),
        });
      };
      if (event.type === 'StateEntered') {
        enter();
      } else if (event.type === 'StateExited' || event.type === 'StateFailed') {
        const state = open(name, event.index);
        if (state === undefined) continue;
        state.exitedAt = at;
        state.status = event.type === 'StateExited' ? 'SUCCEEDED' : 'FAILED';
        if (event.type === 'StateExited' && event.state?.output !== undefined)
          this.outputs.set(state, event.state.output);
        if (event.Error !== undefined) state.error = event.Error;
      } else if (event.type === 'StateRetried' || event.type === 'StateCaught') {
        // Both follow the attempt's StateFailed; a retry is a new attempt with no StateEntered of its own.
        const last = [...record.states].reverse().find((s) => s.name === name && s.index === event.index);
        if (last === undefined) continue;
        last.status = event.type === 'StateRetried' ? 'RETRIED' : 'CAUGHT';
        if (event.type === 'StateRetried') enter();
      }
      this.clock.touch();
    }
  }

  private handlersFor(workflow: LoadedDefinition, record: ExecutionRecord): LocalHandlers {
    const handlers: LocalHandlers = {};
    // Retry counters per state and input (Map iterations run one state with different inputs).
    const attempts = new Map<string, number[]>();
    const pendingDelay = new Map<string, number>();
    for (const [stateName, meta] of workflow.states) {
      if (meta.kind === 'wait') {
        handlers[stateName] = (async (input: unknown) => {
          const cancelled = this.cancels.get(record.name)?.signal;
          const sleep = this.clock.sleep(this.waitSeconds(meta, input, stateName));
          await (cancelled === undefined ? sleep : Promise.race([sleep, cancelled]));
          return input;
        }) as LocalHandlers[string];
      } else if (meta.kind === 'task') {
        handlers[stateName] = (async (input: unknown) => {
          const key = `${stateName}\u0000${JSON.stringify(input)}`;
          const delay = pendingDelay.get(key);
          if (delay !== undefined) {
            pendingDelay.delete(key);
            const cancelled = this.cancels.get(record.name)?.signal;
            const sleep = this.clock.sleep(delay);
            await (cancelled === undefined ? sleep : Promise.race([sleep, cancelled]));
          }
          try {
            const output = await this.invokeTask(workflow.name, record.name, stateName, meta, input);
            attempts.delete(key);
            return output;
          } catch (error) {
            const wait = this.retryDelay(meta.retry, error as Error, attempts, key);
            if (wait === undefined) attempts.delete(key);
            else pendingDelay.set(key, wait);
            throw error;
          }
        }) as LocalHandlers[string];
      }
    }
    return handlers;
  }

  /** The virtual back-off before the next attempt, replaying the library's choice of retrier. */
  private retryDelay(
    retriers: readonly Retrier[],
    error: Error,
    attempts: Map<string, number[]>,
    key: string,
  ): number | undefined {
    const counts = attempts.get(key) ?? retriers.map(() => 0);
    attempts.set(key, counts);
    for (const [i, retrier] of retriers.entries()) {
      const matches = retrier.ErrorEquals.some(
        (name) =>
          name === error.name ||
          name === 'States.ALL' ||
          (name === 'States.TaskFailed' && error.name !== 'States.Timeout'),
      );
      if (!matches) continue;
      const done = counts[i] ?? 0;
      if (done >= (retrier.MaxAttempts ?? DEFAULT_RETRY.MaxAttempts)) return undefined;
      counts[i] = done + 1;
      const interval =
        (retrier.IntervalSeconds ?? DEFAULT_RETRY.IntervalSeconds) *
        (retrier.BackoffRate ?? DEFAULT_RETRY.BackoffRate) ** done;
      // Full jitter is replaced by its mean, so rehearsals are repeatable.
      const capped = Math.min(interval, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
      return retrier.JitterStrategy === 'FULL' ? capped / 2 : capped;
    }
    return undefined;
  }

  private waitSeconds(meta: Extract<StateMeta, { kind: 'wait' }>, input: unknown, stateName: string): number {
    const query = (path: string): unknown => JSONPath({ path, json: input as object, wrap: false });
    let seconds: number;
    if (meta.seconds !== undefined) seconds = meta.seconds;
    else if (meta.secondsPath !== undefined) seconds = Number(query(meta.secondsPath));
    else {
      const stamp = meta.timestamp ?? String(query(meta.timestampPath ?? '$'));
      seconds = this.clock.secondsAt(stamp) - this.clock.seconds;
    }
    if (!Number.isFinite(seconds))
      throw namedError(
        'States.Runtime',
        `Wait state ${stateName}: no number of seconds or timestamp in its input`,
      );
    return Math.max(0, seconds);
  }

  private async invokeTask(
    workflow: string,
    executionName: string,
    stateName: string,
    meta: Extract<StateMeta, { kind: 'task' }>,
    input: unknown,
  ): Promise<unknown> {
    if (meta.resource === LOCAL_WAIT_RESOURCE) return input;
    let timeoutSeconds = meta.timeoutSeconds;
    if (meta.timeoutSecondsPath !== undefined) {
      const { [LOCAL_TIMEOUT_KEY]: fromPath, ...rest } = (input ?? {}) as Record<string, unknown>;
      if (typeof fromPath !== 'number' || !Number.isInteger(fromPath) || fromPath < 1) {
        throw namedError(
          'States.Runtime',
          `Task ${stateName}: TimeoutSecondsPath ${meta.timeoutSecondsPath} did not select a positive integer (got ${JSON.stringify(fromPath)})`,
        );
      }
      timeoutSeconds = fromPath;
      input = rest;
    }
    const integration = meta.resource.startsWith('arn:aws:states:::lambda:invoke');
    const params = (integration ? input : { FunctionName: meta.resource, Payload: input }) as {
      FunctionName?: unknown;
      Payload?: unknown;
    };
    if (typeof params.FunctionName !== 'string') {
      throw namedError('States.Runtime', `Task ${stateName}: no FunctionName in its Parameters`);
    }
    const functionName = functionNameOf(params.FunctionName);
    const fn = this.functions[functionName];
    if (fn === undefined) {
      throw namedError(
        'Lambda.ResourceNotFoundException',
        `Function not found: ${params.FunctionName} (no local binding for ${functionName})`,
      );
    }
    const taskToken = meta.waitForTaskToken ? `${executionName}.${stateName}.${++this.tokenSeq}` : undefined;
    const payload =
      taskToken === undefined
        ? params.Payload
        : replaceDeep(params.Payload, TASK_TOKEN_PLACEHOLDER, taskToken);

    const work = (async () => {
      const start = this.warm.has(functionName)
        ? this.latency.lambdaWarmStartSeconds
        : this.latency.lambdaColdStartSeconds;
      this.warm.add(functionName);
      await this.clock.sleep(this.latency.stepFunctionsTransitionSeconds + start);
      let result: unknown;
      try {
        result = await fn(payload, { workflow, executionName, stateName, taskToken });
      } catch (error) {
        const e = error as Error;
        // Step Functions names a function error by its errorType and gives the payload as Cause.
        throw namedError(e.name, JSON.stringify({ errorType: e.name, errorMessage: e.message }));
      }
      if (taskToken === undefined) {
        return integration ? { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 } : result;
      }
      return new Promise<unknown>((resolve, reject) => {
        let heartbeatTimer: { cancel(): void } | undefined;
        const armHeartbeat = (): void => {
          heartbeatTimer?.cancel();
          if (meta.heartbeatSeconds === undefined) return;
          heartbeatTimer = this.clock.schedule(this.clock.seconds + meta.heartbeatSeconds, () => {
            if (this.tokens.delete(taskToken))
              reject(namedError('States.HeartbeatTimeout', `no heartbeat for ${meta.heartbeatSeconds} s`));
          });
        };
        this.tokens.set(taskToken, {
          executionName,
          stateName,
          resolve: (output) => {
            heartbeatTimer?.cancel();
            resolve(output);
          },
          reject: (error) => {
            heartbeatTimer?.cancel();
            reject(error);
          },
          heartbeat: armHeartbeat,
        });
        armHeartbeat();
      });
    })();

    const cancelled = this.cancels.get(executionName)?.signal;
    const racers: Promise<unknown>[] = [work, ...(cancelled === undefined ? [] : [cancelled])];
    let timer: { cancel(): void } | undefined;
    if (timeoutSeconds !== undefined) {
      const timeout = timeoutSeconds;
      racers.push(
        new Promise<never>((_resolve, reject) => {
          timer = this.clock.schedule(this.clock.seconds + timeout, () => {
            if (taskToken !== undefined) this.tokens.delete(taskToken);
            reject(namedError('States.Timeout', `${stateName} did not finish within ${timeout} s`));
          });
        }),
      );
    }
    try {
      return await Promise.race(racers);
    } finally {
      timer?.cancel();
      if (taskToken !== undefined) this.tokens.delete(taskToken);
    }
  }
}
