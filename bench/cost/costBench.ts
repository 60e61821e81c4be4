import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { createLifeboat } from '../../infra/LifeboatApp.ts';
import { PROJECT_ROOT } from '../../infra/projectRoot.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import type { Ledger } from '../../shared/ports/Ledger.ts';
import { functionNameForPlaceholder } from '../../shared/statemachines/placeholders.ts';
import { loadScenario } from '../../local/scenario/Scenario.ts';
import { simulate, STATEMACHINES_DIR, type SimulationContext } from '../../local/simulate/Simulation.ts';
import { localRuntime } from '../../local/simulate/localRuntime.ts';
import {
  arcRoutingControlMonthly,
  executionUsage,
  idleCost,
  perApplication,
  runCost,
  type CostLine,
  type IdleAssumptions,
  type RunUsage,
  type TemplateResource,
} from './costModel.ts';
import { PRICES } from './prices.ts';

export const IDLE_LIMIT_USD = 15;
export const FAILOVER_LIMIT_USD = 0.01;

/** The account the template is synthesized for; any 12 digits do. */
const ACCOUNT = '123456789012';

export const IDLE_ASSUMPTIONS: IdleAssumptions = {
  // Default latency model: one API call (0.2 s) for the parallel probes, one for PutMetricData.
  probeSeconds: 0.4,
  // Three ledger reads and a Route 53 read per application, a handful of API calls.
  offerSeconds: 0.8,
  logBytesPerInvocation: 2000,
  secretsPerRegion: 2,
  // listRuns (failover, failback) and the health record: three eventually consistent reads (1.5 RRU).
  ledgerReadsPerOffer: 1.5,
  ledgerGb: 0.01,
};

/** Every resource of every stack of the deployment, synthesized without bundling. */
export function synthesizedResources(config: LifeboatConfig): TemplateResource[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  createLifeboat(app, config, ACCOUNT);
  const assembly = app.synth();
  return assembly.stacks.flatMap((s) =>
    Object.entries(
      (s.template as { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> })
        .Resources ?? {},
    ).map(([logicalId, r]) => ({
      stack: s.stackName,
      region: s.environment.region,
      logicalId,
      type: r.Type,
      properties: r.Properties ?? {},
    })),
  );
}

/** Lambda memory by function name, from the template. */
function memoryByFunction(resources: readonly TemplateResource[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of resources) {
    if (r.type !== 'AWS::Lambda::Function' || typeof r.properties.FunctionName !== 'string') continue;
    out.set(r.properties.FunctionName, Number(r.properties.MemorySize ?? 128));
  }
  return out;
}

/** Task state → the function it invokes (and whether it waits for a token), from a workflow's ASL. */
export function taskFunctions(
  aslFile: string,
  memory: ReadonlyMap<string, number>,
): Map<string, { memoryMb: number; waitsForToken: boolean }> {
  const out = new Map<string, { memoryMb: number; waitsForToken: boolean }>();
  const walk = (machine: { States?: Record<string, Record<string, unknown>> }): void => {
    for (const [name, state] of Object.entries(machine.States ?? {})) {
      if (state.Type === 'Task') {
        const text = JSON.stringify(state);
        const placeholder = /\$\{([A-Za-z0-9]+FunctionArn)\}/.exec(text)?.[1];
        const fn = placeholder === undefined ? undefined : functionNameForPlaceholder(placeholder);
        if (fn !== undefined)
          out.set(name, {
            memoryMb: memory.get(fn) ?? 128,
            waitsForToken: String(state.Resource).endsWith('.waitForTaskToken'),
          });
      }
      for (const branch of (state.Branches ?? []) as { States?: Record<string, Record<string, unknown>> }[])
        walk(branch);
      const processor = (state.ItemProcessor ?? state.Iterator) as
        { States?: Record<string, Record<string, unknown>> } | undefined;
      if (processor !== undefined) walk(processor);
    }
  };
  walk(JSON.parse(readFileSync(aslFile, 'utf8')) as { States?: Record<string, Record<string, unknown>> });
  return out;
}

