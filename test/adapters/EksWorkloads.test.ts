import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import type { Cluster, Nodegroup } from '@aws-sdk/client-eks';
import type { AwsCredentialIdentity } from '@smithy/types';
import { mockClient } from 'aws-sdk-client-mock';
import {
  EksWorkloads,
  KubernetesApiError,
  nodeHttpsRequest,
  type KubernetesHttpRequest,
  type KubernetesHttpResponse,
} from '../../shared/aws/EksWorkloads.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { classifyError, TransientServiceError } from '../../shared/errors.ts';
import type { ApplicationConfig, ScaledWorkloadConfig } from '../../shared/config/LifeboatConfig.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';

const eks = mockClient(EKSClient);

/** ai-gateway: cluster ai-gateway-use1 in us-east-1, ai-gateway-usw2 in us-west-2. */
const APP: ApplicationConfig = loadConfig(EXAMPLE_CONFIG_PATH).applications[0]!;
const REGION = 'us-east-1';
const CLUSTER = 'ai-gateway-use1';
const ENDPOINT = 'https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com';
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBfakeClusterCA\n-----END CERTIFICATE-----\n';
const T0 = new Date('2026-11-22T06:00:00.000Z');
const [LITELLM, AGENTGATEWAY, VLLM] = APP.workloads[REGION]!.deployments as [
  ScaledWorkloadConfig,
  ScaledWorkloadConfig,
  ScaledWorkloadConfig,
];
const AUTOSCALED = { ...AGENTGATEWAY, autoscaler: AGENTGATEWAY.autoscaler! };
const KEDA = { ...VLLM, autoscaler: VLLM.autoscaler! };

const CREDENTIALS: AwsCredentialIdentity = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

function activeCluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    name: CLUSTER,
    status: 'ACTIVE',
    endpoint: ENDPOINT,
    certificateAuthority: { data: Buffer.from(CA_PEM).toString('base64') },
    ...overrides,
  };
}

function nodegroup(scaling: { minSize: number; maxSize: number; desiredSize: number }): {
  nodegroup: Nodegroup;
} {
  return { nodegroup: { nodegroupName: 'general', clusterName: CLUSTER, scalingConfig: scaling } };
}

/** A stand-in for the API server: answers in order, remembers every request. */
function fakeKubernetes(...responses: (KubernetesHttpResponse | ((req: KubernetesHttpRequest) => never))[]) {
  const calls: KubernetesHttpRequest[] = [];
  const request = (req: KubernetesHttpRequest): Promise<KubernetesHttpResponse> => {
    calls.push(req);
    const next = responses.shift();
    if (next === undefined) return Promise.reject(new Error(`unexpected ${req.method} ${req.url}`));
    return Promise.resolve(typeof next === 'function' ? next(req) : next);
  };
  return { calls, request };
}

const ok = (body: unknown): KubernetesHttpResponse => ({ statusCode: 200, body: JSON.stringify(body) });

function setup(
  options: {
    responses?: KubernetesHttpResponse[];
    now?: () => Date;
    credentials?: () => Promise<AwsCredentialIdentity>;
  } = {},
) {
  const kube = fakeKubernetes(...(options.responses ?? []));
  const regions: string[] = [];
  const credentialCalls = { count: 0 };
  const workloads = new EksWorkloads({
    clientFor: (region) => {
      regions.push(region);
      return new EKSClient({ region });
    },
    credentials:
      options.credentials ??
      (() => {
        credentialCalls.count += 1;
        return Promise.resolve(CREDENTIALS);
      }),
    request: kube.request,
    now: options.now ?? (() => T0),
  });
  return { workloads, kube, regions, credentialCalls };
}

function expectKubernetesHeaders(req: KubernetesHttpRequest): void {
  expect(req.headers.Authorization).toMatch(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/);
  expect(req.headers.Accept).toBe('application/json');
  expect(req.ca).toBe(CA_PEM);
}

beforeEach(() => {
  eks.reset();
  eks.on(DescribeClusterCommand).resolves({ cluster: activeCluster() });
});

describe('EksWorkloads.clusterReachable', () => {
  it('returns true when DescribeCluster says ACTIVE', async () => {
    const { workloads, regions } = setup();
    await expect(workloads.clusterReachable(APP, REGION)).resolves.toBe(true);
    expect(eks).toHaveReceivedCommandWith(DescribeClusterCommand, { name: CLUSTER });
    expect(regions).toEqual([REGION]);
  });

  it('returns false when the cluster is in any other state', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: activeCluster({ status: 'UPDATING' }) });
    const { workloads } = setup();
    await expect(workloads.clusterReachable(APP, REGION)).resolves.toBe(false);
  });

  it('uses the cluster of the asked region when the application has several', async () => {
    const { workloads, regions } = setup();
    await workloads.clusterReachable(APP, 'us-west-2');
    expect(eks).toHaveReceivedCommandWith(DescribeClusterCommand, { name: 'ai-gateway-usw2' });
    expect(regions).toEqual(['us-west-2']);
  });

  it('lets the SDK error through unchanged when DescribeCluster fails', async () => {
    const error = new ResourceNotFoundException({ message: 'No cluster found', $metadata: {} });
    eks.on(DescribeClusterCommand).rejects(error);
    const { workloads } = setup();
    await expect(workloads.clusterReachable(APP, REGION)).rejects.toBe(error);
  });

  it('throws naming the application when it has no workloads in the region', async () => {
    const { workloads } = setup();
    await expect(workloads.clusterReachable(APP, 'ap-south-1')).rejects.toThrow(
      'Application ai-gateway has no workloads configured in ap-south-1',
    );
    expect(eks).not.toHaveReceivedCommand(DescribeClusterCommand);
  });
});

