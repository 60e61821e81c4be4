import { InvalidInputError } from '../../../shared/errors.ts';
import { planFailover } from '../../plan/FailoverPlan.ts';
import { renderPlan } from '../../plan/renderPlan.ts';
import { applicationNames, inputProblemsAsFlags, loadCliConfig, parseCommand, required } from '../args.ts';
import type { CliIo } from '../main.ts';

export const PLAN_USAGE = `Usage:
  lifeboat plan --app <name> --to <region> [--from <region>] [--config <file>] [--manual] [--json]

Prints, without AWS, the steps a failover of the application to the region would take (read from
statemachines/failover.asl.json), what each touches, how long each takes by the latency model, and
the estimated RTO against the application's target, naming the step that dominates; then the
endpoint checks' settings (HTTPS or HTTP, 10 s or 30 s) with the price, the detection time and the
RTO of each.

Options:
  --app <name>       the application (as named in the config)
  --to <region>      the region to fail over to
  --from <region>    the region that fails (default: the application's first region)
  --config <file>    the config (default: ./lifeboat.config.json, else the example)
  --manual           plan a failover a person starts (default: automatic when the config allows it)
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
  let plan;
  try {
    plan = planFailover(config, {
      application,
      targetRegion,
      ...(values.from === undefined ? {} : { sourceRegion: values.from }),
      ...(values.manual ? { mode: 'manual' as const } : {}),
    });
  } catch (error) {
    if (error instanceof InvalidInputError) throw inputProblemsAsFlags(error);
    throw error;
  }
  if (values.json) io.stdout(`${JSON.stringify(plan, null, 2)}\n`);
  else io.stdout(renderPlan(plan, { config: file, definition: 'statemachines/failover.asl.json' }));
  return plan.meetsRto ? 0 : 1;
}
