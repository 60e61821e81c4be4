import { z } from 'zod';
import { backupMaxAgeSeconds, scheduleIntervalSeconds, TAG_APPLICATION } from '../backup/schedule.ts';
import {
  causeText,
  namedApplication,
  recordScheduledRun,
  type ScheduledRunState,
} from '../backup/BackupSteps.ts';
import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { describeIssue } from '../config/loadConfig.ts';
import { detectionSignals } from '../config/naming.ts';
import { classifyError, InvalidInputError, ThrottledError } from '../errors.ts';
import { currentPrimary } from '../failover/currentPrimary.ts';
import { FailoverSteps, type CheckResult } from '../failover/FailoverSteps.ts';
import type { FailoverRequest } from '../failover/FailoverInput.ts';
import type { Clock } from '../ports/Clock.ts';
import type { Estate } from '../ports/Estate.ts';
import type { Ledger } from '../ports/Ledger.ts';

export interface DrillDeps {
  readonly config: LifeboatConfig;
  readonly estate: Estate;
  readonly ledger: Ledger;
  readonly clock: Clock;
}

/**
 * The drill's input. Only the readiness mode exists here: it checks, changing nothing, that a
 * failover of the application could run now. `targetRegion` defaults to the first standby.
 */
export const DrillInputSchema = z.strictObject({
  application: z.string().min(1),
  mode: z.literal('readiness', {
    error: 'expected "readiness" (the only drill mode: checks that a failover could run, changing nothing)',
  }),
  targetRegion: z.string().min(1).optional(),
});

export interface DrillRequest {
  readonly application: string;
  readonly mode: 'readiness';
  /** The region that serves the application now. */
  readonly sourceRegion: string;
  /** The region a failover would move it to. */
  readonly targetRegion: string;
}

/**
 * Checks a drill's input against the config: the application, the mode, and a target that is a
 * standby of `currentPrimary` (the region serving now; the application's first region if unknown).
 * The state machine's first step and `lifeboat start drill` both use it.
 */
export function checkDrillInput(
  raw: unknown,
  config: LifeboatConfig,
  options: { readonly currentPrimary: string | undefined },
): DrillRequest {
  const parsed = DrillInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidInputError(parsed.error.issues.flatMap((i) => describeIssue(i).split('\n')));
  }
  const app = config.applications.find((a) => a.name === parsed.data.application);
  if (app === undefined) {
    throw new InvalidInputError([
      `application: no application named "${parsed.data.application}"; the config has ${config.applications.map((a) => a.name).join(', ')}`,
    ]);
  }
  const sourceRegion = options.currentPrimary ?? app.regions[0] ?? '';
  const targetRegion = parsed.data.targetRegion ?? app.regions.find((r) => r !== sourceRegion) ?? '';
  if (!app.regions.includes(targetRegion) || targetRegion === sourceRegion) {
    throw new InvalidInputError([
      `targetRegion: ${targetRegion} is not a standby of ${app.name} (${app.regions.filter((r) => r !== sourceRegion).join(', ')})`,
    ]);
  }
  return { application: app.name, mode: 'readiness', sourceRegion, targetRegion };
}

export type Severity = 'critical' | 'warning' | 'info';

/** One thing the drill found: a failed critical finding fails the drill; warnings are reported. */
export interface Finding {
  readonly check: string;
  readonly severity: Severity;
  readonly ok: boolean;
  readonly detail: string;
}

/** What a missing CloudWatch alarm or Route 53 health check looks like, by error name or message. */
function isMissing(error: unknown): boolean {
  const e = error as { name?: unknown; message?: unknown };
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  return /NotFound|NoSuchHealthCheck/.test(name) || /has no alarm named|no such health check/i.test(message);
}

function finding(check: string, severity: Severity, ok: boolean, detail: string): Finding {
  return { check, severity, ok, detail };
}

/**
 * The readiness drill's checks. Each returns findings instead of failing: a drill reports
 * everything it found. Only throttling propagates (the state machine retries it); any other error
 * of a check becomes a finding that says the check could not be made.
 */
export class DrillSteps {
  private readonly deps: DrillDeps;

  constructor(deps: DrillDeps) {
    this.deps = deps;
  }

