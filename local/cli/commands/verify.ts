import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../shared/config/loadConfig.ts';
import type { LifeboatConfig } from '../../../shared/config/LifeboatConfig.ts';
import { ScenarioError } from '../../../shared/errors.ts';
import { awsCallRows, type AwsCallRow } from '../../report/awsCallSummary.ts';
import { parseScenario } from '../../scenario/Scenario.ts';
import { simulate } from '../../simulate/Simulation.ts';
import { twinRuntime } from '../../simulate/twinRuntime.ts';
import { parseCommand, resolveCliConfigFile, UsageError } from '../args.ts';
import type { CliIo } from '../main.ts';

export const VERIFY_USAGE = `Usage:
  lifeboat verify --config <file> [<scenario.json> ...] [--json]

Will this deployment's permissions and requests hold during a failover, a failback, a backup, a
restore test and a drill? Synthesizes the stacks for the config and runs every example scenario
(examples/scenarios/, or the scenarios given) against it on the AWS twin: the real handlers with the
environment and IAM roles the stacks give them, every AWS call checked against AWS's API model and
the role's policies. The example scenarios' applications, regions and approver are mapped onto the
config's (the first application of each database kind, its regions in order, the first approver); a
scenario that cannot be mapped is listed as skipped, with why.

Prints, per function, the operations it called and every denial or malformed request, then one line
per scenario. Exits 0 when every call was allowed and well-formed and no safety invariant broke, 1
otherwise, 2 when the config or a scenario is wrong.

Options:
  --config <file>   the config to verify (default: ./lifeboat.config.json, else the example)
  --json            print the result as JSON
`;

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

interface ScenarioResult {
  readonly scenario: string;
  readonly skipped?: string;
  readonly calls: number;
  readonly denied: number;
  readonly malformed: number;
  readonly violations: readonly string[];
}

