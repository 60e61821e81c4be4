import { rbacFor, type RbacRule } from '../config/kubernetesRbac.ts';
import { customStepsPlan, type CustomStepOutcome, type CustomStepsPlan } from '../custom/CustomSteps.ts';
import { AUTOSCALERS, workloadLabel } from '../config/workloadKinds.ts';
import { scalesWorkload } from '../failover/workloadScaling.ts';
import { checkedOrRecorded } from '../ledger/rejectedInput.ts';
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { backupMaxAgeSeconds, scheduleIntervalSeconds, TAG_APPLICATION } from '../backup/schedule.ts';
import {
  causeText,
  namedApplication,
  recordScheduledRun,
  type ScheduledRunState,
} from '../backup/BackupSteps.ts';
import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { describeIssue } from '../config/issues.ts';
import { detectionSignals } from '../config/naming.ts';
import { classifyError, InvalidInputError, ThrottledError } from '../errors.ts';
import { currentPrimary } from '../failover/currentPrimary.ts';
import { FailoverSteps, type CheckResult } from '../failover/FailoverSteps.ts';
import type { FailoverRequest } from '../failover/FailoverRequest.ts';
import type { Clock } from '../ports/Clock.ts';
import type { Estate } from '../ports/Estate.ts';
import type { Ledger } from '../ports/Ledger.ts';
import type { WorkflowControl } from '../ports/Workflows.ts';
import {
  checkGameDayPrimary,
  checkGameDayRun,
  judgeGameDay,
  startGameDayRun,
  type GameDayState,
  type GameDayWorkflow,
  type PrimaryCheck,
  type RunCheck,
  type StartedRun,
} from './GameDay.ts';

export interface DrillDeps {
  readonly config: LifeboatConfig;
  readonly estate: Estate;
  readonly ledger: Ledger;
  readonly clock: Clock;
  /** Starts the game day's failover and failback; the readiness drill needs none. */
  readonly workflows?: WorkflowControl;
}

/**
 * The drill's input. `readiness` checks, changing nothing, that a failover of the application could
 * run now; `game-day` runs the real failover of a drill application and then its Slack-approved
 * failback (`GameDay.ts`). `targetRegion` defaults to the first standby.
 */
z.config(en());

export const DrillInputSchema = z.strictObject({
  application: z.string().check(z.minLength(1)),
  mode: z.enum(['readiness', 'game-day'], {
    error:
      'expected "readiness" (checks that a failover could run, changing nothing) or "game-day" (fails a drill application over for real and back)',
  }),
  targetRegion: z.optional(z.string().check(z.minLength(1))),
});

export interface DrillRequest {
  readonly application: string;
  readonly mode: 'readiness' | 'game-day';
  /** The region that serves the application now. */
  readonly sourceRegion: string;
  /** The region a failover would move it to (a game day does). */
  readonly targetRegion: string;
  /** Game day only: the application whose `drills.gameDayApplication` names this one. */
  readonly standsFor?: string;
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
  if (parsed.data.mode === 'readiness') {
    return { application: app.name, mode: 'readiness', sourceRegion, targetRegion };
  }
  const parent = gameDayParent(config, app.name);
  return { application: app.name, mode: 'game-day', sourceRegion, targetRegion, standsFor: parent.name };
}

/**
 * The application whose `drills.gameDayApplication` names `application`. A game day fails over for
 * real: only a drill copy that the config names as one may take it.
 */
