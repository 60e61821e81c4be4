import type { Report, ReportExecution } from '../../local/report/Report.ts';
import { JOBS_GROUP, rbacFor } from '../../shared/config/kubernetesRbac.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';
import { ledgerOf, rehearse } from '../support/scenario.ts';

/**
 * The team's custom steps at the workflows' named points: the real failover, failback and drill
 * ASL over the AWS twin, the step's Lambda function invoked through Lambda's API (IAM and API model
 * checked) and its Job run through the cluster's Kubernetes API (access entry and RBAC checked).
 */
const APP = 'ai-gateway';
const FUNCTION = 'arn:aws:lambda:us-west-2:123456789012:function:warm-cache';
const OUTAGE = { at: 0, fault: 'region-outage', region: 'us-east-1' };
const RECOVERY = { at: 900, recover: 'region-outage', region: 'us-east-1' };

const JOB = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  spec: {
    backoffLimit: 1,
    template: {
      spec: {
        restartPolicy: 'Never',
        containers: [
          { name: 'smoke', image: 'curlimages/curl:8.11.0', args: ['-fsS', 'http://litellm:4000/health'] },
        ],
      },
    },
  },
};

type Step = Record<string, unknown>;

async function withSteps(steps: Step[], events: Record<string, unknown>[], until: number): Promise<Report> {
  return rehearse({
    events,
    until,
    config: (doc) => {
      (doc.applications[0] as { customSteps?: Step[] }).customSteps = steps;
    },
  });
}

function run(report: Report, workflow: string): ReportExecution {
  const found = report.executions.find(
    (e) => e.workflow === workflow && e.name.includes(APP) && !e.name.includes('drill'),
  );
  if (found === undefined) throw new Error(`no ${workflow} of ${APP} ran`);
  return found;
}

function entered(execution: ReportExecution, state: string): boolean {
  return execution.states.some((s) => s.name === state);
}

interface Outcome {
  step: string;
  point: string;
  outcome: string;
  attempts: number;
  detail: string;
}

function outcomes(report: Report, execution: ReportExecution): Outcome[] {
  return (
    (ledgerOf(report, execution.name) as { details: { customSteps?: Outcome[] } }).details.customSteps ?? []
  );
}

describe('a custom step that fails with onFailure stop', () => {
  let report: Report;
  beforeAll(async () => {
    report = await withSteps(
      [
        {
          name: 'warm-cache',
          at: 'failover.before-traffic',
          kind: 'lambda',
          functionArn: FUNCTION,
          retries: 1,
          onFailure: 'stop',
        },
      ],
      [OUTAGE, { at: 0, fault: 'custom-step', step: 'warm-cache', outcome: 'fail' }],
      1200,
    );
  });

  it('ends the failover FAILED with CustomStepFailed after its retry, and moves no weight', () => {
    const failover = run(report, 'failover');
    expect(failover.status).toBe('FAILED');
    expect(failover.error).toBe('CustomStepFailed');
    expect(entered(failover, 'ShiftTraffic')).toBe(false);
    expect(entered(failover, 'NotifyRestored')).toBe(false);
    // Promoted and scaled, the weights where they were: us-east-1 at 100.
    expect(report.world.regions['us-west-2']?.applications[APP]?.database).toBe('standalone');
    expect(report.world.regions['us-east-1']?.applications[APP]?.dnsWeight).toBe(100);
    expect(report.world.regions['us-west-2']?.applications[APP]?.dnsWeight).toBe(0);
    expect(report.timeline.filter((t) => t.kind === 'custom-step').map((t) => t.text)).toEqual([
      'custom step warm-cache (lambda, attempt 1) invoked',
      'custom step warm-cache (lambda, attempt 1) failed',
      'custom step warm-cache (lambda, attempt 2) invoked',
      'custom step warm-cache (lambda, attempt 2) failed',
    ]);
  });

  it('says so in the ledger and on Slack, naming the step and why', () => {
    const record = ledgerOf(report, run(report, 'failover').name) as {
      status: string;
      error: { name: string; cause: string };
      details: { customSteps: Outcome[] };
    };
    expect(record.status).toBe('FAILED');
    expect(record.details.customSteps).toEqual([
      expect.objectContaining({
        step: 'warm-cache',
        point: 'before-traffic',
        outcome: 'failed',
        attempts: 2,
      }),
    ]);
    expect(record.error.name).toBe('CustomStepFailed');
    expect(record.error.cause).toContain(
      'custom step warm-cache (lambda, failover.before-traffic) failed after 2 attempts: Error: warm-cache failed (simulated)',
    );
    expect(report.slack.map((m) => m.text).join('\n')).toContain(
      'custom step warm-cache (lambda, failover.before-traffic) failed after 2 attempts',
    );
  });

  it('holds every safety invariant, every call allowed by the role and valid against the API model', () => {
    expect(report.violations).toEqual([]);
    const invokes = (report.awsCalls ?? []).filter((c) => c.service === 'lambda');
    expect(invokes.map((c) => `${c.function} ${c.operation} ${c.decision}`)).toEqual([
      'lifeboat-custom Invoke allowed',
      'lifeboat-custom Invoke allowed',
    ]);
  });
});

