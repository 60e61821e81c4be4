import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type { AwsCredentialIdentity } from '@smithy/types';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudNativePgClusters, type CnpgClusterRef } from '../../shared/aws/CloudNativePgClusters.ts';
import {
  EksKubernetesApi,
  KubernetesApiError,
  type KubernetesHttpRequest,
  type KubernetesHttpResponse,
} from '../../shared/aws/KubernetesApi.ts';

const eks = mockClient(EKSClient);

const ENDPOINT = 'https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com';
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBfakeClusterCA\n-----END CERTIFICATE-----\n';
const CREDENTIALS: AwsCredentialIdentity = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
/** The member in us-west-2 of a topology whose other member, in us-east-1, is `pg-use1`. */
const WEST: CnpgClusterRef = {
  region: 'us-west-2',
  eksCluster: 'ai-gateway-usw2',
  namespace: 'ai-gateway',
  name: 'pg-usw2',
};
const URL_OF_WEST = `${ENDPOINT}/apis/postgresql.cnpg.io/v1/namespaces/ai-gateway/clusters/pg-usw2`;

/** A Cluster resource as the API server returns it. */
function cluster(
  replica: Record<string, unknown> | undefined,
  status: Record<string, unknown> = {},
  annotations?: Record<string, string>,
) {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: {
      name: 'pg-usw2',
      namespace: 'ai-gateway',
      ...(annotations === undefined ? {} : { annotations }),
    },
    spec: { instances: 3, ...(replica === undefined ? {} : { replica }) },
    status: {
      phase: 'Cluster in healthy state',
      conditions: [{ type: 'Ready', status: 'True' }],
      timelineID: 1,
      ...status,
    },
  };
}

const REPLICA = { primary: 'pg-use1', source: 'pg-use1' };

/** A stand-in for the API server: answers in order, remembers every request. */
function setup(...responses: KubernetesHttpResponse[]) {
  const calls: KubernetesHttpRequest[] = [];
  const api = new EksKubernetesApi({
    clientFor: (region) => new EKSClient({ region }),
    credentials: () => Promise.resolve(CREDENTIALS),
    request: (req) => {
      calls.push(req);
      const next = responses.shift();
      return next === undefined
        ? Promise.reject(new Error(`unexpected ${req.method} ${req.url}`))
        : Promise.resolve(next);
    },
    now: () => new Date('2026-12-06T10:00:00.000Z'),
  });
  return { clusters: new CloudNativePgClusters(api), calls };
}

const ok = (body: unknown): KubernetesHttpResponse => ({ statusCode: 200, body: JSON.stringify(body) });

beforeEach(() => {
  eks.reset();
  eks.on(DescribeClusterCommand).resolves({
    cluster: {
      name: 'ai-gateway-usw2',
      status: 'ACTIVE',
      endpoint: ENDPOINT,
      certificateAuthority: { data: Buffer.from(CA_PEM).toString('base64') },
    },
  });
});

function expectGet(req: KubernetesHttpRequest | undefined): void {
  expect(req).toMatchObject({ method: 'GET', url: URL_OF_WEST, ca: CA_PEM });
  expect(req?.headers.Authorization).toMatch(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/);
  expect(req?.body).toBeUndefined();
}

function expectMergePatch(req: KubernetesHttpRequest | undefined, body: unknown): void {
  expect(req).toMatchObject({ method: 'PATCH', url: URL_OF_WEST });
  expect(req?.headers['Content-Type']).toBe('application/merge-patch+json');
  expect(JSON.parse(req?.body ?? 'null')).toEqual(body);
}