  /** ValidateInput: the application, the mode and the regions a failover would act on. */
  async validateInput(payload: {
    input: unknown;
    executionName: string;
  }): Promise<{ request: DrillRequest; startedAt: string }> {
    const now = this.deps.clock.now();
    try {
      // The serving region is read only for an input worth checking against it.
      const parsed = DrillInputSchema.safeParse(payload.input);
      const app = parsed.success
        ? this.deps.config.applications.find((a) => a.name === parsed.data.application)
        : undefined;
      const serving =
        app === undefined ? undefined : await currentPrimary(app, this.deps.estate, this.deps.ledger);
      const request = checkDrillInput(payload.input, this.deps.config, { currentPrimary: serving });
      return {
        request,
        startedAt: now.toISOString(),
      };
    } catch (error) {
      if (error instanceof InvalidInputError) {
        await recordScheduledRun(this.deps, 'drill', {
          state: {
            input: payload.input,
            startedAt: now.toISOString(),
            error: { Error: 'InvalidInput', Cause: error.message },
          },
          executionName: payload.executionName,
          status: 'FAILED',
          reason: 'the input was rejected; nothing was checked',
          details: { input: payload.input },
        });
      }
      throw error;
    }
  }

  /**
   * CheckPreflight: every check a failover's preflight makes, judged for readiness: the target
   * healthy, its replica within the lag budget, its cluster reachable, no cooldown in force, and the
   * source not already down (a failover would then be acting, not waiting).
   */
  async checkPreflight({ request }: { request: DrillRequest }): Promise<{ findings: Finding[] }> {
    const failover = new FailoverSteps({
      config: this.deps.config,
      estate: this.deps.estate,
      ledger: this.deps.ledger,
      ledgerIn: () => this.deps.ledger,
      clock: this.deps.clock,
    });
    const as: FailoverRequest = {
      application: request.application,
      sourceRegion: request.sourceRegion,
      targetRegion: request.targetRegion,
      mode: 'automatic',
      dryRun: true,
      force: false,
      reason: 'readiness drill',
      incidentStartedAt: this.deps.clock.now().toISOString(),
      confirmationWaitSeconds: 0,
      approvalTimeoutSeconds: this.deps.config.slack.approvalTimeoutSeconds,
      approvalLockLeaseSeconds: this.deps.config.slack.approvalTimeoutSeconds,
    };
    const checks: [CheckResult['check'], Severity, () => Promise<CheckResult>][] = [
      ['target-health', 'critical', () => failover.checkTarget({ request: as })],
      ['replica-lag', 'critical', () => failover.checkReplicaLag({ request: as })],
      ['target-cluster', 'critical', () => failover.checkTargetCluster({ request: as })],
      ['cooldown', 'warning', () => failover.checkCooldown({ request: as })],
      ['source-down', 'warning', () => failover.checkSource({ request: as })],
    ];
    const findings: Finding[] = [];
    for (const [check, severity, run] of checks) {
      try {
        const result = await run();
        // For readiness the source should be up: "source down" holding true is the finding.
        const ok = check === 'source-down' ? !result.ok : result.ok;
        findings.push(finding(check, severity, ok, result.detail));
      } catch (error) {
        findings.push(this.couldNot(check, severity, error));
      }
    }
    return { findings };
  }

  /** CheckBackups: the latest copy in the copy region is no older than the freshness budget. */
  async checkBackups({ request }: { request: DrillRequest }): Promise<{ findings: Finding[] }> {
    const a = this.app(request);
    if (a.backup === undefined) {
      return {
        findings: [finding('backup-age', 'warning', false, `${a.name} has no backup block in the config`)],
      };
    }
    try {
      const snapshots = await this.deps.estate.backups.listSnapshots(a, a.backup.copyToRegion);
      const latest = snapshots
        .filter(
          (s) => s.status === 'available' && s.tags[TAG_APPLICATION] === a.name && s.createdAt !== undefined,
        )
        .sort((x, y) => (y.createdAt ?? '').localeCompare(x.createdAt ?? ''))[0];
      const budget = backupMaxAgeSeconds(a);
      if (latest?.createdAt === undefined) {
        return {
          findings: [
            finding(
              'backup-age',
              'critical',
              false,
              `no available Lifeboat backup of ${a.name} in ${a.backup.copyToRegion}`,
            ),
          ],
        };
      }
      const age = Math.round((this.deps.clock.now().getTime() - new Date(latest.createdAt).getTime()) / 1000);
      return {
        findings: [
          finding(
            'backup-age',
            'critical',
            age <= budget,
            `the latest backup in ${a.backup.copyToRegion} (${latest.id}) is ${age} s old (at most ${budget} s: RPO target ${a.targets.rpoSeconds} s or the backup interval, plus an hour)`,
          ),
        ],
      };
    } catch (error) {
      return { findings: [this.couldNot('backup-age', 'critical', error)] };
    }
  }

