import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import { DatabaseBusyError } from '../errors.ts';
import type { DatabasePort, DatabaseStatus, QuarantineState } from '../ports/Estate.ts';
import { recloneText } from '../config/databases.ts';
import type { CloudNativePgClusters, CnpgClusterRef, CnpgClusterState } from './CloudNativePgClusters.ts';

type CnpgConfig = Extract<ApplicationConfig['database'], { engine: 'cloudnativepg' }>;

/**
 * The database port of an application whose PostgreSQL CloudNativePG runs, one `Cluster` per region
 * in a distributed topology (https://cloudnative-pg.io/documentation/current/replica_cluster/):
 *
 * - **describe**: the role by CloudNativePG's own rule (the spec's `replica.primary` names the member,
 *   or not), the source region from `replica.source`, and available while the cluster is healthy,
 *   not fenced, not waiting for a promotion token and not switching roles.
 * - **promote, unplanned**: `spec.replica.primary` set to the member itself with no token. "If the
 *   promotion token is omitted, a failover will be triggered, necessitating a rebuild of the former
 *   primary" (replica clusters guide, "Promoting a Replica Cluster").
 * - **promote, planned** (a switchover, no data loss): the documented token sequence. The current
 *   primary is demoted (its `primary` and `source` name the target); CloudNativePG shuts it down
 *   cleanly, archives its last WAL and writes `status.demotionToken`. Until then this throws
 *   DatabaseBusyError, and the caller asks again. Then the target is patched with `primary` = itself
 *   and that token together; CloudNativePG replays up to the token's LSN before it promotes.
 * - **follow**: a replica cluster of another member re-pointed at the writer.
 * - **fence**: every instance fenced, data kept.
 *
 * Nothing is renamed, rebuilt or deleted: a former primary that diverged must be re-cloned by a
 * person (docs/cloudnativepg.md), so `retire` and `createReplica` refuse, saying so.
 */
export class CloudNativePgDatabase implements DatabasePort {
  readonly #clusters: CloudNativePgClusters;

  constructor(clusters: CloudNativePgClusters) {
    this.#clusters = clusters;
  }

  async describe(app: ApplicationConfig, region: string): Promise<DatabaseStatus> {
    const state = await this.#clusters.describe(cnpgRef(app, region));
    if (state.role === 'primary') {
      return {
        role: 'writer',
        available: state.healthy && !state.fenced && !state.switching,
        sourceRegion: undefined,
      };
    }
    return {
      role: 'replica',
      available: state.healthy && !state.fenced && !state.promoting && !state.switching,
      sourceRegion: regionNamed(app, state.source),
    };
  }

  async promote(
    app: ApplicationConfig,
    region: string,
    options: { readonly planned: boolean; readonly by: string },
  ): Promise<'started' | 'already-promoted'> {
    const target = cnpgRef(app, region);
    if (!options.planned) return this.#clusters.promote(target);
    const state = await this.#clusters.describe(target);
    if (state.role === 'primary') return 'already-promoted';
    const others = await this.#others(app, region);
    // A second call finds the member it demoted in favour of the target (demoting, or demoted with
    // its token); a first one demotes the topology's primary.
    const demoting = others.find(
      (m) =>
        m.state.role === 'replica' &&
        m.state.primary === state.self &&
        (m.state.switching || m.state.demotionToken !== undefined),
    );
    const primary = others.find((m) => m.state.role === 'primary' && !m.state.fenced);
    const from = demoting ?? primary;
    if (from === undefined) {
      throw new Error(
        `no other member of ${app.name}'s CloudNativePG topology is its primary, so none can be demoted for a switchover to ${target.name}; promote it unplanned (a failover) or make one the primary`,
      );
    }
    const source = cnpgRef(app, from.region);
    if (demoting === undefined) await this.#clusters.demote(source, state.self);
    const demoted = await this.#clusters.describe(source);
    if (demoted.demotionToken === undefined) {
      throw new DatabaseBusyError(
        `${source.name} in ${from.region} is being demoted; ${target.name} is promoted with its demotion token once CloudNativePG has written it`,
      );
    }
    return this.#clusters.promote(target, { promotionToken: demoted.demotionToken });
  }

  async follow(app: ApplicationConfig, region: string, writerRegion: string): Promise<'started' | 'already'> {
    const writer = cnpgRef(app, writerRegion);
    const result = await this.#clusters.demote(cnpgRef(app, region), writer.name);
    return result === 'already-demoted' ? 'already' : 'started';
  }

  async fence(app: ApplicationConfig, region: string): Promise<'fenced' | 'already'> {
    const result = await this.#clusters.fence(cnpgRef(app, region));
    return result === 'already-fenced' ? 'already' : 'fenced';
  }

  retire(app: ApplicationConfig, region: string): Promise<'renamed' | 'absent'> {
    return Promise.reject(new Error(recloneText(app, region)));
  }

  createReplica(app: ApplicationConfig, region: string): Promise<'started' | 'busy'> {
    return Promise.reject(new Error(recloneText(app, region)));
  }

  /** A replica cluster is re-pointed, never rebuilt, so only a missing Cluster stands in the way. */
  async replicaProblem(app: ApplicationConfig, region: string): Promise<string | undefined> {
    const state = await this.#clusters.describe(cnpgRef(app, region));
    return state.role === 'primary' ? recloneText(app, region) : undefined;
  }

  quarantine(app: ApplicationConfig): Promise<QuarantineState> {
    return Promise.reject(
      new Error(`${app.name}'s CloudNativePG clusters are fenced, not quarantined by security group`),
    );
  }

  /** Fencing stops PostgreSQL, which ends every connection: there is nothing to reboot. */
  reboot(app: ApplicationConfig): Promise<void> {
    return Promise.reject(new Error(`${app.name}'s CloudNativePG clusters are fenced, not rebooted`));
  }

  /** Every other member as its Cluster says. */
  async #others(
    app: ApplicationConfig,
    except: string,
  ): Promise<{ readonly region: string; readonly state: CnpgClusterState }[]> {
    const others: { region: string; state: CnpgClusterState }[] = [];
    for (const region of app.regions) {
      if (region !== except)
        others.push({ region, state: await this.#clusters.describe(cnpgRef(app, region)) });
    }
    return others;
  }
}

function cnpgConfig(app: ApplicationConfig): CnpgConfig {
  if (app.database.engine !== 'cloudnativepg') {
    throw new Error(`${app.name}'s database is ${app.database.engine}, not CloudNativePG`);
  }
  return app.database;
}

/** The region's Cluster: its namespace and name, on the region's EKS cluster. */
export function cnpgRef(app: ApplicationConfig, region: string): CnpgClusterRef {
  const cluster = cnpgConfig(app).clusters[region];
  const eksCluster = app.workloads[region]?.clusterName;
  if (cluster === undefined || eksCluster === undefined) {
    throw new Error(`${app.name} has no CloudNativePG cluster configured for ${region}`);
  }
  return { region, eksCluster, namespace: cluster.namespace, name: cluster.name };
}

/** The region whose Cluster has this name in the topology. */
export function regionNamed(app: ApplicationConfig, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  return Object.entries(cnpgConfig(app).clusters).find(([, c]) => c.name === name)?.[0];
}
