import { createHash, createHmac } from 'node:crypto';
import type { AwsCredentialIdentity } from '@smithy/types';
import { eksToken } from '../../shared/aws/eksToken.ts';

// The example credentials of the AWS SigV4 documentation.
const CREDENTIALS: AwsCredentialIdentity = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const NOW = new Date('2026-11-22T06:00:00.000Z');
const PREFIX = 'k8s-aws-v1.';

function token(overrides: Partial<Parameters<typeof eksToken>[0]> = {}): Promise<string> {
  return eksToken({
    clusterName: 'ai-gateway-usw2',
    region: 'us-west-2',
    credentials: () => Promise.resolve(CREDENTIALS),
    now: NOW,
    ...overrides,
  });
}

function decode(value: string): URL {
  expect(value.startsWith(PREFIX)).toBe(true);
  return new URL(Buffer.from(value.slice(PREFIX.length), 'base64url').toString('utf8'));
}

/** SigV4 query signing written out from the specification, to check the signer's answer independently. */
function expectedSignature(url: URL, clusterName: string, secretAccessKey: string): string {
  const enc = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = [...url.searchParams.entries()]
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => `${enc(key)}=${enc(value)}`)
    .sort()
    .join('&');
  const canonicalRequest = [
    'GET',
    '/',
    query,
    `host:${url.host}`,
    `x-k8s-aws-id:${clusterName}`,
    '',
    'host;x-k8s-aws-id',
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const amzDate = url.searchParams.get('X-Amz-Date')!;
  const scope = url.searchParams.get('X-Amz-Credential')!.split('/').slice(1).join('/');
  const [day, region, service] = scope.split('/') as [string, string, string];
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), service), 'aws4_request');
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}

describe('eksToken', () => {
  it('returns the same token when credentials and time are the same', async () => {
    const first = await token();
    expect(await token()).toBe(first);
    expect(await token({ now: new Date(NOW.getTime() + 1000) })).not.toBe(first);
  });

  it('encodes the URL as unpadded base64url after the k8s-aws-v1. prefix', async () => {
    const value = await token();
    expect(value.startsWith(PREFIX)).toBe(true);
    expect(value.slice(PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('presigns STS GetCallerIdentity in the region for 60 seconds with x-k8s-aws-id signed', async () => {
    const url = decode(await token());
    expect(url.origin).toBe('https://sts.us-west-2.amazonaws.com');
    expect(url.pathname).toBe('/');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20261122/us-west-2/sts/aws4_request',
      'X-Amz-Date': '20261122T060000Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('signs with a signature that SigV4 computed by hand agrees with', async () => {
    const url = decode(await token());
    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      expectedSignature(url, 'ai-gateway-usw2', CREDENTIALS.secretAccessKey),
    );
  });

  it('binds the token to the cluster name when two clusters share credentials and time', async () => {
    const a = decode(await token({ clusterName: 'ai-gateway-usw2' }));
    const b = decode(await token({ clusterName: 'other-cluster' }));
    expect(a.searchParams.get('X-Amz-Signature')).not.toBe(b.searchParams.get('X-Amz-Signature'));
    expect(b.searchParams.get('X-Amz-Signature')).toBe(
      expectedSignature(b, 'other-cluster', CREDENTIALS.secretAccessKey),
    );
  });

  it('carries the session token when the credentials are temporary', async () => {
    const url = decode(
      await token({
        region: 'eu-west-1',
        credentials: () => Promise.resolve({ ...CREDENTIALS, sessionToken: 'session/token+value=' }),
      }),
    );
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session/token+value=');
    expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261122/eu-west-1/sts/aws4_request');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      expectedSignature(url, 'ai-gateway-usw2', CREDENTIALS.secretAccessKey),
    );
  });

  it('rejects with the provider error when credentials cannot be resolved', async () => {
    const failure = Object.assign(new Error('no credentials'), { name: 'CredentialsProviderError' });
    await expect(token({ credentials: () => Promise.reject(failure) })).rejects.toBe(failure);
  });
});
