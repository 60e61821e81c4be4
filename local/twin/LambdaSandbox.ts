import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { DeployedFunction } from './Deployment.ts';

/**
 * Lambda's execution environment for the functions of a rehearsal, inside one Node.js process.
 *
 * Each function in each region is a container: its own instance of the handler module (imported
 * under a URL of its own, so module-level state such as SDK clients and caches is per container, as
 * it is per Lambda sandbox), its own environment variables, its own log. Code that runs on behalf
 * of a container, at import and in every invocation, sees the container's variables through
 * `process.env` (an `AsyncLocalStorage` scope follows it across awaits) and writes its log lines
 * to the container's log instead of the terminal.
 */

/** What code running inside a container is attributed to. */
export interface ContainerScope {
  readonly container: Container;
  /** The invocation in progress (undefined while the module is imported). */
  readonly invocation: Invocation | undefined;
}

export interface Invocation {
  readonly requestId: string;
  /** The event the function was invoked with (the twin attributes its calls to the run it names). */
  readonly event: unknown;
  /** Log lines written during this invocation. */
  readonly log: string[];
}

/** One function's sandbox in one region. */
export interface Container {
  readonly id: string;
  readonly fn: DeployedFunction;
  readonly environment: Readonly<Record<string, string>>;
  /** Every log line the container wrote, newest last (bounded). */
  readonly log: string[];
  /** Anything the twin attaches to the container (its simulation, its credentials). */
  readonly owner: unknown;
  handler?: (event: unknown, context: LambdaContext) => Promise<unknown>;
}

/** The context object Lambda's Node.js runtime passes a handler. */
export interface LambdaContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

const MAX_LOG_LINES = 2_000;

/** Timers up to this long (retry back-offs) hold the virtual clock while they run. */
const SHORT_TIMER_MS = 1_000;

const scopes = new AsyncLocalStorage<ContainerScope>();

/** The container the calling code runs in, if any. */
export function currentScope(): ContainerScope | undefined {
  return scopes.getStore();
}

const INSTALLED = Symbol.for('lifeboat.twin.sandbox');

/**
 * Puts the per-container views of `process.env` and `process.stdout` in place, once per process
 * (per test file under jest, whose `process` is its own). Outside a container nothing changes.
 */
export function installSandbox(): void {
  const proc = process as unknown as Record<symbol, boolean>;
  if (proc[INSTALLED] === true) return;
  proc[INSTALLED] = true;
  const host = process.env;
  const env = (): Record<string, string | undefined> =>
    (scopes.getStore()?.container.environment as Record<string, string | undefined> | undefined) ?? host;
  process.env = new Proxy(host, {
    get: (_, key) => (typeof key === 'string' ? env()[key] : undefined),
    set: (_, key, value) => {
      const scope = scopes.getStore();
      // A container's environment is fixed at deploy time; writes inside one stay out of the host's.
      if (scope !== undefined) return true;
      if (typeof key === 'string') host[key] = String(value);
      return true;
    },
    has: (_, key) => typeof key === 'string' && env()[key] !== undefined,
    deleteProperty: (_, key) => {
      if (scopes.getStore() === undefined && typeof key === 'string') Reflect.deleteProperty(host, key);
      return true;
    },
    ownKeys: () => Object.keys(env()),
    getOwnPropertyDescriptor: (_, key) => {
      const value = typeof key === 'string' ? env()[key] : undefined;
      return value === undefined
        ? undefined
        : { value, writable: true, enumerable: true, configurable: true };
    },
  });
  // A function's clock is the rehearsal's: `new Date()` and `Date.now()` inside a container read the
  // virtual time of the twin that owns it (its owner's `now()`), everywhere else the real time.
  const RealDate = Date;
  const virtualNow = (): number | undefined => {
    const owner = scopes.getStore()?.container.owner as { now?: () => number } | undefined;
    return typeof owner?.now === 'function' ? owner.now() : undefined;
  };
  class ContainerDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) {
        super(virtualNow() ?? RealDate.now());
      } else {
        super(...(args as [number]));
      }
    }

    static override now(): number {
      return virtualNow() ?? RealDate.now();
    }
  }
  globalThis.Date = ContainerDate as DateConstructor;
  // A function's HTTP fetches (its probes of the applications' endpoints) go to its owner, which
  // answers for the endpoints of the rehearsal's world.
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    const owner = scopes.getStore()?.container.owner as
      { fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response> } | undefined;
    return typeof owner?.fetch === 'function' ? owner.fetch(input, init) : realFetch(input, init);
  };
  // A short timer a function sets (a client's retry back-off) runs in real time: the virtual clock
  // waits for it, as for any real I/O, until it fires or is cleared. Longer ones are deadlines (a
  // request's timeout) that the call clears when it answers; holding the clock for them would stall it.
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const waiting = new WeakMap<object, () => void>();
  globalThis.setTimeout = ((callback: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const owner = scopes.getStore()?.container.owner as
      { track?: (work: Promise<unknown>) => void } | undefined;
    if (typeof owner?.track !== 'function' || (ms ?? 0) > SHORT_TIMER_MS)
      return realSetTimeout(callback, ms, ...args);
    let done: () => void = () => undefined;
    owner.track(
      new Promise<void>((resolve) => {
        done = resolve;
      }),
    );
    const timer = realSetTimeout(
      (...a: unknown[]) => {
        done();
        callback(...a);
      },
      ms,
      ...args,
    );
    waiting.set(timer, done);
    return timer;
  }) as typeof setTimeout;
  globalThis.clearTimeout = (timer?: Parameters<typeof clearTimeout>[0]) => {
    if (timer !== undefined && typeof timer !== 'string' && typeof timer !== 'number') waiting.get(timer)?.();
    realClearTimeout(timer);
  };
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: unknown, ...rest: unknown[]) => {
    const scope = scopes.getStore();
    if (scope === undefined) return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      scope.container.log.push(line);
      scope.invocation?.log.push(line);
    }
    if (scope.container.log.length > MAX_LOG_LINES) scope.container.log.splice(0, MAX_LOG_LINES / 2);
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  };
}

