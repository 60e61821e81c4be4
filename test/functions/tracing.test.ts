import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { bundledConfigText } from '../../shared/config/bundledConfig.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';

/**
 * A function traces its AWS calls (and loads the X-Ray SDK) only when the config asks: otherwise
 * Lambda's active tracing records its invocations and the X-Ray SDK is never evaluated.
 */

const XRAY_MIDDLEWARE = 'XRaySDKInstrumentation';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const host = { ...process.env };

function configured(awsCalls: boolean | undefined): void {
  const doc = exampleConfigDocument() as Record<string, unknown>;
  if (awsCalls !== undefined) doc.tracing = { awsCalls };
  process.env.LIFEBOAT_CONFIG = bundledConfigText(parseConfig(doc));
}

/** Whether cls-hooked, which the X-Ray SDK loads, has put its namespaces on `process`. */
const xraySdkLoaded = (): boolean => (process as { namespaces?: unknown }).namespaces !== undefined;

const middlewareNames = (client: DynamoDBClient): string[] =>
  client.middlewareStack.identify().map((entry) => entry.split(' ')[0] ?? entry);

afterEach(() => {
  process.env = { ...host };
});

describe('function tracing', () => {
  it('by default leaves the clients and the handler alone and never evaluates the X-Ray SDK', async () => {
    configured(undefined);
    const tracing = await functionTracing();
    const client = new DynamoDBClient({ region: 'us-west-2' });
    expect(tracing.awsCalls).toBe(false);
    expect(tracing.client(client)).toBe(client);
    expect(middlewareNames(client)).not.toContain(XRAY_MIDDLEWARE);
    expect(tracing.middlewares).toEqual([]);
    expect(xraySdkLoaded()).toBe(false);

    // A handler module built on it (imported as a Lambda container would) loads it no more.
    process.env.AWS_REGION = 'us-west-2';
    process.env.LIFEBOAT_TABLE_NAME = 'lifeboat-ledger';
    const { handler } = (await import('../../functions/lock/handler.ts')) as {
      handler: (event: unknown, context: Context) => Promise<unknown>;
    };
    expect(typeof handler).toBe('function');
    expect(xraySdkLoaded()).toBe(false);
  });

  it('with tracing.awsCalls loads the X-Ray SDK, instruments each client and opens the handler subsegment', () => {
    // In a process of its own: the X-Ray SDK's context hook, once enabled, would slow every test
    // file that runs after it in this worker.
    const tracing = pathToFileURL(join(ROOT, 'shared/runtime/tracing.ts')).href;
    const script = `
      const { functionTracing } = await import(${JSON.stringify(tracing)});
      const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
      const t = await functionTracing();
      const client = t.client(new DynamoDBClient({ region: 'us-west-2' }));
      console.log(JSON.stringify({
        awsCalls: t.awsCalls,
        names: client.middlewareStack.identify().map((e) => e.split(' ')[0]),
        middlewares: t.middlewares.length,
        xraySdkLoaded: process.namespaces !== undefined,
      }));`;
    const out = execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        LIFEBOAT_CONFIG: bundledConfigText(
          parseConfig({ ...exampleConfigDocument(), tracing: { awsCalls: true } }),
        ),
        // Powertools' Tracer traces only inside Lambda's execution environment; no global HTTP patch.
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_LAMBDA_FUNCTION_NAME: 'lifeboat-lock',
        POWERTOOLS_TRACER_CAPTURE_HTTPS_REQUESTS: 'false',
      },
    });
    const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
      awsCalls: boolean;
      names: string[];
      middlewares: number;
      xraySdkLoaded: boolean;
    };
    expect(result.awsCalls).toBe(true);
    expect(result.names).toContain(XRAY_MIDDLEWARE);
    expect(result.middlewares).toBe(1);
    expect(result.xraySdkLoaded).toBe(true);
  });

  it('rejects a tracing setting that is not a boolean, naming the field', () => {
    const doc = exampleConfigDocument() as Record<string, unknown>;
    doc.tracing = { awsCalls: 'yes' };
    expect(() => parseConfig(doc)).toThrow(/tracing\.awsCalls/);
  });
});
