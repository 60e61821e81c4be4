import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { DetectionStack } from '../../infra/stacks/DetectionStack.ts';
import {
  FENCE_METRIC,
  FENCE_NAMESPACE,
  STANDARD_RESOLUTION_SECONDS,
} from '../../shared/aws/CloudWatchFence.ts';
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
    // Per application region (5): the endpoint check, its fence vote (one, in its fence region) and
    // the calculated check the record carries.
    template.resourceCountIs('AWS::Route53::HealthCheck', 15);
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: {
        Type: 'HTTP',
        FullyQualifiedDomainName: 'use1.gateway.example.com',
        ResourcePath: '/health/liveliness',
        Port: 80,
        RequestInterval: 30,
        FailureThreshold: 3,
      },
      HealthCheckTags: Match.arrayWith([{ Key: 'lifeboat:application', Value: 'ai-gateway' }]),
    });
  });

  it('creates HTTPS checks with SNI at the fast interval where the config asks for them', () => {
    const config = testConfig((doc) => {
      const checks = (doc.applications[0] as { healthChecks: Record<string, Record<string, unknown>> })
        .healthChecks;
      Object.assign(checks['us-east-1']!, { https: true, port: 443, intervalSeconds: 10 });
    });
    templateOf(synthLifeboat(config).stacks.detection).hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: {
        Type: 'HTTPS',
        FullyQualifiedDomainName: 'use1.gateway.example.com',
        Port: 443,
        RequestInterval: 10,
        EnableSNI: true,
      },
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
    // No endpoint check for that region; its record is the existing check and its vote.
    t.resourceCountIs('AWS::Route53::HealthCheck', 14);
    const record = Object.values(t.findResources('AWS::Route53::HealthCheck')).find(
      (r) =>
        JSON.stringify(r).includes('0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69') &&
        JSON.stringify(r).includes('CALCULATED'),
    ) as { Properties: { HealthCheckConfig: { HealthThreshold: number; ChildHealthChecks: unknown[] } } };
    expect(record.Properties.HealthCheckConfig.ChildHealthChecks).toHaveLength(2);
    expect(record.Properties.HealthCheckConfig.HealthThreshold).toBe(2);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'lifeboat-ai-gateway-drill-us-west-2-route53-health',
      Dimensions: [{ Name: 'HealthCheckId', Value: '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69' }],
    });
  });

  it('forwards Lifeboat alarm state changes to the lifeboat bus of every other control-plane region', () => {
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
      // Not us-east-1's own bus: its control plane's regional rule delivers there.
      Targets: ['us-west-2', 'eu-west-1'].map((region) =>
        Match.objectLike({
          Arn: busArn(region),
          RoleArn: Match.anyValue(),
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ),
    });
  });

  it('forwards to every control-plane region when none runs in us-east-1', () => {
    // The example with us-east-2 wherever it names us-east-1.
    const config = testConfig((doc) => {
      Object.assign(doc, JSON.parse(JSON.stringify(doc).replaceAll('"us-east-1"', '"us-east-2"')));
    });
    const rules = Object.values(
      templateOf(synthLifeboat(config).stacks.detection).findResources('AWS::Events::Rule'),
    ) as { Properties: { Targets: { Arn: { 'Fn::Join': [string, unknown[]] } }[] } }[];
    expect(
      rules.flatMap((r) =>
        r.Properties.Targets.map((t) => JSON.stringify(t.Arn).match(/:events:([a-z0-9-]+):/)?.[1]),
      ),
    ).toEqual(['us-east-2', 'us-west-2', 'eu-west-1']);
  });

  it('splits forwarding into rules of five targets when there are more control-plane regions', () => {
    const regions = [
      'us-east-1',
      'us-east-2',
      'us-west-1',
      'us-west-2',
      'eu-west-1',
      'eu-central-1',
      'eu-north-1',
    ];
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

describe('DetectionStack record health checks', () => {
  const { stacks } = synthLifeboat();
  const template = templateOf(stacks.detection);
  const checks = template.findResources('AWS::Route53::HealthCheck');
  const tagOf = (r: unknown, key: string) =>
    (
      r as { Properties: { HealthCheckTags: { Key: string; Value: string }[] } }
    ).Properties.HealthCheckTags.find((t) => t.Key === key)?.Value;
  const idOf = (app: string, region: string, role: string) =>
    Object.entries(checks).find(
      ([, r]) =>
        tagOf(r, 'lifeboat:application') === app &&
        tagOf(r, 'lifeboat:region') === region &&
        tagOf(r, 'lifeboat:role') === role,
    )?.[0];

  const props = (id: string, from = checks) =>
    (from[id] as { Properties: { HealthCheckConfig: Record<string, unknown> } }).Properties.HealthCheckConfig;
  const childrenOf = (config: Record<string, unknown>) =>
    (config.ChildHealthChecks as { 'Fn::GetAtt': [string, string] }[]).map((c) => c['Fn::GetAtt'][0]);

  it("gives each region's record one fence vote, on an alarm in its fence region: never its own, the primary or us-east-1 while another remains", () => {
    const votedIn = (app: string, region: string) =>
      Object.values(checks)
        .filter(
          (r) =>
            tagOf(r, 'lifeboat:application') === app &&
            tagOf(r, 'lifeboat:region') === region &&
            tagOf(r, 'lifeboat:role') === 'fence',
        )
        .map((r) => {
          const c = (r as { Properties: { HealthCheckConfig: Record<string, unknown> } }).Properties
            .HealthCheckConfig;
          expect(c.InsufficientDataHealthStatus).toBe('LastKnownStatus');
          return (c.AlarmIdentifier as { Region: string; Name: string }).Region;
        });
    expect(['us-east-1', 'us-west-2', 'eu-west-1'].map((r) => votedIn('ai-gateway', r))).toEqual([
      ['us-west-2'],
      ['eu-west-1'],
      ['us-west-2'],
    ]);
    expect(['us-east-1', 'us-west-2'].map((r) => votedIn('ai-gateway-drill', r))).toEqual([
      ['us-west-2'],
      ['eu-west-1'],
    ]);
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: {
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Region: 'us-west-2', Name: 'lifeboat-ai-gateway-eu-west-1-fence-from-us-west-2' },
        InsufficientDataHealthStatus: 'LastKnownStatus',
      },
    });
  });

  it('gives each record a calculated check healthy only when the endpoint is and its vote is open', () => {
    const endpoint = idOf('ai-gateway', 'eu-west-1', 'endpoint');
    const record = idOf('ai-gateway', 'eu-west-1', 'record');
    expect(idOf('ai-gateway', 'eu-west-1', 'endpoint-copy')).toBeUndefined();
    const config = props(record!);
    expect(config.Type).toBe('CALCULATED');
    const children = childrenOf(config);
    expect(children[0]).toBe(endpoint);
    expect(children.slice(1).map((v) => props(v).Type)).toEqual(['CLOUDWATCH_METRIC']);
    // Route 53's arithmetic: healthy when at least HealthThreshold children are.
    const threshold = config.HealthThreshold as number;
    for (const up of [true, false]) {
      for (const open of [true, false]) {
        expect([up, open, Number(up) + Number(open) >= threshold]).toEqual([up, open, up && open]);
      }
    }
  });

  it('with fenceVotes "majority", gives each record a vote in every control-plane region and a calculated check over the endpoint twice and the votes: the endpoint and two of three votes', () => {
    const majority = templateOf(
      synthLifeboat(testConfig((doc) => Object.assign(doc, { fenceVotes: 'majority' }))).stacks.detection,
    );
    const all = majority.findResources('AWS::Route53::HealthCheck');
    majority.resourceCountIs('AWS::Route53::HealthCheck', 30);
    const find = (region: string, role: string) =>
      Object.entries(all).find(
        ([, r]) =>
          tagOf(r, 'lifeboat:application') === 'ai-gateway' &&
          tagOf(r, 'lifeboat:region') === region &&
          tagOf(r, 'lifeboat:role') === role,
      )?.[0];
    const endpoint = find('eu-west-1', 'endpoint');
    const copy = find('eu-west-1', 'endpoint-copy');
    expect(copy).toBeDefined();
    // The copy watches the same endpoint with the same settings.
    expect(props(copy!, all)).toEqual(props(endpoint!, all));
    const config = props(find('eu-west-1', 'record')!, all);
    const children = childrenOf(config);
    expect(children.slice(0, 2)).toEqual([endpoint, copy]);
    expect(
      children.slice(2).map((v) => (props(v, all).AlarmIdentifier as { Region: string }).Region),
    ).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
    // Every combination of endpoint health and votes gives AND(endpoint, at least two of three votes open).
    const threshold = config.HealthThreshold as number;
    for (let mask = 0; mask < 8; mask++) {
      const open = [0, 1, 2].filter((i) => (mask & (1 << i)) !== 0).length;
      for (const up of [true, false]) {
        const healthy = (up ? 2 : 0) + open;
        expect([up, open, healthy >= threshold]).toEqual([up, open, up && open >= 2]);
      }
    }
  });

  it('outputs the id of each calculated check, which the weighted record must carry', () => {
    const outputs = Object.values(template.findOutputs('*')) as { Value: unknown; Description: string }[];
    const record = idOf('ai-gateway-drill', 'us-west-2', 'record');
    const output = outputs.find(
      (o) => JSON.stringify(o.Value) === JSON.stringify({ 'Fn::GetAtt': [record, 'HealthCheckId'] }),
    );
    expect(output?.Description).toContain('must carry');
    expect(outputs.filter((o) => o.Description.includes('must carry'))).toHaveLength(5);
  });

  it('watches only alarms Route 53 supports: standard resolution, a period of whole minutes, a plain statistic', () => {
    // Route 53 supports alarms on standard-resolution metrics only, and no extended statistics
    // (https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html).
    expect(STANDARD_RESOLUTION_SECONDS).toBe(60);
    const watched = Object.values(checks)
      .map(
        (r) =>
          (r as { Properties: { HealthCheckConfig: { Type: string; AlarmIdentifier?: unknown } } }).Properties
            .HealthCheckConfig,
      )
      .filter((c) => c.Type === 'CLOUDWATCH_METRIC')
      .map((c) => c.AlarmIdentifier as { Region: string; Name: string });
    expect(watched).toHaveLength(5);
    for (const { Region, Name } of watched) {
      const alarms = Object.values(
        templateOf(stacks.controlPlanes.get(Region)!).findResources('AWS::CloudWatch::Alarm', {
          Properties: { AlarmName: Name },
        }),
      ) as { Properties: { Namespace: string; MetricName: string; Period: number; Statistic: string } }[];
      expect(alarms).toHaveLength(1);
      const { Namespace, MetricName, Period, Statistic } = alarms[0]!.Properties;
      // The metric CloudWatchFence publishes, at STANDARD_RESOLUTION_SECONDS.
      expect([Namespace, MetricName]).toEqual([FENCE_NAMESPACE, FENCE_METRIC]);
      expect(Period).toBeGreaterThanOrEqual(60);
      expect(Period % 60).toBe(0);
      expect(['Average', 'Minimum', 'Maximum', 'Sum', 'SampleCount']).toContain(Statistic);
    }
  });
});

