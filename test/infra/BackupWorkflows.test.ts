import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Function as LambdaFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import {
  BackupWorkflows,
  backupApplicationsIn,
  drillApplicationsIn,
  drillTimeout,
  gameDayApplicationsIn,
} from '../../infra/constructs/BackupWorkflows.ts';
import { gameDayLimits } from '../../shared/drill/GameDay.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { actionsByOwner, grantsOf, type Grant } from '../support/iamPolicies.ts';
import { TEST_ACCOUNT, testConfig } from '../support/synth.ts';

const LEDGER_ARN = `arn:aws:dynamodb:us-west-2:${TEST_ACCOUNT}:table/lifeboat-ledger`;

/** The control plane's custom-step function, which the drill's state machine may invoke (by name). */
function customFunction(stack: Stack): IFunction {
  return LambdaFunction.fromFunctionName(stack, 'Custom', 'lifeboat-custom');
}

/** The construct in a bare stack of `region`, with a ledger key of its own; no Lambda bundling. */
function build(
  region: string,
  config: LifeboatConfig = testConfig(),
): { app: App; stack: Stack; workflows: BackupWorkflows; key: Key } {
  // Template assertions need no Lambda bundles.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, `Backups-${region}`, { env: { account: TEST_ACCOUNT, region } });
  const key = new Key(stack, 'LedgerKey', { enableKeyRotation: true });
  const workflows = new BackupWorkflows(stack, 'Backups', {
    customFunction: customFunction(stack),
    config,
    ledgerTableName: 'lifeboat-ledger',
    ledgerTableArn: LEDGER_ARN,
    ledgerKey: key,
    logRetention: RetentionDays.THREE_MONTHS,
  });
  return { app, stack, workflows, key };
}

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The grants of `owner` that include `action`, as [resources, condition] pairs. */
function grantsFor(grants: readonly Grant[], owner: string, action: string): Omit<Grant, 'owner'>[] {
  return grants
    .filter((g) => g.owner === owner && g.actions.includes(action))
    .map(({ actions, resources, condition }) => ({
      actions,
      resources,
      ...(condition ? { condition } : {}),
    }));
}

const P = 'arn:<AWS::Partition>';
const rds = (region: string, rest: string) => `${P}:rds:${region}:${TEST_ACCOUNT}:${rest}`;
const TAGGED = (app: string) => ({
  StringEquals: { 'aws:RequestTag/lifeboat:application': app },
  'ForAllValues:StringEquals': { 'aws:TagKeys': ['lifeboat:application', 'lifeboat:kind', 'lifeboat:slot'] },
});

