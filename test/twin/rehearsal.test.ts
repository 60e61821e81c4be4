import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../local/scenario/Scenario.ts';
import { simulate } from '../../local/simulate/Simulation.ts';
import { twinRuntime } from '../../local/simulate/twinRuntime.ts';
import type { Deployment, DeployedFunction } from '../../local/twin/Deployment.ts';
import type { Report } from '../../local/report/Report.ts';
import type { PolicyDocument } from '../../local/twin/types.ts';
import { rehearse } from '../support/scenario.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The deployment with `change` applied to every statement of the named function's policies. */
function changeGrants(
  name: string,
  change: (statement: Readonly<Record<string, unknown>>) => Readonly<Record<string, unknown>> | undefined,
): (deployment: Deployment) => Deployment {
  return (deployment) => ({
    ...deployment,
    functions: deployment.functions.map((f): DeployedFunction =>
      f.name !== name
        ? f
        : {
            ...f,
            policies: f.policies.map((p): PolicyDocument => ({
              ...p,
              Statement: p.Statement.flatMap((s) => {
                const changed = change(s);
                return changed === undefined ? [] : [changed];
              }),
            })),
          },
    ),
  });
}

function actions(statement: Readonly<Record<string, unknown>>): string[] {
  const a = statement.Action;
  return Array.isArray(a) ? (a as string[]) : [String(a)];
}

/** The statement without `action` (dropped when it had nothing else). */
function without(action: string) {
  return (s: Readonly<Record<string, unknown>>) => {
    const left = actions(s).filter((a) => a !== action);
    return left.length === 0 ? undefined : { ...s, Action: left };
  };
}

const defaultScenario = () => loadScenario('examples/scenarios/primary-outage.json', ROOT);

describe('the rehearsal of the deployed code (AWS twin)', () => {
  let report: Report;
  beforeAll(async () => {
    report = await simulate({ scenario: defaultScenario(), ...twinRuntime() });
  });

  it('runs the default scenario through the real handlers: every AWS call allowed and well-formed, no violation', () => {
    expect(report.violations).toEqual([]);
    expect(
      report.executions
        .filter((e) => e.workflow === 'failover' || e.workflow === 'failback')
        .map((e) => `${e.workflow} ${e.status}`),
    ).toEqual(['failover SUCCEEDED', 'failback SUCCEEDED']);
    // The hourly backup schedules in us-west-2 ran beside them.
    expect(report.executions.filter((e) => e.workflow === 'backup').map((e) => e.startedAt)).toContain(3600);
    const calls = report.awsCalls ?? [];
    expect(calls.length).toBeGreaterThan(100);
    expect(calls.filter((c) => c.decision === 'denied' || c.modelErrors.length > 0)).toEqual([]);
    const seen = new Set(calls.map((c) => `${c.function} ${c.service} ${c.operation}`));
    for (const call of [
      'lifeboat-trigger sfn StartExecution',
      'lifeboat-database rds PromoteReadReplica',
      'lifeboat-database rds CreateDBInstanceReadReplica',
      'lifeboat-traffic route53 ChangeResourceRecordSets',
      'lifeboat-workloads eks UpdateNodegroupConfig',
      'lifeboat-workloads kubernetes UpdateWorkloadScale',
      'lifeboat-workloads kubernetes PatchAutoscaler',
      'lifeboat-slack-callback sfn StartExecution',
      'lifeboat-offer secretsmanager GetSecretValue',
      'lifeboat-lock dynamodb PutItem',
    ])
      expect(seen).toContain(call);
    expect(report.rpoSeconds).toBe(4);
  });

  it("reports a call the role no longer allows as denied, and the run's violation (rds:PromoteReadReplica removed)", async () => {
    const denied = await simulate({
      scenario: defaultScenario(),
      ...twinRuntime({ deployment: changeGrants('lifeboat-database', without('rds:PromoteReadReplica')) }),
    });
    expect(denied.awsCalls).toContainEqual(
      expect.objectContaining({
        function: 'lifeboat-database',
        operation: 'PromoteReadReplica',
        decision: 'denied',
      }),
    );
    expect(denied.violations).toContainEqual(
      expect.stringMatching(
        /^iam: lifeboat-database in us-west-2: rds PromoteReadReplica .* denied: rds:PromoteReadReplica on arn:aws:rds:us-west-2:000000000000:db:ai-gateway-db-usw2/,
      ),
    );
    expect(denied.executions[0]).toMatchObject({ workflow: 'failover', status: 'FAILED' });
  });

  it('denies the failback its replica rebuild under the grant of db ARNs alone, as AWS would', async () => {
    const before = await simulate({
      scenario: defaultScenario(),
      ...twinRuntime({
        deployment: changeGrants('lifeboat-database', (s) =>
          actions(s).join() === 'rds:CreateDBInstanceReadReplica' ? undefined : s,
        ),
      }),
    });
    expect(before.violations).toContainEqual(
      expect.stringMatching(
        /^iam: lifeboat-database in us-east-1: rds CreateDBInstanceReadReplica .* denied: rds:CreateDBInstanceReadReplica on arn:aws:rds:us-east-1:000000000000:(og|pg|subgrp):/,
      ),
    );
  });

  it('refuses the Kubernetes calls of a deployment without access entries', async () => {
    const before = await simulate({
      scenario: defaultScenario(),
      ...twinRuntime({ deployment: (d) => ({ ...d, accessEntries: [] }) }),
    });
    expect(before.awsCalls).toContainEqual(
      expect.objectContaining({ function: 'lifeboat-workloads', service: 'kubernetes', decision: 'denied' }),
    );
    expect(before.violations).toContainEqual(
      expect.stringMatching(
        /^iam: lifeboat-workloads: kubernetes \w+ on ai-gateway-usw2 \(us-west-2\) refused: 403 /,
      ),
    );
  });

  it('denies the Slack callback\'s task answer under a grant scoped to the state machines, and allows it on "*"', async () => {
    const events = [
      { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 45 },
      { at: 0, fault: 'replica-lag', region: 'eu-west-1', seconds: 50 },
      { at: 0, fault: 'region-outage', region: 'us-east-1' },
      { at: 600, approve: 'failover', by: 'U0APPROVER' },
    ];
    const scoped = changeGrants('lifeboat-slack-callback', (s) =>
      actions(s).includes('states:SendTaskSuccess')
        ? { ...s, Resource: 'arn:aws:states:us-west-2:000000000000:stateMachine:lifeboat-failover' }
        : s,
    );
    const denied = await rehearse({ events, until: 1800, twin: { deployment: scoped } });
    expect(denied.violations).toContainEqual(
      expect.stringMatching(
        /^iam: lifeboat-slack-callback in \S+: sfn SendTaskSuccess .* denied: states:SendTaskSuccess on \*/,
      ),
    );
    const allowed = await rehearse({ events, until: 1800 });
    expect(allowed.violations).toEqual([]);
    expect(allowed.awsCalls).toContainEqual(
      expect.objectContaining({
        function: 'lifeboat-slack-callback',
        operation: 'SendTaskSuccess',
        decision: 'allowed',
      }),
    );
  });
});
