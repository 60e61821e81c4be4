import * as z from 'zod/mini';
import { en } from 'zod/locales';
import type { LifeboatConfig } from '../config/LifeboatConfig.ts';
import { didYouMean } from '../config/didYouMean.ts';
import { describeIssue } from '../config/issues.ts';
import { InvalidInputError } from '../errors.ts';
import { findApplication } from '../failover/FailoverInput.ts';
import type { GuardedMove } from './guardedMove.ts';

/**
 * The failback's input. From the console: `{ "application": "ai-gateway", "targetRegion": "us-east-1" }`
 * (the region to return to) with optional `reason` and `dryRun`. An approved Slack offer starts it with
 * `offerApprovalId`, which stands for the approval.
 */
z.config(en());

const moveFields = {
  application: z.string().check(z.minLength(1)),
  targetRegion: z.string().check(z.minLength(1)),
  reason: z.optional(z.string().check(z.maxLength(500))),
  dryRun: z.optional(z.boolean()),
};

export const FailbackInputSchema = z.strictObject({
  ...moveFields,
  offerApprovalId: z.optional(
    z.string().check(z.regex(/^[a-z0-9]{10}$/, 'expected the 10-character id of an approved failback offer')),
  ),
});

/**
 * The switchover's input: `{ "application": "ai-gateway", "targetRegion": "us-west-2" }` (the standby
 * that takes the writer and the traffic), with optional `reason` and `dryRun`.
 */
export const SwitchoverInputSchema = z.strictObject(moveFields);

/**
 * A failed guarded move: the newest failback or switchover of the application that acted (not
 * skipped, stopped, declined or a dry run) ended FAILED, and no failover has begun since. Found in
 * the ledger by ValidateInput. A start of the same kind towards the same region finishes it; any
 * other guarded move is refused while traffic is still between its two regions, because the writer
 * may be in either.
 */
export interface FailbackResume {
  /** The failed run's kind. */
  readonly workflow: GuardedMove;
  /** How it ended: FAILED, or ABORTED or TIMED_OUT after it had moved something. */
  readonly ended?: string;
  /** The failed run this one finishes. */
  readonly executionName: string;
  readonly targetRegion: string;
  /** The region that failed run moved traffic from: this run's source too, whatever the weights say now. */
  readonly sourceRegion: string;
  /**
   * Whether the failed run had fenced the source for the writer's switch: the writer may already be
   * in the target, so the target's database is never renamed or rebuilt, and the shift is not redone.
   */
  readonly switchBegun: boolean;
  /** The target's percent at the last step the failed run set: where the shift resumes when Route 53's API cannot say. */
  readonly shiftedPercent: number;
}

/** The checked input: what every later step of the failback (or switchover) works from. */
export interface FailbackRequest {
  /**
   * Which of the two runs this is; the state machine's name says. Absent from a request checked
   * before the switchover existed (a run under way through an upgrade): a failback.
   */
  readonly workflow?: GuardedMove;
  /**
   * `slack`: nothing moves until an approver presses Approve (a failback always; a switchover unless
   * its application's `switchover.approval` is `none`); `none`: the start is the decision.
   */
  readonly approval: 'slack' | 'none';
  readonly application: string;
  /** The region that serves now, which traffic leaves. */
  readonly sourceRegion: string;
  /** The region traffic moves to: the old primary for a failback, a standby for a switchover. */
  readonly targetRegion: string;
  readonly dryRun: boolean;
  readonly reason: string;
  readonly offerApprovalId?: string;
  /** Percent of traffic on the target after each step, from the config. */
  readonly steps: readonly number[];
  /**
   * The step the shift starts at: 0, or for a run that finishes a failed one, the first step at or
   * above the target's weight now, which is set again, baked and guarded before the shift goes on.
   * Traffic never goes back a step on a restart (only a guard's breach rolls it back).
   */
  readonly firstStepIndex: number;
  /** The failed run this one finishes, if any. */
  readonly resumes?: FailbackResume;
  readonly bakeSeconds: number;
  /** How long clients keep the source's answers once weights are at 100: the TTL and a margin. */
  readonly drainSeconds: number;
  readonly approvalTimeoutSeconds: number;
  /** The lock's lease while the run waits for its approval; renewed when it acts. */
  readonly lockLeaseSeconds: number;
}

/**
 * An unfinished guarded move in words, with the commands that resolve it: the input check's refusal
 * of any other move, and `lifeboat status`'s line.
 */
export function unfinishedMoveText(application: string, unfinished: FailbackResume): string {
  const { workflow, targetRegion: target, sourceRegion: source } = unfinished;
  return `the ${workflow} ${unfinished.executionName} of ${application} to ${target} ended ${unfinished.ended ?? 'FAILED'} at its ${unfinished.shiftedPercent} % step towards ${target}, with the writer ${unfinished.switchBegun ? `switched, or switching, to ${target}` : `still in ${source}`}; finish it first: start the ${workflow} to ${target} again (lifeboat start ${workflow} --app ${application} --to ${target})${unfinished.switchBegun ? '' : `, or put the traffic back on ${source} by hand (lifeboat weights --app ${application} --set ${source}=100,${target}=0)`}`;
}

