import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  UpdateNodegroupConfigCommand,
  type EKSClient,
} from '@aws-sdk/client-eks';
import type {
  ApplicationConfig,
  AutoscalerConfig,
  ScaledWorkloadConfig,
  WorkloadConfig,
} from '../config/LifeboatConfig.ts';
import { AUTOSCALERS, objectPath, workloadLabel, workloadResource } from '../config/workloadKinds.ts';
import type { RbacObject } from '../config/kubernetesRbac.ts';
import type {
  AutoscalerStatus,
  NodeGroupHealth,
  NodeGroupStatus,
  JobStatus,
  WorkloadStatus,
  WorkloadsPort,
} from '../ports/Estate.ts';
import { EksKubernetesApi, type EksKubernetesOptions, type KubernetesHttpRequest } from './KubernetesApi.ts';

export {
  KubernetesApiError,
  nodeHttpsRequest,
  type KubernetesHttpRequest,
  type KubernetesHttpResponse,
  type KubernetesRequest,
} from './KubernetesApi.ts';

/** Reads and updates of a scale subresource before a 409 Conflict is left to the step's retry. */
const CONFLICT_ATTEMPTS = 3;

interface NodeList {
  readonly items?: readonly {
    readonly status?: {
      readonly conditions?: readonly { readonly type?: string; readonly status?: string }[];
    };
  }[];
}

/** A workload read through its `/status` subresource (the whole object, status included). */
interface ScaledObjectStatus {
  readonly spec?: { readonly replicas?: number };
  readonly status?: { readonly readyReplicas?: number };
}

/** `autoscaling/v1` Scale, the `/scale` subresource of any scalable kind. */
interface Scale {
  readonly metadata?: { readonly resourceVersion?: string };
  readonly spec?: { readonly replicas?: number };
}

/** The fields of an HPA or a KEDA ScaledObject that Lifeboat reads. */
interface Autoscaler {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> };
  readonly spec?: Readonly<Record<string, unknown>> & {
    readonly scaleTargetRef?: {
      readonly apiVersion?: string;
      readonly kind?: string;
      readonly name?: string;
    };
  };
}

/**
 * The workloads port over EKS (node groups) and the cluster's Kubernetes API (nodes, workloads and
 * their autoscalers). Kubernetes calls go straight to the API server with an EKS bearer token; the
 * endpoint and CA come from DescribeCluster once per cluster, tokens are reused for 10 minutes.
 *
 * A workload is read through its `/status` subresource and scaled through `/scale` (read, then
 * replaced with the read's resourceVersion), an autoscaler read and merge-patched: the verbs of
 * EKS's AmazonARCRegionSwitchScalingPolicy access policy (get and update on every kind's `scale`
 * subresource, get on `status`, get and patch on `horizontalpodautoscalers`), so no wider access is needed
 * (https://docs.aws.amazon.com/r53recovery/latest/dg/eks-resource-scaling-block.html). A KEDA
 * ScaledObject needs the RBAC that `lifeboat kubernetes-rbac` prints (docs/autoscaling.md).
 *
 * SDK errors propagate unchanged; Kubernetes HTTP errors become `KubernetesApiError`.
 */
export class EksWorkloads implements WorkloadsPort {
  readonly #clientFor: (region: string) => EKSClient;
  readonly #api: EksKubernetesApi;

  constructor(options: EksKubernetesOptions) {
    this.#clientFor = options.clientFor;
    this.#api = new EksKubernetesApi(options);
  }

  async clusterReachable(app: ApplicationConfig, region: string): Promise<boolean> {
    const { clusterName } = workloadsOf(app, region);
    const { cluster } = await this.#clientFor(region).send(new DescribeClusterCommand({ name: clusterName }));
    if (cluster?.status !== 'ACTIVE') return false;
    // An answer in hand spares the first Kubernetes call its own DescribeCluster.
    this.#api.remember(region, { ...cluster, name: clusterName });
    return true;
  }

