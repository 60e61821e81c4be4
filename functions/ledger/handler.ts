import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchTelemetry } from '../../shared/aws/CloudWatchTelemetry.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { clientConfig, ledgerTableName } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';

const FUNCTION = 'lifeboat-ledger';
const logger = new Logger();
const tracer = new Tracer();
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient(clientConfig()));

/** Record: the run in the ledger, whatever its end, with its RTO and RPO (also published for the dashboard). */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracer,
  ports: {
    telemetry: new CloudWatchTelemetry(tracer.captureAWSv3Client(new CloudWatchClient(clientConfig()))),
  },
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
});
