import type { Stack } from 'aws-cdk-lib';
import { flattenIntrinsics } from '../../../infra/constructs/nag.ts';
import { list, resourcesOf, stemOf, type PolicyStatementOf } from '../../support/iamPolicies.ts';
import { templateOf } from '../../support/synth.ts';

/**
 * Who can reach a resource, derived from the synthesized templates: every identity statement whose
 * resources match the resource's ARN (IAM's `*` and `?` wildcards included, `Resource: "*"` too)
 * and, for a KMS key, every principal its key policy names.
 */

/** One resource to reach: a table or index replica, a key, a secret in one region. */
export interface Target {
  /** The group the reach table is about: `ledger table`, a key's alias, a secret's name. */
  readonly group: string;
  /** The part of the group, in the reach entry: `index byKind`. */
  readonly part?: string;
  readonly region: string;
  /** The service whose actions reach it. */
  readonly service: string;
  /** Its ARN, with the parts CloudFormation assigns as `<Stack::LogicalId>` placeholders. */
  readonly arn: string;
  /** The references that name it in a template, qualified by stack (`<Stack::Id.Arn>`). */
  readonly references: readonly string[];
  /** A key's aliases (for `kms:ResourceAliases` conditions). */
  readonly aliases: readonly string[];
  /** A key's stack and logical id, whose key policy also names who may use it. */
  readonly key?: { readonly stack: string; readonly id: string };
}

/**
 * Resolves a flattened resource of `stack` into deployment-wide terms: a reference to a resource of
 * the stack gets the stack's name (`<Id.Arn>` → `<Stack::Id.Arn>`), an import the value the other
 * stack exports.
 */
export function referenceResolver(stacks: readonly Stack[]): (stack: string, text: string) => string {
  const local = (stack: string, text: string) =>
    text.replace(/<(?!AWS::)([A-Za-z0-9]+(?:\.[A-Za-z]+)?)>/g, `<${stack}::$1>`);
  const exported = new Map<string, string>();
  for (const stack of stacks) {
    const outputs = (templateOf(stack).toJSON().Outputs ?? {}) as Record<
      string,
      { Value: unknown; Export?: { Name: string } }
    >;
    for (const output of Object.values(outputs)) {
      if (output.Export !== undefined)
        exported.set(output.Export.Name, local(stack.stackName, flattenIntrinsics(output.Value)));
    }
  }
  return (stack, text) =>
    local(stack, text).replace(/<import:([^>]+)>/g, (match, name: string) => exported.get(name) ?? match);
}

/** The ledger's global table: every replica and every index of each. */
export function tableTargets(stacks: readonly Stack[], account: string): Target[] {
  const out: Target[] = [];
  for (const stack of stacks) {
    for (const [id, resource] of Object.entries(resourcesOf(stack))) {
      if (resource.Type !== 'AWS::DynamoDB::GlobalTable') continue;
      const p = resource.Properties ?? {};
      const name = String(p.TableName);
      const regions = list(p.Replicas as { Region: string }[]).map((r) => r.Region);
      const indexes = list(p.GlobalSecondaryIndexes as { IndexName: string }[]).map((i) => i.IndexName);
      for (const region of regions) {
        const arn = `arn:<AWS::Partition>:dynamodb:${region}:${account}:table/${name}`;
        const home = region === stack.region;
        const references = home ? [`<${stack.stackName}::${id}>`, `<${stack.stackName}::${id}.Arn>`] : [];
        const common = { group: 'ledger table', region, service: 'dynamodb', aliases: [] };
        out.push({ ...common, arn, references });
        for (const index of indexes)
          out.push({ ...common, part: `index ${index}`, arn: `${arn}/index/${index}`, references: [] });
      }
    }
  }
  return out;
}

/** Every KMS key of the deployment, grouped by its alias (or, without one, by its construct id). */
export function keyTargets(stacks: readonly Stack[], account: string): Target[] {
  const out: Target[] = [];
  for (const stack of stacks) {
    const resources = resourcesOf(stack);
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::KMS::Key') continue;
      const aliases = Object.values(resources)
        .filter(
          (r) =>
            r.Type === 'AWS::KMS::Alias' &&
            [`<${id}>`, `<${id}.Arn>`].includes(flattenIntrinsics(r.Properties?.TargetKeyId)),
        )
        .map((r) => String(r.Properties?.AliasName));
      out.push({
        group: aliases[0] ?? stemOf(id),
        region: stack.region,
        service: 'kms',
        arn: `arn:<AWS::Partition>:kms:${stack.region}:${account}:key/<${stack.stackName}::${id}>`,
        references: [`<${stack.stackName}::${id}>`, `<${stack.stackName}::${id}.Arn>`],
        aliases,
        key: { stack: stack.stackName, id },
      });
    }
  }
  return out;
}

