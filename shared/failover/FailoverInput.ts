import * as z from 'zod/mini';
import { en } from 'zod/locales';
import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { didYouMean } from '../config/didYouMean.ts';
import { describeIssue } from '../config/issues.ts';
import { InvalidInputError } from '../errors.ts';
import { findApplication, LOCK_LEASE_SECONDS, type FailoverRequest } from './FailoverRequest.ts';

export { findApplication, LOCK_LEASE_SECONDS, type FailoverRequest } from './FailoverRequest.ts';

// zod/mini (about 25 KB bundled, against 450 KB for the full API) loads no messages of its own: the
// English ones make its issues read exactly as the full API's, so bad input gets the same errors.
z.config(en());

/**
 * The failover's input. From the console: `{ "application": "ai-gateway", "targetRegion": "us-west-2" }`
 * with optional `reason`, `dryRun` and `force`. The trigger adds `mode: "automatic"`, the failing
 * `sourceRegion` and the `incident` that started it.
 */

export const FailoverInputSchema = z.strictObject({
  application: z.string().check(z.minLength(1)),
  targetRegion: z.string().check(z.minLength(1)),
  reason: z.optional(z.string().check(z.maxLength(500))),
  /** Run every check and say what would be done, changing nothing. */
  dryRun: z.optional(z.boolean()),
  /** Move traffic even when the target's health check fails; a person must ask for it. */
  force: z.optional(z.boolean()),
  mode: z.optional(z.enum(['manual', 'automatic'])),
  sourceRegion: z.optional(z.string().check(z.minLength(1))),
  incident: z.optional(
    z.strictObject({
      /** When the first signal went to ALARM (ISO-8601): the confirmation window runs from here. */
      startedAt: z.iso.datetime(),
      /**
       * Where the failure began as detection saw it (ISO-8601): the earliest breaching datapoint of
       * the signals in ALARM. The run's RTO is measured from here; from `startedAt` when absent.
       */
      failingSince: z.optional(z.iso.datetime()),
      signals: z.array(z.string()).check(z.maxLength(50)),
    }),
  ),
});

export type FailoverInput = z.output<typeof FailoverInputSchema>;

/**
 * Checks the input's shape and its meaning against the config. Throws `InvalidInputError` listing
 * every problem; `currentPrimary` is the region that serves the application now.
 */
export function checkFailoverInput(
  raw: unknown,
  config: LifeboatConfig,
  options: {
    readonly now: Date;
    readonly currentPrimary: (app: ApplicationConfig) => string;
    /** The region this control plane runs in; a failover must run in the region it moves traffic to. */
    readonly region?: string;
  },
): FailoverRequest {
  const parsed = FailoverInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidInputError(parsed.error.issues.flatMap((i) => describeIssue(i).split('\n')));
  }
  const input = parsed.data;
  const problems: string[] = [];
  const app = findApplication(config, input.application);
  if (app === undefined) {
    throw new InvalidInputError([
      `application: no application named "${input.application}"; the config has ${config.applications.map((a) => a.name).join(', ')}${didYouMean(
        input.application,
        config.applications.map((a) => a.name),
      )}`,
    ]);
  }
  const mode = input.mode ?? 'manual';
  if (!app.regions.includes(input.targetRegion)) {
    problems.push(
      `targetRegion: ${input.targetRegion} is not a region of ${app.name} (${app.regions.join(', ')})${didYouMean(input.targetRegion, app.regions)}`,
    );
  }
  if (input.sourceRegion !== undefined && !app.regions.includes(input.sourceRegion)) {
    problems.push(
      `sourceRegion: ${input.sourceRegion} is not a region of ${app.name} (${app.regions.join(', ')})${didYouMean(input.sourceRegion, app.regions)}`,
    );
  }
  if (
    options.region !== undefined &&
    app.regions.includes(input.targetRegion) &&
    input.targetRegion !== options.region
  ) {
    problems.push(
      `targetRegion: a failover runs in the region it moves traffic to; start it from the ${input.targetRegion} console (this is ${options.region})`,
    );
  }
  if (input.force === true && mode === 'automatic') {
    problems.push(
      'force: an automatic failover cannot force traffic onto an unhealthy region; only a person can',
    );
  }
  if (mode === 'automatic' && input.incident === undefined) {
    problems.push('incident: an automatic failover needs the incident that started it');
  }
  const failingSince = input.incident?.failingSince;
  if (failingSince !== undefined && input.incident !== undefined && failingSince > input.incident.startedAt) {
    problems.push(
      `incident.failingSince: ${failingSince} is after incident.startedAt (${input.incident.startedAt}); the failure begins before its alarm`,
    );
  }
  if (problems.length > 0) throw new InvalidInputError(problems);

  const sourceRegion = input.sourceRegion ?? options.currentPrimary(app);
  if (sourceRegion === input.targetRegion) {
    throw new InvalidInputError([
      `targetRegion: ${input.targetRegion} already serves ${app.name}; name a standby (${app.regions.filter((r) => r !== sourceRegion).join(', ')})`,
    ]);
  }
  const incidentStartedAt = input.incident?.startedAt ?? options.now.toISOString();
  const elapsed = (options.now.getTime() - new Date(incidentStartedAt).getTime()) / 1000;
  return {
    application: app.name,
    sourceRegion,
    targetRegion: input.targetRegion,
    mode,
    dryRun: input.dryRun === true,
    force: input.force === true,
    reason:
      input.reason ??
      (mode === 'automatic' ? `automatic: ${input.incident?.signals.join(', ') ?? ''}` : 'manual start'),
    incidentStartedAt,
    failureBeganAt: failingSince ?? incidentStartedAt,
    ...(input.incident === undefined ? {} : { sourceFailedAt: failingSince ?? input.incident.startedAt }),
    rtoFrom:
      input.incident === undefined
        ? 'the start of the run'
        : failingSince === undefined
          ? 'the first alarm'
          : 'the first failed check',
    confirmationWaitSeconds:
      mode === 'automatic' ? Math.max(0, Math.ceil(app.automation.outageConfirmationSeconds - elapsed)) : 0,
    approvalTimeoutSeconds: config.slack.approvalTimeoutSeconds,
    approvalLockLeaseSeconds: config.slack.approvalTimeoutSeconds + LOCK_LEASE_SECONDS,
  };
}
