import type { Stack } from 'aws-cdk-lib';
import { flattenIntrinsics } from '../../infra/constructs/nag.ts';
import { templateOf } from './synth.ts';

/**
 * The only actions an identity policy may grant on `Resource: "*"`, each with the reason AWS gives
 * no resource to name.
 */
export const UNSCOPED_ACTIONS: Readonly<Record<string, string>> = {
  'xray:PutTraceSegments': 'X-Ray has no resource-level permissions',
  'xray:PutTelemetryRecords': 'X-Ray has no resource-level permissions',
  'xray:GetSamplingRules': 'X-Ray has no resource-level permissions (state machine tracing)',
  'xray:GetSamplingTargets': 'X-Ray has no resource-level permissions (state machine tracing)',
  'logs:CreateLogDelivery': 'vended log delivery of the state machine is set up on "*"',
  'logs:GetLogDelivery': 'vended log delivery of the state machine is set up on "*"',
  'logs:UpdateLogDelivery': 'vended log delivery of the state machine is set up on "*"',
  'logs:DeleteLogDelivery': 'vended log delivery of the state machine is set up on "*"',
  'logs:ListLogDeliveries': 'vended log delivery of the state machine is set up on "*"',
  'logs:PutResourcePolicy': 'vended log delivery of the state machine is set up on "*"',
  'logs:DescribeResourcePolicies': 'vended log delivery of the state machine is set up on "*"',
  'logs:DescribeLogGroups': 'vended log delivery of the state machine is set up on "*"',
  'cloudwatch:GetMetricData': 'metric reads have no resource type',
  'cloudwatch:PutMetricData': 'metric writes have no resource type; a condition limits the namespace',
  'route53:ListHealthChecks': 'a list of the account, with no resource type',
  'states:SendTaskSuccess':
    'a task token is not a resource; the reference lists no resource type, so only "*" matches',
  'states:SendTaskFailure':
    'a task token is not a resource; the reference lists no resource type, so only "*" matches',
};

export type Condition = Record<string, Record<string, unknown>>;

/** One statement of an identity policy, with the function, workflow or role it belongs to. */
export interface Grant {
  /**
   * Who holds the role: `lifeboat-<name>` for a function, `<name> state machine` for a workflow,
   * `<name> scheduler` for the schedules that start a workflow, `events rule <Rule>` for a rule's targets.
   */
  readonly owner: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly condition?: Condition;
}

/** Where a statement lives: the role's own policies, or a policy on a resource. */
export type PolicyKind =
  | 'identity'
  | 'trust'
  | 'key policy'
  | 'topic policy'
  | 'queue policy'
  | 'log resource policy'
  | 'lambda permission';

/** Every statement of every policy in a template, identity and resource policies alike. */
export interface PolicyStatementOf {
  readonly stack: string;
  readonly region: string;
  readonly kind: PolicyKind;
  /** The CloudFormation resource that carries the statement. */
  readonly source: string;
  /** An identity statement's owner (see `Grant`); else the logical id of the resource the policy guards. */
  readonly subject: string;
  readonly effect: string;
  /** `*`, `service:<name>`, `aws:<arn>` or `federated:<name>`; empty for identity statements. */
  readonly principals: string[];
  readonly actions: string[];
  readonly resources: string[];
  readonly condition?: Condition;
  /** `NotAction`, `NotResource`, `NotPrincipal` if present: each widens an Allow to everything else. */
  readonly negations: string[];
}

interface RawStatement {
  readonly Effect: string;
  readonly Action?: unknown;
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Condition;
  readonly NotAction?: unknown;
  readonly NotResource?: unknown;
  readonly NotPrincipal?: unknown;
}

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** The template's resources, by logical id. */
export const resourcesOf = (stack: Stack): Record<string, Resource> =>
  templateOf(stack).toJSON().Resources as Record<string, Resource>;