/** A Secrets Manager secret by name in each region; Secrets Manager appends six characters to its ARN. */
export function secretTargets(
  names: readonly string[],
  regions: readonly string[],
  account: string,
): Target[] {
  return names.flatMap((name) =>
    regions.map((region) => ({
      group: name,
      region,
      service: 'secretsmanager',
      arn: `arn:<AWS::Partition>:secretsmanager:${region}:${account}:secret:${name}-AbC123`,
      references: [],
      aliases: [],
    })),
  );
}

/** An IAM resource pattern (`*`, `?`) as a regular expression over the whole ARN. */
function pattern(resource: string): RegExp {
  const escaped = resource.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** Whether a policy's resource, resolved (see `referenceResolver`), names the target or a pattern that covers it. */
export function names(resource: string, target: Target): boolean {
  return target.references.includes(resource) || pattern(resource).test(target.arn);
}

/**
 * Whether the statement's `kms:ResourceAliases` condition lets it apply to a key with `aliases`:
 * `ForAnyValue:StringEquals` names the keys it is for, `ForAllValues:StringNotEquals` the keys it
 * is not for. Another operator on the key is refused: the walk would not know what it means.
 */
function aliasesAllow(statement: PolicyStatementOf, aliases: readonly string[]): boolean {
  for (const [operator, keys] of Object.entries(statement.condition ?? {})) {
    const value = keys['kms:ResourceAliases'];
    if (value === undefined) continue;
    const named = list(value as string | string[]);
    if (operator === 'ForAnyValue:StringEquals') {
      if (!named.some((a) => aliases.includes(a))) return false;
    } else if (operator === 'ForAllValues:StringNotEquals') {
      if (named.some((a) => aliases.includes(a))) return false;
    } else throw new Error(`${statement.source}: kms:ResourceAliases under ${operator}`);
  }
  return true;
}

/** ` via <service>` when `kms:ViaService` limits the statement to calls a service makes (the region left out). */
function viaOf(statement: PolicyStatementOf): string {
  const services = list(
    statement.condition?.StringEquals?.['kms:ViaService'] as string | string[] | undefined,
  );
  const named = [
    ...new Set(services.map((v) => v.replace(/^([a-z0-9-]+)\.[a-z0-9-]+\.amazonaws\.com$/, '$1'))),
  ];
  return named.length === 0 ? '' : ` via ${named.sort().join(', ')}`;
}

/** Who holds a grant, across the deployment: `<owner> (<stack>)`. */
export const actorOf = (owner: string, stack: string) => `${owner} (${stack})`;

/**
 * Each actor's reach into the targets, as `<action>[ via <service>][ on <part>][ in other regions]`
 * entries ("other regions": the target is not in the actor's region). Identity statements give
 * roles' reach; a key's policy gives its principals' reach, `this account` for the account's root.
 */
export function reachOf(
  statements: readonly PolicyStatementOf[],
  targets: readonly Target[],
  resolve: (stack: string, text: string) => string,
): Map<string, Set<string>> {
  const reach = new Map<string, Set<string>>();
  const add = (actor: string, entry: string) => {
    const set = reach.get(actor) ?? new Set<string>();
    set.add(entry);
    reach.set(actor, set);
  };
  for (const s of statements) {
    if (s.effect !== 'Allow') continue;
    for (const target of targets) {
      const actions = s.actions.filter((a) => a === '*' || a.startsWith(`${target.service}:`));
      if (actions.length === 0 || !aliasesAllow(s, target.aliases)) continue;
      const entry = (action: string, from: string) =>
        `${action}${viaOf(s)}${target.part === undefined ? '' : ` on ${target.part}`}${target.region === from ? '' : ' in other regions'}`;
      if (s.kind === 'identity') {
        if (s.resources.some((r) => names(resolve(s.stack, r), target)))
          for (const action of actions) add(actorOf(s.subject, s.stack), entry(action, s.region));
      } else if (
        s.kind === 'key policy' &&
        s.stack === target.key?.stack &&
        s.source.endsWith(` ${target.key.id}`)
      ) {
        for (const principal of s.principals) {
          const who = principal.endsWith(':root') ? 'this account' : principal;
          for (const action of actions) add(actorOf(who, s.stack), entry(action, target.region));
        }
      }
    }
  }
  return reach;
}
