import { lifeboatBundling } from '../../infra/constructs/LifeboatFunction.ts';
import { esbuildOptions, ownerOf } from '../../bench/lambdas/bundles.ts';
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
      external: ['@aws-sdk/*'],
    });
    expect(options.banner?.js).toContain('createRequire');
    expect(options.define?.['process.env.LIFEBOAT_CONFIG']).toContain(BUNDLED_CONFIG_FORMAT);
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