export const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** A logical id without the hash CDK appends: `RegionalDetectionRule98BF8412` → `RegionalDetectionRule`. */
export function stemOf(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

/** The logical id a `Ref` or `Fn::GetAtt` names, if `value` is one. */
function referenced(value: unknown): string | undefined {
  const node = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown } | null;
  if (typeof node?.Ref === 'string') return node.Ref;
  const getAtt = node?.['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/**
 * Who holds each role of the template, found from what assumes it: a Lambda function, a state
 * machine, an EventBridge Scheduler schedule (named by the state machine it starts) or a rule's
 * target. A role nothing uses is an error: its grants could not be attributed.
 */
export function roleOwners(resources: Readonly<Record<string, Resource>>): Map<string, string> {
  const owners = new Map<string, string>();
  const own = (role: string | undefined, owner: string) => {
    if (role === undefined) return;
    const known = owners.get(role);
    if (known !== undefined && known !== owner) throw new Error(`role ${role} is both ${known} and ${owner}`);
    owners.set(role, owner);
  };
  const machineName = (id: string | undefined) => {
    const name = id === undefined ? undefined : resources[id]?.Properties?.StateMachineName;
    return typeof name === 'string' ? name.replace(/^lifeboat-/, '') : String(id);
  };
  for (const [id, resource] of Object.entries(resources)) {
    const p = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::Lambda::Function':
        own(
          referenced(p.Role),
          typeof p.FunctionName === 'string' ? p.FunctionName : `function ${stemOf(id)}`,
        );
        break;
      case 'AWS::StepFunctions::StateMachine':
        own(referenced(p.RoleArn), `${machineName(id)} state machine`);
        break;
      case 'AWS::Scheduler::Schedule': {
        const target = p.Target as { Arn?: unknown; RoleArn?: unknown } | undefined;
        own(referenced(target?.RoleArn), `${machineName(referenced(target?.Arn))} scheduler`);
        break;
      }
      case 'AWS::Events::Rule':
        for (const target of list(p.Targets as { RoleArn?: unknown }[] | undefined))
          own(referenced(target.RoleArn), `events rule ${stemOf(id)}`);
        break;
    }
  }
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::IAM::Role' && !owners.has(id))
      throw new Error(`role ${id} is assumed by nothing this walk knows`);
  }
  return owners;
}

function principalsOf(principal: unknown): string[] {
  if (principal === undefined) return [];
  if (principal === '*') return ['*'];
  const out: string[] = [];
  for (const [kind, value] of Object.entries(principal as Record<string, unknown>)) {
    for (const one of list(value)) {
      const text = flattenIntrinsics(one);
      out.push(
        kind === 'AWS' && text === '*' ? '*' : `${kind === 'AWS' ? 'aws' : kind.toLowerCase()}:${text}`,
      );
    }
  }
  return out;
}

/** The resource types whose policies the walk reads; any other type must carry no policy (see `policyLikeProperties`). */
export const WALKED_TYPES: ReadonlySet<string> = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::KMS::Key',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::Logs::ResourcePolicy',
  'AWS::Lambda::Permission',
]);

/**
 * Resources outside `WALKED_TYPES` that are or carry an access policy (an event bus policy, a
 * DynamoDB replica's `ResourcePolicy`...), as `<Type> <id>[.<path>]`: a policy the walk would miss.
 * `RetryPolicy` (rules' and schedules' retries) grants nothing.
 */
export function policyLikeProperties(resources: Readonly<Record<string, Resource>>): string[] {
  const found: string[] = [];
  const scan = (value: unknown, path: string) => {
    if (Array.isArray(value))
      value.forEach((v, i) => {
        scan(v, `${path}[${i}]`);
      });
    else if (value !== null && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (/polic/i.test(key) && key !== 'RetryPolicy') found.push(`${path}.${key}`);
        scan(v, `${path}.${key}`);
      }
    }
  };
  for (const [id, resource] of Object.entries(resources)) {
    if (WALKED_TYPES.has(resource.Type)) continue;
    // An IAM resource, or a policy or permission resource of another service (an event bus's policy...).
    if (resource.Type.startsWith('AWS::IAM::') || /Polic|Permission/.test(resource.Type))
      found.push(`${resource.Type} ${id}`);
    scan(resource.Properties ?? {}, `${resource.Type} ${id}`);
  }
  return found;
}

/** A Lambda permission as the statement Lambda adds to the function's policy. */
function permissionStatement(p: Record<string, unknown>): RawStatement {
  const condition: Condition = {};
  const put = (operator: string, key: string, value: unknown) => {
    if (value !== undefined) (condition[operator] ??= {})[key] = value;
  };
  put('ArnLike', 'aws:SourceArn', p.SourceArn);
  put('StringEquals', 'aws:SourceAccount', p.SourceAccount);
  put('StringEquals', 'aws:PrincipalOrgID', p.PrincipalOrgID);
  put('StringEquals', 'lambda:EventSourceToken', p.EventSourceToken);
  put('StringEquals', 'lambda:FunctionUrlAuthType', p.FunctionUrlAuthType);
  put('Bool', 'lambda:InvokedViaFunctionUrl', p.InvokedViaFunctionUrl);
  const principal = p.Principal;
  const text = flattenIntrinsics(principal);
  return {
    Effect: 'Allow',
    Action: p.Action,
    Resource: p.FunctionName,
    Principal:
      text === '*' ? '*' : text.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
    ...(Object.keys(condition).length === 0 ? {} : { Condition: condition }),
  };
}

