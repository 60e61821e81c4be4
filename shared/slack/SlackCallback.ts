import type { LifeboatConfig } from '../config/LifeboatConfig.ts';
import type { ApprovalRecord, ApprovalStore } from '../ports/Approvals.ts';
import type { Clock } from '../ports/Clock.ts';
import type { NotifierPort } from '../ports/Estate.ts';
import type { WorkflowControl } from '../ports/Workflows.ts';
import { expireOffer } from '../failback/FailbackOffer.ts';
import { APPROVE_ACTION, outcomeBlocks, REJECT_ACTION } from './messages.ts';
import { verifySlackSignature } from './signature.ts';

/** Larger bodies are refused before anything is parsed; Slack's block_actions payloads are far smaller. */
export const MAX_BODY_BYTES = 128 * 1024;

const APPROVAL_ID = /^[a-z0-9]{10}$/;

/** Longer than one callback's run (its Lambda timeout): a younger claim is a delivery still under way. */
export const DELIVERY_CLAIM_SECONDS = 30;

/** An HTTP request as a Lambda Function URL (payload format 2.0) delivers it. */
export interface CallbackRequest {
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

export interface CallbackResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** How the endpoint judged one request: what the log line says and what invariant 7 is held to. */
export interface CallbackVerdict {
  readonly outcome: 'approved' | 'rejected' | 'already-decided' | 'closed' | 'refused';
  /** Why a request was refused or did nothing, for the log; never sent back. */
  readonly reason?: string;
  readonly approvalId?: string;
  readonly user?: string;
  readonly signatureValid: boolean;
  readonly timestampSkewSeconds: number;
  readonly userAllowed: boolean;
  /** Whether this request's decision counted (it was the first for its approval). */
  readonly counted: boolean;
}

export interface SlackCallbackDeps {
  readonly config: LifeboatConfig;
  readonly approvals: ApprovalStore;
  readonly signingSecret: () => Promise<string>;
  readonly workflows: WorkflowControl;
  readonly notifier: NotifierPort;
  readonly clock: Clock;
  readonly log: (message: string, fields: Record<string, unknown>) => void;
}

function respond(statusCode: number, body: string): CallbackResponse {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}

function header(request: CallbackRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers ?? {}))
    if (key.toLowerCase() === name) return value;
  return undefined;
}

interface Action {
  readonly user: string;
  readonly channel: string | undefined;
  readonly actionId: string;
  readonly approvalId: string;
}

/** The one button press a block_actions payload carries, or why it is not one. */
function parseAction(rawBody: string): Action | { readonly problem: string } {
  const form = new URLSearchParams(rawBody);
  const payloadText = form.get('payload');
  if (payloadText === null) return { problem: 'the form has no payload field' };
  let payload: unknown;
  try {
    payload = JSON.parse(payloadText);
  } catch {
    return { problem: 'payload is not JSON' };
  }
  const p = payload as {
    type?: unknown;
    user?: { id?: unknown };
    channel?: { id?: unknown };
    container?: { channel_id?: unknown };
    actions?: unknown;
  } | null;
  if (p === null || typeof p !== 'object') return { problem: 'payload is not an object' };
  if (p.type !== 'block_actions') return { problem: `payload type ${String(p.type)} is not block_actions` };
  const user = p.user?.id;
  if (typeof user !== 'string' || user === '') return { problem: 'payload.user.id is missing' };
  const channel = p.channel?.id ?? p.container?.channel_id;
  if (!Array.isArray(p.actions) || p.actions.length !== 1)
    return { problem: 'payload.actions must hold exactly one action' };
  const action = p.actions[0] as { action_id?: unknown; value?: unknown } | null;
  const actionId = action?.action_id;
  if (actionId !== APPROVE_ACTION && actionId !== REJECT_ACTION)
    return { problem: `action ${String(actionId)} is not Lifeboat's` };
  const approvalId = action?.value;
  if (typeof approvalId !== 'string' || !APPROVAL_ID.test(approvalId))
    return { problem: 'the action value is not an approval id' };
  return { user, channel: typeof channel === 'string' ? channel : undefined, actionId, approvalId };
}

/**
 * Slack's interactivity endpoint. Verifies the signature over the raw body and the timestamp window
 * before reading anything, accepts only the configured channel and approvers, counts a decision once
 * (a conditional write), resumes or starts the workflow, and updates the message. Every refusal is
 * logged with its reason and answered with a bare status: nothing that helps a forger.
 */
