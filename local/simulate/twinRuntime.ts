import { rbacFor, type RbacObject } from '../../shared/config/kubernetesRbac.ts';
import { randomBytes } from 'node:crypto';
import { DynamoApprovals } from '../../shared/aws/DynamoApprovals.ts';
import { trackPort } from '../clock/trackPort.ts';
import { bundledConfigText } from '../../shared/config/bundledConfig.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import type { AwsClients } from '../cli/aws/AwsClients.ts';
import { AwsTwin, type TwinChecks } from '../twin/AwsTwin.ts';
import { operatorAwsClients } from '../twin/operatorClients.ts';
import { synthesizeDeployment, type Deployment } from '../twin/Deployment.ts';
import { dynamoDbPassThrough } from '../twin/services/dynamoDb.ts';
import { eventBridgeOperations } from '../twin/services/eventBridge.ts';
import { stepFunctionsOperations } from '../twin/services/stepFunctions.ts';
import type { ExecutionRecord, LocalFunction } from '../runner/WorkflowRunner.ts';
import type { World } from '../world/World.ts';
import { ACTING_STATES, executionStatusChange, OFFER_INTERVAL_SECONDS, regionOf } from './localRuntime.ts';
import type { signedSlackRequest } from './localSlack.ts';
import { LOCAL_SIGNING_SECRET, pressSlackButton } from './localSlack.ts';
import { backupRegionOf, drillRegionOfPayload } from './scheduledRuntime.ts';
import type { SimulationContext, SimulationOptions } from './Simulation.ts';
import { twinParts, type TwinParts } from '../twin/twinParts.ts';
import type { ServiceOperations } from '../twin/services/ServiceTwin.ts';
import { SimulatedServiceError } from '../world/faults.ts';
import { fireSchedules } from './scheduleRuns.ts';

/** What a test may change about the twin: its checks, or the deployment it is given. */
export interface TwinRuntimeOptions {
  readonly checks?: Partial<TwinChecks>;
  /** Changes the synthesized deployment before the twin uses it (a test removing a grant, say). */
  readonly deployment?: (deployment: Deployment) => Deployment;
  /**
   * Given the operator CLI's clients once the rehearsal is ready (`CliIo.aws`): its commands then act
   * on the rehearsal's deployment through the AWS twin (schedule them on `context.clock`).
   */
  readonly operator?: (clients: AwsClients, context: SimulationContext) => void;
  /**
   * The RBAC objects in each cluster; by default what `lifeboat kubernetes-rbac` prints for the
   * config, as the cluster's owner applies it (a test leaves it out to see the refusal).
   */
  readonly rbac?: (region: string, cluster: string) => readonly RbacObject[];
}

interface TwinState {
  readonly twin: AwsTwin;
  readonly parts: TwinParts;
  /** The checks every call is held to (the scheduler roles' starts too). */
  readonly checks: TwinChecks;
  /** Step Functions' API over the runner, as EventBridge Scheduler calls it. */
  readonly sfn: ServiceOperations;
  /** The region each execution runs in, as it was when it started. */
  readonly homes: WeakMap<ExecutionRecord, string>;
}

/**
 * The region an execution runs in: the one its input names where that has a control plane (its
 * functions and its run-ended event are there too), otherwise the console's, the first control
 * plane that is up.
 */
function homeOf(context: SimulationContext, execution: ExecutionRecord): string {
  const named = regionOf({ input: execution.input }, '');
  return context.scenario.config.controlPlaneRegions.includes(named) ? named : liveRegion(context);
}

/** The region a function's invocation runs in, from its payload, as its trigger or workflow runs it. */
function invocationRegion(
  config: LifeboatConfig,
  functionName: string,
  payload: unknown,
  home: string,
): string {
  if (functionName === 'lifeboat-backup' || functionName === 'lifeboat-restore-test')
    return backupRegionOf(config, payload);
  if (functionName === 'lifeboat-drill') return drillRegionOfPayload(config, payload);
  return regionOf(payload, home);
}

