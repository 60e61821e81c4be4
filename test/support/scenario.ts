import { fileURLToPath } from 'node:url';
import { parseScenario } from '../../local/scenario/Scenario.ts';
import { simulate, type SimulationContext } from '../../local/simulate/Simulation.ts';
import { localRuntime } from '../../local/simulate/localRuntime.ts';
import { twinRuntime, type TwinRuntimeOptions } from '../../local/simulate/twinRuntime.ts';
import { main } from '../../local/cli/main.ts';
import type { Report, ReportExecution } from '../../local/report/Report.ts';
import { exampleConfigDocument } from './exampleConfig.ts';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type ConfigDoc = ReturnType<typeof exampleConfigDocument>;

/**
 * Runs a scenario given as its JSON document (the contract's form) over the example config, changed
 * by `config` if given, with Lifeboat's real workflows and step code on the local runtime.
 */
export async function rehearse(options: {
  events: readonly Record<string, unknown>[];
  until?: number;
  latency?: Record<string, number>;
  config?: (doc: ConfigDoc) => void;
  /** Another example config than examples/lifeboat.config.json, relative to the project's root. */
  configFile?: string;
  /** Runs before the world starts, after the local runtime's own setup: seed the world here. */
  setup?: (context: SimulationContext) => void;
  /**
   * `twin` (the default) runs the deployed handlers on the AWS twin; `ports` the step code over the
   * world's ports (for tests of the world's own behaviour).
   */
  mode?: 'twin' | 'ports';
  /** Changes to the twin (its checks, or the deployment it is given). */
  twin?: TwinRuntimeOptions;
}): Promise<Report> {
  const doc =
    options.configFile === undefined
      ? exampleConfigDocument()
      : (JSON.parse(readFileSync(join(ROOT, options.configFile), 'utf8')) as ConfigDoc);
  options.config?.(doc);
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-scenario-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(doc));
  const scenario = parseScenario(
    {
      name: 'test',
      config: configFile,
      until: options.until ?? 3600,
      latency: options.latency ?? {},
      events: options.events,
    },
    'test scenario',
    { baseDir: dir, cwd: ROOT },
  );
  const runtime = options.mode === 'ports' ? localRuntime() : twinRuntime(options.twin);
  return simulate({
    scenario,
    ...runtime,
    setup: async (context) => {
      await runtime.setup?.(context);
      options.setup?.(context);
    },
  });
}

/** `rehearse`, keeping the simulation's context (its world) for what the report does not show. */
export async function rehearseKeepingWorld(
  options: Parameters<typeof rehearse>[0],
): Promise<{ report: Report; context: SimulationContext }> {
  let context: SimulationContext | undefined;
  const report = await rehearse({
    ...options,
    setup: (c) => {
      options.setup?.(c);
      context = c;
    },
  });
  if (context === undefined) throw new Error('the rehearsal never set up its world');
  return { report, context };
}

export function failovers(report: Report): ReportExecution[] {
  return report.executions.filter((e) => e.workflow === 'failover');
}

export function stateNames(execution: ReportExecution): string[] {
  return execution.states.map((s) => s.name);
}

export function ledgerOf(report: Report, executionName: string): Record<string, unknown> | undefined {
  return report.ledger.find((r) => r.executionName === executionName);
}

/** Every DNS change the world accepted for the application. */
export function dnsChanges(report: Report, application = 'ai-gateway'): string[] {
  return report.timeline
    .filter((e) => e.kind === 'dns-change' && e.application === application && e.text.startsWith('change'))
    .map((e) => e.text);
}

export function promotions(report: Report, application = 'ai-gateway'): string[] {
  return report.timeline
    .filter(
      (e) =>
        e.kind === 'database' &&
        e.application === application &&
        /^(?:promotion of|Aurora failover to) /.test(e.text) &&
        e.text.includes('started'),
    )
    .map((e) => e.text);
}

/** One `lifeboat` command an operator ran during a rehearsal, and what it printed. */
export interface OperatorRun {
  readonly argv: readonly string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The twin's `operator` hook that runs each `lifeboat` command of `commands` at its virtual time,
 * from `cwd` (where its lifeboat.config.json is), against the twin's AWS, pushing each outcome to `runs`.
 */
export function operatorCommands(
  cwd: string,
  commands: readonly { readonly at: number; readonly argv: string[] }[],
  runs: OperatorRun[],
): NonNullable<TwinRuntimeOptions['operator']> {
  return (aws, context) => {
    for (const { at, argv } of commands) {
      context.clock.schedule(at, () => {
        const io = { stdout: '', stderr: '' };
        void main(argv, {
          stdout: (t) => (io.stdout += t),
          stderr: (t) => (io.stderr += t),
          cwd,
          aws,
          now: () => context.clock.now(),
          sleep: (seconds) => context.clock.sleep(seconds),
        }).then((code) => runs.push({ argv, code, ...io }));
      });
    }
  };
}
