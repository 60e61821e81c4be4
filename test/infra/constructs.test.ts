import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LifeboatFunction } from '../../infra/constructs/LifeboatFunction.ts';
import { Workflow } from '../../infra/constructs/Workflow.ts';
import { placeholdersOf } from '../../shared/statemachines/placeholders.ts';
import { fixturePath } from '../support/fixtures.ts';

function stackWithEcho(): { stack: Stack; echo: LifeboatFunction } {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'us-west-2' } });
  const echo = new LifeboatFunction(stack, 'Echo', {
    name: 'echo',
    description: 'Returns its input',
    entry: fixturePath('functions/echo/handler.ts'),
    logRetention: RetentionDays.ONE_MONTH,
    environment: { LIFEBOAT_TABLE_NAME: 'lifeboat-ledger' },
  });
  return { stack, echo };
}

describe('LifeboatFunction', () => {
  const { stack } = stackWithEcho();
  const template = Template.fromStack(stack);

  it('runs Node.js 24 on arm64 with active tracing and the Powertools environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'lifeboat-echo',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'lifeboat-echo',
          POWERTOOLS_METRICS_NAMESPACE: 'Lifeboat',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          LIFEBOAT_TABLE_NAME: 'lifeboat-ledger',
        },
      },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^EchoLogGroup') } },
    });
  });

  it('logs to its own log group with the configured retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/lambda/lifeboat-echo',
      RetentionInDays: 30,
    });
  });

  it('has a role with no managed policies that may write only to its own log group', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      },
      ManagedPolicyArns: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: {
              'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^EchoLogGroup'), 'Arn'] }, ':*']],
            },
          },
        ]),
      },
    });
  });

  it('rejects a name that is not a functions/ folder', () => {
    const stack2 = new Stack(new App(), 'Bad');
    expect(
      () =>
        new LifeboatFunction(stack2, 'Bad', {
          name: 'Fail Over',
          description: 'x',
          logRetention: RetentionDays.ONE_DAY,
        }),
    ).toThrow(
      'LifeboatFunction Bad: name "Fail Over" must be a folder name under functions/ (lowercase, digits, hyphens)',
    );
  });

  it('rejects a memory size Lambda does not offer', () => {
    const stack2 = new Stack(new App(), 'Bad');
    expect(
      () =>
        new LifeboatFunction(stack2, 'Big', {
          name: 'echo',
          entry: fixturePath('functions/echo/handler.ts'),
          description: 'x',
          logRetention: RetentionDays.ONE_DAY,
          memorySize: 20000,
        }),
    ).toThrow("LifeboatFunction Big: memorySize 20000 is outside Lambda's 128 to 10240 MB");
  });
});

