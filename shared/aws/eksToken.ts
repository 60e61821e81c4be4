import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, QueryParameterBag } from '@smithy/types';

/** What EKS puts before the encoded URL; the API server's authenticator looks for it. */
const TOKEN_PREFIX = 'k8s-aws-v1.';

/**
 * The presigned URL's own expiry. EKS accepts a token for 15 minutes from its signing time whatever
 * this says; 60 s is what `aws eks get-token` and aws-iam-authenticator sign with.
 */
const PRESIGN_EXPIRES_SECONDS = 60;

/**
 * A bearer token for an EKS cluster's API server, as `aws eks get-token` makes it: a presigned STS
 * GetCallerIdentity URL, base64url-encoded. EKS calls the URL to learn the caller's IAM identity;
 * the signed `x-k8s-aws-id` header binds the token to one cluster so it cannot be replayed on another.
 */
export async function eksToken(options: {
  clusterName: string;
  region: string;
  credentials: AwsCredentialIdentityProvider;
  now?: Date;
}): Promise<string> {
  const hostname = `sts.${options.region}.amazonaws.com`;
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 'sts',
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      // Both must be signed: STS checks the host, EKS checks that the token names its cluster.
      headers: { host: hostname, 'x-k8s-aws-id': options.clusterName },
    },
    { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: options.now ?? new Date() },
  );
  const url = `https://${hostname}/?${queryString(presigned.query ?? {})}`;
  // Node's base64url has no `=` padding, which is the form EKS expects.
  return TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}

/** Sorted so equal inputs give equal tokens; STS decodes the values before checking the signature. */
function queryString(query: QueryParameterBag): string {
  const pairs: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    const values = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
    for (const v of values) pairs.push(`${escapeRfc3986(key)}=${escapeRfc3986(v)}`);
  }
  return pairs.join('&');
}

/** encodeURIComponent leaves !'()* alone, which SigV4's canonical form escapes. */
function escapeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
