import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { Estate } from '../ports/Estate.ts';
import { bestEffort } from '../ports/Estate.ts';
import type { Ledger, RunRecord } from '../ports/Ledger.ts';
import type { Clock } from '../ports/Clock.ts';
import { databaseId } from '../config/databases.ts';

export interface QuarantineOutcome {
  /** `failed`: the step threw; the next scheduled run tries again. */
  readonly action: 'moved' | 'applying' | 'rebooted' | 'fenced' | 'quarantined' | 'none' | 'failed';
  readonly detail: string;
}

/**
 * Cuts an old RDS writer that came back after a failover off from its clients, so nothing that
 * reaches it directly (a batch job, a cached address, an operator's psql) writes into a database the
 * failover abandoned and the failback will set aside. Runs in the old writer's region on every
 * offer schedule, each call one idempotent step:
 *
 * 1. moves the instance into the region's `quarantineSecurityGroupIds` group alone (its groups before
 *    are kept in a `quarantine` ledger record, to put back by hand if wanted);
 * 2. once that group is active, reboots it: a security-group change leaves open connections up;
 * 3. records the run SUCCEEDED and says so on Slack.
 *
 * It acts only when the last failover (whatever its end: one that promoted and then could not move
 * DNS leaves two writers too) targeted another region, no failback or switchover to or from this
 * region has succeeded since, and the writer's region (that target, or where a later switchover
 * moved the writer) holds a database that is no longer a replica; on an instance that is not a replica, and while no run
 * but that failover holds the application's lock (a failback promotes this region's database
 * itself). A CloudNativePG old primary is fenced instead (`fenceOldPrimary`). Aurora global databases
 * need none of it: after a managed failover Aurora re-adds the old
 * primary as a secondary, read-only, itself
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html).
 */
export async function quarantineOldWriter(
  app: ApplicationConfig,
  region: string,
  deps: { readonly estate: Estate; readonly ledger: Ledger; readonly clock: Clock },
): Promise<QuarantineOutcome> {
  const none = (detail: string): QuarantineOutcome => ({ action: 'none', detail });
  const database = app.database;
  if (database.engine === 'aurora-global')
    return none('Aurora re-adds the old primary as a secondary itself');
  const group =
    database.engine === 'rds-read-replica' ? database.quarantineSecurityGroupIds?.[region] : undefined;
  if (database.engine === 'rds-read-replica' && group === undefined)
    return none(`no quarantine security group is configured for ${region}`);
  const now = deps.clock.now();
  const lock = await deps.ledger.getLock(app.name);
  // A failover still running (its record is written when it ends) names its target in its lock.
  const live = lock !== undefined && new Date(lock.leaseExpiresAt) > now;
  const running =
    live &&
    lock.purpose?.workflow === 'failover' &&
    lock.purpose.targetRegion !== undefined &&
    lock.purpose.targetRegion !== region
      ? { target: lock.purpose.targetRegion, executionName: lock.owner }
      : undefined;
  const last = running ?? (await promotedElsewhere(app, region, deps.ledger));
  // The failover that moved the writer away may still hold the lock while the other regions'
  // databases are made to follow the new writer (FollowWriter, after its record): cutting this old
  // writer off is that run's own intent. Any other holder (a failback promotes this region's database
  // itself) is waited for.
  if (lock !== undefined && new Date(lock.leaseExpiresAt) > now && lock.owner !== last?.executionName)
    return none(`${lock.owner} holds the lock`);
  const serving = last?.target;
  if (serving === undefined) return none(`no failover away from ${region} since the last failback`);
  const writer = await deps.estate.database.describe(app, serving);
  if (writer.role === 'replica')
    return none(`the database in ${serving} is still a replica: nothing was promoted`);
  if (database.engine === 'cloudnativepg') return fenceOldPrimary(app, region, serving, deps);
  if (group === undefined) return none(`no quarantine security group is configured for ${region}`);

  const state = await deps.estate.database.quarantine(app, region, group);
  const open = (await deps.ledger.listRuns(app.name, 'quarantine', 20)).find(
    (r) => r.status === 'RUNNING' && (r.details as { region?: unknown } | undefined)?.region === region,
  );
  const identifier = database.instances[region] ?? region;
  switch (state.phase) {
    case 'absent':
    case 'replica':
      return none(`the database in ${region} is ${state.phase === 'absent' ? 'gone' : 'a replica'}`);
    case 'moved': {
      const run: RunRecord = {
        application: app.name,
        kind: 'quarantine',
        executionName: `quarantine-${region}-${now.getTime()}`,
        startedAt: now.toISOString(),
        status: 'RUNNING',
        reason: `${identifier} in ${region} came back writable after ${app.name} failed over to ${serving}`,
        details: {
          region,
          identifier,
          quarantineSecurityGroupId: group,
          securityGroupIdsBefore: state.securityGroupIds,
          movedAt: now.toISOString(),
        },
      };
      // A record left RUNNING by an earlier move (the group was changed back since) is superseded.
      if (open !== undefined)
        await deps.ledger.putRun({ ...open, status: 'ABORTED', endedAt: now.toISOString() });
      await deps.ledger.putRun(run);
      await bestEffort(async () => {
        await deps.estate.notifier.post(
          `:lock: *${app.name}*: the old writer \`${identifier}\` in ${region} came back writable after the failover away from it (the writer is now in ${serving}); moved into quarantine security group \`${group}\` (was ${state.securityGroupIds.join(', ') || 'none'}), and rebooted once the group is active.`,
        );
      });
      return { action: 'moved', detail: `${identifier} moved into ${group}` };
    }
    case 'applying':
      return { action: 'applying', detail: `${group} is not active on ${identifier} yet` };
    case 'isolated': {
      if (open === undefined) return { action: 'quarantined', detail: `${identifier} is quarantined` };
      if (state.status !== 'available') {
        return { action: 'applying', detail: `${identifier} is ${state.status}; the reboot waits` };
      }
      await deps.estate.database.reboot(app, region);
      await deps.ledger.putRun({
        ...open,
        status: 'SUCCEEDED',
        endedAt: now.toISOString(),
        details: { ...open.details, rebootedAt: now.toISOString() },
      });
      await bestEffort(async () => {
        await deps.estate.notifier.post(
          `:lock: *${app.name}*: \`${identifier}\` in ${region} rebooted inside quarantine group \`${group}\`: no client can write to it. Its writes since the failover stay on it for inspection.`,
        );
      });
      return { action: 'rebooted', detail: `${identifier} rebooted in ${group}` };
    }
  }
}

