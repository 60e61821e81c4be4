import { DynamoApprovals } from '../../../shared/aws/DynamoApprovals.ts';
import { loadConfig } from '../../../shared/config/loadConfig.ts';
import type { ApprovalRecord, ApprovalStore } from '../../../shared/ports/Approvals.ts';
import type { Clock } from '../../../shared/ports/Clock.ts';
import type { NotifierPort } from '../../../shared/ports/Estate.ts';
import type { WorkflowControl } from '../../../shared/ports/Workflows.ts';
import {
  handleSlackCallback,
  MAX_BODY_BYTES,
  type CallbackRequest,
  type CallbackResponse,
  type CallbackVerdict,
} from '../../../shared/slack/SlackCallback.ts';
import { APPROVE_ACTION, outcomeBlocks, REJECT_ACTION } from '../../../shared/slack/messages.ts';
import { slackSignature } from '../../../shared/slack/signature.ts';
import { EmbeddedDynamo } from '../../../local/ledger/EmbeddedDynamo.ts';
import { EXAMPLE_CONFIG_PATH } from '../../support/exampleConfig.ts';

/** The example config: channel C0LIFEBOAT1, approvers U0APPROVER and U0ONCALL01. */
const config = loadConfig(EXAMPLE_CONFIG_PATH);
const CHANNEL = 'C0LIFEBOAT1';
const APPROVER = 'U0APPROVER';
const ONCALL = 'U0ONCALL01';
const SIGNING_SECRET = 'e3b0c44298fc1c149afbf4c8996fb924';

const NOW = new Date('2026-11-22T06:00:00.000Z');
const NOW_SECONDS = String(NOW.getTime() / 1000);
const clock: Clock = { now: () => NOW, sleep: () => Promise.resolve() };

const STEP_ID = 'step000001';
const OFFER_ID = 'offer00001';
const TASK_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAexampletoken==';
const MESSAGE_TS = '1764000000.000100';
const SUMMARY = '*Fail ai-gateway over to us-west-2?* (failover-ai-gateway-0001) us-east-1 is down.';

/** What every refusal answers, whatever the reason. */
const GENERIC_BODIES = new Set(['invalid request', 'not allowed', 'bad request']);

function stepApproval(fields: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id: STEP_ID,
    kind: 'step',
    application: 'ai-gateway',
    workflow: 'failover',
    targetRegion: 'us-west-2',
    executionName: 'failover-ai-gateway-0001',
    taskToken: TASK_TOKEN,
    channel: CHANNEL,
    messageTs: MESSAGE_TS,
    summary: SUMMARY,
    status: 'PENDING',
    createdAt: new Date(NOW.getTime() - 600_000).toISOString(),
    expiresAt: new Date(NOW.getTime() + 3_000_000).toISOString(),
    ...fields,
  };
}

/** A copy of `record` without the named fields. */
function without<T extends object, K extends keyof T>(record: T, ...keys: K[]): Omit<T, K> {
  return Object.fromEntries(
    Object.entries(record).filter(([key]) => !(keys as PropertyKey[]).includes(key)),
  ) as Omit<T, K>;
}

function offerApproval(fields: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    ...without(stepApproval(), 'executionName', 'taskToken'),
    id: OFFER_ID,
    kind: 'offer',
    workflow: 'failback',
    targetRegion: 'us-east-1',
    messageTs: '1764000000.000200',
    summary: '*Fail ai-gateway back to us-east-1?*',
    ...fields,
  };
}

interface Payload {
  type?: unknown;
  user?: unknown;
  channel?: unknown;
  container?: unknown;
  actions?: unknown;
  [key: string]: unknown;
}

/** A block_actions payload as Slack sends it for one button press. */
function press(
  options: { user?: string; action?: string; approvalId?: string; channel?: string } = {},
): Payload {
  const approvalId = options.approvalId ?? STEP_ID;
  const channel = options.channel ?? CHANNEL;
  return {
    type: 'block_actions',
    user: { id: options.user ?? APPROVER, username: 'someone', team_id: 'T0LIFEBOAT' },
    api_app_id: 'A0LIFEBOAT',
    container: { type: 'message', message_ts: MESSAGE_TS, channel_id: channel, is_ephemeral: false },
    trigger_id: '1234567890123.1234567890123.abcdef0123456789abcdef0123456789',
    team: { id: 'T0LIFEBOAT', domain: 'example' },
    channel: { id: channel, name: 'lifeboat' },
    response_url: 'https://hooks.slack.com/actions/T0LIFEBOAT/1/abc',
    actions: [
      {
        action_id: options.action ?? APPROVE_ACTION,
        block_id: `lifeboat_${approvalId}`,
        value: approvalId,
        type: 'button',
        action_ts: '1764000001.123456',
      },
    ],
  };
}

