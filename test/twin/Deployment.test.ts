import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOYMENT_CACHE_DIR, synthesizeDeployment } from '../../local/twin/Deployment.ts';
import { testConfig } from '../support/synth.ts';

describe('synthesizeDeployment', () => {
  const deployment = synthesizeDeployment(testConfig());

  it('finds every function of every control plane with its handler file, role and environment', () => {
    const names = new Set(deployment.functions.map((f) => f.name));
    expect([...names].sort()).toEqual(
      [
        'lifeboat-approval',
        'lifeboat-backup',
        'lifeboat-custom',
        'lifeboat-database',
        'lifeboat-drill',
        'lifeboat-evacuation',
        'lifeboat-failover-input',
        'lifeboat-ledger',
        'lifeboat-lock',
        'lifeboat-notify',
        'lifeboat-offer',
        'lifeboat-preflight',
        'lifeboat-probe',
        'lifeboat-restore-test',
        'lifeboat-run-ended',
        'lifeboat-slack-callback',
        'lifeboat-traffic',
        'lifeboat-trigger',
        'lifeboat-workloads',
      ].sort(),
    );
    const trigger = deployment.functions.find(
      (f) => f.name === 'lifeboat-trigger' && f.region === 'us-west-2',
    );
    expect(trigger).toMatchObject({
      arn: 'arn:aws:lambda:us-west-2:000000000000:function:lifeboat-trigger',
      entry: expect.stringMatching(/functions\/trigger\/handler\.ts$/) as unknown,
      exportName: 'handler',
      timeoutSeconds: expect.any(Number) as unknown,
      roleArn: expect.stringMatching(
        /^arn:aws:iam::000000000000:role\/Lifeboat-ControlPlane-us-west-2-/,
      ) as unknown,
      environment: expect.objectContaining({
        LIFEBOAT_TABLE_NAME: 'lifeboat-ledger',
        LIFEBOAT_FAILOVER_ARN: 'arn:aws:states:us-west-2:000000000000:stateMachine:lifeboat-failover',
      }) as unknown,
    });
  });

  it("resolves every token of a role's policies to the ARNs of the deployment", () => {
    const database = deployment.functions.find(
      (f) => f.name === 'lifeboat-database' && f.region === 'us-west-2',
    );
    const statements = database?.policies.flatMap((p) => p.Statement) ?? [];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'rds:PromoteReadReplica',
        Resource: 'arn:aws:rds:us-west-2:000000000000:db:ai-gateway-db-usw2',
      }),
    );
    expect(JSON.stringify(statements)).not.toMatch(/Fn::|"Ref"/);
  });

  it("binds each workflow's placeholders to the functions of its own region", () => {
    expect(deployment.workflows.get('eu-west-1')?.get('failover')).toMatchObject({
      DatabaseFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:lifeboat-database',
      ApprovalFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:lifeboat-approval',
    });
    expect([...(deployment.workflows.get('us-east-1')?.keys() ?? [])].sort()).toEqual(
      expect.arrayContaining(['failback', 'failover']),
    );
  });

  it('is synthesized once per config in a process, and kept on disk for the next', () => {
    expect(synthesizeDeployment(testConfig())).toBe(deployment);
    const kept = readdirSync(DEPLOYMENT_CACHE_DIR)
      .filter((f) => f.endsWith('.json'))
      .map(
        (f) => JSON.parse(readFileSync(join(DEPLOYMENT_CACHE_DIR, f), 'utf8')) as { functions: unknown[] },
      );
    expect(kept.some((k) => JSON.stringify(k.functions) === JSON.stringify(deployment.functions))).toBe(true);
  });

  it('synthesizes again for another config, and says why when the synth fails', () => {
    const other = synthesizeDeployment(
      testConfig((doc) => {
        (doc.applications[0] as { automation: Record<string, unknown> }).automation.preScaleOnFirstSignal =
          true;
      }),
    );
    const trigger = other.functions.find((f) => f.name === 'lifeboat-trigger' && f.region === 'us-west-2');
    expect(trigger?.roleArn).toBe('arn:aws:iam::000000000000:role/lifeboat-trigger-us-west-2');
    expect(JSON.stringify(trigger?.policies)).toContain('eks:UpdateNodegroupConfig');
    const broken = { ...testConfig(), controlPlaneRegions: [] };
    expect(() => synthesizeDeployment(broken)).toThrow(
      /^the AWS twin could not synthesize the deployment: .*controlPlaneRegions is empty/s,
    );
  });
});
