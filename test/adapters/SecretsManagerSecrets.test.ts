import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerSecrets } from '../../shared/aws/SecretsManagerSecrets.ts';
import { PermanentServiceError } from '../../shared/errors.ts';

const BOT_TOKEN = 'lifeboat/slack/bot-token';
const SIGNING_SECRET = 'lifeboat/slack/signing-secret';

const secretsManager = mockClient(SecretsManagerClient);

/** A clock the test moves by hand, in ms. */
let nowMs: number;

function secrets(maxAgeSeconds?: number): SecretsManagerSecrets {
  return new SecretsManagerSecrets(new SecretsManagerClient({ region: 'us-west-2' }), {
    ...(maxAgeSeconds === undefined ? {} : { maxAgeSeconds }),
    now: () => nowMs,
  });
}

function notFound(): ResourceNotFoundException {
  return new ResourceNotFoundException({
    message: "Secrets Manager can't find the specified secret.",
    $metadata: { httpStatusCode: 400 },
  });
}

beforeEach(() => {
  secretsManager.reset();
  nowMs = Date.parse('2026-11-22T06:00:00.000Z');
});

describe('SecretsManagerSecrets', () => {
  it('reads the secret string with GetSecretValue by the secret’s name', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ Name: BOT_TOKEN, SecretString: 'xoxb-1-2-abc' });

    await expect(secrets().get(BOT_TOKEN)).resolves.toBe('xoxb-1-2-abc');

    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({
      SecretId: BOT_TOKEN,
    });
  });

  it('keeps the value as stored, surrounding whitespace included', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: ' s3cret\n' });

    await expect(secrets().get(SIGNING_SECRET)).resolves.toBe(' s3cret\n');
  });

  it('serves a value from its cache until it is maxAgeSeconds old, then reads it again', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'first' })
      .resolvesOnce({ SecretString: 'rotated' });
    const subject = secrets(60);

    await expect(subject.get(BOT_TOKEN)).resolves.toBe('first');
    nowMs += 59_999;
    await expect(subject.get(BOT_TOKEN)).resolves.toBe('first');
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);

    nowMs += 1;
    await expect(subject.get(BOT_TOKEN)).resolves.toBe('rotated');
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('caches for five minutes when no maxAgeSeconds is given', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'first' })
      .resolvesOnce({ SecretString: 'second' });
    const subject = secrets();

    await subject.get(BOT_TOKEN);
    nowMs += 299_999;
    await expect(subject.get(BOT_TOKEN)).resolves.toBe('first');
    nowMs += 1;
    await expect(subject.get(BOT_TOKEN)).resolves.toBe('second');
  });

  it('reads every time when maxAgeSeconds is 0', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'value' });
    const subject = secrets(0);

    await subject.get(BOT_TOKEN);
    await subject.get(BOT_TOKEN);

    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('caches each secret under its own name', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: BOT_TOKEN })
      .resolves({ SecretString: 'xoxb-token' })
      .on(GetSecretValueCommand, { SecretId: SIGNING_SECRET })
      .resolves({ SecretString: 'signing' });
    const subject = secrets();

    await expect(subject.get(BOT_TOKEN)).resolves.toBe('xoxb-token');
    await expect(subject.get(SIGNING_SECRET)).resolves.toBe('signing');
    await expect(subject.get(BOT_TOKEN)).resolves.toBe('xoxb-token');
    await expect(subject.get(SIGNING_SECRET)).resolves.toBe('signing');

    expect(secretsManager.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: BOT_TOKEN },
      { SecretId: SIGNING_SECRET },
    ]);
  });

  it('shares one request among concurrent callers', async () => {
    let release: (value: { SecretString: string }) => void = () => undefined;
    secretsManager.on(GetSecretValueCommand).callsFake(
      () =>
        new Promise((resolve) => {
          release = resolve;
        }),
    );
    const subject = secrets();

    const callers = [subject.get(BOT_TOKEN), subject.get(BOT_TOKEN), subject.get(BOT_TOKEN)];
    // Let the one request reach the client before answering it.
    await new Promise((resolve) => setImmediate(resolve));
    release({ SecretString: 'shared' });

    await expect(Promise.all(callers)).resolves.toEqual(['shared', 'shared', 'shared']);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('does not cache a failure: the next call asks again', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(notFound())
      .resolvesOnce({ SecretString: 'created-since' });
    const subject = secrets();

    await expect(subject.get(BOT_TOKEN)).rejects.toThrow(ResourceNotFoundException);
    await expect(subject.get(BOT_TOKEN)).resolves.toBe('created-since');
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('gives every concurrent caller the failure of their shared request', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(notFound());
    const subject = secrets();

    const results = await Promise.allSettled([subject.get(BOT_TOKEN), subject.get(BOT_TOKEN)]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('propagates the SDK error unchanged', async () => {
    const error = notFound();
    secretsManager.on(GetSecretValueCommand).rejects(error);

    await expect(secrets().get(BOT_TOKEN)).rejects.toBe(error);
  });

  it.each([
    [
      'binary data only',
      { SecretBinary: new Uint8Array([1, 2, 3]) },
      `secret ${BOT_TOKEN} holds binary data only; store the value as its secret string`,
    ],
    ['no value at all', {}, `secret ${BOT_TOKEN} has no value; store the value as its secret string`],
    [
      'an empty string',
      { SecretString: '' },
      `secret ${BOT_TOKEN} is empty; store the value as its secret string`,
    ],
    [
      'only whitespace',
      { SecretString: ' \n' },
      `secret ${BOT_TOKEN} is empty; store the value as its secret string`,
    ],
  ])('fails, naming the secret, when it holds %s', async (_, output, message) => {
    secretsManager.on(GetSecretValueCommand).resolves(output);

    const attempt = secrets().get(BOT_TOKEN);
    await expect(attempt).rejects.toThrow(message);
    await expect(attempt).rejects.toBeInstanceOf(PermanentServiceError);
  });

  it('does not cache an unusable value', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '' })
      .resolvesOnce({ SecretString: 'fixed' });
    const subject = secrets();

    await expect(subject.get(BOT_TOKEN)).rejects.toThrow('is empty');
    await expect(subject.get(BOT_TOKEN)).resolves.toBe('fixed');
  });

  it.each([[-1], [Number.NaN]])('refuses maxAgeSeconds %p', (maxAgeSeconds) => {
    expect(() => new SecretsManagerSecrets(new SecretsManagerClient({}), { maxAgeSeconds })).toThrow(
      `maxAgeSeconds is ${maxAgeSeconds}; expected a number of seconds, 0 or more`,
    );
  });
});
