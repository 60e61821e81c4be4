import { lifeboatBundling } from '../../infra/constructs/LifeboatFunction.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { esbuildOptions, ownerOf, sdkOnlyHandler } from '../../bench/lambdas/bundles.ts';
import { PROJECT_ROOT } from '../../infra/projectRoot.ts';
import { childScript } from '../../bench/lambdas/coldStart.ts';
import { BUNDLED_CONFIG_FORMAT } from '../../shared/config/bundledConfig.ts';
import { testConfig } from '../support/synth.ts';

describe('esbuildOptions', () => {
  it('builds what LifeboatFunction deploys: minified ESM for Node 24, the SDK external, the config embedded', () => {
    const options = esbuildOptions(
      lifeboatBundling(testConfig()),
      'functions/notify/handler.ts',
      '/out/index.mjs',
    );

    expect(options).toMatchObject({
      entryPoints: ['functions/notify/handler.ts'],
      outfile: '/out/index.mjs',
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      minify: true,
      sourcemap: true,
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*', '@aws-lambda-powertools/tracer'],
    });
    expect(options.banner?.js).toContain('createRequire');
    expect(options.define?.['process.env.LIFEBOAT_CONFIG']).toContain(BUNDLED_CONFIG_FORMAT);
  });

  it('bundles the X-Ray tracer only when the config traces AWS calls', () => {
    const traced = testConfig();
    const options = esbuildOptions(
      lifeboatBundling({ ...traced, tracing: { awsCalls: true } }),
      'functions/notify/handler.ts',
      '/out/index.mjs',
    );
    expect(options.external).toEqual(['@aws-sdk/*']);
  });

  it('embeds no config when the function has none', () => {
    expect(esbuildOptions(lifeboatBundling(), 'e.ts', 'o.mjs').define).toBeUndefined();
  });
});

describe('ownerOf', () => {
  it('names the package of a dependency, scoped or not, and the folder of project code', () => {
    expect(ownerOf('node_modules/zod/v4/core/core.js')).toBe('zod');
    expect(ownerOf('node_modules/@aws-lambda-powertools/logger/lib/esm/Logger.js')).toBe(
      '@aws-lambda-powertools/logger',
    );
    expect(ownerOf('shared/failover/FailoverSteps.ts')).toBe('shared/failover');
  });
});

describe('childScript', () => {
  it('imports the bundle by file URL and reports when it was ready since the process began', () => {
    const script = childScript('/work/x y/index.mjs');
    expect(script).toContain('await import("file:///work/x%20y/index.mjs")');
    expect(script).toContain('readyMs: e');
  });
});

describe('sdkOnlyHandler', () => {
  const packages = ['@aws-sdk/client-dynamodb', '@aws-sdk/client-route-53', '@aws-sdk/util-dynamodb'];

  it('imports every SDK package and constructs one client of each client package, nothing else', () => {
    const source = sdkOnlyHandler(packages);
    packages.forEach((pkg, i) => {
      expect(source).toContain(`import * as sdk${i} from '${pkg}';`);
    });
    expect(source.match(/new \(clientOf\(sdk\d\)\)/g)).toEqual([
      'new (clientOf(sdk0))',
      'new (clientOf(sdk1))',
    ]);
    expect(source).not.toMatch(/from '(?!@aws-sdk\/)/);
  });

  it('runs: each client class is found and constructed, and the handler answers', async () => {
    const dir = join(PROJECT_ROOT, 'node_modules', '.cache', 'lifeboat-test');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `sdk-only-${process.pid}.mjs`);
    writeFileSync(file, sdkOnlyHandler(packages));
    const module = (await import(file)) as { handler: () => Promise<unknown> };
    await expect(module.handler()).resolves.toEqual({});
  });
});