/**
 * CloudNativePG: an old primary back after a failover still names itself the topology's primary, so
 * it takes writes again. It is fenced (`cnpg.io/fencedInstances: ["*"]`): PostgreSQL stops, its
 * data and its unreplicated writes stay on its volumes for inspection, and a person re-clones it
 * as a replica cluster of the writer before a failback (docs/cloudnativepg.md). One step, recorded
 * SUCCEEDED at once; a cluster already fenced is left as it is.
 */
async function fenceOldPrimary(
  app: ApplicationConfig,
  region: string,
  serving: string,
  deps: { readonly estate: Estate; readonly ledger: Ledger; readonly clock: Clock },
): Promise<QuarantineOutcome> {
  const status = await deps.estate.database.describe(app, region);
  const name = databaseId(app, region) ?? region;
  if (status.role === 'replica')
    return { action: 'none', detail: `${name} in ${region} is a replica cluster` };
  const result = await deps.estate.database.fence(app, region);
  if (result === 'already') return { action: 'quarantined', detail: `${name} is fenced` };
  const now = deps.clock.now();
  await deps.ledger.putRun({
    application: app.name,
    kind: 'quarantine',
    executionName: `quarantine-${region}-${now.getTime()}`,
    startedAt: now.toISOString(),
    endedAt: now.toISOString(),
    status: 'SUCCEEDED',
    reason: `CloudNativePG cluster ${name} in ${region} came back as a primary after ${app.name} failed over to ${serving}`,
    details: { region, identifier: name, fencedAt: now.toISOString() },
  });
  await bestEffort(async () => {
    await deps.estate.notifier.post(
      `:lock: *${app.name}*: the old primary \`${name}\` in ${region} came back still naming itself the CloudNativePG topology's primary after the failover away from it (the writer is now in ${serving}); every instance fenced (\`cnpg.io/fencedInstances: ["*"]\`): PostgreSQL is stopped and its data kept. Re-clone it as a replica cluster of ${serving} before a failback (docs/cloudnativepg.md).`,
    );
  });
  return { action: 'fenced', detail: `${name} fenced` };
}

/**
 * The application's last failover away from `region` (not a dry run), its execution, and the region
 * whose database writes now: the failover's target, or the target of a failback or switchover that
 * moved the writer on since. Undefined when none, or when a failback or switchover to or from
 * `region` has succeeded since the failover (it rebuilt the old writer as a replica).
 */
async function promotedElsewhere(
  app: ApplicationConfig,
  region: string,
  ledger: Ledger,
): Promise<{ readonly target: string; readonly executionName: string } | undefined> {
  const request = (run: RunRecord) =>
    (
      run.details as
        { request?: { targetRegion?: unknown; sourceRegion?: unknown; dryRun?: unknown } } | undefined
    )?.request;
  const last = (await ledger.listRuns(app.name, 'failover', 10))
    .filter((r) => request(r)?.dryRun !== true && typeof request(r)?.targetRegion === 'string')
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  const target = last === undefined ? undefined : String(request(last)?.targetRegion);
  if (last === undefined || target === undefined || target === region) return undefined;
  const movedSince = [
    ...(await ledger.listRuns(app.name, 'failback', 10)),
    ...(await ledger.listRuns(app.name, 'switchover', 10)),
  ]
    .filter((r) => r.status === 'SUCCEEDED' && r.startedAt > last.startedAt)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  if (movedSince.some((r) => request(r)?.targetRegion === region || request(r)?.sourceRegion === region))
    return undefined;
  const now = movedSince[0] === undefined ? target : request(movedSince[0])?.targetRegion;
  return { target: typeof now === 'string' ? now : target, executionName: last.executionName };
}
