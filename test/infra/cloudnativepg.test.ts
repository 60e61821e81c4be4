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

  it("lets every control plane's database function get and patch each region's Cluster, the offer only its own region's, the others read, with no access policy", () => {
    const template = Template.fromStack(stacks.clusterAccess.get('us-west-2')!);
    const entries = Object.values(template.findResources('AWS::EKS::AccessEntry')) as Entry[];
    const groupsOf = (fn: string): Record<string, string[] | undefined> =>
      Object.fromEntries(
        entries
          .filter((e) => new RegExp(`role/lifeboat-${fn}-`).test(JSON.stringify(e.Properties.PrincipalArn)))
          .map((e) => {
            expect(e.Properties.ClusterName).toBe('ai-gateway-pg-usw2');
            expect(e.Properties).not.toHaveProperty('AccessPolicies');
            const region = /lifeboat-[a-z]+-([a-z]+-[a-z]+-\d)/.exec(
              JSON.stringify(e.Properties.PrincipalArn),
            )?.[1];
            return [region ?? '?', e.Properties.KubernetesGroups] as const;
          }),
      );
    const all = (group: string) => ({
      'us-east-1': [group],
      'us-west-2': [group],
      'eu-west-1': [group],
    });
    expect(groupsOf('database')).toEqual(all('lifeboat-databases'));
    expect(groupsOf('offer')).toEqual({
      'us-east-1': ['lifeboat-database-readers'],
      'us-west-2': ['lifeboat-databases'],
      'eu-west-1': ['lifeboat-database-readers'],
    });
    expect(groupsOf('traffic')).toEqual(all('lifeboat-database-readers'));
    expect(groupsOf('preflight')).toEqual({ 'us-west-2': ['lifeboat-database-readers'] });
  });

  it('gives no entry to a control plane that serves no CloudNativePG application (its roles have no fixed names)', () => {
    const doc = JSON.parse(
      readFileSync(
        fileURLToPath(new URL('../../examples/cloudnativepg.config.json', import.meta.url)),
        'utf8',
      ),
    ) as { applications: Record<string, unknown>[] };
    const pg = doc.applications[0] as Record<string, unknown> & {
      regions: string[];
      dns: { records: Record<string, unknown>; failback: { loadBalancers: Record<string, unknown> } };
      healthChecks: Record<string, unknown>;
      workloads: Record<string, unknown>;
      database: { clusters: Record<string, unknown> };
    };
    for (const part of [
      pg.dns.records,
      pg.dns.failback.loadBalancers,
      pg.healthChecks,
      pg.workloads,
      pg.database.clusters,
    ])
      delete part['eu-west-1'];
    pg.regions = ['us-east-1', 'us-west-2'];
    const config = parseConfig(doc, 'two regions');
    const synthesized = synthLifeboat(config);
    const entries = Object.values(
      Template.fromStack(synthesized.stacks.clusterAccess.get('us-west-2')!).findResources(
        'AWS::EKS::AccessEntry',
      ),
    );
    const principals = entries.map((e) => JSON.stringify((e as Entry).Properties.PrincipalArn));
    expect(principals.some((p) => p.includes('lifeboat-database-us-west-2'))).toBe(true);
    expect(principals.filter((p) => /lifeboat-(database|offer|preflight|traffic)-eu-west-1/.test(p))).toEqual(
      [],
    );
    const euw1 = Template.fromStack(synthesized.stacks.controlPlanes.get('eu-west-1')!);
    const roles = Object.values(euw1.findResources('AWS::IAM::Role')).map(
      (r) => (r as { Properties: { RoleName?: string } }).Properties.RoleName,
    );
    expect(roles).not.toContain('lifeboat-database-eu-west-1');
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
