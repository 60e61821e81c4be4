import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { didYouMean } from '../../shared/config/didYouMean.ts';
import { REGION_PATTERN } from '../../shared/config/LifeboatConfig.ts';
import { describeIssue, formatPath, loadConfig } from '../../shared/config/loadConfig.ts';
import { ConfigError, ScenarioError } from '../../shared/errors.ts';
import type { LatencyModel } from '../world/LatencyModel.ts';
import { LATENCY_KEYS, latencyModel } from '../world/LatencyModel.ts';
import type { SimulatedService, WorkflowName } from '../world/services.ts';
import { SIMULATED_OPERATIONS, SIMULATED_SERVICES, WORKFLOW_NAMES } from '../world/services.ts';

/**
 * A scenario file (version 1) is the input of `lifeboat simulate`: a config, latency overrides and a
 * timeline of faults, recoveries, Slack decisions and workflow starts. `loadScenario` is the only way
 * in; like the config loader it reports every problem with its path before anything runs.
 */

export const FAULT_TYPES = [
  'region-outage',
  'health-check-flap',
  'replica-lag',
  'store-lag',
  'replication-stall',
  'database-backup',
  'api-error',
  'api-throttle',
  'capacity-shortfall',
  'elevated-errors',
  'slack-down',
  'custom-step',
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/** What a `fault` event breaks, with its parameters. */
export type FaultSpec =
  | { readonly type: 'region-outage'; readonly region: string }
  | { readonly type: 'health-check-flap'; readonly region: string; readonly periodSeconds: number }
  | { readonly type: 'replica-lag'; readonly region: string; readonly seconds: number }
  /** The stores' secondaries in the region (`stores` in the config) trail their primaries by `seconds`. */
  | { readonly type: 'store-lag'; readonly region: string; readonly seconds: number }
  | { readonly type: 'replication-stall'; readonly region: string }
  | { readonly type: 'database-backup'; readonly region: string }
  | ({
      readonly type: 'api-error';
      readonly service: SimulatedService;
      readonly operation: string;
      /** Absent: the error happens in every region. */
      readonly region?: string;
      /** The error name the call fails with. */
      readonly error: string;
    } & (
      | { readonly count: number; readonly permanent?: undefined }
      | { readonly permanent: true; readonly count?: undefined }
    ))
  | {
      readonly type: 'api-throttle';
      readonly service: SimulatedService;
      /** How many calls are throttled before the service answers again. */
      readonly count: number;
      /** Absent: every operation of the service. */
      readonly operation?: string;
      /** Absent: every region. */
      readonly region?: string;
    }
  | { readonly type: 'capacity-shortfall'; readonly region: string; readonly maxReplicas: number }
  /** The region's endpoints answer `percent` of requests with 5xx while still passing their health checks. */
  | { readonly type: 'elevated-errors'; readonly region: string; readonly percent: number }
  | { readonly type: 'slack-down' }
  | {
      readonly type: 'custom-step';
      /** Absent: the step of that name in every application that has one. */
      readonly application?: string;
      readonly step: string;
      /** `fail`: the function throws, the Job fails; `hang`: no answer, a Job that never completes. */
      readonly outcome: 'fail' | 'hang';
      /** Attempts it affects; absent: every attempt until recovered. */
      readonly count?: number;
    };

/** The faults a region alone identifies. */
export type RegionFaultType =
  | 'region-outage'
  | 'health-check-flap'
  | 'replica-lag'
  | 'store-lag'
  | 'replication-stall'
  | 'database-backup'
  | 'capacity-shortfall'
  | 'elevated-errors';

/** The fields that identify a fault, which a `recover` event names to end it. */
export type FaultIdentity =
  | { readonly type: RegionFaultType; readonly region: string }
  | {
      readonly type: 'api-error';
      readonly service: SimulatedService;
      readonly operation: string;
      readonly region?: string;
    }
  | {
      readonly type: 'api-throttle';
      readonly service: SimulatedService;
      readonly operation?: string;
      readonly region?: string;
    }
  | { readonly type: 'slack-down' }
  | { readonly type: 'custom-step'; readonly application?: string; readonly step: string };

/** One timeline entry; `index` is its position in the file's `events`, for reports. */
export type ScenarioEvent =
  | { readonly kind: 'fault'; readonly index: number; readonly at: number; readonly fault: FaultSpec }
  | { readonly kind: 'recover'; readonly index: number; readonly at: number; readonly fault: FaultIdentity }
  | {
      readonly kind: 'approve' | 'reject';
      readonly index: number;
      readonly at: number;
      readonly workflow: WorkflowName;
      readonly by: string;
    }
  | {
      readonly kind: 'start';
      readonly index: number;
      readonly at: number;
      readonly workflow: WorkflowName;
      readonly input: Record<string, unknown>;
    }
  | {
      /**
       * A person re-clones a CloudNativePG application's former primary in `region` as a replica
       * cluster of the writer (docs/cloudnativepg.md), as they would with kubectl.
       */
      readonly kind: 'reclone';
      readonly index: number;
      readonly at: number;
      readonly application: string;
      readonly region: string;
    };

export interface Scenario {
  readonly name: string;
  readonly description?: string;
  /** The config file's absolute path. */
  readonly configPath: string;
  readonly config: LifeboatConfig;
  /** The default latency model with the scenario's overrides applied. */
  readonly latency: LatencyModel;
  /** Simulated seconds to run. */
  readonly until: number;
  /** The simulation's random seed. */
  readonly seed: number;
  /** Sorted by `at`; events at the same time keep their order in the file. */
  readonly events: readonly ScenarioEvent[];
}

export const DEFAULT_UNTIL_SECONDS = 7200;
export const DEFAULT_SEED = 1;

const EVENT_KINDS = ['fault', 'recover', 'approve', 'reject', 'start', 'reclone'] as const;
type EventKind = (typeof EVENT_KINDS)[number];

const SLACK_USER_PATTERN = /^[UW][A-Z0-9]{8,}$/;

const AT = z.number().min(0, 'must be 0 or more: seconds from the start of the simulation');
const REGION = z.string().regex(REGION_PATTERN, 'expected an AWS region name such as "us-east-1"');
const SERVICE = z.enum(SIMULATED_SERVICES, {
  error: (issue) =>
    issue.input === undefined
      ? `required: one of ${SIMULATED_SERVICES.join(', ')}`
      : `unknown service ${JSON.stringify(issue.input)}; expected one of ${SIMULATED_SERVICES.join(', ')}`,
});
// Checked against the service's operations once the event has parsed, so the message can list them.
const OPERATION = z.string().min(1, 'expected an operation name such as "PromoteReadReplica"');
const CALL_COUNT = z.int().positive('must be 1 or more: how many calls the fault affects');

const workflowOf = (kind: EventKind) =>
  z.enum(WORKFLOW_NAMES, {
    error: (issue) =>
      `unknown workflow ${JSON.stringify(issue.input)} to ${kind}; expected one of ${WORKFLOW_NAMES.join(', ')}`,
  });

type FaultOf<T extends FaultType> = Extract<FaultSpec, { readonly type: T }>;
type IdentityOf<T extends FaultType> = T extends RegionFaultType
  ? { readonly type: T; readonly region: string }
  : Extract<FaultIdentity, { readonly type: T }>;

// In the file an event names its fault beside `at` (`{ at, fault: "replica-lag", region, seconds }`);
// the transforms nest it as `{ at, fault: { type, region, seconds } }`.
const FAULT_EVENTS = {
  'region-outage': z
    .strictObject({ at: AT, fault: z.literal('region-outage'), region: REGION })
    .transform(({ at, fault: type, region }) => ({ at, fault: { type, region } })),
  'health-check-flap': z
    .strictObject({
      at: AT,
      fault: z.literal('health-check-flap'),
      region: REGION,
      periodSeconds: z.number().positive('must be more than 0: seconds between health flips'),
    })
    .transform(({ at, fault: type, region, periodSeconds }) => ({
      at,
      fault: { type, region, periodSeconds },
    })),
  'replica-lag': z
    .strictObject({
      at: AT,
      fault: z.literal('replica-lag'),
      region: REGION,
      seconds: z.number().min(0, 'must be 0 or more: how far the replica trails its writer'),
    })
    .transform(({ at, fault: type, region, seconds }) => ({ at, fault: { type, region, seconds } })),
  'store-lag': z
    .strictObject({
      at: AT,
      fault: z.literal('store-lag'),
      region: REGION,
      seconds: z.number().min(0, "must be 0 or more: how far the stores' secondaries trail their primaries"),
    })
    .transform(({ at, fault: type, region, seconds }) => ({ at, fault: { type, region, seconds } })),
  'replication-stall': z
    .strictObject({ at: AT, fault: z.literal('replication-stall'), region: REGION })
    .transform(({ at, fault: type, region }) => ({ at, fault: { type, region } })),
  'database-backup': z
    .strictObject({ at: AT, fault: z.literal('database-backup'), region: REGION })
    .transform(({ at, fault: type, region }) => ({ at, fault: { type, region } })),
  'api-error': z
    .strictObject({
      at: AT,
      fault: z.literal('api-error'),
      service: SERVICE,
      operation: OPERATION,
      region: REGION.optional(),
      error: z.string().min(1, 'expected the error name the call fails with, such as "InternalFailure"'),
      count: CALL_COUNT.optional(),
      permanent: z
        .literal(true, { error: 'expected true; leave permanent out and give count for a fault that ends' })
        .optional(),
    })
    .transform(({ at, fault: type, service, operation, region, error, count }) => {
      const fault = { type, service, operation, ...(region === undefined ? {} : { region }), error };
      // parseEvent has already rejected an event without exactly one of count and permanent.
      return {
        at,
        fault: count === undefined ? { ...fault, permanent: true as const } : { ...fault, count },
      };
    }),
  'api-throttle': z
    .strictObject({
      at: AT,
      fault: z.literal('api-throttle'),
      service: SERVICE,
      count: CALL_COUNT,
      operation: OPERATION.optional(),
      region: REGION.optional(),
    })
    .transform(({ at, fault: type, service, count, operation, region }) => ({
      at,
      fault: {
        type,
        service,
        count,
        ...(operation === undefined ? {} : { operation }),
        ...(region === undefined ? {} : { region }),
      },
    })),
  'capacity-shortfall': z
    .strictObject({
      at: AT,
      fault: z.literal('capacity-shortfall'),
      region: REGION,
      maxReplicas: z.int().min(0, 'must be 0 or more: the replicas the region can still schedule'),
    })
    .transform(({ at, fault: type, region, maxReplicas }) => ({ at, fault: { type, region, maxReplicas } })),
  'elevated-errors': z
    .strictObject({
      at: AT,
      fault: z.literal('elevated-errors'),
      region: REGION,
      percent: z
        .number()
        .gt(0, 'must be above 0: the percent of requests answered with 5xx')
        .max(100, 'must be at most 100 (percent of requests)'),
    })
    .transform(({ at, fault: type, region, percent }) => ({ at, fault: { type, region, percent } })),
  'slack-down': z
    .strictObject({ at: AT, fault: z.literal('slack-down') })
    .transform(({ at, fault: type }) => ({ at, fault: { type } })),
  'custom-step': z
    .strictObject({
      at: AT,
      fault: z.literal('custom-step'),
      application: z.string().min(1).optional(),
      step: z.string().min(1, 'name the custom step, as the config does'),
      outcome: z.enum(['fail', 'hang'], { error: 'expected "fail" or "hang"' }),
      count: CALL_COUNT.optional(),
    })
    .transform(({ at, fault: type, application, step, outcome, count }) => ({
      at,
      fault: {
        type,
        step,
        outcome,
        ...(application === undefined ? {} : { application }),
        ...(count === undefined ? {} : { count }),
      },
    })),
} satisfies { [T in FaultType]: z.ZodType<{ at: number; fault: FaultOf<T> }> };

const regionRecover = <T extends RegionFaultType>(type: T) =>
  z
    .strictObject({ at: AT, recover: z.literal(type), region: REGION })
    .transform(({ at, region }) => ({ at, fault: { type, region } }));

const RECOVER_EVENTS = {
  'region-outage': regionRecover('region-outage'),
  'health-check-flap': regionRecover('health-check-flap'),
  'replica-lag': regionRecover('replica-lag'),
  'store-lag': regionRecover('store-lag'),
  'replication-stall': regionRecover('replication-stall'),
  'database-backup': regionRecover('database-backup'),
  'capacity-shortfall': regionRecover('capacity-shortfall'),
  'elevated-errors': regionRecover('elevated-errors'),
  'api-error': z
    .strictObject({
      at: AT,
      recover: z.literal('api-error'),
      service: SERVICE,
      operation: OPERATION,
      region: REGION.optional(),
    })
    .transform(({ at, recover: type, service, operation, region }) => ({
      at,
      fault: { type, service, operation, ...(region === undefined ? {} : { region }) },
    })),
  'api-throttle': z
    .strictObject({
      at: AT,
      recover: z.literal('api-throttle'),
      service: SERVICE,
      operation: OPERATION.optional(),
      region: REGION.optional(),
    })
    .transform(({ at, recover: type, service, operation, region }) => ({
      at,
      fault: {
        type,
        service,
        ...(operation === undefined ? {} : { operation }),
        ...(region === undefined ? {} : { region }),
      },
    })),
  'slack-down': z
    .strictObject({ at: AT, recover: z.literal('slack-down') })
    .transform(({ at, recover: type }) => ({ at, fault: { type } })),
  'custom-step': z
    .strictObject({
      at: AT,
      recover: z.literal('custom-step'),
      application: z.string().min(1).optional(),
      step: z.string().min(1),
    })
    .transform(({ at, recover: type, application, step }) => ({
      at,
      fault: { type, step, ...(application === undefined ? {} : { application }) },
    })),
} satisfies { [T in FaultType]: z.ZodType<{ at: number; fault: IdentityOf<T> }> };

const SLACK_USER = z.string().regex(SLACK_USER_PATTERN, 'expected a Slack user id such as "U0APPROVER"');

const APPROVE_EVENT = z
  .strictObject({ at: AT, approve: workflowOf('approve'), by: SLACK_USER })
  .transform(({ at, approve, by }) => ({ kind: 'approve' as const, at, workflow: approve, by }));

const REJECT_EVENT = z
  .strictObject({ at: AT, reject: workflowOf('reject'), by: SLACK_USER })
  .transform(({ at, reject, by }) => ({ kind: 'reject' as const, at, workflow: reject, by }));

const START_EVENT = z
  .strictObject({
    at: AT,
    start: workflowOf('start'),
    // Only the shape: the workflow validates its own input, and a scenario may send it bad input on purpose.
    input: z.record(z.string(), z.unknown(), {
      error: (issue) =>
        issue.input === undefined
          ? 'required: the workflow input, a JSON object such as { "application": "ai-gateway" }'
          : `expected a JSON object (the workflow input), not ${jsonKind(issue.input)}`,
    }),
  })
  .transform(({ at, start, input }) => ({ kind: 'start' as const, at, workflow: start, input }));

type WorkflowEventFields =
  | Omit<Extract<ScenarioEvent, { kind: 'approve' | 'reject' }>, 'index'>
  | Omit<Extract<ScenarioEvent, { kind: 'start' }>, 'index'>;

const WORKFLOW_EVENTS = {
  approve: APPROVE_EVENT,
  reject: REJECT_EVENT,
  start: START_EVENT,
} satisfies Record<'approve' | 'reject' | 'start', z.ZodType<WorkflowEventFields>>;

const RECLONE_EVENT = z
  .strictObject({
    at: AT,
    reclone: z.string().min(1, 'name the application whose former primary is re-cloned, as the config does'),
    region: REGION,
  })
  .transform(({ at, reclone, region }) => ({ kind: 'reclone' as const, at, application: reclone, region }));

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

const LatencySchema = z.strictObject(
  Object.fromEntries(
    LATENCY_KEYS.map((key) => [key, z.number().min(0, 'must be 0 or more seconds').optional()]),
  ),
);

const ScenarioDocumentSchema = z.strictObject({
  name: z
    .string()
    .regex(
      NAME_PATTERN,
      'expected lowercase letters, digits and hyphens, starting with a letter or digit, such as "primary-outage"',
    ),
  description: z.string().optional(),
  config: z
    .string()
    .min(1, 'expected the path of a Lifeboat config file, such as "examples/lifeboat.config.json"'),
  latency: LatencySchema.optional(),
  until: z
    .number()
    .positive('must be more than 0: how many simulated seconds to run')
    .default(DEFAULT_UNTIL_SECONDS),
  seed: z.int().default(DEFAULT_SEED),
  events: z.array(z.unknown()),
});

/** The fields each object may hold, to list when a field is misspelt. */
const TOP_LEVEL_FIELDS = Object.keys(ScenarioDocumentSchema.shape);

type PathSegment = PropertyKey;

interface Problem {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Zod issues as problems under `prefix`; unknown fields list the fields `what` does take. */
function issueProblems(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PathSegment[],
  fields: (path: readonly PathSegment[]) => { what: string; allowed: readonly string[] } | undefined,
): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    const known = issue.code === 'unrecognized_keys' ? fields(issue.path) : undefined;
    if (issue.code === 'unrecognized_keys' && known !== undefined) {
      return issue.keys.map(
        (key) =>
          `${formatPath([...path, key])}: unknown field; remove it or check its spelling (${known.what} takes ${known.allowed.join(', ')})`,
      );
    }
    return describeIssue({ ...issue, path }).split('\n');
  });
}

