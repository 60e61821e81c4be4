import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig, lambdaConfig } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';
import { slackNotifier } from '../../shared/runtime/slackRuntime.ts';

const FUNCTION = 'lifeboat-notify';
const logger = new Logger();
const tracer = new Tracer();
const { notifier } = slackNotifier(
  lambdaConfig(),
  tracer.captureAWSv3Client(new SecretsManagerClient(clientConfig())),
);

/** Notify: how a run ended, posted to the team's Slack channel. */
export const handler = failoverHandler(FUNCTION, { logger, tracer, ports: { notifier } });
