import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { clientConfig, ledgerTableName } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';

const FUNCTION = 'lifeboat-ledger';
const logger = new Logger();
const tracer = new Tracer();
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient(clientConfig()));

/** Record: the run in the ledger, whatever its end, with its RTO and RPO. */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracer,
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
});