describe('EksWorkloads.describeNodeGroup', () => {
  const ready = (status: string) => ({ status: { conditions: [{ type: 'Ready', status }] } });

  it('reads the sizes from EKS and counts the Ready nodes of the node group', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ minSize: 2, maxSize: 10, desiredSize: 6 }));
    const { workloads, kube } = setup({
      responses: [
        ok({
          kind: 'NodeList',
          items: [
            ready('True'),
            {
              status: {
                conditions: [
                  { type: 'MemoryPressure', status: 'False' },
                  { type: 'Ready', status: 'True' },
                ],
              },
            },
            ready('False'),
            ready('Unknown'),
            { status: { conditions: [{ type: 'DiskPressure', status: 'True' }] } },
            {},
          ],
        }),
      ],
    });

    await expect(workloads.describeNodeGroup(APP, REGION, 'general')).resolves.toEqual({
      desired: 6,
      ready: 2,
      min: 2,
      max: 10,
    });
    expect(eks).toHaveReceivedCommandWith(DescribeNodegroupCommand, {
      clusterName: CLUSTER,
      nodegroupName: 'general',
    });
    expect(kube.calls).toHaveLength(1);
    const [req] = kube.calls;
    expect(req).toMatchObject({
      url: `${ENDPOINT}/api/v1/nodes?labelSelector=eks.amazonaws.com%2Fnodegroup%3Dgeneral`,
      method: 'GET',
    });
    expect(req!.body).toBeUndefined();
    expect(req!.headers['Content-Type']).toBeUndefined();
    expectKubernetesHeaders(req!);
  });

  it('reports no ready nodes when the node group has none', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ minSize: 0, maxSize: 10, desiredSize: 0 }));
    const { workloads } = setup({ responses: [ok({ kind: 'NodeList', items: [] })] });
    await expect(workloads.describeNodeGroup(APP, REGION, 'general')).resolves.toEqual({
      desired: 0,
      ready: 0,
      min: 0,
      max: 10,
    });
  });
});

describe('EksWorkloads.nodeGroupHealth', () => {
  it("reads the group's maximum and EKS's health issues with DescribeNodegroup alone", async () => {
    eks.on(DescribeNodegroupCommand).resolves({
      nodegroup: {
        ...nodegroup({ minSize: 2, maxSize: 10, desiredSize: 6 }).nodegroup,
        health: {
          issues: [
            {
              code: 'AsgInstanceLaunchFailures',
              message: 'Could not launch On-Demand Instances. InsufficientInstanceCapacity',
              resourceIds: ['eks-general-asg'],
            },
          ],
        },
      },
    });
    const { workloads, kube } = setup();
    await expect(workloads.nodeGroupHealth(APP, REGION, 'general')).resolves.toEqual({
      max: 10,
      issues: [
        {
          code: 'AsgInstanceLaunchFailures',
          message: 'Could not launch On-Demand Instances. InsufficientInstanceCapacity',
        },
      ],
    });
    expect(eks).toHaveReceivedCommandWith(DescribeNodegroupCommand, {
      clusterName: CLUSTER,
      nodegroupName: 'general',
    });
    // No Kubernetes API call: the trigger reads it without cluster access.
    expect(kube.calls).toEqual([]);
  });
});

