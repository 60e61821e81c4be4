import type { ServiceOperations } from './ServiceTwin.ts';

/**
 * Lambda's Invoke of the teams' custom-step functions over the simulated world
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html): `RequestResponse` answers with
 * status 200 and the function's payload, a function error with `FunctionError` (`Unhandled`) and a
 * payload naming `errorType` and `errorMessage`. A function the config does not name for a custom
 * step is Lambda's ResourceNotFoundException.
 */
export function lambdaOperations(): ServiceOperations {
  return {
    Invoke: async (input, context) => {
      const payload = input.Payload;
      const text =
        payload instanceof Uint8Array
          ? new TextDecoder().decode(payload)
          : typeof payload === 'string'
            ? payload
            : '{}';
      const answer = await context.world.customSteps.invoke(
        String(input.FunctionName),
        JSON.parse(text) as Record<string, unknown>,
      );
      return {
        StatusCode: 200,
        ExecutedVersion: '$LATEST',
        Payload: new TextEncoder().encode(answer.payload),
        ...(answer.functionError === undefined ? {} : { FunctionError: answer.functionError }),
      };
    },
  };
}