describe('Detection events', () => {
  it("reach each control plane's lifeboat bus once: us-east-1's from every region, each region's own from it", () => {
    const { stacks } = synthLifeboat();
    // Every rule on a default bus that takes Lifeboat alarm state changes, as source → bus region.
    const deliveries: string[] = [];
    for (const stack of [stacks.detection, ...stacks.controlPlanes.values()]) {
      const t = templateOf(stack);
      const rules = Object.values(
        t.findResources('AWS::Events::Rule', {
          Properties: { EventPattern: { detail: { alarmName: [{ prefix: 'lifeboat-' }] } } },
        }),
      ) as { Properties: { EventBusName?: unknown; Targets: { Arn: unknown }[] } }[];
      for (const rule of rules.filter((r) => r.Properties.EventBusName === undefined)) {
        for (const { Arn } of rule.Properties.Targets) {
          const getAtt = (Arn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
          const bus =
            getAtt === undefined
              ? /:events:([a-z0-9-]+):.*event-bus\/lifeboat/.exec(JSON.stringify(Arn))?.[1]
              : (t.findResources('AWS::Events::EventBus')[getAtt[0]] as { Properties: { Name: string } })
                    .Properties.Name === 'lifeboat'
                ? stack.region
                : undefined;
          deliveries.push(`${stack.region} -> ${bus ?? JSON.stringify(Arn)}`);
        }
      }
    }
    expect(deliveries.sort()).toEqual(
      [
        // us-east-1's alarms (the Route 53 health checks' among them) to every bus, once each.
        'us-east-1 -> us-east-1',
        'us-east-1 -> us-west-2',
        'us-east-1 -> eu-west-1',
        // Each other region's own alarms (probes, fences) to its own bus.
        'us-west-2 -> us-west-2',
        'eu-west-1 -> eu-west-1',
      ].sort(),
    );
  });
});
