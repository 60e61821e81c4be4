import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import middy from '@middy/core';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { Route53Dns } from '../../shared/aws/Route53Dns.ts';
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

const FUNCTION = 'lifeboat-failover-input';
const logger = new Logger();
const tracer = new Tracer();
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient(clientConfig()));
const route53 = tracer.captureAWSv3Client(new Route53Client(clientConfig()));

const steps = new FailoverSteps({
  config: lambdaConfig(),
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
  ledgerIn: () => noLedger(FUNCTION, 'ledger of another region'),
  clock: systemClock,
  // ValidateInput reads the weights to find the source; that needs no health check ids.
  estate: lambdaEstate(FUNCTION, { dns: new Route53Dns(route53, {}) }),
});

/** ValidateInput: checks a failover's input and records a rejected one. */
export const handler = middy(classified((event: unknown) => runFailoverStep(FUNCTION, event, steps)))
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer));
