import * as z from 'zod/mini';
import { en } from 'zod/locales';
import type { LifeboatConfig } from '../config/LifeboatConfig.ts';
import { describeIssue } from '../config/issues.ts';
import { InvalidInputError } from '../errors.ts';
import { findApplication } from '../failover/FailoverInput.ts';

/**
 * The failback's input. From the console: `{ "application": "ai-gateway", "targetRegion": "us-east-1" }`
 * (the region to return to) with optional `reason` and `dryRun`. An approved Slack offer starts it with
 * `offerApprovalId`, which stands for the approval.
 */
z.config(en());

export const FailbackInputSchema = z.strictObject({
  application: z.string().check(z.minLength(1)),
  targetRegion: z.string().check(z.minLength(1)),
  reason: z.optional(z.string().check(z.maxLength(500))),
  dryRun: z.optional(z.boolean()),
  offerApprovalId: z.optional(
    z.string().check(z.regex(/^[a-z0-9]{10}$/, 'expected the 10-character id of an approved failback offer')),
  ),
});

/** The checked input: what every later step of the failback works from. */
export interface FailbackRequest {
  readonly application: string;
  /** The region that serves now, which traffic leaves. */
  readonly sourceRegion: string;
  /** The region traffic returns to (the old primary). */
  readonly targetRegion: string;
  readonly dryRun: boolean;
  readonly reason: string;
  readonly offerApprovalId?: string;
  /** Percent of traffic on the target after each step, from the config. */
  readonly steps: readonly number[];
  readonly bakeSeconds: number;
  /** How long clients keep the source's answers once weights are at 100: the TTL and a margin. */
  readonly drainSeconds: number;
  readonly approvalTimeoutSeconds: number;
  /** The lock's lease while the run waits for its approval; renewed when it acts. */
  readonly lockLeaseSeconds: number;
}

/** Margin over the TTL for resolvers that hold answers a little longer. */
const DRAIN_MARGIN_SECONDS = 15;

/** Checks the input against the config; `currentPrimary` is the region serving now. */
export function checkFailbackInput(
  raw: unknown,
  config: LifeboatConfig,
  options: { readonly currentPrimary: string | undefined; readonly region?: string },
): FailbackRequest {
  const parsed = FailbackInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidInputError(parsed.error.issues.flatMap((i) => describeIssue(i).split('\n')));
  }
  const input = parsed.data;
  const app = findApplication(config, input.application);
  if (app === undefined) {
    throw new InvalidInputError([
      `application: no application named "${input.application}"; the config has ${config.applications.map((a) => a.name).join(', ')}`,
    ]);
  }
  if (!app.regions.includes(input.targetRegion)) {
    throw new InvalidInputError([
      `targetRegion: ${input.targetRegion} is not a region of ${app.name} (${app.regions.join(', ')})`,
    ]);
  }
  if (options.region !== undefined && input.targetRegion !== options.region) {
    throw new InvalidInputError([
      `targetRegion: a failback runs in the region it returns traffic to; start it from the ${input.targetRegion} console (this is ${options.region})`,
    ]);
  }
  const source = options.currentPrimary ?? app.regions[0] ?? '';
  if (source === input.targetRegion) {
    throw new InvalidInputError([
      `targetRegion: ${input.targetRegion} already serves ${app.name}; there is nothing to fail back`,
    ]);
  }
  const approvalTimeoutSeconds = config.slack.approvalTimeoutSeconds;
  return {
    application: app.name,
    sourceRegion: source,
    targetRegion: input.targetRegion,
    dryRun: input.dryRun === true,
    reason: input.reason ?? 'manual start',
    ...(input.offerApprovalId === undefined ? {} : { offerApprovalId: input.offerApprovalId }),
    steps: app.dns.failback.steps,
    bakeSeconds: app.dns.failback.bakeSeconds,
    drainSeconds: app.dns.ttlSeconds + DRAIN_MARGIN_SECONDS,
    approvalTimeoutSeconds,
    // Waiting for Slack (up to an hour) and for the approval, then preparing the replica.
    lockLeaseSeconds: approvalTimeoutSeconds + 3600 + 3 * 3600,
  };
}
