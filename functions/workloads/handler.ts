import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { EKSClient } from '@aws-sdk/client-eks';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import middy from '@middy/core';
import { EksWorkloads } from '../../shared/aws/EksWorkloads.ts';
import { FailoverSteps, runFailoverStep } from '../../shared/failover/FailoverSteps.ts';
import {
  classified,
  clientConfig,
  lambdaConfig,
  lambdaEstate,
  noLedger,
  perRegion,
  systemClock,
} from '../../shared/runtime/lambdaEstate.ts';

const FUNCTION = 'lifeboat-workloads';
const logger = new Logger();
const tracer = new Tracer();
const eksIn = perRegion((region) => tracer.captureAWSv3Client(new EKSClient(clientConfig(region))));

const steps = new FailoverSteps({
  config: lambdaConfig(),
  ledger: noLedger(FUNCTION),
  ledgerIn: () => noLedger(FUNCTION, 'ledger of another region'),
  clock: systemClock,
  estate: lambdaEstate(FUNCTION, {
    // The role's credentials sign the EKS token; the cluster's access entry maps the role to RBAC.
    workloads: new EksWorkloads({ clientFor: eksIn, credentials: defaultProvider() }),
  }),
});

/** ScaleNodeGroups, ScaleDeployments and CheckWorkloads on the target's EKS cluster. */
export const handler = middy(classified((event: unknown) => runFailoverStep(FUNCTION, event, steps)))
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer));
