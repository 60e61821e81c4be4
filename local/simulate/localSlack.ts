import { APPROVE_ACTION, buttonsOf, REJECT_ACTION } from '../../shared/slack/messages.ts';
import {
  handleSlackCallback,
  type CallbackResponse,
  type CallbackVerdict,
} from '../../shared/slack/SlackCallback.ts';
import { slackSignature } from '../../shared/slack/signature.ts';
import type { ApprovalStore } from '../../shared/ports/Approvals.ts';
import type { WorkflowControl } from '../../shared/ports/Workflows.ts';
import type { ScenarioEvent } from '../scenario/Scenario.ts';
import { worldEstate } from '../world/WorldEstate.ts';
import type { SimulationContext } from './Simulation.ts';

/** The signing secret of the simulated Slack app: the runtime signs every press with it. */
export const LOCAL_SIGNING_SECRET = 'lifeboat-local-signing-secret';

/** Step Functions' task-token and start APIs over the local runner (one runner stands for every region). */
export function localWorkflowControl(context: SimulationContext): WorkflowControl {
  const gone = (error: unknown): boolean => {
    const name = (error as { name?: unknown } | null)?.name;
    return name === 'TaskTimedOut' || name === 'TaskDoesNotExist' || name === 'InvalidToken';
  };
  return {
    sendTaskSuccess: async (_region, token, output) => {
      try {
        context.runner().sendTaskSuccess(token, output);
        return await Promise.resolve('delivered' as const);
      } catch (error) {
        if (gone(error)) return 'gone';
        throw error;
      }
    },
    sendTaskFailure: async (_region, token, error, cause) => {
      try {
        context.runner().sendTaskFailure(token, error, cause);
        return await Promise.resolve('delivered' as const);
      } catch (e) {
        if (gone(e)) return 'gone';
        throw e;
      }
    },
    start: (_region, workflow, name, input) => {
      const runner = context.runner();
      if (runner.executions.some((e) => e.name === name)) return Promise.resolve('already-started');
      runner.start(workflow, input, name);
      return Promise.resolve('started');
    },
  };
}

/** The block_actions payload Slack sends when `user` presses one of an approval message's buttons. */
export function buttonPressPayload(press: {
  readonly user: string;
  readonly choice: 'approve' | 'reject';
  readonly approvalId: string;
  readonly messageTs: string;
  readonly channel: string;
}): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: press.user },
    channel: { id: press.channel },
    container: { type: 'message', message_ts: press.messageTs, channel_id: press.channel },
    actions: [
      {
        action_id: press.choice === 'approve' ? APPROVE_ACTION : REJECT_ACTION,
        value: press.approvalId,
        type: 'button',
      },
    ],
  };
}

/** A request to the callback endpoint as Slack sends it: form-encoded, timestamped and signed. */
export function signedSlackRequest(options: {
  readonly payload: unknown;
  readonly timestamp: number;
  readonly secret: string;
}): { headers: Record<string, string>; body: string } {
  const body = `payload=${encodeURIComponent(JSON.stringify(options.payload))}`;
  const timestamp = String(Math.floor(options.timestamp));
  return {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(options.secret, timestamp, body),
    },
    body,
  };
}

/** Sends a request to the local callback endpoint and shows its verdict to the invariant checker. */
export async function deliverSlackRequest(
  context: SimulationContext,
  request: { headers: Record<string, string>; body: string; isBase64Encoded?: boolean },
): Promise<{ statusCode: number; verdict: CallbackVerdict; response: CallbackResponse }> {
  const { scenario, world, clock, approvals } = context;
  const { response, verdict } = await handleSlackCallback(request, {
    config: scenario.config,
    approvals,
    signingSecret: () => Promise.resolve(LOCAL_SIGNING_SECRET),
    workflows: localWorkflowControl(context),
    notifier: worldEstate(world, { channel: scenario.config.slack.channelId }).notifier,
    clock,
    log: () => undefined,
  });
  recordVerdict(context, verdict);
  return { statusCode: response.statusCode, verdict, response };
}

/**
 * A scenario's `approve` / `reject`: the named person presses the button on the newest message
 * still waiting for a decision on that workflow, through the same signed request and callback code
 * as on AWS.
 */
