import type { EksKubernetesApi } from './KubernetesApi.ts';

/** What the adapter needs of a Kubernetes API client: one call, its parsed JSON or a KubernetesApiError. */
export type KubernetesCaller = Pick<EksKubernetesApi, 'call'>;

/**
 * CloudNativePG `Cluster` resources (`postgresql.cnpg.io/v1`) of a distributed topology, one per
 * region's EKS cluster, read and changed through the Kubernetes API with the EKS token, as the
 * workloads are scaled. Every change is a JSON merge patch of the resource's spec or annotations;
 * CloudNativePG's operator does the rest. Field names follow CloudNativePG's API reference
 * (https://cloudnative-pg.io/documentation/current/cloudnative-pg.v1/) and its replica clusters guide
 * (https://cloudnative-pg.io/documentation/current/replica_cluster/). The RBAC it needs: `get` and
 * `patch` on `clusters` in the `postgresql.cnpg.io` group.
 */

/** Where one member of the topology is: its region, the EKS cluster there, and the resource. */
export interface CnpgClusterRef {
  readonly region: string;
  /** The EKS cluster whose API server holds the resource. */
  readonly eksCluster: string;
  readonly namespace: string;
  readonly name: string;
}

/** One member as its spec and status say. */
export interface CnpgClusterState {
  /**
   * CloudNativePG's own rule (`Cluster.IsReplica`): no `spec.replica` is a primary; `enabled`, when
   * set, decides; otherwise the member is the primary when `primary` names it (`self`, or its name).
   */
  readonly role: 'primary' | 'replica';
  /** Its name in the topology: `spec.replica.self`, else `metadata.name`. */
  readonly self: string;
  /** The member the spec names as the topology's primary (`spec.replica.primary`). */
  readonly primary: string | undefined;
  /** The member it replicates from while a replica (`spec.replica.source`). */
  readonly source: string | undefined;
  /** `status.phase`, as CloudNativePG words it ("Cluster in healthy state", ...). */
  readonly phase: string;
  /** The phase is "Cluster in healthy state" and the `Ready` condition is True. */
  readonly healthy: boolean;
  /** Waiting to replay up to its promotion token's LSN ("Promoting to primary cluster"). */
  readonly promoting: boolean;
  /** A demotion is under way (`status.switchReplicaClusterStatus.inProgress`). */
  readonly switching: boolean;
  /** The token a demoted primary leaves for its successor (`status.demotionToken`), once written. */
  readonly demotionToken: string | undefined;
  /** The token its last promotion used (`status.lastPromotionToken`). */
  readonly lastPromotionToken: string | undefined;
  /** The token its spec carries (`spec.replica.promotionToken`). */
  readonly promotionToken: string | undefined;
  readonly timelineId: number | undefined;
  /** Every instance is fenced: the `cnpg.io/fencedInstances` annotation lists `*`. */
  readonly fenced: boolean;
  /**
   * Its primary instance is fenced (the annotation lists `*` or `status.currentPrimary`): whatever
   * else a person left unfenced (a standby kept up to read a former primary's data) takes no writes,
   * so `fence` leaves it as it is.
   */
  readonly primaryFenced: boolean;
  /**
   * Its primary instance is out of recovery and takes writes: `status.instancesReportedState` of
   * `status.currentPrimary` says `isPrimary` (CloudNativePG reads it from the instance: no
   * `standby.signal`). A replica cluster's designated primary is in recovery; after a promotion
   * without a token the phase does not change, so this is what says the promotion is done.
   */
  readonly writable: boolean;
  /** `spec.replica.self` when set: the member's name in the topology if not its `metadata.name`. */
  readonly selfField: string | undefined;
}

/** The phase of a healthy cluster, word for word (CloudNativePG's `PhaseHealthy`). */
export const CNPG_HEALTHY_PHASE = 'Cluster in healthy state';
/** The phase of a replica waiting for its promotion token's LSN (`PhaseReplicaClusterPromotion`). */
export const CNPG_PROMOTING_PHASE = 'Promoting to primary cluster';
/** The annotation whose JSON list of instance names CloudNativePG fences; `["*"]` is every one. */
export const CNPG_FENCED_ANNOTATION = 'cnpg.io/fencedInstances';

interface ClusterResource {
  readonly metadata?: { readonly name?: string; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec?: {
    readonly replica?: {
      readonly self?: string;
      readonly primary?: string;
      readonly source?: string;
      readonly enabled?: boolean;
      readonly promotionToken?: string;
    };
  };
  readonly status?: {
    readonly phase?: string;
    readonly timelineID?: number;
    readonly demotionToken?: string;
    readonly lastPromotionToken?: string;
    readonly switchReplicaClusterStatus?: { readonly inProgress?: boolean };
    readonly currentPrimary?: string;
    readonly instancesReportedState?: Readonly<Record<string, { readonly isPrimary?: boolean }>>;
    readonly conditions?: readonly { readonly type?: string; readonly status?: string }[];
  };
}

/**
 * Each change reads the Cluster first to decide whether it is needed, unless the caller passes what
 * it has just read (`read`): one GET, not two, on the failover's path.
 */
export class CloudNativePgClusters {
  readonly #api: KubernetesCaller;

  constructor(api: KubernetesCaller) {
    this.#api = api;
  }

  /** GET the resource: its role, health, tokens and fence. */
  async describe(ref: CnpgClusterRef): Promise<CnpgClusterState> {
    const resource = (await this.#api.call(
      ref.region,
      ref.eksCluster,
      'GET',
      clusterPath(ref),
    )) as ClusterResource;
    return stateOf(resource, ref);
  }

