import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import { build } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { lifeboatBundling } from '../../infra/constructs/LifeboatFunction.ts';

/** What `lifeboatBundling` says, as the esbuild options `NodejsFunction` passes on its command line. */
export function esbuildOptions(
  bundling: ReturnType<typeof lifeboatBundling>,
  entry: string,
  outfile: string,
): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: bundling.format === OutputFormat.ESM ? 'esm' : 'cjs',
    ...(bundling.target === undefined ? {} : { target: bundling.target }),
    minify: bundling.minify === true,
    sourcemap: bundling.sourceMap === true,
    ...(bundling.mainFields === undefined ? {} : { mainFields: [...bundling.mainFields] }),
    external: [...bundling.externalModules],
    ...(bundling.banner === undefined ? {} : { banner: { js: bundling.banner } }),
    ...(bundling.define === undefined ? {} : { define: { ...bundling.define } }),
    metafile: true,
    logLevel: 'error',
  };
}

/** Every function folder that has a handler: the functions a deployment bundles. */
export function functionNames(root: string): string[] {
  return readdirSync(join(root, 'functions'))
    .filter((name) => statSync(join(root, 'functions', name, 'handler.ts'), { throwIfNoEntry: false }))
    .sort();
}

export interface BuiltBundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  /** The largest contributors, by package (or project folder), in bytes of output. */
  readonly largest: readonly (readonly [string, number])[];
  /** The AWS SDK packages the bundle imports at run time (external: the runtime provides them). */
  readonly sdkPackages: readonly string[];
}

/** The package (or project folder) an input file of the bundle belongs to. */
export function ownerOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (match?.[1] !== undefined) return match[1];
  return input.split('/').slice(0, 2).join('/');
}

export async function bundle(name: string, options: BuildOptions): Promise<BuiltBundle> {
  const result = await build(options);
  const outfile = options.outfile ?? '';
  const output = Object.entries(result.metafile?.outputs ?? {}).find(([file]) => outfile.endsWith(file));
  if (output === undefined) throw new Error(`esbuild wrote no ${outfile}`);
  const byOwner = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output[1].inputs)) {
    byOwner.set(ownerOf(input), (byOwner.get(ownerOf(input)) ?? 0) + bytesInOutput);
  }
  return {
    name,
    file: outfile,
    bytes: output[1].bytes,
    largest: [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 3),
    sdkPackages: [
      ...new Set(
        output[1].imports
          .filter((i) => i.external === true && i.path.startsWith('@aws-sdk/'))
          .map((i) => i.path),
      ),
    ].sort(),
  };
}

/**
 * The source of a handler that loads the given AWS SDK packages as a function does at cold start
 * (each imported, one client of each `client-*` package constructed) and nothing else: what a
 * function's cold start cannot go below while it uses those clients.
 */
export function sdkOnlyHandler(packages: readonly string[]): string {
  const lines = packages.map((pkg, i) => `import * as sdk${i} from '${pkg}';`);
  lines.push(
    "// The package's client class: `<Service>Client`, not the aggregated `<Service>` class.",
    'const clientOf = (ns) => Object.entries(ns).find(([name, value]) => /^[A-Z][A-Za-z0-9]*Client$/.test(name) && typeof value === "function")?.[1];',
  );
  packages.forEach((pkg, i) => {
    if (pkg.startsWith('@aws-sdk/client-')) {
      lines.push(`new (clientOf(sdk${i}))({ region: process.env.AWS_REGION });`);
    }
  });
  lines.push('export const handler = () => Promise.resolve({});');
  return `${lines.join('\n')}\n`;
}
