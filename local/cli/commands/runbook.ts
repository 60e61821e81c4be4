import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderRunbook } from '../../runbook/renderRunbook.ts';
import { applicationNames, loadCliConfig, parseCommand, required, UsageError } from '../args.ts';
import type { CliIo } from '../main.ts';

export const RUNBOOK_USAGE = `Usage:
  lifeboat runbook --app <name> [--config <file>] [--out <file.md>]

Writes the Markdown runbook of an application from the config: the automatic path and what to
watch, the manual console start with its exact input, the CLI commands, the Slack failback, backup
and restore, verification checks, and what to do when each step fails.

Options:
  --app <name>       the application (as named in the config)
  --config <file>    the config (default: ./lifeboat.config.json, else the example)
  --out <file.md>    write the runbook to this file instead of printing it
`;

export function runbookCommand(args: readonly string[], io: CliIo): number {
  const { values } = parseCommand(args, {
    app: { type: 'string' },
    config: { type: 'string' },
    out: { type: 'string' },
  });
  const { config, file } = loadCliConfig(values.config, io, 'runbook', false);
  const name = required(values.app, '--app', `name the application (${applicationNames(config)})`);
  const app = config.applications.find((a) => a.name === name);
  if (app === undefined) {
    throw new UsageError(`--app: no application named "${name}"; the config has ${applicationNames(config)}`);
  }
  const markdown = renderRunbook(config, app, { configFile: file });
  if (values.out === undefined) {
    io.stdout(markdown);
  } else {
    const out = resolve(io.cwd, values.out);
    writeFileSync(out, markdown);
    io.stderr(`Runbook for ${app.name} written to ${out}\n`);
  }
  return 0;
}