/** Every statement of every identity and resource policy in the stack's template. */
export function statementsOf(stack: Stack): PolicyStatementOf[] {
  const resources = resourcesOf(stack);
  const owners = roleOwners(resources);
  const out: PolicyStatementOf[] = [];
  const add = (kind: PolicyKind, source: string, subject: string, document: unknown) => {
    const doc = (typeof document === 'string' ? JSON.parse(document) : document) as {
      Statement: RawStatement | RawStatement[];
    };
    for (const s of list(doc.Statement)) {
      out.push({
        stack: stack.stackName,
        region: stack.region,
        kind,
        source,
        subject,
        effect: s.Effect,
        principals: principalsOf(s.Principal),
        actions: list(s.Action as string | string[]).map(flattenIntrinsics),
        resources: list(s.Resource).map(flattenIntrinsics),
        ...(s.Condition === undefined ? {} : { condition: s.Condition }),
        negations: (['NotAction', 'NotResource', 'NotPrincipal'] as const).filter((k) => s[k] !== undefined),
      });
    }
  };
  const ownerOf = (ref: unknown, id: string) => {
    const owner = owners.get(referenced(ref) ?? '');
    if (owner === undefined) throw new Error(`policy ${id} is attached to a role this walk does not know`);
    return owner;
  };
  for (const [id, resource] of Object.entries(resources)) {
    const p = resource.Properties ?? {};
    const source = `${resource.Type} ${id}`;
    switch (resource.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy': {
        if (p.Users !== undefined || p.Groups !== undefined)
          throw new Error(`${source} is attached to users or groups`);
        const roles = list(p.Roles as unknown[] | undefined);
        if (roles.length !== 1) throw new Error(`${source} is attached to ${roles.length} roles, not one`);
        add('identity', source, ownerOf(roles[0], id), p.PolicyDocument);
        break;
      }
      case 'AWS::IAM::Role':
        add('trust', source, owners.get(id)!, p.AssumeRolePolicyDocument);
        for (const inline of list(p.Policies as { PolicyDocument: unknown }[] | undefined))
          add('identity', source, owners.get(id)!, inline.PolicyDocument);
        break;
      case 'AWS::KMS::Key':
        add('key policy', source, id, p.KeyPolicy);
        break;
      case 'AWS::SNS::TopicPolicy':
        add('topic policy', source, list(p.Topics).map(flattenIntrinsics).join(), p.PolicyDocument);
        break;
      case 'AWS::SQS::QueuePolicy':
        add('queue policy', source, list(p.Queues).map(flattenIntrinsics).join(), p.PolicyDocument);
        break;
      case 'AWS::Logs::ResourcePolicy':
        add('log resource policy', source, id, flattenIntrinsics(p.PolicyDocument));
        break;
      case 'AWS::Lambda::Permission':
        add('lambda permission', source, flattenIntrinsics(p.FunctionName), {
          Statement: permissionStatement(p),
        });
        break;
    }
  }
  return out;
}

/** Every statement of every identity policy in the stack, with the function, workflow or role it belongs to. */
export function grantsOf(stack: Stack): Grant[] {
  return statementsOf(stack)
    .filter((s) => s.kind === 'identity')
    .map((s) => {
      // Identity policies here only allow; a Deny would need the walks to subtract it.
      if (s.effect !== 'Allow') throw new Error(`${s.source} has a ${s.effect} statement`);
      return {
        owner: s.subject,
        actions: s.actions,
        resources: s.resources,
        ...(s.condition === undefined ? {} : { condition: s.condition }),
      };
    });
}

/** Each owner's actions, leaving out the log-stream and tracing grants every function has. */
export function actionsByOwner(grants: readonly Grant[]): Record<string, string[]> {
  const common = new Set([
    'logs:CreateLogStream',
    'logs:PutLogEvents',
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
  ]);
  const out: Record<string, Set<string>> = {};
  for (const grant of grants) {
    for (const action of grant.actions) if (!common.has(action)) (out[grant.owner] ??= new Set()).add(action);
  }
  return Object.fromEntries(Object.entries(out).map(([owner, actions]) => [owner, [...actions].sort()]));
}
