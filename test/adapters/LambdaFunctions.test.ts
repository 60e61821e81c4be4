import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { LambdaFunctions } from '../../shared/aws/LambdaFunctions.ts';

const lambda = mockClient(LambdaClient);
const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:warm-cache';
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('LambdaFunctions.invoke', () => {
  beforeEach(() => lambda.reset());

  it("invokes the function synchronously in its ARN's region with the payload as JSON", async () => {
    const regions: string[] = [];
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ warmed: 42 }) as never });
    const functions = new LambdaFunctions({
      clientFor: (region) => {
        regions.push(region);
        return new LambdaClient({ region });
      },
    });
    await expect(functions.invoke(ARN, { step: 'warm-cache', attempt: 1 })).resolves.toEqual({
      ok: true,
      output: '{"warmed":42}',
    });
    expect(regions).toEqual(['eu-west-1']);
    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 1);
    const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect({ ...input, Payload: new TextDecoder().decode(input.Payload as Uint8Array) }).toEqual({
      FunctionName: ARN,
      InvocationType: 'RequestResponse',
      Payload: '{"step":"warm-cache","attempt":1}',
    });
  });

  it("reads a function error's type and message from its payload", async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({
        errorType: 'Sandbox.Timedout',
        errorMessage: 'Task timed out after 3.00 seconds',
      }) as never,
    });
    const functions = new LambdaFunctions({ clientFor: (region) => new LambdaClient({ region }) });
    await expect(functions.invoke(ARN, {})).resolves.toMatchObject({
      ok: false,
      error: 'Sandbox.Timedout: Task timed out after 3.00 seconds',
    });
  });

  it('cuts a long answer to 500 characters', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode('x'.repeat(2000)) as never });
    const functions = new LambdaFunctions({ clientFor: (region) => new LambdaClient({ region }) });
    const { output } = await functions.invoke(ARN, {});
    expect(output).toHaveLength(500);
    expect(output.endsWith('…')).toBe(true);
  });

  it('lets an SDK error through unchanged', async () => {
    const missing = Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException' });
    lambda.on(InvokeCommand).rejects(missing);
    const functions = new LambdaFunctions({ clientFor: (region) => new LambdaClient({ region }) });
    await expect(functions.invoke(ARN, {})).rejects.toBe(missing);
  });
});