export function gameDayParent(config: LifeboatConfig, application: string): ApplicationConfig {
  const parent = config.applications.find((a) => a.drills?.gameDayApplication === application);
  if (parent === undefined) {
    const named = config.applications.flatMap((a) =>
      a.drills?.gameDayApplication === undefined ? [] : [a.drills.gameDayApplication],
    );
    throw new InvalidInputError([
      `application: ${application} is not a drill application; a game day runs a real failover and failback, so it runs only for an application named by some application's drills.gameDayApplication (${named.length === 0 ? 'the config names none' : named.join(', ')})`,
    ]);
  }
  return parent;
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

/** The mode a raw input asks for, for the record of a run that stopped before checking it. */
function modeOf(raw: unknown): 'readiness' | 'game-day' {
  return (raw as { mode?: unknown } | null)?.mode === 'game-day' ? 'game-day' : 'readiness';
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
  }): Promise<{ request: DrillRequest; startedAt: string; customSteps: CustomStepsPlan }> {
    const now = this.deps.clock.now();
    const request = await checkedOrRecorded(
      async () => {
        // The serving region is read only for an input worth checking against it.
        const parsed = DrillInputSchema.safeParse(payload.input);
        const app = parsed.success
          ? this.deps.config.applications.find((a) => a.name === parsed.data.application)
          : undefined;
        // Refused before anything is read: a game day of an application that is not a drill copy.
        if (app !== undefined && parsed.data?.mode === 'game-day') gameDayParent(this.deps.config, app.name);
        const serving =
          app === undefined ? undefined : await currentPrimary(app, this.deps.estate, this.deps.ledger);
        return checkDrillInput(payload.input, this.deps.config, { currentPrimary: serving });
      },
      {
        ledger: this.deps.ledger,
        kind: 'drill',
        executionName: payload.executionName,
        input: payload.input,
        now,
        reason: 'the input was rejected; nothing was checked',
      },
    );
    const app = this.deps.config.applications.find((a) => a.name === request.application);
    return {
      request,
      startedAt: now.toISOString(),
      customSteps: app === undefined ? {} : customStepsPlan(app, 'drill'),
    };
  }

  /**
   * CheckCustomSteps: each readiness custom step's outcome as a finding: `custom:<name>`, critical
   * for a step that would stop a run (`onFailure: stop`), a warning for one that would not.
   */
  customStepFindings(payload: { outcomes?: readonly CustomStepOutcome[] }): { findings: Finding[] } {
    return {
      findings: (payload.outcomes ?? []).map((o) =>
        finding(
          `custom:${o.step}`,
          o.onFailure === 'stop' ? 'critical' : 'warning',
          o.outcome === 'succeeded',
          `${o.kind} ${o.outcome} after ${o.attempts} attempt${o.attempts === 1 ? '' : 's'}: ${o.detail}`,
        ),
      ),
    };
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
    findings.push(...(await this.replicaSources(request)), ...(await this.storeSources(request)));
    return { findings };
  }

  /**
   * Every standby's database replicates from the writer in the source. One that follows another
   * region (a replica a failover by hand left behind) or nothing is a standby a failover would lose
   * writes to (docs/topology.md): critical for the drill's target, a warning for the others.
   */
  private async replicaSources(request: DrillRequest): Promise<Finding[]> {
    const a = this.app(request);
    const writer = request.sourceRegion;
    const findings: Finding[] = [];
    for (const region of a.regions) {
      if (region === writer) continue;
      const check = `replica-source:${region}`;
      const severity: Severity = region === request.targetRegion ? 'critical' : 'warning';
      try {
        const status = await this.deps.estate.database.describe(a, region);
        // The target must also be readable now: an Aurora secondary still being rebuilt after a
        // global failover (pending-resync) follows the writer but cannot take a failover yet.
        const follows =
          status.role === 'replica' &&
          status.sourceRegion === writer &&
          (region !== request.targetRegion || status.available);
        findings.push(
          finding(
            check,
            severity,
            follows,
            follows
              ? `${region}'s database replicates from the writer in ${writer}`
              : status.role === 'replica' && status.sourceRegion === writer
                ? `${region}'s database follows the writer in ${writer} but is not available yet (being built or rebuilt): a failover to it must wait`
                : status.role === 'replica'
                  ? `${region}'s database replicates from ${String(status.sourceRegion)}, not from the writer in ${writer}: a failover to it would lose every write since; make it a replica of ${writer} (docs/topology.md)`
                  : `${region}'s database is a ${status.role}, not a replica of the writer in ${writer} (docs/topology.md)`,
          ),
        );
      } catch (error) {
        findings.push(this.couldNot(check, severity, error));
      }
    }
    return findings;
  }

  /**
   * Every store's member outside the source is an available secondary of the primary in the source:
   * critical for the drill's target, a warning for the others. (Their lag is in `replica-lag`.)
   */
  private async storeSources(request: DrillRequest): Promise<Finding[]> {
    const a = this.app(request);
    const writer = request.sourceRegion;
    const findings: Finding[] = [];
    for (const store of a.stores) {
      for (const region of a.regions) {
        if (region === writer) continue;
        const check = `store-source:${store.name}:${region}`;
        const severity: Severity = region === request.targetRegion ? 'critical' : 'warning';
        try {
          const status = await this.deps.estate.stores.describe(a, store, region);
          const follows = status.role === 'secondary' && status.sourceRegion === writer && status.available;
          findings.push(
            finding(
              check,
              severity,
              follows,
              follows
                ? `store ${store.name}'s member in ${region} is a secondary of the primary in ${writer}`
                : status.role === 'secondary' && status.sourceRegion === writer
                  ? `store ${store.name}'s member in ${region} follows ${writer} but its Global Datastore is changing: a failover to it must wait`
                  : `store ${store.name}'s member in ${region} is ${status.role === 'secondary' ? `a secondary of ${String(status.sourceRegion)}` : `the ${status.role}`}, not a secondary of the primary in ${writer} (docs/stores.md)`,
            ),
          );
        } catch (error) {
          findings.push(this.couldNot(check, severity, error));
        }
      }
    }
    return findings;
  }

  /** CheckBackups: the latest copy in the copy region is no older than the freshness budget. */
  async checkBackups({ request }: { request: DrillRequest }): Promise<{ findings: Finding[] }> {
    const a = this.app(request);
    if (a.database.engine === 'cloudnativepg') {
      return {
        findings: [
          finding(
            'backup-age',
            'warning',
            false,
            `${a.name}'s PostgreSQL is CloudNativePG's, which backs it up itself (ScheduledBackup); this drill does not see those backups (docs/cloudnativepg.md)`,
          ),
        ],
      };
    }
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

  /**
   * CheckCapacity: each of the target's node groups may grow to its active size, and each autoscaler
   * the config names there scales its workload and is not paused (a failover moves its minimum).
   */
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
    for (const workload of a.workloads[request.targetRegion]?.deployments ?? []) {
      const autoscaler = workload.autoscaler;
      if (autoscaler === undefined) continue;
      const check = `autoscaler:${workloadLabel(workload)}`;
      try {
        const status = await this.deps.estate.workloads.describeAutoscaler(a, request.targetRegion, {
          ...workload,
          autoscaler,
        });
        const { minField, maxField } = AUTOSCALERS[autoscaler.kind];
        const named = `${autoscaler.kind} ${autoscaler.name} in ${request.targetRegion}`;
        if (!scalesWorkload(status, workload)) {
          findings.push(
            finding(
              check,
              'critical',
              false,
              `${named} scales ${status.target.kind} ${status.target.name || '(none)'}, not ${workload.kind} ${workload.name}: a failover would stop at ScaleDeployments`,
            ),
          );
        } else if (status.paused) {
          findings.push(
            finding(
              check,
              'warning',
              false,
              `${named} is paused (autoscaling.keda.sh/paused): a failover scales ${workload.name} to ${workload.activeReplicas} itself, and nothing scales it with the load until it is resumed`,
            ),
          );
        } else if (status.max < workload.activeReplicas) {
          findings.push(
            finding(
              check,
              'warning',
              false,
              `${named}'s ${maxField} ${status.max} is below the active size ${workload.activeReplicas}: a failover widens it to ${workload.activeReplicas}, and it stays so after the failback; set it to at least ${workload.activeReplicas}`,
            ),
          );
        } else {
          findings.push(
            finding(
              check,
              'critical',
              true,
              `${named} scales ${workload.kind} ${workload.name}: ${minField} ${status.min}, ${maxField} ${status.max}; a failover raises the minimum to ${workload.activeReplicas}`,
            ),
          );
        }
      } catch (error) {
        findings.push(this.couldNot(check, 'critical', error));
      }
    }
    findings.push(...(await this.rbacFindings(a, request.targetRegion)));
    return { findings };
  }

  /**
   * The RBAC the target's cluster needs beyond its access entries (what `lifeboat kubernetes-rbac`
   * prints: the ScaledObjects' Role, the custom steps' Jobs' Role): each Role there, with rules that
   * cover what Lifeboat does, and bound to its group. `rbac:<namespace>/<name>`, critical: without
   * it a failover stops at ScaleDeployments, or a Job step fails.
   */
  private async rbacFindings(a: ApplicationConfig, region: string): Promise<Finding[]> {
    const cluster = a.workloads[region]?.clusterName;
    const roles = rbacFor(this.deps.config, region, cluster).filter((o) => o.kind === 'Role');
    const findings: Finding[] = [];
    for (const role of roles) {
      const { namespace, name } = role.metadata;
      const check = `rbac:${namespace}/${name}`;
      const fix = `apply \`lifeboat kubernetes-rbac --cluster ${cluster ?? '?'}\` to ${cluster ?? '?'} in ${region}`;
      try {
        const found = await this.deps.estate.workloads.readRbac(a, region, namespace, name);
        const problem =
          found.role?.kind !== 'Role'
            ? `Role ${namespace}/${name} is missing`
            : !role.rules.every(
                  (rule) => found.role?.kind === 'Role' && found.role.rules.some((r) => covers(r, rule)),
                )
              ? `Role ${namespace}/${name} does not allow ${role.rules.map((r) => `${r.verbs.join(', ')} on ${r.resources.join(', ')}${r.resourceNames === undefined ? '' : ` ${r.resourceNames.join(', ')}`}`).join('; ')}`
              : found.binding?.kind !== 'RoleBinding'
                ? `RoleBinding ${namespace}/${name} is missing`
                : found.binding.roleRef.name !== name || !found.binding.subjects.some((s) => s.name === name)
                  ? `RoleBinding ${namespace}/${name} does not bind Role ${name} to the group ${name}`
                  : undefined;
        findings.push(
          finding(
            check,
            'critical',
            problem === undefined,
            problem === undefined
              ? `Role and RoleBinding ${namespace}/${name} in ${cluster ?? '?'} (${region}) allow what Lifeboat does`
              : `${problem} in ${cluster ?? '?'} (${region}): ${fix}`,
          ),
        );
      } catch (error) {
        findings.push(this.couldNot(check, 'critical', error));
      }
    }
    return findings;
  }

  /** CheckRestoreTest: the latest restore test passed, and not longer ago than two of its intervals. */
  async checkRestoreTest({ request }: { request: DrillRequest }): Promise<{ findings: Finding[] }> {
    const a = this.app(request);
    if (a.database.engine === 'cloudnativepg') {
      return {
        findings: [
          finding(
            'restore-test',
            'warning',
            false,
            `Lifeboat's restore tests restore RDS snapshots; ${a.name}'s CloudNativePG clusters are restored from their own object store, which this drill does not test (docs/cloudnativepg.md)`,
          ),
        ],
      };
    }
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
        mode: payload.state.request?.mode ?? modeOf(payload.state.input ?? payload.state),
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
  async notify(payload: {
    text?: string;
    state?: ScheduledRunState & { request?: DrillRequest };
  }): Promise<{ ts: string }> {
    const state = payload.state;
    const text =
      payload.text ??
      `${(state?.request?.mode ?? modeOf(state?.input ?? state)) === 'game-day' ? 'Game day' : 'Readiness drill'} of ${state?.request?.application ?? namedApplication(state?.input ?? state)} could not run: ${state?.error?.Error ?? 'Error'}: ${causeText(state?.error?.Cause)}`;
    return { ts: await this.deps.estate.notifier.post(text) };
  }

  /** StartFailover / StartFailback of a game day; a retried start starts nothing. */
  async startGameDayRun(payload: {
    request: DrillRequest;
    startedAt: string;
    workflow: GameDayWorkflow;
  }): Promise<StartedRun> {
    return startGameDayRun(this.deps, payload);
  }

  /** CheckFailover / CheckFailback: the run's ledger record once it has ended. */
  async checkGameDayRun(payload: { request: DrillRequest; run: StartedRun }): Promise<RunCheck> {
    return checkGameDayRun(this.deps, payload);
  }

  /** CheckPrimary: whether the primary passes its health check again. */
  async checkGameDayPrimary(payload: { request: DrillRequest; since: string }): Promise<PrimaryCheck> {
    return checkGameDayPrimary(this.deps, payload);
  }

  /**
   * RecordGameDay: PASSED only when the failover succeeded within the RTO and RPO targets and the
   * failback succeeded; FAILED with every finding otherwise.
   */
  async recordGameDay(payload: {
    state: GameDayState & ScheduledRunState & { request: DrillRequest };
    executionName: string;
  }): Promise<{ status: 'PASSED' | 'FAILED'; failed: Finding[]; text: string }> {
    const { state } = payload;
    const verdict = judgeGameDay(this.deps.config, state);
    const failed = verdict.findings.filter((f) => !f.ok);
    const app = state.request.application;
    const measured = `RTO ${verdict.rtoSeconds ?? 'n/a'} s (target ${verdict.targets.rtoSeconds} s), RPO ${verdict.rpoSeconds ?? 'n/a'} s (target ${verdict.targets.rpoSeconds} s)`;
    const reason =
      verdict.status === 'PASSED'
        ? `failed over to ${state.request.targetRegion} and back within the targets: ${measured}`
        : failed.map((f) => f.detail).join('; ');
    await recordScheduledRun(this.deps, 'drill', {
      state,
      executionName: payload.executionName,
      status: verdict.status,
      reason,
      details: {
        request: state.request,
        mode: 'game-day',
        findings: verdict.findings,
        critical: failed.length,
        rtoSeconds: verdict.rtoSeconds,
        rpoSeconds: verdict.rpoSeconds,
        rtoTargetSeconds: verdict.targets.rtoSeconds,
        rpoTargetSeconds: verdict.targets.rpoSeconds,
        // A manual failover's RTO runs from its own start, which stands for the incident's: detection
        // and the time a person takes to start it are not in it.
        rtoMeasuredFrom: 'the failover start',
        failover: state.failoverRun?.run ?? state.failover ?? null,
        primary: state.primary ?? null,
        failback: state.failbackRun?.run ?? state.failback ?? null,
      },
    });
    const text =
      verdict.status === 'PASSED'
        ? `Game day of ${app}: PASSED. ${measured}`
        : `Game day of ${app}: FAILED. ${failed.map((f) => `[${f.check}] ${f.detail}`).join(' ')}`;
    return { status: verdict.status, failed, text };
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
    'customStepFindings',
    'record',
    'notify',
    'startGameDayRun',
    'checkGameDayRun',
    'checkGameDayPrimary',
    'recordGameDay',
  ],
} as const satisfies Record<string, readonly (keyof DrillSteps)[]>;

/** Whether an applied rule allows everything a wanted rule does. */
function covers(applied: RbacRule, wanted: RbacRule): boolean {
  const all = (have: readonly string[], want: readonly string[]) =>
    have.includes('*') || want.every((w) => have.includes(w));
  return (
    all(applied.apiGroups, wanted.apiGroups) &&
    all(applied.resources, wanted.resources) &&
    all(applied.verbs, wanted.verbs) &&
    (applied.resourceNames === undefined ||
      applied.resourceNames.length === 0 ||
      (wanted.resourceNames !== undefined && all(applied.resourceNames, wanted.resourceNames)))
  );
}
