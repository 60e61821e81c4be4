import { Stack, type StackProps } from 'aws-cdk-lib';
import { CfnAccessEntry } from 'aws-cdk-lib/aws-eks';
import type { Construct } from 'constructs';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { kubernetesRoleName } from '../../shared/config/naming.ts';
import {
  DATABASE_READERS_GROUP,
  DATABASES_GROUP,
  groupsNeeded,
  JOBS_GROUP,
  needsScalersGroup,
  SCALERS_GROUP,
} from '../../shared/config/kubernetesRbac.ts';
import { preScaledBy } from '../../shared/trigger/preScale.ts';

/** The EKS access policies Lifeboat's functions are given (Amazon-managed, read-only contents). */
export const SCALING_POLICY = 'AmazonARCRegionSwitchScalingPolicy';
export const ADMIN_VIEW_POLICY = 'AmazonEKSAdminViewPolicy';

export interface ClusterAccessStackProps extends StackProps {
  readonly config: LifeboatConfig;
  /** The control-plane regions whose workloads function scales these clusters. */
  readonly workloadsRegions: readonly string[];
  /** The control-plane regions whose drill function reads these clusters' nodes. */
  readonly drillRegions: readonly string[];
  /** The control-plane regions whose custom-step function runs the applications' Jobs. */
  readonly customRegions: readonly string[];
}

/**
 * The Kubernetes access of Lifeboat's functions to the EKS clusters of one region, as EKS access
 * entries (https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html):
 * - every control plane's workloads function may scale the workloads in the applications'
 *   namespaces and move their HPAs' bounds (AmazonARCRegionSwitchScalingPolicy, namespace scope: get
 *   and update on any kind's `scale`, get on `status`, get and patch on `horizontalpodautoscalers`,
 *   https://docs.aws.amazon.com/r53recovery/latest/dg/eks-resource-scaling-block.html; nothing else
 *   in those namespaces) and read the nodes that count a node group's ready capacity
 *   (AmazonEKSAdminViewPolicy, cluster scope: nodes are cluster-scoped, and no narrower managed
 *   policy reads them);
 * - every drill function reads (AmazonEKSAdminViewPolicy, cluster scope);
 * - where an application pre-scales its standby on the first signal (`automation.preScaleOnFirstSignal`),
 *   the trigger of the control plane in the cluster's own region scales as the workloads function
 *   does, in that application's namespaces only.
 * A KEDA ScaledObject is a custom resource no access policy covers: on a cluster with one, the
 * scaling entries also put the role in the Kubernetes group `lifeboat-scalers`, which the RBAC that
 * `lifeboat kubernetes-rbac` prints binds to those ScaledObjects alone (docs/autoscaling.md).
 * Where an application's database is CloudNativePG's, on the clusters that hold its Clusters, the
 * database function of every control plane that serves it is put in the group `lifeboat-databases`
 * (get and patch of those Clusters), as is the offer of the cluster's own region; the other offers,
 * the traffic functions and the preflight of the cluster's own region (of every region, for an
 * active-active application: a drain's preflight reads the drained region's database) are put in
 * `lifeboat-database-readers` (get).
 * A failover scales its own region's cluster, a failback the one traffic left, so each role needs
 * every region's clusters. The stack comes after the control planes, whose roles it names, and the
 * clusters' authentication mode must allow access entries (API or API_AND_CONFIG_MAP).
 */
export class ClusterAccessStack extends Stack {
  /** The entries, by cluster then principal. */
  public readonly entries: readonly CfnAccessEntry[];

