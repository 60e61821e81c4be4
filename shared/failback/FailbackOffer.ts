import { approvalId, estimateSeconds } from '../approval/ApprovalSteps.ts';
import { quarantineOldWriter, type QuarantineOutcome } from './quarantine.ts';
import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { currentPrimary } from '../failover/currentPrimary.ts';
import type { ApprovalRecord, ApprovalStore } from '../ports/Approvals.ts';
import type { Clock } from '../ports/Clock.ts';
import { bestEffort, type Estate, type NotifierPort } from '../ports/Estate.ts';
import type { Ledger, RunRecord } from '../ports/Ledger.ts';
import { approvalBlocks, approvalText, outcomeBlocks } from '../slack/messages.ts';

export interface OfferDeps {
  readonly config: LifeboatConfig;
  readonly estate: Estate;
  readonly ledger: Ledger;
  readonly approvals: ApprovalStore;
  readonly clock: Clock;
  /** The region this runs in: it offers failback only to itself (a failback runs where traffic returns). */
  readonly region: string;
}

export interface OfferOutcome {
  readonly application: string;
  readonly action:
    | 'offered'
    | 'already-offered'
    | 'not-yet'
    | 'serving'
    /** Traffic is elsewhere by a switchover: a person moved it on purpose, and moves it back the same way. */
    | 'switched-over'
    | 'locked'
    | 'not-here'
    | 'slack-unavailable'
    /** The last offer closed unanswered or was rejected; the next waits for `reofferAfterSeconds`. */
    | 'waiting-to-reoffer'
    /** `MAX_OFFERS_PER_RECOVERY` offers went unanswered: a person starts the failback by hand. */
    | 'offers-exhausted';
  readonly detail: string;
  readonly approvalId?: string;
  /** What this run did about an old writer back in this region (`quarantineOldWriter`). */
  readonly quarantine?: QuarantineOutcome;
}

function minutes(seconds: number): string {
  return `${Math.round(seconds / 60)} min`;
}

/** However short `reofferAfterSeconds` is, offers for one application are posted at most this often. */
export const MIN_OFFER_INTERVAL_SECONDS = 900;

/**
 * Offers per healthy period of the primary: with the defaults (an hour open, half an hour between
 * offers) two days of unanswered offers, after which the channel is left alone and a person starts
 * the failback by hand (`lifeboat start failback`).
 */
export const MAX_OFFERS_PER_RECOVERY = 32;

/**
 * The id of the `round`th offer (0 = the first) for one healthy period of `region`: the same inputs
 * give the same id, so an offer run that runs twice creates nothing twice.
 */
export function offerApprovalId(
  application: string,
  region: string,
  healthySince: string,
  round: number,
): string {
  const seed = `offer:${application}:${region}:${healthySince}`;
  return approvalId(round === 0 ? seed : `${seed}#${round}`);
}

/** When a closed offer closed: its decision, else its deadline. */
function closedAt(approval: ApprovalRecord): number {
  return new Date(approval.decidedAt ?? approval.expiresAt).getTime();
}

/**
 * Closes an offer whose deadline passed unanswered: EXPIRED in the table (so it no longer counts as
 * waiting), and its Slack message without buttons, saying when the next offer comes. Returns the
 * record as closed; an offer decided or closed meanwhile is returned as it is.
 */
export async function expireOffer(
  approval: ApprovalRecord,
  deps: Pick<OfferDeps, 'approvals' | 'clock'> & {
    readonly notifier: Pick<NotifierPort, 'update'>;
    readonly reofferAfterSeconds: number;
  },
): Promise<ApprovalRecord> {
  const now = deps.clock.now();
  const closed = await deps.approvals.close(approval.id, 'EXPIRED', now);
  if (!closed) return (await deps.approvals.get(approval.id)) ?? approval;
  const next = new Date(
    Math.max(
      new Date(approval.expiresAt).getTime() + deps.reofferAfterSeconds * 1000,
      new Date(approval.createdAt).getTime() + MIN_OFFER_INTERVAL_SECONDS * 1000,
    ),
  ).toISOString();
  if (approval.messageTs !== undefined) {
    const outcome = `:hourglass: Expired unanswered at ${approval.expiresAt}: nothing moved. While ${approval.targetRegion} stays healthy, a new offer is posted after ${next}.`;
    try {
      await deps.notifier.update(
        approval.messageTs,
        `${approval.summary}\n${outcome}`,
        outcomeBlocks(approval.summary, outcome),
      );
    } catch {
      // The record says EXPIRED either way; a press on the stale buttons is answered as expired.
    }
  }
  return { ...approval, status: 'EXPIRED', decidedAt: now.toISOString() };
}

/**
 * The failback offer, run on a schedule in every control-plane region. For each application whose
 * preferred primary is this region and which serves elsewhere: once this region's health has been
 * OK for `offerAfterHealthySeconds` (from the health transitions the trigger records), post an offer
 * on Slack; close one left unanswered past its deadline (EXPIRED) and, `reofferAfterSeconds` after it
 * expired or was rejected, post the next. Approving one starts the failback; nothing moves before.
 */
