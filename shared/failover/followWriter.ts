import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import { classifyError, PermanentServiceError } from '../errors.ts';
import type { Clock } from '../ports/Clock.ts';
import type { DatabasePort, StoresPort } from '../ports/Estate.ts';

/** How long a run waits for the other regions' databases to follow the new writer before it says why not. */
export const FOLLOW_LIMIT_SECONDS = 900;

/**
 * Where one region's database stands against the writer a run has just made:
 * - `follows`: it replicates from the writer;
 * - `building`: a replica of the writer is being built there (RDS: created by this run; Aurora:
 *   rebuilt by Aurora itself) and reads once built;
 * - `renaming`: RDS, the old replica is being renamed out of its identifier's way;
 * - `waiting`: Aurora has not yet begun to rebuild it from the writer;
 * - `unreachable`: its region's API did not answer (asked again until the limit);
 * - `left`: not made to follow, and `detail` says why.
 * `final` once nothing more is to be done or waited for.
 */
export interface Follower {
  readonly region: string;
  readonly state: 'follows' | 'building' | 'renaming' | 'waiting' | 'unreachable' | 'left';
  readonly final: boolean;
  readonly detail: string;
  /** RDS: the identifier the old replica was renamed to and kept under. */
  readonly renamedTo?: string;
}

/** Where one region's member of a store (`stores` in the config) stands against the new primary. */
export interface StoreFollower extends Follower {
  readonly store: string;
}

/** FollowWriter's result, also its next call's `previous`. */
export interface FollowResult {
  readonly settled: boolean;
  readonly writer: string;
  readonly since: string;
  readonly followers: readonly Follower[];
  /** Each store's members outside the writer's region, when the application has stores. */
  readonly stores?: readonly StoreFollower[];
  /** One line per region, for the record and the incident thread. */
  readonly summary: string;
  readonly at: string;
}

