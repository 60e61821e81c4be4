import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { FunctionInvocation } from '../ports/Estate.ts';

/** How much of a function's answer the ledger keeps. */
const OUTPUT_LIMIT = 500;

/**
 * Invokes a team's Lambda function for a custom step and waits for its answer
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html): `RequestResponse`, the payload as
 * JSON, in the function's own region (from its ARN). A function that threw, or that Lambda stopped
 * (its timeout, its memory), answers with `FunctionError` and a payload naming `errorType` and
 * `errorMessage`: a failed invocation, not an exception. SDK errors (throttling, the function not
 * found, access denied) propagate unchanged for the step layer to classify.
 */
export class LambdaFunctions {
  readonly #clientFor: (region: string) => LambdaClient;

  constructor(options: { clientFor: (region: string) => LambdaClient }) {
    this.#clientFor = options.clientFor;
  }

  /**
   * Waits at most `timeoutSeconds` for the answer, then gives up with a failed invocation (the
   * function may still run to its own end; its next attempt carries the same idempotency key).
   */
  async invoke(
    functionArn: string,
    payload: Readonly<Record<string, unknown>>,
    timeoutSeconds?: number,
  ): Promise<FunctionInvocation> {
    const region = functionArn.split(':')[3];
    if (region === undefined || region === '') throw new Error(`Not a Lambda function ARN: ${functionArn}`);
    const abortSignal = timeoutSeconds === undefined ? undefined : AbortSignal.timeout(timeoutSeconds * 1000);
    let answer;
    try {
      answer = await this.#clientFor(region).send(
        new InvokeCommand({
          FunctionName: functionArn,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
        abortSignal === undefined ? {} : { abortSignal },
      );
    } catch (error) {
      if (abortSignal?.aborted === true) {
        return { ok: false, output: '', error: `did not answer within ${timeoutSeconds} s` };
      }
      throw error;
    }
    const text = answer.Payload === undefined ? '' : new TextDecoder().decode(answer.Payload);
    const output = text.length > OUTPUT_LIMIT ? `${text.slice(0, OUTPUT_LIMIT - 1)}…` : text;
    if (answer.FunctionError === undefined || answer.FunctionError === '') return { ok: true, output };
    let error = `${answer.FunctionError} function error`;
    try {
      const parsed = JSON.parse(text) as { errorType?: unknown; errorMessage?: unknown };
      if (typeof parsed.errorMessage === 'string')
        error = `${typeof parsed.errorType === 'string' ? parsed.errorType : answer.FunctionError}: ${parsed.errorMessage}`;
    } catch {
      // Not JSON: the raw answer says what there is.
    }
    return { ok: false, output, error };
  }
}
