import { Logger } from '@aws-lambda-powertools/logger';
import { EKSClient } from '@aws-sdk/client-eks';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { EksWorkloads } from '../../shared/aws/EksWorkloads.ts';
import { LambdaFunctions } from '../../shared/aws/LambdaFunctions.ts';
import { clientConfig, perRegion } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-custom';
const logger = new Logger();
const tracing = await functionTracing();
// A synchronous invocation answers only when the function returns: no 10-second request deadline
// and no SDK retry (each would invoke the function again); the step's own timeout aborts the wait,
// and its retries are the step's attempts.
const lambdaIn = perRegion((region) =>
  tracing.client(
    new LambdaClient({
      ...clientConfig(region),
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 900_000 },
    }),
  ),
);
const eksIn = perRegion((region) => tracing.client(new EKSClient(clientConfig(region))));
const functions = new LambdaFunctions({ clientFor: lambdaIn });
// The role's credentials sign the EKS token; the cluster's access entry puts the role in lifeboat-jobs.
const kubernetes = new EksWorkloads({ clientFor: eksIn, credentials: defaultProvider() });

/** StartCustomStep, CheckCustomStep and FinishCustomStep: the team's own steps at the workflows' points. */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracing,
  ports: {
    custom: {
      invoke: (arn, payload, timeoutSeconds) => functions.invoke(arn, payload, timeoutSeconds),
      startJob: (app, region, namespace, name, job) => kubernetes.startJob(app, region, namespace, name, job),
      jobStatus: (app, region, namespace, name) => kubernetes.jobStatus(app, region, namespace, name),
      deleteJob: (app, region, namespace, name) => kubernetes.deleteJob(app, region, namespace, name),
    },
  },
});
