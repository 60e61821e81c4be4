import type { MiddlewareObj } from '@middy/core';
import { lambdaConfig } from './lambdaEstate.ts';

/**
 * A function's X-Ray tracing.
 *
 * Every function runs with active tracing, so Lambda records each invocation's segment and its
 * Initialization, Invocation and Overhead subsegments with no code in the function: "For each
 * traced invocation, Lambda emits the Lambda service segment and all of its subsegments. These
 * segments are emitted regardless of the runtime and require you to use the X-Ray SDK for AWS API
 * calls" (https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html).
 *
 * A subsegment per AWS call needs the X-Ray SDK (here through Powertools' Tracer). It is costly
 * to load: the SDK and the `cls-hooked` context it keeps add about 100 ms to each cold start
 * (BENCHMARKS.md), and `cls-hooked` puts an async hook on every promise the function makes. So it
 * is loaded only when the config asks for it (`tracing.awsCalls`), and only then: the import is
 * dynamic, so a bundle that does not trace AWS calls carries the SDK's code unevaluated.
 */
export interface FunctionTracing {
  /** Whether each AWS call is recorded as a subsegment. */
  readonly awsCalls: boolean;
  /** The SDK client, instrumented when AWS calls are traced; the client itself otherwise. */
  client<T>(client: T): T;
  /** The Middy middlewares that open the handler's subsegment (none when AWS calls are not traced). */
  readonly middlewares: MiddlewareObj[];
}

const UNTRACED: FunctionTracing = { awsCalls: false, client: (client) => client, middlewares: [] };

/**
 * The tracing of the function the calling module belongs to, read from its bundled config. Awaited
 * at the top of the handler module, which Lambda's Node.js runtime allows for ES modules: the
 * import finishes during the function's initialization, before the first invocation
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html).
 */
export async function functionTracing(): Promise<FunctionTracing> {
  if (!lambdaConfig().tracing.awsCalls) return UNTRACED;
  const [{ Tracer }, { captureLambdaHandler }] = await Promise.all([
    import('@aws-lambda-powertools/tracer'),
    import('@aws-lambda-powertools/tracer/middleware'),
  ]);
  const tracer = new Tracer();
  return {
    awsCalls: true,
    client: (client) => tracer.captureAWSv3Client(client),
    middlewares: [captureLambdaHandler(tracer)],
  };
}