  /**
   * Makes the member the topology's primary: `spec.replica.primary` set to itself in one merge patch.
   * With `promotionToken` (a planned switchover: the demoted primary's `status.demotionToken`),
   * CloudNativePG first replays up to the token's LSN and refuses a member that is ahead; without it
   * (the primary's region is lost) it promotes at once, and the former primary must be re-cloned
   * before it rejoins. "It is crucial to apply the changes to the `primary` and `promotionToken`
   * fields simultaneously" (replica clusters guide), so both go in one patch; an old token is
   * removed when none is given, and `enabled`, which cannot be set with `primary`, always is.
   * A member that already is the primary is left alone: `already-promoted`.
   */
  async promote(
    ref: CnpgClusterRef,
    options: { readonly promotionToken?: string } = {},
    read?: CnpgClusterState,
  ): Promise<'started' | 'already-promoted'> {
    const state = read ?? (await this.describe(ref));
    if (state.role === 'primary') return 'already-promoted';
    await this.#patch(ref, {
      spec: {
        replica: {
          primary: state.self,
          promotionToken: options.promotionToken ?? null,
          enabled: null,
        },
      },
    });
    return 'started';
  }

  /**
   * Demotes the primary into a replica of `primary` (the first half of a planned switchover): names
   * it as primary and source, and drops the member's own old promotion token, which CloudNativePG
   * refuses on a replica. The operator shuts the primary down cleanly, archives its last WAL and
   * writes `status.demotionToken` for the successor. A member that already follows `primary` is
   * left alone: `already-demoted`.
   */
  async demote(
    ref: CnpgClusterRef,
    primary: string,
    read?: CnpgClusterState,
  ): Promise<'started' | 'already-demoted'> {
    const state = read ?? (await this.describe(ref));
    if (state.self === primary) {
      throw new RangeError(`${ref.name} in ${ref.region} cannot be demoted in favour of itself (${primary})`);
    }
    if (state.role === 'replica' && state.primary === primary && state.source === primary)
      return 'already-demoted';
    await this.#patch(ref, {
      spec: { replica: { primary, source: primary, promotionToken: null, enabled: null } },
    });
    return 'started';
  }

  /**
   * Fences every instance (`cnpg.io/fencedInstances: ["*"]`): CloudNativePG shuts PostgreSQL down
   * and keeps the pods and their data for inspection. A Cluster whose primary instance is fenced
   * already (a person's fence that leaves a standby up to read from) is left as it is:
   * `already-fenced`. One that leaves the primary instance unfenced is fenced whole. For a former primary that came back still
   * naming itself primary after its region was lost: nothing can write to it until a person
   * re-clones it or lifts the fence.
   */
  async fence(ref: CnpgClusterRef, read?: CnpgClusterState): Promise<'fenced' | 'already-fenced'> {
    const state = read ?? (await this.describe(ref));
    if (state.primaryFenced) return 'already-fenced';
    await this.#patch(ref, { metadata: { annotations: { [CNPG_FENCED_ANNOTATION]: '["*"]' } } });
    return 'fenced';
  }

  async #patch(ref: CnpgClusterRef, patch: unknown): Promise<void> {
    await this.#api.call(ref.region, ref.eksCluster, 'PATCH', clusterPath(ref), JSON.stringify(patch));
  }
}

/** `/apis/postgresql.cnpg.io/v1/namespaces/<ns>/clusters/<name>`. */
export function clusterPath(ref: Pick<CnpgClusterRef, 'namespace' | 'name'>): string {
  return `/apis/postgresql.cnpg.io/v1/namespaces/${encodeURIComponent(ref.namespace)}/clusters/${encodeURIComponent(ref.name)}`;
}

function stateOf(resource: ClusterResource, ref: CnpgClusterRef): CnpgClusterState {
  const replica = resource.spec?.replica;
  const self = nonEmpty(replica?.self) ?? resource.metadata?.name ?? ref.name;
  const isReplica =
    replica === undefined
      ? false
      : replica.enabled !== undefined
        ? replica.enabled
        : self !== replica.primary;
  const status = resource.status ?? {};
  const phase = status.phase ?? '';
  const ready = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const fenced = fencedList(resource.metadata?.annotations?.[CNPG_FENCED_ANNOTATION]);
  return {
    role: isReplica ? 'replica' : 'primary',
    self,
    primary: nonEmpty(replica?.primary),
    source: nonEmpty(replica?.source),
    phase,
    healthy: phase === CNPG_HEALTHY_PHASE && ready,
    promoting: phase === CNPG_PROMOTING_PHASE,
    switching: status.switchReplicaClusterStatus?.inProgress === true,
    demotionToken: nonEmpty(status.demotionToken),
    lastPromotionToken: nonEmpty(status.lastPromotionToken),
    promotionToken: nonEmpty(replica?.promotionToken),
    timelineId: status.timelineID,
    fenced: fenced.includes('*'),
    primaryFenced:
      fenced.includes('*') || (status.currentPrimary !== undefined && fenced.includes(status.currentPrimary)),
    writable:
      status.currentPrimary !== undefined &&
      status.instancesReportedState?.[status.currentPrimary]?.isPrimary === true,
    selfField: nonEmpty(replica?.self),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The instances the annotation's JSON list fences (`*` for every one); none when absent or unreadable. */
function fencedList(annotation: string | undefined): unknown[] {
  if (annotation === undefined) return [];
  try {
    const list = JSON.parse(annotation) as unknown;
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}