/** Margin over the TTL for resolvers that hold answers a little longer. */
const DRAIN_MARGIN_SECONDS = 15;

/**
 * Checks the input against the config; `currentPrimary` is the region serving now, `resumable` the
 * failed failback a start would finish (if the ledger has one) and `targetWeight` the target's
 * weight now (for where a finishing run's shift starts).
 */
export function checkFailbackInput(
  raw: unknown,
  config: LifeboatConfig,
  options: {
    /** Which run checks it. @default 'failback' */
    readonly workflow?: GuardedMove;
    readonly currentPrimary: string | undefined;
    readonly region?: string;
    readonly resumable?: FailbackResume | undefined;
    readonly targetWeight?: number | undefined;
  },
): FailbackRequest {
  const workflow = options.workflow ?? 'failback';
  const parsed = (workflow === 'switchover' ? SwitchoverInputSchema : FailbackInputSchema).safeParse(raw);
  if (!parsed.success) {
    throw new InvalidInputError(parsed.error.issues.flatMap((i) => describeIssue(i).split('\n')));
  }
  const input: z.infer<typeof FailbackInputSchema> = parsed.data;
  const app = findApplication(config, input.application);
  if (app === undefined) {
    throw new InvalidInputError([
      `application: no application named "${input.application}"; the config has ${config.applications.map((a) => a.name).join(', ')}${didYouMean(
        input.application,
        config.applications.map((a) => a.name),
      )}`,
    ]);
  }
  if (!app.regions.includes(input.targetRegion)) {
    throw new InvalidInputError([
      `targetRegion: ${input.targetRegion} is not a region of ${app.name} (${app.regions.join(', ')})${didYouMean(input.targetRegion, app.regions)}`,
    ]);
  }
  if (workflow === 'switchover' && app.activeActive !== undefined) {
    throw new InvalidInputError([
      `application: ${app.name} is active-active (every region serves); a switchover is for an active-passive application. Drain the region instead (lifeboat-drain; with activeActive.moveWriter the writer moves too)`,
    ]);
  }
  if (options.region !== undefined && input.targetRegion !== options.region) {
    throw new InvalidInputError([
      `targetRegion: a ${workflow} runs in the region it moves traffic to; start it from the ${input.targetRegion} console (this is ${options.region})`,
    ]);
  }
  const serving = options.currentPrimary ?? app.regions[0] ?? '';
  const failed = options.resumable;
  // A failed run is finished only while traffic is still between its two regions.
  const unfinished =
    failed !== undefined && (serving === failed.targetRegion || serving === failed.sourceRegion)
      ? failed
      : undefined;
  const resumes =
    unfinished?.workflow === workflow && unfinished.targetRegion === input.targetRegion
      ? unfinished
      : undefined;
  if (unfinished !== undefined && resumes === undefined) {
    // Its writer may still be in its source while most traffic is on its target: a move that took
    // the heavier region for the source would rebuild the live writer as a replica.
    throw new InvalidInputError([`targetRegion: ${unfinishedMoveText(app.name, unfinished)}`]);
  }
  const source = resumes?.sourceRegion ?? serving;
  if (source === input.targetRegion) {
    throw new InvalidInputError([
      workflow === 'switchover'
        ? `targetRegion: ${input.targetRegion} already serves ${app.name}; name the standby to move to (${app.regions.filter((r) => r !== source).join(', ')})`
        : `targetRegion: ${input.targetRegion} already serves ${app.name}; there is nothing to fail back`,
    ]);
  }
  const steps = app.dns.failback.steps;
  const above = steps.findIndex((p) => p >= (options.targetWeight ?? resumes?.shiftedPercent ?? 0));
  const firstStepIndex = resumes === undefined ? 0 : above === -1 ? steps.length - 1 : above;
  const approvalTimeoutSeconds = config.slack.approvalTimeoutSeconds;
  return {
    workflow,
    approval: workflow === 'switchover' ? (app.switchover?.approval ?? 'slack') : 'slack',
    application: app.name,
    sourceRegion: source,
    targetRegion: input.targetRegion,
    dryRun: input.dryRun === true,
    reason: input.reason ?? 'manual start',
    ...(input.offerApprovalId === undefined ? {} : { offerApprovalId: input.offerApprovalId }),
    steps,
    firstStepIndex,
    ...(resumes === undefined ? {} : { resumes }),
    bakeSeconds: app.dns.failback.bakeSeconds,
    drainSeconds: app.dns.ttlSeconds + DRAIN_MARGIN_SECONDS,
    approvalTimeoutSeconds,
    // Waiting for Slack (up to an hour) and for the approval, then preparing the replica.
    lockLeaseSeconds: approvalTimeoutSeconds + 3600 + 3 * 3600,
  };
}
