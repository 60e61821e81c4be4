import { EKSClient, DescribeClusterCommand } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { EksWorkloads } from '../../shared/aws/EksWorkloads.ts';
import { KubernetesTwin, type KubernetesCall } from '../../local/twin/KubernetesTwin.ts';
import { testConfig } from '../support/synth.ts';
import type { ScaledWorkloadConfig } from '../../shared/config/LifeboatConfig.ts';
import {
  DATABASE_READERS_GROUP,
  DATABASES_GROUP,
  rbacFor,
  SCALERS_GROUP,
  type RbacObject,
} from '../../shared/config/kubernetesRbac.ts';
import { CloudNativePgClusters } from '../../shared/aws/CloudNativePgClusters.ts';
import { CloudNativePgDatabase } from '../../shared/aws/CloudNativePgDatabase.ts';
import { EksKubernetesApi } from '../../shared/aws/KubernetesApi.ts';

const ROLE = 'arn:aws:iam::000000000000:role/lifeboat-workloads-us-west-2';
const KEY = { accessKeyId: 'ASIATESTKEY', secretAccessKey: 'the-secret', sessionToken: 'the-session' };
const SCALING = 'arn:aws:eks::aws:cluster-access-policy/AmazonARCRegionSwitchScalingPolicy';

describe('KubernetesTwin', () => {
  const config = testConfig();
  const app = config.applications[0]!;
  const calls: KubernetesCall[] = [];
  let now = new Date('2030-01-01T00:00:00Z');
  let scaled: number | undefined;
  let generation = 1;
  /** While set, every read finds the workload changed since the last one. */
  let busy = false;
  let groups: string[] = [];
  let rbac: RbacObject[] = [];
  const bounds = new Map<string, { min: number; max: number }>();
  /** The CloudNativePG Cluster `pg-usw2` in ai-gateway, and the merge patches it received. */
  let cnpgSpec: Record<string, unknown> = { primary: 'pg-use1', source: 'pg-use1' };
  const cnpgPatches: Record<string, unknown>[] = [];
  let cnpgRefusal: string | undefined;
  const twin = new KubernetesTwin({
    now: () => now,
    credentials: (id) => (id === KEY.accessKeyId ? { ...KEY, roleArn: ROLE } : undefined),
    accessEntries: () => [
      {
        principalArn: ROLE,
        kubernetesGroups: groups,
        policies: [{ policyArn: SCALING, accessScope: { type: 'namespace', namespaces: ['ai-gateway'] } }],
      },
    ],
    rbac: () => rbac,
    workloads: {
      check: () => undefined,
      workload: () => {
        if (busy) generation += 1;
        return { kind: 'Deployment', replicas: scaled ?? 2, readyReplicas: 2, generation };
      },
      scale: (_, __, ___, replicas) => {
        scaled = replicas;
        generation += 1;
      },
      autoscaler: (_, __, kind, ___, name) => ({
        ...(bounds.get(`${kind}/${name}`) ?? { min: 1, max: 6 }),
        target: { apiVersion: 'apps/v1', kind: kind === 'ScaledObject' ? 'StatefulSet' : 'Deployment', name },
        paused: false,
      }),
      patchAutoscaler: (_, __, kind, ___, name, b) => {
        const current = bounds.get(`${kind}/${name}`) ?? { min: 1, max: 6 };
        bounds.set(`${kind}/${name}`, { min: b.min ?? current.min, max: b.max ?? current.max });
      },
      createJob: () => undefined,
      job: () => undefined,
      deleteJob: () => false,
      nodes: () => [{ name: 'n1', ready: true }],
      cnpgCluster: (_, __, namespace, name) =>
        namespace === 'ai-gateway' && name === 'pg-usw2'
          ? {
              apiVersion: 'postgresql.cnpg.io/v1',
              kind: 'Cluster',
              metadata: { name, namespace },
              spec: { replica: cnpgSpec },
              status: {
                phase: 'Cluster in healthy state',
                conditions: [{ type: 'Ready', status: 'True' }],
              },
            }
          : undefined,
      patchCnpgCluster: (_, __, ___, ____, patch) => {
        if (cnpgRefusal !== undefined) {
          const error = new Error(cnpgRefusal);
          error.name = 'Invalid';
          throw error;
        }
        cnpgPatches.push(patch);
        const replica = (patch['spec'] as { replica?: Record<string, unknown> } | undefined)?.replica ?? {};
        cnpgSpec = Object.fromEntries(
          Object.entries({ ...cnpgSpec, ...replica }).filter(([, v]) => v !== null),
        );
      },
    },
    onCall: (call) => calls.push(call),
  });
  const [litellm, agentgateway, vllm] = app.workloads['us-west-2']!.deployments as [
    ScaledWorkloadConfig,
    ScaledWorkloadConfig,
    ScaledWorkloadConfig,
  ];
  const hpaOwned = { ...agentgateway, autoscaler: agentgateway.autoscaler! };
  const kedaOwned = { ...vllm, autoscaler: vllm.autoscaler! };

  beforeAll(() => twin.start());
  afterAll(() => twin.stop());
  beforeEach(() => {
    calls.length = 0;
    now = new Date('2030-01-01T00:00:00Z');
    groups = [];
    rbac = [];
    bounds.clear();
    cnpgSpec = { primary: 'pg-use1', source: 'pg-use1' };
    cnpgPatches.length = 0;
    cnpgRefusal = undefined;
  });

  /** EKS's DescribeCluster, answering with the twin's endpoint and CA for us-west-2's cluster. */
  function describeClusterAnswersTheTwin(): void {
    const eks = mockClient(EKSClient);
    const access = twin.access('us-west-2', app.workloads['us-west-2']!.clusterName);
    eks.on(DescribeClusterCommand).resolves({
      cluster: {
        status: 'ACTIVE',
        endpoint: access.endpoint,
        certificateAuthority: { data: access.certificateAuthorityData },
      },
    });
  }

  /** The real adapter, signing its token with `credentials`, with the twin as the cluster's API. */
  function workloads(credentials: typeof KEY): EksWorkloads {
    describeClusterAnswersTheTwin();
    return new EksWorkloads({
      clientFor: () => new EKSClient({ region: 'us-west-2' }),
      credentials: () => Promise.resolve(credentials),
      now: () => now,
    });
  }

  it("serves the adapter's scale with a token signed for this cluster by a role with an access entry", async () => {
    await workloads(KEY).scaleWorkload(app, 'us-west-2', litellm, 5);
    expect(scaled).toBe(5);
    expect(calls).toEqual([
      expect.objectContaining({ operation: 'ReadWorkloadScale', status: 200, roleArn: ROLE }),
      expect.objectContaining({ operation: 'UpdateWorkloadScale', status: 200, roleArn: ROLE }),
    ]);
  });

  it('answers an update carrying a stale resourceVersion with 409 Conflict, which the adapter reads and tries again, three times', async () => {
    // Another writer (the autoscaler, say) changes the workload between the adapter's read and write.
    busy = true;
    await expect(workloads(KEY).scaleWorkload(app, 'us-west-2', litellm, 7)).rejects.toMatchObject({
      name: 'Conflict',
      statusCode: 409,
    });
    busy = false;
    expect(scaled).not.toBe(7);
  });

  it("lets the ARC scaling policy read and patch an HPA's bounds", async () => {
    await workloads(KEY).setAutoscalerBounds(app, 'us-west-2', hpaOwned, { min: 3, max: 6 });
    expect(bounds.get('HorizontalPodAutoscaler/agentgateway')).toEqual({ min: 3, max: 6 });
    expect(calls.map((c) => `${c.operation} ${c.status}`)).toEqual([
      'ReadAutoscaler 200',
      'PatchAutoscaler 200',
    ]);
  });

  it("forbids a ScaledObject, a custom resource no access policy covers, until RBAC binds the entry's group", async () => {
    await expect(
      workloads(KEY).setAutoscalerBounds(app, 'us-west-2', kedaOwned, { min: 2, max: 4 }),
    ).rejects.toMatchObject({ name: 'Forbidden' });
    expect(calls[0]).toMatchObject({
      operation: 'ReadAutoscaler',
      status: 403,
      reason: expect.stringContaining(
        'cannot get resource "scaledobjects" in API group "keda.sh" in the namespace "ai-gateway"',
      ) as unknown,
    });
    calls.length = 0;
    groups = [SCALERS_GROUP];
    rbac = [...rbacFor(config, 'us-west-2', app.workloads['us-west-2']!.clusterName)];
    await workloads(KEY).setAutoscalerBounds(app, 'us-west-2', kedaOwned, { min: 2, max: 4 });
    expect(bounds.get('ScaledObject/vllm')).toEqual({ min: 2, max: 4 });
    expect(calls.map((c) => `${c.operation} ${c.status}`)).toEqual([
      'ReadAutoscaler 200',
      'PatchAutoscaler 200',
    ]);
  });

  it('keeps the RBAC Role to the ScaledObjects it names (resourceNames)', async () => {
    groups = [SCALERS_GROUP];
    rbac = [...rbacFor(config, 'us-west-2', app.workloads['us-west-2']!.clusterName)];
    await expect(
      workloads(KEY).describeAutoscaler(app, 'us-west-2', {
        ...kedaOwned,
        autoscaler: { kind: 'ScaledObject', name: 'another' },
      }),
    ).rejects.toMatchObject({ name: 'Forbidden' });
  });

  it('refuses a token signed with the wrong secret, as STS would', async () => {
    await expect(
      workloads({ ...KEY, secretAccessKey: 'not-the-secret' }).describeWorkload(app, 'us-west-2', litellm),
    ).rejects.toMatchObject({ name: 'Unauthorized' });
    expect(calls[0]).toMatchObject({
      status: 401,
      reason: expect.stringMatching(/signature does not match/) as unknown,
    });
  });

  it('refuses a token older than 15 minutes', async () => {
    const adapter = workloads(KEY);
    const token = adapter.describeWorkload(app, 'us-west-2', litellm);
    await token;
    calls.length = 0;
    now = new Date('2030-01-01T00:16:00Z');
    const stale = new EksWorkloads({
      clientFor: () => new EKSClient({ region: 'us-west-2' }),
      credentials: () => Promise.resolve(KEY),
      // The token is signed at 00:00 and presented at 00:16.
      now: () => new Date('2030-01-01T00:00:00Z'),
    });
    await expect(stale.describeWorkload(app, 'us-west-2', litellm)).rejects.toMatchObject({
      name: 'Unauthorized',
    });
    expect(calls[0]).toMatchObject({ status: 401, reason: expect.stringMatching(/expired/) as unknown });
  });

  describe('CloudNativePG Clusters', () => {
    const cnpgApp = {
      ...app,
      database: {
        engine: 'cloudnativepg' as const,
        clusters: {
          'us-east-1': { namespace: 'ai-gateway', name: 'pg-use1' },
          'us-west-2': { namespace: 'ai-gateway', name: 'pg-usw2' },
        },
        lagMetric: { namespace: 'CNPG', metricName: 'cnpg_pg_replication_lag' },
      },
    };
    const cnpgConfig = { ...config, applications: [cnpgApp] };

    function database(): CloudNativePgDatabase {
      describeClusterAnswersTheTwin();
      return new CloudNativePgDatabase(
        new CloudNativePgClusters(
          new EksKubernetesApi({
            clientFor: () => new EKSClient({ region: 'us-west-2' }),
            credentials: () => Promise.resolve(KEY),
            now: () => now,
          }),
        ),
      );
    }

    it('forbids a Cluster, a custom resource no access policy covers, until the RBAC of lifeboat-databases binds the group', async () => {
      await expect(database().describe(cnpgApp, 'us-west-2')).rejects.toMatchObject({ name: 'Forbidden' });
      expect(calls[0]).toMatchObject({
        operation: 'ReadCnpgCluster',
        status: 403,
        reason: expect.stringContaining(
          'cannot get resource "clusters" in API group "postgresql.cnpg.io" in the namespace "ai-gateway"',
        ) as unknown,
      });
      groups = [DATABASES_GROUP];
      rbac = [...rbacFor(cnpgConfig, 'us-west-2', app.workloads['us-west-2']!.clusterName)];
      await expect(database().describe(cnpgApp, 'us-west-2')).resolves.toEqual({
        role: 'replica',
        available: true,
        sourceRegion: 'us-east-1',
      });
    });

    it('promotes by a merge patch the database group may send, and the readers group may only read', async () => {
      rbac = [...rbacFor(cnpgConfig, 'us-west-2', app.workloads['us-west-2']!.clusterName)];
      groups = [DATABASE_READERS_GROUP];
      await expect(
        database().promote(cnpgApp, 'us-west-2', { planned: false, by: 'automatic' }),
      ).rejects.toMatchObject({ name: 'Forbidden' });
      expect(calls.map((c) => `${c.operation} ${c.status}`)).toEqual([
        'ReadCnpgCluster 200',
        'PatchCnpgCluster 403',
      ]);
      expect(cnpgPatches).toEqual([]);
      calls.length = 0;
      groups = [DATABASES_GROUP];
      await expect(
        database().promote(cnpgApp, 'us-west-2', { planned: false, by: 'automatic' }),
      ).resolves.toBe('started');
      expect(cnpgPatches).toEqual([
        { spec: { replica: { primary: 'pg-usw2', promotionToken: null, enabled: null } } },
      ]);
      // Promoted: asked again, it changes nothing.
      await expect(
        database().promote(cnpgApp, 'us-west-2', { planned: false, by: 'automatic' }),
      ).resolves.toBe('already-promoted');
      expect(cnpgPatches).toHaveLength(1);
    });

    it("answers what CloudNativePG's webhook refuses with 422 Invalid, which the adapter raises", async () => {
      groups = [DATABASES_GROUP];
      rbac = [...rbacFor(cnpgConfig, 'us-west-2', app.workloads['us-west-2']!.clusterName)];
      cnpgRefusal =
        'Cluster.postgresql.cnpg.io "pg-usw2" is invalid: spec.replica.primary: Invalid value: "x": primary must be one of the externalClusters names';
      await expect(database().fence(cnpgApp, 'us-west-2')).rejects.toMatchObject({
        name: 'Invalid',
        statusCode: 422,
      });
      expect(calls.at(-1)).toMatchObject({ operation: 'PatchCnpgCluster', status: 422 });
    });

    it('keeps the Role to the Clusters it names (resourceNames)', async () => {
      groups = [DATABASES_GROUP];
      rbac = [...rbacFor(cnpgConfig, 'us-west-2', app.workloads['us-west-2']!.clusterName)];
      const other = {
        ...cnpgApp,
        database: {
          ...cnpgApp.database,
          clusters: {
            ...cnpgApp.database.clusters,
            'us-west-2': { namespace: 'ai-gateway', name: 'pg-other' },
          },
        },
      };
      await expect(database().describe(other, 'us-west-2')).rejects.toMatchObject({ name: 'Forbidden' });
    });
  });

  it('forbids what the access entry does not grant: nodes outside a namespace scope', async () => {
    await expect(workloads(KEY).describeNodeGroup(app, 'us-west-2', 'general')).rejects.toMatchObject({
      name: 'Forbidden',
    });
    expect(calls).toContainEqual(expect.objectContaining({ operation: 'ListNodes', status: 403 }));
  });
});