  async describeNodeGroup(
    app: ApplicationConfig,
    region: string,
    nodeGroup: string,
  ): Promise<NodeGroupStatus> {
    const { clusterName } = workloadsOf(app, region);
    const selector = encodeURIComponent(`eks.amazonaws.com/nodegroup=${nodeGroup}`);
    const [described, nodes] = await Promise.all([
      this.#clientFor(region).send(new DescribeNodegroupCommand({ clusterName, nodegroupName: nodeGroup })),
      this.#kubernetes(app, region, 'GET', `/api/v1/nodes?labelSelector=${selector}`),
    ]);
    const scaling = described.nodegroup?.scalingConfig;
    return {
      desired: scaling?.desiredSize ?? 0,
      ready: countReadyNodes(nodes as NodeList),
      min: scaling?.minSize ?? 0,
      max: scaling?.maxSize ?? 0,
    };
  }

  /** DescribeNodegroup: the group's maximum size and its health issues (no Kubernetes API call). */
  async nodeGroupHealth(app: ApplicationConfig, region: string, nodeGroup: string): Promise<NodeGroupHealth> {
    const { clusterName } = workloadsOf(app, region);
    const described = await this.#clientFor(region).send(
      new DescribeNodegroupCommand({ clusterName, nodegroupName: nodeGroup }),
    );
    return {
      max: described.nodegroup?.scalingConfig?.maxSize ?? 0,
      issues: (described.nodegroup?.health?.issues ?? []).map((issue) => ({
        code: issue.code ?? 'Unknown',
        message: issue.message ?? '',
      })),
    };
  }

  async scaleNodeGroup(
    app: ApplicationConfig,
    region: string,
    nodeGroup: string,
    scaling: { readonly desired: number; readonly min?: number; readonly max?: number },
  ): Promise<void> {
    const { clusterName } = workloadsOf(app, region);
    requireCount(`node group ${nodeGroup} desired size`, scaling.desired);
    if (scaling.min !== undefined) requireCount(`node group ${nodeGroup} minimum size`, scaling.min);
    if (scaling.max !== undefined) requireCount(`node group ${nodeGroup} maximum size`, scaling.max);
    const eks = this.#clientFor(region);
    const { nodegroup } = await eks.send(
      new DescribeNodegroupCommand({ clusterName, nodegroupName: nodeGroup }),
    );
    const current = nodegroup?.scalingConfig;
    const desired = scaling.desired;
    // Widen the bounds only as far as the new size needs, so scaling never narrows them by accident.
    const min = scaling.min ?? Math.min(current?.minSize ?? desired, desired);
    const max = scaling.max ?? Math.max(current?.maxSize ?? desired, desired);
    if (desired < min || desired > max) {
      throw new RangeError(
        `Cannot scale node group ${nodeGroup} of ${clusterName} in ${region} to ${desired}: outside its bounds [${min}, ${max}]`,
      );
    }
    // EKS rejects an update that changes nothing, and a retried step must be able to repeat this.
    if (current?.desiredSize === desired && current.minSize === min && current.maxSize === max) return;
    await eks.send(
      new UpdateNodegroupConfigCommand({
        clusterName,
        nodegroupName: nodeGroup,
        scalingConfig: { minSize: min, maxSize: max, desiredSize: desired },
      }),
    );
  }

  async describeWorkload(
    app: ApplicationConfig,
    region: string,
    workload: ScaledWorkloadConfig,
  ): Promise<WorkloadStatus> {
    const path = `${objectPath(workloadResource(workload), workload.namespace, workload.name)}/status`;
    const object = (await this.#kubernetes(app, region, 'GET', path)) as ScaledObjectStatus;
    return {
      // The API server defaults spec.replicas to 1, so a stored Deployment or StatefulSet has it.
      replicas: object.spec?.replicas ?? 1,
      // Kubernetes omits readyReplicas when it is zero.
      readyReplicas: object.status?.readyReplicas ?? 0,
    };
  }

  async scaleWorkload(
    app: ApplicationConfig,
    region: string,
    workload: ScaledWorkloadConfig,
    replicas: number,
  ): Promise<void> {
    requireCount(`${workload.kind} ${workloadLabel(workload)} replicas`, replicas);
    const path = `${objectPath(workloadResource(workload), workload.namespace, workload.name)}/scale`;
    // A Deployment's resourceVersion moves with every status write (pods starting), so an update can
    // meet 409 Conflict: read and replace again, a few times, before the step's own retry.
    for (let attempt = 1; ; attempt++) {
      const scale = (await this.#kubernetes(app, region, 'GET', path)) as Scale;
      if (scale.spec?.replicas === replicas) return;
      try {
        // The update carries the resourceVersion just read: a custom resource's scale refuses an
        // unconditional update.
        await this.#kubernetes(
          app,
          region,
          'PUT',
          path,
          JSON.stringify({
            apiVersion: 'autoscaling/v1',
            kind: 'Scale',
            metadata: {
              name: workload.name,
              namespace: workload.namespace,
              ...(scale.metadata?.resourceVersion === undefined
                ? {}
                : { resourceVersion: scale.metadata.resourceVersion }),
            },
            spec: { replicas },
          }),
        );
        return;
      } catch (error) {
        if ((error as Error).name !== 'Conflict' || attempt >= CONFLICT_ATTEMPTS) throw error;
      }
    }
  }

  async describeAutoscaler(
    app: ApplicationConfig,
    region: string,
    workload: ScaledWorkloadConfig & { readonly autoscaler: AutoscalerConfig },
  ): Promise<AutoscalerStatus> {
    const kind = AUTOSCALERS[workload.autoscaler.kind];
    const object = (await this.#kubernetes(
      app,
      region,
      'GET',
      objectPath(kind, workload.namespace, workload.autoscaler.name),
    )) as Autoscaler;
    const spec = object.spec ?? {};
    const number = (value: unknown, fallback: number | undefined): number =>
      typeof value === 'number' ? value : (fallback ?? 0);
    const annotations = object.metadata?.annotations ?? {};
    const ref = spec.scaleTargetRef ?? {};
    return {
      min: number(spec[kind.minField], kind.defaultMin),
      max: number(spec[kind.maxField], kind.defaultMax),
      // KEDA defaults the target to an apps/v1 Deployment; an HPA's reference is required.
      target: {
        apiVersion: ref.apiVersion ?? 'apps/v1',
        kind: ref.kind ?? 'Deployment',
        name: ref.name ?? '',
      },
      paused:
        workload.autoscaler.kind === 'ScaledObject' &&
        (annotations['autoscaling.keda.sh/paused'] === 'true' ||
          annotations['autoscaling.keda.sh/paused-replicas'] !== undefined),
    };
  }

  async setAutoscalerBounds(
    app: ApplicationConfig,
    region: string,
    workload: ScaledWorkloadConfig & { readonly autoscaler: AutoscalerConfig },
    bounds: { readonly min: number; readonly max: number },
  ): Promise<void> {
    const kind = AUTOSCALERS[workload.autoscaler.kind];
    const what = `${workload.autoscaler.kind} ${workload.namespace}/${workload.autoscaler.name}`;
    requireCount(`${what} ${kind.minField}`, bounds.min);
    requireCount(`${what} ${kind.maxField}`, bounds.max);
    if (bounds.min < kind.leastMin || bounds.max < Math.max(bounds.min, 1)) {
      throw new RangeError(
        `Cannot set ${what} to ${kind.minField} ${bounds.min}, ${kind.maxField} ${bounds.max}: the minimum must be at least ${kind.leastMin} and the maximum at least the minimum and 1`,
      );
    }
    const current = await this.describeAutoscaler(app, region, workload);
    if (current.min === bounds.min && current.max === bounds.max) return;
    // A merge patch of the fields that change only: the autoscaler's metrics, behaviour and the
    // defaults it was written with stay as they are.
    const spec = {
      ...(current.min === bounds.min ? {} : { [kind.minField]: bounds.min }),
      ...(current.max === bounds.max ? {} : { [kind.maxField]: bounds.max }),
    };
    await this.#kubernetes(
      app,
      region,
      'PATCH',
      objectPath(kind, workload.namespace, workload.autoscaler.name),
      JSON.stringify({ spec }),
    );
  }

  async readRbac(
    app: ApplicationConfig,
    region: string,
    namespace: string,
    name: string,
  ): Promise<{ role?: RbacObject; binding?: RbacObject }> {
    const read = async (resource: 'roles' | 'rolebindings'): Promise<RbacObject | undefined> => {
      try {
        return (await this.#kubernetes(
          app,
          region,
          'GET',
          `/apis/rbac.authorization.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/${resource}/${encodeURIComponent(name)}`,
        )) as RbacObject;
      } catch (error) {
        if ((error as Error).name === 'NotFound') return undefined;
        throw error;
      }
    };
    const [role, binding] = await Promise.all([read('roles'), read('rolebindings')]);
    return { ...(role === undefined ? {} : { role }), ...(binding === undefined ? {} : { binding }) };
  }

  /**
   * Creates a custom step's Job: the manifest with Lifeboat's name, namespace and label, and
   * `ttlSecondsAfterFinished` (an hour) unless the manifest sets it, so finished Jobs go away. A Job
   * of that name already there (a retried step) counts as created.
   */
  async startJob(
    app: ApplicationConfig,
    region: string,
    namespace: string,
    name: string,
    job: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    const metadata = (job.metadata ?? {}) as Record<string, unknown>;
    const spec = (job.spec ?? {}) as Record<string, unknown>;
    const body = {
      ...job,
      metadata: {
        ...metadata,
        name,
        namespace,
        labels: { ...(metadata.labels ?? {}), 'app.kubernetes.io/managed-by': 'lifeboat' },
      },
      spec: { ttlSecondsAfterFinished: 3600, ...spec },
    };
    try {
      await this.#kubernetes(app, region, 'POST', jobsPath(namespace), JSON.stringify(body));
    } catch (error) {
      if ((error as Error).name !== 'AlreadyExists') throw error;
    }
  }

  /** A Job's state from its conditions (`Complete`, `Failed`) and pod counts. */
  async jobStatus(
    app: ApplicationConfig,
    region: string,
    namespace: string,
    name: string,
  ): Promise<JobStatus> {
    let job: KubernetesJob;
    try {
      job = (await this.#kubernetes(
        app,
        region,
        'GET',
        `${jobsPath(namespace)}/${encodeURIComponent(name)}`,
      )) as KubernetesJob;
    } catch (error) {
      if ((error as Error).name === 'NotFound')
        return { state: 'missing', detail: `Job ${namespace}/${name} not found` };
      throw error;
    }
    const status = job.status ?? {};
    const condition = (type: string) =>
      (status.conditions ?? []).find((c) => c.type === type && c.status === 'True');
    const pods = `${status.active ?? 0} active, ${status.succeeded ?? 0} succeeded, ${status.failed ?? 0} failed`;
    const failed = condition('Failed');
    if (failed !== undefined)
      return { state: 'failed', detail: `${failed.reason ?? 'Failed'}: ${failed.message ?? ''} (${pods})` };
    if (condition('Complete') !== undefined) return { state: 'succeeded', detail: `complete (${pods})` };
    return { state: 'running', detail: pods };
  }

  /** Deletes the Job with its pods (background propagation); a Job already gone is fine. */
  async deleteJob(app: ApplicationConfig, region: string, namespace: string, name: string): Promise<void> {
    try {
      await this.#kubernetes(
        app,
        region,
        'DELETE',
        `${jobsPath(namespace)}/${encodeURIComponent(name)}?propagationPolicy=Background`,
      );
    } catch (error) {
      if ((error as Error).name !== 'NotFound') throw error;
    }
  }

  /** One call to the region's API server; the parsed JSON body, or a `KubernetesApiError`. */
  #kubernetes(
    app: ApplicationConfig,
    region: string,
    method: KubernetesHttpRequest['method'],
    path: string,
    body?: string,
  ): Promise<unknown> {
    return this.#api.call(region, workloadsOf(app, region).clusterName, method, path, body);
  }
}

function workloadsOf(app: ApplicationConfig, region: string): WorkloadConfig {
  const workloads = app.workloads[region];
  if (workloads === undefined) {
    throw new Error(`Application ${app.name} has no workloads configured in ${region}`);
  }
  return workloads;
}

function jobsPath(namespace: string): string {
  return `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`;
}

/** The fields of a batch/v1 Job that Lifeboat reads. */
interface KubernetesJob {
  readonly status?: {
    readonly active?: number;
    readonly succeeded?: number;
    readonly failed?: number;
    readonly conditions?: readonly {
      readonly type?: string;
      readonly status?: string;
      readonly reason?: string;
      readonly message?: string;
    }[];
  };
}

function countReadyNodes(list: NodeList): number {
  return (list.items ?? []).filter((node) =>
    (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}

function requireCount(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`The ${what} must be a whole number of at least 0, not ${value}`);
  }
}