/**
 * The rehearsal of the deployed code (the default): each Task invokes the real Lambda handler of the
 * function the synthesized stack binds to it, in the region the run acts in, with that function's
 * environment and role; every AWS call the handlers make goes through the AWS twin (AWS's API model
 * and the role's IAM policies checked, answered by the simulated world); the Kubernetes API and
 * Slack's Web API are loopback servers; EventBridge's deliveries (alarm state changes, Step
 * Functions status changes, the failback offer's schedule) and Slack's button presses reach the
 * handlers as the events AWS sends.
 */
export function twinRuntime(
  options: TwinRuntimeOptions = {},
): Pick<
  SimulationOptions,
  'functions' | 'substitutions' | 'actingStates' | 'lockingWorkflows' | 'setup' | 'teardown' | 'onHumanAction'
> {
  const states = new WeakMap<SimulationContext, TwinState>();
  const operators = new WeakMap<SimulationContext, { close(): void }>();
  const stateOf = (context: SimulationContext): TwinState => {
    let state = states.get(context);
    if (state === undefined) {
      state = createTwin(context, options);
      states.set(context, state);
    }
    return state;
  };
  return {
    functions: (context) => {
      const { twin } = stateOf(context);
      const config = context.scenario.config;
      const functions: Record<string, LocalFunction> = {};
      for (const name of new Set(twin.deployment.functions.map((f) => f.name))) {
        functions[name] = (payload, invocation) => {
          // A Task invokes the function of the region its execution runs in (the one its input
          // names); a run whose input names no region with a control plane ran where it was started
          // (the first control plane).
          const execution = context
            .runner()
            .executions.find(
              (e) => e.name === invocation.executionName && e.workflow === invocation.workflow,
            );
          // A run whose input names no region was started from a console that answers: the first
          // control plane that is up.
          const home = liveRegion(context);
          const region = invocationRegion(
            config,
            name,
            execution === undefined ? payload : { input: execution.input },
            home,
          );
          // Where a stack deploys the function in another region only (the readiness drill runs in
          // the first standby), that is where its schedule invokes it.
          const deployedIn =
            twin.deployed(name, region) !== undefined
              ? region
              : twin.deployed(name, home) !== undefined
                ? home
                : (twin.deployment.functions.find((f) => f.name === name)?.region ?? home);
          return twin.invoke(name, deployedIn, payload);
        };
      }
      return functions;
    },
    substitutions: (context) => {
      const { twin } = stateOf(context);
      const home = context.scenario.config.controlPlaneRegions[0] ?? 'us-east-1';
      const merged: Record<string, string> = {};
      for (const substitutions of twin.deployment.workflows.get(home)?.values() ?? []) {
        Object.assign(merged, substitutions);
      }
      return merged;
    },
    actingStates: ACTING_STATES,
    lockingWorkflows: ['failover', 'failback', 'switchover', 'drain'],
    onHumanAction: async (event, context) => {
      const { twin } = stateOf(context);
      // The press goes to the callback of the first control plane that is up, which reads its own replica.
      const region = liveRegion(context);
      const approvals = trackPort(
        new DynamoApprovals(context.dynamo.client(), context.replicatedLedger.tableIn(region)),
        context.clock,
      );
      await pressSlackButton(
        event,
        context,
        (request) => pressThroughFunctionUrl(twin, context, request),
        approvals,
      );
    },
    setup: async (context) => {
      const state = stateOf(context);
      context.runner().onStart((execution) => {
        state.homes.set(execution, homeOf(context, execution));
      });
      await state.parts.start();
      if (options.operator !== undefined) {
        const operator = operatorAwsClients(state.twin, context.dynamo.endpoint);
        operators.set(context, operator);
        options.operator(operator.clients, context);
      }
      wireEvents(context, state.twin, state.homes);
      wireSchedules(context, state);
    },
    teardown: async (context) => {
      const state = states.get(context);
      if (state === undefined) return;
      operators.get(context)?.close();
      state.twin.close();
      await state.parts.stop();
    },
  };
}

