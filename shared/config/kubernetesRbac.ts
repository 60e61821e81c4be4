import type { LifeboatConfig } from './LifeboatConfig.ts';

/**
 * The Kubernetes group Lifeboat's access entries carry where a cluster needs more than EKS's access
 * policies give: KEDA ScaledObjects are custom resources, which no EKS access policy covers
 * (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html: "If the permissions
 * in the access policies don't meet your needs, create Kubernetes RBAC objects and specify group names
 * for your access entries").
 */
export const SCALERS_GROUP = 'lifeboat-scalers';

/**
 * The Kubernetes group the custom-step function's access entries carry on the clusters that run a
 * custom step's Job: its Role creates, reads and deletes Jobs in those namespaces, and nothing else
 * (docs/custom-steps.md). No EKS access policy is that narrow.
 */
export const JOBS_GROUP = 'lifeboat-jobs';

/**
 * The Kubernetes group of the functions that change an application's CloudNativePG `Cluster`
 * resources (the database function promotes, demotes and re-points them; the offer fences a returning
 * old primary): its Role gets and patches exactly those Clusters (docs/cloudnativepg.md).
 */
export const DATABASES_GROUP = 'lifeboat-databases';

/** The Kubernetes group of the functions that only read the `Cluster` resources (preflight, traffic). */
export const DATABASE_READERS_GROUP = 'lifeboat-database-readers';

export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

/** A Role or a RoleBinding, as `kubectl apply` takes it. */
export type RbacObject =
  | {
      readonly apiVersion: 'rbac.authorization.k8s.io/v1';
      readonly kind: 'Role';
      readonly metadata: { readonly name: string; readonly namespace: string };
      readonly rules: readonly RbacRule[];
    }
  | {
      readonly apiVersion: 'rbac.authorization.k8s.io/v1';
      readonly kind: 'RoleBinding';
      readonly metadata: { readonly name: string; readonly namespace: string };
      readonly subjects: readonly {
        readonly kind: 'Group';
        readonly name: string;
        readonly apiGroup: string;
      }[];
      readonly roleRef: { readonly apiGroup: string; readonly kind: 'Role'; readonly name: string };
    };

export interface ClusterRbac {
  readonly region: string;
  readonly clusterName: string;
  readonly objects: readonly RbacObject[];
}

/**
 * The RBAC each EKS cluster of the config needs for Lifeboat, by region and cluster:
 * - in each namespace with workloads a KEDA ScaledObject owns, a Role that reads and patches exactly
 *   those ScaledObjects, bound to `SCALERS_GROUP`;
 * - in each namespace a custom step runs a Job in, a Role that creates, reads and deletes Jobs, bound
 *   to `JOBS_GROUP` (Job names are made per run, so no `resourceNames`);
 * - in each namespace that holds an application's CloudNativePG `Cluster`, a Role that reads and
 *   patches exactly those Clusters, bound to `DATABASES_GROUP`, and one that only reads them, bound to
 *   `DATABASE_READERS_GROUP`.
 * Clusters that need none are left out. The cluster's owner applies it (`lifeboat kubernetes-rbac`,
 * docs/autoscaling.md, docs/custom-steps.md); the stacks' access entries put Lifeboat's roles in the
 * groups.
 */
