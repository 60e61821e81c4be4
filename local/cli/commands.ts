import { ConfigError } from '../../shared/errors.ts';
import { UsageError } from './args.ts';
import { PLAN_USAGE, planCommand } from './commands/plan.ts';
import { REPORT_USAGE, reportCommand } from './commands/report.ts';
import { RUNBOOK_USAGE, runbookCommand } from './commands/runbook.ts';
import { KUBERNETES_RBAC_USAGE, kubernetesRbacCommand } from './commands/kubernetesRbac.ts';
import { HISTORY_USAGE, historyCommand } from './commands/history.ts';
import {
  FENCE_USAGE,
  fenceCommand,
  STOP_USAGE,
  stopCommand,
  UNFENCE_USAGE,
  unfenceCommand,
  UNLOCK_USAGE,
  unlockCommand,
  WEIGHTS_USAGE,
  weightsCommand,
} from './commands/breakGlass.ts';
import { START_USAGE, startCommand } from './commands/start.ts';
import { STATUS_USAGE, statusCommand } from './commands/status.ts';
import { VERIFY_USAGE, verifyCommand } from './commands/verify.ts';
import type { CliIo } from './main.ts';
import { CREDENTIALS_HINT, lacksCredentials } from './awsAccess.ts';

/** A `lifeboat` subcommand besides `simulate`: its usage text and what it runs. */
export interface Command {
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[], io: CliIo): number | Promise<number>;
}

/** Every subcommand by name; `main` dispatches here and lists their summaries in its usage. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  plan: {
    summary: 'lifeboat plan --app <name> --to <region>       preview a failover: steps, durations, RTO',
    usage: PLAN_USAGE,
    run: planCommand,
  },
  runbook: {
    summary: 'lifeboat runbook --app <name> [--out file.md]   write the Markdown runbook of an application',
    usage: RUNBOOK_USAGE,
    run: runbookCommand,
  },
  'kubernetes-rbac': {
    summary:
      'lifeboat kubernetes-rbac --cluster <name>       the RBAC a cluster needs for its KEDA ScaledObjects',
    usage: KUBERNETES_RBAC_USAGE,
    run: kubernetesRbacCommand,
  },
  verify: {
    summary:
      'lifeboat verify --config <file>                  will the permissions and requests hold? (AWS twin)',
    usage: VERIFY_USAGE,
    run: verifyCommand,
  },
  report: {
    summary: 'lifeboat report <report.json> --html <file>   render a simulate --json report as an HTML page',
    usage: REPORT_USAGE,
    run: reportCommand,
  },
  start: {
    summary: 'lifeboat start <workflow> --app <name> --to <region>   start a workflow on AWS and follow it',
    usage: START_USAGE,
    run: startCommand,
  },
  status: {
    summary:
      'lifeboat status [--app <name>]                  what serves, the writer, runs in progress (AWS)',
    usage: STATUS_USAGE,
    run: statusCommand,
  },
  history: {
    summary: 'lifeboat history --app <name> --kind <kind>     past runs from the ledger (AWS)',
    usage: HISTORY_USAGE,
    run: historyCommand,
  },
  stop: {
    summary: 'lifeboat stop <execution> --app <name> --reason <text>   stop a running workflow (AWS)',
    usage: STOP_USAGE,
    run: stopCommand,
  },
  weights: {
    summary:
      'lifeboat weights --app <name> --set r=w,... --reason <text>   set Route 53 weights, never all 0 (AWS)',
    usage: WEIGHTS_USAGE,
    run: weightsCommand,
  },
  fence: {
    summary:
      'lifeboat fence --app <name> --region <r> --reason <text>   keep a region out of DNS answers (AWS)',
    usage: FENCE_USAGE,
    run: fenceCommand,
  },
  unfence: {
    summary: "lifeboat unfence --app <name> --region <r> --reason <text>   lift a region's fence (AWS)",
    usage: UNFENCE_USAGE,
    run: unfenceCommand,
  },
  unlock: {
    summary: 'lifeboat unlock --app <name> --reason <text>   release a lock whose run is not running (AWS)',
    usage: UNLOCK_USAGE,
    run: unlockCommand,
  },
};

/** Runs a subcommand: help, bad arguments (exit 2, naming the argument) and failures (exit 3). */
export async function runCommand(name: string, args: readonly string[], io: CliIo): Promise<number> {
  const command = COMMANDS[name];
  if (command === undefined) throw new Error(`no command ${name}`);
  if (args.includes('-h') || args.includes('--help')) {
    io.stdout(command.usage);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`lifeboat ${name}: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return 2;
    }
    if (lacksCredentials(error)) {
      io.stderr(`lifeboat ${name}: ${CREDENTIALS_HINT}\n`);
      return 3;
    }
    const e = error as Error;
    io.stderr(`lifeboat ${name}: ${e.name}: ${e.message}\n`);
    return 3;
  }
}
