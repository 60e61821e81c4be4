import { AsyncLocalStorage } from 'node:async_hooks';
import type { Report, ReportExecution } from '../../../local/report/Report.ts';
import {
  buttonPressPayload,
  deliverSlackRequest,
  LOCAL_SIGNING_SECRET,
  signedSlackRequest,
} from '../../../local/simulate/localSlack.ts';
import type { SimulationContext } from '../../../local/simulate/Simulation.ts';
import { isMutating } from '../../../local/world/mutatingOperations.ts';
import type { SimulatedService } from '../../../local/world/services.ts';
import { stepApprovalId } from '../../../shared/approval/ApprovalSteps.ts';
import type { ApprovalRecord } from '../../../shared/ports/Approvals.ts';
import { buttonsOf } from '../../../shared/slack/messages.ts';
import type { CallbackRequest, CallbackVerdict } from '../../../shared/slack/SlackCallback.ts';
import { failedOverAndRecovered, MATRIX_LATENCY, matrixConfig } from './matrix.ts';
import { rehearseObserved, type ObservedCall } from './observed.ts';

/** The approval a request aims at, as its Slack message shows it, and when the request is sent. */
export interface PressTarget {
  readonly approvalId: string;
  readonly messageTs: string;
  /** The configured approval channel. */
  readonly channel: string;
  /** The virtual now in epoch seconds: the timestamp Slack puts on a request it sends now. */
  readonly nowSeconds: number;
}

/** One request to the callback endpoint, sent at a chosen time while (or after) the approval waits. */
export interface SlackShot {
  readonly label: string;
  /** Seconds after `from` (shots at the same time are sent at once). */
  readonly after: number;
  /**
   * `asked` (the default): when the approval message was seen on Slack; `timeout`: when the waiting
   * task's own timeout ends its wait (the state's entry plus the approval timeout; for an ask that
   * was not retried).
   */
  readonly from?: 'asked' | 'timeout';
  /** The request, given the approval and the requests sent before it (by label), for replays. */
  readonly request: (target: PressTarget, sent: ReadonlyMap<string, CallbackRequest>) => CallbackRequest;
}

/** A SendTaskSuccess or SendTaskFailure that reached Step Functions (the local runner). */
export interface TaskDelivery {
  readonly at: number;
  readonly kind: 'success' | 'failure';
  /** The shot whose request made it (undefined: nothing the test sent). */
  readonly shot: string | undefined;
  /** Whether the task was still waiting for it. */
  readonly accepted: boolean;
}

export interface ShotResult {
  readonly label: string;
  readonly at: number;
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly verdict: CallbackVerdict;
  /** The world calls the callback made while handling it (not the calls of a workflow it resumed). */
  readonly calls: readonly { service: SimulatedService; operation: string; mutating: boolean }[];
  readonly deliveries: readonly TaskDelivery[];
  /** The approval record as the request left it. */
  readonly approvalAfter: ApprovalRecord | undefined;
}

export interface SlackAbuseRun {
  readonly report: Report;
  readonly calls: readonly ObservedCall[];
  /** The run that asked on Slack. */
  readonly execution: ReportExecution;
  readonly approvalId: string;
  /** When the approval message was seen on Slack. */
  readonly askedAt: number;
  /** The approval message's text as posted (it states until when the approval is open). */
  readonly question: string;
  readonly shots: readonly ShotResult[];
  /** Every SendTaskSuccess/SendTaskFailure of the run, whoever made it. */
  readonly deliveries: readonly TaskDelivery[];
  /** The approval record when the scenario ended. */
  readonly approval: ApprovalRecord | undefined;
}

/**
 * The two workflows that wait on Slack, each in a scenario that makes it ask: the failback of the
 * fault matrix (started from the console after the failover and the source's return; the failback
 * always asks), and the failover when every standby's replica lags past the automatic budget (a
 * standby within it would be chosen without asking). `askBy`
 * is a bound on when the question is posted; a run that has not asked by then is an error.
 */
