import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoApprovals } from '../../shared/aws/DynamoApprovals.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { clientConfig, lambdaConfig, ledgerTableName } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';
import { slackNotifier } from '../../shared/runtime/slackRuntime.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-approval';
const logger = new Logger();
const tracing = await functionTracing();
const dynamo = tracing.client(new DynamoDBClient(clientConfig()));
const { notifier } = slackNotifier(lambdaConfig(), tracing.client(new SecretsManagerClient(clientConfig())));

/** RequestApproval (a `.waitForTaskToken` task), CloseApproval and ClaimOffer. */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracing,
  ports: { notifier },
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
  approvals: new DynamoApprovals(dynamo, ledgerTableName()),
});