interface Counted {
  readonly at: number;
  readonly kind: 'cloudwatch' | 'ledger-read' | 'ledger-write';
}

/** Counts the billable API calls of a run by time: CloudWatch requests and ledger reads and writes. */
function countingRuntime(calls: Counted[]): ReturnType<typeof localRuntime> {
  const runtime = localRuntime();
  const countLedger = (ledger: Ledger, context: SimulationContext): Ledger =>
    new Proxy(ledger, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const read = /^(get|list)/.test(String(property));
          calls.push({ at: context.clock.seconds, kind: read ? 'ledger-read' : 'ledger-write' });
          return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        };
      },
    });
  return {
    ...runtime,
    functions: (context) =>
      runtime.functions?.({
        ...context,
        ledgerIn: (region) => countLedger(context.ledgerIn(region), context),
      }) ?? {},
    setup: async (context) => {
      await runtime.setup?.(context);
      const faults = context.world.faults;
      const check = faults.check.bind(faults);
      faults.check = (service, operation, region) => {
        if (service === 'cloudwatch') calls.push({ at: context.clock.seconds, kind: 'cloudwatch' });
        check(service, operation, region);
      };
    },
  };
}

export interface RunCostFigure {
  readonly workflow: string;
  readonly usage: RunUsage;
  readonly lines: CostLine[];
  readonly total: number;
}

export interface CostFigures {
  readonly idle: CostLine[];
  readonly idleTotal: number;
  readonly perApplication: Record<string, { own: number; shared: number; total: number }>;
  readonly runs: RunCostFigure[];
  readonly regionSwitchPerApplication: number;
  readonly arcRoutingControl: number;
}

/**
 * The cost model on the example config: the idle month from the synthesized template, and one
 * failover and one failback from the default scenario's simulated run (primary-outage).
 */
export async function measureCost(config: LifeboatConfig): Promise<CostFigures> {
  const resources = synthesizedResources(config);
  const applications = config.applications.map((a) => a.name);
  const idle = idleCost(resources, applications, config.controlPlaneRegions, IDLE_ASSUMPTIONS);
  const memory = memoryByFunction(resources);

  const scenario = loadScenario(join(PROJECT_ROOT, 'examples', 'scenarios', 'primary-outage.json'));
  const calls: Counted[] = [];
  const report = await simulate({ scenario, ...countingRuntime(calls) });
  const runs: RunCostFigure[] = [];
  for (const workflow of ['failover', 'failback']) {
    const e = report.executions.find((x) => x.workflow === workflow && x.status === 'SUCCEEDED');
    if (e === undefined) throw new Error(`primary-outage ran no successful ${workflow}`);
    const within = (c: Counted): boolean => c.at >= e.startedAt && c.at <= (e.stoppedAt ?? Infinity);
    const lambda = executionUsage(
      e.states,
      taskFunctions(join(STATEMACHINES_DIR, `${workflow}.asl.json`), memory),
      scenario.latency.stepFunctionsTransitionSeconds,
      1,
    );
    const usage: RunUsage = {
      ...lambda,
      cloudWatchRequests: calls.filter((c) => within(c) && c.kind === 'cloudwatch').length,
      ledgerReads: calls.filter((c) => within(c) && c.kind === 'ledger-read').length,
      ledgerWrites: calls.filter((c) => within(c) && c.kind === 'ledger-write').length,
      ledgerReplicas: config.controlPlaneRegions.length,
    };
    runs.push({ workflow, usage, ...runCost(usage) });
  }
  return {
    idle,
    idleTotal: idle.reduce((s, l) => s + l.monthlyUsd, 0),
    perApplication: perApplication(idle, applications),
    runs,
    regionSwitchPerApplication: PRICES.regionSwitchPlan.usd,
    arcRoutingControl: arcRoutingControlMonthly(),
  };
}
