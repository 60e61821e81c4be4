import { evacuationKey } from '../../../shared/evacuation/EvacuationSteps.ts';
import { RUN_KINDS, type RunKind, type RunRecord } from '../../../shared/ports/Ledger.ts';
import { applicationNames, loadCliConfig, parseCommand, required, UsageError } from '../args.ts';
import { defaultAwsClients } from '../aws/AwsClients.ts';
import { fromFirstAnswering, ledgerIn, ledgerRegions } from '../aws/deployment.ts';
import type { CliIo } from '../main.ts';

export const HISTORY_USAGE = `Usage:
  lifeboat history --app <name> --kind <kind> [--limit <n>] [--region <region>] [--json] [--config <file>]

Lists an application's past runs of one kind from the ledger of the deployed Lifeboat, newest first:
when each started, how it ended and why, and its RTO and RPO where it measured them.

Options:
  --app <name>        the application (as named in the config); for --kind evacuation,
                      region-evacuation:<region> (the evacuations of that region)
  --kind <kind>       ${RUN_KINDS.join(', ')}
  --limit <n>         how many runs, 1 to 100 (default 10)
  --region <region>   the ledger replica to read first (default: the first control-plane region;
                      the others are tried when it does not answer)
  --json              print the runs as JSON
  --config <file>     the config (default: ./lifeboat.config.json)
`;

/** One run on one line: when, how it ended, how long it took, RTO/RPO if measured, and why. */
export function runLine(run: RunRecord): string {
  const parts = [run.startedAt.replace(/\.\d{3}Z$/, 'Z'), run.status.padEnd(11)];
  if (run.endedAt !== undefined) {
    parts.push(`${Math.round((Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000)} s`.padStart(7));
  }
  const rto = run.details?.rtoSeconds;
  const rpo = run.details?.rpoSeconds;
  const from = run.details?.rtoFrom;
  if (typeof rto === 'number')
    parts.push(typeof from === 'string' ? `RTO ${rto} s from ${from}` : `RTO ${rto} s`);
  if (typeof rpo === 'number') parts.push(`RPO ${rpo} s`);
  parts.push(run.executionName);
  const why = run.error === undefined ? run.reason : `${run.error.name}: ${run.reason ?? run.error.cause}`;
  return why === undefined || why === '' ? parts.join('  ') : `${parts.join('  ')}\n      ${why}`;
}

export function parseKind(kind: string | undefined): RunKind {
  const given = required(kind, '--kind', `name the kind of run (${RUN_KINDS.join(', ')})`);
  if (!(RUN_KINDS as readonly string[]).includes(given)) {
    throw new UsageError(`--kind: "${given}" is not a kind of run; use one of ${RUN_KINDS.join(', ')}`);
  }
  return given as RunKind;
}

function parseLimit(limit: string | undefined): number {
  if (limit === undefined) return 10;
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new UsageError(
      `--limit: "${limit}" is not a whole number from 1 to 100; give one, e.g. --limit 20`,
    );
  }
  return n;
}

/** `lifeboat history`. */
export async function historyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    app: { type: 'string' },
    kind: { type: 'string' },
    limit: { type: 'string' },
    region: { type: 'string' },
    json: { type: 'boolean', default: false },
    config: { type: 'string' },
  });
  if (positionals.length > 0) {
    throw new UsageError(`unexpected "${positionals.join(' ')}"; name the application with --app`);
  }
  const { config } = loadCliConfig(values.config, io, 'history', true);
  const name = required(values.app, '--app', `name the application (${applicationNames(config)})`);
  const kind = parseKind(values.kind);
  // A region evacuation is recorded under region-evacuation:<region> (evacuationKey).
  const regions = [...new Set(config.applications.flatMap((a) => a.regions))];
  const evacuated = regions.find((r) => evacuationKey(r) === name);
  if (kind === 'evacuation' && evacuated === undefined) {
    throw new UsageError(
      `--app: evacuations are recorded by region; name one as ${regions.map(evacuationKey).join(', ')}`,
    );
  }
  if (kind !== 'evacuation' && !config.applications.some((a) => a.name === name)) {
    throw new UsageError(`--app: no application named "${name}"; the config has ${applicationNames(config)}`);
  }
  const limit = parseLimit(values.limit);
  if (values.region !== undefined && !config.controlPlaneRegions.includes(values.region)) {
    throw new UsageError(
      `--region: ${values.region} holds no ledger replica; name one of ${config.controlPlaneRegions.join(', ')}`,
    );
  }
  const clients = io.aws ?? defaultAwsClients();
  const { region, value: runs } = await fromFirstAnswering(ledgerRegions(config, values.region), (r) =>
    ledgerIn(clients, config, r).listRuns(name, kind, limit),
  );
  if (values.json) {
    io.stdout(`${JSON.stringify(runs, null, 2)}\n`);
    return 0;
  }
  io.stdout(`${kind} runs of ${name}, newest first (ledger ${config.ledger.tableName} in ${region}):\n`);
  if (runs.length === 0) io.stdout(`  none recorded\n`);
  for (const run of runs) io.stdout(`  ${runLine(run)}\n`);
  return 0;
}