function createTwin(context: SimulationContext, options: TwinRuntimeOptions): TwinState {
  const { scenario, world, clock } = context;
  const homes = new WeakMap<ExecutionRecord, string>();
  const config = scenario.config;
  const synthesized = synthesizeDeployment(config);
  const deployment = options.deployment?.(synthesized) ?? synthesized;
  // The signing secret is the Slack app's, which the rehearsal's presses are signed with.
  const slack = { botToken: `xoxb-${randomBytes(12).toString('hex')}`, signingSecret: LOCAL_SIGNING_SECRET };
  const configText = bundledConfigText(config);
  // The servers look credentials up in the twin, which is built after them.
  const built: { twin?: AwsTwin } = {};
  const parts = twinParts({
    world,
    clock,
    deployment,
    slack,
    credentials: (accessKeyId) => built.twin?.credentialsFor(accessKeyId),
    runningEvents: (name, region) => built.twin?.runningEvents(name, region) ?? [],
    runner: () => context.runner(),
    rbac: options.rbac ?? ((region, cluster) => rbacFor(config, region, cluster)),
    onKubernetesCall: (record) => {
      context.awsCalls.push(record.call);
      if (record.violation !== undefined) context.awsViolations.push(record.violation);
    },
  });
  const checks: TwinChecks = { ...parts.checks, ...options.checks };
  const sfn = stepFunctionsOperations(
    () => context.runner(),
    (region) => new Set(deployment.workflows.get(region)?.keys() ?? []),
    homes,
  );
  const twin = new AwsTwin({
    world,
    clock,
    deployment,
    checks,
    services: {
      ...parts.services,
      sfn: [sfn],
      // Every region's default bus, the control planes' lifeboat bus, and the paging hook's bus.
      events: [
        eventBridgeOperations(
          (region) =>
            new Set([
              'default',
              ...(config.controlPlaneRegions.includes(region) ? ['lifeboat'] : []),
              ...(config.paging === undefined ? [] : [config.paging.eventBusName]),
            ]),
        ),
      ],
    },
    dynamodb: dynamoDbPassThrough({
      world,
      clock,
      ledger: context.replicatedLedger,
      tableName: config.ledger.tableName,
    }),
    environment: () => ({
      // The config the bundle embeds (esbuild's `define` puts it where the code reads this variable).
      LIFEBOAT_CONFIG: configText,
      // The rehearsal's loopback endpoints: the only variables the twin adds to a function's own.
      AWS_ENDPOINT_URL_DYNAMODB: context.dynamo.endpoint,
      LIFEBOAT_SLACK_API_URL: parts.slackApiUrl(),
    }),
    calls: context.awsCalls,
    violations: context.awsViolations,
  });
  built.twin = twin;
  return { twin, parts, checks, sfn, homes };
}

/**
 * The first control-plane region that is up: where Slack's presses go (its Request URL names one
 * region's endpoint, and a Route 53 failover record over the control planes, the README's advice,
 * sends it to the first one that is up), and where an operator starts a run whose input names no
 * region.
 */
function liveRegion(context: SimulationContext): string {
  const regions = context.scenario.config.controlPlaneRegions;
  return regions.find((r) => !context.world.faults.isOutage(r)) ?? regions[0] ?? 'us-east-1';
}

/** A Slack press delivered as Slack delivers it: a signed POST to a control plane's Function URL. */
async function pressThroughFunctionUrl(
  twin: AwsTwin,
  context: SimulationContext,
  request: ReturnType<typeof signedSlackRequest>,
): Promise<{ statusCode: number; log: readonly string[] }> {
  const region = liveRegion(context);
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: {
      ...request.headers,
      host: `lifeboat.lambda-url.${region}.on.aws`,
      'user-agent': 'Slackbot 1.0',
    },
    requestContext: {
      http: {
        method: 'POST',
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '54.211.0.1',
        userAgent: 'Slackbot 1.0',
      },
      domainName: `lifeboat.lambda-url.${region}.on.aws`,
      stage: '$default',
      timeEpoch: context.clock.now().getTime(),
    },
    body: request.body,
    isBase64Encoded: false,
  };
  try {
    const { result, log } = await twin.invokeWithLog('lifeboat-slack-callback', region, event);
    return { statusCode: Number((result as { statusCode?: unknown } | null)?.statusCode ?? 502), log };
  } catch (error) {
    // A function that throws behind a Function URL answers 502; the press did not count.
    context.world.timeline.push({
      at: context.clock.seconds,
      kind: 'slack',
      region,
      text: `the Slack callback in ${region} failed: ${(error as Error).name}: ${(error as Error).message}`,
    });
    return { statusCode: 502, log: [] };
  }
}

