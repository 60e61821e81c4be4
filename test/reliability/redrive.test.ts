import type { Report } from '../../local/report/Report.ts';
import { dnsChanges, ledgerOf } from '../support/scenario.ts';
import { cleanRun, runsOf } from './support/faultMatrix.ts';
import { reliabilityFigures } from './support/figures.ts';
import { failbackUnderTest, failoverUnderTest, PERMANENT_ERRORS } from './support/matrix.ts';
import type { AimedFault, Observed } from './support/observed.ts';

const figures = reliabilityFigures(import.meta.url);

/** A permanent error at the nth call of an operation in the workflow under test, gone at `until`. */
function permanent(
  w: typeof failoverUnderTest,
  service: AimedFault['service'],
  operation: string,
  nth: number,
): AimedFault {
  return {
    workflow: w.workflow,
    service,
    operation,
    nth,
    kind: 'permanent',
    error: PERMANENT_ERRORS[service].denied,
    until: w.faultGoneAt,
  };
}

/** The database changes the world made for ai-gateway (promotions, renames, replicas), in order. */
function databaseChanges(report: Report): string[] {
  return report.timeline
    .filter(
      (e) =>
        e.kind === 'database' &&
        e.application === 'ai-gateway' &&
        /started|renamed|being created/.test(e.text),
    )
    .map((e) => `${e.region ?? ''}: ${e.text}`);
}

/** The mutating calls one execution made, as `service operation`. */
function mutatingCalls(observed: Observed, execution: string): string[] {
  return observed.calls
    .filter((c) => c.execution === execution && c.mutating && c.error === undefined)
    .map((c) => `${c.service} ${c.operation}`);
}

/** The target's weight at every change from `from` on: a restart never takes traffic back a step. */
function targetWeights(report: Report, target: string, from: number): number[] {
  return (report.series ?? [])
    .filter((p) => p.application === 'ai-gateway' && p.at >= from)
    .map((p) => p.weights[target] ?? 0)
    .filter((w, i, all) => i === 0 || w !== all[i - 1]);
}

describe('a run started again after one that failed half-way (real ASL on the local runtime)', () => {
  it('finishes a failover that promoted but could not move DNS, without promoting again', async () => {
    const w = failoverUnderTest;
    const observed = await w.run([permanent(w, 'route53', 'ChangeResourceRecordSets', 1)], true);
    const { report } = observed;
    figures.count(report);
    const [first, second] = runsOf(report, 'failover');
    expect(first?.status).toBe('FAILED');
    expect(first?.states.find((s) => s.name === 'PromoteDatabase')?.status).toBe('SUCCEEDED');
    expect(ledgerOf(report, first!.name)).toMatchObject({ status: 'FAILED' });
    expect(second?.status).toBe('SUCCEEDED');
    // One promotion in all: the second run found the writer already promoted. Only the run that
    // ended made eu-west-1 follow the new writer.
    expect(databaseChanges(report)).toEqual([
      expect.stringMatching(/^us-east-1: promotion of .* started/),
      // The example's store, failed over beside the database, once.
      'us-east-1: budgets: failover of ldgnf-ai-gateway-budgets to ai-gateway-budgets-use1 started (lag 0 s)',
      expect.stringMatching(
        /^eu-west-1: ai-gateway-db-euw1 \(replica\) renamed to ai-gateway-db-euw1-pre-failover-\d{12} and kept$/,
      ),
      'eu-west-1: read replica ai-gateway-db-euw1 of ai-gateway-db-use1 (us-east-1) being created',
    ]);
    // The DNS change, refused to the first run, was made once, by the second.
    expect(dnsChanges(report)).toHaveLength(1);
    expect(mutatingCalls(observed, second!.name)).toContain('route53 ChangeResourceRecordSets');
    expect(report.dns.filter((d) => d.application === 'ai-gateway').at(-1)?.answers).toEqual(['us-east-1']);
    expect(report.violations).toEqual([]);
  });

  it('finishes a failback that failed at its last weight step from the step it reached, never taking traffic back', async () => {
    const w = failbackUnderTest;
    // The failback's weight changes are 50 % then 100 %: the second one is refused until the fault is gone.
    const observed = await w.run([permanent(w, 'route53', 'ChangeResourceRecordSets', 2)], true);
    const { report } = observed;
    figures.count(report);
    const [first, second] = runsOf(report, 'failback');
    expect(first?.status).toBe('FAILED');
    expect(ledgerOf(report, first!.name)).toMatchObject({
      details: { progress: { switchBegun: false, shiftedPercent: 50 } },
    });
    expect(second?.status).toBe('SUCCEEDED');
    expect(ledgerOf(report, second!.name)).toMatchObject({
      details: {
        request: {
          sourceRegion: 'us-east-1',
          firstStepIndex: 0,
          resumes: { executionName: first!.name, switchBegun: false },
        },
      },
    });
    // 0 → 50 by the first run; the second sets 50 again (baked and guarded), then 100.
    expect(targetWeights(report, 'us-west-2', w.startAt)).toEqual([0, 50, 100]);
    // The writer moved once, by the second run's planned promotion.
    expect(databaseChanges(report).filter((c) => c.startsWith('us-west-2: promotion'))).toHaveLength(1);
    expect(report.violations).toEqual([]);
  });

  it('finishes a failback that failed after the writer moved: the new writer is kept, the shift is not redone', async () => {
    const w = failbackUnderTest;
    // The standby's replica creation (RestoreStandby's, in us-east-1, after the switch), counted
    // among the clean failback's creations (FollowWriter's of eu-west-1 come after it).
    const creations = (await cleanRun(w)).observed.calls.filter(
      (c) =>
        c.workflow === 'failback' && c.service === 'rds' && c.operation === 'CreateDBInstanceReadReplica',
    );
    const standby = creations.findLastIndex((c) => c.state === 'RestoreStandby') + 1;
    expect(standby).toBeGreaterThan(0);
    const observed = await w.run([permanent(w, 'rds', 'CreateDBInstanceReadReplica', standby)], true);
    const { report } = observed;
    figures.count(report);
    const [first, second] = runsOf(report, 'failback');
    expect(first?.status).toBe('FAILED');
    expect(first?.states.find((s) => s.name === 'SwitchWriter')?.status).toBe('SUCCEEDED');
    expect(ledgerOf(report, first!.name)).toMatchObject({ details: { progress: { switchBegun: true } } });
    expect(second?.status).toBe('SUCCEEDED');
    const states = second!.states.map((s) => s.name);
    expect(states).not.toContain('ShiftStep');
    expect(states).toContain('RestoreStandby');
    const changes = databaseChanges(report);
    // us-west-2's database was renamed once (the stale old primary, by the first run), never the new writer.
    expect(changes.filter((c) => c.startsWith('us-west-2:') && c.includes('renamed'))).toHaveLength(1);
    expect(changes.filter((c) => c.startsWith('us-west-2: promotion'))).toHaveLength(1);
    // The standby's replica, refused to the first run, was created by the second.
    expect(mutatingCalls(observed, second!.name)).toContain('rds CreateDBInstanceReadReplica');
    expect(mutatingCalls(observed, second!.name)).not.toContain('route53 ChangeResourceRecordSets');
    expect(report.world.regions['us-west-2']).toMatchObject({ dnsWeight: 100 });
    expect(report.violations).toEqual([]);
  });
});
