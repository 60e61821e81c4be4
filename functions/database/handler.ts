import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import middy from '@middy/core';
import { CloudWatchMetrics } from '../../shared/aws/CloudWatchMetrics.ts';
import { RdsDatabase } from '../../shared/aws/RdsDatabase.ts';
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

const FUNCTION = 'lifeboat-database';
const logger = new Logger();
const tracer = new Tracer();
const cloudWatchIn = perRegion((region) =>
  tracer.captureAWSv3Client(new CloudWatchClient(clientConfig(region))),
);
const rdsIn = perRegion((region) => tracer.captureAWSv3Client(new RDSClient(clientConfig(region))));

const steps = new FailoverSteps({
  config: lambdaConfig(),
  ledger: noLedger(FUNCTION),
  ledgerIn: () => noLedger(FUNCTION, 'ledger of another region'),
  clock: systemClock,
  estate: lambdaEstate(FUNCTION, {
    database: new RdsDatabase(rdsIn),
    metrics: new CloudWatchMetrics(cloudWatchIn),
  }),
});

/** PromoteDatabase and CheckDatabase: the target's database made the writer, and its status. */
export const handler = middy(classified((event: unknown) => runFailoverStep(FUNCTION, event, steps)))
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer));
