import { hostname, userInfo } from 'node:os';
import { CloudWatchAlarms } from '../../../shared/aws/CloudWatchAlarms.ts';
import { CloudWatchFence, fenceVoteRegions, recordAnswered } from '../../../shared/aws/CloudWatchFence.ts';
import { StepFunctionsWorkflows, type ExecutionSummary } from '../../../shared/aws/StepFunctionsWorkflows.ts';
import { cachedHealthCheckIds, DiscoveringRoute53Dns } from '../../../shared/aws/healthCheckDiscovery.ts';
import type { ApplicationConfig, LifeboatConfig } from '../../../shared/config/LifeboatConfig.ts';
import { fenceAlarmName, stateMachineName } from '../../../shared/config/naming.ts';
import { applicationNames, cliNow, loadCliConfig, parseCommand, required, UsageError } from '../args.ts';
import { cliDatabases, defaultAwsClients, type AwsClients } from '../aws/AwsClients.ts';
import { fromFirstAnswering, ledgerIn, ledgerRegions } from '../aws/deployment.ts';
import type { CliIo } from '../main.ts';

const COMMON_OPTIONS = `  --app <name>       the application (as named in the config)
  --reason <text>    why, recorded in the ledger with who did it (required)
  --by <who>         who did it (default: <user>@<host> of this machine)
  --config <file>    the config (default: ./lifeboat.config.json)`;

export const UNLOCK_USAGE = `Usage:
  lifeboat unlock --app <name> --reason <text> [--by <who>] [--config <file>]

Releases an application's lock when the run that holds it is provably not running: Step Functions,
asked in every control-plane region, has it ended or never started it. Refuses while that run is
RUNNING (stop it first with lifeboat stop), and while a region that may run it does not answer
(wait for its lease to run out). A lock whose lease has run out needs nothing: the next run takes
it. Records who released it and why in the ledger (kind break-glass).

Options:
${COMMON_OPTIONS}

Exit status: 0 released (or nothing to release), 1 refused, 2 bad command line, 3 AWS not reached.
`;

export const STOP_USAGE = `Usage:
  lifeboat stop <execution-name> --app <name> --reason <text> [--by <who>] [--config <file>]

Stops a running Lifeboat workflow (StopExecution, error StoppedByOperator, the cause naming who and
why), found by its execution name in every control-plane region, and says the state it was in.
The run-ended recorder then records it ABORTED with what it had changed by then (said in the run's
Slack thread too; lifeboat status shows it) and cuts its lock's lease to 90 s. Records who stopped
it and why in the ledger (kind break-glass).

Options:
${COMMON_OPTIONS}

Exit status: 0 stopped (or already ended), 1 refused, 2 bad command line or no such run, 3 AWS not
reached.
`;

/** The workflows that hold an application's lock, and those a person may stop. */
const LOCKING_WORKFLOWS = ['failover', 'failback', 'switchover', 'drain', 'drill'] as const;
const STOPPABLE_WORKFLOWS = [
  'failover',
  'failback',
  'switchover',
  'drain',
  'drill',
  'backup',
  'restore-test',
] as const;

interface Located {
  readonly region: string;
  readonly workflow: string;
  readonly execution: ExecutionSummary;
}

/**
 * Every execution named `name` of the given workflows, in every control-plane region, and the
 * regions that could not be asked (with why).
 */
async function locate(
  clients: AwsClients,
  config: LifeboatConfig,
  name: string,
  workflows: readonly string[],
): Promise<{ found: Located[]; unreachable: string[] }> {
  const found: Located[] = [];
  const unreachable: string[] = [];
  for (const region of config.controlPlaneRegions) {
    const sfn = new StepFunctionsWorkflows(clients.sfn(region));
    try {
      const machines = await sfn.stateMachineArns(workflows.map(stateMachineName));
      for (const workflow of workflows) {
        const machine = machines.get(stateMachineName(workflow));
        if (machine === undefined) continue;
        const execution = await sfn.find(machine, name);
        if (execution !== undefined) found.push({ region, workflow, execution });
      }
    } catch (error) {
      const e = error as { name?: string; message?: string };
      unreachable.push(`${region} (${e.name ?? 'Error'}: ${e.message ?? String(error)})`);
    }
  }
  return { found, unreachable };
}

