import type { WorkflowRunner } from '../../runner/WorkflowRunner.ts';
import { SimulatedServiceError } from '../../world/faults.ts';
import { text, type ServiceOperations, type TwinCallContext, type TwinInput } from './ServiceTwin.ts';

const STATE_MACHINE_ARN = /^arn:[a-z-]+:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]+)$/;

function parseJson(text: unknown, member: string): unknown {
  if (typeof text !== 'string') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SimulatedServiceError('InvalidOutput', `${member}: not valid JSON`, 400);
  }
}

/**
 * Step Functions' execution APIs that the functions call, over the local runner: StartExecution
 * (the trigger, the Slack callback, the drill) and the task-token answers (the Slack callback).
 * `stateMachines(region)` lists the workflows deployed in a region.
 */
export function stepFunctionsOperations(
  runner: () => WorkflowRunner,
  stateMachines: (region: string) => ReadonlySet<string>,
): ServiceOperations {
  const token = (input: TwinInput, context: TwinCallContext, operation: string): string => {
    context.world.faults.check('sfn', operation, context.region);
    return text(input.taskToken);
  };
  /** The runner's refusal as the SDK raises it (`TaskTimedOut`, `TaskDoesNotExist`, `InvalidToken`). */
  const answer = (work: () => void): Record<string, never> => {
    try {
      work();
      return {};
    } catch (error) {
      const name = (error as Error).name;
      throw new SimulatedServiceError(
        name === 'Error' ? 'InvalidToken' : name,
        (error as Error).message,
        400,
      );
    }
  };
  return {
    StartExecution: (input, context) => {
      context.world.faults.check('sfn', 'StartExecution', context.region);
      const arn = text(input.stateMachineArn);
      const match = STATE_MACHINE_ARN.exec(arn);
      if (match === null) throw new SimulatedServiceError('InvalidArn', `Invalid Arn: '${arn}'`, 400);
      const [, region = '', account = '', name = ''] = match;
      const workflow = name.replace(/^lifeboat-/, '');
      if (region !== context.region || account !== context.account || !stateMachines(region).has(workflow)) {
        throw new SimulatedServiceError(
          'StateMachineDoesNotExist',
          `State Machine Does Not Exist: '${arn}'`,
          400,
        );
      }
      const executionInput = parseJson(input.input, 'input');
      const executionName = typeof input.name === 'string' ? input.name : undefined;
      const existing = runner().executions.find((e) => e.name === executionName && e.workflow === workflow);
      // Step Functions answers a repeated start of a running execution with the same input with the
      // original's response; a closed one, or another input, is ExecutionAlreadyExists.
      // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
      if (
        existing !== undefined &&
        (existing.status !== 'RUNNING' || JSON.stringify(existing.input) !== JSON.stringify(executionInput))
      ) {
        throw new SimulatedServiceError(
          'ExecutionAlreadyExists',
          `Execution Already Exists: 'arn:${context.partition}:states:${region}:${account}:execution:${name}:${executionName ?? ''}'`,
          400,
        );
      }
      const record = existing ?? runner().start(workflow, executionInput, executionName);
      return {
        executionArn: `arn:${context.partition}:states:${region}:${account}:execution:${name}:${record.name}`,
        startDate: context.world.clock.now(),
      };
    },
    SendTaskSuccess: (input, context) => {
      const taskToken = token(input, context, 'SendTaskSuccess');
      const output = parseJson(input.output, 'output');
      return answer(() => {
        runner().sendTaskSuccess(taskToken, output);
      });
    },
    SendTaskFailure: (input, context) => {
      const taskToken = token(input, context, 'SendTaskFailure');
      return answer(() => {
        runner().sendTaskFailure(
          taskToken,
          typeof input.error === 'string' ? input.error : '',
          typeof input.cause === 'string' ? input.cause : '',
        );
      });
    },
  };
}
