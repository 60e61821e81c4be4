import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { median } from '../lib/stats.ts';

/**
 * Cold start of a bundle as Lambda's Node.js runtime pays it: a fresh process, the bundle imported
 * (its module code run, clients and config included), then the time since the process began
 * (`performance.now()`, whose origin is the process start). The AWS SDK resolves from node_modules
 * as the runtime resolves its own copy.
 */

/** The environment the stacks set on every function, with values that reach no AWS account. */
export const FUNCTION_ENVIRONMENT: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-west-2',
  LIFEBOAT_TABLE_NAME: 'lifeboat-ledger',
  LIFEBOAT_FAILOVER_ARN: 'arn:aws:states:us-west-2:123456789012:stateMachine:lifeboat-failover',
  LIFEBOAT_ACCOUNT: '123456789012',
  LIFEBOAT_PARTITION: 'aws',
  POWERTOOLS_METRICS_NAMESPACE: 'Lifeboat',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  AWS_ACCESS_KEY_ID: 'AKIDBENCHMARK',
  AWS_SECRET_ACCESS_KEY: 'benchmark',
};

export interface ImportTiming {
  /** Milliseconds from the process start until the bundle's module finished evaluating. */
  readonly readyMs: number;
  /** Milliseconds the `import()` itself took. */
  readonly importMs: number;
}

/** The child's script: import the bundle, print both times as JSON. */
export function childScript(file: string): string {
  const url = JSON.stringify(pathToFileURL(file).href);
  return `const s = performance.now(); const m = await import(${url}); if (typeof m.handler !== 'function') throw new Error('no handler'); const e = performance.now(); console.log(JSON.stringify({ readyMs: e, importMs: e - s }));`;
}

export function importOnce(
  file: string,
  environment: Readonly<Record<string, string>>,
): Promise<ImportTiming> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', childScript(file)], {
      env: { PATH: process.env.PATH ?? '', ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`importing ${file} failed (exit ${String(code)}): ${err.slice(0, 400)}`));
        return;
      }
      const last = out.trim().split('\n').at(-1) ?? '';
      resolve(JSON.parse(last) as ImportTiming);
    });
  });
}

export interface ColdStart {
  readonly readyMs: number;
  readonly importMs: number;
}

/**
 * The median over `runs` fresh processes of each bundle. The bundles take turns, one process at a
 * time, so a slow moment of the machine falls on all of them alike.
 */
export async function coldStarts(
  files: ReadonlyMap<string, string>,
  runs: number,
  environment: Readonly<Record<string, string>> = FUNCTION_ENVIRONMENT,
): Promise<Map<string, ColdStart>> {
  const timings = new Map<string, ImportTiming[]>([...files.keys()].map((name) => [name, []]));
  for (let run = 0; run < runs; run += 1) {
    for (const [name, file] of files) {
      timings.get(name)?.push(await importOnce(file, environment));
    }
  }
  return new Map(
    [...timings].map(([name, list]) => [
      name,
      { readyMs: median(list.map((t) => t.readyMs)), importMs: median(list.map((t) => t.importMs)) },
    ]),
  );
}
