import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Route53Dns } from '../../shared/aws/Route53Dns.ts';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import { DynamoApprovals } from '../../shared/aws/DynamoApprovals.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { engineDatabases, lazyEksAccess } from '../../shared/aws/EngineDatabases.ts';
import { approvalWaits, offerFailbacks, type OfferOutcome } from '../../shared/failback/FailbackOffer.ts';
import { CloudWatchTelemetry } from '../../shared/aws/CloudWatchTelemetry.ts';
import {
  classified,
  clientConfig,
  lambdaConfig,
  lambdaEstate,
  lambdaRegion,
  ledgerTableName,
  perRegion,
  systemClock,
} from '../../shared/runtime/lambdaEstate.ts';
import { bestEffort } from '../../shared/ports/Estate.ts';
import { slackNotifier } from '../../shared/runtime/slackRuntime.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-offer';
const logger = new Logger();
const tracing = await functionTracing();
const config = lambdaConfig();
const dynamo = tracing.client(new DynamoDBClient(clientConfig()));
const { notifier } = slackNotifier(config, tracing.client(new SecretsManagerClient(clientConfig())));
const route53 = tracing.client(new Route53Client(clientConfig()));
const deps = {
  config,
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
  approvals: new DynamoApprovals(dynamo, ledgerTableName()),
  clock: systemClock,
  region: lambdaRegion(),
  estate: lambdaEstate(FUNCTION, {
    dns: new Route53Dns(route53, {}),
    database: engineDatabases({
      rds: perRegion((region) => tracing.client(new RDSClient(clientConfig(region)))),
      eks: lazyEksAccess((Client, region) => tracing.client(new Client(clientConfig(region)))),
    }),
    notifier,
  }),
};

const telemetry = new CloudWatchTelemetry(tracing.client(new CloudWatchClient(clientConfig())));

async function offer(): Promise<OfferOutcome[]> {
  // Each run also publishes how long the oldest approval has waited, which the dashboard alarms on.
  await bestEffort(async () => {
    await telemetry.approvalWait(await approvalWaits(deps));
  });
  const outcomes = await offerFailbacks(deps);
  for (const outcome of outcomes)
    if (outcome.action !== 'not-here') logger.info('failback offer', { ...outcome });
  return outcomes;
}

/** On a schedule: offers failback on Slack once the old primary has been healthy long enough. */
export const handler = middy(classified(offer)).use(injectLambdaContext(logger)).use(tracing.middlewares);
