import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { clientConfig, ledgerTableName, perRegion } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-lock';
const logger = new Logger();
const tracing = await functionTracing();
const dynamo = tracing.client(new DynamoDBClient(clientConfig()));
// The other regions' replicas, read to confirm the lock: a conditional write is consistent only
// in the replica it was made in.
const ledgerIn = perRegion(
  (region) => new DynamoLedger(tracing.client(new DynamoDBClient(clientConfig(region))), ledgerTableName()),
);

/** AcquireLock, ConfirmLock and ReleaseLock: the application's lock in the ledger's replicas. */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracing,
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
  ledgerIn,
});
