import { InvalidInputError } from '../errors.ts';

/**
 * Runs the operation a state names (`payload.operation`) on `steps` if `allowed` lists it for the
 * function. Unknown operations are refused: a definition that names the wrong one fails loudly.
 */
export async function runStep(
  functionName: string,
  allowed: readonly string[],
  payload: unknown,
  steps: object,
): Promise<unknown> {
  const operation = (payload as { operation?: unknown } | null)?.operation;
  if (typeof operation !== 'string' || !allowed.includes(operation)) {
    throw new InvalidInputError([
      `operation: ${String(operation)} is not one of ${allowed.join(', ')} (${functionName})`,
    ]);
  }
  const method = (steps as Record<string, unknown>)[operation];
  if (typeof method !== 'function') throw new Error(`${functionName} has no operation ${operation}`);
  return await (Reflect.apply(method, steps, [payload]) as Promise<unknown>);
}
