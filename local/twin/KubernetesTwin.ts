import { createServer } from 'node:https';
import { listenOnLoopback } from './loopbackServer.ts';
import type { RbacObject } from '../../shared/config/kubernetesRbac.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual, webcrypto } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
// @peculiar/x509's dependency injection needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { SignatureV4 } from '@smithy/signature-v4';

/** A cluster's access entry, as the stacks create it (`AWS::EKS::AccessEntry`). */
export interface AccessEntry {
  readonly principalArn: string;
  readonly kubernetesGroups: readonly string[];
  readonly policies: readonly {
    readonly policyArn: string;
    readonly accessScope: { readonly type: 'cluster' | 'namespace'; readonly namespaces?: readonly string[] };
  }[];
}

/** One request to a cluster's API server, as the twin judged it. */
export interface KubernetesCall {
  readonly cluster: string;
  readonly region: string;
  readonly roleArn: string | undefined;
  readonly operation: string;
  readonly status: number;
  readonly reason?: string;
}

/** A scalable workload as a request names it: its API group, plural resource, namespace and name. */
export interface WorkloadTarget {
  readonly group: string;
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
}

/** What the servers stand on: the world's clusters, the credentials STS knows, the access entries. */
export interface KubernetesTwinOptions {
  /** The rehearsal's time (what a token's age is measured against). */
  readonly now: () => Date;
  /** The credentials behind an access key id, as STS knows them, with the IAM role they belong to. */
  readonly credentials: (
    accessKeyId: string,
  ) =>
    | { readonly secretAccessKey: string; readonly sessionToken?: string; readonly roleArn: string }
    | undefined;
  readonly accessEntries: (region: string, cluster: string) => readonly AccessEntry[];
  /** The Roles and RoleBindings the cluster's owner applied (what binds an access entry's groups). */
  readonly rbac: (region: string, cluster: string) => readonly RbacObject[];
  readonly workloads: {
    /** Throws an error with the Kubernetes reason as its name to fail the request (a fault). */
    check(operation: string, region: string, cluster: string): void;
    /** A scalable workload by its API group and plural resource. */
    workload(
      region: string,
      cluster: string,
      target: WorkloadTarget,
    ):
      | {
          readonly kind: string;
          readonly replicas: number;
          readonly readyReplicas: number;
          /** Bumped by every change of its replicas: the object's resourceVersion. */
          readonly generation: number;
        }
      | undefined;
    scale(region: string, cluster: string, target: WorkloadTarget, replicas: number): void;
    autoscaler(
      region: string,
      cluster: string,
      kind: 'HorizontalPodAutoscaler' | 'ScaledObject',
      namespace: string,
      name: string,
    ):
      | {
          readonly min: number;
          readonly max: number;
          readonly target: { readonly apiVersion: string; readonly kind: string; readonly name: string };
          readonly paused: boolean;
        }
      | undefined;
    /** Throws an error named `Invalid` when the API server would refuse the bounds. */
    patchAutoscaler(
      region: string,
      cluster: string,
      kind: 'HorizontalPodAutoscaler' | 'ScaledObject',
      namespace: string,
      name: string,
      bounds: { readonly min?: number; readonly max?: number },
    ): void;
    /** Creates a Job; throws an error named `AlreadyExists` when one of that name is there. */
    createJob(
      region: string,
      cluster: string,
      namespace: string,
      name: string,
      labels: Readonly<Record<string, string>>,
    ): void;
    job(
      region: string,
      cluster: string,
      namespace: string,
      name: string,
    ):
      | {
          readonly state: 'running' | 'succeeded' | 'failed';
          readonly active: number;
          readonly succeeded: number;
          readonly failed: number;
        }
      | undefined;
    /** Deletes a Job; false when there was none. */
    deleteJob(region: string, cluster: string, namespace: string, name: string): boolean;
    /** A CloudNativePG `Cluster` resource as the API server returns it; undefined when there is none. */
    cnpgCluster(
      region: string,
      cluster: string,
      namespace: string,
      name: string,
    ): Readonly<Record<string, unknown>> | undefined;
    /**
     * A JSON merge patch of a CloudNativePG `Cluster`, by the role that sent it; throws an error named
     * `Invalid` when CloudNativePG's webhook would refuse it.
     */
    patchCnpgCluster(
      region: string,
      cluster: string,
      namespace: string,
      name: string,
      patch: Readonly<Record<string, unknown>>,
      roleArn: string,
    ): void;
    /** The cluster's nodes of a node group (`eks.amazonaws.com/nodegroup`), ready or not. */
    nodes(
      region: string,
      cluster: string,
      nodegroup: string | undefined,
    ): readonly { name: string; ready: boolean }[];
  };
  readonly onCall: (call: KubernetesCall) => void;
}

