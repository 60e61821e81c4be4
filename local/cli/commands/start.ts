import { StepFunctionsWorkflows } from '../../../shared/aws/StepFunctionsWorkflows.ts';
import { cachedHealthCheckIds, DiscoveringRoute53Dns } from '../../../shared/aws/healthCheckDiscovery.ts';
import { stateMachineName } from '../../../shared/config/naming.ts';
import { InvalidInputError } from '../../../shared/errors.ts';
import { checkEvacuationInput, evacuationKey } from '../../../shared/evacuation/EvacuationSteps.ts';
import { INPUT_CHECKS } from '../../inputs/workflowInputs.ts';
import { ERROR_GUIDE } from '../../runbook/errorGuide.ts';
import {
  applicationNames,
  cliNow,
  cliSleep,
  inputProblemsAsFlags,
  loadCliConfig,
  parseCommand,
  required,
  UsageError,
} from '../args.ts';
import { defaultAwsClients } from '../aws/AwsClients.ts';
import {
  cliExecutionName,
  controlPlaneRegion,
  fromFirstAnswering,
  ledgerIn,
  ledgerRegions,
  servingRegion,
} from '../aws/deployment.ts';
import { clock, followExecution, outcomeOf } from '../aws/follow.ts';
import type { CliIo } from '../main.ts';

export const START_USAGE = `Usage:
  lifeboat start failover|failback|switchover --app <name> --to <region> [--dry-run] [--reason <text>]
                                   [--force] [--no-wait] [--config <file>]
  lifeboat start drill --app <name> [--to <region>] [--no-wait] [--config <file>]
  lifeboat start restore-test --app <name> [--to <region>] [--no-wait] [--config <file>]
  lifeboat start region-evacuation --from <region> [--max-concurrency <n>] [--reason <text>]
                                   [--no-wait] [--config <file>]
  lifeboat start drain|undrain --app <name> --region <region> [--dry-run] [--reason <text>]
                               [--no-wait] [--config <file>]

Starts a workflow of the deployed Lifeboat and follows it, state by state, until it ends. The input
is checked first with the check the state machine's first step makes, so a bad one changes nothing
and starts nothing. The execution is named after the application, the region and the last run
in the ledger: the same command repeated while its run is under way follows that run instead of
starting another. AWS credentials and settings come from the SDK's default chain (AWS_PROFILE,
SSO, environment, instance role).

  failover       move the application to --to (the region it runs in)
  failback       return the application to --to, its old primary, step by step (runs in --to)
  switchover     move the writer and the traffic to --to, a standby, on purpose (maintenance, a
                 region move): the failback's guarded steps, no data loss (runs in --to;
                 docs/switchover.md)
  drill          readiness drill: checks, changing nothing, that a failover to --to could run now
                 (default --to: the first standby; runs there)
  restore-test   restore the latest backup copy into a temporary instance, check it, delete it
                 (runs in --to, default the backup's copy region)
  region-evacuation
                 fail over every application --from serves, each to its first healthy standby,
                 at most --max-concurrency at once (default 10), and record each outcome (runs in
                 the first other control-plane region that answers)
  drain          take --region out of an active-active application's answers in guarded steps,
                 the other regions scaled for its share first (runs in the first other
                 control-plane region that answers; docs/drain.md)
  undrain        bring --region back to its serving weight the same way

Options:
  --app <name>       the application (as named in the config)
  --to <region>      the region traffic moves to, or the drill's target
  --from <region>    region-evacuation: the failing region
  --region <region>  drain and undrain: the region drained, or brought back
  --max-concurrency <n>
                     region-evacuation: failovers started at once, 1 to 40
  --dry-run          failover, failback and switchover: run every check and say what would be done,
                     change nothing
  --reason <text>    failover, failback and switchover: why, for the ledger and Slack
  --force            failover only: move traffic even when the target's health check fails
  --no-wait          return once the execution has started
  --config <file>    the config (default: ./lifeboat.config.json)

Exit status: 0 when the run succeeded (or passed), 1 when it failed, stopped, was skipped or
declined, 2 for a bad command line or input, 3 when AWS could not be reached or Lifeboat is not
deployed in the region.
`;

const STARTABLE = [
  'failover',
  'failback',
  'switchover',
  'drain',
  'undrain',
  'drill',
  'restore-test',
  'region-evacuation',
] as const;
type Startable = (typeof STARTABLE)[number];

function isStartable(name: string | undefined): name is Startable {
  return (STARTABLE as readonly (string | undefined)[]).includes(name);
}

