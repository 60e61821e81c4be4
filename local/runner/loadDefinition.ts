import { readFileSync } from 'node:fs';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { substitute, substitutionProblems } from '../../shared/statemachines/placeholders.ts';

/** The ARN the rewritten Wait states call: a virtual-time sleep inside the runner. */
export const LOCAL_WAIT_RESOURCE = 'arn:aws:lambda:us-east-1:000000000000:function:lifeboat-local-wait';
/** What `$$.Task.Token` evaluates to; the runner swaps in a fresh token for each task that waits for one. */
export const TASK_TOKEN_PLACEHOLDER = 'lifeboat-local-task-token';
/**
 * The Task timeout the runner gives the library, in seconds: the library enforces TimeoutSeconds with
 * a real timer (and 60 s when unset), so the runner enforces the definition's timeout on the virtual
 * clock and keeps the real one out of reach (below setTimeout's 2^31 ms limit).
 */
export const UNREACHABLE_TIMEOUT_SECONDS = 2_000_000;

/** Where a Task's TimeoutSecondsPath value travels to the runner, in the Task's effective input. */
export const LOCAL_TIMEOUT_KEY = 'LocalRunnerTimeoutSeconds';

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'NONE' | 'FULL';
}

export type StateMeta =
  | {
      readonly kind: 'task';
      readonly resource: string;
      readonly waitForTaskToken: boolean;
      readonly timeoutSeconds: number | undefined;
      /** TimeoutSecondsPath: the runner reads the value the path selects from the state's input. */
      readonly timeoutSecondsPath: string | undefined;
      readonly heartbeatSeconds: number | undefined;
      readonly retry: readonly Retrier[];
    }
  | {
      readonly kind: 'wait';
      readonly seconds?: number;
      readonly secondsPath?: string;
      readonly timestamp?: string;
      readonly timestampPath?: string;
    }
  | { readonly kind: 'other'; readonly type: string };

export interface LoadedDefinition {
  readonly name: string;
  readonly file: string;
  /** The definition the library runs: Waits rewritten, Task timeouts moved to the virtual clock. */
  readonly definition: StateMachineDefinition;
  /** Every state by name (names are unique across a state machine, branches included). */
  readonly states: ReadonlyMap<string, StateMeta>;
  /** States with a Retry, whose real-time retry delay the runner zeroes and replays in virtual time. */
  readonly retryable: readonly string[];
}

type Json = Record<string, unknown>;

function asStates(value: unknown, where: string): Record<string, Json> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: "States" must be an object of states`);
  }
  return value as Record<string, Json>;
}

/**
 * Loads `statemachines/<name>.asl.json` for the local runner: substitutes the placeholders with
 * local bindings, then rewrites what the library would otherwise do in real time.
 */
export function loadDefinition(
  name: string,
  file: string,
  substitutions: Readonly<Record<string, string>>,
): LoadedDefinition {
  const text = readFileSync(file, 'utf8');
  const problems = substitutionProblems(text, substitutions);
  if (problems.length > 0) throw new Error(`workflow ${name}: ${file} ${problems.join('; ')}`);
  const definition = JSON.parse(substitute(text, substitutions)) as Json;
  const states = new Map<string, StateMeta>();
  const retryable: string[] = [];

  const walk = (machine: Json, where: string): void => {
    for (const [stateName, state] of Object.entries(asStates(machine.States, where))) {
      if (states.has(stateName)) throw new Error(`${where}: state name "${stateName}" is used twice`);
      const type = String(state.Type);
      if (Array.isArray(state.Retry) && state.Retry.length > 0) retryable.push(stateName);
      if (type === 'Task') {
        const resource = String(state.Resource);
        states.set(stateName, {
          kind: 'task',
          resource,
          waitForTaskToken: resource.endsWith('.waitForTaskToken'),
          timeoutSeconds: typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined,
          timeoutSecondsPath:
            typeof state.TimeoutSecondsPath === 'string' ? state.TimeoutSecondsPath : undefined,
          heartbeatSeconds: typeof state.HeartbeatSeconds === 'number' ? state.HeartbeatSeconds : undefined,
          retry: Array.isArray(state.Retry) ? (state.Retry as Retrier[]) : [],
        });
        if ('HeartbeatSecondsPath' in state) {
          throw new Error(
            `${where}: state "${stateName}": HeartbeatSecondsPath is not supported locally; use HeartbeatSeconds`,
          );
        }
        if (typeof state.TimeoutSecondsPath === 'string') {
          // The path is read from the state's input, which the runner's Task handler does not see; the
          // Parameters carry its value to the runner under a key it removes before the call.
          if (typeof state.Parameters !== 'object' || state.Parameters === null) {
            throw new Error(
              `${where}: state "${stateName}": TimeoutSecondsPath needs Parameters when run locally`,
            );
          }
          state.Parameters = {
            ...(state.Parameters as Json),
            [`${LOCAL_TIMEOUT_KEY}.$`]: state.TimeoutSecondsPath,
          };
          delete state.TimeoutSecondsPath;
        }
        state.TimeoutSeconds = UNREACHABLE_TIMEOUT_SECONDS;
        delete state.HeartbeatSeconds;
      } else if (type === 'Wait') {
        states.set(stateName, {
          kind: 'wait',
          ...(typeof state.Seconds === 'number' ? { seconds: state.Seconds } : {}),
          ...(typeof state.SecondsPath === 'string' ? { secondsPath: state.SecondsPath } : {}),
          ...(typeof state.Timestamp === 'string' ? { timestamp: state.Timestamp } : {}),
          ...(typeof state.TimestampPath === 'string' ? { timestampPath: state.TimestampPath } : {}),
        });
        // A Task with no Parameters or ResultPath passes its (InputPath-filtered) input through,
        // which is what a Wait does; the runner's handler sleeps on the virtual clock.
        const task: Json = {
          Type: 'Task',
          Resource: LOCAL_WAIT_RESOURCE,
          TimeoutSeconds: UNREACHABLE_TIMEOUT_SECONDS,
        };
        for (const key of ['Comment', 'InputPath', 'OutputPath', 'Next', 'End']) {
          if (key in state) task[key] = state[key];
        }
        asStates(machine.States, where)[stateName] = task;
      } else {
        states.set(stateName, { kind: 'other', type });
      }
      if (type === 'Parallel' && Array.isArray(state.Branches)) {
        (state.Branches as Json[]).forEach((branch, i) => {
          walk(branch, `${where} > ${stateName}.Branches[${i}]`);
        });
      }
      if (type === 'Map') {
        const processor = (state.ItemProcessor ?? state.Iterator) as Json | undefined;
        if (processor !== undefined) walk(processor, `${where} > ${stateName}`);
      }
    }
  };
  walk(definition, `workflow ${name}`);
  delete definition.TimeoutSeconds;
  return { name, file, definition: definition as unknown as StateMachineDefinition, states, retryable };
}
