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
  noLedger,
  ledgerTableName,
  systemClock,
} from '../../shared/runtime/lambdaEstate.ts';

const FUNCTION = 'lifeboat-ledger';
const logger = new Logger();
const tracer = new Tracer();
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient(clientConfig()));

const steps = new FailoverSteps({
  config: lambdaConfig(),
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
  ledgerIn: () => noLedger(FUNCTION, 'ledger of another region'),
  clock: systemClock,
  estate: lambdaEstate(FUNCTION, {}),
});

/** Record: the run in the ledger, whatever its end, with its RTO and RPO. */
export const handler = middy(classified((event: unknown) => runFailoverStep(FUNCTION, event, steps)))
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer));
