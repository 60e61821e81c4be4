import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LifeboatDashboard } from '../../infra/constructs/LifeboatDashboard.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';
import { dashboardRegion } from '../../shared/config/naming.ts';
import { synthLifeboat, testConfig } from '../support/synth.ts';

const config = parseConfig(exampleConfigDocument());
const MACHINE = (name: string) => `arn:aws:states:us-west-2:123456789012:stateMachine:lifeboat-${name}`;

function build(options: { nag?: boolean; healthCheckIds?: boolean } = {}) {
  const app = new App();
  const stack = new Stack(app, 'Bare', { env: { account: '123456789012', region: 'us-west-2' } });
  // A bare function stands in for the trigger: only its Errors metric is used.
  const trigger = LambdaFunction.fromFunctionName(stack, 'Trigger', 'lifeboat-trigger');
  const dashboard = new LifeboatDashboard(stack, 'Dashboard', {
    applications: config.applications,
    controlPlaneRegions: config.controlPlaneRegions,
    workflows: ['failover', 'failback', 'backup'].map((name) => ({ name, stateMachineArn: MACHINE(name) })),
    triggerFunction: trigger,
    ...(options.healthCheckIds === true
      ? { healthCheckIds: { 'ai-gateway': { 'us-east-1': 'hc-use1', 'us-west-2': 'hc-usw2' } } }
      : {}),
  });
  if (options.nag === true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, dashboard };
}

function body(template: Template): string {
  const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
  const [resource] = Object.values(dashboards) as { Properties: { DashboardBody: unknown } }[];
  return JSON.stringify(resource!.Properties.DashboardBody);
}

describe('LifeboatDashboard', () => {
  const { stack } = build({ healthCheckIds: true });
  const template = Template.fromStack(stack);
  const text = body(template);

  it('makes one dashboard for the region', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'lifeboat-us-west-2' });
  });

  it('reads health checks in us-east-1, where Route 53 publishes them', () => {
    expect(text).toContain('\\"AWS/Route53\\",\\"HealthCheckStatus\\",\\"HealthCheckId\\",\\"hc-use1\\"');
    expect(text).toMatch(/HealthCheckStatus[^\]]*hc-usw2[^\]]*\\"region\\":\\"us-east-1\\"/);
    // An application without ids is searched for, also in us-east-1.
    expect(text).toContain('SEARCH(');
  });

  it('reads replica lag in each replica’s region, and the weights and RTO from every control-plane region', () => {
    expect(text).toMatch(/ReplicaLag[^\]]*ai-gateway-db-euw1[^\]]*\\"region\\":\\"eu-west-1\\"/);
    expect(text).toContain('AuroraGlobalDBReplicationLag');
    // The example's store: its members' lag, searched by replication group in each standby's region.
    expect(text).toMatch(
      /MAX\(SEARCH\('\{AWS\/ElastiCache,CacheClusterId\} MetricName=\\+"GlobalDatastoreReplicationLag\\+" CacheClusterId=ai-gateway-budgets-usw2', 'Maximum', 60\)\)/,
    );
    expect(text).toMatch(/ai-gateway-budgets-euw1[^\]]*\\"region\\":\\"eu-west-1\\"/);
    for (const from of config.controlPlaneRegions) {
      expect(text).toMatch(new RegExp(`DnsWeight[^\\]]*\\\\"region\\\\":\\\\"${from}\\\\"`));
      expect(text).toMatch(new RegExp(`RtoSeconds[^\\]]*\\\\"region\\\\":\\\\"${from}\\\\"`));
    }
  });

  it('graphs executions started and failed per state machine', () => {
    for (const name of ['failover', 'failback', 'backup']) {
      expect(text).toContain(
        `\\"AWS/States\\",\\"ExecutionsStarted\\",\\"StateMachineArn\\",\\"${MACHINE(name)}\\"`,
      );
      expect(text).toContain(
        `\\"AWS/States\\",\\"ExecutionsFailed\\",\\"StateMachineArn\\",\\"${MACHINE(name)}\\"`,
      );
    }
  });

  it('alarms on every workflow failing, the trigger erring and an approval waiting over an hour', () => {
    const topic = Match.objectLike({ Ref: Match.stringLikeRegexp('AlarmTopic') });
    for (const name of ['failover', 'failback', 'backup']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `lifeboat-${name}-failed-us-west-2`,
        Namespace: 'AWS/States',
        MetricName: 'ExecutionsFailed',
        Dimensions: [{ Name: 'StateMachineArn', Value: MACHINE(name) }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'lifeboat-trigger-errors-us-west-2',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: Match.anyValue() }],
      AlarmActions: [topic],
    });
    expect(JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'))).toContain('lifeboat-trigger');
    for (const name of ['failover', 'failback']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `lifeboat-${name}-approval-waiting-us-west-2`,
        Namespace: 'Lifeboat',
        MetricName: 'ApprovalWaitSeconds',
        Dimensions: [{ Name: 'Workflow', Value: name }],
        Statistic: 'Maximum',
        Threshold: 3600,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [topic],
      });
    }
    // The backup never asks a person.
    expect(
      Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
        JSON.stringify(a).includes('lifeboat-backup-approval'),
      ),
    ).toEqual([]);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
  });

  it('sends alarms to an SNS topic encrypted with a rotated key CloudWatch may use, over TLS only', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AlarmTopicKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('is clean under cdk-nag AwsSolutions in a bare stack', () => {
    const { app } = build({ nag: true });
    expect(() => app.synth()).not.toThrow();
  });

  it('fails cdk-nag when a finding is not acknowledged, so the check above can fail', () => {
    const { app, stack } = build({ nag: true });
    new LambdaFunction(stack, 'Unmanaged', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => 1;'),
    });
    expect(() => app.synth()).toThrow(/AwsSolutions-/);
  });
});

