import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { FailoverSteps, runFailoverStep } from '../../shared/failover/FailoverSteps.ts';
import {
  classified,
  clientConfig,
  lambdaConfig,
  lambdaEstate,
  ledgerTableName,
  perRegion,
  systemClock,
} from '../../shared/runtime/lambdaEstate.ts';

const FUNCTION = 'lifeboat-lock';
const logger = new Logger();
const tracer = new Tracer();
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient(clientConfig()));
// The other regions' replicas, read to confirm the lock: a conditional write is consistent only
// in the replica it was made in.
const ledgerIn = perRegion(
  (region) =>
    new DynamoLedger(tracer.captureAWSv3Client(new DynamoDBClient(clientConfig(region))), ledgerTableName()),
);

const steps = new FailoverSteps({
  config: lambdaConfig(),
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
  ledgerIn,
  clock: systemClock,
  estate: lambdaEstate(FUNCTION, {}),
});

/** AcquireLock, ConfirmLock and ReleaseLock: the application's lock in the ledger's replicas. */
export const handler = middy(classified((event: unknown) => runFailoverStep(FUNCTION, event, steps)))
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer));
