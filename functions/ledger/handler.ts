import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchTelemetry } from '../../shared/aws/CloudWatchTelemetry.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { clientConfig, ledgerTableName } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-ledger';
const logger = new Logger();
const tracing = await functionTracing();
const dynamo = tracing.client(new DynamoDBClient(clientConfig()));

/** Record: the run in the ledger, whatever its end, with its RTO and RPO (also published for the dashboard). */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracing,
  ports: {
    telemetry: new CloudWatchTelemetry(tracing.client(new CloudWatchClient(clientConfig()))),
  },
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
});
