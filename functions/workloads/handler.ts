import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { EKSClient } from '@aws-sdk/client-eks';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { EksWorkloads } from '../../shared/aws/EksWorkloads.ts';
import { clientConfig, perRegion } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';

const FUNCTION = 'lifeboat-workloads';
const logger = new Logger();
const tracer = new Tracer();
const eksIn = perRegion((region) => tracer.captureAWSv3Client(new EKSClient(clientConfig(region))));

/** ScaleNodeGroups, ScaleDeployments and CheckWorkloads on the target's EKS cluster. */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracer,
  ports: {
    // The role's credentials sign the EKS token; the cluster's access entry maps the role to RBAC.
    workloads: new EksWorkloads({ clientFor: eksIn, credentials: defaultProvider() }),
  },
});
