import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { clientConfig, ledgerTableName, perRegion } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';

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

/** AcquireLock, ConfirmLock and ReleaseLock: the application's lock in the ledger's replicas. */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracer,
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
  ledgerIn,
});