let sequence = 0;

/** A container for `fn` with `environment`; its module is imported by `load`. */
export function createContainer(
  fn: DeployedFunction,
  environment: Readonly<Record<string, string>>,
  owner: unknown,
): Container {
  sequence++;
  return { id: `${fn.name}@${fn.region}#${sequence}`, fn, environment, log: [], owner };
}

/**
 * Imports the container's own instance of its handler module (Lambda's init phase), in its scope.
 * A failure is the function's init error, as Lambda reports it (`Runtime.ImportModuleError` /
 * the error the module threw).
 */
export async function load(container: Container): Promise<void> {
  if (container.handler !== undefined) return;
  // An absolute path with a query: Node and jest's module registry both key a module by it, so each
  // container gets its own instance (jest drops the query of a file: URL).
  const url = `${container.fn.entry}?container=${encodeURIComponent(container.id)}`;
  const module = (await scopes.run({ container, invocation: undefined }, () => import(url))) as Record<
    string,
    unknown
  >;
  const handler = module[container.fn.exportName];
  if (typeof handler !== 'function') {
    const error = new Error(
      `${container.fn.entry} does not export ${container.fn.exportName} (the stack's Handler is index.${container.fn.exportName})`,
    );
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  container.handler = handler as Container['handler'];
}

/**
 * Runs one invocation of the container's handler with `event` (a JSON copy, as Lambda delivers it)
 * and a Lambda context whose remaining time counts down on `now()`. Returns the JSON copy of the
 * result; an error keeps its name (Lambda's `errorType`) and message.
 */
export async function invoke(
  container: Container,
  event: unknown,
  options: { readonly now: () => number; readonly deadline: number },
): Promise<{ result: unknown; invocation: Invocation }> {
  await load(container);
  const handler = container.handler;
  if (handler === undefined) throw new Error(`${container.id} has no handler`);
  const payload = event === undefined ? undefined : (JSON.parse(JSON.stringify(event)) as unknown);
  const invocation: Invocation = { requestId: randomUUID(), event: payload, log: [] };
  const fn = container.fn;
  const context: LambdaContext = {
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.arn,
    memoryLimitInMB: String(fn.memorySize),
    awsRequestId: invocation.requestId,
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: `${new Date(options.now()).toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${container.id}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, options.deadline - options.now()),
  };
  const result = await scopes.run({ container, invocation }, () => handler(payload, context));
  return {
    result: result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown),
    invocation,
  };
}

/** Runs `work` outside any container: the twin's own calls (replication, its clients) are not a function's. */
export function outsideContainers<T>(work: () => T): T {
  return scopes.exit(work);
}