/** `<id>-<label>-<yyyymmddhhmm>`, cut to RDS's 63 characters. */
export function retiredIdentifier(id: string, now: Date, label = 'pre-failback'): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 12);
  const suffix = `-${label}-${stamp}`;
  return `${id.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/** Whether RDS said the DB instance does not exist (the wire code or the SDK's modelled name). */
export function isNotFound(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'DBInstanceNotFoundFault' || name === 'DBInstanceNotFound';
}

/**
 * Moves every region's database but the writer's, and those another step handles (`handled`, with
 * what that step does), one step toward following the writer in `writer`, and says where each stands.
 *
 * RDS: "promoting one of the read replicas to a DB instance has no effect on the other replicas"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html), and an
 * existing replica cannot be given another source ("You can only create a new read replica from an
 * existing DB instance", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.html).
 * So, as AWS's disaster-recovery steps say ("Create a replacement read replica with the promoted DB
 * instance as its source"), a replica of anything but the writer is renamed out of the configured
 * identifier's way and kept (it may hold writes of the old primary that the writer lacks), and a
 * replica of the writer is created under that identifier. A cascaded replica of the promoted instance
 * already follows it.
 *
 * CloudNativePG: a replica cluster still naming the lost primary is re-pointed at the writer
 * (`spec.replica.primary` and `source`), then waited for until it is healthy.
 *
 * Aurora: "After Aurora promotes the new primary cluster, it automatically rebuilds all additional
 * secondary Region clusters"; a switchover keeps the topology
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html).
 * Nothing is asked of Aurora: the step reads the global cluster and says where each member stands.
 *
 * A writer or standalone instance elsewhere is never touched: it is a person's decision. Each call
 * can run twice with the same input and change nothing the second time.
 */
export async function followWriter(
  deps: {
    readonly database: DatabasePort;
    readonly stores: StoresPort;
    readonly clock: Pick<Clock, 'now'>;
  },
  app: ApplicationConfig,
  options: {
    readonly writer: string;
    readonly handled: Readonly<Record<string, string>>;
    readonly previous?: Partial<FollowResult> | null;
    /** RDS: the middle of the name an old replica is kept under (`<id>-<label>-<stamp>`). */
    readonly retiredLabel: string;
  },
): Promise<FollowResult> {
  const now = deps.clock.now();
  const since = typeof options.previous?.since === 'string' ? options.previous.since : now.toISOString();
  const overdue = (now.getTime() - new Date(since).getTime()) / 1000 > FOLLOW_LIMIT_SECONDS;
  const before = new Map((options.previous?.followers ?? []).map((f) => [f.region, f]));
  const followers: Follower[] = [];
  for (const region of app.regions) {
    if (region === options.writer) continue;
    const handled = options.handled[region];
    if (handled !== undefined) {
      followers.push({ region, state: 'left', final: true, detail: handled });
      continue;
    }
    const previous = before.get(region);
    if (previous?.final === true) {
      followers.push(previous);
      continue;
    }
    let follower: Follower;
    try {
      follower = await step(
        deps,
        app,
        region,
        options.writer,
        new Date(since),
        previous,
        options.retiredLabel,
      );
    } catch (error) {
      const classified = classifyError(error);
      follower =
        classified instanceof PermanentServiceError
          ? {
              region,
              state: 'left',
              final: true,
              detail: `not made to follow ${options.writer}: ${classified.message}`,
            }
          : {
              region,
              state: 'unreachable',
              final: false,
              detail: `${region} did not answer: ${classified.message}`,
            };
      if (previous?.renamedTo !== undefined) follower = { ...follower, renamedTo: previous.renamedTo };
    }
    followers.push(givenUpWhenOverdue(follower, overdue));
  }
  const stores = await storeFollowers(
    deps.stores,
    app,
    options.writer,
    overdue,
    Object.keys(options.handled),
  );
  return {
    settled: followers.every((f) => f.final) && stores.every((f) => f.final),
    writer: options.writer,
    since,
    followers,
    ...(app.stores.length === 0 ? {} : { stores }),
    summary: [
      ...followers.map((f) => `${f.region}: ${f.detail}`),
      ...stores.map((f) => `${f.region} (store ${f.store}): ${f.detail}`),
    ].join('\n'),
    at: now.toISOString(),
  };
}

/** A follower not settled past FOLLOW_LIMIT_SECONDS is left, with how long it was waited for. */
function givenUpWhenOverdue<F extends Follower>(follower: F, overdue: boolean): F {
  if (follower.final || !overdue) return follower;
  return {
    ...follower,
    state: 'left',
    final: true,
    detail: `${follower.detail}; given up ${FOLLOW_LIMIT_SECONDS} s after the writer moved`,
  };
}

/**
 * Where each store's members outside the writer's region stand. Nothing is asked of ElastiCache: a
 * Global Datastore's failover makes "all other clusters ... secondary" of the new primary
 * (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_FailoverGlobalReplicationGroup.html),
 * the old primary too once its region answers. A member whose region does not answer is asked again
 * until the limit, then left with the reason; the old primary's is not waited for.
 */
async function storeFollowers(
  stores: StoresPort,
  app: ApplicationConfig,
  writer: string,
  overdue: boolean,
  /** The regions another step handles (the old primary): not waited for when they do not answer. */
  handled: readonly string[],
): Promise<StoreFollower[]> {
  const result: StoreFollower[] = [];
  for (const store of app.stores) {
    for (const region of app.regions) {
      if (region === writer) continue;
      let follower: StoreFollower;
      try {
        const status = await stores.describe(app, store, region);
        follower =
          status.role === 'secondary' && status.sourceRegion === writer
            ? status.available
              ? {
                  store: store.name,
                  region,
                  state: 'follows',
                  final: true,
                  detail: `a secondary of ${writer}`,
                }
              : {
                  store: store.name,
                  region,
                  state: 'building',
                  final: false,
                  detail: `joining ${store.globalReplicationGroupId} as a secondary of ${writer}`,
                }
            : {
                store: store.name,
                region,
                state: 'left',
                final: true,
                detail: `the ${status.role}${status.role === 'secondary' ? ` of ${String(status.sourceRegion)}` : ''}, not a secondary of ${writer}: a person's decision (docs/stores.md)`,
              };
      } catch (error) {
        const classified = classifyError(error);
        const final = classified instanceof PermanentServiceError || handled.includes(region);
        follower = {
          store: store.name,
          region,
          state: final ? 'left' : 'unreachable',
          final,
          detail: `${region} did not answer (${classified.message}); ElastiCache makes it a secondary of ${writer} once it does`,
        };
      }
      result.push(givenUpWhenOverdue(follower, overdue));
    }
  }
  return result;
}

