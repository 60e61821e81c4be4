import { ElastiCacheStores } from '../../../shared/aws/ElastiCacheStores.ts';
import { Route53Dns } from '../../../shared/aws/Route53Dns.ts';
import type { ApplicationConfig } from '../../../shared/config/LifeboatConfig.ts';
import type { DatabasePort, DatabaseStatus, StoreStatus } from '../../../shared/ports/Estate.ts';
import {
  RUN_KINDS,
  type Ledger,
  type LockLease,
  type RunKind,
  type RunRecord,
} from '../../../shared/ports/Ledger.ts';
import { applicationNames, cliNow, loadCliConfig, parseCommand, UsageError } from '../args.ts';
import { cliDatabases, defaultAwsClients } from '../aws/AwsClients.ts';
import { fromFirstAnswering, ledgerIn, ledgerRegions } from '../aws/deployment.ts';
import type { CliIo } from '../main.ts';
import { lacksCredentials } from '../awsAccess.ts';
import { runLine } from './history.ts';
import { unfinishedMoveText, type FailbackResume } from '../../../shared/failback/FailbackInput.ts';
import { resumableFailback } from '../../../shared/failback/FailbackSteps.ts';

export const STATUS_USAGE = `Usage:
  lifeboat status [--app <name>] [--region <region>] [--json] [--config <file>]

Shows, per application of the deployed Lifeboat: which region serves it and the weights of its
records (from Route 53), where its database writer is (from RDS, region by region), any run in
progress (the application's lock in the ledger), a failback or switchover left unfinished (with the
command that finishes it) and the last run of each kind from the ledger (failover, failback,
switchover, drain, backup, restore test, drill, ...). What cannot be read (a region that is down) is shown as such.

Options:
  --app <name>        one application (default: every application of the config)
  --region <region>   the ledger replica to read first (default: the first control-plane region;
                      the others are tried when it does not answer)
  --json              print the status as JSON
  --config <file>     the config (default: ./lifeboat.config.json)
`;

type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

async function read<T>(what: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await what() };
  } catch (error) {
    const e = error as { name?: string; message?: string };
    return { ok: false, error: `${e.name ?? 'Error'}: ${e.message ?? String(error)}` };
  }
}

/** One application's status as `lifeboat status --json` prints it. */
export interface ApplicationStatus {
  readonly application: string;
  readonly weights: Read<Record<string, number>>;
  /** The region with the heaviest record, when the weights could be read and one is above 0. */
  readonly serving: string | null;
  readonly databases: Readonly<Record<string, Read<DatabaseStatus>>>;
  /** Regions whose database accepts writes: more than one is split brain. */
  readonly writers: readonly string[];
  /** Each store's members, by store name and region (`stores` in the config). */
  readonly stores: Readonly<Record<string, Readonly<Record<string, Read<StoreStatus>>>>>;
  /** By store, the regions whose member takes writes: more than one is split brain. */
  readonly storeWriters: Readonly<Record<string, readonly string[]>>;
  readonly ledgerRegion: string | null;
  readonly lock: Read<LockLease | null>;
  readonly lockLive: boolean;
  readonly last: Read<Readonly<Record<RunKind, RunRecord | null>>>;
  /** A failback or switchover that ended half-way and must be finished before another starts. */
  readonly unfinished: FailbackResume | null;
}