export async function handleSlackCallback(
  request: CallbackRequest,
  deps: SlackCallbackDeps,
): Promise<{ response: CallbackResponse; verdict: CallbackVerdict }> {
  const refused = (
    statusCode: number,
    reason: string,
    fields: Partial<CallbackVerdict> = {},
  ): { response: CallbackResponse; verdict: CallbackVerdict } => {
    const verdict: CallbackVerdict = {
      outcome: 'refused',
      reason,
      signatureValid: false,
      timestampSkewSeconds: 0,
      userAllowed: false,
      counted: false,
      ...fields,
    };
    deps.log('slack request refused', { ...verdict });
    const text = statusCode === 401 ? 'invalid request' : statusCode === 403 ? 'not allowed' : 'bad request';
    return { response: respond(statusCode, text), verdict };
  };

  const body = request.body ?? '';
  if (Buffer.byteLength(body) > MAX_BODY_BYTES * (request.isBase64Encoded === true ? 4 / 3 : 1) + 4)
    return refused(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
  const rawBody = request.isBase64Encoded === true ? Buffer.from(body, 'base64').toString('utf8') : body;
  if (Buffer.byteLength(rawBody) > MAX_BODY_BYTES)
    return refused(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
  const contentType = header(request, 'content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(contentType))
    return refused(415, `content type "${contentType}" is not application/x-www-form-urlencoded`);

  const now = deps.clock.now();
  const check = verifySlackSignature({
    signingSecret: await deps.signingSecret(),
    rawBody,
    timestamp: header(request, 'x-slack-request-timestamp'),
    signature: header(request, 'x-slack-signature'),
    now,
  });
  if (!check.ok) return refused(401, check.reason, { timestampSkewSeconds: check.skewSeconds ?? 0 });
  const signed = { signatureValid: true, timestampSkewSeconds: check.skewSeconds };

  const action = parseAction(rawBody);
  if ('problem' in action) return refused(400, action.problem, signed);
  const who = { approvalId: action.approvalId, user: action.user };
  if (action.channel !== deps.config.slack.channelId)
    return refused(403, `channel ${String(action.channel)} is not the configured channel`, {
      ...signed,
      ...who,
    });
  if (!deps.config.slack.approvers.includes(action.user))
    return refused(403, `${action.user} is not on the approver list`, { ...signed, ...who });

  const allowed = { ...signed, ...who, userAllowed: true };
  const status = action.actionId === APPROVE_ACTION ? 'APPROVED' : 'REJECTED';
  const result = await deps.approvals.decide(action.approvalId, { status, by: action.user, at: now });
  if (result.outcome === 'unknown') return refused(403, 'no such approval', allowed);

  const ok = (verdict: CallbackVerdict): { response: CallbackResponse; verdict: CallbackVerdict } => {
    deps.log('slack request handled', { ...verdict });
    return { response: respond(200, ''), verdict };
  };
  if (result.outcome === 'closed') {
    await answerClosed(result.approval, action.user, deps);
    return ok({
      ...allowed,
      outcome: 'closed',
      reason: `the approval is ${result.approval.status}`,
      counted: false,
    });
  }
  if (result.outcome === 'already-decided') {
    // Slack retries a request it got no answer to within three seconds; a decision recorded but not
    // yet delivered is delivered now, by the same request's retry (the same user and choice).
    const same = result.approval.decidedBy === action.user && result.approval.status === status;
    if (
      same &&
      result.approval.delivered !== true &&
      (await deps.approvals.claimDelivery(action.approvalId, now, DELIVERY_CLAIM_SECONDS))
    )
      await deliver(result.approval, deps);
    return ok({
      ...allowed,
      outcome: 'already-decided',
      reason: `already ${result.approval.status.toLowerCase()} by ${String(result.approval.decidedBy)}`,
      counted: false,
    });
  }
  await deliver(result.approval, deps);
  return ok({ ...allowed, outcome: status === 'APPROVED' ? 'approved' : 'rejected', counted: true });
}

/**
 * Delivers a counted decision under its claim; a delivery that fails gives the claim up, so Slack's
 * retry (or the next press) delivers it.
 */
async function deliver(approval: ApprovalRecord, deps: SlackCallbackDeps): Promise<void> {
  try {
    await deliverClaimed(approval, deps);
  } catch (error) {
    await deps.approvals.releaseDelivery(approval.id);
    throw error;
  }
}

/** Resumes (or, for an offer, starts) the workflow, then updates the message; a lost update is logged. */
async function deliverClaimed(approval: ApprovalRecord, deps: SlackCallbackDeps): Promise<void> {
  const approved = approval.status === 'APPROVED';
  const by = approval.decidedBy ?? 'unknown';
  let outcome: string;
  if (approval.kind === 'offer') {
    if (approved) {
      const name = `failback-${approval.application}-${approval.id}`;
      await deps.workflows.start(approval.targetRegion, 'failback', name, {
        application: approval.application,
        targetRegion: approval.targetRegion,
        reason: `failback offer ${approval.id} approved by ${by}`,
        offerApprovalId: approval.id,
      });
      outcome = `:white_check_mark: Approved by <@${by}>: failback ${name} started in ${approval.targetRegion}.`;
    } else {
      outcome = `:x: Rejected by <@${by}>: nothing moves. Lifeboat offers again if ${approval.targetRegion} stays healthy.`;
    }
  } else {
    const token = approval.taskToken;
    if (token === undefined) throw new Error(`approval ${approval.id} has no task token`);
    const sent = approved
      ? await deps.workflows.sendTaskSuccess(approval.targetRegion, token, {
          approved: true,
          approvalId: approval.id,
          by,
          at: approval.decidedAt,
          // The approval's message is where the run's later messages reply.
          ...(approval.messageTs === undefined ? {} : { messageTs: approval.messageTs }),
        })
      : await deps.workflows.sendTaskFailure(
          approval.targetRegion,
          token,
          'ApprovalRejected',
          `rejected by ${by} on Slack (approval ${approval.id})`,
        );
    outcome =
      sent === 'gone'
        ? `:hourglass: <@${by}> pressed ${approved ? 'Approve' : 'Reject'}, but ${String(approval.executionName)} had stopped waiting.`
        : approved
          ? `:white_check_mark: Approved by <@${by}> at ${String(approval.decidedAt)}: ${String(approval.executionName)} goes on.`
          : `:x: Rejected by <@${by}> at ${String(approval.decidedAt)}: ${String(approval.executionName)} ends and nothing moves.`;
  }
  await deps.approvals.markDelivered(approval.id);
  if (approval.messageTs !== undefined) {
    try {
      await deps.notifier.update(
        approval.messageTs,
        `${approval.summary}\n${outcome}`,
        outcomeBlocks(approval.summary, outcome),
      );
    } catch (error) {
      deps.log('slack message not updated', { approvalId: approval.id, error: (error as Error).message });
    }
  }
}

/**
 * Answers a press on a closed approval, to the presser alone: what closed it and, for an expired
 * offer, where the current offer is (or when the next comes). An offer still marked PENDING past its
 * deadline is expired here, as the next offer run would, so its buttons go at once. A lost answer is
 * logged: the press changed nothing either way.
 */
async function answerClosed(approval: ApprovalRecord, user: string, deps: SlackCallbackDeps): Promise<void> {
  let closed = approval;
  let text: string;
  try {
    if (approval.kind === 'offer') {
      const app = deps.config.applications.find((a) => a.name === approval.application);
      if (closed.status === 'PENDING') {
        closed = await expireOffer(closed, {
          approvals: deps.approvals,
          notifier: deps.notifier,
          clock: deps.clock,
          reofferAfterSeconds: app?.dns.failback.reofferAfterSeconds ?? 0,
        });
      }
      const now = deps.clock.now();
      const current = (await deps.approvals.listPending(100)).find(
        (a) =>
          a.kind === 'offer' &&
          a.id !== closed.id &&
          a.application === closed.application &&
          a.targetRegion === closed.targetRegion &&
          a.messageTs !== undefined &&
          new Date(a.expiresAt) > now,
      );
      const what = `This offer to fail ${closed.application} back to ${closed.targetRegion} (\`${closed.id}\`) is ${closed.status.toLowerCase()}: your press changed nothing.`;
      text =
        current !== undefined
          ? `${what} The current offer is \`${current.id}\`, posted ${current.createdAt} and open until ${current.expiresAt}: press its buttons instead.`
          : `${what} No offer is open now: while ${closed.targetRegion} stays healthy a new one is posted at a scheduled run; to fail back now, \`lifeboat start failback --app ${closed.application} --to ${closed.targetRegion}\`.`;
    } else {
      text = `This approval (\`${closed.id}\`) is ${closed.status.toLowerCase()}: ${String(closed.executionName)} no longer waits on it, and your press changed nothing.`;
    }
    await deps.notifier.postEphemeral(user, text);
  } catch (error) {
    deps.log('slack press on a closed approval not answered', {
      approvalId: approval.id,
      error: (error as Error).message,
    });
  }
}
