import type { Report, ReportExecution } from '../../local/report/Report.ts';
import type { SimulationContext } from '../../local/simulate/Simulation.ts';
import { rehearse } from '../support/scenario.ts';

/**
 * Workloads an autoscaler owns (the example's agentgateway, under an HPA, and its vllm StatefulSet,
 * under a KEDA ScaledObject) through a failover and a failback: the real ASL over the AWS twin, with
 * the world's autoscalers syncing every 15 s and undoing any replica count they do not agree with.
 */
const APP = 'ai-gateway';
const NS = 'ai-gateway';
const OUTAGE = { at: 0, fault: 'region-outage', region: 'us-east-1' };
const RECOVERY = { at: 1800, recover: 'region-outage', region: 'us-east-1' };
const APPROVE = { at: 4000, approve: 'failback', by: 'U0APPROVER' };

interface Sample {
  at: number;
  west: Record<string, number>;
  east: Record<string, number>;
}

function state(
  execution: ReportExecution | undefined,
  name: string,
): { enteredAt: number; exitedAt: number } {
  const found = execution?.states.find((s) => s.name === name && s.status === 'SUCCEEDED');
  expect(found).toBeDefined();
  return { enteredAt: found!.enteredAt, exitedAt: found!.exitedAt ?? Number.POSITIVE_INFINITY };
}

function execution(report: Report, workflow: string): ReportExecution | undefined {
  return report.executions.find(
    (e) => e.workflow === workflow && e.name.includes(APP) && !e.name.includes(`${APP}-drill`),
  );
}

describe('autoscaled workloads through a failover and a failback', () => {
  let report: Report;
  let context: SimulationContext;
  const samples: Sample[] = [];

  beforeAll(async () => {
    report = await rehearse({
      events: [OUTAGE, RECOVERY, APPROVE],
      until: 12000,
      setup: (c) => {
        context = c;
        const read = (region: string) =>
          Object.fromEntries(
            ['agentgateway', 'vllm'].map((name) => [name, c.world.workloadReplicas(APP, region, NS, name)]),
          );
        c.clock.every(5, 5, (at) => samples.push({ at, west: read('us-west-2'), east: read('us-east-1') }));
      },
    });
  });

  it('holds every safety invariant, with every Kubernetes call allowed by the access entries and RBAC', () => {
    expect(report.violations).toEqual([]);
    const kubernetes = (report.awsCalls ?? []).filter((c) => c.service === 'kubernetes');
    expect(kubernetes.filter((c) => c.decision !== 'allowed')).toEqual([]);
    const seen = new Set(kubernetes.map((c) => `${c.function} ${c.operation}`));
    for (const call of [
      'lifeboat-workloads ReadAutoscaler',
      'lifeboat-workloads PatchAutoscaler',
      'lifeboat-workloads UpdateWorkloadScale',
      'lifeboat-workloads ReadWorkloadStatus',
    ])
      expect(seen).toContain(call);
    expect(execution(report, 'failover')?.status).toBe('SUCCEEDED');
    expect(execution(report, 'failback')?.status).toBe('SUCCEEDED');
  });

  it('keeps us-west-2 at its active sizes from the failover until the failback moves traffic away', () => {
    const scaled = state(execution(report, 'failover'), 'ScaleDeployments').exitedAt;
    const released = state(execution(report, 'failback'), 'ScaleDownSource').enteredAt;
    // Pods start on the new minimum at once (the step scales the workload to it too).
    const held = samples.filter((s) => s.at > scaled && s.at < released);
    expect(held.length).toBeGreaterThan(100);
    for (const s of held) expect(s.west).toEqual({ agentgateway: 3, vllm: 2 });
    expect(context.world.readAutoscaler(APP, 'us-west-2', NS, 'ScaledObject', 'vllm')).toMatchObject({
      min: 1,
    });
  });

  it("raises us-east-1's minimums for the failback before its traffic returns, and keeps them", () => {
    const shifting = state(execution(report, 'failback'), 'ScaleDeployments').exitedAt;
    for (const s of samples.filter((x) => x.at > shifting))
      expect(s.east).toEqual({ agentgateway: 3, vllm: 2 });
    expect(
      context.world.readAutoscaler(APP, 'us-east-1', NS, 'HorizontalPodAutoscaler', 'agentgateway'),
    ).toMatchObject({ min: 3 });
  });

  it('returns us-west-2 to its standby settings at the failback: the minimums, then the replicas once the load has left', () => {
    const released = state(execution(report, 'failback'), 'ScaleDownSource').exitedAt;
    expect(
      context.world.readAutoscaler(APP, 'us-west-2', NS, 'HorizontalPodAutoscaler', 'agentgateway'),
    ).toMatchObject({ min: 1 });
    expect(context.world.readAutoscaler(APP, 'us-west-2', NS, 'ScaledObject', 'vllm')).toMatchObject({
      min: 1,
    });
    // The HPA keeps the highest recommendation of the last five minutes before it scales down.
    const after = samples.filter((s) => s.at > released + 300 + 15);
    expect(after.length).toBeGreaterThan(0);
    for (const s of after) expect(s.west).toEqual({ agentgateway: 1, vllm: 1 });
  });

  it('records the autoscalers moved in the failover and the failback', () => {
    const failover = report.ledger.find(
      (r) =>
        (r as { kind?: unknown }).kind === 'failover' && (r as { application?: unknown }).application === APP,
    );
    expect(JSON.stringify(failover)).toContain('HorizontalPodAutoscaler agentgateway: minReplicas 1 → 3');
    const failback = report.ledger.find(
      (r) =>
        (r as { kind?: unknown }).kind === 'failback' && (r as { application?: unknown }).application === APP,
    );
    expect(JSON.stringify(failback)).toContain('ScaledObject vllm: minReplicaCount 2 → 1');
  });
});

describe('a ScaledObject without the RBAC that lifeboat kubernetes-rbac prints', () => {
  it('is refused by the cluster (the admin-view policy reads it, nothing patches it); the failover stops at ScaleDeployments, before traffic moves, and the report names the refusal', async () => {
    const report = await rehearse({ events: [OUTAGE], until: 1200, twin: { rbac: () => [] } });
    expect(report.violations).toContainEqual(
      expect.stringContaining(
        'kubernetes PatchAutoscaler on ai-gateway-usw2 (us-west-2) refused: 403 scaledobjects.keda.sh "vllm" is forbidden',
      ),
    );
    const failover = execution(report, 'failover');
    expect(failover?.status).toBe('FAILED');
    expect(failover?.states.find((s) => s.name === 'ScaleDeployments')?.status).toBe('FAILED');
    expect(failover?.states.some((s) => s.name === 'ShiftTraffic')).toBe(false);
  });
});