  /**
   * CheckAlarms: every region's Route 53 health check and every detection alarm exists and is in the
   * state a healthy estate has (healthy, OK). A missing one is critical; an unhealthy target is
   * critical, another region's trouble or an alarm without data a warning.
   */
  async checkAlarms({ request }: { request: DrillRequest }): Promise<{ findings: Finding[] }> {
    const a = this.app(request);
    const findings: Finding[] = [];
    for (const region of a.regions) {
      const check = `health-check:${region}`;
      try {
        const status = await this.deps.estate.health.getStatus(a, region);
        const severity: Severity = region === request.targetRegion ? 'critical' : 'warning';
        findings.push(
          finding(check, severity, status === 'healthy', `Route 53 health check of ${region} is ${status}`),
        );
      } catch (error) {
        findings.push(
          isMissing(error)
            ? finding(
                check,
                'critical',
                false,
                `the health check of ${region} is missing: ${(error as Error).message}`,
              )
            : this.couldNot(check, 'warning', error),
        );
      }
    }
    for (const signal of detectionSignals({
      controlPlaneRegions: this.deps.config.controlPlaneRegions,
      applications: [a],
    })) {
      const check = `alarm:${signal.alarmName}`;
      try {
        const alarm = await this.deps.estate.alarms.describe(signal.alarmName, signal.alarmRegion);
        const severity: Severity =
          alarm.state === 'ALARM' && signal.region === request.targetRegion ? 'critical' : 'warning';
        findings.push(
          finding(
            check,
            severity,
            alarm.state === 'OK',
            `${signal.alarmName} in ${signal.alarmRegion} is ${alarm.state}`,
          ),
        );
      } catch (error) {
        findings.push(
          isMissing(error)
            ? finding(
                check,
                'critical',
                false,
                `${signal.alarmName} is missing in ${signal.alarmRegion}: detection cannot see ${signal.region} from there`,
              )
            : this.couldNot(check, 'warning', error),
        );
      }
    }
    return { findings };
  }

  /** CheckCapacity: each of the target's node groups may grow to its active size. */
  async checkCapacity({ request }: { request: DrillRequest }): Promise<{ findings: Finding[] }> {
    const a = this.app(request);
    const findings: Finding[] = [];
    for (const group of a.workloads[request.targetRegion]?.nodeGroups ?? []) {
      const check = `capacity:${group.name}`;
      try {
        const status = await this.deps.estate.workloads.describeNodeGroup(
          a,
          request.targetRegion,
          group.name,
        );
        findings.push(
          finding(
            check,
            'critical',
            status.max >= group.activeSize,
            `node group ${group.name} in ${request.targetRegion}: max ${status.max}, active size ${group.activeSize} (now ${status.ready} ready of ${status.desired})`,
          ),
        );
      } catch (error) {
        findings.push(this.couldNot(check, 'critical', error));
      }
    }
    return { findings };
  }