export async function pressSlackButton(
  event: Extract<ScenarioEvent, { kind: 'approve' | 'reject' }>,
  context: SimulationContext,
  /**
   * Sends the signed request to the callback endpoint; returns its status and the log lines the
   * endpoint wrote. By default the callback code runs in-process over the local workflow control.
   */
  deliver?: (request: ReturnType<typeof signedSlackRequest>) => Promise<{
    statusCode: number;
    log: readonly string[];
  }>,
  /** Where the approvals are read (the table the callback's region reads); the runtime's own by default. */
  approvals: ApprovalStore = context.approvals,
): Promise<void> {
  const { world, clock, scenario } = context;
  let pressed: { approvalId: string; ts: string } | undefined;
  for (const message of [...world.slack].reverse()) {
    const buttons = buttonsOf(message.blocks);
    if (buttons === undefined) continue;
    const approval = await clock.track(approvals.get(buttons.approvalId));
    if (approval?.status === 'PENDING' && approval.workflow === event.workflow) {
      pressed = { approvalId: buttons.approvalId, ts: message.ts };
      break;
    }
  }
  if (pressed === undefined) {
    world.timeline.push({
      at: clock.seconds,
      kind: 'slack',
      text: `${event.by} would ${event.kind} ${event.workflow}, but no approval is waiting`,
    });
    return;
  }
  const request = signedSlackRequest({
    payload: buttonPressPayload({
      user: event.by,
      choice: event.kind,
      approvalId: pressed.approvalId,
      messageTs: pressed.ts,
      channel: scenario.config.slack.channelId,
    }),
    timestamp: clock.now().getTime() / 1000,
    secret: LOCAL_SIGNING_SECRET,
  });
  const { statusCode, verdict } =
    deliver === undefined
      ? await deliverSlackRequest(context, request)
      : await deliverThrough(deliver, request, context);
  world.timeline.push({
    at: clock.seconds,
    kind: 'slack',
    text: `${event.by} pressed ${event.kind === 'approve' ? 'Approve' : 'Reject'} on ${event.workflow} approval ${pressed.approvalId}: ${statusCode} ${verdict.outcome}${verdict.reason === undefined ? '' : ` (${verdict.reason})`}`,
  });
}

/**
 * Delivers a press through `deliver` (the callback function behind its Function URL) and reads its
 * verdict from the function's own log line, as an operator would in CloudWatch Logs.
 */
async function deliverThrough(
  deliver: NonNullable<Parameters<typeof pressSlackButton>[2]>,
  request: ReturnType<typeof signedSlackRequest>,
  context: SimulationContext,
): Promise<{ statusCode: number; verdict: CallbackVerdict }> {
  const { statusCode, log } = await deliver(request);
  let verdict: CallbackVerdict | undefined;
  for (const line of log) {
    try {
      const entry = JSON.parse(line) as Partial<CallbackVerdict> & { message?: unknown };
      if (entry.message === 'slack request handled' || entry.message === 'slack request refused') {
        verdict = {
          outcome: entry.outcome ?? 'refused',
          ...(entry.reason === undefined ? {} : { reason: entry.reason }),
          ...(entry.approvalId === undefined ? {} : { approvalId: entry.approvalId }),
          ...(entry.user === undefined ? {} : { user: entry.user }),
          signatureValid: entry.signatureValid === true,
          timestampSkewSeconds: entry.timestampSkewSeconds ?? 0,
          userAllowed: entry.userAllowed === true,
          counted: entry.counted === true,
        };
      }
    } catch {
      // Not a structured line.
    }
  }
  verdict ??= {
    outcome: 'refused',
    reason: `the callback answered ${statusCode} without its log line`,
    signatureValid: false,
    timestampSkewSeconds: 0,
    userAllowed: false,
    counted: false,
  };
  recordVerdict(context, verdict);
  return { statusCode, verdict };
}

/** Shows a callback's verdict to the invariant checker (invariant 7). */
function recordVerdict(context: SimulationContext, verdict: CallbackVerdict): void {
  if (verdict.approvalId !== undefined && verdict.user !== undefined) {
    context.world.recordSlackDecision({
      approvalId: verdict.approvalId,
      user: verdict.user,
      counted: verdict.counted,
      signatureValid: verdict.signatureValid,
      timestampSkewSeconds: verdict.timestampSkewSeconds,
      userAllowed: verdict.userAllowed,
      duplicate: verdict.outcome === 'already-decided',
    });
  }
}
