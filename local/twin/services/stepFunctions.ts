import type { ExecutionRecord, StateRecord, WorkflowRunner } from '../../runner/WorkflowRunner.ts';
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

const EXECUTION_ARN =
  /^arn:[a-z-]+:states:([a-z0-9-]+):(\d{12}):execution:([A-Za-z0-9_-]+):([A-Za-z0-9_.-]+)$/;

/** The history event types of a state's entry and exit, by the state's type (Step Functions' names). */
const STATE_EVENT_TYPES = new Set(['Task', 'Choice', 'Wait', 'Pass', 'Parallel', 'Map', 'Succeed', 'Fail']);

/** The events of a history page at most, as GetExecutionHistory's `maxResults` allows (1000). */
const HISTORY_PAGE_LIMIT = 1000;

/**
 * Step Functions' execution APIs over the local runner: StartExecution (the trigger, the Slack
 * callback, the drill, the operator's CLI), the task-token answers (the Slack callback), and what the
 * operator's CLI reads and does (ListStateMachines, DescribeExecution, GetExecutionHistory,
 * StopExecution). `stateMachines(region)` lists the workflows deployed in a region; `homes` holds
 * the region each execution runs in (the rehearsal sets it as each starts; a StartExecution here
 * sets it to the region of the call).
 */
