import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { Route53Dns } from '../../shared/aws/Route53Dns.ts';
import { clientConfig, ledgerTableName } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';

const FUNCTION = 'lifeboat-failover-input';
const logger = new Logger();
const tracer = new Tracer();
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient(clientConfig()));
const route53 = tracer.captureAWSv3Client(new Route53Client(clientConfig()));

/** ValidateInput: checks a failover's input and records a rejected one. */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracer,
  ports: { dns: new Route53Dns(route53, {}) },
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
});