/** EventBridge's deliveries to the functions: alarm state changes, the offer's schedule, run ends. */
function wireEvents(context: SimulationContext, twin: AwsTwin, homes: TwinState['homes']): void {
  const { scenario, world, clock } = context;
  const regions = scenario.config.controlPlaneRegions;
  const note = (region: string, text: string): void => {
    world.timeline.push({ at: clock.seconds, kind: 'execution', region, text });
  };

  // The failback offer: an EventBridge Scheduler schedule in every control-plane region.
  clock.every(OFFER_INTERVAL_SECONDS, OFFER_INTERVAL_SECONDS, () => {
    for (const region of regions) {
      if (world.faults.isOutage(region)) continue;
      twin.invoke('lifeboat-offer', region, scheduledEvent(region, clock.now())).then(
        (outcome) => {
          for (const o of (outcome as { action?: string; application?: string; detail?: string }[] | null) ??
            []) {
            if (o.action === 'offered' || o.action === 'slack-unavailable')
              world.timeline.push({
                at: clock.seconds,
                kind: 'slack',
                ...(o.application === undefined ? {} : { application: o.application }),
                region,
                text: `failback offer: ${o.detail ?? ''}`,
              });
          }
        },
        (error: unknown) => {
          world.timeline.push({
            at: clock.seconds,
            kind: 'slack',
            region,
            text: `failback offer in ${region} failed: ${(error as Error).message}`,
          });
        },
      );
    }
  });

  // Step Functions' status change of a run that ended stopped, timed out or failed reaches the
  // run-ended function in the run's region.
  context.runner().onEnd((record) => {
    if (record.status !== 'ABORTED' && record.status !== 'TIMED_OUT' && record.status !== 'FAILED') return;
    const region = homes.get(record) ?? homeOf(context, record);
    const event = executionStatusChange(record, region, clock, twin.deployment.account);
    clock.schedule(clock.seconds + world.latency.eventBridgeDeliverySeconds, () => {
      twin.invoke('lifeboat-run-ended', region, event).then(
        (outcome) => {
          const o = outcome as { action?: string; status?: string; lock?: string } | null;
          if (o?.action === 'recorded')
            note(
              region,
              `run-ended in ${region} recorded ${record.workflow} ${record.name} ${o.status ?? ''} (lock ${o.lock ?? ''})`,
            );
        },
        (error: unknown) => {
          note(region, `run-ended in ${region} failed for ${record.name}: ${(error as Error).message}`);
        },
      );
    });
  });

  // Alarm state changes on each control plane's bus reach its trigger; EventBridge invokes it
  // asynchronously, and Lambda retries a failed invocation twice, about a minute and two apart.
  world.onEvent((delivered) => {
    const invoke = (attempt: number): void => {
      twin.invoke('lifeboat-trigger', delivered.busRegion, delivered.event).then(
        (outcome) => {
          const o = outcome as { action?: string; application?: string; execution?: string } | null;
          if (o?.action === 'started') {
            world.timeline.push({
              at: clock.seconds,
              kind: 'execution',
              ...(o.application === undefined ? {} : { application: o.application }),
              region: delivered.busRegion,
              text: `trigger in ${delivered.busRegion} started ${o.execution ?? ''}`,
            });
          }
        },
        (error: unknown) => {
          const retryIn = [60, 120][attempt];
          note(
            delivered.busRegion,
            `trigger in ${delivered.busRegion} failed: ${(error as Error).message}${retryIn === undefined ? '' : `; retried in ${retryIn} s`}`,
          );
          if (retryIn !== undefined)
            clock.schedule(clock.seconds + retryIn, () => {
              invoke(attempt + 1);
            });
        },
      );
    };
    invoke(0);
  });
}

