import { randomBytes } from 'node:crypto';
import type { VirtualClock } from '../clock/VirtualClock.ts';
import { SimulatedServiceError } from '../world/faults.ts';
import type { World } from '../world/World.ts';
import type { DeployedFunction, Deployment } from './Deployment.ts';
import {
  createContainer,
  installSandbox,
  invoke,
  load,
  type Container,
  type ContainerScope,
} from './LambdaSandbox.ts';
import {
  installInterception,
  type CallReceiver,
  type SdkClient,
  type SdkCommand,
} from './sdkInterception.ts';
import { NOT_MINE, type ServiceOperations, type TwinCallContext } from './services/ServiceTwin.ts';
import type {
  AuthorizationDecision,
  AuthorizationRequest,
  AwsCallRecord,
  AwsRequest,
  PolicyDocument,
  TwinService,
} from './types.ts';

/** The checks every call is held to; the twin's parts behind them are swappable in tests. */
export interface TwinChecks {
  /** Requests AWS's API model rejects, one message each. */
  readonly modelErrors: (service: TwinService, operation: string, input: unknown) => readonly string[];
  /** What IAM is asked for the call. */
  readonly authorizationRequests: (request: AwsRequest) => readonly AuthorizationRequest[];
  readonly evaluate: (
    policies: readonly PolicyDocument[],
    request: AuthorizationRequest,
    principal: { readonly roleArn: string; readonly account: string },
  ) => AuthorizationDecision | Promise<AuthorizationDecision>;
}

/** The assumed-role credentials Lambda gives one function's containers. */
export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** `arn:aws:iam::<account>:role/<name>` */
  readonly roleArn: string;
  /** `arn:aws:sts::<account>:assumed-role/<name>/<function>` */
  readonly assumedRoleArn: string;
}

export interface AwsTwinOptions {
  readonly world: World;
  readonly clock: VirtualClock;
  readonly deployment: Deployment;
  readonly checks: TwinChecks;
  /** Each service's twins, tried in order (a twin answers `NOT_MINE` to pass a call on). */
  readonly services: Readonly<Partial<Record<TwinService, readonly ServiceOperations[]>>>;
  /** DynamoDB calls: sent on by the function's own client, to the embedded DynamoDB. */
  readonly dynamodb: (
    operation: string,
    input: Readonly<Record<string, unknown>>,
    region: string,
    send: (input: Readonly<Record<string, unknown>>) => Promise<unknown>,
  ) => Promise<unknown>;
  /** Variables the rehearsal adds to every container (its loopback endpoints), besides Lambda's own. */
  readonly environment: (fn: DeployedFunction) => Readonly<Record<string, string>>;
  /** Where the calls are recorded (the report's `awsCalls`). */
  readonly calls?: AwsCallRecord[];
  /** Where denials and model errors are recorded (the report's `violations`). */
  readonly violations?: string[];
}

const realFetch = globalThis.fetch;

/** How the report's AWS calls name the operator's CLI (it is no function). */
export const OPERATOR = 'lifeboat (operator CLI)';

/** The name AWS gives a refused authorization, by service (query protocols say `AccessDenied`). */
const ACCESS_DENIED: Readonly<Record<TwinService, string>> = {
  route53: 'AccessDenied',
  rds: 'AccessDenied',
  elasticache: 'AccessDenied',
  cloudwatch: 'AccessDenied',
  eks: 'AccessDeniedException',
  dynamodb: 'AccessDeniedException',
  sfn: 'AccessDeniedException',
  secretsmanager: 'AccessDeniedException',
  events: 'AccessDeniedException',
  lambda: 'AccessDeniedException',
};

/** The name AWS gives a request its model rejects, by service. */
const VALIDATION: Readonly<Record<TwinService, string>> = {
  route53: 'InvalidInput',
  rds: 'InvalidParameterValue',
  elasticache: 'InvalidParameterValue',
  cloudwatch: 'InvalidParameterValue',
  eks: 'InvalidParameterException',
  dynamodb: 'ValidationException',
  sfn: 'ValidationException',
  secretsmanager: 'InvalidParameterException',
  events: 'ValidationException',
  lambda: 'InvalidParameterValueException',
};

