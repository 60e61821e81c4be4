import type { ApplicationConfig, StoreConfig } from '../config/LifeboatConfig.ts';
import type { StoresPort } from '../ports/Estate.ts';
import {
  LAG_HISTORY_SECONDS,
  weighLag,
  type AtRiskWhen,
  type ReplicationAtRisk,
} from './replicationAtRisk.ts';

/**
 * The stores of an application (`stores` in the config) through a failover, a failback and a drill,
 * beside its database: what each would lose, its promotion, and where each member stands.
 */

/** What promoting the region's member of each store now would lose (`replicationAtRisk` on its lag). */
export async function storesAtRisk(
  stores: StoresPort,
  app: ApplicationConfig,
  region: string,
  options: AtRiskWhen,
): Promise<{ readonly store: StoreConfig; readonly risk: ReplicationAtRisk }[]> {
  return await Promise.all(
    app.stores.map(async (store) => {
      const samples = await stores.lagHistory(app, store, region, LAG_HISTORY_SECONDS);
      return { store, risk: weighLag(samples, app, options) };
    }),
  );
}

/**
 * The worst of the database's and the stores' risks: the run's RPO is the most any component would
 * lose, and it is unknown while any one is. The detail says each component's, the database's first.
 */
export function worstRisk(
  database: ReplicationAtRisk,
  stores: readonly { readonly store: StoreConfig; readonly risk: ReplicationAtRisk }[],
  /** Said after each component's detail, when given. */
  budgetSeconds?: number,
): ReplicationAtRisk {
  const budget = budgetSeconds === undefined ? '' : ` (budget ${budgetSeconds} s)`;
  if (stores.length === 0) return { ...database, detail: `${database.detail}${budget}` };
  const all = [database, ...stores.map((s) => s.risk)];
  const unknown = all.some((r) => r.seconds === undefined);
  const seconds = unknown ? undefined : Math.max(...all.map((r) => r.seconds ?? 0));
  return {
    seconds,
    newestSeconds: database.newestSeconds,
    ...(database.replicationStoppedAt === undefined
      ? {}
      : { replicationStoppedAt: database.replicationStoppedAt }),
    detail: [
      `${database.detail}${budget}`,
      ...stores.map((s) => `store ${s.store.name}: ${s.risk.detail}${budget}`),
    ].join('; '),
  };
}

/** Each store's member in `region` made the primary, in parallel; by store name, what each said. */
export async function promoteStores(
  stores: StoresPort,
  app: ApplicationConfig,
  region: string,
  options: { readonly planned: boolean; readonly by: string },
): Promise<Record<string, 'started' | 'already-promoted'>> {
  const results = await Promise.all(
    app.stores.map(async (store) => [store.name, await stores.promote(app, store, region, options)] as const),
  );
  return Object.fromEntries(results);
}

/** Where a region's member of each store stands, by store name: its role, and whether it takes writes now. */
export async function storeRoles(
  stores: StoresPort,
  app: ApplicationConfig,
  region: string,
): Promise<{ readonly writable: boolean; readonly roles: Record<string, string> }> {
  const statuses = await Promise.all(
    app.stores.map(async (store) => [store.name, await stores.describe(app, store, region)] as const),
  );
  return {
    writable: statuses.every(([, s]) => s.role !== 'secondary' && s.available),
    roles: Object.fromEntries(
      statuses.map(([name, s]) => [name, s.available ? s.role : `${s.role} (changing)`]),
    ),
  };
}

/**
 * `GlobalDatastoreReplicationLag` is in seconds ("Unit: Seconds",
 * https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html): a member under
 * one second behind has caught up as far as the metric can tell.
 */
export const STORE_CAUGHT_UP_SECONDS = 1;

/** One store whose member is not (yet) a caught-up secondary: why, and whether only its lag is. */
export interface StoreBehind {
  readonly lagging: boolean;
  readonly lagSeconds: number | null;
  readonly detail: string;
}

/**
 * Every store whose member in `region` is not an available secondary of the primary in `from`
 * caught up by its newest lag datapoint (`lagged` says when a lag is too much), with the worst lag
 * read. The failback's CheckReplica holds the members to the RPO budget (`budgetSeconds`, said in the
 * detail); its SwitchWriter to `STORE_CAUGHT_UP_SECONDS`, and counts a member that already takes writes
 * (switched by an earlier run) as done (`writerDone`).
 */
export async function storesBehind(
  stores: StoresPort,
  app: ApplicationConfig,
  region: string,
  from: string,
  options: {
    readonly lagged: (seconds: number) => boolean;
    readonly budgetSeconds?: number;
    readonly writerDone?: boolean;
  },
): Promise<{ readonly behind: readonly StoreBehind[]; readonly worstLagSeconds: number | null }> {
  const behind: StoreBehind[] = [];
  let worst: number | null = null;
  for (const store of app.stores) {
    const status = await stores.describe(app, store, region);
    if (status.role !== 'secondary' && options.writerDone === true) continue;
    const member = `store ${store.name}'s member in ${region}`;
    if (status.role !== 'secondary' || status.sourceRegion !== from || !status.available) {
      behind.push({
        lagging: false,
        lagSeconds: null,
        detail:
          status.role === 'secondary' && status.sourceRegion === from
            ? `${member} is rejoining the Global Datastore ${store.globalReplicationGroupId}`
            : `${member} is ${status.role === 'secondary' ? `a secondary of ${String(status.sourceRegion)}` : `the ${status.role}`}, not a secondary of the primary in ${from}`,
      });
      continue;
    }
    const [newest] = await stores.lagHistory(app, store, region, 300);
    worst = Math.max(worst ?? 0, newest?.seconds ?? 0);
    if (newest === undefined || options.lagged(newest.seconds)) {
      const budget = options.budgetSeconds === undefined ? '' : ` (budget ${options.budgetSeconds} s)`;
      behind.push({
        lagging: true,
        lagSeconds: newest?.seconds ?? null,
        detail:
          newest === undefined
            ? `no lag datapoint yet for ${member}`
            : `${member} lags ${newest.seconds} s${budget}`,
      });
    }
  }
  return { behind, worstLagSeconds: worst };
}

/** What a failover does to the stores, in the plan's words. */
export function storesPlan(app: ApplicationConfig, region: string): string[] {
  return app.stores.map(
    (s) =>
      `fail the Global Datastore ${s.globalReplicationGroupId} (store ${s.name}) over to ${s.replicationGroups[region] ?? '?'} in ${region}`,
  );
}
