import type { World } from '../world/World.ts';
import { modelErrors } from './apiModel.ts';
import type { TwinChecks } from './AwsTwin.ts';
import type { Deployment } from './Deployment.ts';
import { authorizationRequests, evaluate, type AuthorizationFacts } from './iam.ts';
import { nodegroupArn } from './services/eks.ts';
import { snapshotTags } from './services/rdsSnapshots.ts';
import type { TwinSecret } from './services/secretsManager.ts';

/** What IAM knows of the world that a request does not carry. */
function facts(
  world: World,
  deployment: Deployment,
  secrets: readonly TwinSecret[],
  tags: ReadonlyMap<string, Readonly<Record<string, string>>>,
): AuthorizationFacts {
  return {
    tagsOf: (arn) => tags.get(arn) ?? snapshotTags(world, arn),
    secretArn: (region, id) =>
      secrets.find((s) => s.region === region && (s.name === id || s.arn === id || s.arn.slice(0, -7) === id))
        ?.arn,
    nodegroupArn: (region, cluster, nodegroup) => nodegroupArn(deployment, region, cluster, nodegroup),
    // The simulated databases are PostgreSQL 16; RDS's default groups and subnet group for it.
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.html
    rdsDefaults: () => ({
      optionGroup: 'default:postgres-16',
      parameterGroup: 'default.postgres16',
      subnetGroup: 'default',
    }),
  };
}

/** The checks of a rehearsal: AWS's API model, and IAM over the deployment's role policies. */
export function twinChecks(
  world: World,
  deployment: Deployment,
  secrets: readonly TwinSecret[],
  /** The tags of the databases the rehearsal's calls created, by ARN. */
  tags: ReadonlyMap<string, Readonly<Record<string, string>>>,
): TwinChecks {
  const known = facts(world, deployment, secrets, tags);
  return {
    modelErrors,
    authorizationRequests: (request) => authorizationRequests(request, known),
    evaluate,
  };
}