describe('a custom step that hangs', () => {
  it('before the fence: its Task times out, and a stop step ends the run before anything changes', async () => {
    const report = await withSteps(
      [
        {
          name: 'flag-flip',
          at: 'failover.after-preflight',
          kind: 'lambda',
          functionArn: FUNCTION,
          timeoutSeconds: 30,
          retries: 0,
          onFailure: 'stop',
        },
      ],
      [OUTAGE, { at: 0, fault: 'custom-step', step: 'flag-flip', outcome: 'hang' }],
      900,
    );
    const failover = run(report, 'failover');
    expect(failover.status).toBe('FAILED');
    expect(failover.cause).toContain('failed after 1 attempt: did not answer within 30 s');
    for (const state of ['FenceSource', 'Recover', 'ShiftTraffic'])
      expect(entered(failover, state)).toBe(false);
    expect(report.world.regions['us-west-2']?.database).toBe('replica');
    expect(report.violations).toEqual([]);
  });

  it('a hung Job with onFailure continue is deleted at its timeout, retried, and the run completes with a warning', async () => {
    const report = await withSteps(
      [
        {
          name: 'smoke-test',
          at: 'failover.after-traffic',
          kind: 'kubernetes-job',
          namespace: 'ai-gateway',
          job: JOB,
          timeoutSeconds: 60,
          retries: 1,
          backoffSeconds: 10,
          onFailure: 'continue',
        },
        {
          name: 'warm-cache',
          at: 'failback.before-traffic',
          kind: 'lambda',
          functionArn: {
            'us-east-1': FUNCTION.replace('us-west-2', 'us-east-1'),
            'us-west-2': FUNCTION,
            'eu-west-1': FUNCTION.replace('us-west-2', 'eu-west-1'),
          },
          onFailure: 'stop',
        },
      ],
      [
        OUTAGE,
        RECOVERY,
        { at: 0, fault: 'custom-step', step: 'smoke-test', outcome: 'hang' },
        { at: 4000, approve: 'failback', by: 'U0APPROVER' },
      ],
      12000,
    );
    const failover = run(report, 'failover');
    expect(failover.status).toBe('SUCCEEDED');
    const [smoke] = outcomes(report, failover);
    expect(smoke).toMatchObject({
      step: 'smoke-test',
      point: 'after-traffic',
      outcome: 'warning',
      attempts: 2,
    });
    expect(smoke?.detail).toMatch(
      /^did not complete within 60 s \(1 active, 0 succeeded, 0 failed\): deleted$/,
    );
    const deleted = report.timeline.filter((t) => t.kind === 'custom-step' && t.text.endsWith('deleted'));
    expect(deleted).toHaveLength(2);
    expect(report.slack.map((m) => m.text).join('\n')).toContain(
      'Warning: custom step smoke-test (after-traffic) failed and the run went on (onFailure: continue)',
    );
    // The failback's step ran in the region traffic returns to, with that region's function.
    const failback = run(report, 'failback');
    expect(failback.status).toBe('SUCCEEDED');
    expect(outcomes(report, failback)).toEqual([
      expect.objectContaining({
        step: 'warm-cache',
        point: 'before-traffic',
        outcome: 'succeeded',
        attempts: 1,
      }),
    ]);
    expect(
      (report.awsCalls ?? []).filter((c) => c.service === 'lambda').map((c) => `${c.region} ${c.decision}`),
    ).toEqual(['us-east-1 allowed']);
    expect(report.violations).toEqual([]);
  });
});