export async function applicationStatus(
  app: ApplicationConfig,
  deps: {
    readonly dns: Route53Dns;
    readonly database: DatabasePort;
    readonly stores: ElastiCacheStores;
    readonly ledgerRegions: readonly string[];
    readonly ledger: (region: string) => Ledger;
    readonly now: Date;
  },
): Promise<ApplicationStatus> {
  const weights = await read(() => deps.dns.getWeights(app));
  const databases: Record<string, Read<DatabaseStatus>> = {};
  const stores: Record<string, Record<string, Read<StoreStatus>>> = {};
  await Promise.all([
    ...app.regions.map(async (region) => {
      databases[region] = await read(() => deps.database.describe(app, region));
    }),
    ...app.stores.flatMap((store) =>
      app.regions.map(async (region) => {
        const members = (stores[store.name] ??= {});
        members[region] = await read(() => deps.stores.describe(app, store, region));
      }),
    ),
  ]);
  const ledger = await read(() =>
    fromFirstAnswering(deps.ledgerRegions, async (region) => {
      const l = deps.ledger(region);
      const lock = (await l.getLock(app.name)) ?? null;
      const last = Object.fromEntries(
        await Promise.all(
          RUN_KINDS.map(async (kind) => [kind, (await l.listRuns(app.name, kind, 1))[0] ?? null] as const),
        ),
      ) as Record<RunKind, RunRecord | null>;
      const unfinished = (await resumableFailback(l, app.name)) ?? null;
      return { lock, last, unfinished };
    }),
  );
  const heaviest = weights.ok ? Object.entries(weights.value).sort((a, b) => b[1] - a[1])[0] : undefined;
  const lock: Read<LockLease | null> = ledger.ok
    ? { ok: true, value: ledger.value.value.lock }
    : { ok: false, error: ledger.error };
  return {
    application: app.name,
    weights,
    serving: heaviest !== undefined && heaviest[1] > 0 ? heaviest[0] : null,
    databases,
    writers: app.regions.filter((r) => {
      const d = databases[r];
      return d?.ok === true && d.value.role !== 'replica';
    }),
    stores,
    storeWriters: Object.fromEntries(
      Object.entries(stores).map(([name, members]) => [
        name,
        app.regions.filter((r) => {
          const m = members[r];
          return m?.ok === true && m.value.role !== 'secondary';
        }),
      ]),
    ),
    ledgerRegion: ledger.ok ? ledger.value.region : null,
    lock,
    lockLive: lock.ok && lock.value !== null && Date.parse(lock.value.leaseExpiresAt) > deps.now.getTime(),
    last: ledger.ok ? { ok: true, value: ledger.value.value.last } : { ok: false, error: ledger.error },
    unfinished: ledger.ok ? ledger.value.value.unfinished : null,
  };
}