const SCENARIOS = {
  failback: {
    askBy: 1400,
    events: [
      ...failedOverAndRecovered('slack abuse'),
      {
        at: 1000,
        start: 'failback',
        input: { application: 'ai-gateway', targetRegion: 'us-west-2', reason: 'slack abuse' },
      },
    ],
    config: matrixConfig,
    latency: MATRIX_LATENCY,
  },
  failover: {
    askBy: 400,
    events: [
      { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 45 },
      { at: 0, fault: 'replica-lag', region: 'eu-west-1', seconds: 50 },
      { at: 0, fault: 'region-outage', region: 'us-east-1' },
      // Route 53's control plane (us-east-1) back, so that an approved failover can finish.
      { at: 1200, recover: 'region-outage', region: 'us-east-1' },
    ],
    config: () => undefined,
    latency: {},
  },
} as const;

/** How long an approval waits here (the config's least is 60 s): long enough for every shot. */
export const APPROVAL_TIMEOUT_SECONDS = 900;

/** A button press as Slack sends it: `choice` by `user`, signed (by default correctly, now). */
export function press(
  target: PressTarget,
  options: {
    readonly user: string;
    readonly choice: 'approve' | 'reject';
    readonly channel?: string;
    readonly timestamp?: number;
    readonly secret?: string;
  },
): CallbackRequest & { headers: Record<string, string>; body: string } {
  return signedSlackRequest({
    payload: buttonPressPayload({
      user: options.user,
      choice: options.choice,
      approvalId: target.approvalId,
      messageTs: target.messageTs,
      channel: options.channel ?? target.channel,
    }),
    timestamp: options.timestamp ?? target.nowSeconds,
    secret: options.secret ?? LOCAL_SIGNING_SECRET,
  });
}

/**
 * Runs `workflow`'s scenario on the real ASL over the simulated world and, once its approval is on
 * Slack, sends each shot to the local callback endpoint (the same `handleSlackCallback` the runtime
 * wires) at its time. Records what each request was answered and what it caused: its world calls,
 * its SendTask* calls to the runner, and the approval record after it. Runs on for `runFor` seconds
 * after `askBy`.
 */
