import type { Report } from '../../local/report/Report.ts';
import type { LocalFunction } from '../../local/runner/WorkflowRunner.ts';
import { LOCK_LEASE_SECONDS } from '../../shared/failover/FailoverSteps.ts';
import { IN_FLIGHT_SECONDS } from '../../shared/ledger/runEnded.ts';
import type { SimulationContext } from '../../local/simulate/Simulation.ts';
import { ledgerOf, promotions } from '../support/scenario.ts';
import { reliabilityFigures } from './support/figures.ts';
import { failedOverAndRecovered, matrixConfig, MATRIX_LATENCY } from './support/matrix.ts';
import { actors, rehearseObserved } from './support/observed.ts';

const figures = reliabilityFigures(import.meta.url);

type ConfigDoc = Parameters<typeof matrixConfig>[0];

/** ai-gateway is served from us-west-2 (matrixConfig), which goes down at 0 and stays down. */
const OUTAGE = { at: 0, fault: 'region-outage', region: 'us-west-2' };
const failover = (at: number, reason: string) => ({
  at,
  start: 'failover',
  input: { application: 'ai-gateway', targetRegion: 'us-east-1', reason },
});

const failoverRuns = (report: Report) => report.executions.filter((e) => e.workflow === 'failover');

describe('the lock lease (real ASL on the local runtime)', () => {
  it('records a run stopped while it held the lock and cuts its lease to the in-flight margin; a start within it is skipped naming it', async () => {
    const firstStart = 120;
    // Stopped half-way through its recovery (the promotion is under way), then two more starts:
    // one inside the in-flight margin, one after it.
    const stopAt = firstStart + 30;
    const earlyAt = stopAt + 30;
    const laterAt = stopAt + IN_FLIGHT_SECONDS + 60;
    let stopped: string | undefined;
    const { report, calls } = await rehearseObserved({
      events: [
        OUTAGE,
        failover(firstStart, 'first'),
        failover(earlyAt, 'too early'),
        failover(laterAt, 'later'),
      ],
      until: laterAt + 900,
      config: matrixConfig,
      latency: MATRIX_LATENCY,
      setup: (context: SimulationContext) => {
        context.clock.schedule(stopAt, () => {
          stopped = context
            .runner()
            .running()
            .find((r) => r.workflow === 'failover')?.name;
          if (stopped !== undefined) context.runner().stop(stopped);
        });
      },
    });
    figures.count(report);
    const [first, early, later] = failoverRuns(report);
    expect(first?.name).toBe(stopped);
    expect(first?.status).toBe('ABORTED');
    expect(first?.states.map((s) => s.name)).toContain('PromoteDatabase');
    expect(first?.states.map((s) => s.name)).not.toContain('ReleaseLock');
    // The workflow could not record its end; the status change did (invariant 5).
    expect(ledgerOf(report, first!.name)).toMatchObject({
      status: 'ABORTED',
      reason: expect.stringContaining('StopExecution'),
      details: { recordedBy: 'execution status change' },
    });
    // A step in flight at the stop may still run for a while: the lock is held that long.
    expect(early?.status).toBe('SKIPPED');
    expect(ledgerOf(report, early!.name)).toMatchObject({ reason: expect.stringContaining(first!.name) });
    // After it, the next run takes the lock and finishes the failover, promoting nothing twice.
    expect(later?.status).toBe('SUCCEEDED');
    expect(actors(calls.filter((c) => c.at > stopAt))).toEqual([later!.name]);
    expect(promotions(report)).toHaveLength(1);
    expect(report.violations).toEqual([]);
  });

  it('frees the lock of a run whose release timed out on every attempt, once the lease expires', async () => {
    const retryAt = 120 + LOCK_LEASE_SECONDS + 120;
    const { report } = await rehearseObserved({
      events: [
        OUTAGE,
        // A dry run takes and releases the lock like any run, and moves nothing.
        {
          at: 120,
          start: 'failover',
          input: { application: 'ai-gateway', targetRegion: 'us-east-1', dryRun: true },
        },
        failover(1800, 'too early'),
        failover(retryAt, 'after the lease'),
      ],
      until: retryAt + 900,
      config: matrixConfig,
      latency: MATRIX_LATENCY,
      wrap: (name, fn, context) => {
        if (name !== 'lifeboat-lock') return fn;
        let releases = 0;
        // Until the first run is over, every release runs to the function's timeout and fails as
        // Lambda reports it: what a region whose table does not answer looks like from the run.
        const hung: LocalFunction = async (payload, ctx) => {
          if (
            (payload as { operation?: string }).operation === 'releaseLock' &&
            context.clock.seconds < 1800
          ) {
            releases++;
            await context.clock.sleep(30);
            const error = new Error(`Task timed out after 30.00 seconds (release ${releases})`);
            error.name = 'Sandbox.Timedout';
            throw error;
          }
          return fn(payload, ctx);
        };
        return hung;
      },
    });
    figures.count(report);
    const [first, early, late] = failoverRuns(report);
    // The run ended (its release failed after its plan was recorded) without freeing the lock.
    expect(first?.states.some((s) => s.name.startsWith('ReleaseLock') && s.status === 'FAILED')).toBe(true);
    expect(early?.status).toBe('SKIPPED');
    expect(ledgerOf(report, early!.name)).toMatchObject({ reason: expect.stringContaining(first!.name) });
    expect(late?.status).toBe('SUCCEEDED');
    expect(promotions(report)).toHaveLength(1);
    expect(late?.states.find((s) => s.name === 'ReleaseLock')?.status).toBe('SUCCEEDED');
    expect(report.violations).toEqual([]);
  });

  it('never takes over the lock of a live run, even after the default lease: a failback waiting four hours for its approval', async () => {
    const config = (doc: ConfigDoc): void => {
      matrixConfig(doc);
      (doc.slack as { approvalTimeoutSeconds: number }).approvalTimeoutSeconds = 5 * 3600;
    };
    const failbackAt = 1000;
    // Past the three hours a failback leases for its own work, while it still waits for its approval.
    const intruderAt = failbackAt + 3 * 3600 + 1800;
    const approveAt = failbackAt + 4 * 3600;
    const { report, calls } = await rehearseObserved({
      events: [
        ...failedOverAndRecovered('outage'),
        {
          at: failbackAt,
          start: 'failback',
          input: { application: 'ai-gateway', targetRegion: 'us-west-2', reason: 'back home' },
        },
        {
          at: intruderAt,
          start: 'failover',
          input: { application: 'ai-gateway', targetRegion: 'us-west-2', reason: 'impatient', force: true },
        },
        { at: approveAt, approve: 'failback', by: 'U0APPROVER' },
      ],
      until: approveAt + 1800,
      config,
      latency: MATRIX_LATENCY,
    });
    figures.count(report);
    const failback = report.executions.find((e) => e.workflow === 'failback');
    const intruder = report.executions.find((e) => e.startedAt === intruderAt);
    expect(intruder?.status).toBe('SKIPPED');
    expect(ledgerOf(report, intruder!.name)).toMatchObject({
      status: 'SKIPPED',
      reason: expect.stringContaining(failback!.name),
    });
    expect(failback?.status).toBe('SUCCEEDED');
    // Of the runs that take the lock, only the failback acted (the scheduled backups' snapshots take none).
    const lockTakers = new Set(
      report.executions
        .filter((e) => e.workflow === 'failover' || e.workflow === 'failback')
        .map((e) => e.name),
    );
    expect(actors(calls.filter((c) => c.at >= failbackAt)).filter((name) => lockTakers.has(name))).toEqual([
      failback!.name,
    ]);
    expect(report.violations).toEqual([]);
  });
});