describe('where the dashboards are', () => {
  const dashboardsByRegion = (config = testConfig()) => {
    const { stacks } = synthLifeboat(config);
    return new Map(
      [...stacks.controlPlanes].map(([region, stack]) => {
        const template = Template.fromStack(stack);
        return [
          region,
          {
            dashboards: Object.keys(template.findResources('AWS::CloudWatch::Dashboard')).length,
            alarms: Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
              JSON.stringify(a).includes('lifeboat-failover-failed'),
            ).length,
            body: JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard')),
          },
        ];
      }),
    );
  };

  it('makes one by default, in the first control-plane region that is no application primary, and alarms in every region', () => {
    const byRegion = dashboardsByRegion();
    // Both example applications are served from us-east-1.
    expect(dashboardRegion(testConfig())).toBe('us-west-2');
    expect([...byRegion].map(([r, f]) => [r, f.dashboards, f.alarms])).toEqual([
      ['us-east-1', 0, 1],
      ['us-west-2', 1, 1],
      ['eu-west-1', 0, 1],
    ]);
    // It graphs the workflows of every control-plane region, each read in its own region.
    const body = byRegion.get('us-west-2')?.body ?? '';
    for (const region of ['us-east-1', 'us-west-2', 'eu-west-1']) {
      expect(body).toContain(`stateMachine:lifeboat-failover`);
      expect(body).toContain(`failover (${region})`);
      expect(body).toContain(`failback (${region})`);
    }
  });

  it('makes one in each control-plane region with dashboards "every-region"', () => {
    const byRegion = dashboardsByRegion(
      testConfig((doc) => {
        (doc as Record<string, unknown>).dashboards = 'every-region';
      }),
    );
    expect([...byRegion.values()].map((f) => f.dashboards)).toEqual([1, 1, 1]);
  });

  it('falls back to the first control-plane region when each is some application primary', () => {
    const config = testConfig();
    expect(dashboardRegion({ ...config, controlPlaneRegions: ['us-east-1'] })).toBe('us-east-1');
    expect(dashboardRegion({ ...config, controlPlaneRegions: ['us-east-1', 'eu-west-1'] })).toBe('eu-west-1');
  });

  it('refuses a dashboards value it does not know, naming the field and the choices', () => {
    expect(() =>
      testConfig((doc) => {
        (doc as Record<string, unknown>).dashboards = 'all';
      }),
    ).toThrow(/dashboards: expected "one" or "every-region"/);
  });
});
