import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { RECENT_EVENTS, StepFunctionsWorkflows } from '../../shared/aws/StepFunctionsWorkflows.ts';

const client = new SFNClient({ region: 'us-west-2' });
const sfn = mockClient(client);
const workflows = new StepFunctionsWorkflows(client);
const MACHINE = 'arn:aws:states:us-west-2:123456789012:stateMachine:lifeboat-failover';
const EXECUTION =
  'arn:aws:states:us-west-2:123456789012:execution:lifeboat-failover:cli-failover-ai-gateway-us-west-2';
const NOW = new Date('2030-01-01T00:10:00.000Z');

beforeEach(() => {
  sfn.reset();
});

describe('StepFunctionsWorkflows', () => {
  it('finds a state machine by name across pages', async () => {
    sfn
      .on(ListStateMachinesCommand, { maxResults: 100, nextToken: undefined })
      .resolves({
        stateMachines: [{ name: 'other', stateMachineArn: 'arn:x', type: 'STANDARD', creationDate: NOW }],
        nextToken: 't1',
      })
      .on(ListStateMachinesCommand, { maxResults: 100, nextToken: 't1' })
      .resolves({
        stateMachines: [
          { name: 'lifeboat-failover', stateMachineArn: MACHINE, type: 'STANDARD', creationDate: NOW },
        ],
      });
    expect(await workflows.stateMachineArn('lifeboat-failover')).toBe(MACHINE);
    expect(sfn).toHaveReceivedCommandTimes(ListStateMachinesCommand, 2);
    expect(sfn).toHaveReceivedNthCommandWith(2, ListStateMachinesCommand, {
      maxResults: 100,
      nextToken: 't1',
    });
  });

  it('finds several state machines in one listing and stops at the page with the last of them', async () => {
    const BACKUP = MACHINE.replace('lifeboat-failover', 'lifeboat-backup');
    sfn
      .on(ListStateMachinesCommand, { maxResults: 100, nextToken: undefined })
      .resolves({
        stateMachines: [
          { name: 'lifeboat-backup', stateMachineArn: BACKUP, type: 'STANDARD', creationDate: NOW },
        ],
        nextToken: 't1',
      })
      .on(ListStateMachinesCommand, { maxResults: 100, nextToken: 't1' })
      .resolves({
        stateMachines: [
          { name: 'lifeboat-failover', stateMachineArn: MACHINE, type: 'STANDARD', creationDate: NOW },
        ],
        nextToken: 't2',
      })
      .on(ListStateMachinesCommand, { maxResults: 100, nextToken: 't2' })
      .resolves({ stateMachines: [] });
    const found = await workflows.stateMachineArns([
      'lifeboat-failover',
      'lifeboat-backup',
      'lifeboat-drill',
    ]);
    // lifeboat-drill is not in the region: every page is read, and the answer leaves it out.
    expect(found).toEqual(
      new Map([
        ['lifeboat-backup', BACKUP],
        ['lifeboat-failover', MACHINE],
      ]),
    );
    expect(sfn).toHaveReceivedCommandTimes(ListStateMachinesCommand, 3);
    sfn.resetHistory();
    await workflows.stateMachineArns(['lifeboat-failover', 'lifeboat-backup']);
    expect(sfn).toHaveReceivedCommandTimes(ListStateMachinesCommand, 2);
  });

  it('answers undefined when the region has no such state machine', async () => {
    sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [] });
    expect(await workflows.stateMachineArn('lifeboat-failover')).toBeUndefined();
  });

  it('starts an execution with the exact name and the input as JSON', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: NOW });
    const input = { application: 'ai-gateway', targetRegion: 'us-west-2', reason: 'us-east-1 down' };
    expect(await workflows.start(MACHINE, 'cli-failover-ai-gateway-us-west-2', input, NOW)).toEqual({
      outcome: 'started',
      executionArn: EXECUTION,
    });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE,
      name: 'cli-failover-ai-gateway-us-west-2',
      input: JSON.stringify(input),
    });
  });

  it('reports a name already taken as already-exists, with the execution it names', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    expect(await workflows.start(MACHINE, 'cli-failover-ai-gateway-us-west-2', {}, NOW)).toEqual({
      outcome: 'already-exists',
      executionArn: EXECUTION,
    });
  });

  it('recognises the running execution Step Functions returns for a repeated name and input', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: EXECUTION, startDate: new Date(NOW.getTime() - 60_000) });
    expect((await workflows.start(MACHINE, 'cli-failover-ai-gateway-us-west-2', {}, NOW)).outcome).toBe(
      'already-exists',
    );
  });

  it('passes other errors on unchanged', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(workflows.start(MACHINE, 'n', {}, NOW)).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it('finds an execution by its state machine and name, and answers undefined when there is none', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION }).resolves({
      executionArn: EXECUTION,
      name: 'cli-failover-ai-gateway-us-west-2',
      status: 'RUNNING',
      startDate: NOW,
      stateMachineArn: MACHINE,
    });
    await expect(workflows.find(MACHINE, 'cli-failover-ai-gateway-us-west-2')).resolves.toMatchObject({
      executionArn: EXECUTION,
      status: 'RUNNING',
    });
    sfn
      .on(DescribeExecutionCommand, {
        executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:gone`,
      })
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    await expect(workflows.find(MACHINE, 'gone')).resolves.toBeUndefined();
  });

  it('stops an execution with the error and cause it is given, cut to Step Functions’ limits', async () => {
    sfn.on(StopExecutionCommand).resolves({ stopDate: NOW });
    await workflows.stop(EXECUTION, 'StoppedByOperator', `stopped by alice: ${'x'.repeat(40000)}`);
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: EXECUTION,
      error: 'StoppedByOperator',
    });
    const input = sfn.commandCalls(StopExecutionCommand)[0]!.args[0].input;
    expect(input.cause).toHaveLength(32768);
    expect(Object.keys(input).sort()).toEqual(['cause', 'error', 'executionArn']);
  });

  it('describes an execution', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION }).resolves({
      executionArn: EXECUTION,
      stateMachineArn: MACHINE,
      name: 'cli-failover-ai-gateway-us-west-2',
      status: 'FAILED',
      startDate: NOW,
      stopDate: new Date(NOW.getTime() + 5000),
      error: 'InvalidInput',
      cause: 'targetRegion: ...',
    });
    expect(await workflows.describe(EXECUTION)).toEqual({
      executionArn: EXECUTION,
      name: 'cli-failover-ai-gateway-us-west-2',
      status: 'FAILED',
      startedAt: '2030-01-01T00:10:00.000Z',
      stoppedAt: '2030-01-01T00:10:05.000Z',
      error: 'InvalidInput',
      cause: 'targetRegion: ...',
    });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION });
  });

  it("reads how a run stood when it ended: the newest events with execution data, each state's output parsed", async () => {
    const document = { request: { application: 'ai-gateway' }, fence: { fenced: ['us-east-1'] } };
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 9, timestamp: NOW, type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Stop' } },
        {
          id: 8,
          timestamp: NOW,
          type: 'WaitStateEntered',
          stateEnteredEventDetails: { name: 'WaitForDatabase' },
        },
        {
          id: 7,
          timestamp: NOW,
          type: 'TaskStateExited',
          stateExitedEventDetails: { name: 'FenceSource', output: JSON.stringify(document) },
        },
        {
          id: 6,
          timestamp: NOW,
          type: 'PassStateExited',
          stateExitedEventDetails: { name: 'Truncated', output: '{"request": ' },
        },
        {
          id: 5,
          timestamp: NOW,
          type: 'TaskStateEntered',
          stateEnteredEventDetails: { name: 'FenceSource' },
        },
      ],
    });
    await expect(workflows.recentStates(EXECUTION)).resolves.toEqual({
      lastEntered: 'WaitForDatabase',
      outputs: [{ state: 'FenceSource', output: document }],
    });
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, {
      executionArn: EXECUTION,
      maxResults: RECENT_EVENTS,
      reverseOrder: true,
      includeExecutionData: true,
    });
  });

  it('reads the state events after the last one seen, across pages, oldest first', async () => {
    sfn
      .on(GetExecutionHistoryCommand, { executionArn: EXECUTION, nextToken: undefined })
      .resolves({
        events: [
          { id: 1, type: 'ExecutionStarted', timestamp: NOW },
          {
            id: 2,
            type: 'TaskStateEntered',
            timestamp: NOW,
            stateEnteredEventDetails: { name: 'ValidateInput' },
          },
          {
            id: 3,
            type: 'TaskStateExited',
            timestamp: NOW,
            stateExitedEventDetails: { name: 'ValidateInput' },
          },
        ],
        nextToken: 'p2',
      })
      .on(GetExecutionHistoryCommand, { executionArn: EXECUTION, nextToken: 'p2' })
      .resolves({
        events: [
          {
            id: 4,
            type: 'TaskStateEntered',
            timestamp: NOW,
            stateEnteredEventDetails: { name: 'AcquireLock' },
          },
          {
            id: 5,
            type: 'LambdaFunctionFailed',
            timestamp: NOW,
            lambdaFunctionFailedEventDetails: { error: 'ThrottledError', cause: 'slow down' },
          },
        ],
      });
    expect(await workflows.stateEvents(EXECUTION, 2)).toEqual([
      { id: 3, at: NOW.toISOString(), kind: 'exited', state: 'ValidateInput' },
      { id: 4, at: NOW.toISOString(), kind: 'entered', state: 'AcquireLock' },
      { id: 5, at: NOW.toISOString(), kind: 'failed', state: '', detail: 'ThrottledError: slow down' },
    ]);
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, {
      executionArn: EXECUTION,
      maxResults: 1000,
      reverseOrder: false,
    });
  });
});