/** `lifeboat start <workflow>`. */
export async function startCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    app: { type: 'string' },
    to: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    reason: { type: 'string' },
    force: { type: 'boolean', default: false },
    'no-wait': { type: 'boolean', default: false },
    config: { type: 'string' },
    from: { type: 'string' },
    'max-concurrency': { type: 'string' },
    region: { type: 'string' },
  });
  const [workflow, ...extra] = positionals;
  if (!isStartable(workflow) || extra.length > 0) {
    throw new UsageError(
      workflow === undefined
        ? `name the workflow to start: ${STARTABLE.join(', ')}`
        : `expected one workflow (${STARTABLE.join(', ')}), got ${positionals.map((p) => `"${p}"`).join(' ')}`,
    );
  }
  if (workflow === 'region-evacuation') return startEvacuation(values, io);
  if (workflow === 'drain' || workflow === 'undrain') return startDrain(values, io, workflow);
  for (const [flag, given] of [
    ['--from', values.from !== undefined],
    ['--max-concurrency', values['max-concurrency'] !== undefined],
    ['--region', values.region !== undefined],
  ] as const) {
    if (given) throw new UsageError(`${flag}: only a region-evacuation takes ${flag}; drop it`);
  }
  const { config } = loadCliConfig(values.config, io, 'start', true);
  const name = required(values.app, '--app', `name the application (${applicationNames(config)})`);
  const app = config.applications.find((a) => a.name === name);
  if (app === undefined) {
    throw new UsageError(`--app: no application named "${name}"; the config has ${applicationNames(config)}`);
  }
  const moves = workflow === 'failover' || workflow === 'failback' || workflow === 'switchover';
  if (moves) {
    required(values.to, '--to', `name the region to move ${app.name} to (${app.regions.join(', ')})`);
  } else {
    for (const [flag, given] of [
      ['--dry-run', values['dry-run']],
      ['--reason', values.reason !== undefined],
      ['--force', values.force],
    ] as const) {
      if (given) {
        throw new UsageError(
          `${flag}: a ${workflow} takes no ${flag} (it changes nothing it does not clean up); drop ${flag}`,
        );
      }
    }
  }
  if ((workflow === 'failback' || workflow === 'switchover') && values.force) {
    throw new UsageError(
      `--force: only a failover takes --force; a ${workflow} moves traffic to a healthy region only, so drop --force`,
    );
  }
  if (values.to !== undefined && workflow !== 'restore-test' && !app.regions.includes(values.to)) {
    throw new UsageError(`--to: ${values.to} is not a region of ${app.name} (${app.regions.join(', ')})`);
  }
  if (values.to !== undefined) controlPlaneRegion(config, values.to, '--to');

  const input: Record<string, unknown> = { application: app.name };
  if (moves) {
    input.targetRegion = values.to;
    if (values.reason !== undefined) input.reason = values.reason;
    if (values['dry-run']) input.dryRun = true;
    if (values.force) input.force = true;
  } else if (workflow === 'drill') {
    input.mode = 'readiness';
    if (values.to !== undefined) input.targetRegion = values.to;
  }

  const clients = io.aws ?? defaultAwsClients();
  const now = cliNow(io);
  const regions = ledgerRegions(config, values.to);
  const serving = await fromFirstAnswering(regions, (r) =>
    servingRegion(clients, config, app, ledgerIn(clients, config, r)),
  );
  let request: object;
  try {
    request = INPUT_CHECKS[workflow](input, config, {
      now,
      currentPrimary: serving.value,
      ...(moves && values.to !== undefined ? { region: values.to } : {}),
    });
  } catch (error) {
    if (error instanceof InvalidInputError) throw inputProblemsAsFlags(error);
    throw error;
  }
  const region = controlPlaneRegion(
    config,
    values.to ??
      (workflow === 'drill'
        ? (request as { targetRegion: string }).targetRegion
        : (request as { region: string }).region),
    '--to',
  );

  const lastRun = await fromFirstAnswering(ledgerRegions(config, region), (r) =>
    ledgerIn(clients, config, r).listRuns(app.name, workflow, 1),
  );
  const executionName = cliExecutionName({
    workflow,
    application: app.name,
    region,
    dryRun: values['dry-run'],
    lastRunStartedAt: lastRun.value[0]?.startedAt,
  });
  const workflows = new StepFunctionsWorkflows(clients.sfn(region));
  const machine = stateMachineName(workflow);
  const stateMachineArn = await workflows.stateMachineArn(machine);
  if (stateMachineArn === undefined) {
    throw Object.assign(
      new Error(
        `${region} has no state machine ${machine}: deploy the control plane there (npx cdk deploy Lifeboat-ControlPlane-${region}), or check AWS_PROFILE names the right account`,
      ),
      { name: 'NotDeployed' },
    );
  }
  const started = await workflows.start(stateMachineArn, executionName, input, now);
  const what = `${workflow} of ${app.name}${moves ? ` to ${values.to}` : ''}`;
  io.stdout(
    started.outcome === 'started'
      ? `Started the ${what} in ${region} (${app.name} is served from ${serving.value}).\n`
      : `A ${workflow} of ${app.name} started by this command is already under way or done; following it.\n`,
  );
  io.stdout(`  input      ${JSON.stringify(input)}\n`);
  const summary = await followStarted(io, workflows, started.executionArn, region, values['no-wait']);
  if (summary === undefined) return 0;
  const outcome = outcomeOf(summary);
  const took =
    summary.stoppedAt === undefined
      ? ''
      : ` after ${clock((Date.parse(summary.stoppedAt) - Date.parse(summary.startedAt)) / 1000)}`;
  io.stdout(`\nThe ${what} ended ${outcome.status}${took}.\n`);
  if (outcome.reason !== undefined) io.stdout(`  reason     ${outcome.reason}\n`);
  const rto = outcome.output?.rtoSeconds;
  const rpo = outcome.output?.rpoSeconds;
  const from = outcome.output?.rtoFrom;
  if (typeof rto === 'number')
    io.stdout(`  RTO        ${rto} s${typeof from === 'string' ? ` from ${from}` : ''}\n`);
  if (typeof rpo === 'number') io.stdout(`  RPO        ${rpo} s\n`);
  const guide = summary.error === undefined ? undefined : ERROR_GUIDE[summary.error];
  if (guide !== undefined) {
    io.stdout(`  meaning    ${guide.meaning}\n  what to do ${guide.fix}\n`);
  }
  io.stdout(`  ledger     lifeboat history --app ${app.name} --kind ${workflow}\n`);
  return outcome.status === 'SUCCEEDED' || outcome.status === 'PASSED' ? 0 : 1;
}