/** EKS accepts a token for 15 minutes from its signing time. */
const TOKEN_MAX_AGE_MS = 15 * 60_000;
/** How far in the future a token's signing time may be (clock skew). */
const TOKEN_SKEW_MS = 5 * 60_000;
const TOKEN_PREFIX = 'k8s-aws-v1.';

interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const READ_VERBS = ['get', 'list', 'watch'];
/** The built-in API groups of Kubernetes' user-facing admin, edit and view roles (no custom resources). */
const BUILT_IN_GROUPS = ['', 'apps', 'autoscaling', 'batch', 'policy', 'networking.k8s.io'];

/**
 * The rules of the EKS access policies the twin knows, from "Review access policy permissions"
 * (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html), whose admin,
 * edit and view policies mirror Kubernetes' user-facing cluster roles on the built-in groups (no
 * custom resources, no cluster-scoped nodes), the admin-view policy reads everything, and ARC's
 * Region switch scaling policy gets and updates any kind's `scale`, gets any `status` and gets and
 * patches HPAs (https://docs.aws.amazon.com/r53recovery/latest/dg/eks-resource-scaling-block.html).
 * `clusterScoped` says whether the policy covers cluster-scoped resources (nodes) at a cluster scope.
 */
const POLICY_RULES: Readonly<
  Record<string, { readonly rules: readonly PolicyRule[]; readonly clusterScoped: boolean }>
> = {
  AmazonEKSClusterAdminPolicy: {
    rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    clusterScoped: true,
  },
  AmazonEKSAdminPolicy: {
    rules: [
      { apiGroups: [...BUILT_IN_GROUPS, 'rbac.authorization.k8s.io'], resources: ['*'], verbs: ALL_VERBS },
    ],
    clusterScoped: false,
  },
  AmazonEKSEditPolicy: {
    rules: [{ apiGroups: BUILT_IN_GROUPS, resources: ['*'], verbs: ALL_VERBS }],
    clusterScoped: false,
  },
  AmazonEKSViewPolicy: {
    rules: [{ apiGroups: BUILT_IN_GROUPS, resources: ['*'], verbs: READ_VERBS }],
    clusterScoped: false,
  },
  AmazonEKSAdminViewPolicy: {
    rules: [{ apiGroups: ['*'], resources: ['*'], verbs: READ_VERBS }],
    clusterScoped: true,
  },
  AmazonARCRegionSwitchScalingPolicy: {
    rules: [
      { apiGroups: ['*'], resources: ['*/scale'], verbs: ['get', 'update'] },
      { apiGroups: ['*'], resources: ['*/status'], verbs: ['get'] },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['get', 'patch'] },
    ],
    clusterScoped: false,
  },
};

/** Whether an RBAC-style rule covers the request (`*`, and `*\/sub` for any kind's subresource). */
function ruleAllows(
  rule: PolicyRule & { readonly resourceNames?: readonly string[] },
  found: Route,
): boolean {
  const subresource = found.resource.split('/')[1];
  const resourceMatches = rule.resources.some(
    (r) => r === '*' || r === found.resource || (subresource !== undefined && r === `*/${subresource}`),
  );
  return (
    (rule.apiGroups.includes('*') || rule.apiGroups.includes(found.group)) &&
    resourceMatches &&
    (rule.verbs.includes('*') || rule.verbs.includes(found.verb)) &&
    (rule.resourceNames === undefined ||
      rule.resourceNames.length === 0 ||
      (found.name !== undefined && rule.resourceNames.includes(found.name)))
  );
}

