import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import type { InvalidInputError } from '../../shared/errors.ts';
import type { CliIo } from './main.ts';

/** A command line that cannot be acted on; the message names the argument and the fix. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The config the README tells a user to create, read when no --config is given. */
export const USER_CONFIG = 'lifeboat.config.json';
/** The example, read only by the commands that change nothing, and only with a note that says so. */
export const EXAMPLE_CONFIG = 'examples/lifeboat.config.json';

/** The flag a workflow input field comes from, for messages about it. */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  application: '--app',
  targetRegion: '--to',
  sourceRegion: '--from',
  reason: '--reason',
  dryRun: '--dry-run',
  force: '--force',
};

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with messages that say which command refused what. */
export function parseCommand<O extends Options>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], allowPositionals: true, strict: true, options });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The value of a required option, or a UsageError that says what to give. */
export function required(value: string | undefined, flag: string, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required: ${what}`);
  return value;
}

/**
 * The config a command works on: `--config`, else `./lifeboat.config.json`. A command that acts on a
 * deployment (`acts`) refuses when neither exists, naming both; one that changes nothing (a plan, a
 * runbook, a verification) reads the example instead and says so on stderr.
 */
export function resolveCliConfigFile(
  file: string | undefined,
  io: Pick<CliIo, 'cwd' | 'stderr'>,
  command: string,
  acts: boolean,
): string {
  if (file !== undefined) return file;
  if (existsSync(resolve(io.cwd, USER_CONFIG))) return USER_CONFIG;
  if (acts) {
    throw new UsageError(
      `no config: ./${USER_CONFIG} does not exist here (${io.cwd}) and no --config was given. Create it from the example (cp ${EXAMPLE_CONFIG} ${USER_CONFIG}, then edit it) or pass --config <file>; lifeboat ${command} never acts on the example.`,
    );
  }
  io.stderr(
    `lifeboat ${command}: no ./${USER_CONFIG} and no --config; reading the example ${EXAMPLE_CONFIG}\n`,
  );
  return EXAMPLE_CONFIG;
}

export function loadCliConfig(
  file: string | undefined,
  io: CliIo,
  command: string,
  acts: boolean,
): { config: LifeboatConfig; file: string } {
  const chosen = resolveCliConfigFile(file, io, command, acts);
  return { config: loadConfig(resolve(io.cwd, chosen)), file: chosen };
}

/** A workflow input's problems, each with the flag that gives the field in place of the field. */
export function inputProblemsAsFlags(error: InvalidInputError): UsageError {
  return new UsageError(
    error.problems
      .map((p) => {
        const field = /^([A-Za-z]+):/.exec(p)?.[1];
        const flag = field === undefined ? undefined : FLAG_OF_FIELD[field];
        return flag === undefined ? p : `${flag}${p.slice(field?.length ?? 0)}`;
      })
      .join('\n'),
  );
}

/** The application names of the config, for messages. */
export function applicationNames(config: LifeboatConfig): string {
  return config.applications.map((a) => a.name).join(', ');
}

/** The time now, from the injected clock when there is one. */
export function cliNow(io: CliIo): Date {
  return io.now?.() ?? new Date();
}

/** Waits between two polls of a deployed Lifeboat. */
export function cliSleep(io: CliIo, seconds: number): Promise<void> {
  return io.sleep?.(seconds) ?? new Promise((done) => setTimeout(done, seconds * 1000));
}