async function step(
  deps: { readonly database: DatabasePort },
  app: ApplicationConfig,
  region: string,
  writer: string,
  since: Date,
  previous: Follower | undefined,
  retiredLabel: string,
): Promise<Follower> {
  const database = app.database;
  const kept = previous?.renamedTo === undefined ? {} : { renamedTo: previous.renamedTo };
  const keptText =
    previous?.renamedTo === undefined ? '' : `the old replica was renamed ${previous.renamedTo} and kept; `;
  let status;
  try {
    status = await deps.database.describe(app, region);
    // RDS shows a renamed instance under its old identifier until the rename is applied (status
    // `renaming`): asked again meanwhile, it is not renamed twice.
    if (previous?.renamedTo !== undefined && database.engine === 'rds-read-replica') {
      return {
        region,
        state: 'renaming',
        final: false,
        detail: `${keptText}waiting for the rename to free ${database.instances[region] ?? 'the identifier'}`,
        ...kept,
      };
    }
  } catch (error) {
    if (!isNotFound(error) || database.engine !== 'rds-read-replica') throw error;
    // Renamed away (by this run, or before it): a replica of the writer takes the identifier.
    const created = await deps.database.createReplica(app, region, writer);
    return created === 'started'
      ? {
          region,
          state: 'building',
          final: true,
          detail: `${keptText}a new read replica of ${writer} is being created`,
          ...kept,
        }
      : {
          region,
          state: 'renaming',
          final: false,
          detail: `${keptText}waiting for the rename to free ${database.instances[region] ?? 'the identifier'}`,
          ...kept,
        };
  }
  if (status.role !== 'replica') {
    return {
      region,
      state: 'left',
      final: true,
      detail:
        database.engine === 'cloudnativepg'
          ? `a primary CloudNativePG cluster, not a replica: left as it is (re-clone it as a replica cluster of ${writer}, docs/cloudnativepg.md)`
          : `a ${status.role} database, not a replica: left as it is (make it a replica of ${writer} by hand, or fail back)`,
    };
  }
  if (status.sourceRegion === writer && database.engine === 'cloudnativepg' && !status.available) {
    // Re-pointed, not following yet: asked again until it is healthy, then given up at the limit.
    return {
      region,
      state: 'waiting',
      final: false,
      detail: `a replica cluster of ${writer}, not healthy yet (one that had replayed past ${writer}'s promotion point cannot follow it and must be re-cloned, docs/cloudnativepg.md)`,
    };
  }
  if (status.sourceRegion === writer) {
    return status.available
      ? { region, state: 'follows', final: true, detail: `${keptText}replicates from ${writer}`, ...kept }
      : {
          region,
          state: 'building',
          final: true,
          detail:
            database.engine === 'aurora-global'
              ? `Aurora is rebuilding it from ${writer}; it reads again once rebuilt`
              : `${keptText}a read replica of ${writer} is being built`,
          ...kept,
        };
  }
  if (database.engine === 'cloudnativepg') {
    // CloudNativePG leaves the other replica clusters pointing at the lost primary: each one's
    // `primary` and `source` are changed to the new primary, and its designated primary follows the
    // new primary's timeline (https://cloudnative-pg.io/documentation/current/replica_cluster/).
    await deps.database.follow(app, region, writer);
    return {
      region,
      state: 'waiting',
      final: false,
      detail: `a replica cluster of ${String(status.sourceRegion)}: re-pointed at ${writer} (spec.replica.primary and source), waiting for it to follow`,
    };
  }
  if (database.engine === 'aurora-global') {
    return {
      region,
      state: 'waiting',
      final: false,
      detail: `still a secondary of ${String(status.sourceRegion)}: waiting for Aurora to rebuild it from ${writer}`,
    };
  }
  const id = database.instances[region] ?? '';
  // Renamed only when a replica of the writer can take its place: otherwise the region would be left
  // with no database under its identifier.
  const problem = await deps.database.replicaProblem(app, region, writer);
  if (problem !== undefined) {
    return {
      region,
      state: 'left',
      final: true,
      detail: `${id}, a replica of ${String(status.sourceRegion)}, left as it is: ${problem}`,
    };
  }
  const renamed = retiredIdentifier(id, since, retiredLabel);
  await deps.database.retire(app, region, renamed);
  return {
    region,
    state: 'renaming',
    final: false,
    detail: `${id}, a replica of ${String(status.sourceRegion)}, renamed ${renamed} and kept (it may hold writes ${writer} lacks); a replica of ${writer} takes its place`,
    renamedTo: renamed,
  };
}
