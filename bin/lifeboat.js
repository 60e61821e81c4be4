#!/usr/bin/env node
// The CLI is TypeScript that Node.js 24 runs directly; through npm (npx lifeboat, npm start) the
// project's own Node.js 24 is the `node` on PATH.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `lifeboat needs Node.js 24 or later (this is ${process.version}). Run it through npm, as "npx lifeboat ..." or "npm start", which uses the Node.js 24 the project installs.`,
  );
  process.exit(2);
}
// A reader that stops early (`lifeboat simulate ... | head`) closes the pipe: end quietly with the
// command's own status rather than an unhandled EPIPE.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});
// The report fits the terminal; through a pipe, COLUMNS (which shells set but do not export) if given.
const columns =
  process.stdout.isTTY === true ? process.stdout.columns : Number(process.env.COLUMNS) || undefined;
const { main } = await import('../local/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  stdoutIsTty: process.stdout.isTTY === true,
  stderrIsTty: process.stderr.isTTY === true,
  ...(columns === undefined ? {} : { stdoutColumns: columns }),
});
