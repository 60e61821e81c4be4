import {
  ExecutionAlreadyExists,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import {
  MAX_TASK_CAUSE_CHARS,
  MAX_TASK_ERROR_CHARS,
  StepFunctionsControl,
} from '../../shared/aws/StepFunctionsControl.ts';

const ACCOUNT = '123456789012';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAf0kexampletasktoken==';

const east = new SFNClient({ region: 'us-east-1' });
const west = new SFNClient({ region: 'us-west-2' });
const eastMock = mockClient(east);
const westMock = mockClient(west);

let requestedRegions: string[];

function control(): StepFunctionsControl {
  const clients: Record<string, SFNClient> = { 'us-east-1': east, 'us-west-2': west };
  return new StepFunctionsControl(
    (region) => {
      requestedRegions.push(region);
      const client = clients[region];
      if (client === undefined) throw new Error(`no test client for ${region}`);
      return client;
    },
    (region, workflow) => `arn:aws:states:${region}:${ACCOUNT}:stateMachine:lifeboat-${workflow}`,
  );
}

const meta = { $metadata: { httpStatusCode: 400 } };

beforeEach(() => {
  eastMock.reset();
  westMock.reset();
  requestedRegions = [];
});

describe('StepFunctionsControl', () => {
  describe('sendTaskSuccess', () => {
    it('sends SendTaskSuccess with the token and the output as JSON, in the region given', async () => {
      westMock.on(SendTaskSuccessCommand).resolves({});
      const output = {
        approved: true,
        approvalId: 'abc123def4',
        by: 'U0APPROVER',
        at: '2026-11-22T06:00:00.000Z',
      };

      await expect(control().sendTaskSuccess('us-west-2', TOKEN, output)).resolves.toBe('delivered');

      expect(requestedRegions).toEqual(['us-west-2']);
      expect(eastMock.calls()).toHaveLength(0);
      expect(westMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
      expect(westMock.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input).toEqual({
        taskToken: TOKEN,
        output: JSON.stringify(output),
      });
    });

    it.each([
      ['TaskTimedOut', () => new TaskTimedOut({ message: 'Task Timed Out', ...meta })],
      ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'Task does not exist', ...meta })],
      ['InvalidToken', () => new InvalidToken({ message: 'Invalid token', ...meta })],
    ])('answers gone when Step Functions says %s', async (_, error) => {
      westMock.on(SendTaskSuccessCommand).rejects(error());

      await expect(control().sendTaskSuccess('us-west-2', TOKEN, { approved: true })).resolves.toBe('gone');
    });

    it('propagates any other error unchanged', async () => {
      const throttled = new SFNServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      });
      westMock.on(SendTaskSuccessCommand).rejects(throttled);

      await expect(control().sendTaskSuccess('us-west-2', TOKEN, {})).rejects.toBe(throttled);
    });
  });

  describe('sendTaskFailure', () => {
    it('sends SendTaskFailure with the token, the error and the cause, in the region given', async () => {
      eastMock.on(SendTaskFailureCommand).resolves({});

      await expect(
        control().sendTaskFailure('us-east-1', TOKEN, 'ApprovalRejected', 'rejected by U0APPROVER on Slack'),
      ).resolves.toBe('delivered');

      expect(requestedRegions).toEqual(['us-east-1']);
      expect(eastMock).toHaveReceivedCommandTimes(SendTaskFailureCommand, 1);
      expect(eastMock.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toEqual({
        taskToken: TOKEN,
        error: 'ApprovalRejected',
        cause: 'rejected by U0APPROVER on Slack',
      });
    });

    it('truncates the error to 256 characters and the cause to 32768', async () => {
      eastMock.on(SendTaskFailureCommand).resolves({});

      await control().sendTaskFailure('us-east-1', TOKEN, 'E'.repeat(300), 'c'.repeat(40_000));

      const input = eastMock.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
      expect(MAX_TASK_ERROR_CHARS).toBe(256);
      expect(MAX_TASK_CAUSE_CHARS).toBe(32_768);
      expect(input.error).toBe('E'.repeat(256));
      expect(input.cause).toBe('c'.repeat(32_768));
    });

    it('leaves an error and a cause of exactly the limits as they are', async () => {
      eastMock.on(SendTaskFailureCommand).resolves({});

      await control().sendTaskFailure('us-east-1', TOKEN, 'E'.repeat(256), 'c'.repeat(32_768));

      const input = eastMock.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
      expect(input.error).toHaveLength(256);
      expect(input.cause).toHaveLength(32_768);
    });

    it('never splits a character made of two UTF-16 units when it truncates', async () => {
      eastMock.on(SendTaskFailureCommand).resolves({});

      // 300 emoji: 600 UTF-16 units.
      await control().sendTaskFailure('us-east-1', TOKEN, '🛟'.repeat(300), 'cause');

      const input = eastMock.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
      expect(input.error).toBe('🛟'.repeat(256));
    });

    it.each([
      ['TaskTimedOut', () => new TaskTimedOut({ message: 'Task Timed Out', ...meta })],
      ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'Task does not exist', ...meta })],
      ['InvalidToken', () => new InvalidToken({ message: 'Invalid token', ...meta })],
    ])('answers gone when Step Functions says %s', async (_, error) => {
      eastMock.on(SendTaskFailureCommand).rejects(error());

      await expect(control().sendTaskFailure('us-east-1', TOKEN, 'ApprovalRejected', 'no')).resolves.toBe(
        'gone',
      );
    });

    it('propagates any other error unchanged', async () => {
      const denied = new SFNServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'not authorized to perform states:SendTaskFailure',
        $metadata: { httpStatusCode: 400 },
      });
      eastMock.on(SendTaskFailureCommand).rejects(denied);

      await expect(control().sendTaskFailure('us-east-1', TOKEN, 'ApprovalRejected', 'no')).rejects.toBe(
        denied,
      );
    });
  });

  describe('start', () => {
    it('starts the workflow’s state machine in the region under the name, with the input as JSON', async () => {
      eastMock.on(StartExecutionCommand).resolves({
        executionArn: `arn:aws:states:us-east-1:${ACCOUNT}:execution:lifeboat-failback:failback-ai-gateway-abc123def4`,
        startDate: new Date('2026-11-22T06:00:00.000Z'),
      });
      const input = { application: 'ai-gateway', targetRegion: 'us-east-1', offerApprovalId: 'abc123def4' };

      await expect(
        control().start('us-east-1', 'failback', 'failback-ai-gateway-abc123def4', input),
      ).resolves.toBe('started');

      expect(requestedRegions).toEqual(['us-east-1']);
      expect(westMock.calls()).toHaveLength(0);
      expect(eastMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
      expect(eastMock.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
        stateMachineArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:lifeboat-failback`,
        name: 'failback-ai-gateway-abc123def4',
        input: JSON.stringify(input),
      });
    });

    it('names the failover state machine for a failover', async () => {
      westMock.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });

      await control().start('us-west-2', 'failover', 'failover-ai-gateway-1', {});

      expect(westMock).toHaveReceivedCommandWith(StartExecutionCommand, {
        stateMachineArn: `arn:aws:states:us-west-2:${ACCOUNT}:stateMachine:lifeboat-failover`,
      });
    });

    it('answers already-started when the name is taken', async () => {
      eastMock
        .on(StartExecutionCommand)
        .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', ...meta }));

      await expect(
        control().start('us-east-1', 'failback', 'failback-ai-gateway-abc123def4', {}),
      ).resolves.toBe('already-started');
    });

    it('propagates any other error unchanged', async () => {
      const missing = new StateMachineDoesNotExist({ message: 'State Machine Does Not Exist', ...meta });
      eastMock.on(StartExecutionCommand).rejects(missing);

      await expect(control().start('us-east-1', 'failback', 'failback-x', {})).rejects.toBe(missing);
    });
  });
});
