import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Cluster, EKSClient } from '@aws-sdk/client-eks';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
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

/** How to reach the clusters' API servers: the EKS client per region and the credentials to sign with. */
export interface EksKubernetesOptions {
  readonly clientFor: (region: string) => EKSClient;
  readonly credentials: AwsCredentialIdentityProvider;
  readonly request?: KubernetesRequest;
  /** The clock for token reuse; tests move it. */
  readonly now?: () => Date;
}

/**
 * The Kubernetes API of the applications' EKS clusters, as Lifeboat's functions call it: each
 * cluster's endpoint and CA from DescribeCluster (cached per region and cluster), and a bearer token
 * signed for it (reused for TOKEN_REUSE_MS). Used by the adapters that act inside the clusters.
 */
export class EksKubernetesApi {
  readonly #clientFor: (region: string) => EKSClient;
  readonly #credentials: AwsCredentialIdentityProvider;
  readonly #request: KubernetesRequest;
  readonly #now: () => Date;
  /** Promises, so concurrent first calls share one DescribeCluster or one signing. */
  readonly #clusters = new Map<string, Promise<ClusterAccess>>();
  readonly #tokens = new Map<string, { readonly token: Promise<string>; readonly expiresAt: number }>();

  constructor(options: EksKubernetesOptions) {
    this.#clientFor = options.clientFor;
    this.#credentials = options.credentials;
    this.#request = options.request ?? nodeHttpsRequest();
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * One call to the API server of the EKS cluster `clusterName` in `region`, with a token signed for
   * it: the parsed JSON body, or a `KubernetesApiError`. A PATCH with a body is a JSON merge patch.
   */
  async call(
    region: string,
    clusterName: string,
    method: KubernetesHttpRequest['method'],
    path: string,
    body?: string,
  ): Promise<unknown> {
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

  /** Keeps a DescribeCluster answer the caller already has, sparing the first call its own. */
  remember(region: string, cluster: Cluster): void {
    const key = cacheKey(region, cluster.name ?? '');
    const access = accessOf(cluster);
    if (!this.#clusters.has(key) && access !== undefined) this.#clusters.set(key, Promise.resolve(access));
  }

  #access(region: string, clusterName: string): Promise<ClusterAccess> {
    const key = cacheKey(region, clusterName);
    const cached = this.#clusters.get(key);
    if (cached !== undefined) return cached;
    // The EKS SDK is imported on the first call, not at a function's cold start: a function whose
    // config has no cluster to reach (a database function of RDS applications) never loads it.
    const access = import('@aws-sdk/client-eks')
      .then(({ DescribeClusterCommand }) =>
        this.#clientFor(region).send(new DescribeClusterCommand({ name: clusterName })),
      )
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
