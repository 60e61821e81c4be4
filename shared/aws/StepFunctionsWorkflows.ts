import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';

/** How an execution stands, as the CLI shows it. */
export interface ExecutionSummary {
  readonly executionArn: string;
  readonly name: string;
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  readonly startedAt: string;
  readonly stoppedAt?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly output?: string;
  /** The execution's input (JSON). */
  readonly input?: string;
}

/** One state entered or exited, from an execution's history. */
export interface StateEvent {
  readonly id: number;
  readonly at: string;
  readonly kind: 'entered' | 'exited' | 'failed';
  /** The state's name; empty for a failure, which the next exit names. */
  readonly state: string;
  readonly detail?: string;
}

/** How an execution stood when it ended, from the newest events of its history. */
export interface RecentStates {
  /** The last state it entered. */
  readonly lastEntered?: string;
  /** The outputs of the states it last left, newest first (each a state document, parsed). */
  readonly outputs: readonly { readonly state: string; readonly output: unknown }[];
}

/** The newest events read for `recentStates`: enough to reach the last state of the main path. */
export const RECENT_EVENTS = 100;

/**
 * Lifeboat's workflows in one region's Step Functions, for the operator's CLI (and the run-ended
 * recorder, which reads how a run stood when it ended): find a state machine by name, start an
 * execution under a deterministic name, read how it stands and its state events.
 * SDK errors propagate unchanged except ExecutionAlreadyExists, which is an answer.
 */
export class StepFunctionsWorkflows {
  readonly #client: SFNClient;

  constructor(client: SFNClient) {
    this.#client = client;
  }

  /** The ARN of the state machine with this name, or undefined when the region has none. */
  async stateMachineArn(name: string): Promise<string | undefined> {
    return (await this.stateMachineArns([name])).get(name);
  }

  /**
   * The ARNs of the state machines with these names that the region has, from one listing (which
   * stops at the page where the last of them is found).
   */
  async stateMachineArns(names: readonly string[]): Promise<Map<string, string>> {
    const wanted = new Set(names);
    const found = new Map<string, string>();
    let nextToken: string | undefined;
    do {
      const page = await this.#client.send(new ListStateMachinesCommand({ maxResults: 100, nextToken }));
      for (const machine of page.stateMachines ?? []) {
        if (machine.name !== undefined && machine.stateMachineArn !== undefined && wanted.has(machine.name))
          found.set(machine.name, machine.stateMachineArn);
      }
      nextToken = found.size === wanted.size ? undefined : page.nextToken;
    } while (nextToken !== undefined);
    return found;
  }

  /**
   * StartExecution under `name`. A name already used (a run under way or done with another input)
   * is `already-exists` with the execution's ARN; Step Functions also answers a repeat of a running
   * execution's name and input with that execution, which `startedAt` before `since` reveals.
   */
  async start(
    stateMachineArn: string,
    name: string,
    input: Readonly<Record<string, unknown>>,
    since: Date,
  ): Promise<{ outcome: 'started' | 'already-exists'; executionArn: string }> {
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    try {
      const started = await this.#client.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      const earlier = started.startDate !== undefined && started.startDate.getTime() < since.getTime() - 1000;
      return {
        outcome: earlier ? 'already-exists' : 'started',
        executionArn: started.executionArn ?? executionArn,
      };
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === 'ExecutionAlreadyExists') {
        return { outcome: 'already-exists', executionArn };
      }
      throw error;
    }
  }

  /**
   * The execution named `name` of the state machine, or undefined when there is none
   * (ExecutionDoesNotExist is an answer: the run never started there).
   */
  async find(stateMachineArn: string, name: string): Promise<ExecutionSummary | undefined> {
    try {
      return await this.describe(`${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`);
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    }
  }

  /**
   * StopExecution with an error and a cause that say who stopped it and why (each cut to Step
   * Functions' limits: 256 and 32,768 characters). The caller stops only an execution it has just
   * seen RUNNING.
   */
  async stop(executionArn: string, error: string, cause: string): Promise<void> {
    await this.#client.send(
      new StopExecutionCommand({ executionArn, error: error.slice(0, 256), cause: cause.slice(0, 32768) }),
    );
  }

  async describe(executionArn: string): Promise<ExecutionSummary> {
    const e = await this.#client.send(new DescribeExecutionCommand({ executionArn }));
    if (e.status === undefined || e.startDate === undefined) {
      throw new Error(`Step Functions returned execution ${executionArn} without its status`);
    }
    return {
      executionArn,
      name: e.name ?? executionArn.split(':').at(-1) ?? '',
      status: e.status,
      startedAt: e.startDate.toISOString(),
      ...(e.stopDate === undefined ? {} : { stoppedAt: e.stopDate.toISOString() }),
      ...(e.error === undefined ? {} : { error: e.error }),
      ...(e.cause === undefined ? {} : { cause: e.cause }),
      ...(e.output === undefined ? {} : { output: e.output }),
      ...(e.input === undefined ? {} : { input: e.input }),
    };
  }

  /**
   * What an execution had done when it ended: its newest `RECENT_EVENTS` history events, with
   * execution data (one GetExecutionHistory page, newest first). A state output that is not JSON is
   * left out.
   */
  async recentStates(executionArn: string): Promise<RecentStates> {
    const page = await this.#client.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: RECENT_EVENTS,
        reverseOrder: true,
        includeExecutionData: true,
      }),
    );
    let lastEntered: string | undefined;
    const outputs: { state: string; output: unknown }[] = [];
    for (const event of page.events ?? []) {
      lastEntered ??= event.stateEnteredEventDetails?.name;
      const exited = event.stateExitedEventDetails;
      if (exited?.name === undefined || exited.output === undefined) continue;
      try {
        outputs.push({ state: exited.name, output: JSON.parse(exited.output) as unknown });
      } catch {
        // Not a JSON document: nothing to read in it.
      }
    }
    return { ...(lastEntered === undefined ? {} : { lastEntered }), outputs };
  }

  /**
   * The state events after event `afterId`, oldest first, one page per call: the caller polls with
   * the last id it has seen.
   */
  async stateEvents(executionArn: string, afterId: number): Promise<StateEvent[]> {
    const events: StateEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#client.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, reverseOrder: false, nextToken }),
      );
      for (const event of page.events ?? []) {
        if (event.id === undefined || event.id <= afterId) continue;
        const state = stateEvent(event);
        if (state !== undefined) events.push(state);
      }
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return events;
  }
}

function stateEvent(event: HistoryEvent): StateEvent | undefined {
  const id = event.id ?? 0;
  const at = (event.timestamp ?? new Date(0)).toISOString();
  if (event.stateEnteredEventDetails?.name !== undefined) {
    return { id, at, kind: 'entered', state: event.stateEnteredEventDetails.name };
  }
  if (event.stateExitedEventDetails?.name !== undefined) {
    return { id, at, kind: 'exited', state: event.stateExitedEventDetails.name };
  }
  const failed = event.lambdaFunctionFailedEventDetails ?? event.taskFailedEventDetails;
  if (failed !== undefined) {
    return {
      id,
      at,
      kind: 'failed',
      state: '',
      detail: `${failed.error ?? 'Error'}: ${failed.cause ?? ''}`.slice(0, 300),
    };
  }
  return undefined;
}
