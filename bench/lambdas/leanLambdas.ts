import { cpus } from 'node:os';
import { join } from 'node:path';
import { lifeboatBundling } from '../../infra/constructs/LifeboatFunction.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { PROJECT_ROOT } from '../../infra/projectRoot.ts';
import { ratio, round } from '../lib/stats.ts';
import { bundle, esbuildOptions, functionNames, type BuiltBundle } from './bundles.ts';
import { coldStarts } from './coldStart.ts';

export const BUNDLE_LIMIT_BYTES = 500 * 1024;
export const COLD_START_LIMIT_RATIO = 3;
export const EMPTY = '(empty handler)';

export interface LambdaFigure {
  readonly name: string;
  readonly bytes: number;
  readonly largest: BuiltBundle['largest'];
  readonly readyMs: number;
  readonly importMs: number;
  /** readyMs against the empty handler's. */
  readonly ratio: number;
}

export interface LeanLambdas {
  readonly runs: number;
  readonly machine: string;
  readonly empty: { readonly readyMs: number; readonly importMs: number };
  readonly functions: readonly LambdaFigure[];
}

/**
 * Builds every function as a deployment does (the example config embedded), and the empty handler
 * with the same options, then times their cold starts.
 */
export async function measureLeanLambdas(
  runs = 20,
  outDir = join(PROJECT_ROOT, '.bench', 'lambdas'),
): Promise<LeanLambdas> {
  const config = loadConfig(join(PROJECT_ROOT, 'examples', 'lifeboat.config.json'));
  const built: BuiltBundle[] = [];
  for (const name of functionNames(PROJECT_ROOT)) {
    built.push(
      await bundle(
        name,
        esbuildOptions(
          lifeboatBundling(config),
          join(PROJECT_ROOT, 'functions', name, 'handler.ts'),
          join(outDir, name, 'index.mjs'),
        ),
      ),
    );
  }
  const empty = await bundle(
    EMPTY,
    esbuildOptions(
      lifeboatBundling(),
      join(PROJECT_ROOT, 'bench', 'lambdas', 'emptyHandler.ts'),
      join(outDir, 'empty', 'index.mjs'),
    ),
  );
  const timings = await coldStarts(new Map([empty, ...built].map((b) => [b.name, b.file])), runs);
  const base = timings.get(EMPTY) ?? { readyMs: Number.NaN, importMs: Number.NaN };
  return {
    runs,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node.js ${process.version}`,
    empty: base,
    functions: built.map((b) => {
      const t = timings.get(b.name) ?? { readyMs: Number.NaN, importMs: Number.NaN };
      return {
        name: b.name,
        bytes: b.bytes,
        largest: b.largest,
        readyMs: round(t.readyMs, 1),
        importMs: round(t.importMs, 1),
        ratio: round(ratio(t.readyMs, base.readyMs)),
      };
    }),
  };
}
