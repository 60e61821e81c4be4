import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PROJECT_ROOT } from '../../infra/projectRoot.ts';
import type { Report } from '../../local/report/Report.ts';
import { parseScenario } from '../../local/scenario/Scenario.ts';
import { simulate } from '../../local/simulate/Simulation.ts';
import { localRuntime } from '../../local/simulate/localRuntime.ts';
import { DEFAULT_LATENCY } from '../../local/world/LatencyModel.ts';
import { startEvacuation } from './evacuationWorkflow.ts';
import { fleetConfig, fleetName } from './fleetConfig.ts';

export const FLEET_RTO_LIMIT = 1.2;
export const FLEET_WALL_LIMIT_SECONDS = 60;

type ConfigDocument = Record<string, unknown> & { applications: Record<string, unknown>[] };

export interface FleetFigure {
  readonly applications: number;
  readonly maxConcurrency: number;
  readonly startedAt: number;
  readonly singleRtoSeconds: number;
  readonly rto: { readonly min: number; readonly median: number; readonly max: number };
  readonly worstRatio: number;
  readonly wallSeconds: number;
  readonly cores: number;
  readonly failovers: { readonly succeeded: number; readonly total: number };
  /** State transitions of one application's failover (min, max) and the evacuation's own, per application. */
  readonly transitions: { readonly min: number; readonly max: number; readonly evacuationPerApp: number };
  readonly violations: readonly string[];
}

async function evacuate(
  doc: ConfigDocument,
  name: string,
  at: number,
  maxConcurrency: number,
): Promise<Report> {
  const dir = join(PROJECT_ROOT, '.bench', 'fleet');
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, `${name}.config.json`);
  writeFileSync(configFile, JSON.stringify(doc));
  const scenario = parseScenario(
    {
      name,
      config: configFile,
      until: 2400,
      events: [
        { at: 0, fault: 'region-outage', region: 'us-east-1' },
        // Route 53's API returns with us-east-1; each failover's record change waits for it.
        { at: 1800, recover: 'region-outage', region: 'us-east-1' },
      ],
    },
    name,
    { baseDir: dir, cwd: PROJECT_ROOT },
  );
  const runtime = localRuntime();
  return simulate({
    scenario,
    ...runtime,
    setup: async (context) => {
      await runtime.setup?.(context);
      startEvacuation(context, at, { failingRegion: 'us-east-1', maxConcurrency, reason: 'fleet benchmark' });
    },
  });
}

const rtoOf = (report: Report, app: string): number => {
  const rto = report.applications[app]?.rtoSeconds;
  if (rto == null) throw new Error(`${app} did not recover in ${report.scenario}`);
  return rto;
};

/**
 * `count` copies of the example's RDS application lose their primary (us-east-1) together; the
 * operator starts one region evacuation once the outage is confirmed (detection + confirmation
 * window). Each application's RTO is compared with one application evacuated alone, the same way.
 */
export async function measureFleet(
  example: ConfigDocument,
  count = 100,
  maxConcurrency = 40,
): Promise<FleetFigure> {
  const template = example.applications.find((a) => a.name === 'ai-gateway') as {
    healthChecks: Record<string, { intervalSeconds?: number; failureThreshold?: number }>;
    automation: { outageConfirmationSeconds?: number };
  };
  const check = template.healthChecks['us-east-1'] ?? {};
  const at =
    (check.intervalSeconds ?? 30) * (check.failureThreshold ?? 3) +
    (template.automation.outageConfirmationSeconds ?? 60);

  const single = await evacuate(fleetConfig(example, 1), 'fleet-1', at, maxConcurrency);
  const singleRto = rtoOf(single, fleetName(0));

  const started = performance.now();
  const fleet = await evacuate(fleetConfig(example, count), `fleet-${count}`, at, maxConcurrency);
  const wallSeconds = (performance.now() - started) / 1000;

  const rtos = Array.from({ length: count }, (_, i) => rtoOf(fleet, fleetName(i))).sort((a, b) => a - b);
  const failovers = fleet.executions.filter((e) => e.workflow === 'failover');
  const transitions = failovers.map((f) => f.states.length);
  const evacuation = fleet.executions.find((e) => e.workflow === 'region-evacuation');
  return {
    applications: count,
    maxConcurrency,
    startedAt: at,
    singleRtoSeconds: singleRto,
    rto: { min: rtos[0] ?? 0, median: rtos[Math.floor(rtos.length / 2)] ?? 0, max: rtos.at(-1) ?? 0 },
    worstRatio: (rtos.at(-1) ?? 0) / singleRto,
    wallSeconds,
    cores: cpus().length,
    failovers: {
      succeeded: failovers.filter((f) => f.status === 'SUCCEEDED').length,
      total: failovers.length,
    },
    transitions: {
      min: Math.min(...transitions),
      max: Math.max(...transitions),
      evacuationPerApp: (evacuation?.states.length ?? 0) / count,
    },
    violations: fleet.violations,
  };
}

/** Latency model the fleet runs under (the default). */
export const FLEET_LATENCY = DEFAULT_LATENCY;

export function exampleDocument(): ConfigDocument {
  return JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'examples', 'lifeboat.config.json'), 'utf8'),
  ) as ConfigDocument;
}
