import { Template } from 'aws-cdk-lib/assertions';
import { synthLifeboat, testConfig } from '../support/synth.ts';

describe('ClusterAccessStack', () => {
  const { stacks } = synthLifeboat();

  it("gives every control plane's workloads role scaling access to the applications' namespaces, node reads, and the scalers group where a ScaledObject needs it, on each cluster", () => {
    const access = stacks.clusterAccess.get('us-west-2');
    expect(access).toBeDefined();
    const template = Template.fromStack(access!);
    const entries = template.findResources('AWS::EKS::AccessEntry');
    const workloads = Object.values(entries).filter((e) =>
      JSON.stringify(e).includes('lifeboat-workloads-'),
    ) as { Properties: { ClusterName: string; PrincipalArn: unknown; AccessPolicies: unknown[] } }[];
    const clusters = new Set(workloads.map((e) => e.Properties.ClusterName));
    expect([...clusters].sort()).toEqual(['ai-gateway-drill-usw2', 'ai-gateway-usw2']);
    // One entry per cluster for each control-plane region's role.
    expect(workloads).toHaveLength(clusters.size * 3);
    // The drill application's cluster has no ScaledObject: its entries name no group.
    for (const entry of workloads.filter((e) => e.Properties.ClusterName === 'ai-gateway-drill-usw2'))
      expect(entry.Properties).not.toHaveProperty('KubernetesGroups');
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'ai-gateway-usw2',
      PrincipalArn: {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:role/lifeboat-workloads-eu-west-1'],
        ],
      },
      KubernetesGroups: ['lifeboat-scalers'],
      AccessPolicies: [
        {
          PolicyArn: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':eks::aws:cluster-access-policy/AmazonARCRegionSwitchScalingPolicy',
              ],
            ],
          },
          AccessScope: { Type: 'namespace', Namespaces: ['ai-gateway'] },
        },
        {
          PolicyArn: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy'],
            ],
          },
          AccessScope: { Type: 'cluster' },
        },
      ],
    });
  });

  it("gives the drill's role read access only, and comes after every control plane whose roles it names", () => {
    const access = stacks.clusterAccess.get('us-east-1')!;
    const drill = Object.values(Template.fromStack(access).findResources('AWS::EKS::AccessEntry')).filter(
      (e) => JSON.stringify(e).includes('lifeboat-drill-'),
    ) as { Properties: { AccessPolicies: { AccessScope: { Type: string } }[] } }[];
    expect(drill.length).toBeGreaterThan(0);
    for (const entry of drill) {
      expect(entry.Properties.AccessPolicies).toHaveLength(1);
      expect(JSON.stringify(entry.Properties.AccessPolicies)).toContain('AmazonEKSAdminViewPolicy');
    }
    expect(access.dependencies.map((d) => d.stackName).sort()).toEqual(
      [...stacks.controlPlanes.values()].map((c) => c.stackName).sort(),
    );
  });

  it('names no trigger role unless an application pre-scales on the first signal', () => {
    for (const access of stacks.clusterAccess.values()) {
      expect(JSON.stringify(Template.fromStack(access).toJSON())).not.toContain('lifeboat-trigger-');
    }
    const controlPlane = Template.fromStack(stacks.controlPlanes.get('us-west-2')!);
    expect(JSON.stringify(controlPlane.findResources('AWS::IAM::Role'))).not.toContain(
      'lifeboat-trigger-us-west-2',
    );
  });

  it("lets the trigger in the standby's region scale a pre-scaled application's workloads, and its node groups", () => {
    const config = testConfig((doc) => {
      const app = doc.applications[0] as { automation: Record<string, unknown> };
      app.automation.preScaleOnFirstSignal = true;
    });
    const { stacks: preScaled } = synthLifeboat(config);
    const access = Template.fromStack(preScaled.clusterAccess.get('us-west-2')!);
    const triggers = Object.values(access.findResources('AWS::EKS::AccessEntry')).filter((e) =>
      JSON.stringify(e).includes('lifeboat-trigger-'),
    ) as { Properties: { ClusterName: string; PrincipalArn: unknown; AccessPolicies: unknown[] } }[];
    // Only us-west-2's own trigger, only on ai-gateway's cluster, only its namespace, scaling only.
    expect(triggers).toHaveLength(1);
    expect(triggers[0]!.Properties.ClusterName).toBe('ai-gateway-usw2');
    expect(JSON.stringify(triggers[0]!.Properties.PrincipalArn)).toContain('role/lifeboat-trigger-us-west-2');
    expect(triggers[0]!.Properties.AccessPolicies).toEqual([
      {
        PolicyArn: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':eks::aws:cluster-access-policy/AmazonARCRegionSwitchScalingPolicy',
            ],
          ],
        },
        AccessScope: { Type: 'namespace', Namespaces: ['ai-gateway'] },
      },
    ]);
    const controlPlane = Template.fromStack(preScaled.controlPlanes.get('us-west-2')!);
    controlPlane.hasResourceProperties('AWS::IAM::Role', { RoleName: 'lifeboat-trigger-us-west-2' });
    const trigger = Object.entries(controlPlane.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('TriggerFunctionRole'),
    )?.[1] as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } };
    const eks = trigger.Properties.PolicyDocument.Statement.filter((s) =>
      JSON.stringify(s.Action).includes('eks:'),
    );
    expect(eks.map((s) => [s.Action, JSON.stringify(s.Resource)])).toEqual([
      [
        'eks:DescribeCluster',
        expect.stringContaining(':eks:us-west-2:123456789012:cluster/ai-gateway-usw2"'),
      ],
      [
        ['eks:DescribeNodegroup', 'eks:UpdateNodegroupConfig'],
        expect.stringContaining(':eks:us-west-2:123456789012:nodegroup/ai-gateway-usw2/general/*"'),
      ],
      // Every region's node group health, read (never changed) to pass over a standby without capacity.
      [
        'eks:DescribeNodegroup',
        expect.stringMatching(
          /:eks:us-east-1:123456789012:nodegroup\/ai-gateway-use1\/general\/\*".*:eks:us-west-2:123456789012:nodegroup\/ai-gateway-usw2\/general\/\*".*:eks:eu-west-1:123456789012:nodegroup\/ai-gateway-euw1\/general\/\*"/,
        ),
      ],
    ]);
  });
});
