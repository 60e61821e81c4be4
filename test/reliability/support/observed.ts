import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '../../../local/report/Report.ts';
import type { InvocationContext, LocalFunction } from '../../../local/runner/WorkflowRunner.ts';
import { parseScenario } from '../../../local/scenario/Scenario.ts';
import { localRuntime } from '../../../local/simulate/localRuntime.ts';
import { simulate, type SimulationContext } from '../../../local/simulate/Simulation.ts';
import { SimulatedServiceError } from '../../../local/world/faults.ts';
import { isMutating } from '../../../local/world/mutatingOperations.ts';
import { THROTTLING_ERROR, type SimulatedService } from '../../../local/world/services.ts';
import { exampleConfigDocument } from '../../support/exampleConfig.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

type ConfigDoc = ReturnType<typeof exampleConfigDocument>;

/** One call the world served or refused, with the workflow state that made it (none: the trigger, offers). */
export interface ObservedCall {
  readonly at: number;
  readonly service: SimulatedService;
  readonly operation: string;
  readonly region: string;
  readonly workflow: string | undefined;
  readonly execution: string | undefined;
  readonly state: string | undefined;
  readonly mutating: boolean;
  /** The error the call got, if it failed. */
  readonly error: string | undefined;
}

export const FAULT_KINDS = ['throttle', 'server-error', 'timeout', 'permanent'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * A fault aimed at one operation as one workflow calls it: its `nth` call (1 = the first) and, for a
 * transient kind, the next `repeat - 1` calls fail; a permanent one fails every call from the nth on
 * until the virtual time `until`.
 */
export interface AimedFault {
  readonly workflow: string;
  readonly service: SimulatedService;
  readonly operation: string;
  readonly nth: number;
  readonly kind: FaultKind;
  readonly repeat?: number;
  /** For `permanent`: the error name (AccessDenied, a not-found or invalid-state fault). */
  readonly error?: string;
  readonly until?: number;
}

/** The error a call gets for a fault kind, shaped as the SDK (or @slack/web-api) throws it. */
export function faultError(fault: AimedFault): Error {
  const where = `${fault.service} ${fault.operation} (aimed fault, ${fault.kind})`;
  switch (fault.kind) {
    case 'throttle':
      return new SimulatedServiceError(THROTTLING_ERROR[fault.service], where, 429, true);
    case 'server-error':
      return fault.service === 'slack'
        ? new SimulatedServiceError('slack_webapi_platform_error', where, 503)
        : new SimulatedServiceError('InternalError', where, 500);
    case 'timeout': {
      // The SDK's own request timeout: no HTTP status, a socket error code.
      const error = new Error(`${where}: socket timed out`) as Error & { code: string };
      error.name = 'TimeoutError';
      error.code = 'ETIMEDOUT';
      return error;
    }
    case 'permanent': {
      const name = fault.error ?? 'AccessDenied';
      const status = /NotFound/i.test(name) ? 404 : /AccessDenied/.test(name) ? 403 : 400;
      return new SimulatedServiceError(name, `${where}: ${name}`, status);
    }
  }
}

export interface Observed {
  readonly report: Report;
  readonly calls: readonly ObservedCall[];
  /** How many calls each aimed fault failed. */
  readonly hits: readonly number[];
}

/**
 * `rehearse` with every world call observed: each Lambda invocation runs in an async context naming
 * its workflow, execution and state, and the fault registry's check (every world API call passes it)
 * records the call with that context. Faults aimed at one workflow's calls are thrown there.
 */
export async function rehearseObserved(options: {
  events: readonly Record<string, unknown>[];
  until: number;
  config?: (doc: ConfigDoc) => void;
  /** Another example config than examples/lifeboat.config.json, relative to the project's root. */
  configFile?: string;
  latency?: Record<string, number>;
  faults?: readonly AimedFault[];
  setup?: (context: SimulationContext) => void;
  /** Replaces a Lambda function's local stand-in (to make it time out, say); the others run as they are. */
  wrap?: (name: string, fn: LocalFunction, context: SimulationContext) => LocalFunction;
}): Promise<Observed> {
  const doc =
    options.configFile === undefined
      ? exampleConfigDocument()
      : (JSON.parse(readFileSync(join(ROOT, options.configFile), 'utf8')) as ConfigDoc);
  options.config?.(doc);
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-reliability-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(doc));
  const scenario = parseScenario(
    {
      name: 'reliability',
      config: configFile,
      until: options.until,
      latency: options.latency ?? {},
      events: options.events,
    },
    'reliability scenario',
    { baseDir: dir, cwd: ROOT },
  );
  const invocation = new AsyncLocalStorage<InvocationContext>();
  const calls: ObservedCall[] = [];
  const faults = options.faults ?? [];
  const seen = faults.map(() => 0);
  const hits = faults.map(() => 0);
  const runtime = localRuntime();
  const report = await simulate({
    scenario,
    ...runtime,
    functions: (context) => {
      const functions = runtime.functions?.(context) ?? {};
      const wrapped: Record<string, LocalFunction> = {};
      for (const [name, original] of Object.entries(functions)) {
        const fn = options.wrap?.(name, original, context) ?? original;
        wrapped[name] = (payload, ctx) => invocation.run(ctx, () => fn(payload, ctx));
      }
      return wrapped;
    },
    setup: async (context) => {
      await runtime.setup?.(context);
      const registry = context.world.faults;
      const check = registry.check.bind(registry);
      registry.check = (service, operation, region) => {
        const ctx = invocation.getStore();
        const record = (error: string | undefined): void => {
          calls.push({
            at: context.clock.seconds,
            service,
            operation,
            region,
            workflow: ctx?.workflow,
            execution: ctx?.executionName,
            state: ctx?.stateName,
            mutating: isMutating(service, operation),
            error,
          });
        };
        try {
          // Every aimed fault counts the call; the first that fires fails it.
          let firing: AimedFault | undefined;
          faults.forEach((fault, i) => {
            if (
              ctx?.workflow !== fault.workflow ||
              fault.service !== service ||
              fault.operation !== operation
            )
              return;
            const n = ++seen[i]!;
            const fires =
              fault.kind === 'permanent'
                ? n >= fault.nth && context.clock.seconds < (fault.until ?? Number.POSITIVE_INFINITY)
                : n >= fault.nth && n < fault.nth + (fault.repeat ?? 1);
            if (fires && firing === undefined) {
              hits[i]!++;
              firing = fault;
            }
          });
          if (firing !== undefined) throw faultError(firing);
          check(service, operation, region);
        } catch (error) {
          record((error as Error).name);
          throw error;
        }
        record(undefined);
      };
      options.setup?.(context);
    },
  });
  return { report, calls, hits };
}

/** The distinct `service operation` pairs a workflow's states called, in first-call order. */
export function operationsOf(
  calls: readonly ObservedCall[],
  workflow: string,
): { service: SimulatedService; operation: string; count: number; states: string[] }[] {
  const out = new Map<
    string,
    { service: SimulatedService; operation: string; count: number; states: string[] }
  >();
  for (const c of calls) {
    if (c.workflow !== workflow) continue;
    const key = `${c.service} ${c.operation}`;
    const entry = out.get(key) ?? { service: c.service, operation: c.operation, count: 0, states: [] };
    entry.count++;
    if (c.state !== undefined && !entry.states.includes(c.state)) entry.states.push(c.state);
    out.set(key, entry);
  }
  return [...out.values()];
}

/** The executions that made a mutating world call, in the order of their first. */
export function actors(calls: readonly ObservedCall[]): string[] {
  return [...new Set(calls.filter((c) => c.mutating && c.execution !== undefined).map((c) => c.execution!))];
}
