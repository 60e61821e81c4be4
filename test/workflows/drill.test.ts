import type { Report } from '../../local/report/Report.ts';
import type { SimulationContext } from '../../local/simulate/Simulation.ts';
import { rbacFor } from '../../shared/config/kubernetesRbac.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';
import { ledgerOf, rehearse } from '../support/scenario.ts';

const LATENCY = {
  rdsSnapshotSeconds: 300,
  rdsSnapshotCopySeconds: 600,
  rdsRestoreSeconds: 300,
  rdsDeleteSeconds: 60,
};

/** A backup, then a restore test of its copy, then the readiness drill: what a ready estate has done. */
function readyThenDrill(extra: Record<string, unknown>[] = [], input: Record<string, unknown> = {}) {
  return [
    { at: 0, start: 'backup', input: { application: 'ai-gateway' } },
    { at: 1200, start: 'restore-test', input: { application: 'ai-gateway' } },
    ...extra,
    { at: 2400, start: 'drill', input: { application: 'ai-gateway', mode: 'readiness', ...input } },
  ];
}

interface Finding {
  check: string;
  severity: string;
  ok: boolean;
  detail: string;
}

function drillOf(report: Report): {
  status: string;
  findings: Finding[];
  execution: Report['executions'][number];
} {
  const execution = report.executions.find((e) => e.workflow === 'drill');
  if (execution === undefined) throw new Error('no drill ran');
  const record = ledgerOf(report, execution.name) as { status: string; details: { findings: Finding[] } };
  return { status: record.status, findings: record.details.findings, execution };
}

function failed(findings: readonly Finding[]): string[] {
  return findings.filter((f) => !f.ok && f.severity === 'critical').map((f) => f.check);
}

