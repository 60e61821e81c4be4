import {
  applicationOf,
  arcRoutingControlMonthly,
  executionUsage,
  idleCost,
  monthlyInvocations,
  perApplication,
  runCost,
  type TemplateResource,
} from '../../bench/cost/costModel.ts';
import { PRICES } from '../../bench/cost/prices.ts';

const ASSUMPTIONS = {
  probeSeconds: 0.4,
  offerSeconds: 0.8,
  logBytesPerInvocation: 2000,
  secretsPerRegion: 2,
  ledgerReadsPerOffer: 1.5,
  ledgerGb: 0.01,
};

const resource = (
  type: string,
  logicalId: string,
  properties: Record<string, unknown>,
): TemplateResource => ({
  stack: 'Lifeboat-Detection',
  region: 'us-east-1',
  logicalId,
  type,
  properties,
});

describe('cost model arithmetic', () => {
  it('attributes a name to the longest application it contains', () => {
    expect(
      applicationOf('lifeboat-ai-gateway-drill-us-east-1-fence', ['ai-gateway', 'ai-gateway-drill']),
    ).toBe('ai-gateway-drill');
    expect(applicationOf('HealthCheckaigatewayuseast1', ['ai-gateway', 'ai-gateway-drill'])).toBe(
      'ai-gateway',
    );
    expect(applicationOf('KmsKey', ['ai-gateway'])).toBeNull();
  });

  it('counts invocations a month of rate and cron expressions (730-hour month)', () => {
    expect(monthlyInvocations('rate(1 minute)')).toBe(43_800);
    expect(monthlyInvocations('rate(5 minutes)')).toBe(8760);
    expect(monthlyInvocations('rate(1 hour)')).toBe(730);
    expect(monthlyInvocations('rate(7 days)')).toBeCloseTo(730 / 168, 6);
    expect(monthlyInvocations('cron(0 4 ? * SUN *)')).toBeCloseTo(730 / 168, 6);
    expect(monthlyInvocations('cron(0 9 ? * MON-FRI *)')).toBeCloseTo((5 * 730) / 168, 6);
    expect(() => monthlyInvocations('every day')).toThrow('not a schedule expression');
  });

  it('prices a health check by type and options, an alarm by resolution, a probe metric once', () => {
    const lines = idleCost(
      [
        resource('AWS::Route53::HealthCheck', 'HealthCheckappuseast1', {
          HealthCheckConfig: { Type: 'HTTPS_STR_MATCH', RequestInterval: 10 },
        }),
        resource('AWS::Route53::HealthCheck', 'Fenceappuseast1', {
          HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC' },
        }),
        resource('AWS::CloudWatch::Alarm', 'Probe', {
          AlarmName: 'lifeboat-app-us-east-1-probe-from-us-west-2',
          Period: 10,
          Namespace: 'Lifeboat',
          MetricName: 'ProbeSuccess',
          Dimensions: [{ Name: 'Application', Value: 'app' }],
        }),
        resource('AWS::CloudWatch::Alarm', 'Probe2', {
          AlarmName: 'lifeboat-app-us-east-1-probe-from-us-west-2-again',
          Period: 10,
          Namespace: 'Lifeboat',
          MetricName: 'ProbeSuccess',
          Dimensions: [{ Name: 'Application', Value: 'app' }],
        }),
        resource('AWS::CloudWatch::Alarm', 'Fence', {
          AlarmName: 'lifeboat-app-us-east-1-fence-from-us-west-2',
          Period: 60,
          Namespace: 'Lifeboat',
          MetricName: 'Fence',
        }),
      ],
      ['app'],
      [],
      { ...ASSUMPTIONS, secretsPerRegion: 0 },
    );
    const own = lines.filter((l) => l.application === 'app').reduce((s, l) => s + l.monthlyUsd, 0);
    // Two checks at $0.50, three options (HTTPS, string matching, fast interval) at $1, two
    // high-resolution alarms at $0.30, one standard at $0.10, one probe metric at $0.30.
    expect(own).toBeCloseTo(2 * 0.5 + 3 * 1 + 2 * 0.3 + 0.1 + 0.3, 9);
  });

  it('prices the scheduled functions, keys and secrets as shared, and splits them equally', () => {
    const lines = idleCost(
      [
        {
          ...resource('AWS::Events::Rule', 'Probe', { ScheduleExpression: 'rate(1 minute)' }),
          region: 'us-west-2',
        },
        { ...resource('AWS::KMS::Key', 'Key', {}), stack: 'Lifeboat-State-us-west-2' },
      ],
      ['a', 'b'],
      ['us-west-2'],
      ASSUMPTIONS,
    );
    const byItem = Object.fromEntries(lines.map((l) => [l.item, l.monthlyUsd]));
    expect(byItem['KMS key Lifeboat-State-us-west-2']).toBe(1);
    expect(byItem['Slack secrets']).toBeCloseTo(0.8, 9);
    expect(byItem['scheduled Lambda GB-seconds (256 MB)']).toBeCloseTo(
      43_800 * 0.4 * 0.25 * PRICES.lambdaArmGbSecond.usd,
      9,
    );
    expect(byItem['probe PutMetricData in us-west-2']).toBeCloseTo(43_800 * 0.00001, 9);
    const total = lines.reduce((s, l) => s + l.monthlyUsd, 0);
    const split = perApplication(lines, ['a', 'b']);
    expect(split.a).toEqual({ own: 0, shared: total / 2, total: total / 2 });
    expect(split.b!.total).toBeCloseTo(total / 2, 12);
  });

  it('counts an X-Ray trace per scheduled invocation only of a function with active tracing', () => {
    const rule = (id: string, target: string, expression: string) =>
      resource('AWS::Events::Rule', id, {
        ScheduleExpression: expression,
        Targets: [{ Arn: { 'Fn::GetAtt': [target, 'Arn'] }, Id: 'Target0' }],
      });
    const lines = idleCost(
      [
        rule('ProbeSchedule', 'Probe', 'rate(1 minute)'),
        resource('AWS::Lambda::Function', 'Probe', {}),
        rule('OfferSchedule', 'Offer', 'rate(5 minutes)'),
        resource('AWS::Lambda::Function', 'Offer', { TracingConfig: { Mode: 'Active' } }),
      ],
      ['a'],
      ['us-east-1'],
      ASSUMPTIONS,
    );
    const traces = lines.find((l) => l.item === 'X-Ray traces of scheduled invocations');
    expect(traces?.quantity).toBe(43_800 / 5);
    expect(lines.find((l) => l.item === 'scheduled Lambda requests (probe, offer)')?.quantity).toBe(
      43_800 + 43_800 / 5,
    );
  });

  it('counts a run: transitions for every state entered, Lambda time less the transition at the function memory', () => {
    const usage = executionUsage(
      [
        { name: 'ValidateInput', enteredAt: 0, exitedAt: 1.05 },
        { name: 'Wait', enteredAt: 1.05, exitedAt: 61.05 },
        { name: 'AskApproval', enteredAt: 61.05, exitedAt: 4000 },
        { name: 'ValidateInput', enteredAt: 4000, exitedAt: null },
      ],
      new Map([
        ['ValidateInput', { memoryMb: 512, waitsForToken: false }],
        ['AskApproval', { memoryMb: 256, waitsForToken: true }],
      ]),
      0.05,
      1,
    );
    expect(usage).toEqual({ transitions: 4, lambdaRequests: 2, lambdaGbSeconds: 1 * 0.5 + 1 * 0.25 });
    const cost = runCost({
      ...usage,
      cloudWatchRequests: 1000,
      ledgerWrites: 2,
      ledgerReads: 4,
      ledgerReplicas: 3,
    });
    expect(cost.total).toBeCloseTo(
      4 * 0.000025 + 2 * 0.0000002 + 0.75 * 0.0000133334 + 1000 * 0.00001 + 6 * 0.000000625 + 4 * 0.000000125,
      12,
    );
  });

  it('prices ARC routing control per cluster-hour over a 730-hour month', () => {
    expect(arcRoutingControlMonthly()).toBe(1825);
    expect(arcRoutingControlMonthly(2)).toBe(3650);
  });
});