/**
 * `lifeboat start drain|undrain --app <name> --region <region>`: reads the weights in force, checks
 * the input as ValidateInput does, starts the drain in the first control-plane region other than the
 * drained one that has it deployed (the drained region's may be what is sick), and follows it.
 */
async function startDrain(
  values: {
    app?: string | undefined;
    to?: string | undefined;
    from?: string | undefined;
    region?: string | undefined;
    'max-concurrency'?: string | undefined;
    reason?: string | undefined;
    'dry-run'?: boolean | undefined;
    force?: boolean | undefined;
    'no-wait'?: boolean | undefined;
    config?: string | undefined;
  },
  io: CliIo,
  action: 'drain' | 'undrain',
): Promise<number> {
  for (const [flag, given] of [
    ['--to', values.to !== undefined],
    ['--from', values.from !== undefined],
    ['--max-concurrency', values['max-concurrency'] !== undefined],
    ['--force', values.force === true],
  ] as const) {
    if (given) {
      throw new UsageError(
        `${flag}: a ${action} takes no ${flag}; name the region ${action === 'drain' ? 'to drain' : 'to bring back'} with --region`,
      );
    }
  }
  const { config } = loadCliConfig(values.config, io, 'start', true);
  const name = required(values.app, '--app', `name the application (${applicationNames(config)})`);
  const app = config.applications.find((a) => a.name === name);
  if (app === undefined) {
    throw new UsageError(`--app: no application named "${name}"; the config has ${applicationNames(config)}`);
  }
  if (app.activeActive === undefined) {
    throw new UsageError(
      `--app: ${app.name} is active-passive (its config has no activeActive): only its first region serves, so there is no share to ${action}; move it with lifeboat start failover or failback`,
    );
  }
  const drained = required(
    values.region,
    '--region',
    `name the region ${action === 'drain' ? 'to drain' : 'to bring back'} (${app.regions.join(', ')})`,
  );
  const input: Record<string, unknown> = { application: app.name, region: drained };
  if (action === 'undrain') input.undrain = true;
  if (values.reason !== undefined) input.reason = values.reason;
  if (values['dry-run'] === true) input.dryRun = true;
  // The application's other regions' control planes, in its order: the drained one may be what is sick.
  const candidates = app.regions.filter((r) => r !== drained && config.controlPlaneRegions.includes(r));
  if (!app.regions.includes(drained)) {
    throw new UsageError(`--region: ${drained} is not a region of ${app.name} (${app.regions.join(', ')})`);
  }
  const clients = io.aws ?? defaultAwsClients();
  const now = cliNow(io);
  const machine = stateMachineName('drain');
  const { region, value: stateMachineArn } = await firstDeployed(
    clients,
    candidates,
    machine,
    'it is deployed where an application is active-active (activeActive in the config); ',
  );
  // The weights decide what the drain does: the same check ValidateInput makes, on the weights now.
  const weights = await new DiscoveringRoute53Dns(
    clients.route53(),
    cachedHealthCheckIds(clients.route53(), config),
  ).getWeights(app);
  try {
    INPUT_CHECKS.drain(input, config, { now, currentPrimary: undefined, region, weights });
  } catch (error) {
    if (error instanceof InvalidInputError) {
      throw new UsageError(
        error.problems
          .map((p) =>
            p
              .replace(/^region:/, '--region:')
              .replace(/^application:/, '--app:')
              .replace(/^reason:/, '--reason:')
              .replace(/"undrain": true/, 'lifeboat start undrain'),
          )
          .join('\n'),
      );
    }
    throw error;
  }
  const lastRun = await fromFirstAnswering(ledgerRegions(config, region), (r) =>
    ledgerIn(clients, config, r).listRuns(app.name, 'drain', 1),
  );
  const executionName = cliExecutionName({
    workflow: 'drain',
    // The action and its region in the name: a drain and an undrain started together are two runs.
    application: `${app.name}-${action}-${drained}`,
    region,
    dryRun: values['dry-run'] === true,
    lastRunStartedAt: lastRun.value[0]?.startedAt,
  });
  return startAndFollow(io, {
    clients,
    region,
    stateMachineArn,
    executionName,
    input,
    now,
    noWait: values['no-wait'] === true,
    what: `${action} of ${drained} in ${app.name}`,
    where: `in ${region} (weights now ${app.regions.map((r) => `${r} ${weights[r] ?? 0}`).join(', ')})`,
    history: `--app ${app.name} --kind drain`,
  });
}