describe('readiness drill custom steps', () => {
  it('records each as a finding, critical for a stop step, without stopping the drill', async () => {
    const report = await withSteps(
      [
        {
          name: 'probe-standby',
          at: 'drill.readiness',
          kind: 'lambda',
          functionArn: FUNCTION,
          retries: 0,
          onFailure: 'stop',
        },
        {
          name: 'smoke-test',
          at: 'drill.readiness',
          kind: 'kubernetes-job',
          namespace: 'ai-gateway',
          job: JOB,
          onFailure: 'continue',
        },
      ],
      [
        { at: 0, fault: 'custom-step', step: 'probe-standby', outcome: 'fail' },
        { at: 10, start: 'drill', input: { application: APP, mode: 'readiness' } },
      ],
      400,
    );
    const drill = report.executions.find((e) => e.workflow === 'drill');
    const record = ledgerOf(report, drill!.name) as {
      status: string;
      details: { findings: { check: string; severity: string; ok: boolean; detail: string }[] };
    };
    expect(record.status).toBe('FAILED');
    const custom = record.details.findings.filter((f) => f.check.startsWith('custom:'));
    expect(custom).toEqual([
      {
        check: 'custom:probe-standby',
        severity: 'critical',
        ok: false,
        detail:
          'lambda failed after 1 attempt: Error: probe-standby failed (simulated) ({"errorType":"Error","errorMessage":"probe-standby failed (simulated)"})',
      },
      {
        check: 'custom:smoke-test',
        severity: 'warning',
        ok: true,
        detail: 'kubernetes-job succeeded after 1 attempt: complete (0 active, 1 succeeded, 0 failed)',
      },
    ]);
    expect(report.violations).toEqual([]);
  });
});

describe('a Job step without the RBAC that lifeboat kubernetes-rbac prints', () => {
  it('is refused by the cluster, and the report names the refusal', async () => {
    const report = await rehearse({
      events: [OUTAGE, RECOVERY],
      until: 1500,
      config: (doc) => {
        (doc.applications[0] as { customSteps?: Step[] }).customSteps = [
          {
            name: 'smoke-test',
            at: 'failover.after-traffic',
            kind: 'kubernetes-job',
            namespace: 'ai-gateway',
            job: JOB,
            retries: 0,
            onFailure: 'continue',
          },
        ];
      },
      // The cluster's owner applied the scalers' Role, not the Jobs' one.
      twin: {
        rbac: (region, cluster) =>
          rbacFor(loadConfig(EXAMPLE_CONFIG_PATH), region, cluster).filter(
            (o) => o.metadata.name !== JOBS_GROUP,
          ),
      },
    });
    expect(report.violations).toEqual([
      expect.stringContaining(
        'iam: lifeboat-custom: kubernetes CreateJob on ai-gateway-usw2 (us-west-2) refused: 403 jobs.batch is forbidden',
      ),
    ]);
    // onFailure continue: the failover still succeeds, with the refusal as the step's warning.
    const failover = run(report, 'failover');
    expect(failover.status).toBe('SUCCEEDED');
    expect(outcomes(report, failover)).toEqual([
      expect.objectContaining({
        step: 'smoke-test',
        outcome: 'warning',
        detail: expect.stringContaining(
          'cannot create resource "jobs" in API group "batch" in the namespace "ai-gateway"',
        ) as unknown,
      }),
    ]);
  });
});