  constructor(scope: Construct, id: string, props: ClusterAccessStackProps) {
    super(scope, id, props);
    const namespacesByCluster = new Map<string, Set<string>>();
    for (const app of props.config.applications) {
      const workloads = app.workloads[this.region];
      if (workloads === undefined) continue;
      const namespaces = namespacesByCluster.get(workloads.clusterName) ?? new Set<string>();
      for (const d of workloads.deployments) namespaces.add(d.namespace);
      namespacesByCluster.set(workloads.clusterName, namespaces);
    }
    const policy = (name: string): string => `arn:${this.partition}:eks::aws:cluster-access-policy/${name}`;
    const role = (name: string): string =>
      this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: name });
    const groups = (cluster: string): { kubernetesGroups?: string[] } =>
      needsScalersGroup(props.config, this.region, cluster) ? { kubernetesGroups: [SCALERS_GROUP] } : {};
    const entries: CfnAccessEntry[] = [];
    for (const [cluster, namespaces] of [...namespacesByCluster].sort(([a], [b]) => a.localeCompare(b))) {
      const safe = cluster.replace(/[^A-Za-z0-9]/g, '');
      for (const region of props.workloadsRegions) {
        entries.push(
          new CfnAccessEntry(this, `Workloads${safe}${region.replace(/-/g, '')}`, {
            clusterName: cluster,
            principalArn: role(kubernetesRoleName('workloads', region)),
            type: 'STANDARD',
            ...groups(cluster),
            accessPolicies: [
              {
                policyArn: policy(SCALING_POLICY),
                accessScope: { type: 'namespace', namespaces: [...namespaces].sort() },
              },
              { policyArn: policy(ADMIN_VIEW_POLICY), accessScope: { type: 'cluster' } },
            ],
          }),
        );
      }
      for (const region of props.drillRegions) {
        entries.push(
          new CfnAccessEntry(this, `Drill${safe}${region.replace(/-/g, '')}`, {
            clusterName: cluster,
            principalArn: role(kubernetesRoleName('drill', region)),
            type: 'STANDARD',
            accessPolicies: [{ policyArn: policy(ADMIN_VIEW_POLICY), accessScope: { type: 'cluster' } }],
          }),
        );
      }
    }
    // The custom-step function runs Jobs where a custom step does: no access policy, only the group
    // that the RBAC of `lifeboat kubernetes-rbac` lets create, read and delete Jobs.
    /** This region's clusters whose RBAC binds the group of `kind`. */
    const clustersNeeding = (kind: 'jobs' | 'databases'): string[] =>
      [
        ...new Set(
          props.config.applications.flatMap((app) => {
            const cluster = app.workloads[this.region]?.clusterName;
            return cluster !== undefined && groupsNeeded(props.config, this.region, cluster)[kind]
              ? [cluster]
              : [];
          }),
        ),
      ].sort();
    for (const cluster of clustersNeeding('jobs')) {
      for (const region of props.customRegions) {
        entries.push(
          new CfnAccessEntry(
            this,
            `Custom${cluster.replace(/[^A-Za-z0-9]/g, '')}${region.replace(/-/g, '')}`,
            {
              clusterName: cluster,
              principalArn: role(kubernetesRoleName('custom', region)),
              type: 'STANDARD',
              kubernetesGroups: [JOBS_GROUP],
            },
          ),
        );
      }
    }
    // CloudNativePG Clusters: the database function and the offer get and patch them, the preflight
    // and the traffic function read them; no access policy, only the groups the RBAC of
    // `lifeboat kubernetes-rbac` binds to exactly those Clusters.
    for (const cluster of clustersNeeding('databases')) {
      const apps = props.config.applications.filter(
        (app) =>
          app.database.engine === 'cloudnativepg' && app.workloads[this.region]?.clusterName === cluster,
      );
      // Only the control planes that serve these applications have the functions' fixed role names.
      const regions = props.workloadsRegions.filter((r) => apps.some((app) => app.regions.includes(r)));
      const activeActive = apps.some((app) => app.activeActive !== undefined);
      for (const region of regions) {
        const here = region === this.region;
        // The database function promotes here, demotes here, or re-points this Cluster; the offer
        // fences only its own region's old primary and reads the others; the traffic function reads
        // every region's (UnfenceStandbys); the preflight reads its own region's (a drain's reads the
        // drained region's, wherever it runs).
        const access = [
          ['database', DATABASES_GROUP],
          ['offer', here ? DATABASES_GROUP : DATABASE_READERS_GROUP],
          ['traffic', DATABASE_READERS_GROUP],
          ...(here || activeActive ? ([['preflight', DATABASE_READERS_GROUP]] as const) : []),
        ] as const;
        for (const [fn, group] of access) {
          entries.push(
            new CfnAccessEntry(
              this,
              `${fn.charAt(0).toUpperCase()}${fn.slice(1)}${cluster.replace(/[^A-Za-z0-9]/g, '')}${region.replace(/-/g, '')}`,
              {
                clusterName: cluster,
                principalArn: role(kubernetesRoleName(fn, region)),
                type: 'STANDARD',
                kubernetesGroups: [group],
              },
            ),
          );
        }
      }
    }
    // The trigger scales only the standby in its own region, so only this region's trigger is named.
    const preScaleNamespaces = new Map<string, Set<string>>();
    for (const app of preScaledBy(props.config, this.region)) {
      const workloads = app.workloads[this.region];
      if (workloads === undefined || workloads.deployments.length === 0) continue;
      const namespaces = preScaleNamespaces.get(workloads.clusterName) ?? new Set<string>();
      for (const d of workloads.deployments) namespaces.add(d.namespace);
      preScaleNamespaces.set(workloads.clusterName, namespaces);
    }
    for (const [cluster, namespaces] of [...preScaleNamespaces].sort(([a], [b]) => a.localeCompare(b))) {
      entries.push(
        new CfnAccessEntry(
          this,
          `Trigger${cluster.replace(/[^A-Za-z0-9]/g, '')}${this.region.replace(/-/g, '')}`,
          {
            clusterName: cluster,
            principalArn: role(kubernetesRoleName('trigger', this.region)),
            type: 'STANDARD',
            ...groups(cluster),
            accessPolicies: [
              {
                policyArn: policy(SCALING_POLICY),
                accessScope: { type: 'namespace', namespaces: [...namespaces].sort() },
              },
            ],
          },
        ),
      );
    }
    this.entries = entries;
  }
}