function renderStatus(s: ApplicationStatus, app: ApplicationConfig): string {
  const lines = [s.application];
  lines.push(
    s.weights.ok
      ? `  serving      ${s.serving ?? 'no region (every weight is 0: Route 53 answers with every record)'}   weights ${app.regions.map((r) => `${r} ${s.weights.ok ? (s.weights.value[r] ?? '?') : '?'}`).join(', ')}`
      : `  serving      unknown: Route 53's API did not answer (${s.weights.error}); its data plane still answers by health`,
  );
  const db = app.regions.map((r) => {
    const d = s.databases[r];
    if (d === undefined || !d.ok) return `${r} unreadable (${d?.ok === false ? d.error : 'not read'})`;
    const role =
      d.value.role === 'replica' ? `replica of ${d.value.sourceRegion ?? 'an unknown source'}` : d.value.role;
    return `${r} ${role}${d.value.available ? '' : ' (modifying)'}`;
  });
  lines.push(
    `  writer       ${s.writers.length === 0 ? 'none readable' : s.writers.join(', ')}${s.writers.length > 1 ? '   WARNING: more than one region accepts writes' : ''}`,
  );
  lines.push(`  databases    ${db.join('; ')}`);
  for (const store of app.stores) {
    const members = app.regions.map((r) => {
      const m = s.stores[store.name]?.[r];
      if (m === undefined || !m.ok) return `${r} unreadable (${m?.ok === false ? m.error : 'not read'})`;
      const role =
        m.value.role === 'secondary'
          ? `secondary of ${m.value.sourceRegion ?? 'an unknown primary'}`
          : m.value.role;
      return `${r} ${role}${m.value.available ? '' : ' (changing)'}`;
    });
    const writers = s.storeWriters[store.name] ?? [];
    lines.push(
      `  store ${store.name}  ${members.join('; ')}${writers.length > 1 ? `   WARNING: ${writers.join(' and ')} both take writes` : ''}`,
    );
  }
  if (!s.lock.ok) {
    lines.push(`  in progress  unknown: the ledger could not be read in any region (${s.lock.error})`);
  } else if (s.lock.value === null) {
    lines.push('  in progress  none');
  } else {
    const l = s.lock.value;
    lines.push(
      s.lockLive
        ? `  in progress  ${l.owner} since ${l.acquiredAt} (lease until ${l.leaseExpiresAt})`
        : `  in progress  none (the lease of ${l.owner} ended ${l.leaseExpiresAt})`,
    );
  }
  if (s.unfinished !== null) lines.push(`  unfinished   ${unfinishedMoveText(s.application, s.unfinished)}`);
  if (s.last.ok) {
    for (const kind of RUN_KINDS) {
      const run = s.last.value[kind];
      lines.push(`  last ${kind.padEnd(13)}${run === null ? 'none recorded' : runLine(run)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `lifeboat status`: exit 0, or 1 when something could not be read or two regions accept writes. */
export async function statusCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    app: { type: 'string' },
    region: { type: 'string' },
    json: { type: 'boolean', default: false },
    config: { type: 'string' },
  });
  if (positionals.length > 0) {
    throw new UsageError(`unexpected "${positionals.join(' ')}"; name an application with --app`);
  }
  const { config } = loadCliConfig(values.config, io, 'status', true);
  const apps =
    values.app === undefined ? config.applications : config.applications.filter((a) => a.name === values.app);
  if (apps.length === 0) {
    throw new UsageError(
      `--app: no application named "${values.app}"; the config has ${applicationNames(config)}`,
    );
  }
  if (values.region !== undefined && !config.controlPlaneRegions.includes(values.region)) {
    throw new UsageError(
      `--region: ${values.region} holds no ledger replica; name one of ${config.controlPlaneRegions.join(', ')}`,
    );
  }
  const clients = io.aws ?? defaultAwsClients();
  const deps = {
    dns: new Route53Dns(clients.route53(), {}),
    database: cliDatabases(clients),
    stores: new ElastiCacheStores(
      (region) => clients.elastiCache(region),
      (region) => clients.cloudWatch(region),
    ),
    ledgerRegions: ledgerRegions(config, values.region),
    ledger: (region: string) => ledgerIn(clients, config, region),
    now: cliNow(io),
  };
  const statuses = await Promise.all(apps.map((app) => applicationStatus(app, deps)));
  // Nothing could be read for want of credentials: one line with the fix, as every command says it.
  const storeReads = (s: ApplicationStatus) => Object.values(s.stores).flatMap((m) => Object.values(m));
  const failures = statuses.flatMap((s) =>
    [s.weights, s.lock, ...Object.values(s.databases), ...storeReads(s)].flatMap((r) =>
      r.ok ? [] : [r.error],
    ),
  );
  const reads = statuses.reduce((n, s) => n + 2 + Object.keys(s.databases).length + storeReads(s).length, 0);
  if (failures.length === reads && failures.every((f) => lacksCredentials(f))) {
    throw new Error(failures[0] ?? 'no credentials');
  }
  if (values.json) io.stdout(`${JSON.stringify(statuses, null, 2)}\n`);
  else io.stdout(apps.map((app, i) => renderStatus(statuses[i] ?? never(app.name), app)).join('\n'));
  const unreadable = statuses.some(
    (s) =>
      !s.weights.ok ||
      !s.lock.ok ||
      Object.values(s.databases).some((d) => !d.ok) ||
      storeReads(s).some((m) => !m.ok),
  );
  const twoWriters = statuses.some(
    (s) => s.writers.length > 1 || Object.values(s.storeWriters).some((w) => w.length > 1),
  );
  return unreadable || twoWriters ? 1 : 0;
}

function never(name: string): never {
  throw new Error(`no status for ${name}`);
}
