import { ArnFormat, type Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ApplicationConfig } from '../../shared/config/LifeboatConfig.ts';

/**
 * The grants on the applications' stores (ElastiCache Global Datastores), by the resource types
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticache.html
 * gives each action: DescribeGlobalReplicationGroups and FailoverGlobalReplicationGroup on the
 * Global Datastore (`globalreplicationgroup`, an ARN without a region), DescribeReplicationGroups on
 * the members read (`replicationgroup`) in `regions`. ARNs in lower case: "the resource name on the
 * ARN string should be lower case"
 * (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/IAM.ResourceLevelPermissions.html).
 * `access`: `lag` reads the members' lag only (their cache clusters), `read` also the Global
 * Datastore's members, `failover` also fails it over. Nothing when no application has a store.
 */
export function storeStatements(
  stack: Stack,
  applications: readonly ApplicationConfig[],
  regions: readonly string[],
  access: 'lag' | 'read' | 'failover',
): PolicyStatement[] {
  const globals = new Set<string>();
  const members = new Set<string>();
  for (const app of applications) {
    for (const store of app.stores) {
      globals.add(
        stack.formatArn({
          service: 'elasticache',
          region: '',
          resource: 'globalreplicationgroup',
          resourceName: store.globalReplicationGroupId.toLowerCase(),
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      );
      for (const region of regions) {
        const id = store.replicationGroups[region];
        if (id === undefined) continue;
        members.add(
          stack.formatArn({
            service: 'elasticache',
            region,
            resource: 'replicationgroup',
            resourceName: id.toLowerCase(),
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        );
      }
    }
  }
  if (globals.size === 0) return [];
  return [
    ...(access === 'lag'
      ? []
      : [
          new PolicyStatement({
            actions: [
              'elasticache:DescribeGlobalReplicationGroups',
              ...(access === 'failover' ? ['elasticache:FailoverGlobalReplicationGroup'] : []),
            ],
            resources: [...globals].sort(),
          }),
        ]),
    ...(members.size === 0
      ? []
      : [
          new PolicyStatement({
            actions: ['elasticache:DescribeReplicationGroups'],
            resources: [...members].sort(),
          }),
        ]),
  ];
}