function who(by: string | undefined): string {
  if (by !== undefined && by.trim() !== '') return by.trim();
  return `${userInfo().username}@${hostname()}`;
}

function appOf(config: LifeboatConfig, name: string | undefined): ApplicationConfig {
  const given = required(name, '--app', `name the application (${applicationNames(config)})`);
  const app = config.applications.find((a) => a.name === given);
  if (app === undefined) {
    throw new UsageError(`--app: no application named "${given}"; name one of ${applicationNames(config)}`);
  }
  return app;
}

function reasonOf(reason: string | undefined): string {
  const given = required(reason, '--reason', 'say why, for the ledger');
  if (given.length > 500) throw new UsageError(`--reason is ${given.length} characters; keep it to 500`);
  return given;
}

/** Writes the break-glass record in the first ledger replica that answers. */
async function record(
  clients: AwsClients,
  config: LifeboatConfig,
  app: ApplicationConfig,
  now: Date,
  action: string,
  reason: string,
  details: Record<string, unknown>,
): Promise<string> {
  const executionName = `${action}-${app.name}-${now.toISOString().replace(/[-:.]/g, '')}`.slice(0, 80);
  await fromFirstAnswering(ledgerRegions(config, undefined), (region) =>
    ledgerIn(clients, config, region).putRun({
      application: app.name,
      kind: 'break-glass',
      executionName,
      startedAt: now.toISOString(),
      endedAt: now.toISOString(),
      status: 'SUCCEEDED',
      reason,
      details: { action, ...details },
    }),
  );
  return executionName;
}

/** `lifeboat unlock`. */
export async function unlockCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    app: { type: 'string' },
    reason: { type: 'string' },
    by: { type: 'string' },
    config: { type: 'string' },
  });
  if (positionals.length > 0)
    throw new UsageError(`unexpected "${positionals.join(' ')}"; name the application with --app`);
  const { config } = loadCliConfig(values.config, io, 'unlock', true);
  const app = appOf(config, values.app);
  const reason = reasonOf(values.reason);
  const by = who(values.by);
  const clients = io.aws ?? defaultAwsClients();
  const now = cliNow(io);

  const { region: ledgerRegion, value: lock } = await fromFirstAnswering(
    ledgerRegions(config, undefined),
    (region) => ledgerIn(clients, config, region).getLock(app.name),
  );
  if (lock === undefined) {
    io.stdout(`${app.name} holds no lock (ledger in ${ledgerRegion}): nothing to release.\n`);
    return 0;
  }
  if (Date.parse(lock.leaseExpiresAt) <= now.getTime()) {
    io.stdout(
      `${app.name}'s lock, held by ${lock.owner}, ran out at ${lock.leaseExpiresAt}: the next run takes it; nothing to release.\n`,
    );
    return 0;
  }
  const { found, unreachable } = await locate(clients, config, lock.owner, LOCKING_WORKFLOWS);
  const running = found.find((f) => f.execution.status === 'RUNNING');
  if (running !== undefined) {
    io.stderr(
      `lifeboat unlock: refused: ${app.name}'s lock is held by ${lock.owner}, which is RUNNING (${running.workflow} in ${running.region}); the lock is not stuck. To end that run: lifeboat stop ${lock.owner} --app ${app.name} --reason "..."\n`,
    );
    return 1;
  }
  if (unreachable.length > 0) {
    io.stderr(
      `lifeboat unlock: refused: cannot prove that ${lock.owner} is not running: ${unreachable.join('; ')} did not answer. Retry when it answers, or wait for the lease to run out at ${lock.leaseExpiresAt}.\n`,
    );
    return 1;
  }
  const ended = found[0]?.execution;
  const released = await ledgerIn(clients, config, ledgerRegion).releaseLock(app.name, lock.owner);
  if (!released) {
    io.stdout(
      `${app.name}'s lock changed hands meanwhile (it is no longer ${lock.owner}'s): nothing released.\n`,
    );
    return 0;
  }
  const recorded = await record(clients, config, app, now, 'unlock', reason, {
    by,
    owner: lock.owner,
    ownerStatus: ended === undefined ? 'never started' : ended.status,
    leaseExpiresAt: lock.leaseExpiresAt,
  });
  io.stdout(
    `Released ${app.name}'s lock, held by ${lock.owner} (${ended === undefined ? 'no such execution in any control-plane region' : `${ended.status}${ended.stoppedAt === undefined ? '' : ` at ${ended.stoppedAt}`}`}).\n  recorded   ${recorded} (break-glass, by ${by}): ${reason}\n`,
  );
  return 0;
}

