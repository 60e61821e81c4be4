import { createServer } from 'node:https';
import { listenOnLoopback } from './loopbackServer.ts';
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
  readonly workloads: {
    /** Throws an error with the Kubernetes reason as its name to fail the request (a fault). */
    check(operation: string, region: string, cluster: string): void;
    deployment(
      region: string,
      cluster: string,
      namespace: string,
      name: string,
    ): { readonly replicas: number; readonly readyReplicas: number } | undefined;
    scale(region: string, cluster: string, namespace: string, name: string, replicas: number): void;
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

/**
 * The verbs an EKS access policy grants on the resources Lifeboat uses, from "Review access policy
 * permissions" (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html),
 * whose policies mirror Kubernetes' user-facing cluster roles: cluster-admin everything; admin and
 * edit read and write namespaced workloads (deployments and their scale); view reads them; none of
 * those three covers cluster-scoped nodes, which only the cluster admin and the admin-view policy
 * (read access to every resource) can list, and only with a cluster scope.
 */
const POLICY_RULES: Readonly<Record<string, { readonly verbs: readonly string[]; readonly nodes: boolean }>> =
  {
    AmazonEKSClusterAdminPolicy: {
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      nodes: true,
    },
    AmazonEKSAdminPolicy: {
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      nodes: false,
    },
    AmazonEKSEditPolicy: {
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      nodes: false,
    },
    AmazonEKSViewPolicy: { verbs: ['get', 'list', 'watch'], nodes: false },
    AmazonEKSAdminViewPolicy: { verbs: ['get', 'list', 'watch'], nodes: true },
  };

interface Route {
  readonly operation: string;
  readonly verb: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

function route(method: string, path: string): Route | undefined {
  const deployment = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)(\/scale)?$/.exec(path);
  if (deployment !== null) {
    const [, namespace = '', name = '', scale] = deployment;
    const subresource = scale === undefined ? 'deployments' : 'deployments/scale';
    if (method === 'GET')
      return {
        operation: scale === undefined ? 'ReadDeployment' : 'ReadDeploymentScale',
        verb: 'get',
        resource: subresource,
        namespace: decodeURIComponent(namespace),
        name: decodeURIComponent(name),
      };
    if (method === 'PATCH' && scale !== undefined)
      return {
        operation: 'PatchDeploymentScale',
        verb: 'patch',
        resource: subresource,
        namespace: decodeURIComponent(namespace),
        name: decodeURIComponent(name),
      };
  }
  if (path === '/api/v1/nodes' && method === 'GET')
    return { operation: 'ListNodes', verb: 'list', resource: 'nodes' };
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
    if (found.verb === 'patch') {
      if (!/^application\/merge-patch\+json\b/.test(req.headers['content-type'] ?? '')) {
        answer(
          415,
          status(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
          ),
          roleArn,
        );
        return;
      }
      let replicas: unknown;
      try {
        replicas = (JSON.parse(body) as { spec?: { replicas?: unknown } }).spec?.replicas;
      } catch {
        answer(400, status(400, 'BadRequest', 'the request body is not valid JSON'), roleArn);
        return;
      }
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        answer(
          422,
          status(
            422,
            'Invalid',
            `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
          ),
          roleArn,
        );
        return;
      }
      if (workloads.deployment(region, cluster, namespace, name) === undefined) {
        answer(404, status(404, 'NotFound', `deployments.apps "${name}" not found`), roleArn);
        return;
      }
      workloads.scale(region, cluster, namespace, name, replicas);
    }
    const current = workloads.deployment(region, cluster, namespace, name);
    if (current === undefined) {
      answer(404, status(404, 'NotFound', `deployments.apps "${name}" not found`), roleArn);
      return;
    }
    const metadata = { name, namespace };
    answer(
      200,
      JSON.stringify(
        found.resource === 'deployments'
          ? {
              kind: 'Deployment',
              apiVersion: 'apps/v1',
              metadata,
              spec: { replicas: current.replicas },
              // Kubernetes omits readyReplicas while it is zero.
              status: {
                replicas: current.replicas,
                ...(current.readyReplicas > 0 ? { readyReplicas: current.readyReplicas } : {}),
              },
            }
          : {
              kind: 'Scale',
              apiVersion: 'autoscaling/v1',
              metadata,
              spec: { replicas: current.replicas },
              status: { replicas: current.readyReplicas },
            },
      ),
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

  /** Why the role may not do this, as the API server words it; undefined when an access entry allows it. */
  #authorize(roleArn: string, region: string, cluster: string, found: Route): string | undefined {
    const entries = this.#options.accessEntries(region, cluster).filter((e) => e.principalArn === roleArn);
    const allowed = entries.some((entry) =>
      entry.policies.some((policy) => {
        const rules = POLICY_RULES[policy.policyArn.split('/').at(-1) ?? ''];
        if (rules === undefined || !rules.verbs.includes(found.verb)) return false;
        if (found.resource === 'nodes') return rules.nodes && policy.accessScope.type === 'cluster';
        return (
          policy.accessScope.type === 'cluster' ||
          (found.namespace !== undefined && (policy.accessScope.namespaces ?? []).includes(found.namespace))
        );
      }),
    );
    if (allowed) return undefined;
    // Kubernetes groups bind RBAC the cluster's owners write; the twin does not model RBAC objects.
    const user = entries.length === 0 ? roleArn : `${roleArn} (access entry without a policy for this)`;
    const [group, resource] = found.resource.startsWith('deployments')
      ? ['apps', found.resource]
      : ['', found.resource];
    return found.namespace === undefined
      ? `${resource} is forbidden: User "${user}" cannot ${found.verb} resource "${resource}" in API group "${group}" at the cluster scope`
      : `deployments.apps "${found.name ?? ''}" is forbidden: User "${user}" cannot ${found.verb} resource "${resource}" in API group "${group}" in the namespace "${found.namespace}"`;
  }
}

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