type EventResult = { readonly event: ScenarioEvent } | { readonly problems: string[] };

type Parsed<T> = { readonly value: T } | { readonly problems: string[] };

/** Parses one event with `schema`; a misspelt field's message lists the fields `what` takes. */
function parseFields<T>(
  schema: z.ZodType<T>,
  shape: Readonly<Record<string, unknown>>,
  raw: unknown,
  index: number,
  what: string,
): Parsed<T> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { value: parsed.data };
  return {
    problems: issueProblems(parsed.error.issues, ['events', index], () => ({
      what,
      allowed: Object.keys(shape),
    })),
  };
}

function parseEvent(raw: unknown, index: number): EventResult {
  const at = ['events', index] as const;
  const problem = (path: readonly PathSegment[], message: string): EventResult => ({
    problems: [`${formatPath([...at, ...path])}: ${message}`],
  });
  if (!isPlainObject(raw)) {
    return problem(
      [],
      `expected an object such as { "at": 0, "fault": "region-outage", "region": "us-east-1" }, not ${jsonKind(raw)}`,
    );
  }
  const kinds = EVENT_KINDS.filter((kind) => raw[kind] !== undefined);
  const [kind, second] = kinds;
  if (kind === undefined) {
    return problem([], `missing what happens; give one of ${EVENT_KINDS.join(', ')}`);
  }
  if (second !== undefined) {
    return problem(
      [],
      `has both ${kinds.map((k) => `"${k}"`).join(' and ')}; an event does one thing, so split it into one event per kind at the same time`,
    );
  }

  if (kind === 'reclone') {
    const parsed = parseFields<Omit<Extract<ScenarioEvent, { kind: 'reclone' }>, 'index'>>(
      RECLONE_EVENT,
      RECLONE_EVENT.in.shape,
      raw,
      index,
      'a "reclone" event',
    );
    return 'value' in parsed ? { event: { ...parsed.value, index } } : parsed;
  }
  if (kind === 'approve' || kind === 'reject' || kind === 'start') {
    const schema = WORKFLOW_EVENTS[kind];
    const parsed = parseFields<WorkflowEventFields>(
      schema,
      schema.in.shape,
      raw,
      index,
      `${article(kind)} "${kind}" event`,
    );
    return 'value' in parsed ? { event: { ...parsed.value, index } } : parsed;
  }

  const type = raw[kind];
  if (typeof type !== 'string' || !(FAULT_TYPES as readonly string[]).includes(type)) {
    return problem(
      [kind],
      `unknown fault ${JSON.stringify(type)}; expected one of ${FAULT_TYPES.join(', ')}`,
    );
  }
  const faultType = type as FaultType;

  const problems: string[] = [];
  if (kind === 'fault' && faultType === 'api-error') {
    // Zod skips an object's refinements once a field fails, so this runs by hand to report it alongside.
    const hasCount = raw.count !== undefined;
    const hasPermanent = raw.permanent !== undefined;
    if (hasCount && hasPermanent) {
      problems.push(
        `${formatPath([...at, 'count'])}: give count or permanent, not both: count fails that many calls, permanent: true fails every call until a recover`,
      );
    } else if (!hasCount && !hasPermanent) {
      problems.push(
        `${formatPath([...at, 'count'])}: required: give count (fail that many calls) or permanent: true (fail every call until a recover)`,
      );
    }
  }

  let event: Extract<ScenarioEvent, { kind: 'fault' | 'recover' }> | undefined;
  if (kind === 'fault') {
    const schema = FAULT_EVENTS[faultType];
    const parsed = parseFields<{ at: number; fault: FaultSpec }>(
      schema,
      schema.in.shape,
      raw,
      index,
      `${article(faultType)} "${faultType}" fault`,
    );
    if ('value' in parsed) event = { kind, index, ...parsed.value };
    else problems.push(...parsed.problems);
  } else {
    const schema = RECOVER_EVENTS[faultType];
    const parsed = parseFields<{ at: number; fault: FaultIdentity }>(
      schema,
      schema.in.shape,
      raw,
      index,
      `${article(faultType)} "${faultType}" recover`,
    );
    if ('value' in parsed) event = { kind, index, ...parsed.value };
    else problems.push(...parsed.problems);
  }
  if (event === undefined) return { problems };

  const fault = event.fault;
  if ('service' in fault && fault.operation !== undefined) {
    const operations: readonly string[] = SIMULATED_OPERATIONS[fault.service];
    if (!operations.includes(fault.operation)) {
      problems.push(
        `${formatPath([...at, 'operation'])}: ${JSON.stringify(fault.operation)} is not an operation the simulator serves for ${fault.service}; expected one of ${operations.join(', ')}`,
      );
    }
  }
  return problems.length > 0 ? { problems } : { event };
}

