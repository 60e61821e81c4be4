import * as z from 'zod/mini';
import { en } from 'zod/locales';
import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { didYouMean } from '../config/didYouMean.ts';
import { describeIssue } from '../config/issues.ts';
import { InvalidInputError } from '../errors.ts';
import { findApplication } from '../failover/FailoverInput.ts';

/**
 * The drain's input. From the console: `{ "application": "inference-api", "region": "us-east-1" }`
 * takes us-east-1 out of the application's answers in guarded steps; `"undrain": true` brings it
 * back. Optional `reason` and `dryRun`. docs/drain.md.
 */
z.config(en());

export const DrainInputSchema = z.strictObject({
  application: z.string().check(z.minLength(1)),
  region: z.string().check(z.minLength(1)),
  undrain: z.optional(z.boolean()),
  reason: z.optional(z.string().check(z.maxLength(500))),
  dryRun: z.optional(z.boolean()),
});

export type DrainAction = 'drain' | 'undrain';

/** The checked input: what every later step of the drain works from. */
export interface DrainRequest {
  readonly application: string;
  readonly action: DrainAction;
  /** The region drained, or brought back. */
  readonly region: string;
  /** The control-plane region the run runs in: its lock's and its steps' region. */
  readonly targetRegion: string;
  /**
   * The other regions that serve (weight above 0): they take the drained region's share, or give
   * part of theirs back. Their weights never change; only `region`'s does.
   */
  readonly remaining: readonly string[];
  /** Every record's weight when the run began. */
  readonly startWeights: Readonly<Record<string, number>>;
  /** `region`'s weight when every region serves (`activeActive.weights`). */
  readonly servingWeight: number;
  /** Percent of its serving weight `region` has after each step. */
  readonly steps: readonly number[];
  /** `region`'s weight after each step. */
  readonly stepWeights: readonly number[];
  readonly dryRun: boolean;
  readonly reason: string;
  readonly bakeSeconds: number;
  /** Whether the regions that take the share are scaled for it first (`activeActive.scaleRemaining`). */
  readonly scaleRemaining: boolean;
  readonly approval: 'slack' | 'none';
  /** Whether a drain moves the database writer out of the drained region (`activeActive.moveWriter`). */
  readonly moveWriter: boolean;
  readonly approvalTimeoutSeconds: number;
  /** The lock's lease while the run waits for its approval; renewed when it acts. */
  readonly lockLeaseSeconds: number;
}

/** Percent of the serving weight after each step of an undrain: the drain's steps climbed back to 100. */
export function undrainSteps(drainSteps: readonly number[]): number[] {
  return [...drainSteps]
    .reverse()
    .filter((p) => p > 0)
    .concat(100);
}

/** The application's active-active settings, or the problem a drain of it has. */
function activeActive(app: ApplicationConfig): NonNullable<ApplicationConfig['activeActive']> {
  if (app.activeActive === undefined) {
    throw new InvalidInputError([
      `application: ${app.name} is active-passive (its config has no activeActive): only its first region serves, so there is no share to drain; move it with a switchover (lifeboat-switchover), or a failover in an outage`,
    ]);
  }
  return app.activeActive;
}

/**
 * Checks the input against the config and the weights in force (`weights`, read from Route 53);
 * `region` is the control-plane region the check runs in.
 */
export function checkDrainInput(
  raw: unknown,
  config: LifeboatConfig,
  options: { readonly weights: Readonly<Record<string, number>>; readonly region: string },
): DrainRequest {
  const parsed = DrainInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidInputError(parsed.error.issues.flatMap((i) => describeIssue(i).split('\n')));
  }
  const input = parsed.data;
  const app = findApplication(config, input.application);
  if (app === undefined) {
    const names = config.applications.map((a) => a.name);
    throw new InvalidInputError([
      `application: no application named "${input.application}"; the config has ${names.join(', ')}${didYouMean(input.application, names)}`,
    ]);
  }
  const settings = activeActive(app);
  if (!app.regions.includes(input.region)) {
    throw new InvalidInputError([
      `region: ${input.region} is not a region of ${app.name} (${app.regions.join(', ')})${didYouMean(input.region, app.regions)}`,
    ]);
  }
  if (!app.regions.includes(options.region)) {
    // Its functions' grants cover the control planes of the application's own regions.
    throw new InvalidInputError([
      `region: a drain of ${app.name} runs in the control plane of one of its regions (${app.regions.join(', ')}); start it there, not in ${options.region}`,
    ]);
  }
  const action: DrainAction = input.undrain === true ? 'undrain' : 'drain';
  const weights = Object.fromEntries(app.regions.map((r) => [r, options.weights[r] ?? 0]));
  const now = weights[input.region] ?? 0;
  const servingWeight = settings.weights[input.region] ?? 0;
  const remaining = app.regions.filter((r) => r !== input.region && (weights[r] ?? 0) > 0);
  const shown = app.regions.map((r) => `${r} ${weights[r] ?? 0}`).join(', ');
  if (action === 'drain') {
    if (now === 0) {
      throw new InvalidInputError([
        `region: ${input.region} is already drained (weight 0; weights ${shown}); bring it back with "undrain": true`,
      ]);
    }
    if (remaining.length === 0) {
      throw new InvalidInputError([
        `region: ${input.region} is the only region of ${app.name} that serves (weights ${shown}); draining it would leave no region in the answers. Undrain another region first`,
      ]);
    }
  } else {
    if (servingWeight === 0) {
      throw new InvalidInputError([
        `region: ${input.region} does not serve ${app.name} when every region serves (activeActive.weights gives it 0); there is nothing to bring back`,
      ]);
    }
    if (now >= servingWeight) {
      throw new InvalidInputError([
        `region: ${input.region} already serves ${app.name} at its full weight ${servingWeight} (weights ${shown}); there is nothing to undrain`,
      ]);
    }
  }
  const percents = action === 'drain' ? settings.drainSteps : undrainSteps(settings.drainSteps);
  const steps: number[] = [];
  const stepWeights: number[] = [];
  // The last step (0, or 100) is always ahead of the weight now, which the checks above ensure.
  for (const percent of percents) {
    const weight = Math.round((servingWeight * percent) / 100);
    const ahead = action === 'drain' ? weight < now : weight > now;
    if (!ahead || stepWeights.at(-1) === weight) continue;
    steps.push(percent);
    stepWeights.push(weight);
  }
  const approvalTimeoutSeconds = config.slack.approvalTimeoutSeconds;
  return {
    application: app.name,
    action,
    region: input.region,
    targetRegion: options.region,
    remaining,
    startWeights: weights,
    servingWeight,
    steps,
    stepWeights,
    dryRun: input.dryRun === true,
    reason: input.reason ?? 'manual start',
    bakeSeconds: app.dns.failback.bakeSeconds,
    scaleRemaining: settings.scaleRemaining,
    approval: settings.approval,
    moveWriter: settings.moveWriter && action === 'drain',
    approvalTimeoutSeconds,
    // Waiting for Slack and the approval, then the capacity and the steps.
    lockLeaseSeconds: approvalTimeoutSeconds + 3600 + 3 * 3600,
  };
}
