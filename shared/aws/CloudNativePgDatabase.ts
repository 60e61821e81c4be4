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
 * - **promote, planned** (a switchover, no data loss): the documented token sequence. The source's
 *   primary is demoted (its `primary` and `source` name the target); CloudNativePG shuts it down
 *   cleanly, archives its last WAL and writes `status.demotionToken`. Until then this throws
 *   DatabaseBusyError, and the caller asks again. Then the target is patched with `primary` = itself
 *   and that token together; CloudNativePG replays up to the token's LSN before it promotes.
 * - **writable**: primary by its spec and its primary instance out of recovery.
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
    const state = await this.#read(cnpgRef(app, region));
    const steady = state.healthy && !state.fenced && !state.switching;
    if (state.role === 'primary') {
      // Primary by its spec is not yet a writer: after a promotion without a token the phase stays
      // healthy, and only its primary instance leaving recovery says the promotion is done. A fenced
      // primary instance takes no writes.
      return {
        role: 'writer',
        available: steady && !state.primaryFenced && state.writable,
        sourceRegion: undefined,
      };
    }
    return {
      role: 'replica',
      available: steady && !state.promoting,
      sourceRegion: regionNamed(app, state.source),
    };
  }

  /**
   * Unplanned: the target named primary with no token. Planned (`from`, the source region): the
   * source's primary demoted in favour of the target, then, once its `status.demotionToken` is
   * written, the target named primary with it; until then DatabaseBusyError. Asked again, each half
   * finds its change made and does not make it twice.
   */
  async promote(
    app: ApplicationConfig,
    region: string,
    options: { readonly planned: boolean; readonly by: string; readonly from?: string },
  ): Promise<'started' | 'already-promoted'> {
    const target = cnpgRef(app, region);
    const state = await this.#read(target);
    if (!options.planned) return this.#clusters.promote(target, {}, state);
    if (state.role === 'primary') return 'already-promoted';
    const fromRegion = options.from ?? regionNamed(app, state.primary);
    if (fromRegion === undefined || fromRegion === region) {
      throw new Error(
        `a planned switch to ${target.name} needs the member it takes over from; ${target.name}'s spec names ${String(state.primary)} primary, which is not a member of ${app.name}'s topology`,
      );
    }
    const source = cnpgRef(app, fromRegion);
    const before = await this.#read(source);
    if (before.role === 'replica' && before.primary !== state.self) {
      // Neither the primary nor demoted in favour of the target: switching from it would take the
      // token of a member that is not the writer.
      throw new Error(
        `${source.name} in ${fromRegion} is a replica cluster of ${String(before.primary)}, not the primary ${target.name} takes over from`,
      );
    }
    if (before.role === 'primary') await this.#clusters.demote(source, state.self, before);
    const demoted = before.role === 'primary' ? await this.#read(source) : before;
    if (demoted.demotionToken === undefined) {
      throw new DatabaseBusyError(
        `${source.name} in ${fromRegion} is being demoted and takes no writes; ${target.name} is promoted with its demotion token once CloudNativePG has written it`,
      );
    }
    return this.#clusters.promote(target, { promotionToken: demoted.demotionToken }, state);
  }

  /** Re-points a replica cluster at the writer; a primary is never demoted this way (it may hold writes). */
  async follow(app: ApplicationConfig, region: string, writerRegion: string): Promise<'started' | 'already'> {
    const ref = cnpgRef(app, region);
    const state = await this.#read(ref);
    if (state.role === 'primary') {
      throw new Error(
        `${ref.name} in ${region} is a primary, not a replica cluster: ${recloneText(app, region)}`,
      );
    }
    const writer = cnpgRef(app, writerRegion);
    const result = await this.#clusters.demote(ref, writer.name, state);
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

  /**
   * The member's Cluster. Lifeboat names members by `metadata.name`, as the config does; a Cluster
   * whose `spec.replica.self` names it otherwise is refused rather than half understood.
   */
  async #read(ref: CnpgClusterRef): Promise<CnpgClusterState> {
    const state = await this.#clusters.describe(ref);
    if (state.selfField !== undefined && state.selfField !== ref.name) {
      throw new Error(
        `${ref.namespace}/${ref.name} in ${ref.region} calls itself ${state.selfField} in the topology (spec.replica.self); Lifeboat names members by their Cluster's name: remove spec.replica.self or set it to ${ref.name}`,
      );
    }
    return state;
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