describe('CloudNativePgClusters.describe', () => {
  it('reads the role the way CloudNativePG does: a member whose spec names another primary is a replica', async () => {
    const { clusters, calls } = setup(
      ok(
        cluster(REPLICA, {
          demotionToken: '',
          lastPromotionToken: 'eyJvbGQiOnRydWV9',
          switchReplicaClusterStatus: { inProgress: false },
        }),
      ),
    );
    await expect(clusters.describe(WEST)).resolves.toEqual({
      role: 'replica',
      self: 'pg-usw2',
      primary: 'pg-use1',
      source: 'pg-use1',
      phase: 'Cluster in healthy state',
      healthy: true,
      promoting: false,
      switching: false,
      demotionToken: undefined,
      lastPromotionToken: 'eyJvbGQiOnRydWV9',
      promotionToken: undefined,
      timelineId: 1,
      fenced: false,
      primaryFenced: false,
      writable: false,
      selfField: undefined,
    });
    expect(calls).toHaveLength(1);
    expectGet(calls[0]);
    expect(eks).toHaveReceivedCommandWith(DescribeClusterCommand, { name: 'ai-gateway-usw2' });
  });

  it.each([
    ['no spec.replica', undefined, 'primary'],
    ['primary naming itself', { primary: 'pg-usw2', source: 'pg-use1' }, 'primary'],
    ['self naming the primary', { self: 'west', primary: 'west', source: 'east' }, 'primary'],
    ['self not the primary', { self: 'west', primary: 'pg-usw2', source: 'east' }, 'replica'],
    [
      'enabled: false (the older model), whatever primary says',
      { enabled: false, source: 'pg-use1' },
      'primary',
    ],
    ['enabled: true', { enabled: true, source: 'pg-use1' }, 'replica'],
  ])('%s: %s', async (_what, replica, role) => {
    const { clusters } = setup(ok(cluster(replica)));
    expect((await clusters.describe(WEST)).role).toBe(role);
  });

  it('is healthy only in the healthy phase with Ready true; sees a promotion waiting and a fence on every instance', async () => {
    const { clusters } = setup(
      ok(cluster(REPLICA, { conditions: [{ type: 'Ready', status: 'False' }] })),
      ok(cluster(REPLICA, { phase: 'Promoting to primary cluster' })),
      ok(cluster(REPLICA, {}, { 'cnpg.io/fencedInstances': '["*"]' })),
      ok(cluster(REPLICA, {}, { 'cnpg.io/fencedInstances': '[]' })),
      ok(cluster(REPLICA, {}, { 'cnpg.io/fencedInstances': '["pg-usw2-1"]' })),
    );
    expect(await clusters.describe(WEST)).toMatchObject({ healthy: false, promoting: false });
    expect(await clusters.describe(WEST)).toMatchObject({ healthy: false, promoting: true });
    expect(await clusters.describe(WEST)).toMatchObject({ fenced: true, primaryFenced: true });
    expect(await clusters.describe(WEST)).toMatchObject({ fenced: false, primaryFenced: false });
    // pg-usw2-1 is fenced, but the current primary is not named: nothing says which it is.
    expect(await clusters.describe(WEST)).toMatchObject({ fenced: false, primaryFenced: false });
  });

  it('is writable only once its current primary instance reports itself out of recovery', async () => {
    const primary = { primary: 'pg-usw2', source: 'pg-use1' };
    const { clusters } = setup(
      ok(
        cluster(primary, {
          currentPrimary: 'pg-usw2-1',
          instancesReportedState: { 'pg-usw2-1': { isPrimary: false } },
        }),
      ),
      ok(
        cluster(primary, {
          currentPrimary: 'pg-usw2-1',
          instancesReportedState: { 'pg-usw2-1': { isPrimary: true } },
        }),
      ),
      ok(
        cluster(primary, {
          currentPrimary: 'pg-usw2-2',
          instancesReportedState: { 'pg-usw2-1': { isPrimary: true } },
        }),
      ),
    );
    expect(await clusters.describe(WEST)).toMatchObject({ role: 'primary', writable: false });
    expect(await clusters.describe(WEST)).toMatchObject({ role: 'primary', writable: true });
    expect(await clusters.describe(WEST)).toMatchObject({ writable: false });
  });

  it("passes the API server's refusal on as a KubernetesApiError with its reason", async () => {
    const { clusters } = setup({
      statusCode: 403,
      body: JSON.stringify({
        kind: 'Status',
        reason: 'Forbidden',
        message:
          'clusters.postgresql.cnpg.io "pg-usw2" is forbidden: User "lifeboat" cannot get resource "clusters"',
      }),
    });
    const refused = clusters.describe(WEST);
    await expect(refused).rejects.toThrow(KubernetesApiError);
    await expect(refused).rejects.toMatchObject({ name: 'Forbidden', statusCode: 403 });
  });
});

