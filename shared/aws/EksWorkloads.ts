import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  UpdateNodegroupConfigCommand,
  type Cluster,
  type EKSClient,
} from '@aws-sdk/client-eks';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
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
import { eksToken } from './eksToken.ts';

/** One HTTPS call to a cluster's API server, trusting only `ca` (PEM). */
export interface KubernetesHttpRequest {
  readonly url: string;
  readonly method: 'GET' | 'PATCH' | 'PUT' | 'POST' | 'DELETE';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly ca: string;
}

export interface KubernetesHttpResponse {
  readonly statusCode: number;
  readonly body: string;
}

export type KubernetesRequest = (request: KubernetesHttpRequest) => Promise<KubernetesHttpResponse>;

const DEFAULT_TIMEOUT_MS = 10_000;

/** Reads and updates of a scale subresource before a 409 Conflict is left to the step's retry. */
const CONFLICT_ATTEMPTS = 3;

/** EKS accepts a token for 15 minutes; reusing it for 10 leaves room for clock skew and slow calls. */
const TOKEN_REUSE_MS = 10 * 60_000;

/**
 * A Kubernetes API error. `name` is the Status `reason` (`NotFound`, `Conflict`, `TooManyRequests`...)
 * so the step layer can classify it like an SDK error, or `KubernetesError` when the API gave none.
 */
export class KubernetesApiError extends Error {
  readonly statusCode: number;

  constructor(name: string, statusCode: number, message: string) {
    super(message);
    this.name = name;
    this.statusCode = statusCode;
  }
}

/**
 * The default `KubernetesRequest`: node:https trusting only the cluster's CA (never the public
 * roots, never unverified), with an overall deadline so a black-holed endpoint cannot hang a step.
 */
export function nodeHttpsRequest(options: { timeoutMs?: number } = {}): KubernetesRequest {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return (req) =>
    new Promise<KubernetesHttpResponse>((resolve, reject) => {
      const url = new URL(req.url);
      if (url.protocol !== 'https:') {
        // The bearer token must never travel in clear text.
        reject(new Error(`Refusing to call a Kubernetes API over ${url.protocol} (${url.host})`));
        return;
      }
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const headers: Record<string, string> = { ...req.headers };
      if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
      const call = httpsRequest(
        url,
        {
          method: req.method,
          headers,
          ca: req.ca,
          // SNI takes host names only; an IP endpoint is still checked against the certificate's SANs.
          servername: isIP(host) === 0 ? host : undefined,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
        },
      );
      const timer = setTimeout(() => {
        const error = new Error(`Kubernetes API ${req.method} ${url.pathname} took over ${timeoutMs} ms`);
        // The SDK's name for a timed-out call, so the step layer treats both alike.
        error.name = 'TimeoutError';
        call.destroy(error);
      }, timeoutMs);
      function fail(error: Error): void {
        clearTimeout(timer);
        reject(error);
      }
      call.on('error', fail);
      call.end(req.body);
    });
}