/**
 * The backup, restore-test and readiness-drill schedules the synthesized stacks create, fired as
 * EventBridge Scheduler fires them: at the times each one's expression gives in its time zone, by
 * StartExecution on its target state machine in its region, with its input (the scheduled time put
 * in for `<aws.scheduler.scheduled-time>`), as the schedule's role: the call is held to AWS's API model
 * and to that role's policies like any other. Scheduler's retries of a refused start are not
 * rehearsed: a refused start is in the timeline (and a denial or a model error in the violations).
 * A flexible window would let Scheduler start anywhere in it; the rehearsal starts at its beginning.
 */
function wireSchedules(context: SimulationContext, state: TwinState): void {
  const { scenario, world, clock } = context;
  const { twin, checks, sfn } = state;
  const { account, partition } = twin.deployment;
  const schedules = twin.deployment.schedules.map((schedule) => ({
    ...schedule,
    workflow: /:stateMachine:(?:lifeboat-)?(.+)$/.exec(schedule.targetArn)?.[1] ?? schedule.targetArn,
    application: applicationOf(schedule.input),
  }));
  fireSchedules(world, clock, scenario.until, schedules, async (schedule, scheduledTime) => {
    const input = {
      stateMachineArn: schedule.targetArn,
      input: schedule.input.replaceAll(SCHEDULED_TIME, scheduledTime),
    };
    const request = {
      service: 'sfn' as const,
      operation: 'StartExecution',
      input,
      region: schedule.region,
      account,
      partition,
    };
    const caller = `scheduler ${schedule.groupName}/${schedule.name}`;
    const where = `${caller} in ${schedule.region}: sfn StartExecution (${schedule.region})`;
    const modelErrors = [...checks.modelErrors('sfn', 'StartExecution', input)];
    let denied: string | undefined;
    for (const authorization of checks.authorizationRequests(request)) {
      const decision = await clock.track(
        Promise.resolve(
          checks.evaluate(schedule.rolePolicies, authorization, { roleArn: schedule.roleArn, account }),
        ),
      );
      if (decision.decision === 'denied') {
        denied = `${decision.request.action} on ${decision.request.resource}: ${decision.reason}`;
        break;
      }
    }
    context.awsCalls.push({
      at: clock.seconds,
      function: caller,
      region: schedule.region,
      service: 'sfn',
      operation: 'StartExecution',
      decision: denied === undefined ? 'allowed' : 'denied',
      modelErrors,
      ...(denied === undefined ? {} : { denied }),
    });
    if (denied !== undefined) {
      context.awsViolations.push(`iam: ${where} denied: ${denied}`);
      throw new SimulatedServiceError('AccessDeniedException', denied, 403);
    }
    if (modelErrors.length > 0) {
      for (const error of modelErrors) context.awsViolations.push(`api-model: ${where}: ${error}`);
      throw new SimulatedServiceError('ValidationException', modelErrors.join('; '), 400);
    }
    const started = (await sfn.StartExecution?.(input, {
      world,
      region: schedule.region,
      account,
      partition,
      functionName: caller,
      event: undefined,
    })) as { executionArn?: string } | undefined;
    return `started ${started?.executionArn?.split(':').at(-1) ?? ''}`;
  });
}

/** The application a schedule's input names. */
function applicationOf(input: string): string {
  const { application } = JSON.parse(input) as { application?: unknown };
  return typeof application === 'string' ? application : '';
}

/** What a schedule's input says for the time Scheduler puts in when it runs. */
const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

/** The event EventBridge Scheduler sends a Lambda target with no input of its own. */
function scheduledEvent(region: string, now: Date): unknown {
  return {
    version: '0',
    id: randomBytes(16).toString('hex'),
    'detail-type': 'Scheduled Event',
    source: 'aws.scheduler',
    region,
    time: now.toISOString(),
    resources: [],
    detail: {},
  };
}

export type { World };
