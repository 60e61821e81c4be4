import { createHash } from 'node:crypto';
import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { ApprovalNotPostedError, InvalidInputError, SlackUnavailableError } from '../errors.ts';
import type { ApprovalStore } from '../ports/Approvals.ts';
import type { Clock } from '../ports/Clock.ts';
import type { NotifierPort } from '../ports/Estate.ts';
import type { Ledger } from '../ports/Ledger.ts';
import { approvalBlocks, approvalText, outcomeBlocks } from '../slack/messages.ts';
import type { MovingWorkflow } from '../ports/Estate.ts';

export interface ApprovalDeps {
  readonly config: LifeboatConfig;
  readonly approvals: ApprovalStore;
  readonly notifier: NotifierPort;
  readonly ledger: Ledger;
  readonly clock: Clock;
}

/** A short, opaque id derived from what it stands for, so a retried step finds its own approval. */
export function approvalId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 10);
}

/** The approval id of one waiting state of one execution. */
export function stepApprovalId(executionName: string, stateName: string): string {
  return approvalId(`step:${executionName}:${stateName}`);
}

/**
 * Step Functions starts the waiting task's timeout when it invokes the step, a moment before the step
 * reads the clock: the approval closes this long before `now + approvalTimeoutSeconds`, so that no
 * decision counts (and no approval record names a decider) once the task has stopped waiting.
 */
export const DEADLINE_MARGIN_SECONDS = 30;

// Planning figures for the estimate on the message (the latency model's sources say where each is from).
const RDS_PROMOTION_SECONDS = 300;
const AURORA_SWITCH_SECONDS = 60;
/** CloudNativePG: a promotion (30 s), and for a planned switch the demotion before it (60 s). */
const CNPG_PROMOTION_SECONDS = 30;
const CNPG_DEMOTION_SECONDS = 60;
const INSYNC_SECONDS = 60;

/** How an approval's question names each move: "Fail over ai-gateway to us-west-2?". */
const MOVE_VERB: Readonly<Record<MovingWorkflow, string>> = {
  failover: 'Fail over',
  failback: 'Fail back',
  switchover: 'Switch over',
};

/** A rough duration of the workflow for the message: what a person weighs before pressing Approve. */
export function estimateSeconds(
  app: ApplicationConfig,
  workflow: MovingWorkflow | 'drain',
  steps = app.dns.failback.steps.length,
): number {
  const engine = app.database.engine;
  const database =
    engine === 'aurora-global'
      ? AURORA_SWITCH_SECONDS
      : engine === 'cloudnativepg'
        ? CNPG_PROMOTION_SECONDS + (workflow === 'failover' ? 0 : CNPG_DEMOTION_SECONDS)
        : RDS_PROMOTION_SECONDS;
  if (workflow === 'failover') return database + INSYNC_SECONDS + app.dns.ttlSeconds;
  // A drain: the capacity's pods (about two minutes), then each step's change and bake.
  if (workflow === 'drain') return 120 + steps * (INSYNC_SECONDS + app.dns.failback.bakeSeconds);
  return steps * (INSYNC_SECONDS + app.dns.failback.bakeSeconds) + app.dns.ttlSeconds + database;
}

function minutes(seconds: number): string {
  return seconds < 120 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}

interface Check {
  readonly check?: string;
  readonly detail?: string;
}

export interface ApprovalRequestPayload {
  readonly taskToken: string;
  readonly workflow: MovingWorkflow | 'drain';
  readonly executionName: string;
  readonly stateName: string;
  readonly request: {
    readonly application: string;
    readonly targetRegion: string;
    readonly sourceRegion?: string;
    /** A drain's: what it does to which region, and in how many steps. */
    readonly action?: 'drain' | 'undrain';
    readonly region?: string;
    readonly steps?: readonly number[];
  };
  /** When the run began (its ledger key), to say in the ledger that it waits for Slack. */
  readonly startedAt?: string;
  readonly why: readonly string[];
  readonly plan: readonly string[];
  /** The preflight's checks: each becomes a fact on the message. */
  readonly checks?: readonly (Check | null)[];
}

/**
 * The approval step: a `.waitForTaskToken` task any workflow can use. The token goes into the ledger
 * table under a short id; the message carries the id, what will happen, why, and the measured facts.
 */
export class ApprovalSteps {
  private readonly deps: ApprovalDeps;

  constructor(deps: ApprovalDeps) {
    this.deps = deps;
  }

  private app(name: string): ApplicationConfig {
    const app = this.deps.config.applications.find((a) => a.name === name);
    if (app === undefined) throw new InvalidInputError([`application: no application named "${name}"`]);
    return app;
  }