/** `lifeboat stop <execution-name>`. */
export async function stopCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    app: { type: 'string' },
    reason: { type: 'string' },
    by: { type: 'string' },
    config: { type: 'string' },
  });
  const [name, ...extra] = positionals;
  if (name === undefined || name === '')
    throw new UsageError('name the execution to stop: lifeboat stop <execution-name>');
  if (extra.length > 0) throw new UsageError(`unexpected "${extra.join(' ')}"; name one execution`);
  const { config } = loadCliConfig(values.config, io, 'stop', true);
  const app = appOf(config, values.app);
  const reason = reasonOf(values.reason);
  const by = who(values.by);
  const clients = io.aws ?? defaultAwsClients();
  const now = cliNow(io);

  const { found, unreachable } = await locate(clients, config, name, STOPPABLE_WORKFLOWS);
  const running = found.find((f) => f.execution.status === 'RUNNING');
  if (running === undefined) {
    const ended = found[0];
    if (ended !== undefined) {
      io.stdout(
        `${name} (${ended.workflow} in ${ended.region}) already ended ${ended.execution.status}${ended.execution.stoppedAt === undefined ? '' : ` at ${ended.execution.stoppedAt}`}: nothing to stop.\n`,
      );
      return 0;
    }
    throw new UsageError(
      `no Lifeboat execution named ${name} in ${config.controlPlaneRegions.join(', ')}${unreachable.length > 0 ? ` (not asked: ${unreachable.join('; ')})` : ''}; lifeboat status lists the runs in progress`,
    );
  }
  const input = JSON.parse(running.execution.input ?? '{}') as { application?: unknown };
  if (typeof input.application === 'string' && input.application !== app.name) {
    io.stderr(
      `lifeboat stop: refused: ${name} runs for ${input.application}, not ${app.name}; name its application with --app\n`,
    );
    return 1;
  }
  const sfn = new StepFunctionsWorkflows(clients.sfn(running.region));
  const events = await sfn.stateEvents(running.execution.executionArn, 0);
  const current = [...events].reverse().find((e) => e.kind === 'entered')?.state;
  await sfn.stop(running.execution.executionArn, 'StoppedByOperator', `stopped by ${by}: ${reason}`);
  const recorded = await record(clients, config, app, now, 'stop', reason, {
    by,
    execution: name,
    workflow: running.workflow,
    region: running.region,
    ...(current === undefined ? {} : { state: current }),
  });
  io.stdout(
    `Stopped ${name} (${running.workflow} in ${running.region})${current === undefined ? '' : ` in state ${current}`}.\n  next       the run-ended recorder records it ABORTED with what it had changed (and says so in its Slack thread), and cuts its lock's lease to 90 s\n  recorded   ${recorded} (break-glass, by ${by}): ${reason}\n`,
  );
  return 0;
}

export const WEIGHTS_USAGE = `Usage:
  lifeboat weights --app <name> --set <region>=<weight>[,<region>=<weight>...] --reason <text>
                   [--force] [--by <who>] [--config <file>]

Break glass: sets the Route 53 weights of an application's records in one change batch (UPSERT),
keeping the records not named as they are. Refuses weights that are all zero (Route 53 would then
answer with every record alike) and a region or weight the config does not allow; and, unless
--force, new weight on a region whose database does not accept writes (a replica), accepts writes
while another region carries the traffic (a second writer), or cannot be read. A region fenced by
Lifeboat gets no answers whatever its weight. Recorded in the ledger (kind break-glass).

Options:
  --set <list>       region=weight pairs, weights 0 to 255
  --force            allow weight on a region whose database is a replica, a second writer, or cannot be read
${COMMON_OPTIONS}

Exit status: 0 submitted, 1 refused, 2 bad command line, 3 AWS not reached.
`;

