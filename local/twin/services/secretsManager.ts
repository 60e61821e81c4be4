import { createHash } from 'node:crypto';
import type { LifeboatConfig } from '../../../shared/config/LifeboatConfig.ts';
import { SimulatedServiceError } from '../../world/faults.ts';
import { text, type ServiceOperations } from './ServiceTwin.ts';

/** A secret in one region of the twin. */
export interface TwinSecret {
  readonly region: string;
  readonly name: string;
  readonly arn: string;
  readonly value: string;
}

/**
 * The Slack secrets the README tells a team to create in every control-plane region (Lifeboat does
 * not create them), with the six-character suffix Secrets Manager adds to every secret's ARN.
 */
export function slackSecrets(
  config: LifeboatConfig,
  account: string,
  partition: string,
  values: { readonly botToken: string; readonly signingSecret: string },
): TwinSecret[] {
  const suffix = (name: string, region: string): string =>
    createHash('sha256').update(`${region}/${name}`).digest('base64url').replace(/[-_]/g, 'x').slice(0, 6);
  return config.controlPlaneRegions.flatMap((region) =>
    [
      { name: config.slack.botTokenSecretName, value: values.botToken },
      { name: config.slack.signingSecretSecretName, value: values.signingSecret },
    ].map(({ name, value }) => ({
      region,
      name,
      arn: `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-${suffix(name, region)}`,
      value,
    })),
  );
}

/**
 * Secrets Manager's GetSecretValue: by name, full ARN or partial ARN (without the suffix), in the
 * region asked; anything else is ResourceNotFoundException, as Secrets Manager answers.
 */
export function secretsManagerOperations(secrets: readonly TwinSecret[]): ServiceOperations {
  return {
    GetSecretValue: (input, { world, region }) => {
      if (world.faults.isOutage(region)) {
        throw new SimulatedServiceError(
          'ServiceUnavailableException',
          `secretsmanager GetSecretValue in ${region}: the region is unavailable`,
          503,
        );
      }
      const id = text(input.SecretId);
      const secret = secrets.find(
        (s) => s.region === region && (s.name === id || s.arn === id || s.arn.slice(0, -7) === id),
      );
      if (secret === undefined) {
        throw new SimulatedServiceError(
          'ResourceNotFoundException',
          "Secrets Manager can't find the specified secret.",
          400,
        );
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: secret.value,
        VersionId: '00000000-0000-4000-8000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: new Date(world.clock.secondsToIso(-86_400)),
      };
    },
  };
}