describe('readiness drill (real ASL on the local runtime)', () => {
  it('passes a ready estate, checking everything and changing nothing', async () => {
    const report = await rehearse({ events: readyThenDrill(), latency: LATENCY, until: 2700 });
    const drill = drillOf(report);
    expect(drill.execution.status).toBe('SUCCEEDED');
    expect(drill.status).toBe('PASSED');
    expect(failed(drill.findings)).toEqual([]);
    expect(new Set(drill.findings.map((f) => f.check.split(':')[0]))).toEqual(
      new Set([
        'target-health',
        'replica-lag',
        'target-cluster',
        'cooldown',
        'source-down',
        'replica-source',
        'store-source',
        'backup-age',
        'health-check',
        'alarm',
        'capacity',
        'autoscaler',
        'rbac',
        'restore-test',
        'restore-test-age',
      ]),
    );
    expect(drill.findings.find((f) => f.check === 'autoscaler:ai-gateway/agentgateway')).toEqual({
      check: 'autoscaler:ai-gateway/agentgateway',
      severity: 'critical',
      ok: true,
      detail:
        'HorizontalPodAutoscaler agentgateway in us-west-2 scales Deployment agentgateway: minReplicas 1, maxReplicas 6; a failover raises the minimum to 3',
    });
    expect(report.slack).toEqual([]);
    // Nothing moved: no DNS change, no promotion, no scaling.
    expect(
      report.timeline.filter((e) => ['dns-change', 'node-group', 'deployment'].includes(e.kind)),
    ).toEqual([]);
  });

  it('fails on a stale backup with that finding, and posts it to Slack', async () => {
    const report = await rehearse({
      events: [{ at: 0, start: 'drill', input: { application: 'ai-gateway', mode: 'readiness' } }],
      until: 300,
      setup: (context: SimulationContext) => {
        context.world.snapshots.seed({
          id: 'lifeboat-ai-gateway-20291229-0000',
          region: 'us-west-2',
          application: 'ai-gateway',
          takenAt: -3 * 86_400,
          tags: { 'lifeboat:application': 'ai-gateway' },
        });
      },
    });
    const drill = drillOf(report);
    expect(drill.execution).toMatchObject({ status: 'FAILED', error: 'ReadinessFailed' });
    expect(drill.status).toBe('FAILED');
    expect(drill.findings.find((f) => f.check === 'backup-age')).toMatchObject({
      ok: false,
      severity: 'critical',
      detail: expect.stringMatching(/lifeboat-ai-gateway-20291229-0000\) is 2592\d\d s old \(at most 7200 s/),
    });
    expect(report.slack.map((m) => m.text)).toEqual([expect.stringMatching(/FAILED.*\[backup-age\]/)]);
  });

  it('fails when a detection alarm is missing', async () => {
    const report = await rehearse({
      events: readyThenDrill([
        {
          at: 2300,
          fault: 'api-error',
          service: 'cloudwatch',
          operation: 'DescribeAlarms',
          region: 'eu-west-1',
          error: 'ResourceNotFound',
          permanent: true,
        },
      ]),
      latency: LATENCY,
      until: 2700,
    });
    const drill = drillOf(report);
    expect(drill.status).toBe('FAILED');
    expect(failed(drill.findings)).toEqual(
      expect.arrayContaining(['alarm:lifeboat-ai-gateway-us-west-2-probe-from-eu-west-1']),
    );
    expect(failed(drill.findings).every((c) => c.startsWith('alarm:') && c.endsWith('-from-eu-west-1'))).toBe(
      true,
    );
  });

  it('fails when the latest restore test failed', async () => {
    const report = await rehearse({
      events: readyThenDrill(),
      latency: { ...LATENCY, rdsRestoreSeconds: 1000 },
      until: 3600,
    });
    const drill = drillOf(report);
    expect(failed(drill.findings)).toEqual(['restore-test']);
  });

  it('fails when no restore test has run', async () => {
    const report = await rehearse({
      events: [
        { at: 0, start: 'backup', input: { application: 'ai-gateway' } },
        { at: 1200, start: 'drill', input: { application: 'ai-gateway', mode: 'readiness' } },
      ],
      latency: LATENCY,
      until: 1500,
    });
    expect(drillOf(report).findings.find((f) => f.check === 'restore-test')).toMatchObject({
      ok: false,
      detail: 'no restore test of ai-gateway has run',
    });
  });

  it('fails when the replica lags past the budget', async () => {
    const report = await rehearse({
      events: readyThenDrill([{ at: 2300, fault: 'replica-lag', region: 'us-west-2', seconds: 120 }]),
      latency: LATENCY,
      until: 2700,
    });
    expect(failed(drillOf(report).findings)).toEqual(['replica-lag']);
  });

  it("fails when the target's node group cannot reach its active size", async () => {
    const report = await rehearse({
      events: readyThenDrill(),
      latency: LATENCY,
      until: 2700,
      setup: (context) => {
        // Someone lowered the standby's maximum outside Lifeboat.
        context.world.updateNodegroupConfig('ai-gateway', 'us-west-2', 'general', {
          desired: 2,
          min: 1,
          max: 3,
        });
      },
    });
    expect(failed(drillOf(report).findings)).toEqual(['capacity:general']);
  });

  it("fails when the target's cluster lacks the RBAC that lifeboat kubernetes-rbac prints, naming the Role and the fix", async () => {
    const report = await rehearse({
      events: readyThenDrill(),
      latency: LATENCY,
      until: 2700,
      // The cluster's owner applied the Jobs' Role, not the ScaledObjects' one.
      twin: {
        rbac: (region, cluster) =>
          rbacFor(loadConfig(EXAMPLE_CONFIG_PATH), region, cluster).filter(
            (o) => o.metadata.name !== 'lifeboat-scalers',
          ),
      },
    });
    const drill = drillOf(report);
    expect(failed(drill.findings)).toEqual(['rbac:ai-gateway/lifeboat-scalers']);
    expect(drill.findings.find((f) => f.check === 'rbac:ai-gateway/lifeboat-scalers')?.detail).toBe(
      'Role ai-gateway/lifeboat-scalers is missing in ai-gateway-usw2 (us-west-2): apply `lifeboat kubernetes-rbac --cluster ai-gateway-usw2` to ai-gateway-usw2 in us-west-2',
    );
    expect(drill.findings.find((f) => f.check === 'rbac:ai-gateway/lifeboat-jobs')).toMatchObject({
      ok: true,
    });
    expect(report.violations).toEqual([]);
  });

  it('warns of a paused ScaledObject in the target, which would not scale its workload with the load', async () => {
    const report = await rehearse({
      events: readyThenDrill(),
      latency: LATENCY,
      until: 2700,
      setup: (context) => {
        context.world.setAutoscaler('ai-gateway', 'us-west-2', 'ai-gateway', 'vllm', { paused: true });
      },
    });
    const drill = drillOf(report);
    expect(drill.status).toBe('PASSED');
    expect(drill.findings.find((f) => f.check === 'autoscaler:ai-gateway/vllm')).toMatchObject({
      severity: 'warning',
      ok: false,
      detail: expect.stringContaining('ScaledObject vllm in us-west-2 is paused') as unknown,
    });
  });

  it('fails when the target region is down, on every check that depends on it', async () => {
    const report = await rehearse({
      // The readiness drill runs in the first standby's control plane: with that whole region down
      // it cannot run on the AWS twin at all (its own table does not answer). The port level checks
      // the findings' logic.
      mode: 'ports',
      events: readyThenDrill([{ at: 2300, fault: 'region-outage', region: 'us-west-2' }]),
      latency: LATENCY,
      until: 2700,
    });
    expect(failed(drillOf(report).findings)).toEqual(
      expect.arrayContaining(['target-health', 'target-cluster', 'backup-age', 'capacity:general']),
    );
  });

  it('drills another standby when asked', async () => {
    const report = await rehearse({
      events: readyThenDrill([], { targetRegion: 'eu-west-1' }),
      latency: LATENCY,
      until: 2700,
    });
    const drill = drillOf(report);
    expect(drill.findings.find((f) => f.check === 'target-health')?.detail).toContain('eu-west-1');
  });

  it('refuses a mode other than readiness and game-day with InvalidInput, recording it', async () => {
    const report = await rehearse({
      events: [{ at: 0, start: 'drill', input: { application: 'ai-gateway', mode: 'chaos' } }],
      until: 60,
    });
    const drill = report.executions.find((e) => e.workflow === 'drill')!;
    expect(drill).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(drill.cause).toContain('mode: expected \\"readiness\\" (checks that a failover could run');
    expect(ledgerOf(report, drill.name)).toMatchObject({
      kind: 'drill',
      status: 'FAILED',
      error: { name: 'InvalidInput' },
    });
  });
});