/** `lifeboat weights`. */
export async function weightsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    app: { type: 'string' },
    set: { type: 'string' },
    reason: { type: 'string' },
    force: { type: 'boolean', default: false },
    by: { type: 'string' },
    config: { type: 'string' },
  });
  if (positionals.length > 0)
    throw new UsageError(`unexpected "${positionals.join(' ')}"; give the weights with --set`);
  const { config } = loadCliConfig(values.config, io, 'weights', true);
  const app = appOf(config, values.app);
  const set = required(
    values.set,
    '--set',
    `give region=weight pairs, e.g. --set ${app.regions[1] ?? 'us-west-2'}=100,${app.regions[0] ?? 'us-east-1'}=0`,
  );
  const requested: Record<string, number> = {};
  for (const pair of set.split(',')) {
    const match = /^\s*([a-z0-9-]+)\s*=\s*(\d{1,3})\s*$/.exec(pair);
    if (match === null)
      throw new UsageError(`--set: "${pair}" is not region=weight (a whole number from 0 to 255)`);
    const [, region = '', text = ''] = match;
    const weight = Number(text);
    if (weight > 255) throw new UsageError(`--set: ${region}=${weight}: a weight is 0 to 255`);
    if (!app.regions.includes(region)) {
      throw new UsageError(
        `--set: ${app.name} has no record in ${region}; its regions are ${app.regions.join(', ')}`,
      );
    }
    if (Object.hasOwn(requested, region)) throw new UsageError(`--set: ${region} is named twice`);
    requested[region] = weight;
  }
  const reason = reasonOf(values.reason);
  const by = who(values.by);
  const clients = io.aws ?? defaultAwsClients();
  const now = cliNow(io);
  const dns = new DiscoveringRoute53Dns(clients.route53(), cachedHealthCheckIds(clients.route53(), config));
  const current = await dns.getWeights(app);
  const after = { ...current, ...requested };
  if (Object.values(after).every((w) => w === 0)) {
    io.stderr(
      `lifeboat weights: refused: every record of ${app.name} would weigh 0 (${Object.entries(after)
        .map(([r, w]) => `${r}=${w}`)
        .join(', ')}); Route 53 then answers with all of them alike. Give one region weight.\n`,
    );
    return 1;
  }
  const database = cliDatabases(clients);
  const unsafe: string[] = [];
  for (const [region, weight] of Object.entries(requested)) {
    if (weight === 0 || (current[region] ?? 0) > 0) continue;
    const serving = Object.entries(current)
      .filter(([r, w]) => r !== region && w > 0)
      .map(([r]) => r);
    try {
      const db = await database.describe(app, region);
      if (db.role === 'replica')
        unsafe.push(`${region}'s database is a replica of ${String(db.sourceRegion)} and accepts no writes`);
      else if (serving.length > 0)
        unsafe.push(
          `${region}'s database accepts writes (${db.role}) while ${serving.join(', ')} carries the traffic weight: weighted, it is a second writer in Route 53's answers, and what is written to one is not in the other`,
        );
    } catch (error) {
      unsafe.push(`${region}'s database cannot be read (${(error as Error).message})`);
    }
  }
  if (unsafe.length > 0 && !values.force) {
    io.stderr(
      `lifeboat weights: refused: ${unsafe.join('; ')}. Fail over to it instead (lifeboat start failover), or add --force if a person has judged it safe.\n`,
    );
    return 1;
  }
  const changeId = await dns.setWeights(app, requested, {
    force: values.force,
    by: `weights by ${by}`,
  });
  const recorded = await record(clients, config, app, now, 'weights', reason, {
    by,
    before: current,
    weights: requested,
    changeId,
    ...(unsafe.length > 0 ? { forced: unsafe } : {}),
  });
  io.stdout(
    `Submitted ${Object.entries(requested)
      .map(([r, w]) => `${r}=${w}`)
      .join(', ')} for ${app.name} (Route 53 change ${changeId}; was ${Object.entries(current)
      .map(([r, w]) => `${r}=${w}`)
      .join(', ')}).\n  recorded   ${recorded} (break-glass, by ${by}): ${reason}\n`,
  );
  return 0;
}