/** `lifeboat verify`: 0 when every call held in every scenario, 1 when one did not. */
export async function verifyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    config: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const configFile = resolve(io.cwd, resolveCliConfigFile(values.config, io, 'verify', false));
  const config = loadConfig(configFile);
  // The example configs whose applications the example scenarios name.
  const example = loadConfig(join(EXAMPLES, 'lifeboat.config.json'));
  const cnpgExample = loadConfig(join(EXAMPLES, 'cloudnativepg.config.json'));
  const files =
    positionals.length > 0
      ? positionals.map((p) => resolve(io.cwd, p))
      : readdirSync(join(EXAMPLES, 'scenarios'))
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => join(EXAMPLES, 'scenarios', f));
  // Each scenario's names are mapped from the example config it names: its regions follow that
  // config's application onto the config's application of the same database kind.
  const names = nameMapping(example, config);
  const cnpgNames = nameMapping(cnpgExample, config);

  const results: ScenarioResult[] = [];
  const rows = new Map<string, AwsCallRow>();
  for (const file of files) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new UsageError(`${file}: ${(error as Error).message}`);
    }
    const from =
      typeof (raw as { config?: unknown } | null)?.config === 'string' &&
      basename((raw as { config: string }).config) === 'cloudnativepg.config.json'
        ? cnpgNames
        : names;
    const mapped = { ...(mapNames(raw, from) as Record<string, unknown>), config: configFile };
    let scenario;
    try {
      scenario = parseScenario(mapped, basename(file), { baseDir: io.cwd, cwd: io.cwd });
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      results.push({
        scenario: basename(file, '.json'),
        skipped: error.problems.join('; '),
        calls: 0,
        denied: 0,
        malformed: 0,
        violations: [],
      });
      continue;
    }
    const report = await simulate({ scenario, ...twinRuntime() });
    const scenarioRows = awsCallRows(report);
    for (const row of scenarioRows) {
      const key = `${row.function} ${row.service} ${row.operation}`;
      const seen = rows.get(key);
      rows.set(
        key,
        seen === undefined
          ? row
          : {
              ...seen,
              calls: seen.calls + row.calls,
              denied: seen.denied + row.denied,
              modelErrors: seen.modelErrors + row.modelErrors,
              ...((seen.example ?? row.example) === undefined
                ? {}
                : { example: seen.example ?? row.example }),
            },
      );
    }
    results.push({
      scenario: report.scenario,
      calls: scenarioRows.reduce((n, r) => n + r.calls, 0),
      denied: scenarioRows.reduce((n, r) => n + r.denied, 0),
      malformed: scenarioRows.reduce((n, r) => n + r.modelErrors, 0),
      violations: report.violations,
    });
  }

  const held = results.every((r) => r.skipped !== undefined || r.violations.length === 0);
  if (values.json) {
    io.stdout(
      `${JSON.stringify({ config: configFile, held, scenarios: results, calls: [...rows.values()] }, null, 2)}\n`,
    );
    return held ? 0 : 1;
  }
  const lines: string[] = [`Lifeboat verify: ${configFile}`, ''];
  const byFunction = new Map<string, AwsCallRow[]>();
  for (const row of [...rows.values()].sort((a, b) => a.function.localeCompare(b.function))) {
    byFunction.set(row.function, [...(byFunction.get(row.function) ?? []), row]);
  }
  for (const [fn, fnRows] of byFunction) {
    lines.push(fn);
    for (const row of fnRows.sort(
      (a, b) =>
        b.denied + b.modelErrors - (a.denied + a.modelErrors) || a.operation.localeCompare(b.operation),
    )) {
      const problems = [
        ...(row.denied > 0 ? [`${row.denied} DENIED`] : []),
        ...(row.modelErrors > 0 ? [`${row.modelErrors} MALFORMED`] : []),
      ];
      lines.push(
        `  ${`${row.service} ${row.operation}`.padEnd(46)} ${String(row.calls).padStart(6)} calls${problems.length > 0 ? `  ${problems.join(', ')}` : '  ok'}`,
      );
      if (row.example !== undefined && problems.length > 0) lines.push(`      ${row.example}`);
    }
  }
  lines.push('', 'Scenarios');
  for (const r of results) {
    if (r.skipped !== undefined) {
      lines.push(`  ${r.scenario.padEnd(28)} skipped: ${r.skipped}`);
      continue;
    }
    lines.push(
      `  ${r.scenario.padEnd(28)} ${r.violations.length === 0 ? 'held' : 'FAILED'}  ${r.calls} calls, ${r.denied} denied, ${r.malformed} malformed`,
    );
    for (const v of r.violations) lines.push(`      ${v}`);
  }
  lines.push(
    '',
    held
      ? 'Every call was allowed and well-formed, and no safety invariant broke.'
      : 'Some calls were denied or malformed, or a safety invariant broke: see above.',
  );
  io.stdout(`${lines.join('\n')}\n`);
  return held ? 0 : 1;
}

/** How the example config's names map onto another config's. */
interface NameMapping {
  readonly applications: ReadonlyMap<string, string>;
  readonly regions: ReadonlyMap<string, string>;
  readonly approvers: ReadonlyMap<string, string>;
}

/**
 * Each example application onto the config's first application with the same database kind (or
 * its first), each of its regions onto that application's region at the same position, the example
 * approver onto the config's first approver.
 */
function nameMapping(example: LifeboatConfig, config: LifeboatConfig): NameMapping {
  const applications = new Map<string, string>();
  const regions = new Map<string, string>();
  for (const app of example.applications) {
    const target =
      config.applications.find((a) => a.database.engine === app.database.engine) ?? config.applications[0];
    if (target === undefined) continue;
    applications.set(app.name, target.name);
    app.regions.forEach((region, i) => {
      const to = target.regions[i];
      if (to !== undefined && !regions.has(region)) regions.set(region, to);
    });
  }
  const approvers = new Map<string, string>();
  const first = config.slack.approvers[0];
  if (first !== undefined) for (const a of example.slack.approvers) approvers.set(a, first);
  return { applications, regions, approvers };
}

const MAPPED_KEYS: Readonly<Record<string, keyof NameMapping>> = {
  application: 'applications',
  region: 'regions',
  targetRegion: 'regions',
  sourceRegion: 'regions',
  by: 'approvers',
  reclone: 'applications',
};

function mapNames(value: unknown, names: NameMapping): unknown {
  if (Array.isArray(value)) return value.map((v) => mapNames(v, names));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      const kind = MAPPED_KEYS[key];
      if (kind !== undefined && typeof v === 'string') return [key, names[kind].get(v) ?? v];
      return [key, mapNames(v, names)];
    }),
  );
}
