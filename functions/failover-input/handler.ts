import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { Route53Dns } from '../../shared/aws/Route53Dns.ts';
import { clientConfig, ledgerTableName } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-failover-input';
const logger = new Logger();
const tracing = await functionTracing();
const dynamo = tracing.client(new DynamoDBClient(clientConfig()));
const route53 = tracing.client(new Route53Client(clientConfig()));

/** ValidateInput: checks a failover's input and records a rejected one. */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracing,
  ports: { dns: new Route53Dns(route53, {}) },
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
});
