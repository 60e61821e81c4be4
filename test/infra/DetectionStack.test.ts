import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { DetectionStack } from '../../infra/stacks/DetectionStack.ts';
import { synthLifeboat, templateOf, testConfig } from '../support/synth.ts';

describe('DetectionStack', () => {
  const { stacks } = synthLifeboat();
  const template = templateOf(stacks.detection);

  it('is deployed to us-east-1, where Route 53 publishes health-check metrics', () => {
    expect(stacks.detection.region).toBe('us-east-1');
    expect(
      () =>
        new DetectionStack(new App(), 'Elsewhere', { env: { region: 'us-west-2' }, config: testConfig() }),
    ).toThrow(
      'DetectionStack must be deployed to us-east-1, where Route 53 publishes health-check metrics (got us-west-2)',
    );
  });

  it('creates one health check per application region with the configured interval and threshold', () => {
    template.resourceCountIs('AWS::Route53::HealthCheck', 5);
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: {
        Type: 'HTTPS',
        FullyQualifiedDomainName: 'use1.gateway.example.com',
        ResourcePath: '/health/liveliness',
        Port: 443,
        RequestInterval: 10,
        FailureThreshold: 3,
        EnableSNI: true,
      },
      HealthCheckTags: Match.arrayWith([{ Key: 'lifeboat:application', Value: 'ai-gateway' }]),
    });
  });

  it('alarms on AWS/Route53 HealthCheckStatus of each check, in us-east-1, after one failing minute', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    const checks = template.findResources('AWS::Route53::HealthCheck');
    const useast1 = Object.entries(checks).find(
      ([, r]) =>
        (r as { Properties: { HealthCheckConfig: { FullyQualifiedDomainName: string } } }).Properties
          .HealthCheckConfig.FullyQualifiedDomainName === 'use1.gateway.example.com',
    )![0];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'lifeboat-ai-gateway-us-east-1-route53-health',
      Namespace: 'AWS/Route53',
      MetricName: 'HealthCheckStatus',
      Dimensions: [{ Name: 'HealthCheckId', Value: { 'Fn::GetAtt': [useast1, 'HealthCheckId'] } }],
      Statistic: 'Minimum',
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'missing',
    });
  });

  it('uses an existing health check instead of creating one', () => {
    const config = testConfig((doc) => {
      (doc.applications[1] as { healthChecks: Record<string, unknown> }).healthChecks['us-west-2'] = {
        existingHealthCheckId: '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69',
      };
    });
    const t = templateOf(synthLifeboat(config).stacks.detection);
    t.resourceCountIs('AWS::Route53::HealthCheck', 4);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'lifeboat-ai-gateway-drill-us-west-2-route53-health',
      Dimensions: [{ Name: 'HealthCheckId', Value: '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69' }],
    });
  });

  it('forwards Lifeboat alarm state changes to the lifeboat bus of every control-plane region', () => {
    template.resourceCountIs('AWS::Events::Rule', 1);
    const busArn = (region: string) => ({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, `:events:${region}:123456789012:event-bus/lifeboat`],
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'lifeboat-' }] },
      },
      Targets: ['us-east-1', 'us-west-2', 'eu-west-1'].map((region) =>
        Match.objectLike({
          Arn: busArn(region),
          RoleArn: Match.anyValue(),
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ),
    });
  });

  it('splits forwarding into rules of five targets when there are more control-plane regions', () => {
    const regions = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-central-1'];
    const t = templateOf(
      synthLifeboat(testConfig((doc) => (doc.controlPlaneRegions = regions))).stacks.detection,
    );
    const rules = Object.values(t.findResources('AWS::Events::Rule')) as {
      Properties: { Targets: unknown[] };
    }[];
    expect(rules.map((r) => r.Properties.Targets.length)).toEqual([5, 1]);
  });

  it('keeps undeliverable events in an encrypted dead-letter queue that requires TLS', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});
