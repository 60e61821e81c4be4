import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, ScenarioError } from '../../shared/errors.ts';
import { renderHtml } from '../report/renderHtml.ts';
import { renderText, reportWidth } from '../report/renderText.ts';
import { loadScenario } from '../scenario/Scenario.ts';
import { simulate } from '../simulate/Simulation.ts';
import { localRuntime } from '../simulate/localRuntime.ts';
import { twinRuntime } from '../simulate/twinRuntime.ts';
import type { AwsClients } from './aws/AwsClients.ts';
import { COMMANDS, runCommand } from './commands.ts';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  /** Whether stdout is a terminal (colors) and stderr one (progress). */
  readonly stdoutIsTty?: boolean;
  readonly stderrIsTty?: boolean;
  /** The terminal's width in columns (or `COLUMNS`), when known: the text report fits it. */
  readonly stdoutColumns?: number;
  /** AWS SDK clients for the commands that talk to a deployed Lifeboat (default: the SDK's chain). */
  readonly aws?: AwsClients;
  /** The clock and the wait between polls of a followed execution (tests pass instant ones). */
  readonly now?: () => Date;
  readonly sleep?: (seconds: number) => Promise<void>;
}

export const EXIT = { ok: 0, violations: 1, usage: 2, internal: 3 } as const;

export const USAGE = `Usage:
  lifeboat simulate <scenario.json> [--config <file>] [--json] [--html <file>] [--ports] [--quiet] [--progress] [--no-color]

Runs a scenario on the local runtime: simulated regions on a virtual clock executing the real
workflows, each Task invoking the real Lambda handler with the environment and IAM role the
synthesized stacks give it, every AWS call checked against AWS's API model and that role's policies
and answered by the AWS twin. Prints a timeline (or, with --json, the report document) and exits
0 when no safety invariant was broken and no call was denied or malformed, 1 otherwise, 2 when the
scenario or the command is wrong.

Options:
  --config <file>  run the scenario against this config instead of the one it names (yours, say:
                 the example scenarios then rehearse your own deployment)
  --json         print the report as JSON (contract version 1) instead of the timeline
  --ports        run the step code over the simulated world's ports instead of the deployed
                 handlers: no synth, no IAM or API-model checks; faster, for long what-if runs
  --html <file>  also write the report as a self-contained HTML page
  --quiet        no progress lines while the scenario runs
  --progress     progress lines on stderr even when it is not a terminal
  --no-color     no colors in the timeline
  -h, --help     this text

Other commands (each takes --help):
${Object.values(COMMANDS)
  .map((c) => `  ${c.summary}`)
  .join('\n')}
`;

/** The `lifeboat` command. Returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout)(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (Object.hasOwn(COMMANDS, command)) return await runCommand(command, rest, io);
  if (command !== 'simulate') {
    io.stderr(`lifeboat: unknown command "${command}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        config: { type: 'string' },
        html: { type: 'string' },
        ports: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        progress: { type: 'boolean', default: false },
        'no-color': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr(`lifeboat simulate: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  if (parsed.positionals.length !== 1) {
    io.stderr(`lifeboat simulate: expected one scenario file, got ${parsed.positionals.length}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const file = resolve(io.cwd, parsed.positionals[0] ?? '');
  const htmlFile = parsed.values.html === undefined ? undefined : resolve(io.cwd, parsed.values.html);
  const unwritable = htmlFile === undefined ? undefined : unwritableReason(htmlFile);
  if (unwritable !== undefined) {
    // Said before the scenario runs, not after minutes of it.
    io.stderr(`lifeboat simulate: --html: cannot write ${htmlFile}: ${unwritable}\n`);
    return EXIT.usage;
  }
  try {
    const scenario = loadScenario(
      file,
      io.cwd,
      parsed.values.config === undefined ? {} : { config: parsed.values.config },
    );
    const showProgress = !parsed.values.quiet && (parsed.values.progress || io.stderrIsTty === true);
    const report = await simulate({
      scenario,
      ...(parsed.values.ports ? localRuntime() : twinRuntime()),
      ...(showProgress
        ? {
            onProgress: (entry) => {
              io.stderr(`  ${formatClock(entry.at)}  ${entry.kind.padEnd(15)} ${entry.text}\n`);
            },
          }
        : {}),
    });
    if (htmlFile !== undefined) {
      try {
        writeFileSync(htmlFile, renderHtml(report));
      } catch (error) {
        io.stderr(`lifeboat simulate: --html: cannot write ${htmlFile}: ${(error as Error).message}\n`);
        return EXIT.internal;
      }
      if (!parsed.values.json) io.stderr(`HTML report written to ${htmlFile}\n`);
    }
    io.stdout(
      parsed.values.json
        ? `${JSON.stringify(report, null, 2)}\n`
        : renderText(report, {
            color: io.stdoutIsTty === true && !parsed.values['no-color'],
            width: reportWidth(io.stdoutColumns),
          }),
    );
    return report.violations.length === 0 ? EXIT.ok : EXIT.violations;
  } catch (error) {
    if (error instanceof ScenarioError || error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`lifeboat simulate: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.internal;
  }
}

/** Why a report cannot be written to `file` (its folder missing or not writable, or it is a folder). */
function unwritableReason(file: string): string | undefined {
  const folder = dirname(file);
  if (!existsSync(folder)) return `the folder ${folder} does not exist`;
  if (existsSync(file) && statSync(file).isDirectory()) return 'it is a folder; name a file';
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    return `the folder ${folder} is not writable`;
  }
  return undefined;
}

function formatClock(seconds: number): string {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
