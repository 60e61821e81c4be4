import { Template } from 'aws-cdk-lib/assertions';
import { synthLifeboat } from '../support/synth.ts';

describe('ClusterAccessStack', () => {
  const { stacks } = synthLifeboat();

  it("gives every control plane's workloads role edit access to the applications' namespaces and node reads, on each cluster", () => {
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
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'ai-gateway-usw2',
      PrincipalArn: {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:role/lifeboat-workloads-eu-west-1'],
        ],
      },
      AccessPolicies: [
        {
          PolicyArn: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSEditPolicy'],
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
});
