import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { kubernetesRbac } from '../../shared/config/kubernetesRbac.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { synthLifeboat } from '../support/synth.ts';

const CONFIG = parseConfig(
  JSON.parse(
    readFileSync(fileURLToPath(new URL('../../examples/cloudnativepg.config.json', import.meta.url)), 'utf8'),
  ) as unknown,
  'examples/cloudnativepg.config.json',
);

interface Entry {
  Properties: {
    ClusterName: string;
    PrincipalArn: unknown;
    KubernetesGroups?: string[];
    AccessPolicies?: unknown[];
  };
}

describe('a CloudNativePG application (examples/cloudnativepg.config.json)', () => {
  const { app, stacks } = synthLifeboat(CONFIG, { nag: true });

  it('synthesizes with nothing cdk-nag finds unacknowledged', () => {
    expect(() => app.synth()).not.toThrow();
  });

  it("puts every control plane's database function and offer in lifeboat-databases, its preflight and traffic function in lifeboat-database-readers, on each region's cluster, with no access policy", () => {
    const template = Template.fromStack(stacks.clusterAccess.get('us-west-2')!);
    const entries = Object.values(template.findResources('AWS::EKS::AccessEntry')) as Entry[];
    const byRole = (fn: string) =>
      entries.filter((e) =>
        new RegExp(`role/lifeboat-${fn}-`).test(JSON.stringify(e.Properties.PrincipalArn)),
      );
    for (const [fn, group] of [
      ['database', 'lifeboat-databases'],
      ['offer', 'lifeboat-databases'],
      ['preflight', 'lifeboat-database-readers'],
      ['traffic', 'lifeboat-database-readers'],
    ] as const) {
      const found = byRole(fn);
      // One per control-plane region, on the cluster that holds the region's Cluster.
      expect(found).toHaveLength(3);
      for (const entry of found) {
        expect(entry.Properties).toMatchObject({
          ClusterName: 'ai-gateway-pg-usw2',
          KubernetesGroups: [group],
        });
        expect(entry.Properties).not.toHaveProperty('AccessPolicies');
      }
    }
  });

  it('names those functions by the fixed role names the access entries name, and lets them describe the EKS clusters', () => {
    const template = Template.fromStack(stacks.controlPlanes.get('us-west-2')!);
    const roles = Object.values(template.findResources('AWS::IAM::Role')).map(
      (r) => (r as { Properties: { RoleName?: string } }).Properties.RoleName,
    );
    expect(roles).toEqual(
      expect.arrayContaining([
        'lifeboat-database-us-west-2',
        'lifeboat-offer-us-west-2',
        'lifeboat-preflight-us-west-2',
        'lifeboat-traffic-us-west-2',
      ]),
    );
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('eks:DescribeCluster');
    // No RDS permission for a database RDS does not run.
    expect(policies).not.toMatch(/rds:(PromoteReadReplica|DescribeDBInstances|FailoverGlobalCluster)/);
  });

  it("graphs the replica clusters' lag from the team's metric on the dashboard", () => {
    const dashboards = [...stacks.controlPlanes.values()].flatMap((stack) =>
      Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard')),
    );
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]);
    expect(body).toContain('cnpg_pg_replication_lag');
    expect(body).toContain('pg-usw2');
    expect(body).not.toContain('AWS/RDS');
  });

  it('prints a Role that gets and patches exactly the Clusters, and one that only reads them, per cluster', () => {
    const west = kubernetesRbac(CONFIG).find((c) => c.region === 'us-west-2');
    expect(west?.objects).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'Role',
          metadata: { name: 'lifeboat-databases', namespace: 'ai-gateway' },
          rules: [
            {
              apiGroups: ['postgresql.cnpg.io'],
              resources: ['clusters'],
              resourceNames: ['pg-usw2'],
              verbs: ['get', 'patch'],
            },
          ],
        }),
        expect.objectContaining({
          kind: 'Role',
          metadata: { name: 'lifeboat-database-readers', namespace: 'ai-gateway' },
          rules: [
            {
              apiGroups: ['postgresql.cnpg.io'],
              resources: ['clusters'],
              resourceNames: ['pg-usw2'],
              verbs: ['get'],
            },
          ],
        }),
        expect.objectContaining({
          kind: 'RoleBinding',
          metadata: { name: 'lifeboat-databases', namespace: 'ai-gateway' },
        }),
      ]),
    );
  });
});
