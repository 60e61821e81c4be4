import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LifeboatFunction } from '../../infra/constructs/LifeboatFunction.ts';
import { bundledConfigText, readBundledConfig } from '../../shared/config/bundledConfig.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { normalizedRecordName } from '../../infra/stacks/ControlPlaneStack.ts';
import { placeholderOf } from '../../shared/statemachines/placeholders.ts';
import { placeholdersOf } from '../../shared/statemachines/placeholders.ts';
import { synthLifeboat, templateOf, testConfig } from '../support/synth.ts';

const FAILOVER_FUNCTIONS = [
  'lifeboat-failover-input',
  'lifeboat-lock',
  'lifeboat-preflight',
  'lifeboat-database',
  'lifeboat-workloads',
  'lifeboat-traffic',
  'lifeboat-ledger',
  'lifeboat-notify',
  'lifeboat-custom',
  'lifeboat-approval',
];

describe('ControlPlaneStack', () => {
  const { stacks } = synthLifeboat();
  const west = stacks.controlPlanes.get('us-west-2')!;
  const t = templateOf(west);
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    west.getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);

  it("encrypts the alarm topic with the region's ledger key: no second KMS key per region", () => {
    t.resourceCountIs('AWS::KMS::Key', 0);
    const topics = Object.values(t.findResources('AWS::SNS::Topic')) as {
      Properties: { KmsMasterKeyId?: unknown };
    }[];
    expect(topics.length).toBeGreaterThan(0);
    for (const topic of topics) {
      expect(JSON.stringify(topic.Properties.KmsMasterKeyId)).toMatch(/LedgerKey/);
    }
  });

  it('runs one control plane per control-plane region, each after the ledger exists', () => {
    expect([...stacks.controlPlanes.keys()]).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
    for (const [region, stack] of stacks.controlPlanes) {
      expect(stack.region).toBe(region);
      expect(stack.dependencies.map((s) => s.stackName)).toContain('Lifeboat-State-us-east-1');
    }
    expect(stacks.detection.dependencies.map((s) => s.stackName).sort()).toEqual([
      'Lifeboat-ControlPlane-eu-west-1',
      'Lifeboat-ControlPlane-us-east-1',
      'Lifeboat-ControlPlane-us-west-2',
    ]);
  });

  it('receives forwarded detection events on the lifeboat bus and keeps them in a log group', () => {
    t.hasResourceProperties('AWS::Events::EventBus', { Name: 'lifeboat' });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^Bus') },
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'lifeboat-' }] },
      },
      Targets: Match.arrayWith([
        Match.objectLike({
          Arn: Match.objectLike({
            'Fn::Join': [
              '',
              Match.arrayWith([
                ':logs:us-west-2:123456789012:log-group:',
                { Ref: Match.stringLikeRegexp('^DetectionEvents') },
              ]),
            ],
          }),
        }),
      ]),
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/lifeboat/detection-events',
      RetentionInDays: 90,
    });
    // The policy document is a Fn::Join around the log group's ARN, so read it as text.
    const policies = Object.values(t.findResources('AWS::Logs::ResourcePolicy'));
    expect(policies).toHaveLength(1);
    const document = JSON.stringify(policies[0]);
    expect(document).toContain(
      '\\"Service\\":[\\"events.amazonaws.com\\",\\"delivery.logs.amazonaws.com\\"]',
    );
    expect(document).toContain('\\"Action\\":[\\"logs:CreateLogStream\\",\\"logs:PutLogEvents\\"]');
    expect(document).toMatch(/"Fn::GetAtt":\["DetectionEvents[0-9A-F]+","Arn"\]/);
  });

  it('refers to the ledger of its own region', () => {
    const stack = stacks.controlPlanes.get('eu-west-1')!;
    expect(stack.resolve(stack.ledgerTableArn)).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:eu-west-1:123456789012:table/lifeboat-ledger'],
      ],
    });
  });

  it('creates the step, trigger, probe, Slack callback, offer and scheduled functions, each named lifeboat-<folder>', () => {
    const names = Object.values(t.findResources('AWS::Lambda::Function')).map(
      (f) => (f as { Properties: { FunctionName: string } }).Properties.FunctionName,
    );
    expect(names.sort()).toEqual(
      [
        ...FAILOVER_FUNCTIONS,
        'lifeboat-trigger',
        'lifeboat-probe',
        'lifeboat-slack-callback',
        'lifeboat-offer',
        'lifeboat-run-ended',
        'lifeboat-evacuation',
        // us-west-2 is the example's copy region and first standby: it backs up, restore-tests and drills.
        'lifeboat-backup',
        'lifeboat-restore-test',
        'lifeboat-drill',
      ].sort(),
    );
    expect(Object.keys(west.failoverFunctions)).toEqual(FAILOVER_FUNCTIONS);
  });

  it.each(['failover', 'failback'])(
    'loads the %s definition with the ARN of each function in its placeholder',
    (workflow) => {
      const definition = readFileSync(
        fileURLToPath(new URL(`../../statemachines/${workflow}.asl.json`, import.meta.url)),
        'utf8',
      );
      const expected = Object.fromEntries(
        FAILOVER_FUNCTIONS.map((name) => [
          placeholderOf(name),
          {
            'Fn::GetAtt': [
              logicalId(west.failoverFunctions[name as keyof typeof west.failoverFunctions].function),
              'Arn',
            ],
          },
        ]),
      );
      expect(Object.keys(expected).sort()).toEqual(placeholdersOf(definition).sort());
      t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: `lifeboat-${workflow}`,
        StateMachineType: 'STANDARD',
        DefinitionSubstitutions: expected,
      });
    },
  );

  it("deploys each workflow's execution timeout in its definition's top-level TimeoutSeconds", () => {
    const timeoutOf = (stack: Stack): Record<string, unknown> =>
      Object.fromEntries(
        (
          Object.values(templateOf(stack).findResources('AWS::StepFunctions::StateMachine')) as {
            Properties: { StateMachineName: string; DefinitionString: string };
          }[]
        ).map((r) => [
          r.Properties.StateMachineName,
          (JSON.parse(r.Properties.DefinitionString) as { TimeoutSeconds?: unknown }).TimeoutSeconds,
        ]),
      );
    // slack.approvalTimeoutSeconds is 3600. The failover: a day and the approval; the failback and
    // the switchover: 12 h and the approval; the drill (ai-gateway-drill's game day runs here): its game day's limits,
    // 18000 + 43200 + 25560 s, and an hour.
    expect(timeoutOf(west)).toEqual({
      'lifeboat-failover': 90000,
      'lifeboat-failback': 46800,
      'lifeboat-switchover': 46800,
      'lifeboat-backup': 86400,
      'lifeboat-restore-test': 86400,
      'lifeboat-drill': 90360,
      // The evacuation: its input's timeoutSeconds (a day at most) and an hour for the record.
      'lifeboat-region-evacuation': 90000,
    });
    expect(timeoutOf(stacks.controlPlanes.get('eu-west-1')!)).toEqual({
      'lifeboat-failover': 90000,
      'lifeboat-failback': 46800,
      'lifeboat-switchover': 46800,
      'lifeboat-region-evacuation': 90000,
    });
  });

  it('sends detection events to the trigger as well as to the log', () => {
    const rules = Object.values(
      t.findResources('AWS::Events::Rule', { Properties: { EventBusName: Match.anyValue() } }),
    ) as {
      Properties: { Targets: { Arn: unknown }[] };
    }[];
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties.Targets).toHaveLength(2);
    expect(rules[0]!.Properties.Targets[1]!.Arn).toEqual({
      'Fn::GetAtt': [logicalId(west.trigger.function), 'Arn'],
    });
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [logicalId(west.trigger.function), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(west.detectionRule), 'Arn'] },
    });
  });

  it('tells the trigger which state machine to start and which table to read', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'lifeboat-trigger',
      Timeout: 60,
      Environment: {
        Variables: Match.objectLike({
          LIFEBOAT_FAILOVER_ARN: { Ref: logicalId(west.failover.stateMachine) },
          LIFEBOAT_TABLE_NAME: 'lifeboat-ledger',
        }),
      },
    });
  });

  it('gives the table name only to the functions that use the ledger', () => {
    const withTable = Object.values(t.findResources('AWS::Lambda::Function'))
      .map(
        (f) =>
          (f as { Properties: { FunctionName: string; Environment: { Variables: Record<string, unknown> } } })
            .Properties,
      )
      .filter((p) => p.Environment.Variables.LIFEBOAT_TABLE_NAME !== undefined)
      .map((p) => p.FunctionName);
    expect(withTable.sort()).toEqual([
      'lifeboat-approval',
      'lifeboat-backup',
      'lifeboat-drill',
      'lifeboat-evacuation',
      'lifeboat-failover-input',
      'lifeboat-ledger',
      'lifeboat-lock',
      'lifeboat-offer',
      'lifeboat-preflight',
      'lifeboat-restore-test',
      'lifeboat-run-ended',
      'lifeboat-slack-callback',
      'lifeboat-trigger',
    ]);
  });

  it('gives the functions that wait on other regions a minute and the rest the default', () => {
    const timeouts = Object.fromEntries(
      Object.values(t.findResources('AWS::Lambda::Function')).map((f) => {
        const p = (f as { Properties: { FunctionName: string; Timeout: number } }).Properties;
        return [p.FunctionName, p.Timeout];
      }),
    );
    expect(timeouts).toEqual({
      'lifeboat-failover-input': 30,
      'lifeboat-lock': 60,
      'lifeboat-preflight': 60,
      'lifeboat-database': 60,
      'lifeboat-workloads': 60,
      'lifeboat-traffic': 60,
      'lifeboat-ledger': 30,
      'lifeboat-notify': 30,
      'lifeboat-approval': 30,
      // The longest Lambda custom step's timeout and half a minute, at least a minute.
      'lifeboat-custom': 60,
      'lifeboat-trigger': 60,
      'lifeboat-probe': 70,
      'lifeboat-slack-callback': 10,
      'lifeboat-offer': 60,
      'lifeboat-run-ended': 30,
      'lifeboat-backup': 60,
      'lifeboat-restore-test': 60,
      'lifeboat-drill': 60,
      'lifeboat-evacuation': 60,
    });
  });
});