describe('EksWorkloads.scaleNodeGroup', () => {
  it('raises the maximum as far as the new size when it is above it', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ minSize: 2, maxSize: 10, desiredSize: 2 }));
    const { workloads } = setup();
    await workloads.scaleNodeGroup(APP, REGION, 'general', { desired: 12 });
    expect(eks).toHaveReceivedCommandWith(DescribeNodegroupCommand, {
      clusterName: CLUSTER,
      nodegroupName: 'general',
    });
    expect(eks).toHaveReceivedCommandTimes(UpdateNodegroupConfigCommand, 1);
    expect(eks).toHaveReceivedCommandWith(UpdateNodegroupConfigCommand, {
      clusterName: CLUSTER,
      nodegroupName: 'general',
      scalingConfig: { minSize: 2, maxSize: 12, desiredSize: 12 },
    });
  });

  it('lowers the minimum as far as the new size when it is below it', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ minSize: 2, maxSize: 10, desiredSize: 6 }));
    const { workloads } = setup();
    await workloads.scaleNodeGroup(APP, REGION, 'general', { desired: 0 });
    expect(eks).toHaveReceivedCommandWith(UpdateNodegroupConfigCommand, {
      clusterName: CLUSTER,
      nodegroupName: 'general',
      scalingConfig: { minSize: 0, maxSize: 10, desiredSize: 0 },
    });
  });

  it('keeps the current bounds when the new size is within them', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ minSize: 2, maxSize: 10, desiredSize: 2 }));
    const { workloads } = setup();
    await workloads.scaleNodeGroup(APP, REGION, 'general', { desired: 6 });
    expect(eks).toHaveReceivedCommandWith(UpdateNodegroupConfigCommand, {
      scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 6 },
    });
  });

  it('sets the given bounds when min and max are given', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ minSize: 2, maxSize: 10, desiredSize: 6 }));
    const { workloads } = setup();
    await workloads.scaleNodeGroup(APP, REGION, 'general', { desired: 6, min: 6, max: 8 });
    expect(eks).toHaveReceivedCommandWith(UpdateNodegroupConfigCommand, {
      clusterName: CLUSTER,
      nodegroupName: 'general',
      scalingConfig: { minSize: 6, maxSize: 8, desiredSize: 6 },
    });
  });

  it('sends no update when the node group already has that scaling', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ minSize: 2, maxSize: 10, desiredSize: 6 }));
    const { workloads } = setup();
    await workloads.scaleNodeGroup(APP, REGION, 'general', { desired: 6 });
    await workloads.scaleNodeGroup(APP, REGION, 'general', { desired: 6, min: 2, max: 10 });
    expect(eks).toHaveReceivedCommandTimes(DescribeNodegroupCommand, 2);
    expect(eks).not.toHaveReceivedCommand(UpdateNodegroupConfigCommand);
  });

  it('rejects a size outside the given bounds naming the values and sends no update', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ minSize: 2, maxSize: 10, desiredSize: 6 }));
    const { workloads } = setup();
    await expect(workloads.scaleNodeGroup(APP, REGION, 'general', { desired: 9, max: 8 })).rejects.toThrow(
      'Cannot scale node group general of ai-gateway-use1 in us-east-1 to 9: outside its bounds [2, 8]',
    );
    await expect(workloads.scaleNodeGroup(APP, REGION, 'general', { desired: 1, min: 3 })).rejects.toThrow(
      RangeError,
    );
    expect(eks).not.toHaveReceivedCommand(UpdateNodegroupConfigCommand);
  });

  it('rejects a negative or fractional size before calling EKS', async () => {
    const { workloads } = setup();
    await expect(workloads.scaleNodeGroup(APP, REGION, 'general', { desired: -1 })).rejects.toThrow(
      RangeError,
    );
    await expect(workloads.scaleNodeGroup(APP, REGION, 'general', { desired: 2.5 })).rejects.toThrow(
      'not 2.5',
    );
    await expect(workloads.scaleNodeGroup(APP, REGION, 'general', { desired: 2, max: 1.5 })).rejects.toThrow(
      RangeError,
    );
    expect(eks.calls()).toHaveLength(0);
  });

  it('lets the SDK error through unchanged when the update is refused', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ minSize: 2, maxSize: 10, desiredSize: 2 }));
    const error = new ResourceInUseException({ message: 'Nodegroup is updating', $metadata: {} });
    eks.on(UpdateNodegroupConfigCommand).rejects(error);
    const { workloads } = setup();
    await expect(workloads.scaleNodeGroup(APP, REGION, 'general', { desired: 6 })).rejects.toBe(error);
  });
});

describe('EksWorkloads.describeWorkload', () => {
  it("reads spec.replicas and status.readyReplicas from the workload's status subresource", async () => {
    const { workloads, kube } = setup({
      responses: [
        ok({ kind: 'Deployment', spec: { replicas: 6 }, status: { replicas: 6, readyReplicas: 4 } }),
      ],
    });
    await expect(workloads.describeWorkload(APP, REGION, LITELLM)).resolves.toEqual({
      replicas: 6,
      readyReplicas: 4,
    });
    expect(kube.calls).toHaveLength(1);
    const [req] = kube.calls;
    expect(req).toMatchObject({
      url: `${ENDPOINT}/apis/apps/v1/namespaces/ai-gateway/deployments/litellm/status`,
      method: 'GET',
    });
    expect(req!.body).toBeUndefined();
    expectKubernetesHeaders(req!);
  });

  it('reads a StatefulSet, and a custom kind at the apiVersion and resource the config gives', async () => {
    const { workloads, kube } = setup({
      responses: [ok({ spec: { replicas: 2 }, status: { readyReplicas: 2 } }), ok({ spec: { replicas: 3 } })],
    });
    await workloads.describeWorkload(APP, REGION, VLLM);
    await workloads.describeWorkload(APP, REGION, {
      ...LITELLM,
      kind: 'Rollout',
      apiVersion: 'argoproj.io/v1alpha1',
      resource: 'rollouts',
    });
    expect(kube.calls.map((c) => c.url)).toEqual([
      `${ENDPOINT}/apis/apps/v1/namespaces/ai-gateway/statefulsets/vllm/status`,
      `${ENDPOINT}/apis/argoproj.io/v1alpha1/namespaces/ai-gateway/rollouts/litellm/status`,
    ]);
  });

  it('reports zero ready replicas when the status omits them', async () => {
    const { workloads } = setup({ responses: [ok({ spec: { replicas: 0 }, status: {} })] });
    await expect(workloads.describeWorkload(APP, REGION, LITELLM)).resolves.toEqual({
      replicas: 0,
      readyReplicas: 0,
    });
  });

  it('URL-encodes the namespace and name', async () => {
    const { workloads, kube } = setup({ responses: [ok({ spec: { replicas: 1 } })] });
    await workloads.describeWorkload(APP, REGION, { ...LITELLM, namespace: 'a b', name: 'x/../y?z' });
    expect(kube.calls[0]!.url).toBe(
      `${ENDPOINT}/apis/apps/v1/namespaces/a%20b/deployments/x%2F..%2Fy%3Fz/status`,
    );
  });
});