interface ClusterAccess {
  readonly endpoint: string;
  /** The cluster CA as PEM. */
  readonly ca: string;
}

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
  readonly #credentials: AwsCredentialIdentityProvider;
  readonly #request: KubernetesRequest;
  readonly #now: () => Date;
  /** Promises, so concurrent first calls share one DescribeCluster or one signing. */
  readonly #clusters = new Map<string, Promise<ClusterAccess>>();
  readonly #tokens = new Map<string, { readonly token: Promise<string>; readonly expiresAt: number }>();

  constructor(options: {
    clientFor: (region: string) => EKSClient;
    credentials: AwsCredentialIdentityProvider;
    request?: KubernetesRequest;
    /** The clock for token reuse; tests move it. */
    now?: () => Date;
  }) {
    this.#clientFor = options.clientFor;
    this.#credentials = options.credentials;
    this.#request = options.request ?? nodeHttpsRequest();
    this.#now = options.now ?? (() => new Date());
  }

  async clusterReachable(app: ApplicationConfig, region: string): Promise<boolean> {
    const { clusterName } = workloadsOf(app, region);
    const { cluster } = await this.#clientFor(region).send(new DescribeClusterCommand({ name: clusterName }));
    if (cluster?.status !== 'ACTIVE') return false;
    // An answer in hand spares the first Kubernetes call its own DescribeCluster.
    const key = cacheKey(region, clusterName);
    const access = accessOf(cluster);
    if (!this.#clusters.has(key) && access !== undefined) this.#clusters.set(key, Promise.resolve(access));
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
  async #kubernetes(
    app: ApplicationConfig,
    region: string,
    method: KubernetesHttpRequest['method'],
    path: string,
    body?: string,
  ): Promise<unknown> {
    const { clusterName } = workloadsOf(app, region);
    const [access, token] = await Promise.all([
      this.#access(region, clusterName),
      this.#token(region, clusterName),
    ]);
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    if (body !== undefined)
      headers['Content-Type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    const response = await this.#request({
      url: `${access.endpoint.replace(/\/+$/, '')}${path}`,
      method,
      headers,
      ca: access.ca,
      ...(body === undefined ? {} : { body }),
    });
    if (response.statusCode === 401) {
      // A refused token is not worth reusing; the next call signs a fresh one.
      this.#tokens.delete(cacheKey(region, clusterName));
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw kubernetesError(response, method, path);
    }
    return JSON.parse(response.body) as unknown;
  }

  #access(region: string, clusterName: string): Promise<ClusterAccess> {
    const key = cacheKey(region, clusterName);
    const cached = this.#clusters.get(key);
    if (cached !== undefined) return cached;
    const access = this.#clientFor(region)
      .send(new DescribeClusterCommand({ name: clusterName }))
      .then(({ cluster }) => {
        const found = cluster === undefined ? undefined : accessOf(cluster);
        if (found === undefined) {
          throw new Error(
            `EKS cluster ${clusterName} in ${region} has no API endpoint or CA yet (status ${cluster?.status ?? 'unknown'})`,
          );
        }
        return found;
      });
    this.#clusters.set(key, access);
    // A failure is not cached: the next call asks again.
    void access.catch(() => {
      if (this.#clusters.get(key) === access) this.#clusters.delete(key);
    });
    return access;
  }

  #token(region: string, clusterName: string): Promise<string> {
    const key = cacheKey(region, clusterName);
    const now = this.#now();
    const cached = this.#tokens.get(key);
    if (cached !== undefined && now.getTime() < cached.expiresAt) return cached.token;
    const token = eksToken({ clusterName, region, credentials: this.#credentials, now });
    const entry = { token, expiresAt: now.getTime() + TOKEN_REUSE_MS };
    this.#tokens.set(key, entry);
    void token.catch(() => {
      if (this.#tokens.get(key) === entry) this.#tokens.delete(key);
    });
    return token;
  }
}

function workloadsOf(app: ApplicationConfig, region: string): WorkloadConfig {
  const workloads = app.workloads[region];
  if (workloads === undefined) {
    throw new Error(`Application ${app.name} has no workloads configured in ${region}`);
  }
  return workloads;
}

function cacheKey(region: string, clusterName: string): string {
  return `${region}/${clusterName}`;
}

function accessOf(cluster: Cluster): ClusterAccess | undefined {
  const endpoint = cluster.endpoint;
  const ca = cluster.certificateAuthority?.data;
  if (endpoint === undefined || endpoint === '' || ca === undefined || ca === '') return undefined;
  // DescribeCluster gives the CA as base64 of the PEM text.
  return { endpoint, ca: Buffer.from(ca, 'base64').toString('utf8') };
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

function kubernetesError(response: KubernetesHttpResponse, method: string, path: string): KubernetesApiError {
  let status: { kind?: unknown; reason?: unknown; message?: unknown } | undefined;
  try {
    status = JSON.parse(response.body) as typeof status;
  } catch {
    // Not a Status object (a proxy's HTML page, say): fall back to the raw text.
  }
  const reason = status?.kind === 'Status' && typeof status.reason === 'string' ? status.reason : '';
  const message =
    typeof status?.message === 'string' && status.message !== ''
      ? status.message
      : `Kubernetes API ${method} ${path} answered HTTP ${response.statusCode}: ${response.body.slice(0, 200)}`;
  return new KubernetesApiError(reason === '' ? 'KubernetesError' : reason, response.statusCode, message);
}