export async function offerFailbacks(deps: OfferDeps): Promise<OfferOutcome[]> {
  const outcomes: OfferOutcome[] = [];
  for (const app of deps.config.applications) {
    outcomes.push(await offerOne(app, deps));
  }
  return outcomes;
}

async function offerOne(app: ApplicationConfig, deps: OfferDeps): Promise<OfferOutcome> {
  const region = deps.region;
  let quarantine: QuarantineOutcome | undefined;
  const at = (action: OfferOutcome['action'], detail: string, id?: string): OfferOutcome => ({
    application: app.name,
    action,
    detail,
    ...(id === undefined ? {} : { approvalId: id }),
    ...(quarantine === undefined ? {} : { quarantine }),
  });
  if (app.regions[0] !== region) return at('not-here', `${app.name}'s primary is ${String(app.regions[0])}`);
  // The old writer is cut off as soon as it answers, not once the region has been healthy long
  // enough, and whatever the weights say (a failover that promoted and then could not move DNS).
  try {
    quarantine = await quarantineOldWriter(app, region, deps);
  } catch (error) {
    quarantine = { action: 'failed', detail: `${(error as Error).name}: ${(error as Error).message}` };
  }
  const serving = await currentPrimary(app, deps.estate, deps.ledger);
  if (serving === region) return at('serving', `${region} serves ${app.name}`);
  const move = await lastMove(app, deps.ledger);
  if (move?.kind === 'switchover') {
    await closeOffersAfterSwitchover(app, region, move, deps);
    return at(
      'switched-over',
      move.status === 'FAILED'
        ? `the switchover ${move.executionName} of ${app.name} ended FAILED with traffic on ${serving}; no failback is offered until it is finished`
        : `${serving} serves ${app.name} since the switchover ${move.executionName}; no failback is offered (\`lifeboat start switchover --app ${app.name} --to ${region}\` moves it back)`,
    );
  }
  const health = await deps.ledger.getHealth(app.name, region);
  const now = deps.clock.now();
  const healthyFor = health?.state === 'OK' ? (now.getTime() - new Date(health.since).getTime()) / 1000 : 0;
  const needed = app.dns.failback.offerAfterHealthySeconds;
  if (health?.state !== 'OK' || healthyFor < needed) {
    return at(
      'not-yet',
      health?.state === 'OK'
        ? `${region} healthy for ${minutes(healthyFor)} of the ${minutes(needed)} before an offer`
        : `${region} is not known to be healthy`,
    );
  }
  const lock = await deps.ledger.getLock(app.name);
  if (lock !== undefined && new Date(lock.leaseExpiresAt) > now) {
    return at('locked', `${lock.owner} holds ${app.name}'s lock`);
  }
  // The offers of this healthy period, oldest first: one is open at a time; one that closed
  // unanswered (or was rejected) is followed by the next after `reofferAfterSeconds`.
  const reofferAfterSeconds = app.dns.failback.reofferAfterSeconds;
  let round = 0;
  let lastClosed: ApprovalRecord | undefined;
  let unposted = false;
  for (; round < MAX_OFFERS_PER_RECOVERY; round++) {
    let offer = await deps.approvals.get(offerApprovalId(app.name, region, health.since, round));
    if (offer === undefined) break;
    if (offer.status === 'PENDING' && new Date(offer.expiresAt) <= now) {
      offer = await expireOffer(offer, { ...deps, notifier: deps.estate.notifier, reofferAfterSeconds });
    }
    if (offer.status === 'PENDING') {
      if (offer.messageTs !== undefined)
        return at('already-offered', `offer ${offer.id} is open until ${offer.expiresAt}`, offer.id);
      // Created by an earlier run while Slack was down: posted now, under the same id.
      unposted = true;
      break;
    }
    if (offer.status === 'APPROVED') return at('already-offered', `offer ${offer.id} is APPROVED`, offer.id);
    lastClosed = offer;
  }
  if (round >= MAX_OFFERS_PER_RECOVERY) {
    return at(
      'offers-exhausted',
      `${MAX_OFFERS_PER_RECOVERY} offers since ${health.since} went unanswered; start the failback by hand`,
    );
  }
  if (!unposted && lastClosed !== undefined) {
    const nextAt = Math.max(
      closedAt(lastClosed) + reofferAfterSeconds * 1000,
      new Date(lastClosed.createdAt).getTime() + MIN_OFFER_INTERVAL_SECONDS * 1000,
    );
    if (now.getTime() < nextAt) {
      return at(
        'waiting-to-reoffer',
        `offer ${lastClosed.id} is ${lastClosed.status}; the next is posted after ${new Date(nextAt).toISOString()}`,
        lastClosed.id,
      );
    }
  }
  const id = offerApprovalId(app.name, region, health.since, round);
  const expiresAt = new Date(now.getTime() + deps.config.slack.approvalTimeoutSeconds * 1000).toISOString();
  let replica: string;
  try {
    const db = await deps.estate.database.describe(app, region);
    replica =
      db.role === 'replica'
        ? `replica of ${String(db.sourceRegion)}${db.available ? '' : ' (not yet available)'}`
        : app.database.engine === 'cloudnativepg'
          ? `${db.role}: the old primary, fenced; re-clone it as a replica cluster of ${serving} before approving (docs/cloudnativepg.md)`
          : `${db.role}: left from before the failover; rebuilt as a replica on approval`;
  } catch {
    replica = 'none: a replica is built on approval';
  }
  const message = {
    approvalId: id,
    title: `Fail ${app.name} back to ${region}?`,
    why: `${region} has been healthy for ${minutes(healthyFor)} (since ${health.since}); ${app.name} serves from ${serving}.`,
    facts: [
      ['Serving now', serving],
      [`Database in ${region}`, replica],
      ['Estimated duration', minutes(estimateSeconds(app, 'failback'))],
      ['Steps', `${app.dns.failback.steps.join(' → ')} %, ${app.dns.failback.bakeSeconds} s bake each`],
    ] as [string, string][],
    plan: [
      `start the failback workflow in ${region}: lock, checks, a caught-up replica of ${serving} in ${region}`,
      `scale ${region} up, then shift traffic step by step, each guarded (error rate ≤ ${app.dns.failback.maxErrorRatePercent} %, p99 ≤ ${app.dns.failback.maxLatencyMs} ms), rolled back on breach`,
      `switch the database writer back to ${region} with no data loss, then scale ${serving} back to standby`,
    ],
    expiresAt,
  };
  const { created, approval } = await deps.approvals.create({
    id,
    kind: 'offer',
    application: app.name,
    workflow: 'failback',
    targetRegion: region,
    channel: deps.config.slack.channelId,
    summary: `*${message.title}* ${message.why}`,
    status: 'PENDING',
    createdAt: now.toISOString(),
    expiresAt,
  });
  if (!created && (approval.messageTs !== undefined || approval.status !== 'PENDING')) {
    return at('already-offered', `offer ${id} is ${approval.status}`, id);
  }
  let ts: string;
  try {
    ts = await deps.estate.notifier.post(approvalText(message), approvalBlocks(message));
  } catch (error) {
    // The next scheduled run posts it: the offer waits in the table without a message.
    return at('slack-unavailable', `Slack did not take offer ${id}: ${(error as Error).message}`, id);
  }
  await deps.approvals.attach(id, { messageTs: ts });
  return at('offered', `offered ${app.name} back to ${region}`, id);
}

