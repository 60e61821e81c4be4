import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig, lambdaConfig } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';
import { slackNotifier } from '../../shared/runtime/slackRuntime.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-notify';
const logger = new Logger();
const tracing = await functionTracing();
const { notifier } = slackNotifier(lambdaConfig(), tracing.client(new SecretsManagerClient(clientConfig())));

/** Notify: how a run ended, posted to the team's Slack channel. */
export const handler = failoverHandler(FUNCTION, { logger, tracing, ports: { notifier } });
