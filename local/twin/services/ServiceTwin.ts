import type { World } from '../../world/World.ts';

/** What an operation of a service twin is given besides its input. */
export interface TwinCallContext {
  readonly world: World;
  /** The region the call was sent to. */
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  /** The calling Lambda function's name (`lifeboat-database`). */
  readonly functionName: string;
  /** The event of the invocation that made the call (what names the run behind it). */
  readonly event: unknown;
}

/** The input of a command, as the SDK was given it. */
export type TwinInput = Readonly<Record<string, unknown>>;

/**
 * One operation of a service twin: the command's output as the SDK returns it (without
 * `$metadata`, which the twin adds), or a thrown `SimulatedServiceError` with AWS's error name.
 * `NOT_MINE` hands the call to the next twin of the same service (the RDS database twin and the
 * RDS snapshot twin share `DescribeDBInstances`, for example).
 */
export type OperationHandler = (input: TwinInput, context: TwinCallContext) => unknown;

export const NOT_MINE = Symbol('not handled by this twin');

export type ServiceOperations = Readonly<Record<string, OperationHandler>>;

/** A request member as text: a string as it is, anything else as JSON (a number, say). */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}
