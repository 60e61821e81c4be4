import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { createLifeboat } from '../../infra/LifeboatApp.ts';
import { LifeboatFunction } from '../../infra/constructs/LifeboatFunction.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { CloudFormationResolver, type StackTemplate } from './cloudFormation.ts';
import {
  REHEARSAL_ACCOUNT,
  type DeployedAccessEntry,
  type DeployedFunction,
  type DeployedSchedule,
  type Deployment,
  type SerializedDeployment,
} from './Deployment.ts';
import type { PolicyDocument } from './types.ts';

/**
 * The CDK app for `config`, synthesized in this process (bundling off: the twin imports the handler
 * files themselves), read as the twin needs it: every function with its environment, role policies
 * and handler file, every state machine's task bindings, every EKS access entry. Run on its own
 * (`node local/twin/synthesize.ts < config.json`), it prints the deployment as JSON: what
 * `synthesizeDeployment` runs, so that a rehearsal never loads the CDK itself.
 */
export function synthesize(config: LifeboatConfig): Deployment {
  const account = config.account ?? REHEARSAL_ACCOUNT;
  const partition = 'aws';
  const outdir = mkdtempSync(join(tmpdir(), 'lifeboat-twin-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    createLifeboat(app, config, account);
    const assembly = app.synth();
    const stacks: StackTemplate[] = assembly.stacks.map((s) => ({
      stackName: s.stackName,
      region: s.environment.region,
      account,
      partition,
      template: s.template as StackTemplate['template'],
    }));
    const resolver = new CloudFormationResolver(stacks);

    const entries = new Map<string, string>();
    for (const construct of app.node.findAll()) {
      if (!(construct instanceof LifeboatFunction)) continue;
      const stack = Stack.of(construct);
      const logicalId = stack.getLogicalId(construct.function.node.defaultChild as CfnElement);
      entries.set(`${stack.stackName}/${logicalId}`, construct.entry);
    }

    const functions: DeployedFunction[] = [];
    const workflows = new Map<string, Map<string, Record<string, string>>>();
    const accessEntries: DeployedAccessEntry[] = [];
    const schedules: DeployedSchedule[] = [];
    for (const stack of stacks) {
      const resources = Object.entries(stack.template.Resources ?? {});
      const policiesOf = (roleLogicalId: string): PolicyDocument[] =>
        resources
          .filter(
            ([, r]) =>
              r.Type === 'AWS::IAM::Policy' &&
              JSON.stringify((r.Properties as { Roles?: unknown }).Roles ?? []).includes(
                JSON.stringify({ Ref: roleLogicalId }),
              ),
          )
          .map(
            ([, r]) =>
              resolver.resolve((r.Properties as { PolicyDocument: unknown }).PolicyDocument, stack) as
                PolicyDocument | undefined,
          )
          .filter((d): d is PolicyDocument => d !== undefined);
      for (const [id, resource] of resources) {
        const p = (resource.Properties ?? {}) as Record<string, unknown>;
        if (resource.Type === 'AWS::Lambda::Function') {
          const entry = entries.get(`${stack.stackName}/${id}`);
          if (entry === undefined) continue;
          const roleRef = p.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
          const roleId = roleRef?.['Fn::GetAtt']?.[0];
          if (roleId === undefined) throw new Error(`${stack.stackName} ${id}: a role the twin cannot read`);
          const role = (stack.template.Resources?.[roleId]?.Properties ?? {}) as {
            Policies?: { PolicyDocument: unknown }[];
            ManagedPolicyArns?: unknown[];
          };
          if ((role.ManagedPolicyArns ?? []).length > 0) {
            throw new Error(
              `${stack.stackName} ${roleId}: managed policies are not read by the twin; grant with inline policies`,
            );
          }
          const inline = (role.Policies ?? []).map(
            (x) => resolver.resolve(x.PolicyDocument, stack) as PolicyDocument,
          );
          const variables =
            (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
          functions.push({
            name: resolver.resolveString(p.FunctionName, stack, `${id}.FunctionName`),
            region: stack.region,
            arn: resolver.resolveString({ 'Fn::GetAtt': [id, 'Arn'] }, stack, `${id}.Arn`),
            entry,
            exportName:
              (typeof p.Handler === 'string' ? p.Handler : 'index.handler').split('.').at(-1) ?? 'handler',
            environment: Object.fromEntries(
              Object.entries(variables).map(([k, v]) => [k, resolver.resolveString(v, stack, `${id} ${k}`)]),
            ),
            timeoutSeconds: Number(p.Timeout ?? 3),
            memorySize: Number(p.MemorySize ?? 128),
            roleArn: resolver.resolveString({ 'Fn::GetAtt': [roleId, 'Arn'] }, stack, `${roleId}.Arn`),
            policies: [...inline, ...policiesOf(roleId)],
          });
        } else if (resource.Type === 'AWS::StepFunctions::StateMachine') {
          const name = resolver.resolveString(p.StateMachineName, stack, `${id}.StateMachineName`);
          const substitutions = resolver.resolve(p.DefinitionSubstitutions ?? {}, stack) as Record<
            string,
            string
          >;
          let inRegion = workflows.get(stack.region);
          if (inRegion === undefined) {
            inRegion = new Map();
            workflows.set(stack.region, inRegion);
          }
          inRegion.set(name.replace(/^lifeboat-/, ''), substitutions);
        } else if (resource.Type === 'AWS::Scheduler::Schedule') {
          const target = p.Target as {
            Arn: unknown;
            RoleArn: { 'Fn::GetAtt'?: [string, string] };
            Input?: unknown;
          };
          const roleId = target.RoleArn['Fn::GetAtt']?.[0];
          if (roleId === undefined) throw new Error(`${stack.stackName} ${id}: a role the twin cannot read`);
          const window = p.FlexibleTimeWindow as { Mode: string; MaximumWindowInMinutes?: number };
          schedules.push({
            region: stack.region,
            name: resolver.resolveString(p.Name, stack, `${id}.Name`),
            groupName: resolver.resolveString(p.GroupName ?? 'default', stack, `${id}.GroupName`),
            expression: resolver.resolveString(p.ScheduleExpression, stack, `${id}.ScheduleExpression`),
            timeZone:
              p.ScheduleExpressionTimezone === undefined
                ? undefined
                : resolver.resolveString(
                    p.ScheduleExpressionTimezone,
                    stack,
                    `${id}.ScheduleExpressionTimezone`,
                  ),
            flexibleWindow: {
              mode: window.Mode,
              ...(window.MaximumWindowInMinutes === undefined
                ? {}
                : { maximumWindowInMinutes: window.MaximumWindowInMinutes }),
            },
            targetArn: resolver.resolveString(target.Arn, stack, `${id}.Target.Arn`),
            input: resolver.resolveString(target.Input ?? '{}', stack, `${id}.Target.Input`),
            roleArn: resolver.resolveString({ 'Fn::GetAtt': [roleId, 'Arn'] }, stack, `${roleId}.Arn`),
            rolePolicies: policiesOf(roleId),
          });
        } else if (resource.Type === 'AWS::EKS::AccessEntry') {
          const resolved = resolver.resolve(p, stack) as {
            ClusterName: string;
            PrincipalArn: string;
            KubernetesGroups?: string[];
            AccessPolicies?: { PolicyArn: string; AccessScope: { Type: string; Namespaces?: string[] } }[];
          };
          accessEntries.push({
            region: stack.region,
            clusterName: resolved.ClusterName,
            principalArn: resolved.PrincipalArn,
            kubernetesGroups: resolved.KubernetesGroups ?? [],
            policies: (resolved.AccessPolicies ?? []).map((a) => ({
              policyArn: a.PolicyArn,
              accessScope: {
                type: a.AccessScope.Type === 'namespace' ? 'namespace' : 'cluster',
                ...(a.AccessScope.Namespaces === undefined ? {} : { namespaces: a.AccessScope.Namespaces }),
              },
            })),
          });
        }
      }
    }
    return { account, partition, functions, workflows, accessEntries, schedules };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The deployment as JSON: its one Map (state machines by region and workflow) as plain objects. */
export function serializeDeployment(deployment: Deployment): SerializedDeployment {
  return {
    ...deployment,
    workflows: Object.fromEntries(
      [...deployment.workflows].map(([region, byName]) => [region, Object.fromEntries(byName)]),
    ),
  };
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const config = JSON.parse(readFileSync(0, 'utf8')) as LifeboatConfig;
  process.stdout.write(JSON.stringify(serializeDeployment(synthesize(config))));
}