describe('BackupWorkflows', () => {
  describe('placement', () => {
    it('backs each application up from its copy region and drills it from its first standby', () => {
      const config = testConfig();
      expect(backupApplicationsIn(config, 'us-west-2').map((a) => a.name)).toEqual([
        'ai-gateway',
        'ai-gateway-drill',
      ]);
      expect(drillApplicationsIn(config, 'us-west-2').map((a) => a.name)).toEqual(['ai-gateway']);
      // The drill application's game day runs where its failover does: its first standby.
      expect(gameDayApplicationsIn(config, 'us-west-2').map((a) => a.name)).toEqual(['ai-gateway-drill']);
      for (const region of ['us-east-1', 'eu-west-1']) {
        expect(backupApplicationsIn(config, region)).toEqual([]);
        expect(drillApplicationsIn(config, region)).toEqual([]);
        expect(gameDayApplicationsIn(config, region)).toEqual([]);
      }
    });

    it.each(['us-east-1', 'eu-west-1'])('creates nothing in %s, where no backup or drill runs', (region) => {
      const { stack, workflows } = build(region);
      const template = Template.fromStack(stack);
      expect(workflows.backup).toBeUndefined();
      expect(workflows.restoreTest).toBeUndefined();
      expect(workflows.drill).toBeUndefined();
      template.resourceCountIs('AWS::Lambda::Function', 0);
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
      template.resourceCountIs('AWS::Scheduler::Schedule', 0);
      template.resourceCountIs('AWS::SQS::Queue', 0);
    });

    it('schedules a drill only where the application has a drills block', () => {
      const config = testConfig((doc) => {
        // The drill application gets drilled too; its first standby is us-west-2 as well.
        (doc.applications[1] as Record<string, unknown>).drills = { readinessSchedule: 'rate(1 day)' };
        delete (doc.applications[0] as Record<string, unknown>).drills;
      });
      const { workflows } = build('us-west-2', config);
      expect([...(workflows.drill?.schedules.keys() ?? [])]).toEqual(['ai-gateway-drill']);
    });

    it("gives the drill a day, or past a game day's own limits when one runs here, so that they end it first", () => {
      const config = testConfig();
      expect(drillTimeout(config, []).toSeconds()).toBe(86400);
      const drillApp = gameDayApplicationsIn(config, 'us-west-2');
      const limits = gameDayLimits(config, drillApp[0]!);
      expect(drillTimeout(config, drillApp).toSeconds()).toBe(
        limits.failoverSeconds + limits.primarySeconds + limits.failbackSeconds + 3600,
      );
      // A long approval window lengthens the failover's and the failback's waits, and the drill's.
      const patient = testConfig(
        (doc) => ((doc.slack as { approvalTimeoutSeconds: number }).approvalTimeoutSeconds = 86400),
      );
      expect(drillTimeout(patient, gameDayApplicationsIn(patient, 'us-west-2')).toSeconds()).toBe(
        drillTimeout(config, drillApp).toSeconds() + 2 * (86400 - 3600),
      );
    });

    it('refuses a stack without an explicit region, naming why', () => {
      const stack = new Stack(new App(), 'NoEnv');
      expect(
        () =>
          new BackupWorkflows(stack, 'Backups', {
            config: testConfig(),
            ledgerTableName: 'lifeboat-ledger',
            ledgerTableArn: LEDGER_ARN,
            ledgerKey: new Key(stack, 'Key'),
            customFunction: customFunction(stack),
            logRetention: RetentionDays.ONE_MONTH,
          }),
      ).toThrow(
        "BackupWorkflows Backups: the stack needs an explicit region; the region decides which applications' backups and drills run here",
      );
    });

    it('takes the account as a token when the stack is synthesized without one (no credentials)', () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'NoAccount', { env: { region: 'us-west-2' } });
      const workflows = new BackupWorkflows(stack, 'Backups', {
        config: testConfig(),
        ledgerTableName: 'lifeboat-ledger',
        ledgerTableArn: LEDGER_ARN,
        ledgerKey: new Key(stack, 'Key'),
        customFunction: customFunction(stack),
        logRetention: RetentionDays.ONE_MONTH,
      });
      const role = Template.fromStack(stack).findResources('AWS::IAM::Role')[
        logicalId(stack, workflows.backup!.schedulerRole)
      ] as { Properties: { AssumeRolePolicyDocument: { Statement: { Condition: unknown }[] } } };
      expect(role.Properties.AssumeRolePolicyDocument.Statement[0]!.Condition).toMatchObject({
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      });
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: 'lifeboat-drill',
        Environment: { Variables: Match.objectLike({ LIFEBOAT_ACCOUNT: { Ref: 'AWS::AccountId' } }) },
      });
    });

    it('refuses a retry count EventBridge Scheduler does not accept', () => {
      const stack = new Stack(new App(), 'Retry', { env: { account: TEST_ACCOUNT, region: 'us-west-2' } });
      expect(
        () =>
          new BackupWorkflows(stack, 'Backups', {
            config: testConfig(),
            ledgerTableName: 'lifeboat-ledger',
            ledgerTableArn: LEDGER_ARN,
            ledgerKey: new Key(stack, 'Key'),
            customFunction: customFunction(stack),
            logRetention: RetentionDays.ONE_MONTH,
            retryAttempts: 200,
          }),
      ).toThrow("BackupWorkflows Backups: retryAttempts 200 is outside EventBridge Scheduler's 0 to 185");
    });
  });

  describe('in the copy region', () => {
    // The drill application has no backup schedule: its backups follow its RPO (6 hours here).
    const config = testConfig((doc) => {
      const drillApp = doc.applications[1] as { targets: { rpoSeconds: number } };
      drillApp.targets.rpoSeconds = 6 * 3600;
    });
    const { stack, workflows, key } = build('us-west-2', config);
    const template = Template.fromStack(stack);
    const grants = grantsOf(stack);
    const sm = (w: typeof workflows.backup) => ({ Ref: logicalId(stack, w!.workflow.stateMachine) });
    const queueArn = { 'Fn::GetAtt': [logicalId(stack, workflows.deadLetterQueue!), 'Arn'] };

    it('loads the three workflows, each invoking only its own function', () => {
      for (const name of ['backup', 'restore-test', 'drill']) {
        template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
          StateMachineName: `lifeboat-${name}`,
          StateMachineType: 'STANDARD',
        });
        template.hasResourceProperties('AWS::Lambda::Function', {
          FunctionName: `lifeboat-${name}`,
          Timeout: 60,
          Environment: { Variables: Match.objectLike({ LIFEBOAT_TABLE_NAME: 'lifeboat-ledger' }) },
        });
      }
      for (const name of ['backup', 'restore-test', 'drill'] as const) {
        const scheduled = {
          backup: workflows.backup,
          'restore-test': workflows.restoreTest,
          drill: workflows.drill,
        }[name]!;
        const invoked = grants
          .filter((g) => g.actions.includes('lambda:InvokeFunction'))
          .filter((g) => g.owner === `${name} state machine`)
          .flatMap((g) => g.resources);
        const fn = logicalId(stack, scheduled.function.function);
        // The drill runs the application's readiness custom steps through the custom-step function.
        const custom =
          name === 'drill'
            ? [`arn:<AWS::Partition>:lambda:us-west-2:${TEST_ACCOUNT}:function:lifeboat-custom`]
            : [];
        expect(new Set(invoked)).toEqual(
          new Set([`<${fn}.Arn>`, `<${fn}.Arn>:*`, ...custom.flatMap((c) => [c, `${c}:*`])]),
        );
      }
    });

    it('schedules each backup from its config, or from its RPO, with the schedule slot in its input', () => {
      template.resourceCountIs('AWS::Scheduler::Schedule', 5);
      const backups = {
        'ai-gateway': 'rate(1 hour)',
        'ai-gateway-drill': 'rate(6 hours)',
      };
      for (const [application, expression] of Object.entries(backups)) {
        template.hasResourceProperties('AWS::Scheduler::Schedule', {
          Name: `lifeboat-${application}-backup`,
          GroupName: 'lifeboat',
          ScheduleExpression: expression,
          FlexibleTimeWindow: { Mode: 'OFF' },
          State: 'ENABLED',
          Target: {
            Arn: sm(workflows.backup),
            RoleArn: { 'Fn::GetAtt': [logicalId(stack, workflows.backup!.schedulerRole), 'Arn'] },
            Input: JSON.stringify({ application, slot: '<aws.scheduler.scheduled-time>' }),
            DeadLetterConfig: { Arn: queueArn },
            RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 5 },
          },
        });
      }
    });

    it('schedules each restore test, with the configured schedule or its default', () => {
      const tests = { 'ai-gateway': 'cron(0 4 ? * SUN *)', 'ai-gateway-drill': 'rate(7 days)' };
      for (const [application, expression] of Object.entries(tests)) {
        template.hasResourceProperties('AWS::Scheduler::Schedule', {
          Name: `lifeboat-${application}-restore-test`,
          GroupName: 'lifeboat',
          ScheduleExpression: expression,
          Target: {
            Arn: sm(workflows.restoreTest),
            RoleArn: { 'Fn::GetAtt': [logicalId(stack, workflows.restoreTest!.schedulerRole), 'Arn'] },
            Input: JSON.stringify({ application, slot: '<aws.scheduler.scheduled-time>' }),
            DeadLetterConfig: { Arn: queueArn },
            RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 5 },
          },
        });
      }
    });

    it('schedules the readiness drill from drills.readinessSchedule in readiness mode', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        Name: 'lifeboat-ai-gateway-readiness',
        GroupName: 'lifeboat',
        ScheduleExpression: 'cron(0 9 ? * MON-FRI *)',
        Target: {
          Arn: sm(workflows.drill),
          RoleArn: { 'Fn::GetAtt': [logicalId(stack, workflows.drill!.schedulerRole), 'Arn'] },
          Input: JSON.stringify({ application: 'ai-gateway', mode: 'readiness' }),
          DeadLetterConfig: { Arn: queueArn },
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 5 },
        },
      });
    });

    it('keeps dead letters in an encrypted queue that refuses plain HTTP', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: 'lifeboat-schedule-dead-letters',
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 86_400,
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ],
        },
      });
    });

    it("lets Scheduler assume each scheduler role only for Lifeboat's schedule group in this account", () => {
      for (const scheduled of [workflows.backup, workflows.restoreTest, workflows.drill]) {
        const role = Template.fromStack(stack).findResources('AWS::IAM::Role')[
          logicalId(stack, scheduled!.schedulerRole)
        ] as { Properties: { AssumeRolePolicyDocument: unknown } };
        expect(role.Properties.AssumeRolePolicyDocument).toEqual({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Condition: {
                StringEquals: {
                  'aws:SourceAccount': TEST_ACCOUNT,
                  'aws:SourceArn': { 'Fn::GetAtt': [logicalId(stack, workflows.scheduleGroup!), 'Arn'] },
                },
              },
            },
          ],
        });
      }
    });

    it('lets each scheduler role start only its state machine and write only to the dead-letter queue', () => {
      for (const [name, scheduled] of [
        ['backup', workflows.backup],
        ['restore-test', workflows.restoreTest],
        ['drill', workflows.drill],
      ] as const) {
        const own = grants.filter((g) => g.owner === `${name} scheduler`);
        expect(own.map(({ actions, resources }) => ({ actions, resources }))).toEqual([
          {
            actions: ['states:StartExecution'],
            resources: [`<${logicalId(stack, scheduled!.workflow.stateMachine)}>`],
          },
          {
            actions: ['sqs:SendMessage'],
            resources: [`<${logicalId(stack, workflows.deadLetterQueue!)}.Arn>`],
          },
        ]);
      }
    });

    it('grants each function the actions its steps call and no others', () => {
      const byOwner = actionsByOwner(grants);
      expect({
        backup: byOwner['lifeboat-backup'],
        restoreTest: byOwner['lifeboat-restore-test'],
        drill: byOwner['lifeboat-drill'],
      }).toEqual({
        backup: [
          'dynamodb:PutItem',
          'kms:CreateGrant',
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:Encrypt',
          'kms:GenerateDataKey',
          'rds:AddTagsToResource',
          'rds:CopyDBClusterSnapshot',
          'rds:CopyDBSnapshot',
          'rds:CreateDBClusterSnapshot',
          'rds:CreateDBSnapshot',
          'rds:DeleteDBClusterSnapshot',
          'rds:DeleteDBSnapshot',
          'rds:DescribeDBClusterSnapshots',
          'rds:DescribeDBInstances',
          'rds:DescribeDBSnapshots',
          'rds:DescribeGlobalClusters',
        ],
        restoreTest: [
          'dynamodb:PutItem',
          'kms:CreateGrant',
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:Encrypt',
          'kms:GenerateDataKey',
          'rds:AddTagsToResource',
          'rds:CreateDBInstance',
          'rds:DeleteDBCluster',
          'rds:DeleteDBInstance',
          'rds:DescribeDBClusterSnapshots',
          'rds:DescribeDBClusters',
          'rds:DescribeDBInstances',
          'rds:DescribeDBSnapshots',
          'rds:RestoreDBClusterFromSnapshot',
          'rds:RestoreDBInstanceFromDBSnapshot',
        ],
        drill: [
          'cloudwatch:DescribeAlarms',
          'cloudwatch:GetMetricData',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'eks:DescribeCluster',
          'eks:DescribeNodegroup',
          'elasticache:DescribeGlobalReplicationGroups',
          'elasticache:DescribeReplicationGroups',
          'kms:Decrypt',
          'kms:Encrypt',
          'kms:GenerateDataKey',
          'rds:DescribeDBClusterSnapshots',
          'rds:DescribeDBInstances',
          'rds:DescribeDBSnapshots',
          'rds:DescribeGlobalClusters',
          'route53:ListResourceRecordSets',
          'states:StartExecution',
        ],
      });
    });

    it("lets the game day start only the failover and failback of the drill application's regions", () => {
      const starts = grants.filter(
        (g) => g.owner === 'lifeboat-drill' && g.actions.includes('states:StartExecution'),
      );
      const arn = (region: string, workflow: string) =>
        `arn:<AWS::Partition>:states:${region}:123456789012:stateMachine:lifeboat-${workflow}`;
      expect(starts.map(({ actions, resources }) => ({ actions, resources }))).toEqual([
        {
          actions: ['states:StartExecution'],
          resources: [
            arn('us-east-1', 'failover'),
            arn('us-east-1', 'failback'),
            arn('us-west-2', 'failover'),
            arn('us-west-2', 'failback'),
          ],
        },
      ]);
    });

    it('grants no action with a wildcard, and Resource "*" only to actions AWS does not scope', () => {
      expect(grants.flatMap((g) => g.actions.filter((a) => a.includes('*')))).toEqual([]);
      const unscoped = new Set([
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
        'cloudwatch:GetMetricData',
      ]);
      for (const grant of grants.filter((g) => g.resources.includes('*'))) {
        expect(grant.resources).toEqual(['*']);
        for (const action of grant.actions) expect([action, unscoped.has(action)]).toEqual([action, true]);
      }
    });

    it("reaches the ledger table in this region and the ledger's key only", () => {
      const ledger = grants.filter((g) => g.actions.some((a) => a.startsWith('dynamodb:')));
      expect(new Set(ledger.map((g) => g.owner))).toEqual(
        new Set(['lifeboat-backup', 'lifeboat-restore-test', 'lifeboat-drill']),
      );
      for (const grant of ledger) expect(grant.resources).toEqual([LEDGER_ARN]);
      const keyGrants = grants.filter((g) =>
        g.actions.some((a) => ['kms:Encrypt', 'kms:Decrypt'].includes(a)),
      );
      for (const grant of keyGrants) expect(grant.resources).toEqual([`<${logicalId(stack, key)}.Arn>`]);
    });

    it("snapshots each application's writer, in any of its regions, only as a tagged lifeboat-<application>- snapshot", () => {
      expect(grantsFor(grants, 'lifeboat-backup', 'rds:CreateDBSnapshot')).toEqual([
        {
          actions: ['rds:CreateDBSnapshot'],
          resources: [
            rds('us-east-1', 'db:ai-gateway-db-use1'),
            rds('us-west-2', 'db:ai-gateway-db-usw2'),
            rds('eu-west-1', 'db:ai-gateway-db-euw1'),
            rds('us-east-1', 'snapshot:lifeboat-ai-gateway-*'),
            rds('us-west-2', 'snapshot:lifeboat-ai-gateway-*'),
            rds('eu-west-1', 'snapshot:lifeboat-ai-gateway-*'),
          ],
          condition: TAGGED('ai-gateway'),
        },
      ]);
      expect(grantsFor(grants, 'lifeboat-backup', 'rds:CreateDBClusterSnapshot')).toEqual([
        {
          actions: ['rds:CreateDBClusterSnapshot'],
          resources: [
            rds('us-east-1', 'cluster:ai-gateway-drill-use1'),
            rds('us-west-2', 'cluster:ai-gateway-drill-usw2'),
            rds('us-east-1', 'cluster-snapshot:lifeboat-ai-gateway-drill-*'),
            rds('us-west-2', 'cluster-snapshot:lifeboat-ai-gateway-drill-*'),
          ],
          condition: TAGGED('ai-gateway-drill'),
        },
      ]);
    });

    it('copies into the copy region only with the tags, and names the source snapshots in the other regions', () => {
      expect(grantsFor(grants, 'lifeboat-backup', 'rds:CopyDBSnapshot')).toEqual([
        {
          actions: ['rds:CopyDBSnapshot'],
          resources: [rds('us-west-2', 'snapshot:lifeboat-ai-gateway-*')],
          condition: TAGGED('ai-gateway'),
        },
        {
          actions: ['rds:CopyDBSnapshot'],
          resources: [
            rds('us-east-1', 'snapshot:lifeboat-ai-gateway-*'),
            rds('eu-west-1', 'snapshot:lifeboat-ai-gateway-*'),
          ],
        },
      ]);
    });

    it("prunes only snapshots that carry the application's Lifeboat tag", () => {
      expect(grantsFor(grants, 'lifeboat-backup', 'rds:DeleteDBSnapshot')).toEqual([
        {
          actions: ['rds:DeleteDBSnapshot'],
          resources: [
            rds('us-east-1', 'snapshot:lifeboat-ai-gateway-*'),
            rds('us-west-2', 'snapshot:lifeboat-ai-gateway-*'),
            rds('eu-west-1', 'snapshot:lifeboat-ai-gateway-*'),
          ],
          condition: { StringEquals: { 'rds:snapshot-tag/lifeboat:application': 'ai-gateway' } },
        },
      ]);
      expect(grantsFor(grants, 'lifeboat-backup', 'rds:DeleteDBClusterSnapshot')).toEqual([
        {
          actions: ['rds:DeleteDBClusterSnapshot'],
          resources: [
            rds('us-east-1', 'cluster-snapshot:lifeboat-ai-gateway-drill-*'),
            rds('us-west-2', 'cluster-snapshot:lifeboat-ai-gateway-drill-*'),
          ],
          condition: {
            StringEquals: { 'rds:cluster-snapshot-tag/lifeboat:application': 'ai-gateway-drill' },
          },
        },
      ]);
    });

    it('uses the copy key, found by its alias, only through RDS in the copy region', () => {
      const key = `${P}:kms:us-west-2:${TEST_ACCOUNT}:key/*`;
      const copyKey = (alias: string) => ({
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [key],
        condition: {
          StringEquals: { 'kms:ViaService': 'rds.us-west-2.amazonaws.com' },
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [alias] },
        },
      });
      const both = [copyKey('alias/ai-gateway-backups'), copyKey('alias/ai-gateway-drill-backups')];
      expect(grantsFor(grants, 'lifeboat-restore-test', 'kms:CreateGrant')).toEqual(both);
      // The backup also reads snapshots encrypted with the writers' keys, through RDS in their regions:
      // any key there but the ledger's.
      expect(grantsFor(grants, 'lifeboat-backup', 'kms:CreateGrant')).toEqual([
        ...both,
        {
          actions: ['kms:CreateGrant', 'kms:DescribeKey'],
          resources: [`${P}:kms:us-east-1:${TEST_ACCOUNT}:key/*`, `${P}:kms:eu-west-1:${TEST_ACCOUNT}:key/*`],
          condition: {
            StringEquals: {
              'kms:ViaService': ['rds.us-east-1.amazonaws.com', 'rds.eu-west-1.amazonaws.com'],
            },
            'ForAllValues:StringNotEquals': { 'kms:ResourceAliases': ['alias/lifeboat-ledger'] },
          },
        },
      ]);
    });

    it('names a copy key given by id by its ARN in the copy region', () => {
      const byId = testConfig((doc) => {
        const backup = (doc.applications[0] as { backup: { copyKmsKeyId: string } }).backup;
        backup.copyKmsKeyId = '0123abcd-4567-89ab-cdef-0123456789ab';
      });
      const built = build('us-west-2', byId);
      const keyGrants = grantsFor(grantsOf(built.stack), 'lifeboat-restore-test', 'kms:CreateGrant');
      expect(keyGrants[0]).toEqual({
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [`${P}:kms:us-west-2:${TEST_ACCOUNT}:key/0123abcd-4567-89ab-cdef-0123456789ab`],
        condition: { StringEquals: { 'kms:ViaService': 'rds.us-west-2.amazonaws.com' } },
      });
    });

    it('restores only a tagged lifeboat-<application>- instance from its own copy, in the configured subnet group', () => {
      expect(grantsFor(grants, 'lifeboat-restore-test', 'rds:RestoreDBInstanceFromDBSnapshot')).toEqual([
        {
          actions: ['rds:RestoreDBInstanceFromDBSnapshot'],
          resources: [
            rds('us-west-2', 'db:lifeboat-ai-gateway-*'),
            rds('us-west-2', 'snapshot:lifeboat-ai-gateway-*'),
            rds('us-west-2', 'subgrp:ai-gateway-restore-test'),
            rds('us-west-2', 'og:default*'),
            rds('us-west-2', 'pg:default*'),
          ],
          condition: TAGGED('ai-gateway'),
        },
      ]);
      expect(grantsFor(grants, 'lifeboat-restore-test', 'rds:DeleteDBInstance')).toEqual([
        {
          actions: ['rds:DeleteDBInstance'],
          resources: [rds('us-west-2', 'db:lifeboat-ai-gateway-*')],
          condition: { StringEquals: { 'rds:db-tag/lifeboat:application': 'ai-gateway' } },
        },
        {
          actions: ['rds:DeleteDBInstance'],
          resources: [rds('us-west-2', 'db:lifeboat-ai-gateway-drill-*')],
          condition: { StringEquals: { 'rds:db-tag/lifeboat:application': 'ai-gateway-drill' } },
        },
      ]);
      expect(grantsFor(grants, 'lifeboat-restore-test', 'rds:DeleteDBCluster')).toEqual([
        {
          actions: ['rds:DeleteDBCluster'],
          resources: [rds('us-west-2', 'cluster:lifeboat-ai-gateway-drill-*')],
          condition: { StringEquals: { 'rds:cluster-tag/lifeboat:application': 'ai-gateway-drill' } },
        },
      ]);
    });

    it("lets the drill read, and change nothing but start a game day's failover and failback", () => {
      const writes = grants
        .filter((g) => g.owner === 'lifeboat-drill')
        .flatMap((g) => g.actions)
        .filter(
          (a) =>
            !/^(?:\w+:(?:Describe|Get|List|Query)|logs:|xray:|kms:(?:Decrypt|Encrypt|GenerateDataKey)$|dynamodb:PutItem$|states:StartExecution$)/.test(
              a,
            ),
        );
      expect(writes).toEqual([]);
      expect(grantsFor(grants, 'lifeboat-drill', 'eks:DescribeNodegroup')[0]?.resources).toEqual([
        `${P}:eks:us-east-1:${TEST_ACCOUNT}:nodegroup/ai-gateway-use1/general/*`,
        `${P}:eks:us-west-2:${TEST_ACCOUNT}:nodegroup/ai-gateway-usw2/general/*`,
        `${P}:eks:eu-west-1:${TEST_ACCOUNT}:nodegroup/ai-gateway-euw1/general/*`,
        // The drill application's too: the same function may drill it (a game day, or readiness by hand).
        `${P}:eks:us-east-1:${TEST_ACCOUNT}:nodegroup/ai-gateway-drill-use1/general/*`,
        `${P}:eks:us-west-2:${TEST_ACCOUNT}:nodegroup/ai-gateway-drill-usw2/general/*`,
      ]);
      expect(grantsFor(grants, 'lifeboat-drill', 'cloudwatch:DescribeAlarms')[0]?.resources).toContain(
        `${P}:cloudwatch:us-east-1:${TEST_ACCOUNT}:alarm:lifeboat-ai-gateway-us-east-1-route53-health`,
      );
    });
  });

  describe('cdk-nag AwsSolutions checks', () => {
    it('find nothing unacknowledged in a stack with the three workflows and their schedules', () => {
      const { app } = build('us-west-2');
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).not.toThrow();
    });
  });
});