describe('Workflow', () => {
  const definitionFile = fixturePath('statemachines/echo.asl.json');

  function stackWithEchoWorkflow(): Stack {
    const { stack, echo } = stackWithEcho();
    new Workflow(stack, 'EchoFlow', {
      name: 'echo',
      definitionFile,
      substitutions: { EchoFunctionArn: echo.function.functionArn },
      functions: [echo.function],
      logRetention: RetentionDays.ONE_MONTH,
    });
    return stack;
  }

  it('loads the definition file, substitutes its placeholders, logs ALL and traces', () => {
    const stack = stackWithEchoWorkflow();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'lifeboat-echo',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EchoFlowLogGroup'), 'Arn'] },
            },
          },
        ],
      },
      DefinitionSubstitutions: {
        EchoFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EchoFunction'), 'Arn'] },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/vendedlogs/states/lifeboat-echo',
    });
  });

  it("puts the execution timeout in the definition's top-level TimeoutSeconds, where Step Functions reads it", () => {
    const stack = stackWithEchoWorkflow();
    const machines = Object.values(
      Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'),
    ) as { Properties: { DefinitionString: string; DefinitionS3Location?: unknown } }[];
    expect(machines).toHaveLength(1);
    // The file as it is (its `${...}` ARNs filled in by Step Functions at deployment), plus a day's timeout.
    const file = JSON.parse(readFileSync(definitionFile, 'utf8')) as Record<string, unknown>;
    expect(JSON.parse(machines[0]!.Properties.DefinitionString)).toEqual({ ...file, TimeoutSeconds: 86400 });
    expect(machines[0]!.Properties.DefinitionS3Location).toBeUndefined();
  });

  it('writes a given timeout into the definition', () => {
    const { stack, echo } = stackWithEcho();
    new Workflow(stack, 'EchoFlow', {
      name: 'echo',
      definitionFile,
      substitutions: { EchoFunctionArn: echo.function.functionArn },
      logRetention: RetentionDays.ONE_MONTH,
      timeout: Duration.hours(2),
    });
    const [machine] = Object.values(
      Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'),
    ) as { Properties: { DefinitionString: string } }[];
    expect(
      (JSON.parse(machine!.Properties.DefinitionString) as { TimeoutSeconds: number }).TimeoutSeconds,
    ).toBe(7200);
  });

  it('refuses a definition file that sets its own TimeoutSeconds: the construct is its one source', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-workflow-'));
    try {
      const file = join(dir, 'echo.asl.json');
      const asl = JSON.parse(readFileSync(definitionFile, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...asl, TimeoutSeconds: 60 }));
      const { stack, echo } = stackWithEcho();
      expect(
        () =>
          new Workflow(stack, 'Timed', {
            name: 'echo',
            definitionFile: file,
            substitutions: { EchoFunctionArn: echo.function.functionArn },
            logRetention: RetentionDays.ONE_DAY,
          }),
      ).toThrow(
        `Workflow echo: ${file} sets TimeoutSeconds; give the workflow's timeout to the construct instead`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a timeout Step Functions does not accept', () => {
    const { stack, echo } = stackWithEcho();
    expect(
      () =>
        new Workflow(stack, 'Long', {
          name: 'echo',
          definitionFile,
          substitutions: { EchoFunctionArn: echo.function.functionArn },
          logRetention: RetentionDays.ONE_DAY,
          timeout: Duration.days(400),
        }),
    ).toThrow(
      'Workflow echo: timeout 34560000 s is not a whole number of seconds from 1 to 31536000 (a year)',
    );
  });

  it('lets the workflow invoke the functions it names and no others', () => {
    const stack = stackWithEchoWorkflow();
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', {
      Properties: { PolicyName: Match.stringLikeRegexp('^EchoFlowStateMachineRole') },
    });
    const statements = (
      Object.values(policies)[0] as {
        Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } };
      }
    ).Properties.PolicyDocument.Statement;
    const invoke = statements.find((s) => s.Action === 'lambda:InvokeFunction');
    expect(invoke?.Resource).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^EchoFunction/), 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^EchoFunction/), 'Arn'] }, ':*']] },
    ]);
  });

  it('refuses a definition whose placeholder has no value', () => {
    const { stack } = stackWithEcho();
    expect(
      () =>
        new Workflow(stack, 'Missing', {
          name: 'echo',
          definitionFile,
          substitutions: {},
          logRetention: RetentionDays.ONE_DAY,
        }),
    ).toThrow(
      `Workflow echo: ${definitionFile} uses \${EchoFunctionArn} but substitutions has no value for it`,
    );
  });

  it('refuses a substitution the definition does not use', () => {
    const { stack } = stackWithEcho();
    expect(
      () =>
        new Workflow(stack, 'Extra', {
          name: 'echo',
          definitionFile,
          substitutions: { EchoFunctionArn: 'arn', TableName: 't' },
          logRetention: RetentionDays.ONE_DAY,
        }),
    ).toThrow(`Workflow echo: ${definitionFile} substitutions TableName are not used by the definition`);
  });

  it('names the file when the definition cannot be loaded', () => {
    const { stack } = stackWithEcho();
    expect(
      () =>
        new Workflow(stack, 'Gone', {
          name: 'no-such-workflow',
          substitutions: {},
          logRetention: RetentionDays.ONE_DAY,
        }),
    ).toThrow(/Workflow no-such-workflow: cannot load .*statemachines\/no-such-workflow\.asl\.json/);
  });

  it('lists placeholders once each, in order of first use', () => {
    expect(placeholdersOf('{"a":"${B}","b":"${A}","c":"${B}","d":"$.x"}')).toEqual(['B', 'A']);
  });
});
