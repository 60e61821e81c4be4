import { cpus } from 'node:os';
import { join } from 'node:path';
import { lifeboatBundling } from '../../infra/constructs/LifeboatFunction.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { PROJECT_ROOT } from '../../infra/projectRoot.ts';
import { ratio, round } from '../lib/stats.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { bundle, esbuildOptions, functionNames, sdkOnlyHandler, type BuiltBundle } from './bundles.ts';
import { coldStarts } from './coldStart.ts';

export const BUNDLE_LIMIT_BYTES = 500 * 1024;
export const COLD_START_LIMIT_RATIO = 3;
/** A function's cold start against a handler that loads the same SDK clients and nothing else. */
export const SDK_FLOOR_LIMIT_RATIO = 1.2;
export const EMPTY = '(empty handler)';

export interface LambdaFigure {
  readonly name: string;
  readonly bytes: number;
  readonly largest: BuiltBundle['largest'];
  readonly readyMs: number;
  readonly importMs: number;
  /** readyMs against the empty handler's. */
  readonly ratio: number;
  /** The AWS SDK packages the function loads. */
  readonly sdkPackages: readonly string[];
  /** Ready time of a handler bundled the same way that loads those SDK packages and nothing else. */
  readonly sdkFloorMs: number;
  /** readyMs against sdkFloorMs: what the function's own code adds. */
  readonly sdkRatio: number;
  /** sdkFloorMs against the empty handler's: what the SDK alone costs. */
  readonly floorRatio: number;
  /** The SDK package that costs most on its own (what sets the floor), with its ratio to empty. */
  readonly heaviestSdk: { readonly name: string; readonly ratio: number } | undefined;
}

export interface LeanLambdas {
  readonly runs: number;
  readonly machine: string;
  readonly empty: { readonly readyMs: number; readonly importMs: number };
  readonly functions: readonly LambdaFigure[];
}

/**
 * Builds every function as a deployment does (the example config embedded), the empty handler, and
 * for each function a handler that loads only its AWS SDK clients (and one per SDK package), all
 * with the same options, then times their cold starts side by side.
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
  // Side by side with each function: a handler that loads its SDK packages and nothing else, and
  // one per SDK package, all bundled with the same options.
  const sdkOnly = async (name: string, packages: readonly string[]): Promise<BuiltBundle> => {
    const dir = join(outDir, 'sdk-only', name.replace(/[^a-z0-9-]+/gi, '_'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'handler.mjs'), sdkOnlyHandler(packages));
    return bundle(name, esbuildOptions(lifeboatBundling(), join(dir, 'handler.mjs'), join(dir, 'index.mjs')));
  };
  const floors = new Map<string, BuiltBundle>();
  for (const b of built) floors.set(b.name, await sdkOnly(`${b.name} (SDK only)`, b.sdkPackages));
  const packages = [...new Set(built.flatMap((b) => b.sdkPackages))].sort();
  const single = new Map<string, BuiltBundle>();
  for (const pkg of packages) single.set(pkg, await sdkOnly(pkg, [pkg]));
  const timings = await coldStarts(
    new Map([empty, ...built, ...floors.values(), ...single.values()].map((b) => [b.name, b.file])),
    runs,
  );
  const base = timings.get(EMPTY) ?? { readyMs: Number.NaN, importMs: Number.NaN };
  const readyOf = (name: string | undefined): number =>
    (name === undefined ? undefined : timings.get(name))?.readyMs ?? Number.NaN;
  return {
    runs,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node.js ${process.version}`,
    empty: base,
    functions: built.map((b) => {
      const t = timings.get(b.name) ?? { readyMs: Number.NaN, importMs: Number.NaN };
      const floorMs = readyOf(floors.get(b.name)?.name);
      const heaviest = [...b.sdkPackages].sort((x, y) => readyOf(y) - readyOf(x))[0];
      return {
        name: b.name,
        bytes: b.bytes,
        largest: b.largest,
        readyMs: round(t.readyMs, 1),
        importMs: round(t.importMs, 1),
        ratio: round(ratio(t.readyMs, base.readyMs)),
        sdkPackages: b.sdkPackages,
        sdkFloorMs: round(floorMs, 1),
        sdkRatio: round(ratio(t.readyMs, floorMs)),
        floorRatio: round(ratio(floorMs, base.readyMs)),
        heaviestSdk:
          heaviest === undefined
            ? undefined
            : { name: heaviest, ratio: round(ratio(readyOf(heaviest), base.readyMs)) },
      };
    }),
  };
}