/**
 * The application's newest run that moved (or may have moved) its writer and traffic, not a dry
 * run: a failover, failback or switchover that succeeded or failed half-way. One that was skipped,
 * refused, declined, stopped, timed out or rolled back left nothing moved by it.
 */
async function lastMove(app: ApplicationConfig, ledger: Ledger): Promise<RunRecord | undefined> {
  const runs = await Promise.all(
    (['failover', 'failback', 'switchover'] as const).map((kind) => ledger.listRuns(app.name, kind, 10)),
  );
  return runs
    .flat()
    .filter((r) => {
      const request = (r.details as { request?: { dryRun?: unknown } } | undefined)?.request;
      return (
        request !== undefined &&
        request.dryRun !== true &&
        (r.status === 'SUCCEEDED' || r.status === 'FAILED')
      );
    })
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
}

/**
 * Closes the offers of this healthy period still open when a switchover moved the application: their
 * Approve would start a failback nobody now wants. EXPIRED in the table, the message says why.
 */
async function closeOffersAfterSwitchover(
  app: ApplicationConfig,
  region: string,
  move: RunRecord,
  deps: OfferDeps,
): Promise<void> {
  const health = await deps.ledger.getHealth(app.name, region);
  if (health === undefined) return;
  const now = deps.clock.now();
  for (let round = 0; round < MAX_OFFERS_PER_RECOVERY; round++) {
    const offer = await deps.approvals.get(offerApprovalId(app.name, region, health.since, round));
    if (offer === undefined) return;
    if (offer.status !== 'PENDING' || !(await deps.approvals.close(offer.id, 'EXPIRED', now))) continue;
    if (offer.messageTs === undefined) continue;
    const outcome = `:twisted_rightwards_arrows: Closed: the switchover ${move.executionName} moved ${app.name} on purpose; no failback is offered. Nothing moved.`;
    await bestEffort(() =>
      deps.estate.notifier.update(
        offer.messageTs ?? '',
        `${offer.summary}\n${outcome}`,
        outcomeBlocks(offer.summary, outcome),
      ),
    );
  }
}

/**
 * How long the oldest approval still waiting on Slack has waited, by workflow (an offer counts as
 * the failback's), published for the alarm on an approval left waiting; 0 when none waits.
 */
export async function approvalWaits(deps: {
  readonly approvals: ApprovalStore;
  readonly clock: Clock;
}): Promise<Record<string, number>> {
  const now = deps.clock.now().getTime();
  const oldest: Record<string, number> = { failover: 0, failback: 0, switchover: 0 };
  for (const approval of await deps.approvals.listPending(100)) {
    const waited = Math.max(0, Math.round((now - new Date(approval.createdAt).getTime()) / 1000));
    oldest[approval.workflow] = Math.max(oldest[approval.workflow] ?? 0, waited);
  }
  return oldest;
}
