import { ArnFormat, Duration, Stack, TimeZone, Token, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleGroup,
  ScheduleTargetInput,
  TimeWindow,
} from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  backupApplicationsIn,
  drillApplicationsIn,
  drillRegionOf,
  resourcePrefix,
  SCHEDULE_GROUP_NAME,
  schedulesIn,
  TAG_APPLICATION,
  TAG_KIND,
  TAG_SLOT,
  type LifeboatSchedule,
  type ScheduledWorkflowName,
} from '../../shared/backup/schedule.ts';
import type { ApplicationConfig, LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { gameDayLimits } from '../../shared/drill/GameDay.ts';
import {
  detectionSignals,
  kubernetesRoleName,
  LEDGER_KEY_ALIAS,
  stateMachineName,
} from '../../shared/config/naming.ts';
import { LifeboatFunction } from './LifeboatFunction.ts';
import { acknowledgeUnscopedActions, flattenIntrinsics } from './nag.ts';
import { storeStatements } from './storeGrants.ts';
import { placeholderOf } from '../../shared/statemachines/placeholders.ts';
import { Workflow } from './Workflow.ts';

export interface BackupWorkflowsProps {
  /** The Lifeboat config: which applications have a `backup` block or a `drills` block, and where. */
  readonly config: LifeboatConfig;
  /** The ledger table's name in this region (the functions' `LIFEBOAT_TABLE_NAME`). */
  readonly ledgerTableName: string;
  /** The ledger table's ARN in this region, which the functions' ledger grants name. */
  readonly ledgerTableArn: string;
  /** The ledger's key in this region: reads decrypt with it, writes encrypt with it. */
  readonly ledgerKey: IKey;
  /** How long CloudWatch Logs keeps the functions' logs and the executions' history. */
  readonly logRetention: RetentionDays;
  /**
   * How many times EventBridge Scheduler retries a start the state machine refused (throttling,
   * an outage of Step Functions) before the event goes to the dead-letter queue.
   * @default 5
   */
  readonly retryAttempts?: number;
  /**
   * How old a scheduled start may grow while Scheduler retries it. A backup that starts much later
   * than its slot is the next slot's job, so this stays short.
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
  /** The function that runs the applications' custom steps: the readiness drill runs its `drill.readiness` steps. */
  readonly customFunction: IFunction;
}

/** The tag keys Lifeboat puts on what it creates; creates must carry exactly these. */
const LIFEBOAT_TAG_KEYS = [TAG_APPLICATION, TAG_KIND, TAG_SLOT];

export { backupApplicationsIn, drillApplicationsIn, drillRegionOf } from '../../shared/backup/schedule.ts';

/**
 * The drill applications whose game day runs in `region`: those a `drills.gameDayApplication`
 * names, from their first standby's control plane, where their failover runs while the primary is
 * down.
 */
export function gameDayApplicationsIn(config: LifeboatConfig, region: string): ApplicationConfig[] {
  const named = new Set(config.applications.map((a) => a.drills?.gameDayApplication));
  return config.applications.filter((a) => named.has(a.name) && drillRegionOf(a) === region);
}

/**
 * The scheduled workflows a control-plane region runs: the backup and the restore test where some
 * application's backups run, the drill where some readiness drill or game day does.
 */
export function scheduledWorkflowsIn(config: LifeboatConfig, region: string): ScheduledWorkflowName[] {
  return [
    ...(backupApplicationsIn(config, region).length > 0 ? (['backup', 'restore-test'] as const) : []),
    ...(drillApplicationsIn(config, region).length > 0 || gameDayApplicationsIn(config, region).length > 0
      ? (['drill'] as const)
      : []),
  ];
}

/**
 * The drill workflow's execution timeout in a region. A readiness drill takes minutes; a game day
 * waits for the failover, the primary's return and the failback (an approval among it), each up to
 * its own limit (`gameDayLimits`), and records the outcome when one runs out. Step Functions stops
 * the run only an hour past the sum, so that the drill's own limits end it first; a day at least.
 */
export function drillTimeout(config: LifeboatConfig, gameDays: readonly ApplicationConfig[]): Duration {
  const longest = Math.max(
    0,
    ...gameDays.map((app) => {
      const limits = gameDayLimits(config, app);
      return limits.failoverSeconds + limits.primarySeconds + limits.failbackSeconds;
    }),
  );
  return Duration.seconds(Math.max(24 * 3600, longest + 3600));
}

/** One workflow of the three, with its function and the role EventBridge Scheduler starts it with. */
export interface ScheduledWorkflow {
  readonly function: LifeboatFunction;
  readonly workflow: Workflow;
  /** Assumed by EventBridge Scheduler: may start this state machine and write to the dead-letter queue. */
  readonly schedulerRole: Role;
  /** One schedule per application, by application name. */
  readonly schedules: ReadonlyMap<string, Schedule>;
}

/**
 * The backup, restore-test and readiness-drill workflows of one control-plane region, and their
 * EventBridge Scheduler schedules.
 *
 * Each application's backup and restore test run in its copy region's control plane
 * (`backupApplicationsIn`), its readiness drill in its first standby's (`drillApplicationsIn`), so
 * no two regions take the same backup. A workflow is created only in a region that schedules it
 * for some application; its function's role reaches those applications' resources and no others:
 * RDS snapshots, copies and temporary instances named `lifeboat-<application>-*`, created only with
 * the `lifeboat:application` tag and deleted only when they carry it.
 *
 * The drill's capacity check reads node counts from Kubernetes: the drill function's role (named
 * for its region) gets an EKS access entry reading nodes on every cluster (`ClusterAccessStack`).
 */
export class BackupWorkflows extends Construct {
  /** The applications backed up (and restore-tested) from this region. */
  public readonly backupApplications: readonly string[];
  /** The applications whose readiness drill is scheduled in this region. */
  public readonly drillApplications: readonly string[];
  /** The drill applications whose game day (started by a person) runs in this region. */
  public readonly gameDayApplications: readonly string[];
  /** The schedule group every schedule here belongs to; the scheduler roles trust only it. */
  public readonly scheduleGroup: ScheduleGroup | undefined;
  /** Where Scheduler puts a start it could not make after its retries. */
  public readonly deadLetterQueue: Queue | undefined;
  /** Present when some application's backup runs in this region. */
  public readonly backup: ScheduledWorkflow | undefined;
  /** Present when some application's backup runs in this region. */
  public readonly restoreTest: ScheduledWorkflow | undefined;
  /** Present when some application's readiness drill or game day runs in this region. */
  public readonly drill: ScheduledWorkflow | undefined;

  private readonly props: BackupWorkflowsProps;
  private readonly stack: Stack;
  /** Acknowledged cdk-nag findings per principal, so that none is acknowledged twice. */
  private readonly acknowledged = new Map<IRole, Set<string>>();

  constructor(scope: Construct, id: string, props: BackupWorkflowsProps) {
    super(scope, id);
    this.props = props;
    this.stack = Stack.of(this);
    // The account may stay a token (`cdk synth` without credentials): every ARN here takes it as one.
    if (Token.isUnresolved(this.stack.region)) {
      throw new Error(
        `BackupWorkflows ${id}: the stack needs an explicit region; the region decides which applications' backups and drills run here`,
      );
    }
    const retryAttempts = props.retryAttempts ?? 5;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185) {
      throw new Error(
        `BackupWorkflows ${id}: retryAttempts ${retryAttempts} is outside EventBridge Scheduler's 0 to 185`,
      );
    }
    const maxEventAge = props.maxEventAge ?? Duration.hours(1);
    const ageSeconds = maxEventAge.toSeconds();
    if (ageSeconds < 60 || ageSeconds > 86_400) {
      throw new Error(
        `BackupWorkflows ${id}: maxEventAge ${ageSeconds} s is outside EventBridge Scheduler's 60 to 86400 s`,
      );
    }

    const region = this.stack.region;
    const backups = backupApplicationsIn(props.config, region);
    const drills = drillApplicationsIn(props.config, region);
    const gameDays = gameDayApplicationsIn(props.config, region);
    this.backupApplications = backups.map((a) => a.name);
    this.drillApplications = drills.map((a) => a.name);
    this.gameDayApplications = gameDays.map((a) => a.name);
    if (backups.length === 0 && drills.length === 0 && gameDays.length === 0) {
      this.scheduleGroup = undefined;
      this.deadLetterQueue = undefined;
      this.backup = undefined;
      this.restoreTest = undefined;
      this.drill = undefined;
      return;
    }

    this.scheduleGroup = new ScheduleGroup(this, 'ScheduleGroup', { scheduleGroupName: SCHEDULE_GROUP_NAME });
    this.deadLetterQueue = new Queue(this, 'ScheduleDeadLetters', {
      queueName: 'lifeboat-schedule-dead-letters',
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is EventBridge Scheduler's dead-letter queue (a schedule's DeadLetterConfig, which cdk-nag does not read); a dead-letter queue needs none of its own.",
    });
    const schedule = { retryAttempts, maxEventAge };
    const schedules = schedulesIn(props.config, region);
    const of = (workflow: ScheduledWorkflowName): LifeboatSchedule[] =>
      schedules.filter((s) => s.workflow === workflow);

    const scheduled = scheduledWorkflowsIn(props.config, region);
    if (scheduled.includes('backup')) {
      const backupFunction = this.function(
        'backup',
        'Backup: snapshots the writer, copies it to the copy region, prunes Lifeboat snapshots past retention, records',
      );
      for (const app of backups) this.grantBackup(backupFunction.role, app);
      this.grantListSnapshots(backupFunction.role, backups, (app) => app.regions);
      this.grantSourceKeys(backupFunction.role, backups);
      this.grantLedger(backupFunction.role, ['PutItem']);
      this.backup = this.scheduled('Backup', 'backup', backupFunction, of('backup'), schedule);

      const restoreFunction = this.function(
        'restore-test',
        'Restore test: restores the latest copy into a temporary instance, checks it, deletes it, records',
      );
      for (const app of backups) this.grantRestoreTest(restoreFunction.role, app);
      this.grantListSnapshots(restoreFunction.role, backups, (app) => [app.backup?.copyToRegion ?? '']);
      this.grantLedger(restoreFunction.role, ['PutItem']);
      this.restoreTest = this.scheduled(
        'RestoreTest',
        'restore-test',
        restoreFunction,
        of('restore-test'),
        schedule,
      );
    } else {
      this.backup = undefined;
      this.restoreTest = undefined;
    }

    if (scheduled.includes('drill')) {
      const drillFunction = this.function(
        'drill',
        'Drill: readiness checks that change nothing, or a game day of a drill application; records and notifies',
      );
      this.grantDrill(drillFunction.role, [...new Set([...drills, ...gameDays])]);
      this.grantGameDay(drillFunction.role, gameDays);
      // Query: past runs (the current primary, the cooldown, the latest restore test); PutItem: the record.
      this.grantLedger(drillFunction.role, ['Query', 'PutItem']);
      this.drill = this.scheduled(
        'Drill',
        'drill',
        drillFunction,
        of('drill'),
        schedule,
        drillTimeout(props.config, gameDays),
      );
    } else {
      this.drill = undefined;
    }
  }

  private function(name: 'backup' | 'restore-test' | 'drill', description: string): LifeboatFunction {
    const pascal = name
      .split('-')
      .map((w) => `${w.charAt(0).toUpperCase()}${w.slice(1)}`)
      .join('');
    return new LifeboatFunction(this, `${pascal}Function`, {
      name,
      description,
      logRetention: this.props.logRetention,
      environment: {
        LIFEBOAT_TABLE_NAME: this.props.ledgerTableName,
        // The game day builds the failover's and failback's state machine ARNs from these.
        ...(name === 'drill'
          ? { LIFEBOAT_ACCOUNT: this.stack.account, LIFEBOAT_PARTITION: this.stack.partition }
          : {}),
      },
      config: this.props.config,
      ...(name === 'drill' ? { roleName: kubernetesRoleName('drill', this.stack.region) } : {}),
      // Listing a region's snapshots pages through them; the drill reads several regions and probes.
      timeout: Duration.seconds(60),
    });
  }

  /** The workflow of `fn`, its scheduler role and one schedule per application in `apps`. */
  private scheduled(
    id: string,
    name: 'backup' | 'restore-test' | 'drill',
    fn: LifeboatFunction,
    schedules: readonly LifeboatSchedule[],
    retry: { readonly retryAttempts: number; readonly maxEventAge: Duration },
    timeout?: Duration,
  ): ScheduledWorkflow {
    const custom = name === 'drill' ? this.props.customFunction : undefined;
    const workflow = new Workflow(this, id, {
      name,
      substitutions: {
        [placeholderOf(`lifeboat-${name}`)]: fn.function.functionArn,
        ...(custom === undefined ? {} : { [placeholderOf('lifeboat-custom')]: custom.functionArn }),
      },
      functions: custom === undefined ? [fn.function] : [fn.function, custom],
      logRetention: this.props.logRetention,
      ...(timeout === undefined ? {} : { timeout }),
    });
    const group = this.scheduleGroup;
    const queue = this.deadLetterQueue;
    if (group === undefined || queue === undefined) throw new Error('BackupWorkflows: no schedule group');
    // Scheduler assumes the role only for schedules of Lifeboat's group in this account (confused deputy).
    const schedulerRole = new Role(this, `${id}SchedulerRole`, {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.stack.account, 'aws:SourceArn': group.scheduleGroupArn },
        },
      }),
      description: `Assumed by EventBridge Scheduler to start lifeboat-${name}`,
    });
    const byApplication = new Map<string, Schedule>();
    for (const s of schedules) {
      byApplication.set(
        s.application,
        new Schedule(this, `${id}-${s.application}`, {
          scheduleName: s.name,
          scheduleGroup: group,
          description: s.description,
          schedule: ScheduleExpression.expression(s.expression, TimeZone.of(s.timeZone)),
          // On time: a flexible window would let a backup start up to its width late, into the RPO.
          timeWindow: TimeWindow.off(),
          target: new StepFunctionsStartExecution(workflow.stateMachine, {
            role: schedulerRole,
            input: ScheduleTargetInput.fromObject(s.input(ContextAttribute.scheduledTime)),
            deadLetterQueue: queue,
            retryAttempts: retry.retryAttempts,
            maxEventAge: retry.maxEventAge,
          }),
        }),
      );
    }
    return { function: fn, workflow, schedulerRole, schedules: byApplication };
  }

  private rds(resource: string, name: string, region: string): string {
    return this.stack.formatArn({
      service: 'rds',
      region,
      resource,
      // RDS keeps identifiers, and so its ARNs, in lower case.
      resourceName: name.toLowerCase(),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * Adds `statement` to `role`; each resource that ends in a wildcard is acknowledged to cdk-nag with
   * `reason`, which a statement with such a resource must give.
   */
  private allow(role: IRole, statement: PolicyStatement, reason?: string): void {
    role.addToPrincipalPolicy(statement);
    for (const resource of statement.resources) {
      if (!resource.includes('*') || resource === '*') continue;
      if (reason === undefined)
        throw new Error(`BackupWorkflows: ${resource} needs a reason for its wildcard`);
      const resolved = flattenIntrinsics(this.stack.resolve(resource));
      const id = `AwsSolutions-IAM5[Resource::${resolved}]`;
      const done = this.acknowledged.get(role) ?? new Set<string>();
      if (done.has(id)) continue;
      done.add(id);
      this.acknowledged.set(role, done);
      Validations.of(role).acknowledge({ id, reason });
    }
  }

  private grantLedger(role: IRole, actions: readonly ('Query' | 'PutItem')[]): void {
    // The table in this region only; no step here queries the byKind index.
    this.allow(
      role,
      new PolicyStatement({
        actions: actions.map((a) => `dynamodb:${a}`),
        resources: [this.props.ledgerTableArn],
      }),
    );
    this.allow(
      role,
      new PolicyStatement({
        actions: actions.includes('PutItem')
          ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']
          : ['kms:Decrypt'],
        resources: [this.props.ledgerKey.keyArn],
      }),
    );
  }

  /** The RDS tag-on-create conditions: the application's tag, and Lifeboat's tag keys only. */
  private requestTags(app: ApplicationConfig): Record<string, Record<string, unknown>> {
    return {
      StringEquals: { [`aws:RequestTag/${TAG_APPLICATION}`]: app.name },
      'ForAllValues:StringEquals': { 'aws:TagKeys': LIFEBOAT_TAG_KEYS },
    };
  }

  /**
   * The backup of one application: find the writer in any of its regions (it moves with failovers),
   * snapshot it there, copy the snapshot here with the copy key, prune Lifeboat's snapshots in both.
   */
  private grantBackup(role: IRole, app: ApplicationConfig): void {
    const backup = app.backup;
    if (backup === undefined) return;
    const copyRegion = backup.copyToRegion;
    const prefix = `${resourcePrefix(app.name)}*`;
    const aurora = app.database.engine === 'aurora-global';
    const snapshotType = aurora ? 'cluster-snapshot' : 'snapshot';
    const ours = app.regions.map((r) => this.rds(snapshotType, prefix, r));
    const ownReason = `Lifeboat's own snapshots of ${app.name}: named ${prefix} by schedule slot, which is known only at run time.`;

    // Finding the writer: DescribeDBInstances of its instances, or DescribeGlobalClusters.
    if (app.database.engine === 'rds-read-replica') {
      const instances = Object.entries(app.database.instances).map(([r, id]) => this.rds('db', id, r));
      this.allow(role, new PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: instances }));
      this.allow(
        role,
        new PolicyStatement({
          actions: ['rds:CreateDBSnapshot'],
          resources: [...instances, ...ours],
          conditions: this.requestTags(app),
        }),
        ownReason,
      );
    } else if (app.database.engine === 'aurora-global') {
      const global = this.rds('global-cluster', app.database.globalClusterIdentifier, '');
      this.allow(role, new PolicyStatement({ actions: ['rds:DescribeGlobalClusters'], resources: [global] }));
      const clusters = Object.entries(app.database.clusters).map(([r, id]) => this.rds('cluster', id, r));
      this.allow(
        role,
        new PolicyStatement({
          actions: ['rds:CreateDBClusterSnapshot'],
          resources: [...clusters, ...ours],
          conditions: this.requestTags(app),
        }),
        ownReason,
      );
    }

    // The copy is requested here, naming the source snapshot in the writer's region, whose request
    // RDS replays there from a presigned URL that carries no tags: the source side has no tag condition.
    const copy = aurora ? 'rds:CopyDBClusterSnapshot' : 'rds:CopyDBSnapshot';
    const target = this.rds(snapshotType, prefix, copyRegion);
    this.allow(
      role,
      new PolicyStatement({
        actions: [copy],
        resources: [target],
        conditions: this.requestTags(app),
      }),
      ownReason,
    );
    const sources = app.regions.filter((r) => r !== copyRegion).map((r) => this.rds(snapshotType, prefix, r));
    this.allow(role, new PolicyStatement({ actions: [copy], resources: sources }), ownReason);
    // Tags on create need AddTagsToResource too, with the same tags.
    this.allow(
      role,
      new PolicyStatement({
        actions: ['rds:AddTagsToResource'],
        resources: ours,
        conditions: this.requestTags(app),
      }),
      ownReason,
    );
    // Pruning deletes only snapshots that carry the application's Lifeboat tag.
    this.allow(
      role,
      new PolicyStatement({
        actions: [aurora ? 'rds:DeleteDBClusterSnapshot' : 'rds:DeleteDBSnapshot'],
        resources: ours,
        conditions: {
          StringEquals: { [`rds:${snapshotType}-tag/${TAG_APPLICATION}`]: app.name },
        },
      }),
      ownReason,
    );
    this.grantCopyKey(role, app, 'copies are encrypted with it');
  }

  /**
   * Describe of the manual snapshots in `regionsOf` each application: RDS has no tag filter, and a
   * list names no identifier, so it is authorized on every snapshot of the region.
   */
  private grantListSnapshots(
    role: IRole,
    apps: readonly ApplicationConfig[],
    regionsOf: (app: ApplicationConfig) => readonly string[],
  ): void {
    for (const aurora of [false, true]) {
      const regions = [
        ...new Set(apps.filter((a) => (a.database.engine === 'aurora-global') === aurora).flatMap(regionsOf)),
      ];
      if (regions.length === 0) continue;
      const type = aurora ? 'cluster-snapshot' : 'snapshot';
      this.allow(
        role,
        new PolicyStatement({
          actions: [aurora ? 'rds:DescribeDBClusterSnapshots' : 'rds:DescribeDBSnapshots'],
          resources: regions.map((r) => this.rds(type, '*', r)),
        }),
        "Listing a region's manual snapshots (to find Lifeboat's by tag, RDS's describe has no tag filter) is authorized on every snapshot of the region; read only.",
      );
    }
  }

  /**
   * KMS for RDS's use of the copy key (a key of the copy region): RDS creates grants on it when it
   * copies into it and when it restores from a copy. Named by ARN when the config gives a key, by
   * alias condition when it gives an alias.
   */
  private grantCopyKey(role: IRole, app: ApplicationConfig, why: string): void {
    const backup = app.backup;
    if (backup === undefined) return;
    const region = backup.copyToRegion;
    const id = backup.copyKmsKeyId;
    const alias = /(?:^|:)(alias\/.+)$/.exec(id)?.[1];
    const keyArn =
      alias !== undefined
        ? this.stack.formatArn({ service: 'kms', region, resource: 'key', resourceName: '*' })
        : id.startsWith('arn:')
          ? id
          : this.stack.formatArn({ service: 'kms', region, resource: 'key', resourceName: id });
    this.grantKeyUseByRds(
      role,
      [keyArn],
      [region],
      alias === undefined ? {} : { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [alias] } },
      alias === undefined
        ? `The copy key of ${app.name} (${why}), used through RDS in ${region} only (kms:ViaService).`
        : `The copy key of ${app.name} (${why}), configured as ${alias}: the key with that alias only (kms:ResourceAliases), used through RDS in ${region} only (kms:ViaService).`,
    );
  }

  /**
   * What RDS needs of a KMS key to encrypt a copy or a restored database with it, or to read a
   * snapshot encrypted with it: DescribeKey, and grants that RDS makes for itself; both only through
   * RDS in the key's region.
   */
  private grantKeyUseByRds(
    role: IRole,
    keyArns: readonly string[],
    regions: readonly string[],
    conditions: Record<string, Record<string, unknown>>,
    reason: string,
  ): void {
    // kms:ViaService: only requests RDS makes on the function's behalf (RDS keys are regional).
    const via = regions.map((r) => `rds.${r}.amazonaws.com`);
    this.allow(
      role,
      new PolicyStatement({
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [...keyArns],
        conditions: { StringEquals: { 'kms:ViaService': via.length === 1 ? via[0] : via }, ...conditions },
      }),
      reason,
    );
  }

  /**
   * An encrypted writer's snapshot is read with its storage key, in the writer's region, when RDS
   * copies it out. The config does not name that key, so any key but the ledger's, only through RDS
   * in that region.
   */
  private grantSourceKeys(role: IRole, apps: readonly ApplicationConfig[]): void {
    const regions = [...new Set(apps.flatMap((a) => a.regions.filter((r) => r !== a.backup?.copyToRegion)))];
    if (regions.length === 0) return;
    this.grantKeyUseByRds(
      role,
      regions.map((region) =>
        this.stack.formatArn({ service: 'kms', region, resource: 'key', resourceName: '*' }),
      ),
      regions,
      // Any key but the ledger's: the ledger's key is for DynamoDB's use by the ledger's functions.
      { 'ForAllValues:StringNotEquals': { 'kms:ResourceAliases': [LEDGER_KEY_ALIAS] } },
      `The storage keys of the writers in the applications' other regions, which the config does not name: used only through RDS in those regions (kms:ViaService), to copy a snapshot out; never the ledger's key (${LEDGER_KEY_ALIAS}).`,
    );
  }

  /**
   * The restore test of one application in this region (its copy region): restore the latest copy
   * into `lifeboat-<application>-<slot>`, tagged, in the configured subnet group, with the engine's
   * default parameter and option groups; describe it; delete it when it carries the tag.
   */
  private grantRestoreTest(role: IRole, app: ApplicationConfig): void {
    const backup = app.backup;
    if (backup === undefined) return;
    const region = backup.copyToRegion;
    const prefix = `${resourcePrefix(app.name)}*`;
    const aurora = app.database.engine === 'aurora-global';
    const ownReason = `Lifeboat's own copies and temporary databases of ${app.name}: named ${prefix} by schedule slot, which is known only at run time.`;
    const groupsReason = `The engine's default parameter and option groups (RDS names them default.<engine><version> and default:<engine>-<version>), which the restored temporary database of ${app.name} uses.`;
    const instances = this.rds('db', prefix, region);
    const clusters = this.rds('cluster', prefix, region);
    const snapshots = this.rds(aurora ? 'cluster-snapshot' : 'snapshot', prefix, region);
    const subnetGroup = this.rds('subgrp', backup.restoreTest?.subnetGroupName ?? 'default', region);
    const optionGroups = this.rds('og', 'default*', region);
    const parameterGroups = this.rds('pg', 'default*', region);
    if (!aurora) {
      this.allow(
        role,
        new PolicyStatement({
          actions: ['rds:RestoreDBInstanceFromDBSnapshot'],
          resources: [instances, snapshots, subnetGroup, optionGroups, parameterGroups],
          conditions: this.requestTags(app),
        }),
        `${ownReason} ${groupsReason}`,
      );
    } else {
      this.allow(
        role,
        new PolicyStatement({
          actions: ['rds:RestoreDBClusterFromSnapshot'],
          resources: [
            clusters,
            snapshots,
            subnetGroup,
            optionGroups,
            this.rds('cluster-pg', 'default*', region),
          ],
          conditions: this.requestTags(app),
        }),
        `${ownReason} ${groupsReason}`,
      );
      // A restored cluster gets its one instance from CreateDBInstance.
      this.allow(
        role,
        new PolicyStatement({
          actions: ['rds:CreateDBInstance'],
          resources: [instances, clusters, subnetGroup, optionGroups, parameterGroups],
          conditions: this.requestTags(app),
        }),
        `${ownReason} ${groupsReason}`,
      );
    }
    this.allow(
      role,
      new PolicyStatement({
        actions: ['rds:AddTagsToResource'],
        resources: aurora ? [instances, clusters] : [instances],
        conditions: this.requestTags(app),
      }),
      ownReason,
    );
    this.allow(
      role,
      new PolicyStatement({
        actions: aurora ? ['rds:DescribeDBClusters', 'rds:DescribeDBInstances'] : ['rds:DescribeDBInstances'],
        resources: aurora ? [instances, clusters] : [instances],
      }),
      ownReason,
    );
    this.allow(
      role,
      new PolicyStatement({
        actions: ['rds:DeleteDBInstance'],
        resources: [instances],
        conditions: { StringEquals: { [`rds:db-tag/${TAG_APPLICATION}`]: app.name } },
      }),
      ownReason,
    );
    if (aurora) {
      this.allow(
        role,
        new PolicyStatement({
          actions: ['rds:DeleteDBCluster'],
          resources: [clusters],
          conditions: { StringEquals: { [`rds:cluster-tag/${TAG_APPLICATION}`]: app.name } },
        }),
        ownReason,
      );
    }
    this.grantCopyKey(role, app, 'the restore decrypts the copy with it');
  }

  /**
   * A game day starts the failover in the drill application's standby and the failback in its
   * primary: StartExecution on those two state machines in the application's regions, no others.
   */
  private grantGameDay(role: IRole, apps: readonly ApplicationConfig[]): void {
    if (apps.length === 0) return;
    const regions = [...new Set(apps.flatMap((a) => a.regions))].sort();
    const machines = regions.flatMap((region) =>
      (['failover', 'failback'] as const).map((workflow) =>
        this.stack.formatArn({
          service: 'states',
          region,
          resource: 'stateMachine',
          resourceName: stateMachineName(workflow),
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ),
    );
    this.allow(role, new PolicyStatement({ actions: ['states:StartExecution'], resources: machines }));
  }

  /**
   * The readiness drill reads what a failover's preflight reads, for any region of the application
   * (the target follows the current primary): Route 53 weights, the detection alarms (Route 53's
   * health checks are read through theirs), replica lag, the EKS clusters and node groups, the copy region's snapshots.
   */
  private grantDrill(role: IRole, apps: readonly ApplicationConfig[]): void {
    const zones = [...new Set(apps.map((a) => a.dns.hostedZoneId))].map((zone) =>
      this.stack.formatArn({
        service: 'route53',
        region: '',
        account: '',
        resource: 'hostedzone',
        resourceName: zone,
      }),
    );
    this.allow(role, new PolicyStatement({ actions: ['route53:ListResourceRecordSets'], resources: zones }));

    const alarms = detectionSignals({
      controlPlaneRegions: this.props.config.controlPlaneRegions,
      applications: [...apps],
    }).map((signal) =>
      this.stack.formatArn({
        service: 'cloudwatch',
        region: signal.alarmRegion,
        resource: 'alarm',
        resourceName: signal.alarmName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    this.allow(
      role,
      new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [...new Set(alarms)] }),
    );
    this.allow(role, new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));

    // What each standby's database replicates from: DescribeDBInstances of the instances, or
    // DescribeGlobalClusters of the global cluster.
    const instances: string[] = [];
    const globals: string[] = [];
    for (const app of apps) {
      if (app.database.engine === 'rds-read-replica') {
        for (const [region, id] of Object.entries(app.database.instances))
          instances.push(this.rds('db', id, region));
      } else if (app.database.engine === 'aurora-global') {
        globals.push(this.rds('global-cluster', app.database.globalClusterIdentifier, ''));
      }
    }
    if (instances.length > 0) {
      this.allow(
        role,
        new PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [...new Set(instances)] }),
      );
    }
    if (globals.length > 0) {
      this.allow(
        role,
        new PolicyStatement({ actions: ['rds:DescribeGlobalClusters'], resources: [...new Set(globals)] }),
      );
    }

    // Each store's members (the drill's store-source findings) and their lag (its replica-lag check).
    const regions = [...new Set(apps.flatMap((a) => a.regions))];
    for (const statement of storeStatements(this.stack, apps, regions, 'read')) this.allow(role, statement);

    const clusters: string[] = [];
    const nodeGroups: string[] = [];
    for (const app of apps) {
      for (const [region, workloads] of Object.entries(app.workloads)) {
        clusters.push(
          this.stack.formatArn({
            service: 'eks',
            region,
            resource: 'cluster',
            resourceName: workloads.clusterName,
          }),
        );
        for (const group of workloads.nodeGroups) {
          nodeGroups.push(
            this.stack.formatArn({
              service: 'eks',
              region,
              resource: 'nodegroup',
              resourceName: `${workloads.clusterName}/${group.name}/*`,
            }),
          );
        }
      }
    }
    if (clusters.length > 0) {
      this.allow(
        role,
        new PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [...new Set(clusters)] }),
      );
    }
    if (nodeGroups.length > 0) {
      this.allow(
        role,
        new PolicyStatement({ actions: ['eks:DescribeNodegroup'], resources: [...new Set(nodeGroups)] }),
        "One configured node group: EKS appends an id to a node group's ARN when it creates the group.",
      );
    }

    this.grantListSnapshots(
      role,
      apps.filter((a) => a.backup !== undefined),
      (app) => [app.backup?.copyToRegion ?? ''],
    );
    acknowledgeUnscopedActions(
      role,
      'cloudwatch:GetMetricData (replica lag) has no resource-level permissions.',
    );
  }
}
