import type { LifeboatConfig } from './LifeboatConfig.ts';

/**
 * The Kubernetes group Lifeboat's access entries carry where a cluster needs more than EKS's access
 * policies give: KEDA ScaledObjects are custom resources, which no EKS access policy covers
 * (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html: "If the permissions
 * in the access policies don't meet your needs, create Kubernetes RBAC objects and specify group names
 * for your access entries").
 */
export const SCALERS_GROUP = 'lifeboat-scalers';

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
 * The RBAC each EKS cluster of the config needs for Lifeboat, by region and cluster: in each
 * namespace with workloads a KEDA ScaledObject owns, a Role that reads and patches exactly those
 * ScaledObjects, bound to `SCALERS_GROUP`. Clusters that need none are left out. The cluster's owner
 * applies it (`lifeboat kubernetes-rbac`, docs/autoscaling.md); the stacks' access entries put
 * Lifeboat's roles in the group.
 */
export function kubernetesRbac(config: Pick<LifeboatConfig, 'applications'>): ClusterRbac[] {
  const byCluster = new Map<
    string,
    { region: string; clusterName: string; names: Map<string, Set<string>> }
  >();
  for (const app of config.applications) {
    for (const [region, workloads] of Object.entries(app.workloads)) {
      for (const w of workloads.deployments) {
        if (w.autoscaler?.kind !== 'ScaledObject') continue;
        const key = `${region}/${workloads.clusterName}`;
        const cluster = byCluster.get(key) ?? {
          region,
          clusterName: workloads.clusterName,
          names: new Map<string, Set<string>>(),
        };
        const names = cluster.names.get(w.namespace) ?? new Set<string>();
        names.add(w.autoscaler.name);
        cluster.names.set(w.namespace, names);
        byCluster.set(key, cluster);
      }
    }
  }
  return [...byCluster.values()]
    .sort((a, b) => a.region.localeCompare(b.region) || a.clusterName.localeCompare(b.clusterName))
    .map(({ region, clusterName, names }) => ({
      region,
      clusterName,
      objects: [...names]
        .sort(([a], [b]) => a.localeCompare(b))
        .flatMap(([namespace, scaledObjects]): RbacObject[] => [
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'Role',
            metadata: { name: SCALERS_GROUP, namespace },
            rules: [
              {
                apiGroups: ['keda.sh'],
                resources: ['scaledobjects'],
                resourceNames: [...scaledObjects].sort(),
                verbs: ['get', 'patch'],
              },
            ],
          },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'RoleBinding',
            metadata: { name: SCALERS_GROUP, namespace },
            subjects: [{ kind: 'Group', name: SCALERS_GROUP, apiGroup: 'rbac.authorization.k8s.io' }],
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: SCALERS_GROUP },
          },
        ]),
    }));
}

/** Whether a cluster's access entries must carry `SCALERS_GROUP`. */
export function needsScalersGroup(
  config: Pick<LifeboatConfig, 'applications'>,
  region: string,
  clusterName: string,
): boolean {
  return kubernetesRbac(config).some((c) => c.region === region && c.clusterName === clusterName);
}
