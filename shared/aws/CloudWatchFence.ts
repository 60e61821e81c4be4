import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { DETECTION_REGION } from '../config/naming.ts';
import { classifyError, PermanentServiceError, ThrottledError, TransientServiceError } from '../errors.ts';
import type { FencePort, FenceResult } from '../ports/Estate.ts';

/** Where the fence metric lives; the functions may publish to this namespace and no other. */
export const FENCE_NAMESPACE = 'Lifeboat';
export const FENCE_METRIC = 'Fence';
/** CloudWatch's standard resolution (60 s), the only one Route 53's alarm-based health checks take. */
export const STANDARD_RESOLUTION_SECONDS = 60;

/** What decides where a record's fence votes are. */
export type FenceConfig = Pick<LifeboatConfig, 'controlPlaneRegions' | 'fenceVotes'>;

/**
 * The regions that hold a fence vote on one record (an application region's weighted record). Each
 * has one fence alarm on it, on the `Lifeboat/Fence` metric published there, and the record's
 * calculated health check has one CLOUDWATCH_METRIC child per vote. Metrics and alarms are regional
 * ("Metrics exist only in the Region in which they are created",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html), so a
 * control plane votes in another region by calling that region's CloudWatch endpoint.
 *
 * `fenceVotes: "majority"`: every control-plane region. `fenceVotes: "one"` (the default): the
 * record's fence region alone, `fenceRegion`.
 */
export function fenceVoteRegions(
  config: FenceConfig,
  app: Pick<ApplicationConfig, 'regions'>,
  region: string,
): readonly string[] {
  return config.fenceVotes === 'majority' ? config.controlPlaneRegions : [fenceRegion(config, app, region)];
}

/**
 * Where the single vote on a record lives (`fenceVotes: "one"`, docs/fencing.md): the first
 * control-plane region, in the config's order, that is
 * 1. not the record's own region: a region that fails must be fenceable while it is down, and a
 *    vote published into it would be lost (or land only as it returns, racing its endpoint);
 * 2. not the application's primary region, the usual source of a failover: a failover from it can
 *    then set every other record's fence (the standbys', the target's included);
 * 3. not us-east-1, where Route 53's control plane lives: while it is down the weights cannot move
 *    and the fence is the only way to steer the answers, so no fence should depend on it.
 * Rules 3 and 2 give way, in that order, when no control-plane region meets them (us-east-1 first:
 * its outage matters to a record only when us-east-1 is the writer, which rule 2 already covers for
 * the primary); rule 1 only when the record's region is the sole control plane (then nothing
 * outside the region can fence it, and `lifeboat plan` says so).
 */
export function fenceRegion(
  config: Pick<LifeboatConfig, 'controlPlaneRegions'>,
  app: Pick<ApplicationConfig, 'regions'>,
  region: string,
): string {
  const primary = app.regions[0];
  const others = config.controlPlaneRegions.filter((r) => r !== region);
  const choice =
    others.find((r) => r !== primary && r !== DETECTION_REGION) ??
    others.find((r) => r !== primary) ??
    others[0] ??
    region;
  return choice;
}

/** A strict majority of `votes`: how many open votes a record needs to be answered. */
export function fenceQuorum(votes: number): number {
  return Math.floor(votes / 2) + 1;
}

/**
 * The shape of a record's calculated health check over `votes` fence checks: the endpoint check
 * listed `endpointCopies` times (distinct checks on the same endpoint) and the votes, healthy when
 * at least `threshold` children are. With `n` votes and quorum `q`, `endpointCopies = n - q + 1`
 * and `threshold = endpointCopies + q` make the record healthy exactly when the endpoint is and at
 * least `q` votes are open: with the endpoint down at most `n` children are healthy, one short.
 * One threshold has to express both, because "You can't configure a calculated health check to
 * monitor the health of other calculated health checks"
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html).
 *
 * An `existing` endpoint check (one Lifeboat did not create) cannot be copied: such a record gets
 * one endpoint child and needs every vote open (`threshold = 1 + n`), so lifting its fence needs
 * every control-plane region's CloudWatch; `lifeboat plan` says so.
 */
export function recordCheckShape(
  votes: number,
  endpointCopiable = true,
): { endpointCopies: number; threshold: number; quorum: number } {
  if (votes < 1) throw new RangeError('a record needs at least one fence vote');
  const quorum = endpointCopiable ? fenceQuorum(votes) : votes;
  const endpointCopies = votes - quorum + 1;
  return { endpointCopies, threshold: endpointCopies + quorum, quorum };
}

/** Whether a record is answered: its endpoint healthy and at least a quorum of its votes open. */
export function recordAnswered(
  endpointHealthy: boolean,
  votes: readonly boolean[],
  endpointCopiable = true,
): boolean {
  const shape = recordCheckShape(votes.length, endpointCopiable);
  const healthy = (endpointHealthy ? shape.endpointCopies : 0) + votes.filter((fenced) => !fenced).length;
  return healthy >= shape.threshold;
}