const FENCE_OPTIONS = `  --app <name>       the application (as named in the config)
  --region <region>  the region whose record is fenced or unfenced
  --reason <text>    why, recorded in the ledger with who did it (required)
  --force            go ahead where a person has judged the refusal's reason safe
  --by <who>         who did it (default: <user>@<host> of this machine)
  --config <file>    the config (default: ./lifeboat.config.json)`;

export const FENCE_USAGE = `Usage:
  lifeboat fence --app <name> --region <region> --reason <text> [--force] [--by <who>] [--config <file>]

Fences a region's record as the workflows do: publishes the fence vote 1 in the record's vote
regions' CloudWatch (its fence region; every control-plane region with fenceVotes "majority"); once
the votes say fenced (one alarm period, a minute), the record's health check fails and Route 53's
data plane stops answering with the region whatever its weight, without Route 53's API
(docs/fencing.md). Works while us-east-1 is down (with "majority", while any one region is).
Refuses when every other record of the application is already fenced (Route 53 would then answer
with all of them alike), and, without --force, the region that carries the traffic weight (its
traffic would go to the zero-weight records, whose databases may be replicas: fail over instead).
Records who did it and why in the ledger (kind break-glass).

Options:
${FENCE_OPTIONS}

Exit status: 0 done, 1 refused, 2 bad command line, 3 AWS not reached (too few vote regions).
`;

export const UNFENCE_USAGE = `Usage:
  lifeboat unfence --app <name> --region <region> --reason <text> [--force] [--by <who>] [--config <file>]

Lifts a region's fence: publishes the fence vote 0 in the record's vote regions' CloudWatch, so
the record is answered again (when its endpoint is healthy and it has weight, or as Route 53's
fallback when it has none). Refuses, without --force, a region whose database accepts writes while
another region carries the traffic weight: that would put a second writer in Route 53's answers.
Records who did it and why in the ledger (kind break-glass).

Options:
${FENCE_OPTIONS}

Exit status: 0 done, 1 refused, 2 bad command line, 3 AWS not reached (too few vote regions).
`;

/**
 * How each region's record stands now, from its vote alarms: `fenced` (too few votes open for a
 * quorum), `open`, or `unknown` when a vote region does not answer and its vote could decide.
 */
async function fenceStates(
  clients: AwsClients,
  config: LifeboatConfig,
  app: ApplicationConfig,
): Promise<Record<string, 'fenced' | 'open' | 'unknown'>> {
  const alarms = new CloudWatchAlarms((region) => clients.cloudWatch(region));
  const states: Record<string, 'fenced' | 'open' | 'unknown'> = {};
  for (const region of app.regions) {
    const voters = fenceVoteRegions(config, app, region);
    const votes = await Promise.all(
      voters.map(async (voter) => {
        try {
          return (await alarms.describe(fenceAlarmName(app.name, region, voter), voter)).state === 'ALARM';
        } catch {
          return undefined;
        }
      }),
    );
    const copiable = app.healthChecks[region]?.kind !== 'existing';
    // Read the unknown votes both ways: the record's state is known when they cannot change it.
    const asFenced = recordAnswered(
      true,
      votes.map((v) => v ?? true),
      copiable,
    );
    const asOpen = recordAnswered(
      true,
      votes.map((v) => v ?? false),
      copiable,
    );
    states[region] = asFenced === asOpen ? (asOpen ? 'open' : 'fenced') : 'unknown';
  }
  return states;
}

