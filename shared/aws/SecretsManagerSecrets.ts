import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PermanentServiceError } from '../errors.ts';

/** How long a secret's value is reused before it is read again: a rotation reaches a warm container in this. */
const DEFAULT_MAX_AGE_SECONDS = 300;

interface Entry {
  readonly value: Promise<string>;
  /** When the value arrived (ms); undefined while the request is in flight. */
  fetchedAt: number | undefined;
}

/**
 * Text secrets (the Slack bot token and signing secret) read from Secrets Manager in the function's
 * region, each cached for `maxAgeSeconds` so a warm container does not call Secrets Manager per
 * request. Concurrent callers share one request; a failed read is not cached, so the next call asks
 * again.
 */
export class SecretsManagerSecrets {
  readonly #client: SecretsManagerClient;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(client: SecretsManagerClient, options: { maxAgeSeconds?: number; now?: () => number } = {}) {
    const maxAgeSeconds = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
    if (!Number.isFinite(maxAgeSeconds) || maxAgeSeconds < 0) {
      throw new RangeError(`maxAgeSeconds is ${maxAgeSeconds}; expected a number of seconds, 0 or more`);
    }
    this.#client = client;
    this.#maxAgeMs = maxAgeSeconds * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** The secret's SecretString; throws, naming the secret, when it has none or it is empty. */
  get(secretName: string): Promise<string> {
    const cached = this.#entries.get(secretName);
    if (
      cached !== undefined &&
      (cached.fetchedAt === undefined || this.#now() - cached.fetchedAt < this.#maxAgeMs)
    ) {
      return cached.value;
    }
    const entry: Entry = { value: this.#read(secretName), fetchedAt: undefined };
    this.#entries.set(secretName, entry);
    entry.value.then(
      () => {
        entry.fetchedAt = this.#now();
      },
      () => {
        // Only this entry: a newer request for the same name may already have replaced it.
        if (this.#entries.get(secretName) === entry) this.#entries.delete(secretName);
      },
    );
    return entry.value;
  }

  async #read(secretName: string): Promise<string> {
    const output = await this.#client.send(new GetSecretValueCommand({ SecretId: secretName }));
    const value = output.SecretString;
    if (value === undefined) {
      throw new PermanentServiceError(
        output.SecretBinary === undefined
          ? `secret ${secretName} has no value; store the value as its secret string`
          : `secret ${secretName} holds binary data only; store the value as its secret string`,
      );
    }
    if (value.trim() === '') {
      throw new PermanentServiceError(`secret ${secretName} is empty; store the value as its secret string`);
    }
    return value;
  }
}
