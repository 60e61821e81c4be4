import { createHash } from 'node:crypto';

/** A synthesized CloudFormation template, as much of it as the twin reads. */
export interface Template {
  readonly Resources?: Readonly<Record<string, { readonly Type: string; readonly Properties?: unknown }>>;
  readonly Outputs?: Readonly<
    Record<string, { readonly Value: unknown; readonly Export?: { Name: unknown } }>
  >;
}

export interface StackTemplate {
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  readonly template: Template;
}

/** An intrinsic the twin cannot resolve: a stack that uses it needs the resolver taught. */
export class UnresolvableError extends Error {
  override readonly name = 'UnresolvableError';
}

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/**
 * The values CloudFormation would give the app's stacks once deployed: `Ref`, `Fn::GetAtt`,
 * `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split` and `Fn::ImportValue` across the app's stacks,
 * with the physical names a deployment gets (the names the stacks set, and for the rest the
 * `<stack>-<logical id>` pattern CloudFormation generates, without its random suffix).
 */
export class CloudFormationResolver {
  readonly #stacks: readonly StackTemplate[];
  readonly #exports = new Map<string, { stack: StackTemplate; value: unknown }>();

  constructor(stacks: readonly StackTemplate[]) {
    this.#stacks = stacks;
    for (const stack of stacks) {
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        const name = output.Export?.Name;
        if (typeof name === 'string') this.#exports.set(name, { stack, value: output.Value });
      }
    }
  }

  stack(stackName: string): StackTemplate {
    const stack = this.#stacks.find((s) => s.stackName === stackName);
    if (stack === undefined) throw new UnresolvableError(`no stack ${stackName} in the app`);
    return stack;
  }

  /** `value` with every intrinsic resolved, as it is deployed in `stack`. */
  resolve(value: unknown, stack: StackTemplate): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, stack)).filter((v) => v !== NO_VALUE);
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first !== undefined && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.intrinsic(first[0], first[1], stack);
    }
    const out: Record<string, unknown> = {};
    for (const [key, v] of entries) {
      const resolved = this.resolve(v, stack);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  /** `value` resolved to a string; anything else is an error naming where it came from. */
  resolveString(value: unknown, stack: StackTemplate, what: string): string {
    const resolved = this.resolve(value, stack);
    if (typeof resolved !== 'string' && typeof resolved !== 'number') {
      throw new UnresolvableError(`${stack.stackName} ${what}: resolves to ${JSON.stringify(resolved)}`);
    }
    return String(resolved);
  }

  private intrinsic(name: string, argument: unknown, stack: StackTemplate): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(String(argument), stack);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(argument)
          ? (argument as unknown[]).map(String)
          : String(argument).split('.');
        return this.getAtt(id ?? '', attribute ?? '', stack);
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        const resolved = this.resolve(parts, stack);
        if (!Array.isArray(resolved)) throw new UnresolvableError(`Fn::Join of ${JSON.stringify(parts)}`);
        return resolved.map(String).join(separator);
      }
      case 'Fn::Sub':
        return this.sub(argument, stack);
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        const resolved = this.resolve(list, stack);
        if (!Array.isArray(resolved)) throw new UnresolvableError(`Fn::Select from ${JSON.stringify(list)}`);
        return resolved[Number(this.resolve(index, stack))];
      }
      case 'Fn::Split': {
        const [separator, source] = argument as [string, unknown];
        return String(this.resolve(source, stack)).split(separator);
      }
      case 'Fn::ImportValue': {
        const exportName = String(this.resolve(argument, stack));
        const exported = this.#exports.get(exportName);
        if (exported === undefined) throw new UnresolvableError(`no stack exports ${exportName}`);
        return this.resolve(exported.value, exported.stack);
      }
      default:
        throw new UnresolvableError(`${stack.stackName}: the twin does not resolve ${name}`);
    }
  }

  private sub(argument: unknown, stack: StackTemplate): string {
    const [text, variables] = Array.isArray(argument)
      ? (argument as [string, Record<string, unknown>])
      : [String(argument), {}];
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_, expression: string) => {
      if (expression in variables) return String(this.resolve(variables[expression], stack));
      const [id, attribute] = expression.split('.');
      return String(
        attribute === undefined ? this.ref(id ?? '', stack) : this.getAtt(id ?? '', attribute, stack),
      );
    });
  }

  private resource(id: string, stack: StackTemplate): { Type: string; Properties: Record<string, unknown> } {
    const resource = stack.template.Resources?.[id];
    if (resource === undefined) throw new UnresolvableError(`${stack.stackName} has no resource ${id}`);
    return { Type: resource.Type, Properties: (resource.Properties ?? {}) as Record<string, unknown> };
  }

  private ref(id: string, stack: StackTemplate): unknown {
    switch (id) {
      case 'AWS::Region':
        return stack.region;
      case 'AWS::AccountId':
        return stack.account;
      case 'AWS::Partition':
        return stack.partition;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stack.stackName;
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const { Type, Properties } = this.resource(id, stack);
    const named = (property: string): string =>
      typeof Properties[property] === 'string' || typeof Properties[property] === 'object'
        ? this.resolveString(Properties[property], stack, `${id}.${property}`)
        : `${stack.stackName}-${id}`.slice(0, 64);
    switch (Type) {
      case 'AWS::Lambda::Function':
        return named('FunctionName');
      case 'AWS::IAM::Role':
        return named('RoleName');
      case 'AWS::StepFunctions::StateMachine':
        return this.arn(stack, 'states', `stateMachine:${named('StateMachineName')}`);
      case 'AWS::DynamoDB::GlobalTable':
      case 'AWS::DynamoDB::Table':
        return named('TableName');
      case 'AWS::KMS::Key':
        return keyId(stack, id);
      case 'AWS::Logs::LogGroup':
        return named('LogGroupName');
      case 'AWS::Events::EventBus':
        return named('Name');
      case 'AWS::SNS::Topic':
        return this.arn(stack, 'sns', named('TopicName'));
      case 'AWS::SQS::Queue':
        return `https://sqs.${stack.region}.amazonaws.com/${stack.account}/${named('QueueName')}`;
      case 'AWS::CloudWatch::Alarm':
        return named('AlarmName');
      case 'AWS::Route53::HealthCheck':
        return healthCheckId(stack, id);
      default:
        return `${stack.stackName}-${id}`.slice(0, 64);
    }
  }

  private getAtt(id: string, attribute: string, stack: StackTemplate): unknown {
    const { Type } = this.resource(id, stack);
    const ref = String(this.ref(id, stack));
    switch (`${Type}.${attribute}`) {
      case 'AWS::Lambda::Function.Arn':
        return this.arn(stack, 'lambda', `function:${ref}`);
      case 'AWS::IAM::Role.Arn':
        return `arn:${stack.partition}:iam::${stack.account}:role/${ref}`;
      case 'AWS::StepFunctions::StateMachine.Arn':
        return ref;
      case 'AWS::StepFunctions::StateMachine.Name':
        return ref.split(':').at(-1);
      case 'AWS::DynamoDB::GlobalTable.Arn':
      case 'AWS::DynamoDB::Table.Arn':
        return this.arn(stack, 'dynamodb', `table/${ref}`);
      case 'AWS::KMS::Key.Arn':
        return this.arn(stack, 'kms', `key/${ref}`);
      case 'AWS::Logs::LogGroup.Arn':
        return this.arn(stack, 'logs', `log-group:${ref}:*`);
      case 'AWS::Events::EventBus.Arn':
        return this.arn(stack, 'events', `event-bus/${ref}`);
      case 'AWS::SNS::Topic.TopicArn':
        return ref;
      case 'AWS::SQS::Queue.Arn':
        return this.arn(stack, 'sqs', ref.split('/').at(-1) ?? ref);
      case 'AWS::CloudWatch::Alarm.Arn':
        return this.arn(stack, 'cloudwatch', `alarm:${ref}`);
      case 'AWS::Route53::HealthCheck.HealthCheckId':
        return ref;
      case 'AWS::Lambda::Url.FunctionUrl':
        return `https://${hash(stack.stackName, id).slice(0, 32)}.lambda-url.${stack.region}.on.aws/`;
      default:
        return `${ref}.${attribute}`;
    }
  }

  private arn(stack: StackTemplate, service: string, resource: string): string {
    return `arn:${stack.partition}:${service}:${stack.region}:${stack.account}:${resource}`;
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

/** A KMS key id in the UUID form KMS gives, stable for a stack's logical id. */
function keyId(stack: StackTemplate, id: string): string {
  const h = hash(stack.stackName, id);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A Route 53 health check id (a UUID), stable for a stack's logical id. */
function healthCheckId(stack: StackTemplate, id: string): string {
  return keyId(stack, `health-check:${id}`);
}
