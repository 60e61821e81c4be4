import type { ApplicationConfig, StoreConfig } from '../config/LifeboatConfig.ts';
import type { StoresPort } from '../ports/Estate.ts';
import { LAG_HISTORY_SECONDS, weighLag, type ReplicationAtRisk } from './replicationAtRisk.ts';

/**
 * The stores of an application (`stores` in the config) through a failover, a failback and a drill,
 * beside its database: what each would lose, its promotion, and where each member stands.
 */

/** What promoting the region's member of each store now would lose (`replicationAtRisk` on its lag). */
export async function storesAtRisk(
  stores: StoresPort,
  app: ApplicationConfig,
  region: string,
  options: {
    readonly now: Date;
    readonly sourceRegion: string;
    readonly failureBeganAt?: string | undefined;
  },
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
 * Whether each store's member in `region` is an available secondary of the primary in `from`, caught
 * up to `budgetSeconds` by its newest lag datapoint: the failback's precondition for switching a
 * store back with no data loss. Undefined when all are; else what stands in the way of the first
 * that is not, and whether it is only lagging.
 */
export async function storesBehind(
  stores: StoresPort,
  app: ApplicationConfig,
  region: string,
  from: string,
  budgetSeconds: number,
): Promise<
  { readonly lagging: boolean; readonly lagSeconds: number | null; readonly detail: string } | undefined
> {
  for (const store of app.stores) {
    const status = await stores.describe(app, store, region);
    if (status.role !== 'secondary' || status.sourceRegion !== from || !status.available) {
      return {
        lagging: false,
        lagSeconds: null,
        detail:
          status.role === 'secondary' && status.sourceRegion === from
            ? `store ${store.name}'s member in ${region} is rejoining the Global Datastore ${store.globalReplicationGroupId}`
            : `store ${store.name}'s member in ${region} is ${status.role === 'secondary' ? `a secondary of ${String(status.sourceRegion)}` : `the ${status.role}`}, not a secondary of the primary in ${from}`,
      };
    }
    const [newest] = await stores.lagHistory(app, store, region, 300);
    if (newest === undefined || newest.seconds > budgetSeconds) {
      return {
        lagging: true,
        lagSeconds: newest?.seconds ?? null,
        detail:
          newest === undefined
            ? `no lag datapoint yet for store ${store.name}'s member in ${region}`
            : `store ${store.name}'s member in ${region} lags ${newest.seconds} s (budget ${budgetSeconds} s)`,
      };
    }
  }
  return undefined;
}

/**
 * `GlobalDatastoreReplicationLag` is in seconds ("Unit: Seconds",
 * https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html): a member under
 * one second behind has caught up as far as the metric can tell.
 */
export const STORE_CAUGHT_UP_SECONDS = 1;

/**
 * Whether every store can be switched to `region` now (the failback's SwitchWriter): each member
 * there is already the primary (a run that switched it), or an available secondary of the primary in
 * `from` whose newest lag datapoint is under `STORE_CAUGHT_UP_SECONDS`. Every store is checked;
 * the detail names each that is not ready.
 */
export async function storesReadyToSwitch(
  stores: StoresPort,
  app: ApplicationConfig,
  region: string,
  from: string,
): Promise<{ readonly ready: boolean; readonly lagSeconds: number | null; readonly detail: string }> {
  const waiting: string[] = [];
  let worst: number | null = null;
  for (const store of app.stores) {
    const status = await stores.describe(app, store, region);
    if (status.role !== 'secondary') continue;
    if (status.sourceRegion !== from || !status.available) {
      waiting.push(
        `store ${store.name}'s member in ${region} is ${status.sourceRegion === from ? 'rejoining' : `a secondary of ${String(status.sourceRegion)}`}`,
      );
      continue;
    }
    const [newest] = await stores.lagHistory(app, store, region, 300);
    worst = Math.max(worst ?? 0, newest?.seconds ?? 0);
    if (newest === undefined || newest.seconds >= STORE_CAUGHT_UP_SECONDS) {
      waiting.push(
        newest === undefined
          ? `no lag datapoint yet for store ${store.name}'s member in ${region}`
          : `store ${store.name}'s member in ${region} lags ${newest.seconds} s`,
      );
    }
  }
  return { ready: waiting.length === 0, lagSeconds: worst, detail: waiting.join('; ') };
}

/** What a failover does to the stores, in the plan's words. */
export function storesPlan(app: ApplicationConfig, region: string): string[] {
  return app.stores.map(
    (s) =>
      `fail the Global Datastore ${s.globalReplicationGroupId} (store ${s.name}) over to ${s.replicationGroups[region] ?? '?'} in ${region}`,
  );
}