/**
 * How many vote regions must take a vote for the record to follow it: `n - q + 1` fenced votes
 * leave fewer than the quorum `q` open; `q` open votes reach it.
 */
export function votesNeeded(votes: number, fenced: boolean, endpointCopiable = true): number {
  const shape = recordCheckShape(votes, endpointCopiable);
  return fenced ? shape.endpointCopies : shape.quorum;
}

/**
 * Publishes one fence vote in every vote region (in parallel) and succeeds once `needed` of them
 * took it: enough that the record's votes decide as asked whatever the others say — a vote region
 * that is down keeps its last vote (the fence checks use `LastKnownStatus`), and a stale vote
 * cannot outvote the fresh ones. Below `needed` it throws, naming every region that did not
 * take the vote and why: retryable (`TransientServiceError`, `ThrottledError`) when every failure
 * is, otherwise `PermanentServiceError`. Publishing the same value again changes nothing.
 */
export async function publishFenceVotes(
  voteRegions: readonly string[],
  needed: number,
  what: string,
  publish: (region: string) => Promise<void>,
): Promise<FenceResult> {
  // `async` so a publisher that throws before its promise counts as a missed vote, not a crash.
  const outcomes = await Promise.allSettled(voteRegions.map(async (region) => publish(region)));
  const votes: string[] = [];
  const missed: { region: string; error: Error }[] = [];
  outcomes.forEach((outcome, i) => {
    const region = voteRegions[i] as string;
    if (outcome.status === 'fulfilled') votes.push(region);
    else missed.push({ region, error: classifyError(outcome.reason) });
  });
  if (votes.length >= needed) return { votes, missed: missed.map((m) => m.region) };
  // The refusal that decides the error's class leads (a permanent one before a transient one), as a
  // single call's error would; every region's follows.
  const retryableError = (e: Error) => e instanceof TransientServiceError || e instanceof ThrottledError;
  const first = missed.find((m) => !retryableError(m.error)) ?? missed[0];
  const detail = missed.map((m) => `${m.region}: ${m.error.message}`).join('; ');
  const message = `${first?.error.message ?? 'no vote region'} (in ${first?.region ?? 'none'}): ${what} needs ${needed} of ${voteRegions.length} fence votes and ${votes.length} ${votes.length === 1 ? 'was' : 'were'} published (${votes.join(', ') || 'none'}); ${detail}`;
  const retryable = missed.every((m) => retryableError(m.error));
  if (retryable && missed.some((m) => m.error instanceof TransientServiceError))
    throw new TransientServiceError(message, { cause: missed[0]?.error });
  if (retryable) throw new ThrottledError(message, { cause: missed[0]?.error });
  throw new PermanentServiceError(message, { cause: missed[0]?.error });
}

/**
 * The fence as a standard-resolution metric (`Lifeboat/Fence`, by application and region: 1 fenced,
 * 0 not) published in each of the record's vote regions (`fenceVoteRegions`): the record's
 * calculated health check answers it only while its endpoint is healthy and a quorum of its votes
 * are open (`recordCheckShape`). No vote lives in us-east-1 while another region can hold it, so any
 * surviving control plane fences or unfences any record while us-east-1 and Route 53's control plane
 * are down, and a fence set from one region is lifted from another: a failback run in us-east-1
 * lifts what the failover set from us-west-2.
 *
 * Standard resolution because each vote's alarm backs a Route 53 CLOUDWATCH_METRIC health check, and
 * Route 53 supports alarms on standard-resolution metrics only: "High-resolution metrics aren't
 * supported" (https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html).
 */
export class CloudWatchFence implements FencePort {
  readonly #clientIn: (region: string) => CloudWatchClient;
  readonly #config: FenceConfig;

  /** `clientIn` gives the CloudWatch client of a region; `config` says where each record's votes are. */
  constructor(clientIn: (region: string) => CloudWatchClient, config: FenceConfig) {
    if (config.controlPlaneRegions.length === 0)
      throw new RangeError('CloudWatchFence needs at least one control-plane region');
    this.#clientIn = clientIn;
    this.#config = config;
  }

  async setFence(app: ApplicationConfig, region: string, fenced: boolean): Promise<FenceResult> {
    const voteRegions = fenceVoteRegions(this.#config, app, region);
    return publishFenceVotes(
      voteRegions,
      votesNeeded(voteRegions.length, fenced, app.healthChecks[region]?.kind !== 'existing'),
      `${fenced ? 'fencing' : 'unfencing'} ${app.name} in ${region}`,
      async (voteRegion) => {
        await this.#clientIn(voteRegion).send(
          new PutMetricDataCommand({
            Namespace: FENCE_NAMESPACE,
            MetricData: [
              {
                MetricName: FENCE_METRIC,
                Dimensions: [
                  { Name: 'Application', Value: app.name },
                  { Name: 'Region', Value: region },
                ],
                Value: fenced ? 1 : 0,
                StorageResolution: STANDARD_RESOLUTION_SECONDS,
              },
            ],
          }),
        );
      },
    );
  }
}
