import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import type { PolicyDocument } from './types.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SYNTHESIZE = fileURLToPath(new URL('./synthesize.ts', import.meta.url));

/** The account a rehearsal deploys to when the config names none. */
export const REHEARSAL_ACCOUNT = '000000000000';

/** One Lambda function as the synthesized stack deploys it in one region. */
export interface DeployedFunction {
  /** `lifeboat-database` */
  readonly name: string;
  readonly region: string;
  readonly arn: string;
  /** The handler file its bundle is built from. */
  readonly entry: string;
  /** The handler's export (`handler` of `index.handler`). */
  readonly exportName: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly roleArn: string;
  /** Every identity policy attached to its role, resolved. */
  readonly policies: readonly PolicyDocument[];
}

/** An EKS access entry the stacks create (`AWS::EKS::AccessEntry`). */
export interface DeployedAccessEntry {
  readonly region: string;
  readonly clusterName: string;
  readonly principalArn: string;
  readonly kubernetesGroups: readonly string[];
  readonly policies: readonly {
    readonly policyArn: string;
    readonly accessScope: { readonly type: 'cluster' | 'namespace'; readonly namespaces?: readonly string[] };
  }[];
}

/** An EventBridge Scheduler schedule the stacks create (`AWS::Scheduler::Schedule`). */
export interface DeployedSchedule {
  readonly region: string;
  readonly name: string;
  readonly groupName: string;
  readonly expression: string;
  /** `ScheduleExpressionTimezone`; undefined when the stack sets none (Scheduler then uses UTC). */
  readonly timeZone: string | undefined;
  /** `FlexibleTimeWindow.Mode`: `OFF`, or `FLEXIBLE` with `MaximumWindowInMinutes`. */
  readonly flexibleWindow: { readonly mode: string; readonly maximumWindowInMinutes?: number };
  /** The target: a state machine's ARN (`StepFunctionsStartExecution`). */
  readonly targetArn: string;
  /** The input Scheduler sends, as the stack wrote it (`<aws.scheduler.scheduled-time>` unreplaced). */
  readonly input: string;
  /** The role Scheduler assumes to start the target, and its identity policies, resolved. */
  readonly roleArn: string;
  readonly rolePolicies: readonly PolicyDocument[];
}

/** What a deployment of a config is made of, as the twin needs it. */
export interface Deployment {
  readonly account: string;
  readonly partition: string;
  readonly functions: readonly DeployedFunction[];
  /** Per control-plane region and workflow: the state machine's `DefinitionSubstitutions`, resolved. */
  readonly workflows: ReadonlyMap<string, ReadonlyMap<string, Readonly<Record<string, string>>>>;
  readonly accessEntries: readonly DeployedAccessEntry[];
  readonly schedules: readonly DeployedSchedule[];
}

/** A deployment as JSON (what `local/twin/synthesize.ts` prints and the disk cache keeps). */
export interface SerializedDeployment extends Omit<Deployment, 'workflows'> {
  readonly workflows: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, string>>>>>>;
}

function deserialize(json: SerializedDeployment): Deployment {
  return {
    ...json,
    workflows: new Map(
      Object.entries(json.workflows).map(([region, byName]) => [region, new Map(Object.entries(byName))]),
    ),
  };
}

/**
 * What the synthesized templates depend on besides the config: the stacks' and the steps' code, the
 * state machines, the twin's own reading of the templates, and the locked library versions.
 */
const SOURCES = ['infra', 'shared', 'functions', 'statemachines'];
const SOURCE_FILES = ['package-lock.json', 'local/twin/synthesize.ts', 'local/twin/cloudFormation.ts'];

let sourceDigest: string | undefined;

function digestOfSources(): string {
  if (sourceDigest !== undefined) return sourceDigest;
  const hash = createHash('sha256');
  const add = (file: string): void => {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  };
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) add(path);
    }
  };
  for (const dir of SOURCES) walk(join(ROOT, dir));
  for (const file of SOURCE_FILES) add(join(ROOT, file));
  sourceDigest = hash.digest('hex');
  return sourceDigest;
}

/** Where synthesized deployments are kept between runs (`LIFEBOAT_TWIN_CACHE=off` turns it off). */
export const DEPLOYMENT_CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'lifeboat-twin');

const cache = new Map<string, Deployment>();

/**
 * The deployment of `config`: the CDK app synthesized with bundling off, read by
 * `local/twin/synthesize.ts` in a child process (a rehearsal never loads the CDK itself, which would
 * cost seconds in every process that rehearses). Kept in this process, and on disk under
 * `node_modules/.cache/lifeboat-twin/` keyed by the config and a digest of every source the synth
 * reads (the stacks, the steps, the state machines, the locked versions), so a changed source or
 * config synthesizes again.
 */
export function synthesizeDeployment(config: LifeboatConfig): Deployment {
  const text = JSON.stringify(config);
  const cached = cache.get(text);
  if (cached !== undefined) return cached;
  const useDisk = process.env.LIFEBOAT_TWIN_CACHE !== 'off';
  const file = join(
    DEPLOYMENT_CACHE_DIR,
    `${createHash('sha256').update(digestOfSources()).update(text).digest('hex').slice(0, 32)}.json`,
  );
  let json: string | undefined;
  if (useDisk) {
    try {
      json = readFileSync(file, 'utf8');
    } catch {
      json = undefined;
    }
  }
  if (json === undefined) {
    try {
      json = execFileSync(process.execPath, ['--no-warnings', SYNTHESIZE], {
        cwd: ROOT,
        input: text,
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (error) {
      const raw = (error as { stderr?: unknown }).stderr;
      const stderr = typeof raw === 'string' ? raw.trim() : '';
      throw new Error(
        `the AWS twin could not synthesize the deployment: ${stderr || (error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (useDisk) {
      // Written whole, then renamed: a reader in another process sees the old file or the new one.
      mkdirSync(DEPLOYMENT_CACHE_DIR, { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, json);
      renameSync(temporary, file);
    }
  }
  const deployment = deserialize(JSON.parse(json) as SerializedDeployment);
  cache.set(text, deployment);
  return deployment;
}