/**
 * Faults with the same key are the same fault: the key holds a fault's identifying fields only, so a
 * `recover` ends every open fault whose key is its own.
 */
export function faultKey(fault: FaultSpec | FaultIdentity): string {
  return JSON.stringify([
    fault.type,
    'service' in fault ? fault.service : null,
    'operation' in fault ? (fault.operation ?? null) : null,
    'region' in fault ? (fault.region ?? null) : null,
    'step' in fault ? `${fault.application ?? '*'}/${fault.step}` : null,
  ]);
}

/** `"api-error" for rds PromoteReadReplica in us-west-2`, `"region-outage" for us-east-1`. */
function describeFault(fault: FaultIdentity): string {
  const parts = [`"${fault.type}"`];
  if ('service' in fault) {
    parts.push('for', fault.operation === undefined ? fault.service : `${fault.service} ${fault.operation}`);
    if (fault.region !== undefined) parts.push('in', fault.region);
  } else if ('region' in fault) {
    parts.push('for', fault.region);
  } else if ('step' in fault) {
    parts.push('for', fault.application === undefined ? fault.step : `${fault.application}/${fault.step}`);
  }
  return parts.join(' ');
}

/** Checks that need the whole timeline (and the config, when it loaded). */
function timelineProblems(
  events: readonly ScenarioEvent[],
  until: number | undefined,
  config: { readonly source: string; readonly value: LifeboatConfig } | undefined,
  checkRecovers: boolean,
): Problem[] {
  const problems: Problem[] = [];
  const regions = config && [...new Set(config.value.applications.flatMap((app) => app.regions))];
  // Open faults by identity: a recover ends them all, so recovering twice without a new fault is an error.
  const open = new Map<string, number>();
  const recoveredBy = new Map<string, { fault: number; recover: number }>();

  for (const event of events) {
    const at = ['events', event.index] as const;
    if (until !== undefined && event.at > until) {
      problems.push({
        path: [...at, 'at'],
        message: `${event.at} is after until (${until}); the simulation stops first, so raise until or move the event earlier`,
      });
    }
    if ((event.kind === 'fault' || event.kind === 'recover') && 'region' in event.fault) {
      const region = event.fault.region;
      if (region !== undefined && regions !== undefined && !regions.includes(region)) {
        problems.push({
          path: [...at, 'region'],
          message: `${region} is not a region of any application in ${config?.source ?? 'the config'} (its regions: ${regions.join(', ')})${didYouMean(region, regions)}`,
        });
      }
    }
    if (
      (event.kind === 'fault' || event.kind === 'recover') &&
      event.fault.type === 'custom-step' &&
      config !== undefined
    ) {
      const { step, application } = event.fault;
      const apps = config.value.applications.filter(
        (a) => application === undefined || a.name === application,
      );
      const steps = [...new Set(apps.flatMap((a) => a.customSteps.map((c) => c.name)))];
      if (application !== undefined && apps.length === 0) {
        problems.push({
          path: [...at, 'application'],
          message: `no application named ${application} in ${config.source}`,
        });
      } else if (!steps.includes(step)) {
        problems.push({
          path: [...at, 'step'],
          message:
            steps.length === 0
              ? `${step} is not a custom step: ${application ?? 'no application'} in ${config.source} has any (customSteps)`
              : `${step} is not a custom step of ${application ?? 'any application'} in ${config.source} (its steps: ${steps.join(', ')})${didYouMean(step, steps)}`,
        });
      }
    }
    if (event.kind === 'reclone' && config !== undefined) {
      const app = config.value.applications.find((a) => a.name === event.application);
      const names = config.value.applications.map((a) => a.name);
      if (app === undefined) {
        problems.push({
          path: [...at, 'reclone'],
          message: `no application named ${event.application} in ${config.source}${didYouMean(event.application, names)}`,
        });
      } else if (app.database.engine !== 'cloudnativepg') {
        problems.push({
          path: [...at, 'reclone'],
          message: `${app.name}'s database is ${app.database.engine}; only a CloudNativePG cluster is re-cloned by hand (docs/cloudnativepg.md)`,
        });
      } else if (!app.regions.includes(event.region)) {
        problems.push({
          path: [...at, 'region'],
          message: `${event.region} is not a region of ${app.name} (its regions: ${app.regions.join(', ')})${didYouMean(event.region, app.regions)}`,
        });
      }
    }
    if (!checkRecovers) continue;
    if (event.kind === 'fault') {
      const key = faultKey(event.fault);
      if (!open.has(key)) open.set(key, event.index);
    } else if (event.kind === 'recover') {
      const key = faultKey(event.fault);
      const fault = open.get(key);
      if (fault !== undefined) {
        open.delete(key);
        recoveredBy.set(key, { fault, recover: event.index });
        continue;
      }
      const earlier = recoveredBy.get(key);
      const hint =
        earlier === undefined
          ? `add that fault before it, or remove the recover`
          : `the fault of events[${earlier.fault}] was already recovered by events[${earlier.recover}]`;
      problems.push({
        path: at,
        message: `recover ${describeFault(event.fault)} has no earlier fault to recover from; ${hint}`,
      });
    }
  }
  return problems;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * A relative config path names a file from where `lifeboat` runs (so examples can say
 * "examples/lifeboat.config.json" from the repository root) or, failing that, from the scenario's
 * own directory (so a scenario can sit next to its config anywhere).
 */
function resolveConfigPath(
  path: string,
  cwd: string,
  baseDir: string,
): { readonly path: string } | { readonly problem: string } {
  if (isAbsolute(path)) {
    return isFile(path) ? { path } : { problem: `cannot find "${path}"` };
  }
  for (const dir of [cwd, baseDir]) {
    const candidate = resolve(dir, path);
    if (isFile(candidate)) return { path: candidate };
  }
  return { problem: `cannot find "${path}" (looked in ${resolve(cwd)} and ${resolve(baseDir)})` };
}

/**
 * Validates a parsed scenario document and loads its config. Throws `ScenarioError` listing every
 * problem with its path. `baseDir` is the scenario file's directory; `cwd` defaults to the process's.
 */
export function parseScenario(
  raw: unknown,
  source: string,
  options: { readonly baseDir: string; readonly cwd?: string },
): Scenario {
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];

  const document = ScenarioDocumentSchema.safeParse(raw);
  if (!document.success) {
    problems.push(
      ...issueProblems(document.error.issues, [], (path) => {
        if (path.length === 0) return { what: 'a scenario', allowed: TOP_LEVEL_FIELDS };
        if (path.length === 1 && path[0] === 'latency') return { what: 'latency', allowed: LATENCY_KEYS };
        return undefined;
      }),
    );
  }
  // The fields below are read on their own too, so one bad field does not hide the others' problems.
  const fields = isPlainObject(raw) ? raw : {};

  const events: ScenarioEvent[] = [];
  let faultsParsed = true;
  if (Array.isArray(fields.events)) {
    fields.events.forEach((rawEvent: unknown, index) => {
      const result = parseEvent(rawEvent, index);
      if ('event' in result) {
        events.push(result.event);
      } else {
        problems.push(...result.problems);
        if (isPlainObject(rawEvent) && (rawEvent.fault !== undefined || rawEvent.recover !== undefined)) {
          faultsParsed = false;
        }
      }
    });
  }
  // Array.prototype.sort is stable, so events at the same time keep their order in the file.
  events.sort((a, b) => a.at - b.at);

  let config: { readonly path: string; readonly source: string; readonly value: LifeboatConfig } | undefined;
  if (typeof fields.config === 'string' && fields.config !== '') {
    const located = resolveConfigPath(fields.config, cwd, options.baseDir);
    if ('problem' in located) {
      problems.push(`config: ${located.problem}`);
    } else {
      try {
        config = { path: located.path, source: fields.config, value: loadConfig(located.path) };
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(...error.problems.map((p) => `config: ${p}`));
      }
    }
  }

  const until = ScenarioDocumentSchema.shape.until.safeParse(fields.until);
  problems.push(
    ...timelineProblems(
      events,
      until.success ? until.data : undefined,
      config,
      // A fault that failed to parse would make its recover look unmatched; its own problem is enough.
      faultsParsed,
    ).map((p) => `${formatPath(p.path)}: ${p.message}`),
  );

  if (problems.length > 0 || !document.success || config === undefined) {
    throw new ScenarioError(source, problems);
  }

  const overrides: { -readonly [K in keyof LatencyModel]?: number } = {};
  for (const key of LATENCY_KEYS) {
    const value = document.data.latency?.[key];
    if (value !== undefined) overrides[key] = value;
  }
  const { name, description, until: untilSeconds, seed } = document.data;
  return {
    name,
    ...(description === undefined ? {} : { description }),
    configPath: config.path,
    config: config.value,
    latency: latencyModel(overrides),
    until: untilSeconds,
    seed,
    events,
  };
}

/** Reads and validates a scenario file. Throws `ScenarioError` naming the file and every problem in it. */
/**
 * Reads and checks a scenario file. `options.config` runs it against another config than the one it
 * names (a path from `cwd`): the events are then checked against that config.
 */
export function loadScenario(
  file: string,
  cwd: string = process.cwd(),
  options: { readonly config?: string } = {},
): Scenario {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new ScenarioError(file, [`cannot read the file: ${reason}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
  if (options.config !== undefined && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    raw = { ...(raw as Record<string, unknown>), config: resolve(cwd, options.config) };
  }
  return parseScenario(raw, file, { baseDir: dirname(path), cwd });
}