describe('EksWorkloads.scaleWorkload', () => {
  const SCALE = `${ENDPOINT}/apis/apps/v1/namespaces/ai-gateway/deployments/litellm/scale`;

  it('reads the scale subresource, then replaces it with the replicas and the resourceVersion it read', async () => {
    const { workloads, kube } = setup({
      responses: [
        ok({ kind: 'Scale', metadata: { name: 'litellm', resourceVersion: '4711' }, spec: { replicas: 2 } }),
        ok({ kind: 'Scale', spec: { replicas: 6 } }),
      ],
    });
    await workloads.scaleWorkload(APP, REGION, LITELLM, 6);
    expect(kube.calls).toHaveLength(2);
    const [read, write] = kube.calls;
    expect(read).toMatchObject({ url: SCALE, method: 'GET' });
    expect(write).toMatchObject({ url: SCALE, method: 'PUT' });
    expect(JSON.parse(write!.body!)).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'litellm', namespace: 'ai-gateway', resourceVersion: '4711' },
      spec: { replicas: 6 },
    });
    expect(write!.headers['Content-Type']).toBe('application/json');
    expectKubernetesHeaders(write!);
  });

  it('reads and replaces again on 409 Conflict (another writer moved the resourceVersion), up to three times', async () => {
    const conflict: KubernetesHttpResponse = {
      statusCode: 409,
      body: JSON.stringify({ kind: 'Status', reason: 'Conflict', message: 'the object has been modified' }),
    };
    const read = (rv: string) =>
      ok({ kind: 'Scale', metadata: { resourceVersion: rv }, spec: { replicas: 2 } });
    const { workloads, kube } = setup({ responses: [read('1'), conflict, read('2'), ok({})] });
    await workloads.scaleWorkload(APP, REGION, LITELLM, 6);
    expect(kube.calls.map((c) => c.method)).toEqual(['GET', 'PUT', 'GET', 'PUT']);
    expect((JSON.parse(kube.calls[3]!.body!) as { metadata: unknown }).metadata).toMatchObject({
      resourceVersion: '2',
    });
    const stubborn = setup({ responses: [read('1'), conflict, read('2'), conflict, read('3'), conflict] });
    await expect(stubborn.workloads.scaleWorkload(APP, REGION, LITELLM, 6)).rejects.toMatchObject({
      name: 'Conflict',
      statusCode: 409,
    });
    expect(classifyError(new KubernetesApiError('Conflict', 409, 'modified'))).toBeInstanceOf(
      TransientServiceError,
    );
  });

  it('writes nothing when the workload already has the replicas (a retried step)', async () => {
    const { workloads, kube } = setup({ responses: [ok({ kind: 'Scale', spec: { replicas: 6 } })] });
    await workloads.scaleWorkload(APP, REGION, LITELLM, 6);
    expect(kube.calls.map((c) => c.method)).toEqual(['GET']);
  });

  it('accepts zero replicas', async () => {
    const { workloads, kube } = setup({
      responses: [ok({ kind: 'Scale', metadata: { resourceVersion: '1' }, spec: { replicas: 1 } }), ok({})],
    });
    await workloads.scaleWorkload(APP, REGION, LITELLM, 0);
    expect((JSON.parse(kube.calls[1]!.body!) as { spec: unknown }).spec).toEqual({ replicas: 0 });
  });

  it('rejects a negative or fractional count and sends nothing', async () => {
    const { workloads, kube } = setup();
    await expect(workloads.scaleWorkload(APP, REGION, LITELLM, -1)).rejects.toThrow(
      'The Deployment ai-gateway/litellm replicas must be a whole number of at least 0, not -1',
    );
    await expect(workloads.scaleWorkload(APP, REGION, LITELLM, 1.5)).rejects.toThrow(RangeError);
    await expect(workloads.scaleWorkload(APP, REGION, LITELLM, NaN)).rejects.toThrow(RangeError);
    expect(kube.calls).toHaveLength(0);
    expect(eks.calls()).toHaveLength(0);
  });
});

