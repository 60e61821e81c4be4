import { Template } from 'aws-cdk-lib/assertions';
import { synthLifeboat, testConfig } from '../support/synth.ts';

const WARM = (region: string) => `arn:aws:lambda:${region}:123456789012:function:warm-cache`;

describe('custom steps in the stacks', () => {
  const config = testConfig((doc) => {
    (doc.applications[0] as { customSteps: unknown[] }).customSteps.push({
      name: 'warm-cache',
      at: 'failover.before-traffic',
      kind: 'lambda',
      functionArn: {
        'us-east-1': WARM('us-east-1'),
        'us-west-2': WARM('us-west-2'),
        'eu-west-1': WARM('eu-west-1'),
      },
      timeoutSeconds: 120,
      onFailure: 'stop',
    });
  });
  const { stacks } = synthLifeboat(config);
  const west = Template.fromStack(stacks.controlPlanes.get('us-west-2')!);

  it('lets the custom-step function invoke exactly the configured functions (and their versions and aliases), nothing else', () => {
    const policies = Object.entries(west.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('CustomFunctionRole'),
    );
    expect(policies).toHaveLength(1);
    const statements = (
      policies[0]![1] as {
        Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } };
      }
    ).Properties.PolicyDocument.Statement;
    const invoke = statements.filter((s) => JSON.stringify(s.Action).includes('lambda:'));
    expect(invoke).toEqual([
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Resource: ['eu-west-1', 'us-east-1', 'us-west-2'].flatMap((r) => [WARM(r), `${WARM(r)}:*`]),
      }),
    ]);
    // The clusters its Jobs run in: every region of ai-gateway (the smoke test runs in the target).
    const describe = statements.find((s) => s.Action === 'eks:DescribeCluster');
    expect(JSON.stringify(describe?.Resource)).toMatch(
      /cluster\/ai-gateway-use1.*cluster\/ai-gateway-usw2.*cluster\/ai-gateway-euw1/,
    );
    expect(JSON.stringify(describe?.Resource)).not.toContain('ai-gateway-drill');
  });

  it('names the role for its access entries, and gives it a timeout above its longest Lambda step', () => {
    west.hasResourceProperties('AWS::IAM::Role', { RoleName: 'lifeboat-custom-us-west-2' });
    west.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'lifeboat-custom', Timeout: 150 });
  });

  it("puts every control plane's custom-step role in lifeboat-jobs, with no access policy, on the clusters Jobs run in", () => {
    const access = Template.fromStack(stacks.clusterAccess.get('us-west-2')!);
    const custom = Object.values(access.findResources('AWS::EKS::AccessEntry')).filter((e) =>
      JSON.stringify(e).includes('lifeboat-custom-'),
    ) as { Properties: { ClusterName: string; KubernetesGroups?: string[]; AccessPolicies?: unknown[] } }[];
    expect(custom).toHaveLength(3);
    for (const entry of custom) {
      expect(entry.Properties.ClusterName).toBe('ai-gateway-usw2');
      expect(entry.Properties.KubernetesGroups).toEqual(['lifeboat-jobs']);
      expect(entry.Properties.AccessPolicies).toBeUndefined();
    }
  });

  it("lets the readiness drill's state machine invoke the custom-step function", () => {
    const policies = Object.values(west.findResources('AWS::IAM::Policy')) as {
      Properties: { Roles: unknown; PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } };
    }[];
    const drillMachine = policies.filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('BackupsDrillStateMachineRole'),
    );
    const invoked = drillMachine
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s) => JSON.stringify(s.Action).includes('lambda:InvokeFunction'))
      .map((s) => JSON.stringify(s.Resource));
    expect(invoked.join(' ')).toContain('CustomFunction');
    expect(invoked.join(' ')).toContain('DrillFunction');
  });
});
