import type { ApprovalSteps } from '../approval/ApprovalSteps.ts';
import { APPROVAL_OPERATIONS } from '../approval/ApprovalSteps.ts';
import { classifyError, InvalidInputError } from '../errors.ts';
import { FAILBACK_OPERATIONS, type FailbackSteps } from '../failback/FailbackSteps.ts';
import { FAILOVER_FUNCTIONS, type FailoverSteps } from '../failover/FailoverSteps.ts';
import { DRAIN_OPERATIONS, type DrainSteps } from '../drain/DrainSteps.ts';

type StepFunctionName_ = keyof typeof FAILOVER_FUNCTIONS | 'lifeboat-approval';

interface Operations {
  readonly failover?: readonly string[];
  readonly failback?: readonly string[];
  readonly drain?: readonly string[];
  readonly approval?: readonly string[];
}

function stepFunctions(): Readonly<Record<StepFunctionName_, Operations>> {
  const out: Partial<Record<StepFunctionName_, Operations>> = {};
  const failback: Readonly<Record<string, readonly string[] | undefined>> = FAILBACK_OPERATIONS;
  const drain: Readonly<Record<string, readonly string[] | undefined>> = DRAIN_OPERATIONS;
  for (const [name, failover] of Object.entries(FAILOVER_FUNCTIONS) as [
    keyof typeof FAILOVER_FUNCTIONS,
    readonly string[],
  ][]) {
    out[name] = { failover, failback: failback[name] ?? [], drain: drain[name] ?? [] };
  }
  out['lifeboat-approval'] = { approval: APPROVAL_OPERATIONS };
  return out as Record<StepFunctionName_, Operations>;
}

/** Every step function and, per workflow, the operations it runs. */
export const STEP_FUNCTIONS = stepFunctions();

export type StepFunctionName = keyof typeof STEP_FUNCTIONS;

export const STEP_FUNCTION_NAMES = Object.keys(STEP_FUNCTIONS) as StepFunctionName[];

export interface StepTargets {
  readonly failover?: FailoverSteps;
  readonly failback?: FailbackSteps;
  readonly drain?: DrainSteps;
  readonly approval?: ApprovalSteps;
}

/**
 * The step's error, classified, its message starting with the step that failed: the run's ledger
 * record keeps Step Functions' cause, which then names the step and the error.
 */
function inStep(operation: string, error: unknown): Error {
  const classified = classifyError(error);
  if (!classified.message.startsWith(`${operation}: `))
    classified.message = `${operation}: ${classified.message}`;
  return classified;
}

/**
 * Runs the operation a state names (`payload.operation`) if the function may run it, on the steps
 * of the workflow that defines it. Unknown operations are refused: a definition naming the wrong
 * one fails loudly.
 */
export async function runWorkflowStep(
  functionName: StepFunctionName,
  payload: unknown,
  targets: StepTargets,
): Promise<unknown> {
  const operation = (payload as { operation?: unknown } | null)?.operation;
  const allowed = STEP_FUNCTIONS[functionName];
  for (const kind of ['failover', 'failback', 'drain', 'approval'] as const) {
    const target = targets[kind];
    if (
      typeof operation === 'string' &&
      allowed[kind]?.includes(operation) === true &&
      target !== undefined
    ) {
      const method = (target as unknown as Record<string, unknown>)[operation] as (p: unknown) => unknown;
      try {
        return await Reflect.apply(method, target, [payload]);
      } catch (error) {
        throw inStep(operation, error);
      }
    }
  }
  const all = [
    ...(allowed.failover ?? []),
    ...(allowed.failback ?? []),
    ...(allowed.drain ?? []),
    ...(allowed.approval ?? []),
  ];
  throw new InvalidInputError([
    `operation: ${String(operation)} is not one of ${all.join(', ')} (${functionName})`,
  ]);
}
