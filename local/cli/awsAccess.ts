/**
 * When the CLI cannot sign its AWS calls: no credentials at all, or an expired SSO session. The SDK
 * says so with CredentialsProviderError ("Could not load credentials from any providers") or, once
 * signed with a stale session, ExpiredToken-like errors; a command that asked several regions gets
 * them wrapped, so the names are looked for in causes, nested errors and messages.
 */
const CREDENTIAL_ERRORS = [
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
];

const MENTIONS = new RegExp(`\\b(${CREDENTIAL_ERRORS.join('|')})\\b|Could not load credentials`);

/** One line naming the fix, shared by every command that calls AWS. */
export const CREDENTIALS_HINT =
  'no usable AWS credentials: set AWS_PROFILE to a profile of the deployment\'s account (for an SSO profile, run "aws sso login --profile <name>" first), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';

/** Whether an error (or any error it wraps or names) says the CLI has no usable credentials. */
export function lacksCredentials(error: unknown, depth = 0): boolean {
  if (depth > 5 || error === null || typeof error !== 'object')
    return typeof error === 'string' && MENTIONS.test(error);
  const e = error as { name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.name === 'string' && CREDENTIAL_ERRORS.includes(e.name)) return true;
  if (typeof e.message === 'string' && MENTIONS.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => lacksCredentials(x, depth + 1))) return true;
  return e.cause !== undefined && lacksCredentials(e.cause, depth + 1);
}