interface Route {
  readonly operation: string;
  readonly verb: string;
  /** The API group ('' for the core group). */
  readonly group: string;
  /** The plural resource, with `/subresource` when there is one. */
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

const AUTOSCALER_ROUTES: Readonly<Record<string, 'HorizontalPodAutoscaler' | 'ScaledObject'>> = {
  'autoscaling/horizontalpodautoscalers': 'HorizontalPodAutoscaler',
  'keda.sh/scaledobjects': 'ScaledObject',
};

function route(method: string, path: string): Route | undefined {
  if (path === '/api/v1/nodes' && method === 'GET')
    return { operation: 'ListNodes', verb: 'list', group: '', resource: 'nodes' };
  const jobs = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?$/.exec(path);
  if (jobs !== null) {
    const [, namespace = '', name] = jobs;
    const where = { group: 'batch', resource: 'jobs', namespace: decodeURIComponent(namespace) };
    if (name === undefined)
      return method === 'POST' ? { ...where, operation: 'CreateJob', verb: 'create' } : undefined;
    const named = { ...where, name: decodeURIComponent(name) };
    if (method === 'GET') return { ...named, operation: 'ReadJob', verb: 'get' };
    if (method === 'DELETE') return { ...named, operation: 'DeleteJob', verb: 'delete' };
    return undefined;
  }
  const object =
    /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)(?:\/(scale|status))?$/.exec(path);
  if (object === null) return undefined;
  const [, group = '', , namespace = '', resource = '', name = '', subresource] = object;
  const where = { group, namespace: decodeURIComponent(namespace), name: decodeURIComponent(name) };
  if (group === 'rbac.authorization.k8s.io' && (resource === 'roles' || resource === 'rolebindings')) {
    return subresource === undefined && method === 'GET'
      ? { ...where, operation: 'ReadRbac', verb: 'get', resource }
      : undefined;
  }
  if (group === 'postgresql.cnpg.io' && resource === 'clusters') {
    if (subresource !== undefined) return undefined;
    if (method === 'GET') return { ...where, operation: 'ReadCnpgCluster', verb: 'get', resource };
    if (method === 'PATCH') return { ...where, operation: 'PatchCnpgCluster', verb: 'patch', resource };
    return undefined;
  }
  if (subresource === undefined && AUTOSCALER_ROUTES[`${group}/${resource}`] !== undefined) {
    if (method === 'GET') return { ...where, operation: 'ReadAutoscaler', verb: 'get', resource };
    if (method === 'PATCH') return { ...where, operation: 'PatchAutoscaler', verb: 'patch', resource };
    return undefined;
  }
  if (subresource === 'scale' && method === 'GET')
    return { ...where, operation: 'ReadWorkloadScale', verb: 'get', resource: `${resource}/scale` };
  if (subresource === 'scale' && method === 'PUT')
    return { ...where, operation: 'UpdateWorkloadScale', verb: 'update', resource: `${resource}/scale` };
  if (subresource === 'status' && method === 'GET')
    return { ...where, operation: 'ReadWorkloadStatus', verb: 'get', resource: `${resource}/status` };
  return undefined;
}

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
}

/**
 * The Kubernetes API servers of the rehearsal's EKS clusters: one HTTPS server on loopback, each
 * cluster under a path of its own (`https://127.0.0.1:<port>/clusters/<region>/<name>`, which
 * DescribeCluster returns as its endpoint), with a certificate authority made for this rehearsal.
 * Each request is authenticated as EKS does it (the bearer token is a presigned STS
 * GetCallerIdentity URL, signed for this cluster with the caller's credentials, at most 15 minutes
 * old) and authorized against the cluster's access entries, then served from the world.
 */
export class KubernetesTwin {
  readonly #options: KubernetesTwinOptions;
  #close: (() => Promise<void>) | undefined;
  #url = '';
  #caPem = '';