/**
 * `lifeboat start region-evacuation --from <region>`: checks the input as PlanEvacuation does, starts
 * the evacuation in the first control-plane region other than the failing one that has it deployed,
 * and follows it.
 */
async function startEvacuation(
  values: {
    app?: string | undefined;
    to?: string | undefined;
    from?: string | undefined;
    'max-concurrency'?: string | undefined;
    reason?: string | undefined;
    'dry-run'?: boolean | undefined;
    force?: boolean | undefined;
    'no-wait'?: boolean | undefined;
    config?: string | undefined;
  },
  io: CliIo,
): Promise<number> {
  for (const [flag, given] of [
    ['--app', values.app !== undefined],
    ['--to', values.to !== undefined],
    ['--dry-run', values['dry-run'] === true],
    ['--force', values.force === true],
  ] as const) {
    if (given) {
      throw new UsageError(
        `${flag}: a region evacuation takes no ${flag}; name the failing region with --from (each application goes to its first healthy standby)`,
      );
    }
  }
  const { config } = loadCliConfig(values.config, io, 'start', true);
  const regions = [...new Set(config.applications.flatMap((a) => a.regions))];
  const from = required(values.from, '--from', `name the failing region (${regions.join(', ')})`);
  const input: Record<string, unknown> = { failingRegion: from };
  const concurrency = values['max-concurrency'];
  if (concurrency !== undefined) {
    input.maxConcurrency = /^\d+$/.test(concurrency) ? Number(concurrency) : concurrency;
  }
  if (values.reason !== undefined) input.reason = values.reason;
  try {
    checkEvacuationInput(input, config);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      throw new UsageError(
        error.problems
          .map((p) =>
            p
              .replace(/^failingRegion:/, '--from:')
              .replace(/^maxConcurrency:/, '--max-concurrency:')
              .replace(/^reason:/, '--reason:'),
          )
          .join('\n'),
      );
    }
    throw error;
  }
  const candidates = config.controlPlaneRegions.filter((r) => r !== from);
  if (candidates.length === 0) {
    throw new UsageError(
      `--from: ${from} is the only control-plane region; an evacuation runs in another one (add one to controlPlaneRegions)`,
    );
  }
  const clients = io.aws ?? defaultAwsClients();
  const now = cliNow(io);
  const machine = stateMachineName('region-evacuation');
  // The first control plane that answers and has the workflow deployed: the failing one is skipped.
  const { region, value: stateMachineArn } = await firstDeployed(clients, candidates, machine);
  const lastRun = await fromFirstAnswering(ledgerRegions(config, region), (r) =>
    ledgerIn(clients, config, r).listRuns(evacuationKey(from), 'evacuation', 1),
  );
  const executionName = cliExecutionName({
    workflow: 'evacuation',
    application: from,
    region,
    dryRun: false,
    lastRunStartedAt: lastRun.value[0]?.startedAt,
  });
  return startAndFollow(io, {
    clients,
    region,
    stateMachineArn,
    executionName,
    input,
    now,
    noWait: values['no-wait'] === true,
    what: `region evacuation of ${from}`,
    where: `in ${region}`,
    history: `--app ${evacuationKey(from)} --kind evacuation`,
  });
}

