import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import { DynamoApprovals } from '../../shared/aws/DynamoApprovals.ts';
import { deployedWorkflows } from '../../shared/aws/StepFunctionsControl.ts';
import {
  lambdaConfig,
  ledgerTableName,
  perRegion,
  requireEnv,
  systemClock,
} from '../../shared/runtime/lambdaEstate.ts';
import { slackNotifier } from '../../shared/runtime/slackRuntime.ts';
import {
  handleSlackCallback,
  type CallbackRequest,
  type CallbackResponse,
} from '../../shared/slack/SlackCallback.ts';

const logger = new Logger();
const config = lambdaConfig();
// Slack waits three seconds for an answer: every call here gets a short deadline and no long retries.
const fast = (region?: string) => ({
  ...(region === undefined ? {} : { region }),
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 500, requestTimeout: 1_200 },
});
const dynamo = new DynamoDBClient(fast());
const { notifier, secrets } = slackNotifier(config, new SecretsManagerClient(fast()), 1_000);
const workflows = deployedWorkflows(
  perRegion((region) => new SFNClient(fast(region))),
  requireEnv('LIFEBOAT_ACCOUNT'),
  requireEnv('LIFEBOAT_PARTITION'),
);

const approvals = new DynamoApprovals(dynamo, ledgerTableName());

async function callback(request: CallbackRequest): Promise<CallbackResponse> {
  const { response } = await handleSlackCallback(request, {
    config,
    approvals,
    signingSecret: () => secrets.get(config.slack.signingSecretSecretName),
    workflows,
    notifier,
    clock: systemClock,
    log: (message, fields) => {
      logger.info(message, fields);
    },
  });
  return response;
}

/**
 * Slack's interactivity endpoint behind a Lambda Function URL with no IAM auth: the request's
 * signature is the authentication. Every refusal is logged with its reason and answered bare.
 */
export const handler = middy(callback).use(injectLambdaContext(logger));