  constructor(options: KubernetesTwinOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { key, cert, caPem } = await certificates();
    this.#caPem = caPem;
    const server = createServer({ key, cert }, (req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(status(500, 'InternalError', (error as Error).message));
      });
    });
    const { port, close } = await listenOnLoopback(server);
    this.#close = close;
    this.#url = `https://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    const close = this.#close;
    this.#close = undefined;
    await close?.();
  }

  /** What DescribeCluster gives for the cluster: its endpoint and its CA (base64 of the PEM). */
  access(region: string, cluster: string): { endpoint: string; certificateAuthorityData: string } {
    if (this.#url === '') throw new Error('the Kubernetes twin is not started');
    return {
      endpoint: `${this.#url}/clusters/${encodeURIComponent(region)}/${encodeURIComponent(cluster)}`,
      certificateAuthorityData: Buffer.from(this.#caPem, 'utf8').toString('base64'),
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const match = /^\/clusters\/([^/]+)\/([^/]+)(\/.*)$/.exec(url.pathname);
    const region = decodeURIComponent(match?.[1] ?? '');
    const cluster = decodeURIComponent(match?.[2] ?? '');
    const path = match?.[3] ?? url.pathname;
    const found = route(req.method ?? 'GET', path);
    const answer = (code: number, text: string, roleArn?: string, reason?: string): void => {
      this.#options.onCall({
        cluster,
        region,
        roleArn,
        operation: found?.operation ?? `${req.method ?? ''} ${path}`,
        status: code,
        ...(reason === undefined ? {} : { reason }),
      });
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(text);
    };

    const identity = await this.#authenticate(req.headers.authorization, cluster, region);
    if ('refused' in identity) {
      answer(401, status(401, 'Unauthorized', 'Unauthorized'), undefined, identity.refused);
      return;
    }
    const { roleArn } = identity;
    if (found === undefined) {
      answer(
        404,
        status(404, 'NotFound', `the server could not find the requested resource (${path})`),
        roleArn,
      );
      return;
    }
    const refusal = this.#authorize(roleArn, region, cluster, found);
    if (refusal !== undefined) {
      answer(403, status(403, 'Forbidden', refusal), roleArn, refusal);
      return;
    }
    try {
      this.#options.workloads.check(found.operation, region, cluster);
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ServiceUnavailableException') {
        // The cluster's region is down: its endpoint does not answer at all.
        req.socket.destroy();
        this.#options.onCall({
          cluster,
          region,
          roleArn,
          operation: found.operation,
          status: 0,
          reason: 'unreachable',
        });
        return;
      }
      const code = name === 'TooManyRequests' ? 429 : name === 'NotFound' ? 404 : 500;
      if (code === 429) res.setHeader('retry-after', '1');
      answer(code, status(code, name, (error as Error).message), roleArn);
      return;
    }
    const { workloads } = this.#options;
    if (found.resource === 'nodes') {
      const selector = url.searchParams.get('labelSelector') ?? '';
      const group = /^eks\.amazonaws\.com\/nodegroup=(.+)$/.exec(selector)?.[1];
      const nodes = workloads.nodes(region, cluster, group);
      answer(
        200,
        JSON.stringify({
          kind: 'NodeList',
          apiVersion: 'v1',
          items: nodes.map((n) => ({
            metadata: {
              name: n.name,
              labels: group === undefined ? {} : { 'eks.amazonaws.com/nodegroup': group },
            },
            status: { conditions: [{ type: 'Ready', status: n.ready ? 'True' : 'False' }] },
          })),
        }),
        roleArn,
      );
      return;
    }
    const namespace = found.namespace ?? '';
    const name = found.name ?? '';
    const fail = (code: number, reason: string, message: string): void => {
      answer(code, status(code, reason, message), roleArn);
    };
    if (found.resource === 'jobs') {
      this.#serveJob(found, body, region, cluster, roleArn, answer, fail);
      return;
    }
    if (found.operation === 'ReadRbac') {
      const kind = found.resource === 'roles' ? 'Role' : 'RoleBinding';
      const object = this.#options
        .rbac(region, cluster)
        .find((o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name);
      if (object === undefined) fail(404, 'NotFound', `${found.resource}.${found.group} "${name}" not found`);
      else answer(200, JSON.stringify(object), roleArn);
      return;
    }
    const parsed = (): Record<string, unknown> | undefined => {
      try {
        const value = JSON.parse(body) as unknown;
        if (typeof value === 'object' && value !== null && !Array.isArray(value))
          return value as Record<string, unknown>;
      } catch {
        // Answered below.
      }
      fail(400, 'BadRequest', 'the request body is not a JSON object');
      return undefined;
    };
    /**
     * The body of a JSON merge patch: custom resources take JSON and merge patches, never a strategic
     * merge patch, and the twin's objects only merge patches. Answered (415, 400) when it is not one.
     */
    const mergePatch = (): Record<string, unknown> | undefined => {
      if (!/^application\/merge-patch\+json\b/.test(req.headers['content-type'] ?? '')) {
        fail(415, 'UnsupportedMediaType', UNSUPPORTED_PATCH);
        return undefined;
      }
      return parsed();
    };
    if (found.group === 'postgresql.cnpg.io') {
      const notFound = `clusters.postgresql.cnpg.io "${name}" not found`;
      if (workloads.cnpgCluster(region, cluster, namespace, name) === undefined) {
        fail(404, 'NotFound', notFound);
        return;
      }
      if (found.verb === 'patch') {
        const patch = mergePatch();
        if (patch === undefined) return;
        try {
          workloads.patchCnpgCluster(region, cluster, namespace, name, patch, roleArn);
        } catch (error) {
          if ((error as Error).name !== 'Invalid') throw error;
          fail(422, 'Invalid', (error as Error).message);
          return;
        }
      }
      answer(200, JSON.stringify(workloads.cnpgCluster(region, cluster, namespace, name)), roleArn);
      return;
    }
    const autoscalerKind = AUTOSCALER_ROUTES[`${found.group}/${found.resource}`];
    if (autoscalerKind !== undefined) {
      const notFound = `${found.resource}.${found.group} "${name}" not found`;
      if (found.verb === 'patch') {
        const patch = mergePatch();
        if (patch === undefined) return;
        const spec = (patch['spec'] ?? {}) as Record<string, unknown>;
        const [minField, maxField] =
          autoscalerKind === 'HorizontalPodAutoscaler'
            ? ['minReplicas', 'maxReplicas']
            : ['minReplicaCount', 'maxReplicaCount'];
        const bounds: { min?: number; max?: number } = {};
        for (const [field, key] of [
          [minField, 'min'],
          [maxField, 'max'],
        ] as const) {
          const value = spec[field];
          if (value === undefined) continue;
          if (typeof value !== 'number' || !Number.isInteger(value)) {
            fail(
              422,
              'Invalid',
              `${autoscalerKind} "${name}" is invalid: spec.${field}: Invalid value: ${JSON.stringify(value)}: must be an integer`,
            );
            return;
          }
          bounds[key] = value;
        }
        if (workloads.autoscaler(region, cluster, autoscalerKind, namespace, name) === undefined) {
          fail(404, 'NotFound', notFound);
          return;
        }
        try {
          workloads.patchAutoscaler(region, cluster, autoscalerKind, namespace, name, bounds);
        } catch (error) {
          if ((error as Error).name !== 'Invalid') throw error;
          fail(422, 'Invalid', (error as Error).message);
          return;
        }
      }
      const current = workloads.autoscaler(region, cluster, autoscalerKind, namespace, name);
      if (current === undefined) {
        fail(404, 'NotFound', notFound);
        return;
      }
      const [apiVersion, spec] =
        autoscalerKind === 'HorizontalPodAutoscaler'
          ? ['autoscaling/v2', { minReplicas: current.min, maxReplicas: current.max }]
          : ['keda.sh/v1alpha1', { minReplicaCount: current.min, maxReplicaCount: current.max }];
      answer(
        200,
        JSON.stringify({
          kind: autoscalerKind,
          apiVersion,
          metadata: {
            name,
            namespace,
            ...(current.paused ? { annotations: { 'autoscaling.keda.sh/paused': 'true' } } : {}),
          },
          spec: { scaleTargetRef: current.target, ...spec },
        }),
        roleArn,
      );
      return;
    }
    const [resource = ''] = found.resource.split('/');
    const target = { group: found.group, resource, namespace, name };
    const notFound = `${resource}.${found.group} "${name}" not found`;
    const current = workloads.workload(region, cluster, target);
    if (current === undefined) {
      fail(404, 'NotFound', notFound);
      return;
    }
    if (found.verb === 'update') {
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
        fail(
          415,
          'UnsupportedMediaType',
          'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
        );
        return;
      }
      const scale = parsed();
      if (scale === undefined) return;
      const metadata = (scale['metadata'] ?? {}) as { name?: unknown; resourceVersion?: unknown };
      const replicas = ((scale['spec'] ?? {}) as { replicas?: unknown }).replicas;
      if (scale['kind'] !== 'Scale' || metadata.name !== name) {
        fail(
          400,
          'BadRequest',
          `the body must be a Scale named ${name} (got kind ${JSON.stringify(scale['kind'])}, name ${JSON.stringify(metadata.name)})`,
        );
        return;
      }
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        fail(
          422,
          'Invalid',
          `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        );
        return;
      }
      // Optimistic concurrency: an update must carry the version it read, and a stale one conflicts.
      if (metadata.resourceVersion === undefined || metadata.resourceVersion === '') {
        fail(
          422,
          'Invalid',
          `Scale.autoscaling "${name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`,
        );
        return;
      }
      if (metadata.resourceVersion !== String(current.generation)) {
        fail(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${resource}.${found.group} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
        return;
      }
      workloads.scale(region, cluster, target, replicas);
    }
    const now = workloads.workload(region, cluster, target) ?? current;
    const metadata = { name, namespace, resourceVersion: String(now.generation) };
    answer(
      200,
      JSON.stringify(
        found.resource.endsWith('/status')
          ? {
              kind: now.kind,
              apiVersion: `${found.group}/${path.split('/')[3] ?? 'v1'}`,
              metadata,
              spec: { replicas: now.replicas },
              // Kubernetes omits readyReplicas while it is zero.
              status: {
                replicas: now.replicas,
                ...(now.readyReplicas > 0 ? { readyReplicas: now.readyReplicas } : {}),
              },
            }
          : {
              kind: 'Scale',
              apiVersion: 'autoscaling/v1',
              metadata,
              spec: { replicas: now.replicas },
              status: { replicas: now.replicas },
            },
      ),
      roleArn,
    );
  }

  /** A Job's create, read or delete, answered as the API server does for `batch/v1` Jobs. */
  #serveJob(
    found: Route,
    body: string,
    region: string,
    cluster: string,
    roleArn: string,
    answer: (code: number, text: string, roleArn?: string) => void,
    fail: (code: number, reason: string, message: string) => void,
  ): void {
    const { workloads } = this.#options;
    const namespace = found.namespace ?? '';
    if (found.operation === 'CreateJob') {
      let job: {
        apiVersion?: unknown;
        kind?: unknown;
        metadata?: { name?: unknown; namespace?: unknown; labels?: unknown };
      };
      try {
        job = JSON.parse(body) as typeof job;
      } catch {
        fail(400, 'BadRequest', 'the request body is not valid JSON');
        return;
      }
      const name = job.metadata?.name;
      if (job.apiVersion !== 'batch/v1' || job.kind !== 'Job' || typeof name !== 'string' || name === '') {
        fail(
          422,
          'Invalid',
          `Job.batch is invalid: expected apiVersion batch/v1, kind Job and metadata.name`,
        );
        return;
      }
      if (job.metadata?.namespace !== undefined && job.metadata.namespace !== namespace) {
        fail(
          400,
          'BadRequest',
          `the namespace of the provided object does not match the namespace sent on the request`,
        );
        return;
      }
      try {
        workloads.createJob(
          region,
          cluster,
          namespace,
          name,
          (job.metadata?.labels ?? {}) as Record<string, string>,
        );
      } catch (error) {
        if ((error as Error).name !== 'AlreadyExists') throw error;
        fail(409, 'AlreadyExists', `jobs.batch "${name}" already exists`);
        return;
      }
      answer(201, JSON.stringify({ ...job, metadata: { ...job.metadata, namespace } }), roleArn);
      return;
    }
    const name = found.name ?? '';
    if (found.operation === 'DeleteJob') {
      if (!workloads.deleteJob(region, cluster, namespace, name)) {
        fail(404, 'NotFound', `jobs.batch "${name}" not found`);
        return;
      }
      answer(
        200,
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Success',
          details: { name, group: 'batch', kind: 'jobs' },
        }),
        roleArn,
      );
      return;
    }
    const job = workloads.job(region, cluster, namespace, name);
    if (job === undefined) {
      fail(404, 'NotFound', `jobs.batch "${name}" not found`);
      return;
    }
    const conditions =
      job.state === 'succeeded'
        ? [{ type: 'Complete', status: 'True' }]
        : job.state === 'failed'
          ? [
              {
                type: 'Failed',
                status: 'True',
                reason: 'BackoffLimitExceeded',
                message: 'Job has reached the specified backoff limit',
              },
            ]
          : [];
    answer(
      200,
      JSON.stringify({
        kind: 'Job',
        apiVersion: 'batch/v1',
        metadata: { name, namespace },
        status: {
          ...(job.active > 0 ? { active: job.active } : {}),
          ...(job.succeeded > 0 ? { succeeded: job.succeeded } : {}),
          ...(job.failed > 0 ? { failed: job.failed } : {}),
          ...(conditions.length > 0 ? { conditions } : {}),
        },
      }),
      roleArn,
    );
  }

  /** The IAM role behind a bearer token, or why EKS would refuse it. */
  async #authenticate(
    authorization: string | undefined,
    cluster: string,
    region: string,
  ): Promise<{ roleArn: string } | { refused: string }> {
    const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (bearer === undefined) return { refused: 'no bearer token' };
    if (!bearer.startsWith(TOKEN_PREFIX)) return { refused: `the token does not start with ${TOKEN_PREFIX}` };
    let url: URL;
    try {
      url = new URL(Buffer.from(bearer.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
    } catch {
      return { refused: 'the token is not a presigned URL' };
    }
    const q = url.searchParams;
    if (!/^sts(\.[a-z0-9-]+)?\.amazonaws\.com$/.test(url.hostname) || url.pathname !== '/')
      return { refused: `the token is not for STS (${url.host})` };
    if (q.get('Action') !== 'GetCallerIdentity' || q.get('Version') !== '2011-06-15')
      return { refused: 'the token is not a GetCallerIdentity request' };
    if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
      return { refused: 'the token is not signed with SigV4' };
    const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
    if (!signedHeaders.includes('host') || !signedHeaders.includes('x-k8s-aws-id'))
      return { refused: 'the token does not sign host and x-k8s-aws-id' };
    const [accessKeyId, date, signingRegion] = (q.get('X-Amz-Credential') ?? '').split('/');
    const signedAt = parseAmzDate(q.get('X-Amz-Date') ?? '');
    if (signedAt === undefined || date === undefined || signingRegion === undefined)
      return { refused: 'the token has no valid X-Amz-Date or credential scope' };
    const now = this.#options.now().getTime();
    if (now - signedAt.getTime() > TOKEN_MAX_AGE_MS)
      return { refused: 'the token has expired (older than 15 minutes)' };
    if (signedAt.getTime() - now > TOKEN_SKEW_MS) return { refused: 'the token is signed in the future' };
    const credentials = accessKeyId === undefined ? undefined : this.#options.credentials(accessKeyId);
    if (credentials === undefined)
      return { refused: `STS does not know the access key ${accessKeyId ?? ''}` };
    if ((credentials.sessionToken ?? null) !== q.get('X-Amz-Security-Token'))
      return { refused: 'the security token does not belong to the access key' };
    // EKS sends the presigned request to STS with its own cluster's name in x-k8s-aws-id: the
    // signature holds only if the token was made for this cluster, with this secret.
    const query: Record<string, string> = {};
    for (const [k, v] of q) if (k !== 'X-Amz-Signature') query[k] = v;
    const signer = new SignatureV4({
      credentials: {
        accessKeyId: accessKeyId ?? '',
        secretAccessKey: credentials.secretAccessKey,
        ...(credentials.sessionToken === undefined ? {} : { sessionToken: credentials.sessionToken }),
      },
      region: signingRegion,
      service: 'sts',
      sha256: Sha256,
    });
    const expected = await signer.presign(
      {
        method: 'GET',
        protocol: 'https:',
        hostname: url.hostname,
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: url.hostname, 'x-k8s-aws-id': cluster },
      },
      { expiresIn: Number(q.get('X-Amz-Expires') ?? '60'), signingDate: signedAt },
    );
    const want = Buffer.from(String(expected.query?.['X-Amz-Signature'] ?? ''), 'utf8');
    const got = Buffer.from(q.get('X-Amz-Signature') ?? '', 'utf8');
    if (want.length !== got.length || !timingSafeEqual(want, got))
      return {
        refused: `the signature does not match (a token for another cluster than ${cluster} in ${region}, or a wrong secret)`,
      };
    return { roleArn: credentials.roleArn };
  }

  /**
   * Why the role may not do this, as the API server words it; undefined when an access entry's
   * policy, or the RBAC bound to one of its Kubernetes groups, allows it.
   */
  #authorize(roleArn: string, region: string, cluster: string, found: Route): string | undefined {
    const entries = this.#options.accessEntries(region, cluster).filter((e) => e.principalArn === roleArn);
    const byPolicy = entries.some((entry) =>
      entry.policies.some((policy) => {
        const rules = POLICY_RULES[policy.policyArn.split('/').at(-1) ?? ''];
        if (rules === undefined || !rules.rules.some((rule) => ruleAllows(rule, found))) return false;
        if (found.namespace === undefined)
          return rules.clusterScoped && policy.accessScope.type === 'cluster';
        return (
          policy.accessScope.type === 'cluster' ||
          (policy.accessScope.namespaces ?? []).includes(found.namespace)
        );
      }),
    );
    if (byPolicy) return undefined;
    const groups = new Set(entries.flatMap((e) => e.kubernetesGroups));
    const rbac = this.#options.rbac(region, cluster);
    const byRbac = rbac.some(
      (binding) =>
        binding.kind === 'RoleBinding' &&
        binding.metadata.namespace === found.namespace &&
        binding.subjects.some((s) => groups.has(s.name)) &&
        rbac.some(
          (role) =>
            role.kind === 'Role' &&
            role.metadata.namespace === binding.metadata.namespace &&
            role.metadata.name === binding.roleRef.name &&
            role.rules.some((rule) => ruleAllows(rule, found)),
        ),
    );
    if (byRbac) return undefined;
    const user =
      entries.length === 0 ? roleArn : `${roleArn} (access entry without a policy or RBAC for this)`;
    const [resource = '', subresource] = found.resource.split('/');
    const what =
      subresource === undefined ? `resource "${resource}"` : `resource "${resource}/${subresource}"`;
    return found.namespace === undefined
      ? `${resource} is forbidden: User "${user}" cannot ${found.verb} ${what} in API group "${found.group}" at the cluster scope`
      : `${resource}.${found.group}${found.name === undefined ? '' : ` "${found.name}"`} is forbidden: User "${user}" cannot ${found.verb} ${what} in API group "${found.group}" in the namespace "${found.namespace}"`;
  }
}

const UNSUPPORTED_PATCH =
  'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml';

function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/** A CA and a server certificate for 127.0.0.1 signed by it (ECDSA P-256), made per rehearsal. */
async function certificates(): Promise<{ key: string; cert: string; caPem: string }> {
  const crypto = webcrypto;
  x509.cryptoProvider.set(crypto);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const caKeys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const now = new Date(Date.now() - 60_000);
  const later = new Date(now.getTime() + 2 * 86_400_000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=lifeboat-rehearsal-kubernetes-ca',
    notBefore: now,
    notAfter: later,
    keys: caKeys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const serverKeys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=127.0.0.1',
    issuer: ca.subject,
    notBefore: now,
    notAfter: later,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', serverKeys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  return { key, cert: cert.toString('pem'), caPem: ca.toString('pem') };
}
