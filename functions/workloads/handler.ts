import { Logger } from '@aws-lambda-powertools/logger';
import { EKSClient } from '@aws-sdk/client-eks';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { EksWorkloads } from '../../shared/aws/EksWorkloads.ts';
import { clientConfig, perRegion } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-workloads';
const logger = new Logger();
const tracing = await functionTracing();
const eksIn = perRegion((region) => tracing.client(new EKSClient(clientConfig(region))));

/** ScaleNodeGroups, ScaleDeployments and CheckWorkloads on the target's EKS cluster. */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracing,
  ports: {
    // The role's credentials sign the EKS token; the cluster's access entry maps the role to RBAC.
    workloads: new EksWorkloads({ clientFor: eksIn, credentials: defaultProvider() }),
  },
});