  /** CheckRestoreTest: the latest restore test passed, and not longer ago than two of its intervals. */
  async checkRestoreTest({ request }: { request: DrillRequest }): Promise<{ findings: Finding[] }> {
    const a = this.app(request);
    try {
      const runs = await this.deps.ledger.listRuns(a.name, 'restore-test', 10);
      const latest = runs.find((r) => r.status === 'PASSED' || r.status === 'FAILED');
      if (latest === undefined) {
        return {
          findings: [finding('restore-test', 'critical', false, `no restore test of ${a.name} has run`)],
        };
      }
      const findings = [
        finding(
          'restore-test',
          'critical',
          latest.status === 'PASSED',
          `the latest restore test (${latest.executionName}, ${latest.startedAt}) ${latest.status}${latest.reason === undefined ? '' : `: ${latest.reason}`}`,
        ),
      ];
      const schedule = a.backup?.restoreTest?.schedule;
      if (schedule !== undefined) {
        const age = (this.deps.clock.now().getTime() - new Date(latest.startedAt).getTime()) / 1000;
        const limit = 2 * scheduleIntervalSeconds(schedule);
        findings.push(
          finding(
            'restore-test-age',
            'warning',
            age <= limit,
            `the latest restore test ran ${Math.round(age)} s ago (schedule ${schedule})`,
          ),
        );
      }
      return { findings };
    } catch (error) {
      return { findings: [this.couldNot('restore-test', 'critical', error)] };
    }
  }

  /** Record: PASSED when no critical finding failed; every finding kept. */
  async record(payload: {
    state: ScheduledRunState & { request?: DrillRequest };
    executionName: string;
    checks?: readonly {
      findings?: readonly Finding[];
      check?: string;
      error?: { Error?: string; Cause?: string };
    }[];
    status?: 'FAILED';
    reason?: string;
  }): Promise<{ status: 'PASSED' | 'FAILED'; failed: Finding[]; text: string }> {
    // A branch that could not run at all left its error instead of findings: a critical finding.
    const findings = (payload.checks ?? []).flatMap(
      (c): readonly Finding[] =>
        c.findings ?? [
          finding(
            c.check ?? 'check',
            'critical',
            false,
            `could not check: ${c.error?.Error ?? 'Error'}: ${causeText(c.error?.Cause)}`,
          ),
        ],
    );
    const failed = findings.filter((f) => !f.ok && f.severity === 'critical');
    const status = payload.status ?? (failed.length === 0 && findings.length > 0 ? 'PASSED' : 'FAILED');
    const application =
      payload.state.request?.application ?? namedApplication(payload.state.input ?? payload.state);
    const reason =
      payload.reason ??
      (status === 'PASSED'
        ? `ready: ${findings.length} checks, no critical finding`
        : `not ready: ${failed.map((f) => f.detail).join('; ')}`);
    await recordScheduledRun(this.deps, 'drill', {
      state: payload.state,
      executionName: payload.executionName,
      status,
      reason,
      details: {
        ...(payload.state.request === undefined ? {} : { request: payload.state.request }),
        mode: 'readiness',
        findings,
        critical: failed.length,
        warnings: findings.filter((f) => !f.ok && f.severity === 'warning').length,
      },
    });
    const text =
      status === 'PASSED'
        ? `Readiness drill of ${application}: PASSED`
        : `Readiness drill of ${application}: FAILED. ${failed.map((f) => `[${f.check}] ${f.detail}`).join(' ') || reason}`;
    return { status, failed, text };
  }

  /** Notify: the failed drill's findings, or the error that stopped it, to the team's channel. */
  async notify(payload: { text?: string; state?: ScheduledRunState }): Promise<{ ts: string }> {
    const state = payload.state;
    const text =
      payload.text ??
      `Readiness drill of ${state?.request?.application ?? namedApplication(state?.input ?? state)} could not run: ${state?.error?.Error ?? 'Error'}: ${causeText(state?.error?.Cause)}`;
    return { ts: await this.deps.estate.notifier.post(text) };
  }

  private couldNot(check: string, severity: Severity, error: unknown): Finding {
    const classified = classifyError(error);
    if (classified instanceof ThrottledError) throw classified;
    return finding(check, severity, false, `could not check: ${classified.message}`);
  }

  private app(request: { application: string }): ApplicationConfig {
    const found = this.deps.config.applications.find((a) => a.name === request.application);
    if (found === undefined)
      throw new InvalidInputError([`application: no application named "${request.application}"`]);
    return found;
  }
}

export const DRILL_FUNCTIONS = {
  'lifeboat-drill': [
    'validateInput',
    'checkPreflight',
    'checkBackups',
    'checkAlarms',
    'checkCapacity',
    'checkRestoreTest',
    'record',
    'notify',
  ],
} as const satisfies Record<string, readonly (keyof DrillSteps)[]>;
