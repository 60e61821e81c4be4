import type { Stack } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LifeboatFunction } from '../../infra/constructs/LifeboatFunction.ts';
import { Workflow } from '../../infra/constructs/Workflow.ts';
import { fixturePath } from '../support/fixtures.ts';
import { synthLifeboat } from '../support/synth.ts';

describe('cdk-nag AwsSolutions checks', () => {
  it('find nothing unacknowledged in any stack of the example deployment', () => {
    // This one builds every Lambda bundle too, so a handler that does not bundle fails here.
    const { app } = synthLifeboat(undefined, { nag: true, bundle: true });
    expect(() => app.synth()).not.toThrow();
  });

  it('find nothing unacknowledged in a stack with a function and a workflow', () => {
    const { app, stacks } = synthLifeboat();
    const stack = stacks.controlPlanes.get('us-west-2')!;
    const echo = new LifeboatFunction(stack, 'Echo', {
      name: 'echo',
      description: 'Returns its input',
      entry: fixturePath('functions/echo/handler.ts'),
      logRetention: RetentionDays.ONE_MONTH,
    });
    new Workflow(stack, 'EchoFlow', {
      name: 'echo',
      definitionFile: fixturePath('statemachines/echo.asl.json'),
      substitutions: { EchoFunctionArn: echo.function.functionArn },
      functions: [echo.function],
      logRetention: RetentionDays.ONE_MONTH,
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('fail the synth when a finding is not acknowledged', () => {
    const { app, stacks } = synthLifeboat();
    new Queue(stacks.controlPlanes.get('us-east-1') as Stack, 'Unprotected');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