export async function rehearseSlackAbuse(options: {
  readonly workflow: 'failback' | 'failover';
  readonly shots: readonly SlackShot[];
  readonly runFor: number;
  /** More scenario events (a Slack outage, say), besides the workflow's own. */
  readonly events?: readonly Record<string, unknown>[];
  /** A later bound on the question than the scenario's own (when those events delay it). */
  readonly askBy?: number;
}): Promise<SlackAbuseRun> {
  const scenario = SCENARIOS[options.workflow];
  const askBy = options.askBy ?? scenario.askBy;
  const until = askBy + options.runFor;
  const sending = new AsyncLocalStorage<{
    label: string;
    calls: { service: SimulatedService; operation: string; mutating: boolean }[];
    deliveries: TaskDelivery[];
  }>();
  const deliveries: TaskDelivery[] = [];
  const results: ShotResult[] = [];
  const errors: string[] = [];
  const asked: {
    at?: number;
    approvalId?: string;
    question?: string;
    approval?: ApprovalRecord | undefined;
  } = {};

  const setup = (context: SimulationContext): void => {
    const { clock, world, approvals } = context;
    const runner = context.runner();

    // Every task-token delivery to the runner, with the shot that made it.
    const delivered = (kind: TaskDelivery['kind'], send: () => void): void => {
      const shot = sending.getStore();
      const record = (accepted: boolean): void => {
        const delivery = { at: clock.seconds, kind, shot: shot?.label, accepted };
        deliveries.push(delivery);
        shot?.deliveries.push(delivery);
      };
      try {
        send();
      } catch (error) {
        record(false);
        throw error;
      }
      record(true);
    };
    const success = runner.sendTaskSuccess.bind(runner);
    const failure = runner.sendTaskFailure.bind(runner);
    runner.sendTaskSuccess = (token, output) => {
      delivered('success', () => {
        success(token, output);
      });
    };
    runner.sendTaskFailure = (token, error, cause) => {
      delivered('failure', () => {
        failure(token, error, cause);
      });
    };

    // Every world call a request's handling makes (the fault registry sees them all).
    const registry = world.faults;
    const check = registry.check.bind(registry);
    registry.check = (service, operation, region) => {
      sending.getStore()?.calls.push({ service, operation, mutating: isMutating(service, operation) });
      check(service, operation, region);
    };

    const fire = (shot: SlackShot, target: () => PressTarget, sent: Map<string, CallbackRequest>): void => {
      const request = shot.request(target(), sent);
      sent.set(shot.label, request);
      const store = { label: shot.label, calls: [], deliveries: [] };
      const at = clock.seconds;
      void sending
        .run(store, async () => {
          const { response, verdict } = await deliverSlackRequest(context, {
            headers: Object.fromEntries(
              Object.entries(request.headers ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
            ),
            body: request.body ?? '',
            ...(request.isBase64Encoded === undefined ? {} : { isBase64Encoded: request.isBase64Encoded }),
          });
          results.push({
            label: shot.label,
            at,
            statusCode: response.statusCode,
            headers: response.headers,
            body: response.body,
            verdict,
            calls: store.calls,
            deliveries: store.deliveries,
            approvalAfter: await approvals.get(target().approvalId),
          });
        })
        .catch((error: unknown) => {
          errors.push(`${shot.label}: ${(error as Error).message}`);
        });
    };

    // Waits for the approval message of the workflow's run, then schedules the shots from there.
    const watch = clock.every(1, 1, () => {
      const run = runner.executions.find((e) => e.workflow === options.workflow);
      if (run === undefined || !run.states.some((s) => s.name === 'RequestApproval')) return;
      const approvalId = stepApprovalId(run.name, 'RequestApproval');
      const message = world.slack.find((m) => buttonsOf(m.blocks)?.approvalId === approvalId);
      if (message === undefined) return;
      watch.cancel();
      const timesOut =
        (run.states.filter((s) => s.name === 'RequestApproval').at(-1)?.enteredAt ?? 0) +
        APPROVAL_TIMEOUT_SECONDS;
      asked.at = clock.seconds;
      asked.approvalId = approvalId;
      asked.question = message.text;
      const target = (): PressTarget => ({
        approvalId,
        messageTs: message.ts,
        channel: context.scenario.config.slack.channelId,
        nowSeconds: clock.now().getTime() / 1000,
      });
      const sent = new Map<string, CallbackRequest>();
      for (const shot of options.shots) {
        clock.schedule((shot.from === 'timeout' ? timesOut : clock.seconds) + shot.after, () => {
          fire(shot, target, sent);
        });
      }
    });
    clock.schedule(until - 1, () => {
      if (asked.approvalId === undefined) return;
      void approvals.get(asked.approvalId).then((approval) => {
        asked.approval = approval;
      });
    });
  };

  const { report, calls } = await rehearseObserved({
    // A run that ends before an event of its scenario (the failover's recovery) goes without it.
    events: [...scenario.events.filter((e) => e.at < until), ...(options.events ?? [])],
    until,
    config: (doc) => {
      scenario.config(doc);
      (doc.slack as { approvalTimeoutSeconds: number }).approvalTimeoutSeconds = APPROVAL_TIMEOUT_SECONDS;
    },
    latency: scenario.latency,
    setup,
  });
  if (asked.at === undefined || asked.approvalId === undefined || asked.at > askBy)
    throw new Error(`the ${options.workflow} did not ask on Slack by ${askBy} s`);
  if (errors.length > 0) throw new Error(`the callback failed: ${errors.join('; ')}`);
  if (results.length !== options.shots.length)
    throw new Error(`${results.length} of ${options.shots.length} requests were answered by ${until} s`);
  const [execution, ...more] = report.executions.filter((e) => e.workflow === options.workflow);
  if (execution === undefined || more.length > 0)
    throw new Error(
      `expected one ${options.workflow} run, got ${more.length + (execution === undefined ? 0 : 1)}`,
    );
  return {
    report,
    calls,
    execution,
    approvalId: asked.approvalId,
    askedAt: asked.at,
    question: asked.question ?? '',
    shots: results,
    deliveries,
    approval: asked.approval,
  };
}