describe('CloudNativePgClusters.promote', () => {
  it('without a token (the primary is lost): primary set to itself, any old token and enabled removed, in one merge patch', async () => {
    const { clusters, calls } = setup(ok(cluster(REPLICA)), ok(cluster(REPLICA)));
    await expect(clusters.promote(WEST)).resolves.toBe('started');
    expect(calls).toHaveLength(2);
    expectGet(calls[0]);
    expectMergePatch(calls[1], {
      spec: { replica: { primary: 'pg-usw2', promotionToken: null, enabled: null } },
    });
  });

  it("with the demoted primary's token (a planned switchover): primary and promotionToken together", async () => {
    const { clusters, calls } = setup(ok(cluster(REPLICA)), ok(cluster(REPLICA)));
    await clusters.promote(WEST, { promotionToken: 'eyJkZW1vdGlvbiI6dHJ1ZX0=' });
    expectMergePatch(calls[1], {
      spec: { replica: { primary: 'pg-usw2', promotionToken: 'eyJkZW1vdGlvbiI6dHJ1ZX0=', enabled: null } },
    });
  });

  it('uses the topology name (self) when the member has one', async () => {
    const named = { self: 'west', primary: 'east', source: 'east' };
    const { clusters, calls } = setup(ok(cluster(named)), ok(cluster(named)));
    await clusters.promote(WEST);
    expectMergePatch(calls[1], {
      spec: { replica: { primary: 'west', promotionToken: null, enabled: null } },
    });
  });

  it('changes nothing on a member that already is the primary', async () => {
    const { clusters, calls } = setup(ok(cluster({ primary: 'pg-usw2', source: 'pg-use1' })));
    await expect(clusters.promote(WEST)).resolves.toBe('already-promoted');
    expect(calls.map((c) => c.method)).toEqual(['GET']);
  });
});

describe('CloudNativePgClusters.demote', () => {
  it('names the new primary as primary and source and drops its own old token, in one merge patch', async () => {
    const primary = { primary: 'pg-usw2', source: 'pg-use1', promotionToken: 'eyJvbGQiOnRydWV9' };
    const { clusters, calls } = setup(ok(cluster(primary)), ok(cluster(primary)));
    await expect(clusters.demote(WEST, 'pg-use1')).resolves.toBe('started');
    expectMergePatch(calls[1], {
      spec: { replica: { primary: 'pg-use1', source: 'pg-use1', promotionToken: null, enabled: null } },
    });
  });

  it('changes nothing on a member that already follows that primary, and refuses to demote a member in favour of itself', async () => {
    const { clusters, calls } = setup(ok(cluster(REPLICA)), ok(cluster(REPLICA)));
    await expect(clusters.demote(WEST, 'pg-use1')).resolves.toBe('already-demoted');
    await expect(clusters.demote(WEST, 'pg-usw2')).rejects.toThrow(
      'pg-usw2 in us-west-2 cannot be demoted in favour of itself (pg-usw2)',
    );
    expect(calls.map((c) => c.method)).toEqual(['GET', 'GET']);
  });
});

describe('CloudNativePgClusters.fence', () => {
  it('fences every instance with the annotation, once', async () => {
    const primary = { primary: 'pg-usw2', source: 'pg-use1' };
    const { clusters, calls } = setup(
      ok(cluster(primary)),
      ok(cluster(primary)),
      ok(cluster(primary, {}, { 'cnpg.io/fencedInstances': '["*"]' })),
    );
    await expect(clusters.fence(WEST)).resolves.toBe('fenced');
    expectMergePatch(calls[1], { metadata: { annotations: { 'cnpg.io/fencedInstances': '["*"]' } } });
    await expect(clusters.fence(WEST)).resolves.toBe('already-fenced');
    expect(calls.map((c) => c.method)).toEqual(['GET', 'PATCH', 'GET']);
  });

  it("leaves a person's fence that covers the primary instance as it is, and fences whole one that leaves the primary up", async () => {
    const primary = { primary: 'pg-usw2', source: 'pg-use1' };
    const status = { currentPrimary: 'pg-usw2-1' };
    const { clusters, calls } = setup(
      // Every instance but a standby fenced: the standby reads, nothing writes.
      ok(cluster(primary, status, { 'cnpg.io/fencedInstances': '["pg-usw2-1","pg-usw2-2"]' })),
      // An unrelated fence of one standby, left from before: the primary still writes.
      ok(cluster(primary, status, { 'cnpg.io/fencedInstances': '["pg-usw2-3"]' })),
      ok(cluster(primary, status, { 'cnpg.io/fencedInstances': '["*"]' })),
    );
    await expect(clusters.fence(WEST)).resolves.toBe('already-fenced');
    await expect(clusters.fence(WEST)).resolves.toBe('fenced');
    expectMergePatch(calls[2], { metadata: { annotations: { 'cnpg.io/fencedInstances': '["*"]' } } });
    expect(calls.map((c) => c.method)).toEqual(['GET', 'GET', 'PATCH']);
  });
});
