import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { lazyIncidents } from '../../shared/aws/EventBridgeIncidents.ts';
import { StepFunctionsWorkflows } from '../../shared/aws/StepFunctionsWorkflows.ts';
import { handleExecutionEnded, type RunEndedOutcome } from '../../shared/ledger/runEnded.ts';
import {
  classified,
  clientConfig,
  lambdaConfig,
  ledgerTableName,
  systemClock,
} from '../../shared/runtime/lambdaEstate.ts';
import { slackNotifier } from '../../shared/runtime/slackRuntime.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const logger = new Logger();
const tracing = await functionTracing();
const dynamo = tracing.client(new DynamoDBClient(clientConfig()));
const workflows = new StepFunctionsWorkflows(tracing.client(new SFNClient(clientConfig())));
const config = lambdaConfig();
const { notifier } = slackNotifier(config, tracing.client(new SecretsManagerClient(clientConfig())));
const deps = {
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
  clock: systemClock,
  history: (executionArn: string) => workflows.recentStates(executionArn),
  notifier,
  // The paging hook, when the config names its event bus.
  ...(config.paging === undefined
    ? {}
    : {
        pager: lazyIncidents(config.paging.eventBusName, (Client) =>
          tracing.client(new Client(clientConfig())),
        ),
      }),
};

async function runEnded(event: unknown): Promise<RunEndedOutcome> {
  const outcome = await handleExecutionEnded(event, deps);
  logger.info('run ended', { outcome });
  return outcome;
}

/**
 * Step Functions' status changes of Lifeboat's workflows (stopped, timed out, failed): records a
 * run that could not record its own end, with what it had changed (read from its history), cuts the
 * lease of the lock it still holds, and says so in the run's Slack thread.
 */
export const handler = middy(classified(runEnded)).use(injectLambdaContext(logger)).use(tracing.middlewares);
