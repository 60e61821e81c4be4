import { InvalidInputError } from '../../../shared/errors.ts';
import { planFailover } from '../../plan/FailoverPlan.ts';
import { renderPlan, renderSwitchoverPlan } from '../../plan/renderPlan.ts';
import { planSwitchover } from '../../plan/SwitchoverPlan.ts';
import {
  applicationNames,
  inputProblemsAsFlags,
  loadCliConfig,
  parseCommand,
  required,
  UsageError,
} from '../args.ts';
import type { CliIo } from '../main.ts';

export const PLAN_USAGE = `Usage:
  lifeboat plan --app <name> --to <region> [--from <region>] [--config <file>] [--manual] [--json]
  lifeboat plan --switchover --app <name> --to <region> [--from <region>] [--config <file>] [--json]

Prints, without AWS, the steps a failover of the application to the region would take (read from
statemachines/failover.asl.json), what each touches, how long each takes by the latency model, and
the estimated RTO against the application's target, naming the step that dominates; then the
endpoint checks' settings (HTTPS or HTTP, 10 s or 30 s) with the price, the detection time and the
RTO of each.

With --switchover, the steps of a planned switchover to the region instead (read from
statemachines/failback.asl.json, which lifeboat-switchover runs): the guarded shift step by step,
when the traffic and the writer have moved, how long writes wait for the switch, and when the old
primary is rebuilt and scaled down (docs/switchover.md).

Options:
  --app <name>       the application (as named in the config)
  --to <region>      the region to fail over to
  --from <region>    the region that fails (default: the application's first region)
  --config <file>    the config (default: ./lifeboat.config.json, else the example)
  --manual           plan a failover a person starts (default: automatic when the config allows it)
  --switchover       plan a planned switchover instead of a failover
  --json             print the plan as JSON
`;

/** `lifeboat plan`: exit 0 when the RTO target can be met, 1 when it cannot. */
export function planCommand(args: readonly string[], io: CliIo): number {
  const { values } = parseCommand(args, {
    app: { type: 'string' },
    to: { type: 'string' },
    from: { type: 'string' },
    config: { type: 'string' },
    manual: { type: 'boolean', default: false },
    switchover: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  const { config, file } = loadCliConfig(values.config, io, 'plan', false);
  const application = required(
    values.app,
    '--app',
    `name the application to plan for (${applicationNames(config)})`,
  );
  const app = config.applications.find((a) => a.name === application);
  const targetRegion = required(
    values.to,
    '--to',
    `name the region to fail over to${app === undefined ? '' : ` (${app.regions.slice(1).join(', ')})`}`,
  );
  const from = values.from === undefined ? {} : { sourceRegion: values.from };
  if (values.switchover) {
    if (values.manual) {
      throw new UsageError('--manual: a switchover is always started by a person; drop --manual');
    }
    const planned = asFlags(() => planSwitchover(config, { application, targetRegion, ...from }));
    if (values.json) io.stdout(`${JSON.stringify(planned, null, 2)}\n`);
    else
      io.stdout(
        renderSwitchoverPlan(planned, { config: file, definition: 'statemachines/failback.asl.json' }),
      );
    return 0;
  }
  const plan = asFlags(() =>
    planFailover(config, {
      application,
      targetRegion,
      ...from,
      ...(values.manual ? { mode: 'manual' as const } : {}),
    }),
  );
  if (values.json) io.stdout(`${JSON.stringify(plan, null, 2)}\n`);
  else io.stdout(renderPlan(plan, { config: file, definition: 'statemachines/failover.asl.json' }));
  return plan.meetsRto ? 0 : 1;
}

/** A plan's input problems as the command line's: the flag named instead of the field. */
function asFlags<T>(plan: () => T): T {
  try {
    return plan();
  } catch (error) {
    if (error instanceof InvalidInputError) throw inputProblemsAsFlags(error);
    throw error;
  }
}