export function kubernetesRbac(config: Pick<LifeboatConfig, 'applications'>): ClusterRbac[] {
  const byCluster = new Map<
    string,
    {
      region: string;
      clusterName: string;
      scaled: Map<string, Set<string>>;
      jobs: Set<string>;
      databases: Map<string, Set<string>>;
    }
  >();
  const clusterOf = (region: string, clusterName: string) => {
    const key = `${region}/${clusterName}`;
    const cluster = byCluster.get(key) ?? {
      region,
      clusterName,
      scaled: new Map<string, Set<string>>(),
      jobs: new Set<string>(),
      databases: new Map<string, Set<string>>(),
    };
    byCluster.set(key, cluster);
    return cluster;
  };
  for (const app of config.applications) {
    for (const [region, workloads] of Object.entries(app.workloads)) {
      for (const w of workloads.deployments) {
        if (w.autoscaler?.kind !== 'ScaledObject') continue;
        const cluster = clusterOf(region, workloads.clusterName);
        const names = cluster.scaled.get(w.namespace) ?? new Set<string>();
        names.add(w.autoscaler.name);
        cluster.scaled.set(w.namespace, names);
      }
    }
    if (app.database.engine === 'cloudnativepg') {
      for (const [region, member] of Object.entries(app.database.clusters)) {
        const workloads = app.workloads[region];
        if (workloads === undefined) continue;
        const cluster = clusterOf(region, workloads.clusterName);
        const names = cluster.databases.get(member.namespace) ?? new Set<string>();
        names.add(member.name);
        cluster.databases.set(member.namespace, names);
      }
    }
    for (const step of app.customSteps) {
      if (step.kind !== 'kubernetes-job') continue;
      const regions = step.region === 'target' || step.region === 'source' ? app.regions : [step.region];
      for (const region of regions) {
        const workloads = app.workloads[region];
        if (workloads !== undefined) clusterOf(region, workloads.clusterName).jobs.add(step.namespace);
      }
    }
  }
  return [...byCluster.values()]
    .sort((a, b) => a.region.localeCompare(b.region) || a.clusterName.localeCompare(b.clusterName))
    .map(({ region, clusterName, scaled, jobs, databases }) => ({
      region,
      clusterName,
      objects: [
        ...[...scaled]
          .sort(([a], [b]) => a.localeCompare(b))
          .flatMap(([namespace, scaledObjects]) =>
            boundRole(SCALERS_GROUP, namespace, {
              apiGroups: ['keda.sh'],
              resources: ['scaledobjects'],
              resourceNames: [...scaledObjects].sort(),
              verbs: ['get', 'patch'],
            }),
          ),
        ...[...jobs].sort().flatMap((namespace) =>
          boundRole(JOBS_GROUP, namespace, {
            apiGroups: ['batch'],
            resources: ['jobs'],
            verbs: ['create', 'get', 'delete'],
          }),
        ),
        ...[...databases]
          .sort(([a], [b]) => a.localeCompare(b))
          .flatMap(([namespace, names]) => [
            ...boundRole(DATABASES_GROUP, namespace, {
              apiGroups: ['postgresql.cnpg.io'],
              resources: ['clusters'],
              resourceNames: [...names].sort(),
              verbs: ['get', 'patch'],
            }),
            ...boundRole(DATABASE_READERS_GROUP, namespace, {
              apiGroups: ['postgresql.cnpg.io'],
              resources: ['clusters'],
              resourceNames: [...names].sort(),
              verbs: ['get'],
            }),
          ]),
      ],
    }));
}

/** A Role with one rule, and its binding to the group of the same name. */
function boundRole(group: string, namespace: string, rule: RbacRule): RbacObject[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: group, namespace },
      rules: [rule],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: group, namespace },
      subjects: [{ kind: 'Group', name: group, apiGroup: 'rbac.authorization.k8s.io' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: group },
    },
  ];
}

/** The RBAC one cluster needs (`kubernetesRbac`'s objects for it; none when it needs none). */
export function rbacFor(
  config: Pick<LifeboatConfig, 'applications'>,
  region: string,
  clusterName: string | undefined,
): readonly RbacObject[] {
  return (
    kubernetesRbac(config).find((c) => c.region === region && c.clusterName === clusterName)?.objects ?? []
  );
}

/**
 * The Kubernetes groups a cluster's scaling entries (`scalers`), custom-step entries (`jobs`) and
 * database entries (`databases`: a CloudNativePG Cluster is there) need.
 */
export function groupsNeeded(
  config: Pick<LifeboatConfig, 'applications'>,
  region: string,
  clusterName: string,
): { scalers: boolean; jobs: boolean; databases: boolean } {
  const objects = rbacFor(config, region, clusterName);
  return {
    scalers: objects.some((o) => o.metadata.name === SCALERS_GROUP),
    jobs: objects.some((o) => o.metadata.name === JOBS_GROUP),
    databases: objects.some((o) => o.metadata.name === DATABASES_GROUP),
  };
}

/** Whether a cluster's access entries must carry `SCALERS_GROUP`. */
export function needsScalersGroup(
  config: Pick<LifeboatConfig, 'applications'>,
  region: string,
  clusterName: string,
): boolean {
  return groupsNeeded(config, region, clusterName).scalers;
}
