import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { synthErrorMessage } from '../../infra/synthErrors.ts';
import { ConfigError } from '../../shared/errors.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The environment of a machine with no AWS credentials and no account from the CDK CLI. */
function withoutCredentials(extra: Record<string, string>): NodeJS.ProcessEnv {
  const removed = new Set([
    'CDK_DEFAULT_ACCOUNT',
    'AWS_PROFILE',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
  ]);
  return Object.fromEntries(
    Object.entries({ ...process.env, ...extra }).filter(([key]) => !removed.has(key)),
  );
}

describe('infra/app.ts', () => {
  it('synthesizes every stack with no account in the config or the environment', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'lifeboat-synth-'));
    try {
      // As `cdk synth -c config=…` runs it: cdk.json's context and the config, through the CLI's
      // variables; no Lambda bundles (the CI check builds them).
      const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
        context: Record<string, unknown>;
      };
      const context = {
        ...cdkJson.context,
        config: 'examples/lifeboat.config.json',
        'aws:cdk:bundling-stacks': [],
      };
      const run = spawnSync(process.execPath, ['infra/app.ts'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: withoutCredentials({ CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) }),
      });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });

      const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
        artifacts: Record<string, { type: string; environment?: string }>;
      };
      const stacks = Object.entries(manifest.artifacts)
        .filter(([, a]) => a.type === 'aws:cloudformation:stack')
        .map(([name, a]) => [name, a.environment]);
      expect(stacks).toHaveLength(10);
      for (const [name, environment] of stacks) {
        const region = name === 'Lifeboat-Detection' ? 'us-east-1' : name?.replace(/^Lifeboat-\w+-/, '');
        expect(environment).toBe(`aws://unknown-account/${region}`);
      }
      // The forwarding rules name the other regions' buses in the deploying account.
      const detection = JSON.stringify(
        JSON.parse(readFileSync(join(outdir, 'Lifeboat-Detection.template.json'), 'utf8')),
      );
      expect(detection).toContain('{"Ref":"AWS::AccountId"},":event-bus/lifeboat"');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('synthErrorMessage', () => {
  const lookupError = (): unknown => {
    const stack = new Stack(new App(), 'Agnostic', { env: { region: 'us-east-1' } });
    try {
      HostedZone.fromLookup(stack, 'Zone', { domainName: 'example.com' });
    } catch (error) {
      return error;
    }
    throw new Error('the lookup did not fail');
  };

  it('names the config key and the environment variable, in one line, when a construct needs the account and none was given', () => {
    const message = synthErrorMessage(lookupError(), 'lifeboat.config.json', undefined);
    expect(message).toMatch(
      /^Lifeboat lifeboat\.config\.json: this synth needs the AWS account; set "account" in the config or CDK_DEFAULT_ACCOUNT in the environment \(the CDK CLI sets it from your AWS credentials\)\. Cannot retrieve value from context provider hosted-zone/,
    );
    expect(message).not.toContain('\n');
  });

  it('leaves an error to its stack trace when an account was given, or when it is not about the account', () => {
    expect(synthErrorMessage(lookupError(), 'lifeboat.config.json', '123456789012')).toBeUndefined();
    expect(synthErrorMessage(new TypeError('x is undefined'), 'c.json', undefined)).toBeUndefined();
  });

  it("prints a config's problems as the config loader reports them", () => {
    const error = new ConfigError('c.json', ['account: expected 12 digits']);
    expect(synthErrorMessage(error, 'c.json', undefined)).toBe(error.message);
  });
});

describe('infra/app.ts without a config', () => {
  it('refuses in one line, naming ./lifeboat.config.json and -c config, rather than synthesizing the example', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'lifeboat-synth-'));
    try {
      const run = spawnSync(process.execPath, [join(ROOT, 'infra/app.ts')], {
        cwd: outdir,
        encoding: 'utf8',
        env: withoutCredentials({ CDK_OUTDIR: join(outdir, 'out'), CDK_CONTEXT_JSON: '{}' }),
      });
      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toBe(
        'Lifeboat: no config: ./lifeboat.config.json does not exist and no -c config=<file> was given. Create it from the example (cp examples/lifeboat.config.json lifeboat.config.json, then edit it) or name one: npx cdk synth -c config=<file>.',
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