describe('bundledConfigText', () => {
  it('reads back as the same config, without the schema, when the config creates its health checks', () => {
    const config = testConfig();
    expect(readBundledConfig(bundledConfigText(config))).toEqual(config);
  });

  it('reads back as the same config when the config names an existing health check', () => {
    const config = testConfig((doc) => {
      (doc.applications[1] as { healthChecks: Record<string, unknown> }).healthChecks['us-west-2'] = {
        existingHealthCheckId: '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69',
      };
    });
    const read = readBundledConfig(bundledConfigText(config));
    expect(read.applications[1]!.healthChecks['us-west-2']).toEqual({
      kind: 'existing',
      healthCheckId: '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69',
    });
    expect(read).toEqual(config);
  });

  it('refuses, at synth, a config that would not read back from JSON', () => {
    const config = { ...testConfig(), account: undefined } as unknown as LifeboatConfig;
    expect(() => bundledConfigText(config)).toThrow(
      'The validated config does not read back as itself from JSON; the config schema must output plain JSON values',
    );
  });
});

describe('LifeboatFunction with a config', () => {
  it('bundles the validated config where the function reads process.env.LIFEBOAT_CONFIG, and not the config schema', () => {
    const stack = new Stack(new App(), 'Bundled', { env: { account: '123456789012', region: 'us-west-2' } });
    const notify = new LifeboatFunction(stack, 'Notify', {
      name: 'notify',
      description: 'Tells the team',
      logRetention: RetentionDays.ONE_DAY,
      config: testConfig(),
    });
    const staging = notify.function.node.findAll().find((c): c is AssetStaging => c instanceof AssetStaging);
    const bundle = readFileSync(join(staging!.absoluteStagedPath, 'index.mjs'), 'utf8');

    // Booleans, so that a failure does not print a bundle of half a megabyte.
    expect(bundle.includes('process.env.LIFEBOAT_CONFIG')).toBe(false);
    expect(bundle.includes(bundledConfigText(testConfig()))).toBe(true);
    // A message of the config schema: the function reads the config without it.
    expect(bundle.includes('expected a Secrets Manager secret name')).toBe(false);
  });
});

