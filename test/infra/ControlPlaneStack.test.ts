import { Match } from 'aws-cdk-lib/assertions';
import { synthLifeboat, templateOf } from '../support/synth.ts';

describe('ControlPlaneStack', () => {
  const { stacks } = synthLifeboat();

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
    const t = templateOf(stacks.controlPlanes.get('us-west-2')!);
    t.hasResourceProperties('AWS::Events::EventBus', { Name: 'lifeboat' });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^Bus') },
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'lifeboat-' }] },
      },
      Targets: [
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
      ],
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
});
