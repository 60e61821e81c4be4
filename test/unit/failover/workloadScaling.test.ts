import { loadConfig } from '../../../shared/config/loadConfig.ts';
import type { ApplicationConfig, ScaledWorkloadConfig } from '../../../shared/config/LifeboatConfig.ts';
import { PreconditionFailedError } from '../../../shared/errors.ts';
import { scaleWorkload, scaleWorkloads } from '../../../shared/failover/workloadScaling.ts';
import type { AutoscalerStatus, WorkloadsPort } from '../../../shared/ports/Estate.ts';
import { EXAMPLE_CONFIG_PATH } from '../../support/exampleConfig.ts';

const APP: ApplicationConfig = loadConfig(EXAMPLE_CONFIG_PATH).applications[0]!;
const REGION = 'us-west-2';
const [LITELLM, AGENTGATEWAY, VLLM] = APP.workloads[REGION]!.deployments as [
  ScaledWorkloadConfig,
  ScaledWorkloadConfig,
  ScaledWorkloadConfig,
];

/** A cluster held in memory behind the port: replicas by workload, bounds by autoscaler. */
function fakeCluster(options: { autoscalers?: Record<string, Partial<AutoscalerStatus>> } = {}) {
  const replicas = new Map<string, number>([
    ['litellm', 2],
    ['agentgateway', 1],
    ['vllm', 1],
  ]);
  const autoscalers = new Map<string, AutoscalerStatus>(
    [AGENTGATEWAY, VLLM].map((w) => [
      w.autoscaler!.name,
      {
        min: 1,
        max: 6,
        target: { apiVersion: 'apps/v1', kind: w.kind, name: w.name },
        paused: false,
        ...options.autoscalers?.[w.autoscaler!.name],
      },
    ]),
  );
  const writes: string[] = [];
  const port: WorkloadsPort = {
    clusterReachable: () => Promise.resolve(true),
    describeNodeGroup: () => Promise.reject(new Error('not used')),
    nodeGroupHealth: () => Promise.reject(new Error('not used')),
    scaleNodeGroup: () => Promise.reject(new Error('not used')),
    describeWorkload: (_, __, w) =>
      Promise.resolve({ replicas: replicas.get(w.name)!, readyReplicas: replicas.get(w.name)! }),
    scaleWorkload: (_, __, w, n) => {
      if (replicas.get(w.name) !== n) writes.push(`scale ${w.name} ${n}`);
      replicas.set(w.name, n);
      return Promise.resolve();
    },
    describeAutoscaler: (_, __, w) => Promise.resolve(autoscalers.get(w.autoscaler.name)!),
    readRbac: () => Promise.resolve({}),
    setAutoscalerBounds: (_, __, w, bounds) => {
      const current = autoscalers.get(w.autoscaler.name)!;
      if (current.min !== bounds.min || current.max !== bounds.max)
        writes.push(`bounds ${w.autoscaler.name} ${bounds.min}-${bounds.max}`);
      autoscalers.set(w.autoscaler.name, { ...current, ...bounds });
      return Promise.resolve();
    },
  };
  return { port, writes, replicas, autoscalers };
}

describe('scaleWorkload', () => {
  it('scales a workload without an autoscaler through its replicas', async () => {
    const { port, writes } = fakeCluster();
    await expect(scaleWorkload(port, APP, REGION, LITELLM, 'active')).resolves.toEqual({ replicas: 6 });
    expect(writes).toEqual(['scale litellm 6']);
  });

  it("scales the workload to the active size so pods start now, then raises its autoscaler's minimum to keep them", async () => {
    const { port, writes } = fakeCluster();
    await expect(scaleWorkload(port, APP, REGION, AGENTGATEWAY, 'active')).resolves.toEqual({
      replicas: 3,
      autoscaler: 'HorizontalPodAutoscaler agentgateway: minReplicas 1 → 3',
    });
    expect(writes).toEqual(['scale agentgateway 3', 'bounds agentgateway 3-6']);
  });

  it('widens the maximum when it is below the active size, and never narrows it', async () => {
    const { port, writes } = fakeCluster({ autoscalers: { vllm: { max: 1 } } });
    await expect(scaleWorkload(port, APP, REGION, VLLM, 'active')).resolves.toMatchObject({
      autoscaler: 'ScaledObject vllm: minReplicaCount 1 → 2, maxReplicaCount 1 → 2',
    });
    await expect(scaleWorkload(port, APP, REGION, VLLM, 'standby')).resolves.toEqual({
      replicas: 1,
      autoscaler: 'ScaledObject vllm: minReplicaCount 2 → 1',
    });
    expect(writes).toEqual(['scale vllm 2', 'bounds vllm 2-2', 'bounds vllm 1-2']);
  });

  it('going standby moves only the minimum: the autoscaler scales down as the load leaves', async () => {
    const { port, writes, replicas } = fakeCluster({ autoscalers: { agentgateway: { min: 3 } } });
    replicas.set('agentgateway', 3);
    await scaleWorkload(port, APP, REGION, AGENTGATEWAY, 'standby');
    expect(writes).toEqual(['bounds agentgateway 1-6']);
    expect(replicas.get('agentgateway')).toBe(3);
  });

  it('changes nothing the second time (a retried step)', async () => {
    const { port, writes } = fakeCluster();
    await scaleWorkloads(port, APP, REGION, 'active');
    const first = [...writes];
    const again = await scaleWorkloads(port, APP, REGION, 'active');
    expect(writes).toEqual(first);
    expect(again).toEqual({
      deployments: { 'ai-gateway/litellm': 6, 'ai-gateway/agentgateway': 3, 'ai-gateway/vllm': 2 },
      autoscalers: {
        'ai-gateway/agentgateway': 'HorizontalPodAutoscaler agentgateway: minReplicas 3 (unchanged)',
        'ai-gateway/vllm': 'ScaledObject vllm: minReplicaCount 2 (unchanged)',
      },
    });
  });

  it('says when a ScaledObject is paused, and still starts the pods by scaling the workload', async () => {
    const { port, writes } = fakeCluster({ autoscalers: { vllm: { paused: true } } });
    await expect(scaleWorkload(port, APP, REGION, VLLM, 'active')).resolves.toMatchObject({
      autoscaler: 'ScaledObject vllm: minReplicaCount 1 → 2 (paused: it does not scale until resumed)',
    });
    expect(writes).toContain('scale vllm 2');
  });

  it('refuses, naming both, an autoscaler that scales another workload, and changes nothing', async () => {
    const { port, writes } = fakeCluster({
      autoscalers: {
        agentgateway: { target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'litellm' } },
      },
    });
    const error = await scaleWorkload(port, APP, REGION, AGENTGATEWAY, 'active').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect((error as Error).message).toBe(
      "HorizontalPodAutoscaler ai-gateway/agentgateway in us-west-2 scales Deployment litellm, not Deployment agentgateway: fix the config's autoscaler name or the autoscaler's scaleTargetRef",
    );
    expect(writes).toEqual([]);
  });
});