  /** RequestApproval: stores the token, posts the message once (a retry reuses both), and returns; the task then waits. */
  async requestApproval(payload: ApprovalRequestPayload): Promise<{ approvalId: string; posted: boolean }> {
    const { deps } = this;
    const app = this.app(payload.request.application);
    const id = stepApprovalId(payload.executionName, payload.stateName);
    const now = deps.clock.now();
    const expiresAt = new Date(
      now.getTime() + (deps.config.slack.approvalTimeoutSeconds - DEADLINE_MARGIN_SECONDS) * 1000,
    ).toISOString();
    const { request } = payload;
    const title =
      payload.workflow === 'drain'
        ? request.action === 'undrain'
          ? `Bring ${String(request.region)} back into ${app.name}'s answers (undrain)?`
          : `Drain ${String(request.region)} out of ${app.name}'s answers?`
        : `${MOVE_VERB[payload.workflow]} ${app.name} to ${request.targetRegion}?`;
    const facts: [string, string][] = [
      ...(payload.request.sourceRegion === undefined
        ? []
        : [['Serving now', payload.request.sourceRegion] as [string, string]]),
      ...(payload.checks ?? [])
        .filter((c): c is Check => c !== null && typeof c.check === 'string')
        .map((c) => [c.check ?? '', c.detail ?? ''] as [string, string]),
      [
        payload.workflow === 'failover' ? 'Estimated RTO' : 'Estimated duration',
        `${minutes(estimateSeconds(app, payload.workflow, request.steps?.length))} (target RTO ${minutes(app.targets.rtoSeconds)})`,
      ],
    ];
    const message = {
      approvalId: id,
      title,
      why: payload.why.filter((w) => w !== '').join('; ') || 'a person must decide',
      facts,
      plan: payload.plan,
      expiresAt,
    };
    const summary = `*${title}* (${payload.executionName}) ${message.why}`;
    const { created, approval } = await deps.approvals.create({
      id,
      kind: 'step',
      application: app.name,
      workflow: payload.workflow,
      targetRegion: payload.request.targetRegion,
      executionName: payload.executionName,
      taskToken: payload.taskToken,
      channel: deps.config.slack.channelId,
      summary,
      status: 'PENDING',
      createdAt: now.toISOString(),
      expiresAt,
    });
    // A retried task waits on a new token, for its own timeout: the decision must reach that token,
    // and a question not yet posted (Slack refused it) is open for as long as the message now says.
    const newToken = !created && approval.taskToken !== payload.taskToken;
    const unposted = !created && approval.messageTs === undefined && approval.status === 'PENDING';
    if (newToken || unposted) {
      await deps.approvals.attach(id, {
        ...(newToken ? { taskToken: payload.taskToken } : {}),
        ...(unposted ? { expiresAt } : {}),
      });
    }
    if (approval.messageTs !== undefined) return { approvalId: id, posted: true };
    let ts: string;
    try {
      ts = await deps.notifier.post(approvalText(message), approvalBlocks(message));
    } catch (error) {
      const why = `Slack did not take the approval request for ${payload.executionName}: ${(error as Error).message}`;
      if (deps.config.slack.whenSlackIsDown === 'fail')
        throw new ApprovalNotPostedError(why, { cause: error });
      if (payload.startedAt !== undefined) {
        await deps.ledger.putRun({
          application: app.name,
          kind: payload.workflow,
          executionName: payload.executionName,
          startedAt: payload.startedAt,
          status: 'RUNNING',
          reason: `waiting for Slack to take the approval request (retried every minute, for up to an hour); nothing has moved: ${why}`,
        });
      }
      throw new SlackUnavailableError(why, { cause: error });
    }
    await deps.approvals.attach(id, { messageTs: ts });
    return { approvalId: id, posted: true };
  }

  /**
   * CloseApproval: after the wait ended without a decision (it timed out, or the run failed), closes
   * the approval so a late press counts for nothing, and says on the message how it ended.
   */
  async closeApproval(payload: {
    readonly executionName: string;
    readonly stateName: string;
    readonly outcome: 'TIMED_OUT' | 'CANCELLED';
    readonly text: string;
  }): Promise<{ closed: boolean }> {
    const { deps } = this;
    const id = stepApprovalId(payload.executionName, payload.stateName);
    const closed = await deps.approvals.close(id, payload.outcome, deps.clock.now());
    if (!closed) return { closed: false };
    const approval = await deps.approvals.get(id);
    if (approval?.messageTs !== undefined) {
      const outcome = `:hourglass: ${payload.text}`;
      await deps.notifier.update(
        approval.messageTs,
        `${approval.summary}\n${outcome}`,
        outcomeBlocks(approval.summary, outcome),
      );
    }
    return { closed: true };
  }

  /**
   * ClaimOffer: a failback started by approving its Slack offer stands on that approval. It must be
   * an approved offer for this application and region, and it counts for one execution only.
   */
  async claimOffer(payload: {
    readonly request: {
      readonly application: string;
      readonly targetRegion: string;
      readonly offerApprovalId?: string;
    };
    readonly executionName: string;
  }): Promise<{ approved: true; by: string; approvalId: string; messageTs?: string }> {
    const id = payload.request.offerApprovalId ?? '';
    const offer = await this.deps.approvals.get(id);
    const problem =
      offer === undefined
        ? 'no such offer'
        : offer.kind !== 'offer'
          ? 'it is not a failback offer'
          : offer.application !== payload.request.application ||
              offer.targetRegion !== payload.request.targetRegion
            ? `it offered ${offer.application} back to ${offer.targetRegion}`
            : offer.status !== 'APPROVED'
              ? `it is ${offer.status}`
              : undefined;
    if (problem === undefined && (await this.deps.approvals.consume(id, payload.executionName))) {
      // The offer's message is where the run's later messages reply.
      return {
        approved: true,
        by: offer?.decidedBy ?? 'unknown',
        approvalId: id,
        ...(offer?.messageTs === undefined ? {} : { messageTs: offer.messageTs }),
      };
    }
    throw new InvalidInputError([
      `offerApprovalId: ${id} is not an approved failback offer this run can use (${problem ?? `another run, ${String(offer?.consumedBy)}, used it`}); start without it to ask for approval on Slack`,
    ]);
  }
}

export const APPROVAL_OPERATIONS = ['requestApproval', 'closeApproval', 'claimOffer'] as const;
