import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges the one cdk-nag AwsSolutions-IAM5 finding for `<resource ARN>:*` on `principal`:
 * a wildcard below one named resource (log streams of a log group, versions of a function), not a
 * blanket waiver for the principal.
 */
export function acknowledgeWildcardBelow(principal: IConstruct, resource: IConstruct, reason: string): void {
  const cfn = resource.node.defaultChild;
  const imported = (resource as { functionArn?: unknown }).functionArn;
  if (!(cfn instanceof CfnResource) && typeof imported === 'string') {
    // A function referenced by its ARN (not defined in this app): the finding names the ARN itself.
    const arn = flattenIntrinsics(Stack.of(principal).resolve(imported));
    Validations.of(principal).acknowledge({ id: `AwsSolutions-IAM5[Resource::${arn}:*]`, reason });
    return;
  }
  if (!(cfn instanceof CfnResource)) {
    throw new Error(`acknowledgeWildcardBelow: ${resource.node.path} has no CloudFormation resource`);
  }
  const logicalId = Stack.of(cfn).resolve(cfn.logicalId) as string;
  Validations.of(principal).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`, reason });
}

/** Acknowledges the AwsSolutions-IAM5 finding for `Resource: "*"` on `principal`, for actions AWS does not scope. */
export function acknowledgeUnscopedActions(principal: IConstruct, reason: string): void {
  Validations.of(principal).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason });
}

/**
 * A resolved value as text, the way cdk-nag prints a resource in a finding: `Fn::Join` flattened,
 * `Ref`s as `<Name>`, attributes as `<Id.Attribute>`, imports as `<import:Name>`.
 */
export function flattenIntrinsics(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if (Array.isArray(node['Fn::Join'])) {
    const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(flattenIntrinsics).join(delimiter);
  }
  if (node.Ref !== undefined) return `<${flattenIntrinsics(node.Ref)}>`;
  if (Array.isArray(node['Fn::GetAtt'])) {
    return `<${(node['Fn::GetAtt'] as unknown[]).map(flattenIntrinsics).join('.')}>`;
  }
  if (node['Fn::ImportValue'] !== undefined) return `<import:${flattenIntrinsics(node['Fn::ImportValue'])}>`;
  return JSON.stringify(value);
}