describe('EksWorkloads autoscalers', () => {
  const HPA = `${ENDPOINT}/apis/autoscaling/v2/namespaces/ai-gateway/horizontalpodautoscalers/agentgateway`;
  const SCALED_OBJECT = `${ENDPOINT}/apis/keda.sh/v1alpha1/namespaces/ai-gateway/scaledobjects/vllm`;
  const hpa = (spec: Record<string, unknown>) =>
    ok({
      kind: 'HorizontalPodAutoscaler',
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'agentgateway' }, ...spec },
    });

  it("reads an HPA's bounds and target", async () => {
    const { workloads, kube } = setup({ responses: [hpa({ minReplicas: 1, maxReplicas: 6 })] });
    await expect(workloads.describeAutoscaler(APP, REGION, AUTOSCALED)).resolves.toEqual({
      min: 1,
      max: 6,
      target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'agentgateway' },
      paused: false,
    });
    expect(kube.calls[0]).toMatchObject({ url: HPA, method: 'GET' });
  });

  it("defaults an HPA's minimum to 1, and a ScaledObject's to 0 and 100 with an apps/v1 Deployment target", async () => {
    const { workloads } = setup({
      responses: [
        hpa({ maxReplicas: 4 }),
        ok({ kind: 'ScaledObject', spec: { scaleTargetRef: { name: 'vllm' } } }),
      ],
    });
    await expect(workloads.describeAutoscaler(APP, REGION, AUTOSCALED)).resolves.toMatchObject({
      min: 1,
      max: 4,
    });
    await expect(workloads.describeAutoscaler(APP, REGION, KEDA)).resolves.toEqual({
      min: 0,
      max: 100,
      target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'vllm' },
      paused: false,
    });
  });

  it.each([
    [{ 'autoscaling.keda.sh/paused': 'true' }, true],
    [{ 'autoscaling.keda.sh/paused-replicas': '0' }, true],
    [{ 'autoscaling.keda.sh/paused': 'false' }, false],
  ])('reads a ScaledObject with annotations %j as paused: %s', async (annotations, paused) => {
    const { workloads } = setup({
      responses: [
        ok({ metadata: { annotations }, spec: { scaleTargetRef: { kind: 'StatefulSet', name: 'vllm' } } }),
      ],
    });
    await expect(workloads.describeAutoscaler(APP, REGION, KEDA)).resolves.toMatchObject({ paused });
  });

  it("merge-patches an HPA's minReplicas and maxReplicas only", async () => {
    const { workloads, kube } = setup({ responses: [hpa({ minReplicas: 1, maxReplicas: 2 }), hpa({})] });
    await workloads.setAutoscalerBounds(APP, REGION, AUTOSCALED, { min: 3, max: 3 });
    const [, patch] = kube.calls;
    expect(patch).toMatchObject({ url: HPA, method: 'PATCH' });
    expect(JSON.parse(patch!.body!)).toEqual({ spec: { minReplicas: 3, maxReplicas: 3 } });
    expect(patch!.headers['Content-Type']).toBe('application/merge-patch+json');
  });

  it("merge-patches a ScaledObject's minReplicaCount alone when its maximum stays", async () => {
    const { workloads, kube } = setup({
      responses: [
        ok({ spec: { minReplicaCount: 1, maxReplicaCount: 4, scaleTargetRef: { name: 'vllm' } } }),
        ok({}),
      ],
    });
    await workloads.setAutoscalerBounds(APP, REGION, KEDA, { min: 2, max: 4 });
    expect(kube.calls[1]).toMatchObject({ url: SCALED_OBJECT, method: 'PATCH' });
    // Only what changes: the maximum it already has is not written back.
    expect(JSON.parse(kube.calls[1]!.body!)).toEqual({ spec: { minReplicaCount: 2 } });
  });

  it('patches nothing when the bounds are already so', async () => {
    const { workloads, kube } = setup({ responses: [hpa({ minReplicas: 3, maxReplicas: 6 })] });
    await workloads.setAutoscalerBounds(APP, REGION, AUTOSCALED, { min: 3, max: 6 });
    expect(kube.calls.map((c) => c.method)).toEqual(['GET']);
  });

  it("refuses bounds the API would refuse (an HPA's minimum under 1, a maximum under the minimum) and sends nothing", async () => {
    const { workloads, kube } = setup();
    await expect(workloads.setAutoscalerBounds(APP, REGION, AUTOSCALED, { min: 0, max: 3 })).rejects.toThrow(
      'Cannot set HorizontalPodAutoscaler ai-gateway/agentgateway to minReplicas 0, maxReplicas 3: the minimum must be at least 1',
    );
    await expect(workloads.setAutoscalerBounds(APP, REGION, KEDA, { min: 4, max: 3 })).rejects.toThrow(
      RangeError,
    );
    expect(kube.calls).toHaveLength(0);
  });
});

