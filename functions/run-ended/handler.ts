import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { handleExecutionEnded, type RunEndedOutcome } from '../../shared/ledger/runEnded.ts';
import { classified, clientConfig, ledgerTableName, systemClock } from '../../shared/runtime/lambdaEstate.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const logger = new Logger();
const tracing = await functionTracing();
const dynamo = tracing.client(new DynamoDBClient(clientConfig()));
const deps = { ledger: new DynamoLedger(dynamo, ledgerTableName()), clock: systemClock };

async function runEnded(event: unknown): Promise<RunEndedOutcome> {
  const outcome = await handleExecutionEnded(event, deps);
  logger.info('run ended', { outcome });
  return outcome;
}

/**
 * Step Functions' status changes of Lifeboat's workflows (stopped, timed out, failed): records a
 * run that could not record its own end, and cuts the lease of the lock it still holds.
 */
export const handler = middy(classified(runEnded)).use(injectLambdaContext(logger)).use(tracing.middlewares);