describe('placeholderOf', () => {
  it('names the definition placeholder of a function after its folder', () => {
    expect(placeholderOf('lifeboat-failover-input')).toBe('FailoverInputFunctionArn');
    expect(placeholderOf('lifeboat-lock')).toBe('LockFunctionArn');
  });
});

describe('normalizedRecordName', () => {
  it('lower-cases, drops the trailing dot and escapes other characters as Route 53 does', () => {
    expect(normalizedRecordName('Gateway.Example.com.')).toBe('gateway.example.com');
    expect(normalizedRecordName('*.gateway.example.com')).toBe('\\052.gateway.example.com');
    expect(normalizedRecordName('a_b-c.example.com')).toBe('a_b-c.example.com');
  });
});

describe('ControlPlaneStack static stability', () => {
  const { stacks } = synthLifeboat();
  const t = templateOf(stacks.controlPlanes.get('us-west-2')!);

  it("sends the default bus's status changes of this region's Lifeboat workflows that stopped, timed out or failed to run-ended", () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['ABORTED', 'TIMED_OUT', 'FAILED'],
          stateMachineArn: [
            {
              prefix: {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':states:us-west-2:123456789012:stateMachine:lifeboat-',
                  ],
                ],
              },
            },
          ],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RunEndedFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2 },
        }),
      ],
    });
  });

  it('runs the probe every minute for up to 70 s, publishing only to the Lifeboat namespace', () => {
    t.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'lifeboat-probe', Timeout: 70 });
    // Without active tracing (a trace a minute per region), unlike every other function.
    const tracing = Object.values(t.findResources('AWS::Lambda::Function')).map((f) => {
      const p = (f as { Properties: { FunctionName?: string; TracingConfig?: { Mode: string } } }).Properties;
      return [p.FunctionName, p.TracingConfig?.Mode];
    });
    expect(tracing.filter(([, mode]) => mode !== 'Active')).toEqual([['lifeboat-probe', undefined]]);
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProbeFunction'), 'Arn'] } }),
      ],
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ProbeFunction') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'cloudwatch:PutMetricData',
            Effect: 'Allow',
            Resource: '*',
            Condition: { StringEquals: { 'cloudwatch:namespace': 'Lifeboat' } },
          },
        ]),
      },
    });
  });

  it('alarms on the probe of each other application region after probeFailureThreshold failed rounds', () => {
    for (const [app, region] of [
      ['ai-gateway', 'us-east-1'],
      ['ai-gateway', 'eu-west-1'],
      ['ai-gateway-drill', 'us-east-1'],
    ] as const) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `lifeboat-${app}-${region}-probe-from-us-west-2`,
        Namespace: 'Lifeboat',
        MetricName: 'ProbeSuccess',
        Dimensions: Match.arrayWith([
          { Name: 'Application', Value: app },
          { Name: 'Region', Value: region },
        ]),
        Statistic: 'Minimum',
        Period: 10,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        TreatMissingData: 'missing',
      });
    }
    const probeAlarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
      (a as { Properties: { AlarmName: string } }).Properties.AlarmName.includes('-probe-from-'),
    );
    expect(probeAlarms).toHaveLength(3);
  });

  it('alarms on the fence of each record whose fence region it is, keeping its state without data', () => {
    // us-west-2 holds the votes of the records that must not vote in their own region, in the
    // applications' primary or in us-east-1 (fenceRegion); us-west-2's own go to eu-west-1.
    const fenceAlarms = Object.values(t.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => (a as { Properties: { AlarmName: string } }).Properties.AlarmName)
      .filter((name) => name.includes('-fence-from-'));
    expect(fenceAlarms.sort()).toEqual([
      'lifeboat-ai-gateway-drill-us-east-1-fence-from-us-west-2',
      'lifeboat-ai-gateway-eu-west-1-fence-from-us-west-2',
      'lifeboat-ai-gateway-us-east-1-fence-from-us-west-2',
    ]);
    for (const [app, region] of [
      ['ai-gateway', 'us-east-1'],
      ['ai-gateway', 'eu-west-1'],
      ['ai-gateway-drill', 'us-east-1'],
    ] as const) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `lifeboat-${app}-${region}-fence-from-us-west-2`,
        Namespace: 'Lifeboat',
        MetricName: 'Fence',
        Dimensions: Match.arrayWith([
          { Name: 'Application', Value: app },
          { Name: 'Region', Value: region },
        ]),
        Statistic: 'Maximum',
        // Route 53's CLOUDWATCH_METRIC checks do not support high-resolution (sub-minute) alarms.
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        TreatMissingData: 'ignore',
      });
    }
  });

  it("forwards this region's alarm state changes from the default bus to the lifeboat bus", () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.absent(),
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'lifeboat-' }] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bus'), 'Arn'] } })],
    });
  });
});