describe('EksWorkloads Jobs (custom steps)', () => {
  const JOBS = `${ENDPOINT}/apis/batch/v1/namespaces/ai-gateway/jobs`;
  const MANIFEST = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { labels: { team: 'gateway' } },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  };
  const conflict = (reason: string, code: number): KubernetesHttpResponse => ({
    statusCode: code,
    body: JSON.stringify({ kind: 'Status', reason, message: `jobs.batch "smoke-1" ${reason}` }),
  });

  it("creates the Job with Lifeboat's name, namespace and label, and an hour's ttlSecondsAfterFinished", async () => {
    const { workloads, kube } = setup({ responses: [ok({})] });
    await workloads.startJob(APP, REGION, 'ai-gateway', 'smoke-1', MANIFEST);
    expect(kube.calls[0]).toMatchObject({ url: JOBS, method: 'POST' });
    expect(kube.calls[0]!.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(kube.calls[0]!.body!)).toEqual({
      ...MANIFEST,
      metadata: {
        name: 'smoke-1',
        namespace: 'ai-gateway',
        labels: { team: 'gateway', 'app.kubernetes.io/managed-by': 'lifeboat' },
      },
      spec: { ttlSecondsAfterFinished: 3600, ...MANIFEST.spec },
    });
  });

  it('counts a Job of that name already there as created (a retried step), and passes other refusals on', async () => {
    const { workloads } = setup({ responses: [conflict('AlreadyExists', 409), conflict('Forbidden', 403)] });
    await expect(workloads.startJob(APP, REGION, 'ai-gateway', 'smoke-1', MANIFEST)).resolves.toBeUndefined();
    await expect(workloads.startJob(APP, REGION, 'ai-gateway', 'smoke-1', MANIFEST)).rejects.toMatchObject({
      name: 'Forbidden',
    });
  });

  it.each([
    [{ active: 1 }, { state: 'running', detail: '1 active, 0 succeeded, 0 failed' }],
    [
      { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
      { state: 'succeeded', detail: 'complete (0 active, 1 succeeded, 0 failed)' },
    ],
    [
      {
        failed: 3,
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
        ],
      },
      {
        state: 'failed',
        detail:
          'BackoffLimitExceeded: Job has reached the specified backoff limit (0 active, 0 succeeded, 3 failed)',
      },
    ],
  ])('reads a Job with status %j as %j', async (status, expected) => {
    const { workloads, kube } = setup({ responses: [ok({ kind: 'Job', status })] });
    await expect(workloads.jobStatus(APP, REGION, 'ai-gateway', 'smoke-1')).resolves.toEqual(expected);
    expect(kube.calls[0]).toMatchObject({ url: `${JOBS}/smoke-1`, method: 'GET' });
  });

  it('says a Job that is gone is missing, and deletes with its pods, a Job already gone being fine', async () => {
    const { workloads, kube } = setup({
      responses: [
        conflict('NotFound', 404),
        ok({ kind: 'Status', status: 'Success' }),
        conflict('NotFound', 404),
      ],
    });
    await expect(workloads.jobStatus(APP, REGION, 'ai-gateway', 'smoke-1')).resolves.toEqual({
      state: 'missing',
      detail: 'Job ai-gateway/smoke-1 not found',
    });
    await workloads.deleteJob(APP, REGION, 'ai-gateway', 'smoke-1');
    await workloads.deleteJob(APP, REGION, 'ai-gateway', 'smoke-1');
    expect(kube.calls[1]).toMatchObject({
      url: `${JOBS}/smoke-1?propagationPolicy=Background`,
      method: 'DELETE',
    });
  });
});

describe('EksWorkloads.readRbac', () => {
  it("reads the namespace's Role and RoleBinding of that name, a missing one as absent", async () => {
    const role = { kind: 'Role', metadata: { name: 'lifeboat-scalers', namespace: 'ai-gateway' }, rules: [] };
    const { workloads, kube } = setup({
      responses: [
        ok(role),
        {
          statusCode: 404,
          body: JSON.stringify({ kind: 'Status', reason: 'NotFound', message: 'not found' }),
        },
      ],
    });
    await expect(workloads.readRbac(APP, REGION, 'ai-gateway', 'lifeboat-scalers')).resolves.toEqual({
      role,
    });
    expect(kube.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      `GET ${ENDPOINT}/apis/rbac.authorization.k8s.io/v1/namespaces/ai-gateway/roles/lifeboat-scalers`,
      `GET ${ENDPOINT}/apis/rbac.authorization.k8s.io/v1/namespaces/ai-gateway/rolebindings/lifeboat-scalers`,
    ]);
  });
});

