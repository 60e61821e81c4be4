import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A read-only view of an Amazon States Language file, for the tools that describe a workflow
 * without running it (the plan preview, the runbook, the input documentation). Only the fields
 * those tools read are typed; the runner keeps its own, fuller reading.
 */

export interface AslRetrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

export interface AslCatcher {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
  readonly ResultPath?: string | null;
}

export interface AslChoiceRule {
  readonly Variable?: string;
  readonly BooleanEquals?: boolean;
  readonly StringEquals?: string;
  readonly NumericEquals?: number;
  readonly Next?: string;
}

export interface AslState {
  readonly Type: 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Parallel' | 'Map' | 'Succeed' | 'Fail';
  readonly Comment?: string;
  readonly Resource?: string;
  readonly Parameters?: Readonly<Record<string, unknown>>;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Seconds?: number;
  readonly SecondsPath?: string;
  readonly Retry?: readonly AslRetrier[];
  readonly Catch?: readonly AslCatcher[];
  readonly Choices?: readonly AslChoiceRule[];
  readonly Default?: string;
  readonly Branches?: readonly AslMachine[];
  readonly Error?: string;
  readonly ErrorPath?: string;
  readonly Cause?: string;
  readonly CausePath?: string;
  /** A Map's items and what each iteration is given. */
  readonly ItemsPath?: string;
  readonly ItemSelector?: Readonly<Record<string, unknown>>;
}

export interface AslMachine {
  readonly Comment?: string;
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

/** The project's statemachines folder. */
export const STATEMACHINES_DIR = fileURLToPath(new URL('../../statemachines/', import.meta.url));

/** Reads `statemachines/<workflow>.asl.json`. */
export function loadAsl(workflow: string, dir = STATEMACHINES_DIR): AslMachine {
  return JSON.parse(readFileSync(`${dir}${workflow}.asl.json`, 'utf8')) as AslMachine;
}

/** One state with where it sits: the Parallel state and branch that hold it, if any. */
export interface LocatedState {
  readonly name: string;
  readonly state: AslState;
  /** The enclosing Parallel states' names, outermost first. */
  readonly within: readonly string[];
}

/** Every state of a machine, branches included, in document order. */
export function allStates(machine: AslMachine, within: readonly string[] = []): LocatedState[] {
  const out: LocatedState[] = [];
  for (const [name, state] of Object.entries(machine.States)) {
    out.push({ name, state, within });
    for (const branch of state.Branches ?? []) out.push(...allStates(branch, [...within, name]));
  }
  return out;
}

/**
 * The step operation a Task state asks its Lambda for: `Parameters.operation`, or
 * `Parameters.Payload.operation` for a `lambda:invoke.waitForTaskToken` task.
 */
export function operationOf(state: AslState): string | undefined {
  const payload = state.Parameters?.Payload;
  const operation =
    state.Parameters?.operation ??
    (payload !== null && typeof payload === 'object'
      ? (payload as { operation?: unknown }).operation
      : undefined);
  return typeof operation === 'string' ? operation : undefined;
}

/**
 * The Lambda a Task state calls, by its `${XxxFunctionArn}` placeholder (`Xxx`): its Resource, or
 * `Parameters.FunctionName` for a `lambda:invoke` integration.
 */
export function functionOf(state: AslState): string | undefined {
  const named = state.Parameters?.FunctionName;
  const reference = typeof named === 'string' ? named : (state.Resource ?? '');
  return /^\$\{([A-Za-z0-9]+)FunctionArn\}$/.exec(reference)?.[1];
}

/** Every Fail state: its fixed `Error`, or the path it reads the error from. */
export function failStates(machine: AslMachine): { name: string; error?: string; errorPath?: string }[] {
  return allStates(machine)
    .filter((s) => s.state.Type === 'Fail')
    .map((s) => ({
      name: s.name,
      ...(s.state.Error === undefined ? {} : { error: s.state.Error }),
      ...(s.state.ErrorPath === undefined ? {} : { errorPath: s.state.ErrorPath }),
    }));
}

/** Every Catch of a machine: which state catches what, and where it goes. */
export function catchPaths(
  machine: AslMachine,
): { state: string; within: readonly string[]; errors: readonly string[]; next: string }[] {
  return allStates(machine).flatMap((s) =>
    (s.state.Catch ?? []).map((c) => ({
      state: s.name,
      within: s.within,
      errors: c.ErrorEquals,
      next: c.Next,
    })),
  );
}

/** Every error name a Retry or Catch of the machine matches, in first-seen order. */
export function matchedErrorNames(machine: AslMachine): string[] {
  const names = new Set<string>();
  for (const { state } of allStates(machine)) {
    for (const r of [...(state.Retry ?? []), ...(state.Catch ?? [])])
      for (const e of r.ErrorEquals) names.add(e);
  }
  return [...names];
}
