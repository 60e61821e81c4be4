import { EKSClient, DescribeClusterCommand } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { EksWorkloads } from '../../shared/aws/EksWorkloads.ts';
import { KubernetesTwin, type KubernetesCall } from '../../local/twin/KubernetesTwin.ts';
import { testConfig } from '../support/synth.ts';

const ROLE = 'arn:aws:iam::000000000000:role/lifeboat-workloads-us-west-2';
const KEY = { accessKeyId: 'ASIATESTKEY', secretAccessKey: 'the-secret', sessionToken: 'the-session' };
const EDIT = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy';

describe('KubernetesTwin', () => {
  const config = testConfig();
  const app = config.applications[0]!;
  const calls: KubernetesCall[] = [];
  let now = new Date('2030-01-01T00:00:00Z');
  let scaled: number | undefined;
  const twin = new KubernetesTwin({
    now: () => now,
    credentials: (id) => (id === KEY.accessKeyId ? { ...KEY, roleArn: ROLE } : undefined),
    accessEntries: () => [
      {
        principalArn: ROLE,
        kubernetesGroups: [],
        policies: [{ policyArn: EDIT, accessScope: { type: 'namespace', namespaces: ['ai-gateway'] } }],
      },
    ],
    workloads: {
      check: () => undefined,
      deployment: () => ({ replicas: scaled ?? 2, readyReplicas: 2 }),
      scale: (_, __, ___, ____, replicas) => {
        scaled = replicas;
      },
      nodes: () => [{ name: 'n1', ready: true }],
    },
    onCall: (call) => calls.push(call),
  });

  beforeAll(() => twin.start());
  afterAll(() => twin.stop());
  beforeEach(() => {
    calls.length = 0;
    now = new Date('2030-01-01T00:00:00Z');
  });

  /** The real adapter, signing its token with `credentials`, with the twin as the cluster's API. */
  function workloads(credentials: typeof KEY): EksWorkloads {
    const eks = mockClient(EKSClient);
    const access = twin.access('us-west-2', app.workloads['us-west-2']!.clusterName);
    eks.on(DescribeClusterCommand).resolves({
      cluster: {
        status: 'ACTIVE',
        endpoint: access.endpoint,
        certificateAuthority: { data: access.certificateAuthorityData },
      },
    });
    return new EksWorkloads({
      clientFor: () => new EKSClient({ region: 'us-west-2' }),
      credentials: () => Promise.resolve(credentials),
      now: () => now,
    });
  }

  it("serves the adapter's scale with a token signed for this cluster by a role with an access entry", async () => {
    await workloads(KEY).scaleDeployment(app, 'us-west-2', 'ai-gateway', 'litellm', 5);
    expect(scaled).toBe(5);
    expect(calls).toEqual([
      expect.objectContaining({ operation: 'PatchDeploymentScale', status: 200, roleArn: ROLE }),
    ]);
  });

  it('refuses a token signed with the wrong secret, as STS would', async () => {
    await expect(
      workloads({ ...KEY, secretAccessKey: 'not-the-secret' }).describeDeployment(
        app,
        'us-west-2',
        'ai-gateway',
        'litellm',
      ),
    ).rejects.toMatchObject({ name: 'Unauthorized' });
    expect(calls[0]).toMatchObject({
      status: 401,
      reason: expect.stringMatching(/signature does not match/) as unknown,
    });
  });

  it('refuses a token older than 15 minutes', async () => {
    const adapter = workloads(KEY);
    const token = adapter.describeDeployment(app, 'us-west-2', 'ai-gateway', 'litellm');
    await token;
    calls.length = 0;
    now = new Date('2030-01-01T00:16:00Z');
    const stale = new EksWorkloads({
      clientFor: () => new EKSClient({ region: 'us-west-2' }),
      credentials: () => Promise.resolve(KEY),
      // The token is signed at 00:00 and presented at 00:16.
      now: () => new Date('2030-01-01T00:00:00Z'),
    });
    await expect(stale.describeDeployment(app, 'us-west-2', 'ai-gateway', 'litellm')).rejects.toMatchObject({
      name: 'Unauthorized',
    });
    expect(calls[0]).toMatchObject({ status: 401, reason: expect.stringMatching(/expired/) as unknown });
  });

  it('forbids what the access entry does not grant: nodes outside a namespace scope', async () => {
    await expect(workloads(KEY).describeNodeGroup(app, 'us-west-2', 'general')).rejects.toMatchObject({
      name: 'Forbidden',
    });
    expect(calls).toContainEqual(expect.objectContaining({ operation: 'ListNodes', status: 403 }));
  });
});