describe('EksWorkloads Kubernetes errors', () => {
  const status = (code: number, reason: string, message: string): KubernetesHttpResponse => ({
    statusCode: code,
    body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code }),
  });

  it('names the error NotFound with status code 404 when the deployment does not exist', async () => {
    const { workloads } = setup({
      responses: [status(404, 'NotFound', 'deployments.apps "litellm" not found')],
    });
    const error = await workloads.describeWorkload(APP, REGION, LITELLM).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect(error).toMatchObject({
      name: 'NotFound',
      statusCode: 404,
      message: 'deployments.apps "litellm" not found',
    });
  });

  it('names the error TooManyRequests when the API server throttles', async () => {
    const { workloads } = setup({
      responses: [status(429, 'TooManyRequests', 'Too many requests, please try again later.')],
    });
    await expect(workloads.scaleWorkload(APP, REGION, LITELLM, 2)).rejects.toMatchObject({
      name: 'TooManyRequests',
      statusCode: 429,
      message: 'Too many requests, please try again later.',
    });
  });

  it('names the error KubernetesError when the answer is not a Status', async () => {
    const { workloads } = setup({ responses: [{ statusCode: 502, body: '<html>Bad Gateway</html>' }] });
    await expect(workloads.describeWorkload(APP, REGION, LITELLM)).rejects.toMatchObject({
      name: 'KubernetesError',
      statusCode: 502,
      message: expect.stringContaining('answered HTTP 502: <html>Bad Gateway</html>'),
    });
  });

  it('fails describeNodeGroup when the nodes cannot be listed', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ minSize: 2, maxSize: 10, desiredSize: 6 }));
    const { workloads } = setup({
      responses: [
        status(403, 'Forbidden', 'nodes is forbidden: User "lifeboat" cannot list resource "nodes"'),
      ],
    });
    await expect(workloads.describeNodeGroup(APP, REGION, 'general')).rejects.toMatchObject({
      name: 'Forbidden',
      statusCode: 403,
    });
  });
});