/**
 * The first of `candidates` that answers and has the state machine deployed (a workflow that runs
 * away from a failing or drained region skips it), and the machine's ARN.
 */
async function firstDeployed(
  clients: ReturnType<typeof defaultAwsClients>,
  candidates: readonly string[],
  machine: string,
  where = '',
): Promise<{ region: string; value: string }> {
  return fromFirstAnswering(candidates, async (r) => {
    const arn = await new StepFunctionsWorkflows(clients.sfn(r)).stateMachineArn(machine);
    if (arn === undefined) {
      throw Object.assign(
        new Error(
          `${r} has no state machine ${machine}: ${where}deploy the control plane there (npx cdk deploy Lifeboat-ControlPlane-${r})`,
        ),
        { name: 'NotDeployed' },
      );
    }
    return arn;
  });
}

/**
 * Starts the execution (or finds the one this command started before), says so, follows it unless
 * `noWait`, and prints how it ended with the guide to its error: exit 0 when it succeeded.
 */
async function startAndFollow(
  io: CliIo,
  run: {
    readonly clients: ReturnType<typeof defaultAwsClients>;
    readonly region: string;
    readonly stateMachineArn: string;
    readonly executionName: string;
    readonly input: Record<string, unknown>;
    readonly now: Date;
    readonly noWait: boolean;
    /** What runs, as `region evacuation of us-east-1`. */
    readonly what: string;
    /** Where it was started, said after the start: `in us-west-2 (...)`. */
    readonly where: string;
    /** The `lifeboat history` arguments that list its record. */
    readonly history: string;
  },
): Promise<number> {
  const workflows = new StepFunctionsWorkflows(run.clients.sfn(run.region));
  const started = await workflows.start(run.stateMachineArn, run.executionName, run.input, run.now);
  io.stdout(
    started.outcome === 'started'
      ? `Started the ${run.what} ${run.where}.\n`
      : `A ${run.what} started by this command is already under way or done; following it.\n`,
  );
  io.stdout(`  input      ${JSON.stringify(run.input)}\n`);
  const summary = await followStarted(io, workflows, started.executionArn, run.region, run.noWait);
  if (summary === undefined) return 0;
  const outcome = outcomeOf(summary);
  io.stdout(`\nThe ${run.what} ended ${outcome.status}.\n`);
  if (outcome.reason !== undefined) io.stdout(`  reason     ${outcome.reason}\n`);
  const guide = summary.error === undefined ? undefined : ERROR_GUIDE[summary.error];
  if (guide !== undefined) io.stdout(`  meaning    ${guide.meaning}\n  what to do ${guide.fix}\n`);
  io.stdout(`  ledger     lifeboat history ${run.history}\n`);
  return outcome.status === 'SUCCEEDED' ? 0 : 1;
}

/**
 * Prints where a started execution is (its ARN and console link) and, unless `noWait`, follows it
 * state by state until it ends; undefined when it does not wait.
 */
async function followStarted(
  io: CliIo,
  workflows: StepFunctionsWorkflows,
  executionArn: string,
  region: string,
  noWait: boolean,
): Promise<Awaited<ReturnType<typeof followExecution>> | undefined> {
  io.stdout(`  execution  ${executionArn}\n`);
  io.stdout(
    `  console    https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}\n`,
  );
  if (noWait) return undefined;
  io.stdout('\n');
  return followExecution(workflows, executionArn, {
    sleep: (seconds) => cliSleep(io, seconds),
    print: (line) => {
      io.stdout(`${line}\n`);
    },
  });
}