function formBody(payload: unknown): string {
  return new URLSearchParams({
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  }).toString();
}

/** A request as Slack signs it: form body, timestamp and signature headers. */
function slackRequest(
  body: string,
  options: {
    timestamp?: string;
    secret?: string;
    contentType?: string | null;
    base64?: boolean;
    omit?: ('x-slack-signature' | 'x-slack-request-timestamp')[];
  } = {},
): CallbackRequest {
  const timestamp = options.timestamp ?? NOW_SECONDS;
  const all: Record<string, string> = {
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': slackSignature(options.secret ?? SIGNING_SECRET, timestamp, body),
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
  };
  if (options.contentType !== null)
    all['content-type'] = options.contentType ?? 'application/x-www-form-urlencoded';
  const omitted = new Set<string>(options.omit ?? []);
  const headers = Object.fromEntries(Object.entries(all).filter(([name]) => !omitted.has(name)));
  return options.base64 === true
    ? { headers, body: Buffer.from(body, 'utf8').toString('base64'), isBase64Encoded: true }
    : { headers, body, isBase64Encoded: false };
}

type WorkflowCall =
  | { method: 'sendTaskSuccess'; region: string; token: string; output: Record<string, unknown> }
  | { method: 'sendTaskFailure'; region: string; token: string; error: string; cause: string }
  | { method: 'start'; region: string; workflow: string; name: string; input: Record<string, unknown> };

/** Records every call; `failNext` makes the next call throw; `answer` is what a send returns. */
class FakeWorkflows implements WorkflowControl {
  readonly calls: WorkflowCall[] = [];
  failNext: Error | undefined;
  answer: 'delivered' | 'gone' = 'delivered';
  /** While set, each call waits for it before answering (a slow Step Functions). */
  gate: Promise<void> | undefined;

  async #called(call: WorkflowCall): Promise<void> {
    this.calls.push(call);
    if (this.gate !== undefined) await this.gate;
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure !== undefined) throw failure;
  }

  async sendTaskSuccess(region: string, token: string, output: Record<string, unknown>) {
    await this.#called({ method: 'sendTaskSuccess', region, token, output });
    return this.answer;
  }

  async sendTaskFailure(region: string, token: string, error: string, cause: string) {
    await this.#called({ method: 'sendTaskFailure', region, token, error, cause });
    return this.answer;
  }

  async start(
    region: string,
    workflow: 'failover' | 'failback',
    name: string,
    input: Record<string, unknown>,
  ) {
    await this.#called({ method: 'start', region, workflow, name, input });
    return 'started' as const;
  }
}

class FakeNotifier implements NotifierPort {
  readonly posts: { text: string; blocks: readonly unknown[] | undefined }[] = [];
  readonly updates: { ts: string; text: string; blocks: readonly unknown[] | undefined }[] = [];
  failUpdates = false;

  post(text: string, blocks?: readonly unknown[]): Promise<string> {
    this.posts.push({ text, blocks });
    return Promise.resolve(`1764000000.${String(this.posts.length).padStart(6, '0')}`);
  }

  update(ts: string, text: string, blocks?: readonly unknown[]): Promise<void> {
    this.updates.push({ ts, text, blocks });
    return this.failUpdates ? Promise.reject(new Error('message_not_found')) : Promise.resolve();
  }

  readonly ephemeral: { user: string; text: string }[] = [];

  postEphemeral(user: string, text: string): Promise<void> {
    this.ephemeral.push({ user, text });
    return Promise.resolve();
  }
}