/**
 * The AWS twin of one rehearsal: the deployment's functions as Lambda containers (the real handler
 * modules, with the environment, region and role the synthesized stacks give them), and every AWS
 * call they make checked against AWS's API model and the role's policies, then answered by the
 * simulated world. Each call is recorded for the report; a denial or a model error is also a
 * violation.
 */
export class AwsTwin implements CallReceiver {
  readonly calls: AwsCallRecord[];
  readonly violations: string[];
  readonly #options: AwsTwinOptions;
  readonly #containers = new Map<string, Container>();
  readonly #credentials = new Map<string, RoleCredentials>();
  readonly #clients = new Set<SdkClient>();

  readonly #running = new Set<{ readonly name: string; readonly region: string; readonly event: unknown }>();

  constructor(options: AwsTwinOptions) {
    this.#options = options;
    this.calls = options.calls ?? [];
    this.violations = options.violations ?? [];
    installSandbox();
    installInterception();
  }

  get deployment(): Deployment {
    return this.#options.deployment;
  }

  /** The function as deployed in `region`, or undefined when no stack deploys it there. */
  deployed(name: string, region: string): DeployedFunction | undefined {
    return this.#options.deployment.functions.find((f) => f.name === name && f.region === region);
  }

  /** The credentials behind an access key id (what STS knows when it checks a signature). */
  credentialsFor(accessKeyId: string): RoleCredentials | undefined {
    return [...this.#credentials.values()].find((c) => c.accessKeyId === accessKeyId);
  }

  /** The function's role's credentials, made on first use. */
  roleCredentials(fn: DeployedFunction): RoleCredentials {
    let credentials = this.#credentials.get(fn.roleArn);
    if (credentials === undefined) {
      const roleName = fn.roleArn.split('/').at(-1) ?? fn.name;
      credentials = {
        accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: randomBytes(48).toString('base64'),
        roleArn: fn.roleArn,
        assumedRoleArn: `arn:${this.#options.deployment.partition}:sts::${this.#options.deployment.account}:assumed-role/${roleName}/${fn.name}`,
      };
      this.#credentials.set(fn.roleArn, credentials);
    }
    return credentials;
  }

  /** The container of a function in a region: created (not yet imported) on first use. */
  container(name: string, region: string): Container {
    const key = `${name}@${region}`;
    let container = this.#containers.get(key);
    if (container === undefined) {
      const fn = this.deployed(name, region);
      if (fn === undefined) {
        throw new SimulatedServiceError(
          'ResourceNotFoundException',
          `Function not found: arn:aws:lambda:${region}:${this.#options.deployment.account}:function:${name} (no stack deploys ${name} in ${region})`,
          404,
        );
      }
      const credentials = this.roleCredentials(fn);
      container = createContainer(
        fn,
        {
          ...fn.environment,
          // What Lambda's runtime sets in every Node.js function.
          AWS_REGION: region,
          AWS_DEFAULT_REGION: region,
          AWS_LAMBDA_FUNCTION_NAME: fn.name,
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
          AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_SESSION_TOKEN: credentials.sessionToken,
          LAMBDA_TASK_ROOT: '/var/task',
          _HANDLER: `index.${fn.exportName}`,
          TZ: ':UTC',
          ...this.#options.environment(fn),
        },
        this,
      );
      this.#containers.set(key, container);
    }
    return container;
  }

  /**
   * Invokes a function in a region with `event`, as Lambda would: the result, or the error the
   * handler threw (its name is Lambda's `errorType`, which the state machines' Retry and Catch
   * match). An invocation past the function's timeout fails as `Sandbox.Timedout`.
   */
  async invoke(name: string, region: string, event: unknown): Promise<unknown> {
    return (await this.invokeWithLog(name, region, event)).result;
  }

  /** `invoke`, with the log lines the invocation wrote (what CloudWatch Logs would hold of it). */
  async invokeWithLog(
    name: string,
    region: string,
    event: unknown,
  ): Promise<{ result: unknown; log: readonly string[] }> {
    const container = this.container(name, region);
    const { clock } = this.#options;
    const timeout = container.fn.timeoutSeconds;
    const running = { name, region, event };
    this.#running.add(running);
    const started = clock.seconds;
    let timer: { cancel(): void } | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = clock.schedule(started + timeout, () => {
        const error = new Error(`${name}: Task timed out after ${timeout.toFixed(2)} seconds`);
        error.name = 'Sandbox.Timedout';
        reject(error);
      });
    });
    try {
      const { result, invocation } = await Promise.race([
        // Importing the module is real work (file reads): time stands still meanwhile.
        clock.track(load(container)).then(() =>
          invoke(container, event, {
            now: () => clock.now().getTime(),
            deadline: clock.now().getTime() + timeout * 1000,
          }),
        ),
        timedOut,
      ]);
      return { result, log: invocation.log };
    } catch (error) {
      throw lambdaError(error);
    } finally {
      timer?.cancel();
      this.#running.delete(running);
    }
  }

  /**
   * The events of the function's invocations in `region` running now: what a call that reaches the
   * twin by another way than the SDK (a Kubernetes API request) is attributed to.
   */
  runningEvents(name: string, region: string): unknown[] {
    return [...this.#running].filter((r) => r.name === name && r.region === region).map((r) => r.event);
  }

  /** The rehearsal's time, which the functions' clocks read (epoch milliseconds). */
  now(): number {
    return this.#options.clock.now().getTime();
  }

  /**
   * A function's fetch of an application's endpoint (the trigger's and the preflight's direct
   * probes): answered as the endpoint would, from the world (200 while it serves; a refused
   * connection, which fetch reports as a TypeError, while it is down). Any other URL is refused:
   * a rehearsal reaches nothing outside the machine.
   */
  async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const { world, clock } = this.#options;
    const url = new URL(input instanceof Request ? input.url : input.toString());
    // The rehearsal's own loopback servers (Slack's Web API) are reached for real.
    if (url.hostname === '127.0.0.1') return realFetch(input, init);
    for (const app of world.config.applications) {
      for (const [region, check] of Object.entries(app.healthChecks)) {
        if (check.kind !== 'endpoint' || check.endpoint !== url.hostname) continue;
        await clock.sleep(world.latency.apiCallSeconds);
        if (!world.endpointUp(app.name, region)) {
          throw new TypeError('fetch failed', { cause: new Error(`connect ECONNREFUSED ${url.host}`) });
        }
        return new Response('ok', { status: 200 });
      }
    }
    throw new TypeError('fetch failed', {
      cause: new Error(`getaddrinfo ENOTFOUND ${url.hostname} (the rehearsal reaches no other host)`),
    });
  }

  track(work: Promise<unknown>): void {
    void this.#options.clock.track(work);
  }

  async call(
    scope: ContainerScope,
    service: TwinService,
    client: SdkClient,
    command: SdkCommand,
    send: (command: SdkCommand) => Promise<unknown>,
  ): Promise<unknown> {
    this.#clients.add(client);
    const fn = scope.container.fn;
    const region = await client.config.region();
    return this.#answer(
      {
        name: fn.name,
        where: `${fn.name} in ${fn.region}`,
        role: {
          roleArn: fn.roleArn,
          policies: fn.policies,
          assumedRoleArn: this.roleCredentials(fn).assumedRoleArn,
        },
      },
      service,
      command.constructor.name.replace(/Command$/, ''),
      command.input,
      region,
      (input) => send(new (command.constructor as new (input: unknown) => SdkCommand)(input)),
      scope.invocation?.event,
    );
  }

  /**
   * A call of the operator's CLI (`lifeboat stop`, `fence`, ...), made with the person's own
   * credentials: held to AWS's API model like the functions' calls, recorded (function
   * `OPERATOR`), and answered by the same simulated world. The person's IAM permissions are theirs,
   * not the stacks': no role's policy is asked. `send` sends a DynamoDB call on, to the embedded
   * DynamoDB.
   */
  operatorCall(
    service: TwinService,
    operation: string,
    input: Readonly<Record<string, unknown>>,
    region: string,
    send: (input: Readonly<Record<string, unknown>>) => Promise<unknown>,
  ): Promise<unknown> {
    return this.#answer(
      { name: OPERATOR, where: OPERATOR, role: undefined },
      service,
      operation,
      input,
      region,
      send,
      undefined,
    );
  }

  async #answer(
    caller: {
      readonly name: string;
      /** How a violation names the caller. */
      readonly where: string;
      /** The role whose policies IAM asks; none for the operator. */
      readonly role:
        | {
            readonly roleArn: string;
            readonly policies: readonly PolicyDocument[];
            readonly assumedRoleArn: string;
          }
        | undefined;
    },
    service: TwinService,
    operation: string,
    input: Readonly<Record<string, unknown>>,
    region: string,
    send: (input: Readonly<Record<string, unknown>>) => Promise<unknown>,
    event: unknown,
  ): Promise<unknown> {
    const { world, clock, deployment, checks } = this.#options;
    const request: AwsRequest = {
      service,
      operation,
      input,
      region,
      account: deployment.account,
      partition: deployment.partition,
    };
    const modelErrors = [...checks.modelErrors(service, operation, input)];
    let denied: AuthorizationDecision | undefined;
    let unauthorizable: string | undefined;
    const role = caller.role;
    if (role !== undefined) {
      try {
        for (const authorization of checks.authorizationRequests(request)) {
          // The simulator reads AWS's reference data from disk: real work, during which time stands still.
          const decision = await clock.track(
            Promise.resolve(
              checks.evaluate(role.policies, authorization, {
                roleArn: role.roleArn,
                account: deployment.account,
              }),
            ),
          );
          if (decision.decision === 'denied') {
            denied = decision;
            break;
          }
        }
      } catch (error) {
        unauthorizable = (error as Error).message;
      }
    }
    const at = clock.seconds;
    const deniedText =
      denied === undefined
        ? undefined
        : `${denied.request.action} on ${denied.request.resource}: ${denied.reason}`;
    this.calls.push({
      at,
      function: caller.name,
      region,
      service,
      operation,
      decision: denied === undefined && unauthorizable === undefined ? 'allowed' : 'denied',
      modelErrors,
      ...(deniedText === undefined ? {} : { denied: deniedText }),
    });
    const where = `${caller.where}: ${service} ${operation} (${region})`;
    if (unauthorizable !== undefined) {
      this.violations.push(`iam: ${where}: ${unauthorizable}`);
      throw new SimulatedServiceError(ACCESS_DENIED[service], unauthorizable, 403);
    }
    if (denied !== undefined) {
      this.violations.push(`iam: ${where} denied: ${deniedText ?? ''}`);
      throw new SimulatedServiceError(
        ACCESS_DENIED[service],
        `User: ${role?.assumedRoleArn ?? OPERATOR} is not authorized to perform: ${denied.request.action} on resource: ${denied.request.resource} because no identity-based policy allows the ${denied.request.action} action`,
        403,
      );
    }
    if (modelErrors.length > 0) {
      for (const error of modelErrors) this.violations.push(`api-model: ${where}: ${error}`);
      throw new SimulatedServiceError(VALIDATION[service], modelErrors.join('; '), 400);
    }
    if (service === 'dynamodb') return this.#options.dynamodb(operation, input, region, send);
    await clock.sleep(world.latency.apiCallSeconds);
    const context: TwinCallContext = {
      world,
      region,
      account: deployment.account,
      partition: deployment.partition,
      functionName: caller.name,
      event,
    };
    for (const operations of this.#options.services[service] ?? []) {
      const handler = operations[operation];
      if (handler === undefined) continue;
      const output = await handler(input, context);
      if (output === NOT_MINE) continue;
      world.clock.touch();
      return {
        ...(output as object),
        $metadata: {
          httpStatusCode: 200,
          requestId: randomBytes(16).toString('hex'),
          attempts: 1,
          totalRetryDelay: 0,
        },
      };
    }
    throw new Error(
      `the AWS twin does not answer ${service} ${operation} (called by ${caller.name}); add it to local/twin/services/`,
    );
  }

  /** Closes the SDK clients the containers used (their keep-alive sockets to loopback servers). */
  close(): void {
    for (const client of this.#clients) (client as unknown as { destroy?: () => void }).destroy?.();
    this.#clients.clear();
  }
}

/** The error a Step Functions Task sees from Lambda: the handler's error name and message. */
function lambdaError(error: unknown): Error {
  if (error instanceof Error) {
    const out = new Error(error.message);
    out.name = error.name;
    return out;
  }
  const out = new Error(String(error));
  out.name = 'Error';
  return out;
}