export function stepFunctionsOperations(
  runner: () => WorkflowRunner,
  stateMachines: (region: string) => ReadonlySet<string>,
  homes: WeakMap<ExecutionRecord, string>,
): ServiceOperations {
  const iso = (context: TwinCallContext, seconds: number): Date =>
    new Date(context.world.clock.secondsToIso(seconds));
  /** The execution an ARN names in the region the call went to; ExecutionDoesNotExist otherwise. */
  const executionOf = (input: TwinInput, context: TwinCallContext, operation: string): ExecutionRecord => {
    context.world.faults.check('sfn', operation, context.region);
    const arn = text(input.executionArn);
    const match = EXECUTION_ARN.exec(arn);
    if (match === null) throw new SimulatedServiceError('InvalidArn', `Invalid Arn: '${arn}'`, 400);
    const [, region = '', account = '', machine = '', name = ''] = match;
    const workflow = machine.replace(/^lifeboat-/, '');
    const execution = runner().executions.find((e) => e.workflow === workflow && e.name === name);
    if (
      execution === undefined ||
      region !== context.region ||
      account !== context.account ||
      homes.get(execution) !== region
    ) {
      throw new SimulatedServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`, 400);
    }
    return execution;
  };
  const machineArn = (context: TwinCallContext, workflow: string): string =>
    `arn:${context.partition}:states:${context.region}:${context.account}:stateMachine:lifeboat-${workflow}`;
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
      if (existing === undefined) homes.set(record, region);
      return {
        executionArn: `arn:${context.partition}:states:${region}:${account}:execution:${name}:${record.name}`,
        startDate: context.world.clock.now(),
      };
    },
    ListStateMachines: (input, context) => {
      context.world.faults.check('sfn', 'ListStateMachines', context.region);
      const names = [...stateMachines(context.region)].sort();
      const size = typeof input.maxResults === 'number' && input.maxResults > 0 ? input.maxResults : 100;
      const from = typeof input.nextToken === 'string' ? Number(input.nextToken) : 0;
      const page = names.slice(from, from + size);
      return {
        stateMachines: page.map((workflow) => ({
          stateMachineArn: machineArn(context, workflow),
          name: `lifeboat-${workflow}`,
          type: 'STANDARD',
          creationDate: new Date(context.world.clock.secondsToIso(0)),
        })),
        ...(from + size < names.length ? { nextToken: String(from + size) } : {}),
      };
    },
    DescribeExecution: (input, context) => {
      const execution = executionOf(input, context, 'DescribeExecution');
      return {
        executionArn: text(input.executionArn),
        stateMachineArn: machineArn(context, execution.workflow),
        name: execution.name,
        // A run still going when the rehearsal ended reads RUNNING, as the report has it.
        status: execution.status,
        startDate: iso(context, execution.startedAt),
        ...(execution.stoppedAt === null ? {} : { stopDate: iso(context, execution.stoppedAt) }),
        input: JSON.stringify(execution.input),
        ...(execution.status === 'SUCCEEDED' ? { output: JSON.stringify(execution.output) } : {}),
        ...(execution.error === null ? {} : { error: execution.error }),
        ...(execution.cause === null ? {} : { cause: execution.cause }),
      };
    },
    GetExecutionHistory: (input, context) => {
      const execution = executionOf(input, context, 'GetExecutionHistory');
      // Execution data (each state's output) is in the history unless asked to leave it out.
      const withData = input.includeExecutionData !== false;
      const events = historyOf(
        execution,
        (seconds) => iso(context, seconds),
        withData ? (state) => runner().stateOutput(state) : () => undefined,
      );
      if (input.reverseOrder === true) events.reverse();
      const size =
        typeof input.maxResults === 'number' && input.maxResults > 0
          ? Math.min(input.maxResults, HISTORY_PAGE_LIMIT)
          : 100;
      const from = typeof input.nextToken === 'string' ? Number(input.nextToken) : 0;
      return {
        events: events.slice(from, from + size),
        ...(from + size < events.length ? { nextToken: String(from + size) } : {}),
      };
    },
    // StopExecution of a run that has ended changes nothing and answers with its stop date.
    // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html
    StopExecution: (input, context) => {
      const execution = executionOf(input, context, 'StopExecution');
      if (execution.status === 'RUNNING') {
        runner().stop(
          execution.name,
          typeof input.error === 'string' ? input.error : '',
          typeof input.cause === 'string' ? input.cause : '',
        );
      }
      return { stopDate: iso(context, execution.stoppedAt ?? context.world.clock.seconds) };
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

/**
 * An execution's history as GetExecutionHistory gives it, from the runner's record: the start, each
 * state's entry and exit (a Task's failure before its exit), and the end.
 */
function historyOf(
  execution: ExecutionRecord,
  at: (seconds: number) => Date,
  outputOf: (state: StateRecord) => unknown,
): Record<string, unknown>[] {
  const raw: { seconds: number; order: number; event: Record<string, unknown> }[] = [];
  let order = 0;
  const push = (seconds: number, event: Record<string, unknown>): void => {
    raw.push({ seconds, order: order++, event });
  };
  push(execution.startedAt, {
    type: 'ExecutionStarted',
    executionStartedEventDetails: { input: JSON.stringify(execution.input) },
  });
  for (const state of execution.states) {
    const type = STATE_EVENT_TYPES.has(state.type) ? state.type : 'Task';
    push(state.enteredAt, { type: `${type}StateEntered`, stateEnteredEventDetails: { name: state.name } });
    if (state.exitedAt === null) continue;
    if (state.error !== undefined && type === 'Task') {
      push(state.exitedAt, {
        type: 'TaskFailed',
        taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: state.error },
      });
    }
    const output = outputOf(state);
    push(state.exitedAt, {
      type: `${type}StateExited`,
      stateExitedEventDetails: {
        name: state.name,
        ...(output === undefined ? {} : { output: JSON.stringify(output) }),
      },
    });
  }
  if (execution.stoppedAt !== null) {
    const details = {
      ...(execution.error === null ? {} : { error: execution.error }),
      ...(execution.cause === null ? {} : { cause: execution.cause }),
    };
    const end: Record<ExecutionRecord['status'], Record<string, unknown>> = {
      RUNNING: {},
      SUCCEEDED: { type: 'ExecutionSucceeded', executionSucceededEventDetails: {} },
      FAILED: { type: 'ExecutionFailed', executionFailedEventDetails: details },
      ABORTED: { type: 'ExecutionAborted', executionAbortedEventDetails: details },
      TIMED_OUT: { type: 'ExecutionTimedOut', executionTimedOutEventDetails: details },
    };
    push(execution.stoppedAt, end[execution.status]);
  }
  return raw
    .sort((a, b) => a.seconds - b.seconds || a.order - b.order)
    .map((e, i) => ({ ...e.event, id: i + 1, previousEventId: i, timestamp: at(e.seconds) }));
}