describe('handleSlackCallback', () => {
  let dynamo: EmbeddedDynamo;
  let tables = 0;

  let approvals: DynamoApprovals;
  let workflows: FakeWorkflows;
  let notifier: FakeNotifier;
  let logs: { message: string; fields: Record<string, unknown> }[];

  beforeAll(async () => {
    dynamo = await EmbeddedDynamo.start();
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  beforeEach(async () => {
    const tableName = `callback-${++tables}`;
    await dynamo.createLedgerTable(tableName);
    approvals = new DynamoApprovals(dynamo.client(), tableName);
    workflows = new FakeWorkflows();
    notifier = new FakeNotifier();
    logs = [];
    await approvals.create(stepApproval());
    await approvals.create(offerApproval());
  });

  function handle(
    request: CallbackRequest,
    store: ApprovalStore = approvals,
  ): Promise<{ response: CallbackResponse; verdict: CallbackVerdict }> {
    return handleSlackCallback(request, {
      config,
      approvals: store,
      signingSecret: () => Promise.resolve(SIGNING_SECRET),
      workflows,
      notifier,
      clock,
      log: (message, fields) => {
        logs.push({ message, fields });
      },
    });
  }

  /** Asserts a refusal: the bare status text, the reason in the verdict and the log only, nothing done. */
  async function expectRefused(
    request: CallbackRequest,
    statusCode: number,
    reason: string | RegExp,
    verdictFields: Partial<CallbackVerdict> = {},
  ): Promise<CallbackVerdict> {
    const { response, verdict } = await handle(request);

    expect(response.statusCode).toBe(statusCode);
    expect(response.headers).toEqual({ 'content-type': 'text/plain; charset=utf-8' });
    expect(GENERIC_BODIES.has(response.body)).toBe(true);
    expect(verdict).toMatchObject({ outcome: 'refused', counted: false, ...verdictFields });
    expect(verdict.reason).toEqual(typeof reason === 'string' ? reason : expect.stringMatching(reason));
    // Nothing of the reason reaches the caller.
    expect(response.body).not.toContain(verdict.reason);
    expect(logs).toEqual([{ message: 'slack request refused', fields: { ...verdict } }]);
    // Nothing moved.
    expect(workflows.calls).toEqual([]);
    expect(notifier.updates).toEqual([]);
    expect((await approvals.get(STEP_ID))?.status).toBe('PENDING');
    expect((await approvals.get(OFFER_ID))?.status).toBe('PENDING');
    return verdict;
  }

  describe('a valid press', () => {
    it('approves: counts the decision, resumes the task once, marks it delivered and updates the message', async () => {
      const { response, verdict } = await handle(slackRequest(formBody(press())));

      expect(response).toEqual({
        statusCode: 200,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: '',
      });
      expect(verdict).toEqual({
        outcome: 'approved',
        approvalId: STEP_ID,
        user: APPROVER,
        signatureValid: true,
        timestampSkewSeconds: 0,
        userAllowed: true,
        counted: true,
      });
      expect(workflows.calls).toEqual([
        {
          method: 'sendTaskSuccess',
          region: 'us-west-2',
          token: TASK_TOKEN,
          // The approval's message: the run's later messages reply in its thread.
          output: {
            approved: true,
            approvalId: STEP_ID,
            by: APPROVER,
            at: NOW.toISOString(),
            messageTs: MESSAGE_TS,
          },
        },
      ]);
      const outcome = `:white_check_mark: Approved by <@${APPROVER}> at ${NOW.toISOString()}: failover-ai-gateway-0001 goes on.`;
      expect(notifier.updates).toEqual([
        { ts: MESSAGE_TS, text: `${SUMMARY}\n${outcome}`, blocks: outcomeBlocks(SUMMARY, outcome) },
      ]);
      expect(notifier.posts).toEqual([]);
      await expect(approvals.get(STEP_ID)).resolves.toMatchObject({
        status: 'APPROVED',
        decidedBy: APPROVER,
        decidedAt: NOW.toISOString(),
        delivered: true,
      });
      expect(logs).toEqual([{ message: 'slack request handled', fields: { ...verdict } }]);
    });

    it('rejects: fails the task with ApprovalRejected and says nothing moves', async () => {
      const { response, verdict } = await handle(
        slackRequest(formBody(press({ action: REJECT_ACTION, user: ONCALL }))),
      );

      expect(response.statusCode).toBe(200);
      expect(verdict).toMatchObject({ outcome: 'rejected', counted: true, user: ONCALL });
      expect(workflows.calls).toEqual([
        {
          method: 'sendTaskFailure',
          region: 'us-west-2',
          token: TASK_TOKEN,
          error: 'ApprovalRejected',
          cause: `rejected by ${ONCALL} on Slack (approval ${STEP_ID})`,
        },
      ]);
      const outcome = `:x: Rejected by <@${ONCALL}> at ${NOW.toISOString()}: failover-ai-gateway-0001 ends and nothing moves.`;
      expect(notifier.updates).toEqual([
        { ts: MESSAGE_TS, text: `${SUMMARY}\n${outcome}`, blocks: outcomeBlocks(SUMMARY, outcome) },
      ]);
      await expect(approvals.get(STEP_ID)).resolves.toMatchObject({ status: 'REJECTED', delivered: true });
    });

    it('accepts a base64-encoded body, verifying the signature over the decoded bytes', async () => {
      const { response, verdict } = await handle(slackRequest(formBody(press()), { base64: true }));

      expect(response.statusCode).toBe(200);
      expect(verdict.outcome).toBe('approved');
      expect(workflows.calls).toHaveLength(1);
    });

    it('accepts headers in any case and a content type with a charset', async () => {
      const request = slackRequest(formBody(press()), {
        contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      });
      const headers = Object.fromEntries(
        Object.entries(request.headers ?? {}).map(([name, value]) => [name.toUpperCase(), value]),
      );

      const { verdict } = await handle({ ...request, headers });

      expect(verdict.outcome).toBe('approved');
    });

    it('takes the channel from the container when the payload has no channel', async () => {
      const payload = without(press(), 'channel');

      const { verdict } = await handle(slackRequest(formBody(payload)));

      expect(verdict.outcome).toBe('approved');
    });

    it('accepts a timestamp exactly 300 s old', async () => {
      const { verdict } = await handle(
        slackRequest(formBody(press()), { timestamp: String(Number(NOW_SECONDS) - 300) }),
      );

      expect(verdict).toMatchObject({ outcome: 'approved', timestampSkewSeconds: 300 });
    });

    it('answers 200 and logs it when the message cannot be updated: the decision was delivered', async () => {
      notifier.failUpdates = true;

      const { response, verdict } = await handle(slackRequest(formBody(press())));

      expect(response.statusCode).toBe(200);
      expect(verdict.outcome).toBe('approved');
      expect(workflows.calls).toHaveLength(1);
      expect(logs[0]).toEqual({
        message: 'slack message not updated',
        fields: { approvalId: STEP_ID, error: 'message_not_found' },
      });
      await expect(approvals.get(STEP_ID)).resolves.toMatchObject({ delivered: true });
    });

    it('updates no message when the approval has none yet', async () => {
      await approvals.create(without(stepApproval({ id: 'nomessage1' }), 'messageTs'));

      const { verdict } = await handle(slackRequest(formBody(press({ approvalId: 'nomessage1' }))));

      expect(verdict.outcome).toBe('approved');
      expect(workflows.calls).toHaveLength(1);
      expect(notifier.updates).toEqual([]);
    });

    it('says the workflow had stopped waiting when the task is gone', async () => {
      workflows.answer = 'gone';

      const { response, verdict } = await handle(slackRequest(formBody(press())));

      expect(response.statusCode).toBe(200);
      expect(verdict.outcome).toBe('approved');
      const outcome = `:hourglass: <@${APPROVER}> pressed Approve, but failover-ai-gateway-0001 had stopped waiting.`;
      expect(notifier.updates).toEqual([
        { ts: MESSAGE_TS, text: `${SUMMARY}\n${outcome}`, blocks: outcomeBlocks(SUMMARY, outcome) },
      ]);
      await expect(approvals.get(STEP_ID)).resolves.toMatchObject({ status: 'APPROVED', delivered: true });
    });

    it('says a rejection found the workflow no longer waiting too', async () => {
      workflows.answer = 'gone';

      await handle(slackRequest(formBody(press({ action: REJECT_ACTION }))));

      expect(notifier.updates[0]?.text).toBe(
        `${SUMMARY}\n:hourglass: <@${APPROVER}> pressed Reject, but failover-ai-gateway-0001 had stopped waiting.`,
      );
    });
  });

  describe('an offer', () => {
    it('starts the failback in the target region under the offer’s name when approved', async () => {
      const { response, verdict } = await handle(slackRequest(formBody(press({ approvalId: OFFER_ID }))));

      expect(response.statusCode).toBe(200);
      expect(verdict).toMatchObject({ outcome: 'approved', counted: true, approvalId: OFFER_ID });
      expect(workflows.calls).toEqual([
        {
          method: 'start',
          region: 'us-east-1',
          workflow: 'failback',
          name: `failback-ai-gateway-${OFFER_ID}`,
          input: {
            application: 'ai-gateway',
            targetRegion: 'us-east-1',
            reason: `failback offer ${OFFER_ID} approved by ${APPROVER}`,
            offerApprovalId: OFFER_ID,
          },
        },
      ]);
      const outcome = `:white_check_mark: Approved by <@${APPROVER}>: failback failback-ai-gateway-${OFFER_ID} started in us-east-1.`;
      expect(notifier.updates).toEqual([
        {
          ts: '1764000000.000200',
          text: `*Fail ai-gateway back to us-east-1?*\n${outcome}`,
          blocks: outcomeBlocks('*Fail ai-gateway back to us-east-1?*', outcome),
        },
      ]);
      await expect(approvals.get(OFFER_ID)).resolves.toMatchObject({ status: 'APPROVED', delivered: true });
    });

    it('starts nothing when rejected, and says so', async () => {
      const { verdict } = await handle(
        slackRequest(formBody(press({ approvalId: OFFER_ID, action: REJECT_ACTION }))),
      );

      expect(verdict).toMatchObject({ outcome: 'rejected', counted: true });
      expect(workflows.calls).toEqual([]);
      expect(notifier.updates).toHaveLength(1);
      expect(notifier.updates[0]?.text).toBe(
        `*Fail ai-gateway back to us-east-1?*\n:x: Rejected by <@${APPROVER}>: nothing moves. Lifeboat offers again if us-east-1 stays healthy.`,
      );
      await expect(approvals.get(OFFER_ID)).resolves.toMatchObject({ status: 'REJECTED', delivered: true });
    });
  });

  describe('counting once', () => {
    it('delivers a double click (the same request twice) once; the second is already-decided', async () => {
      const request = slackRequest(formBody(press()));

      const first = await handle(request);
      const second = await handle(request);

      expect(first.verdict).toMatchObject({ outcome: 'approved', counted: true });
      expect(second.response).toEqual({
        statusCode: 200,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: '',
      });
      expect(second.verdict).toMatchObject({
        outcome: 'already-decided',
        counted: false,
        reason: `already approved by ${APPROVER}`,
      });
      expect(workflows.calls).toHaveLength(1);
      expect(notifier.updates).toHaveLength(1);
    });

    it('delivers nothing more for another approver’s press after the first decision', async () => {
      await handle(slackRequest(formBody(press())));

      const late = await handle(slackRequest(formBody(press({ user: ONCALL, action: REJECT_ACTION }))));

      expect(late.response.statusCode).toBe(200);
      expect(late.verdict).toMatchObject({
        outcome: 'already-decided',
        counted: false,
        user: ONCALL,
        userAllowed: true,
        reason: `already approved by ${APPROVER}`,
      });
      expect(workflows.calls).toHaveLength(1);
      expect(notifier.updates).toHaveLength(1);
      await expect(approvals.get(STEP_ID)).resolves.toMatchObject({
        status: 'APPROVED',
        decidedBy: APPROVER,
      });
    });

    it('delivers nothing for another approver’s press while the first decision is undelivered', async () => {
      workflows.failNext = new Error('ServiceUnavailable');
      await expect(handle(slackRequest(formBody(press())))).rejects.toThrow('ServiceUnavailable');

      const other = await handle(slackRequest(formBody(press({ user: ONCALL }))));

      expect(other.verdict).toMatchObject({ outcome: 'already-decided', counted: false });
      // Only the first, failed, attempt: the other approver's press does not deliver someone else's decision.
      expect(workflows.calls).toHaveLength(1);
    });

    it('delivers a recorded but undelivered decision when Slack retries the same request', async () => {
      const request = slackRequest(formBody(press()));
      workflows.failNext = new Error('ServiceUnavailable: Step Functions did not answer');

      await expect(handle(request)).rejects.toThrow('ServiceUnavailable');
      await expect(approvals.get(STEP_ID)).resolves.toMatchObject({ status: 'APPROVED' });
      expect((await approvals.get(STEP_ID))?.delivered).toBeUndefined();
      expect(notifier.updates).toEqual([]);

      const retry = await handle(request);

      expect(retry.response.statusCode).toBe(200);
      expect(retry.verdict).toMatchObject({ outcome: 'already-decided', counted: false });
      expect(workflows.calls).toHaveLength(2);
      expect(workflows.calls[1]).toEqual(workflows.calls[0]);
      expect(notifier.updates).toHaveLength(1);
      await expect(approvals.get(STEP_ID)).resolves.toMatchObject({ status: 'APPROVED', delivered: true });

      // And a third time, nothing more.
      await handle(request);
      expect(workflows.calls).toHaveLength(2);
    });

    // A second press by the same person (or a retry) that arrives while the first request is still
    // delivering finds the decision APPROVED, by the same user, not yet delivered: the first
    // request's claim on the delivery keeps it from delivering again.
    it('delivers once when the same press arrives again while the first is still delivering', async () => {
      let release: () => void = () => undefined;
      workflows.gate = new Promise((resolve) => {
        release = resolve;
      });
      // The same store, telling the test when each decide has answered.
      let decided = 0;
      const watched: ApprovalStore = {
        create: (approval) => approvals.create(approval),
        get: (id) => approvals.get(id),
        attach: (id, fields) => approvals.attach(id, fields),
        decide: async (id, decision) => {
          const result = await approvals.decide(id, decision);
          decided++;
          return result;
        },
        close: (id, status, at) => approvals.close(id, status, at),
        claimDelivery: (id, at, stale) => approvals.claimDelivery(id, at, stale),
        releaseDelivery: (id) => approvals.releaseDelivery(id),
        listPending: (limit) => approvals.listPending(limit),
        markDelivered: (id) => approvals.markDelivered(id),
        consume: (id, executionName) => approvals.consume(id, executionName),
      };
      const request = slackRequest(formBody(press()));
      const settle = () => new Promise((resolve) => setImmediate(resolve));

      const first = handle(request, watched);
      // The first request has counted its decision and is waiting on Step Functions.
      while (workflows.calls.length === 0) await settle();
      const second = handle(request, watched);
      // The second request has read the decision; whatever it does next starts synchronously.
      while (decided < 2) await settle();
      await settle();
      release();
      await Promise.all([first, second]);

      expect(workflows.calls).toHaveLength(1);
    });

    it('delivers nothing for an approval that already timed out', async () => {
      await approvals.close(STEP_ID, 'TIMED_OUT', NOW);

      const { response, verdict } = await handle(slackRequest(formBody(press())));

      expect(response).toEqual({
        statusCode: 200,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: '',
      });
      expect(verdict).toMatchObject({
        outcome: 'closed',
        counted: false,
        userAllowed: true,
        reason: 'the approval is TIMED_OUT',
      });
      expect(workflows.calls).toEqual([]);
      expect(notifier.updates).toEqual([]);
      await expect(approvals.get(STEP_ID)).resolves.toMatchObject({ status: 'TIMED_OUT' });
    });

    it('delivers nothing for a pending approval whose deadline has passed', async () => {
      await approvals.create(stepApproval({ id: 'expired001', expiresAt: NOW.toISOString() }));

      const { verdict } = await handle(slackRequest(formBody(press({ approvalId: 'expired001' }))));

      expect(verdict).toMatchObject({ outcome: 'closed', counted: false });
      expect(workflows.calls).toEqual([]);
      await expect(approvals.get('expired001')).resolves.toMatchObject({ status: 'PENDING' });
      expect(notifier.ephemeral).toEqual([
        {
          user: APPROVER,
          text: expect.stringContaining('failover-ai-gateway-0001 no longer waits on it') as string,
        },
      ]);
    });

    it('answers a press on an expired offer to the presser alone, pointing to the current offer', async () => {
      await approvals.close(OFFER_ID, 'EXPIRED', NOW);
      await approvals.create(
        offerApproval({ id: 'oldoffer01', expiresAt: NOW.toISOString(), messageTs: '1764000000.000300' }),
      );
      await approvals.create(
        offerApproval({
          id: 'newoffer01',
          createdAt: NOW.toISOString(),
          expiresAt: new Date(NOW.getTime() + 3_600_000).toISOString(),
          messageTs: '1764000000.000400',
        }),
      );

      const { verdict } = await handle(slackRequest(formBody(press({ approvalId: 'oldoffer01' }))));

      expect(verdict).toMatchObject({ outcome: 'closed', counted: false });
      expect(workflows.calls).toEqual([]);
      // The stale offer is closed and its buttons go; the press is answered to its presser only.
      await expect(approvals.get('oldoffer01')).resolves.toMatchObject({ status: 'EXPIRED' });
      expect(notifier.updates).toEqual([
        expect.objectContaining({
          ts: '1764000000.000300',
          text: expect.stringContaining('Expired unanswered'),
        }),
      ]);
      expect(JSON.stringify(notifier.updates[0]!.blocks)).not.toContain('lifeboat_approve');
      expect(notifier.ephemeral).toEqual([
        { user: APPROVER, text: expect.stringContaining('The current offer is `newoffer01`') as string },
      ]);
      expect(notifier.posts).toEqual([]);
    });

    it('says how to fail back by hand when no offer is open', async () => {
      await approvals.close(OFFER_ID, 'EXPIRED', NOW);
      await approvals.create(offerApproval({ id: 'oldoffer02', expiresAt: NOW.toISOString() }));
      await approvals.close('oldoffer02', 'EXPIRED', NOW);

      await handle(slackRequest(formBody(press({ approvalId: 'oldoffer02' }))));

      expect(notifier.updates).toEqual([]);
      expect(notifier.ephemeral).toEqual([
        {
          user: APPROVER,
          text: expect.stringContaining('lifeboat start failback --app ai-gateway --to us-east-1') as string,
        },
      ]);
    });
  });

  describe('refusals before the signature is checked', () => {
    it.each([
      ['application/json', 'application/json'],
      ['text/plain', 'text/plain'],
      ['multipart/form-data', 'multipart/form-data; boundary=x'],
    ])('answers 415 to a %s body', async (_, contentType) => {
      await expectRefused(
        slackRequest(formBody(press()), { contentType }),
        415,
        `content type "${contentType}" is not application/x-www-form-urlencoded`,
        { signatureValid: false },
      );
    });

    it('answers 415 when there is no content type', async () => {
      await expectRefused(
        slackRequest(formBody(press()), { contentType: null }),
        415,
        'content type "" is not application/x-www-form-urlencoded',
      );
    });

    it('answers 413 to a body over the limit', async () => {
      const body = `${formBody(press())}&pad=${'x'.repeat(MAX_BODY_BYTES)}`;

      await expectRefused(slackRequest(body), 413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
    });

    it('answers 413 to a base64 body that decodes to more than the limit', async () => {
      const body = `${formBody(press())}&pad=${'x'.repeat(MAX_BODY_BYTES)}`;

      await expectRefused(
        slackRequest(body, { base64: true }),
        413,
        `the body is larger than ${MAX_BODY_BYTES} bytes`,
      );
    });

    it('takes a body of exactly the limit to the signature check', async () => {
      const start = `${formBody(press())}&pad=`;
      const body = `${start}${'x'.repeat(MAX_BODY_BYTES - start.length)}`;
      expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);

      const { verdict } = await handle(slackRequest(body));

      expect(verdict.outcome).toBe('approved');
    });
  });

  describe('refusals of the signature', () => {
    it('answers 401 to a body changed after signing', async () => {
      const request = slackRequest(formBody(press()));
      const tampered = formBody(press({ action: REJECT_ACTION }));

      await expectRefused({ ...request, body: tampered }, 401, 'bad-signature', {
        signatureValid: false,
        userAllowed: false,
      });
    });

    it('answers 401 to a base64 body changed after signing', async () => {
      const request = slackRequest(formBody(press()), { base64: true });
      const tampered = Buffer.from(formBody(press({ user: ONCALL }))).toString('base64');

      await expectRefused({ ...request, body: tampered }, 401, 'bad-signature');
    });

    it('answers 401 to a request signed with another secret', async () => {
      await expectRefused(
        slackRequest(formBody(press()), { secret: 'someone-elses-secret' }),
        401,
        'bad-signature',
      );
    });

    it('answers 401 to a timestamp 301 s old', async () => {
      const verdict = await expectRefused(
        slackRequest(formBody(press()), { timestamp: String(Number(NOW_SECONDS) - 301) }),
        401,
        'stale-timestamp',
      );
      expect(verdict.timestampSkewSeconds).toBe(301);
    });

    it('answers 401 to a timestamp 301 s ahead', async () => {
      const verdict = await expectRefused(
        slackRequest(formBody(press()), { timestamp: String(Number(NOW_SECONDS) + 301) }),
        401,
        'future-timestamp',
      );
      expect(verdict.timestampSkewSeconds).toBe(-301);
    });

    it('answers 401 without a signature header', async () => {
      await expectRefused(
        slackRequest(formBody(press()), { omit: ['x-slack-signature'] }),
        401,
        'missing-signature',
      );
    });

    it('answers 401 without a timestamp header', async () => {
      await expectRefused(
        slackRequest(formBody(press()), { omit: ['x-slack-request-timestamp'] }),
        401,
        'missing-timestamp',
      );
    });

    it('answers 415 to a request with no headers at all', async () => {
      await expectRefused({ body: formBody(press()), headers: null }, 415, /content type/);
    });

    it('answers 401 to a non-numeric timestamp', async () => {
      await expectRefused(slackRequest(formBody(press()), { timestamp: 'yesterday' }), 401, 'bad-timestamp');
    });
  });

  describe('refusals of a signed request that is not a Lifeboat press', () => {
    const signed = { signatureValid: true, userAllowed: false };

    it.each([
      [
        'a body that is not a form with a payload',
        '{"type":"block_actions"}',
        'the form has no payload field',
      ],
      ['a form without a payload field', 'foo=bar&baz=1', 'the form has no payload field'],
      ['an empty body', '', 'the form has no payload field'],
      ['a payload that is not JSON', formBody('{not json'), 'payload is not JSON'],
      ['a payload broken by bad percent-encoding', 'payload=%7B%22type%22%3A%ZZ', 'payload is not JSON'],
      ['a payload that is JSON null', formBody('null'), 'payload is not an object'],
      [
        'a payload of another type',
        formBody({ ...press(), type: 'view_submission' }),
        'payload type view_submission is not block_actions',
      ],
      ['a payload without a user', formBody({ ...press(), user: undefined }), 'payload.user.id is missing'],
      [
        'a payload with two actions',
        formBody({
          ...press(),
          actions: [...(press().actions as unknown[]), ...(press().actions as unknown[])],
        }),
        'payload.actions must hold exactly one action',
      ],
      [
        'a payload with no action',
        formBody({ ...press(), actions: [] }),
        'payload.actions must hold exactly one action',
      ],
      [
        'an unknown action_id',
        formBody(press({ action: 'lifeboat_maybe' })),
        "action lifeboat_maybe is not Lifeboat's",
      ],
      [
        'an approval id in capitals',
        formBody(press({ approvalId: 'STEP000001' })),
        'the action value is not an approval id',
      ],
      [
        'an approval id too long',
        formBody(press({ approvalId: 'step0000012' })),
        'the action value is not an approval id',
      ],
      [
        'an approval id that is a path',
        formBody(press({ approvalId: '../../etc1' })),
        'the action value is not an approval id',
      ],
    ])('answers 400 to %s', async (_, body, reason) => {
      await expectRefused(slackRequest(body), 400, reason, signed);
    });

    it('answers 400 to an action whose value is not a string', async () => {
      const payload = press();
      (payload.actions as { value: unknown }[])[0]!.value = 42;

      await expectRefused(
        slackRequest(formBody(payload)),
        400,
        'the action value is not an approval id',
        signed,
      );
    });
  });

  describe('refusals of who and where', () => {
    it('answers 403 to a user not on the approver list', async () => {
      const verdict = await expectRefused(
        slackRequest(formBody(press({ user: 'U0STRANGER1' }))),
        403,
        'U0STRANGER1 is not on the approver list',
        { signatureValid: true, userAllowed: false, user: 'U0STRANGER1', approvalId: STEP_ID },
      );
      expect(verdict.reason).toBeDefined();
    });

    it('answers 403 to a press in another channel', async () => {
      await expectRefused(
        slackRequest(formBody(press({ channel: 'C0OTHERCHAN' }))),
        403,
        'channel C0OTHERCHAN is not the configured channel',
        { signatureValid: true, userAllowed: false },
      );
    });

    it('answers 403 to a press that names no channel', async () => {
      const payload = without(press(), 'channel', 'container');

      await expectRefused(
        slackRequest(formBody(payload)),
        403,
        'channel undefined is not the configured channel',
      );
    });

    it('answers 403 to an approval it does not hold', async () => {
      await expectRefused(
        slackRequest(formBody(press({ approvalId: 'zzzzzzzzzz' }))),
        403,
        'no such approval',
        {
          signatureValid: true,
          userAllowed: true,
          approvalId: 'zzzzzzzzzz',
        },
      );
      await expect(approvals.get('zzzzzzzzzz')).resolves.toBeUndefined();
    });
  });
});