describe('EksWorkloads caching', () => {
  it('describes each cluster once for many Kubernetes calls', async () => {
    eks.on(DescribeClusterCommand, { name: 'ai-gateway-usw2' }).resolves({
      cluster: activeCluster({ name: 'ai-gateway-usw2', endpoint: 'https://usw2.example.eks.amazonaws.com' }),
    });
    const deployment = ok({ spec: { replicas: 2 }, status: { readyReplicas: 2 } });
    const { workloads, kube } = setup({ responses: [deployment, deployment, deployment] });
    await workloads.describeWorkload(APP, REGION, LITELLM);
    await workloads.describeWorkload(APP, REGION, AGENTGATEWAY);
    await workloads.describeWorkload(APP, 'us-west-2', LITELLM);
    expect(eks).toHaveReceivedCommandTimes(DescribeClusterCommand, 2);
    expect(eks).toHaveReceivedNthSpecificCommandWith(1, DescribeClusterCommand, { name: CLUSTER });
    expect(eks).toHaveReceivedNthSpecificCommandWith(2, DescribeClusterCommand, { name: 'ai-gateway-usw2' });
    expect(kube.calls[2]!.url).toBe(
      'https://usw2.example.eks.amazonaws.com/apis/apps/v1/namespaces/ai-gateway/deployments/litellm/status',
    );
  });

  it('reuses what clusterReachable learned when a Kubernetes call follows', async () => {
    const { workloads } = setup({ responses: [ok({ spec: { replicas: 2 } })] });
    await workloads.clusterReachable(APP, REGION);
    await workloads.describeWorkload(APP, REGION, LITELLM);
    expect(eks).toHaveReceivedCommandTimes(DescribeClusterCommand, 1);
  });

  it('asks again after DescribeCluster failed', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    eks.on(DescribeClusterCommand).rejectsOnce(throttled).resolves({ cluster: activeCluster() });
    const { workloads } = setup({ responses: [ok({ spec: { replicas: 2 } })] });
    await expect(workloads.describeWorkload(APP, REGION, LITELLM)).rejects.toBe(throttled);
    await expect(workloads.describeWorkload(APP, REGION, LITELLM)).resolves.toEqual({
      replicas: 2,
      readyReplicas: 0,
    });
    expect(eks).toHaveReceivedCommandTimes(DescribeClusterCommand, 2);
  });

  it('refuses a Kubernetes call when the cluster has no endpoint yet', async () => {
    eks.on(DescribeClusterCommand).resolves({
      cluster: { name: CLUSTER, status: 'CREATING', certificateAuthority: {} },
    });
    const { workloads, kube } = setup();
    await expect(workloads.describeWorkload(APP, REGION, LITELLM)).rejects.toThrow(
      'EKS cluster ai-gateway-use1 in us-east-1 has no API endpoint or CA yet (status CREATING)',
    );
    expect(kube.calls).toHaveLength(0);
  });

  it('reuses a token for 10 minutes and signs a new one after', async () => {
    let now = T0;
    const deployment = ok({ spec: { replicas: 2 } });
    const { workloads, kube, credentialCalls } = setup({
      responses: [deployment, deployment, deployment],
      now: () => now,
    });
    await workloads.describeWorkload(APP, REGION, LITELLM);
    now = new Date(T0.getTime() + 9 * 60_000);
    await workloads.describeWorkload(APP, REGION, LITELLM);
    now = new Date(T0.getTime() + 10 * 60_000);
    await workloads.describeWorkload(APP, REGION, LITELLM);

    const [first, second, third] = kube.calls.map((c) => c.headers.Authorization);
    expect(second).toBe(first);
    expect(third).not.toBe(first);
    expect(credentialCalls.count).toBe(2);
  });

  it('signs a new token after the API server refused one', async () => {
    const { workloads, kube, credentialCalls } = setup({
      responses: [
        {
          statusCode: 401,
          body: JSON.stringify({ kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' }),
        },
        ok({ spec: { replicas: 2 } }),
      ],
    });
    await expect(workloads.describeWorkload(APP, REGION, LITELLM)).rejects.toMatchObject({
      name: 'Unauthorized',
      statusCode: 401,
    });
    await workloads.describeWorkload(APP, REGION, LITELLM);
    expect(kube.calls).toHaveLength(2);
    expect(credentialCalls.count).toBe(2);
  });
});

describe('nodeHttpsRequest', () => {
  interface Received {
    method: string | undefined;
    url: string | undefined;
    headers: Record<string, unknown>;
    body: string;
  }
  let dir: string;
  let serverCa: string;
  let otherCa: string;
  let server: Server;
  let origin: string;
  const received: Received[] = [];

  /** A self-signed certificate for 127.0.0.1, which is also its own CA. */
  function selfSigned(name: string): { key: string; cert: string } {
    const key = join(dir, `${name}.key`);
    const cert = join(dir, `${name}.crt`);
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '2',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
        ],
        { stdio: 'pipe' },
      );
    } catch (error) {
      throw new Error('These tests generate certificates with the openssl CLI; install it', { cause: error });
    }
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeboat-eks-tls-'));
    const trusted = selfSigned('server');
    serverCa = trusted.cert;
    otherCa = selfSigned('other').cert;
    server = createServer({ key: trusted.key, cert: trusted.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        // Never answers, so the client's deadline is what ends the call.
        if (req.url === '/hang') return;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Scale', spec: { replicas: 3 }, status: { readyReplicas: 1 } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    received.length = 0;
  });

  function workloadsAt(ca: string): EksWorkloads {
    eks.on(DescribeClusterCommand).resolves({
      cluster: activeCluster({
        endpoint: origin,
        certificateAuthority: { data: Buffer.from(ca).toString('base64') },
      }),
    });
    // No `request`: the default node:https one.
    return new EksWorkloads({
      clientFor: (region) => new EKSClient({ region }),
      credentials: () => Promise.resolve(CREDENTIALS),
    });
  }

  it('calls the API server over TLS when its certificate chains to the pinned CA', async () => {
    const workloads = workloadsAt(serverCa);
    await workloads.scaleWorkload(APP, REGION, LITELLM, 4);
    await expect(workloads.describeWorkload(APP, REGION, LITELLM)).resolves.toEqual({
      replicas: 3,
      readyReplicas: 1,
    });
    expect(received).toHaveLength(3);
    const body =
      '{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"litellm","namespace":"ai-gateway"},"spec":{"replicas":4}}';
    expect(received[1]).toMatchObject({
      method: 'PUT',
      url: '/apis/apps/v1/namespaces/ai-gateway/deployments/litellm/scale',
      body,
      headers: {
        authorization: expect.stringMatching(/^Bearer k8s-aws-v1\./),
        accept: 'application/json',
        'content-type': 'application/json',
        'content-length': String(body.length),
      },
    });
    expect(received[0]).toMatchObject({ method: 'GET', body: '' });
    expect(received[2]).toMatchObject({
      method: 'GET',
      url: '/apis/apps/v1/namespaces/ai-gateway/deployments/litellm/status',
    });
  });

  it('refuses a server whose certificate does not chain to the pinned CA', async () => {
    const workloads = workloadsAt(otherCa);
    await expect(workloads.scaleWorkload(APP, REGION, LITELLM, 3)).rejects.toMatchObject({
      code: expect.stringMatching(/CERT/),
    });
    expect(received).toHaveLength(0);
  });

  it('gives up with a TimeoutError when the server does not answer in time', async () => {
    const request = nodeHttpsRequest({ timeoutMs: 200 });
    await expect(
      request({
        url: `${origin}/hang`,
        method: 'GET',
        headers: { Accept: 'application/json' },
        ca: serverCa,
      }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('refuses to send a request over plain HTTP', async () => {
    const request = nodeHttpsRequest();
    await expect(
      request({ url: 'http://127.0.0.1:1/api', method: 'GET', headers: {}, ca: serverCa }),
    ).rejects.toThrow('Refusing to call a Kubernetes API over http:');
  });
});
