import {
  ApprovalSteps,
  DEADLINE_MARGIN_SECONDS,
  stepApprovalId,
} from '../../../shared/approval/ApprovalSteps.ts';
import { DynamoApprovals } from '../../../shared/aws/DynamoApprovals.ts';
import { DynamoLedger } from '../../../shared/aws/DynamoLedger.ts';
import { loadConfig } from '../../../shared/config/loadConfig.ts';
import type { Clock } from '../../../shared/ports/Clock.ts';
import type { NotifierPort } from '../../../shared/ports/Estate.ts';
import { EmbeddedDynamo } from '../../../local/ledger/EmbeddedDynamo.ts';
import { EXAMPLE_CONFIG_PATH } from '../../support/exampleConfig.ts';

/** The example config: approvals wait 3600 s. */
const config = loadConfig(EXAMPLE_CONFIG_PATH);
const T0 = Date.parse('2026-11-22T06:00:00.000Z');
const EXECUTION = 'failback-ai-gateway-0001';
const ID = stepApprovalId(EXECUTION, 'RequestApproval');

/** Slack as the approval step sees it: takes each post (unless down) and numbers it. */
class FakeNotifier implements NotifierPort {
  readonly posts: string[] = [];
  down = false;

  post(text: string): Promise<string> {
    if (this.down) return Promise.reject(new Error('slack_webapi_platform_error'));
    this.posts.push(text);
    return Promise.resolve(`1764000000.${String(this.posts.length).padStart(6, '0')}`);
  }

  update(): Promise<void> {
    return Promise.resolve();
  }

  postEphemeral(): Promise<void> {
    return Promise.resolve();
  }
}

function payload(taskToken: string) {
  return {
    taskToken,
    workflow: 'failback' as const,
    executionName: EXECUTION,
    stateName: 'RequestApproval',
    request: { application: 'ai-gateway', targetRegion: 'us-east-1', sourceRegion: 'us-west-2' },
    why: ['manual start'],
    plan: ['shift traffic back'],
  };
}

function iso(offsetSeconds: number): string {
  return new Date(T0 + offsetSeconds * 1000).toISOString();
}

describe('ApprovalSteps.requestApproval: the approval’s deadline', () => {
  let dynamo: EmbeddedDynamo;
  let tables = 0;
  let approvals: DynamoApprovals;
  let notifier: FakeNotifier;
  let seconds: number;
  let steps: ApprovalSteps;

  beforeAll(async () => {
    dynamo = await EmbeddedDynamo.start();
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  beforeEach(async () => {
    const tableName = `approval-steps-${++tables}`;
    await dynamo.createLedgerTable(tableName);
    approvals = new DynamoApprovals(dynamo.client(), tableName);
    notifier = new FakeNotifier();
    seconds = 0;
    const clock: Clock = { now: () => new Date(T0 + seconds * 1000), sleep: () => Promise.resolve() };
    steps = new ApprovalSteps({
      config,
      approvals,
      notifier,
      ledger: new DynamoLedger(dynamo.client(), tableName),
      clock,
    });
  });

  it('closes the approval a margin before the task’s own timeout, and the message states that deadline', async () => {
    await steps.requestApproval(payload('token-1'));

    // Step Functions started the task's timeout a moment before the step read the clock: a cold
    // start's seconds must fit in the margin.
    expect(DEADLINE_MARGIN_SECONDS).toBeGreaterThanOrEqual(10);
    const deadline = iso(3600 - DEADLINE_MARGIN_SECONDS);
    await expect(approvals.get(ID)).resolves.toMatchObject({ status: 'PENDING', expiresAt: deadline });
    expect(notifier.posts).toEqual([expect.stringContaining(`open until ${deadline}`)]);
    // A press after that deadline (while the task may still wait) counts for nothing.
    const late = await approvals.decide(ID, {
      status: 'APPROVED',
      by: 'U0APPROVER',
      at: new Date(Date.parse(deadline)),
    });
    expect(late.outcome).toBe('closed');
  });

  it('a retry after Slack refused the question asks with the retry’s deadline and token', async () => {
    notifier.down = true;
    await expect(steps.requestApproval(payload('token-1'))).rejects.toMatchObject({
      name: 'SlackUnavailable',
    });
    notifier.down = false;
    seconds = 600;

    await steps.requestApproval(payload('token-2'));

    const deadline = iso(600 + 3600 - DEADLINE_MARGIN_SECONDS);
    await expect(approvals.get(ID)).resolves.toMatchObject({
      status: 'PENDING',
      taskToken: 'token-2',
      expiresAt: deadline,
    });
    expect(notifier.posts).toEqual([expect.stringContaining(`open until ${deadline}`)]);
    // A press the first attempt's deadline would have refused counts: the message said it could.
    const decided = await approvals.decide(ID, {
      status: 'APPROVED',
      by: 'U0APPROVER',
      at: new Date(T0 + 3700 * 1000),
    });
    expect(decided.outcome).toBe('decided');
  });

  it('a retry after the question was posted keeps the deadline the message stated, and posts nothing more', async () => {
    await steps.requestApproval(payload('token-1'));
    seconds = 600;

    await steps.requestApproval(payload('token-2'));

    await expect(approvals.get(ID)).resolves.toMatchObject({
      taskToken: 'token-2',
      expiresAt: iso(3600 - DEADLINE_MARGIN_SECONDS),
    });
    expect(notifier.posts).toHaveLength(1);
  });
});
