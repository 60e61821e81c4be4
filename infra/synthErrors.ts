import { ConfigError } from '../shared/errors.ts';

/** Where the stacks' account comes from, in the order `infra/app.ts` reads them. */
export const ACCOUNT_SOURCES = '"account" in the config or CDK_DEFAULT_ACCOUNT in the environment';

/**
 * What `cdk synth` prints instead of a stack trace for a failure the user fixes outside the code:
 * the config's problems, or a construct that refuses a stack whose account is unknown at synth. The
 * stacks take the account as a token when neither the config nor the CDK CLI (from the AWS
 * credentials) gives one, so synth works offline; a construct that needs a concrete account (a
 * context lookup, a cross-account rule) fails with one line naming where the account comes from.
 * Undefined for anything else: a bug, whose stack trace is wanted.
 */
export function synthErrorMessage(
  error: unknown,
  configPath: string,
  account: string | undefined,
): string | undefined {
  if (error instanceof ConfigError) return error.message;
  if (account === undefined && error instanceof Error && /\baccount\b/i.test(error.message)) {
    const cause = error.message.split('\n')[0]?.trim() ?? '';
    return `Lifeboat ${configPath}: this synth needs the AWS account; set ${ACCOUNT_SOURCES} (the CDK CLI sets it from your AWS credentials). ${cause}`;
  }
  return undefined;
}