/** `lifeboat fence` and `lifeboat unfence`. */
async function fenceOrUnfence(fenced: boolean, args: readonly string[], io: CliIo): Promise<number> {
  const command = fenced ? 'fence' : 'unfence';
  const { values, positionals } = parseCommand(args, {
    app: { type: 'string' },
    region: { type: 'string' },
    reason: { type: 'string' },
    force: { type: 'boolean', default: false },
    by: { type: 'string' },
    config: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected "${positionals.join(' ')}"`);
  const { config } = loadCliConfig(values.config, io, command, true);
  const app = appOf(config, values.app);
  const region = required(
    values.region,
    '--region',
    `name one of ${app.name}'s regions (${app.regions.join(', ')})`,
  );
  if (!app.regions.includes(region)) {
    throw new UsageError(
      `--region: ${app.name} has no record in ${region}; its regions are ${app.regions.join(', ')}`,
    );
  }
  const reason = reasonOf(values.reason);
  const by = who(values.by);
  const clients = io.aws ?? defaultAwsClients();
  const now = cliNow(io);

  let weights: Record<string, number> | undefined;
  try {
    const dns = new DiscoveringRoute53Dns(clients.route53(), cachedHealthCheckIds(clients.route53(), config));
    weights = await dns.getWeights(app);
  } catch {
    weights = undefined; // Route 53's API (in us-east-1) may be the thing that is down.
  }
  const heaviest =
    weights === undefined
      ? undefined
      : Object.entries(weights)
          .sort((a, b) => b[1] - a[1])
          .find(([, w]) => w > 0)?.[0];
  const refusals: string[] = [];
  const cautions: string[] = [];
  if (fenced) {
    const states = await fenceStates(clients, config, app);
    const others = app.regions.filter((r) => r !== region);
    // A record already fenced stays so: fencing it again changes nothing, whatever the others are.
    if (states[region] !== 'fenced' && others.every((r) => states[r] !== 'open')) {
      const unknown = others.filter((r) => states[r] === 'unknown');
      refusals.push(
        unknown.length === 0
          ? `every other record of ${app.name} is fenced (${others.join(', ')}); Route 53 answers with all records alike when none is healthy. Unfence one first`
          : `no other record of ${app.name} is known to be answered (${others.map((r) => `${r} ${states[r] ?? 'unknown'}`).join(', ')}; a vote region did not answer); Route 53 answers with all records alike when none is healthy`,
      );
    }
    if (weights === undefined) {
      cautions.push(
        `Route 53's API does not answer, so whether ${region} carries the traffic weight is unknown`,
      );
    } else if (heaviest === region) {
      cautions.push(
        `${region} carries ${app.name}'s traffic weight; fenced, its traffic goes to the zero-weight records, whose databases may be replicas (lifeboat start failover moves it properly)`,
      );
    }
  } else {
    const database = cliDatabases(clients);
    try {
      const db = await database.describe(app, region);
      if (db.role !== 'replica' && heaviest !== region) {
        cautions.push(
          `${region}'s database accepts writes (${db.role}) while ${heaviest ?? 'another region (Route 53 does not answer)'} carries the traffic weight: unfenced, it is a second writer in Route 53's answers`,
        );
      }
    } catch (error) {
      cautions.push(`${region}'s database cannot be read (${(error as Error).message})`);
    }
  }
  if (refusals.length > 0 || (cautions.length > 0 && !values.force)) {
    const hint = refusals.length > 0 ? '' : ' Add --force if a person has judged it safe.';
    io.stderr(`lifeboat ${command}: refused: ${[...refusals, ...cautions].join('; ')}.${hint}\n`);
    return 1;
  }
  const fence = new CloudWatchFence((r) => clients.cloudWatch(r), config);
  const result = await fence.setFence(app, region, fenced);
  const recorded = await record(clients, config, app, now, command, reason, {
    by,
    region,
    votes: result.votes,
    missed: result.missed,
    ...(cautions.length > 0 ? { forced: cautions } : {}),
  });
  io.stdout(
    `${fenced ? 'Fenced' : 'Unfenced'} ${app.name} in ${region}: vote ${fenced ? 1 : 0} published in ${result.votes.join(', ')}${
      result.missed.length === 0 ? '' : ` (not in ${result.missed.join(', ')}: outvoted)`
    }; Route 53 follows within about two minutes.\n  recorded   ${recorded} (break-glass, by ${by}): ${reason}\n`,
  );
  return 0;
}

/** `lifeboat fence`. */
export function fenceCommand(args: readonly string[], io: CliIo): Promise<number> {
  return fenceOrUnfence(true, args, io);
}

/** `lifeboat unfence`. */
export function unfenceCommand(args: readonly string[], io: CliIo): Promise<number> {
  return fenceOrUnfence(false, args, io);
}
