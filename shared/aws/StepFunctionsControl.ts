import { stateMachineName } from '../config/naming.ts';
import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { WorkflowControl } from '../ports/Workflows.ts';

/**
 * What SendTaskSuccess and SendTaskFailure answer for a token nobody waits on any more: the task
 * timed out, its execution ended, or the token is not one Step Functions knows.
 */
const GONE_ERRORS: ReadonlySet<string> = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

const ALREADY_STARTED_ERRORS: ReadonlySet<string> = new Set(['ExecutionAlreadyExists']);

/** Step Functions' limits on SendTaskFailure, in characters. */
export const MAX_TASK_ERROR_CHARS = 256;
export const MAX_TASK_CAUSE_CHARS = 32_768;

/** The first `max` characters (code points, so a surrogate pair is never split). */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return Array.from(text).slice(0, max).join('');
}

function hasName(error: unknown, names: ReadonlySet<string>): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && names.has(name);
}

/**
 * Step Functions for the Slack callback: resumes a task waiting on its token, or starts a workflow
 * under a deterministic name, in the region the workflow runs in (the one it moves traffic to).
 * Other SDK errors propagate unchanged for the caller to classify.
 */
export class StepFunctionsControl implements WorkflowControl {
  readonly #clientFor: (region: string) => SFNClient;
  readonly #stateMachineArn: (region: string, workflow: 'failover' | 'failback') => string;

  constructor(
    clientFor: (region: string) => SFNClient,
    stateMachineArn: (region: string, workflow: 'failover' | 'failback') => string,
  ) {
    this.#clientFor = clientFor;
    this.#stateMachineArn = stateMachineArn;
  }

  async sendTaskSuccess(
    region: string,
    taskToken: string,
    output: Record<string, unknown>,
  ): Promise<'delivered' | 'gone'> {
    try {
      await this.#clientFor(region).send(
        new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }),
      );
      return 'delivered';
    } catch (error) {
      if (hasName(error, GONE_ERRORS)) return 'gone';
      throw error;
    }
  }

  async sendTaskFailure(
    region: string,
    taskToken: string,
    error: string,
    cause: string,
  ): Promise<'delivered' | 'gone'> {
    try {
      await this.#clientFor(region).send(
        new SendTaskFailureCommand({
          taskToken,
          error: truncate(error, MAX_TASK_ERROR_CHARS),
          cause: truncate(cause, MAX_TASK_CAUSE_CHARS),
        }),
      );
      return 'delivered';
    } catch (caught) {
      if (hasName(caught, GONE_ERRORS)) return 'gone';
      throw caught;
    }
  }

  /**
   * A repeat of the same name and input while the execution runs is accepted by StartExecution as
   * the same start; any other repeat within 90 days is refused with ExecutionAlreadyExists. Both
   * mean this start has happened.
   */
  async start(
    region: string,
    workflow: 'failover' | 'failback',
    name: string,
    input: Record<string, unknown>,
  ): Promise<'started' | 'already-started'> {
    try {
      await this.#clientFor(region).send(
        new StartExecutionCommand({
          stateMachineArn: this.#stateMachineArn(region, workflow),
          name,
          input: JSON.stringify(input),
        }),
      );
      return 'started';
    } catch (error) {
      if (hasName(error, ALREADY_STARTED_ERRORS)) return 'already-started';
      throw error;
    }
  }
}

/**
 * The control of the deployed Lifeboat's workflows in `account` (a function's LIFEBOAT_ACCOUNT and
 * LIFEBOAT_PARTITION): each region's state machine under its stack's name.
 */
export function deployedWorkflows(
  clientFor: (region: string) => SFNClient,
  account: string,
  partition: string,
): StepFunctionsControl {
  return new StepFunctionsControl(
    clientFor,
    (region, workflow) =>
      `arn:${partition}:states:${region}:${account}:stateMachine:${stateMachineName(workflow)}`,
  );
}
