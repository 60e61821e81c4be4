import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { StartExecutionCommandInput } from '@aws-sdk/client-sfn';
import type { LifeboatConfig } from '../config/LifeboatConfig.ts';
import { readBundledConfig } from '../config/bundledConfig.ts';
import { classifyError, ConfigError, PermanentServiceError } from '../errors.ts';
import type { Clock } from '../ports/Clock.ts';
import type { Estate, NotifierPort, SlackThread } from '../ports/Estate.ts';
import type { Ledger } from '../ports/Ledger.ts';
import type { WorkflowStarter } from '../trigger/Trigger.ts';

/**
 * What the Lambda handlers build their operations from: the config bundled into the function, the
 * environment, the clock, SDK client settings and the Estate. Nothing here imports an AWS SDK
 * package: the SDK is external to the bundles (the runtime provides it), and esbuild keeps every
 * import of an external package, used or not, so each one here would load in every function.
 */

let bundledConfig: { readonly text: string | undefined; readonly config: LifeboatConfig } | undefined;

/**
 * The config the function was bundled with (esbuild replaces `process.env.LIFEBOAT_CONFIG` with the
 * config validated at synth, so a config larger than Lambda's 4 KB of environment still fits), read
 * once per container.
 */
export function lambdaConfig(): LifeboatConfig {
  // In a bundle the variable is a literal, so the cache always hits; a process that hosts several
  // functions' containers (the local runtime's AWS twin) gives each its own config.
  const text = process.env.LIFEBOAT_CONFIG;
  if (bundledConfig !== undefined && bundledConfig.text === text) return bundledConfig.config;
  bundledConfig = { text, config: readBundledConfig(text) };
  return bundledConfig.config;
}

/** An environment variable the stack sets; its absence is a deployment error, named. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new ConfigError('the environment', [`${name}: not set; the stack sets it on the function`]);
  }
  return value;
}

/** The region this function runs in: the region a workflow moves traffic to. */
export function lambdaRegion(): string {
  return requireEnv('AWS_REGION');
}

/** The ledger's table (`LIFEBOAT_TABLE_NAME`), reached through this region's replica. */
export function ledgerTableName(): string {
  return requireEnv('LIFEBOAT_TABLE_NAME');
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
};

/**
 * SDK client settings with deadlines: without them a call to a region whose endpoint black-holes
 * traffic hangs until the Lambda times out, and with it every signal the step could still read.
 */
export function clientConfig(region?: string): {
  region?: string;
  requestHandler: { connectionTimeout: number; requestTimeout: number };
} {
  return {
    ...(region === undefined ? {} : { region }),
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
  };
}

/** One client per region, created on first use and kept for the container's life. */
export function perRegion<C>(create: (region: string) => C): (region: string) => C {
  const clients = new Map<string, C>();
  return (region) => {
    let client = clients.get(region);
    if (client === undefined) {
      client = create(region);
      clients.set(region, client);
    }
    return client;
  };
}

/**
 * Something a function was not given: each call fails at once, naming it, instead of reaching for
 * a client and permissions the function does not have.
 */
function unavailable(functionName: string, what: string): object {
  return new Proxy(
    {},
    {
      // `then` stays undefined so that awaiting the object itself does not call it.
      get: (_, member) =>
        typeof member !== 'string' || member === 'then'
          ? undefined
          : () =>
              Promise.reject(
                new PermanentServiceError(
                  `${functionName} has no ${what}: ${member} was called, but its steps do not use it and its role does not allow it`,
                ),
              ),
    },
  );
}

/** The ledger of a function whose steps never touch it (and whose role may not). */
export function noLedger(functionName: string, which = 'ledger'): Ledger {
  return unavailable(functionName, which) as Ledger;
}

/** The Estate of one function: the ports it was given, and `unavailable` ones for the rest. */
export function lambdaEstate(functionName: string, ports: Partial<Estate>): Estate {
  const missing = new Map<string, object>();
  return new Proxy(ports, {
    get: (target, key) => {
      if (typeof key !== 'string') return undefined;
      const given = (target as Record<string, unknown>)[key];
      if (given !== undefined) return given;
      let port = missing.get(key);
      if (port === undefined) {
        port = unavailable(functionName, `${key} port`);
        missing.set(key, port);
      }
      return port;
    },
  }) as Estate;
}

/**
 * A notifier that writes each message as a structured log line (`notification`) in the function's
 * log group, where a metric filter or a subscription can pick it up. The id returned is the line's
 * `notificationId`, which an update names.
 */
export class LogNotifier implements NotifierPort {
  readonly #logger: Pick<Logger, 'info'>;

  constructor(logger: Pick<Logger, 'info'>) {
    this.#logger = logger;
  }

  post(text: string, blocks?: readonly unknown[], thread?: SlackThread): Promise<string> {
    const notificationId = randomUUID();
    this.#logger.info('notification', {
      notificationId,
      text,
      ...(blocks === undefined ? {} : { blocks }),
      ...(thread === undefined ? {} : { inReplyTo: thread.ts }),
    });
    return Promise.resolve(notificationId);
  }

  update(ts: string, text: string, blocks?: readonly unknown[]): Promise<void> {
    this.#logger.info('notification', {
      notificationId: ts,
      updates: ts,
      text,
      ...(blocks === undefined ? {} : { blocks }),
    });
    return Promise.resolve();
  }

  postEphemeral(user: string, text: string): Promise<void> {
    this.#logger.info('notification', { notificationId: randomUUID(), onlyFor: user, text });
    return Promise.resolve();
  }
}

/**
 * Starts workflows with StartExecution. The execution name is the incident's, so a second start for
 * the same incident (another alarm, a retried invocation, another region's trigger) is refused by
 * Step Functions with ExecutionAlreadyExists, which is the answer `already-started`.
 */
export class StepFunctionsStarter implements WorkflowStarter {
  readonly #startExecution: (input: StartExecutionCommandInput) => Promise<unknown>;
  readonly #stateMachineArns: Readonly<Record<'failover', string>>;

  /** `startExecution` sends StartExecution (the handler owns the SFN client and its command). */
  constructor(
    startExecution: (input: StartExecutionCommandInput) => Promise<unknown>,
    stateMachineArns: Readonly<Record<'failover', string>>,
  ) {
    this.#startExecution = startExecution;
    this.#stateMachineArns = stateMachineArns;
  }

  async start(
    workflow: 'failover',
    name: string,
    input: Record<string, unknown>,
  ): Promise<'started' | 'already-started'> {
    try {
      await this.#startExecution({
        stateMachineArn: this.#stateMachineArns[workflow],
        name,
        input: JSON.stringify(input),
      });
      return 'started';
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === 'ExecutionAlreadyExists') return 'already-started';
      throw error;
    }
  }
}

/**
 * An operation whose errors reach the caller classified (ThrottledError, TransientServiceError,
 * PermanentServiceError, or Lifeboat's own), the names the workflows' Retry and Catch match.
 */
export function classified<E, R>(operation: (event: E) => Promise<R>): (event: E) => Promise<R> {
  return async (event) => {
    try {
      return await operation(event);
    } catch (error) {
      throw classifyError(error);
    }
  };
}
