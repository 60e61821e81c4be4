import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerSecrets } from '../aws/SecretsManagerSecrets.ts';
import type { LifeboatConfig } from '../config/LifeboatConfig.ts';
import type { NotifierPort } from '../ports/Estate.ts';
import { SlackWebNotifier } from '../slack/SlackWebNotifier.ts';

/**
 * The config's Slack channel through the bot token in Secrets Manager (read when first needed and
 * cached for five minutes, so a rotated token is picked up without a deployment).
 */
export function slackNotifier(
  config: LifeboatConfig,
  secretsClient: SecretsManagerClient,
  /** Each Slack request's deadline; the callback, which must answer within three seconds, gives less. */
  timeoutMs?: number,
): { notifier: NotifierPort; secrets: SecretsManagerSecrets } {
  const secrets = new SecretsManagerSecrets(secretsClient);
  return {
    secrets,
    notifier: new SlackWebNotifier({
      token: () => secrets.get(config.slack.botTokenSecretName),
      channel: config.slack.channelId,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      // A Slack API proxy (or Enterprise Grid's own endpoint), when the account routes Slack through one.
      ...(process.env.LIFEBOAT_SLACK_API_URL === undefined || process.env.LIFEBOAT_SLACK_API_URL === ''
        ? {}
        : { slackApiUrl: process.env.LIFEBOAT_SLACK_API_URL }),
    }),
  };
}
