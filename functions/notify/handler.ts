import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { lazyIncidents } from '../../shared/aws/EventBridgeIncidents.ts';
import { clientConfig, lambdaConfig } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';
import { slackNotifier } from '../../shared/runtime/slackRuntime.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-notify';
const logger = new Logger();
const tracing = await functionTracing();
const config = lambdaConfig();
const { notifier } = slackNotifier(config, tracing.client(new SecretsManagerClient(clientConfig())));
// The paging hook, when the config names its event bus.
const pager =
  config.paging === undefined
    ? undefined
    : lazyIncidents(config.paging.eventBusName, (Client) => tracing.client(new Client(clientConfig())));

/** Notify: how a run goes and ends, posted to the team's Slack channel (and its pager, when configured). */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracing,
  ports: { notifier, ...(pager === undefined ? {} : { pager }) },
});
