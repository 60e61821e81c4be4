/**
 * Writes `local/twin/models/<service>.json` from AWS's Smithy JSON AST models (the public repository
 * aws/api-models-aws): the operations Lifeboat's functions call, and every shape their inputs reach,
 * with only the traits `apiModel.ts` checks. Refresh them when AWS's models change:
 *
 *   git clone https://github.com/aws/api-models-aws /tmp/api-models-aws
 *   node local/twin/models/trimModels.ts /tmp/api-models-aws
 *
 * The directory may be a checkout (its HEAD commit is recorded) or an exported tree, with the
 * models under `models/<service>/` or directly under `<service>/`; `--commit=<sha>` records the
 * commit of an exported tree.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import type { Bounds, ModelFile, ModelMember, ModelShape, ScalarType } from '../apiModel.ts';
import type { TwinService } from '../types.ts';

/** The SDK commands (without `Command`) the functions and the operator CLI send, by service and its directory in the repository. */
const WANTED: Readonly<
  Record<TwinService, { readonly dir: string; readonly operations: readonly string[] }>
> = {
  route53: {
    dir: 'route-53',
    operations: [
      'ChangeResourceRecordSets',
      'GetChange',
      'GetHealthCheckStatus',
      'ListResourceRecordSets',
      'ListHealthChecks',
      'ListTagsForResources',
    ],
  },
  rds: {
    dir: 'rds',
    operations: [
      'DescribeDBInstances',
      'PromoteReadReplica',
      'ModifyDBInstance',
      'RebootDBInstance',
      'CreateDBInstanceReadReplica',
      'DescribeGlobalClusters',
      'FailoverGlobalCluster',
      'SwitchoverGlobalCluster',
      'CreateDBSnapshot',
      'CopyDBSnapshot',
      'DescribeDBSnapshots',
      'DeleteDBSnapshot',
      'RestoreDBInstanceFromDBSnapshot',
      'DeleteDBInstance',
      'CreateDBClusterSnapshot',
      'CopyDBClusterSnapshot',
      'DescribeDBClusterSnapshots',
      'DeleteDBClusterSnapshot',
      'RestoreDBClusterFromSnapshot',
      'CreateDBInstance',
      'DescribeDBClusters',
      'DeleteDBCluster',
      'AddTagsToResource',
      'ListTagsForResource',
    ],
  },
  elasticache: {
    dir: 'elasticache',
    operations: [
      'DescribeGlobalReplicationGroups',
      'DescribeReplicationGroups',
      'FailoverGlobalReplicationGroup',
    ],
  },
  eks: { dir: 'eks', operations: ['DescribeCluster', 'DescribeNodegroup', 'UpdateNodegroupConfig'] },
  cloudwatch: { dir: 'cloudwatch', operations: ['GetMetricData', 'PutMetricData', 'DescribeAlarms'] },
  dynamodb: {
    dir: 'dynamodb',
    operations: ['PutItem', 'GetItem', 'UpdateItem', 'DeleteItem', 'Query', 'DescribeTable'],
  },
  sfn: {
    dir: 'sfn',
    operations: [
      'StartExecution',
      'SendTaskSuccess',
      'SendTaskFailure',
      'DescribeExecution',
      'GetExecutionHistory',
      'ListStateMachines',
      'StopExecution',
    ],
  },
  secretsmanager: { dir: 'secrets-manager', operations: ['GetSecretValue'] },
  events: { dir: 'eventbridge', operations: ['PutEvents'] },
  lambda: { dir: 'lambda', operations: ['Invoke'] },
};

/** The Smithy JSON AST, as much of it as is read here. */
interface AstMember {
  readonly target: string;
  readonly traits?: Readonly<Record<string, unknown>>;
}
interface AstShape {
  readonly type: string;
  readonly traits?: Readonly<Record<string, unknown>>;
  readonly members?: Readonly<Record<string, AstMember>>;
  readonly member?: AstMember;
  readonly key?: AstMember;
  readonly value?: AstMember;
  readonly input?: { readonly target: string };
  readonly operations?: readonly { readonly target: string }[];
  readonly collectionOperations?: readonly { readonly target: string }[];
  readonly resources?: readonly { readonly target: string }[];
  readonly [lifecycle: string]: unknown;
}
interface Ast {
  readonly smithy: string;
  readonly shapes: Readonly<Record<string, AstShape>>;
}

/** The prelude shapes (`smithy.api#...`) a model may target without defining them. */
const PRELUDE: Readonly<Record<string, ScalarType | 'structure'>> = {
  String: 'string',
  Blob: 'blob',
  BigInteger: 'bigInteger',
  BigDecimal: 'bigDecimal',
  Timestamp: 'timestamp',
  Document: 'document',
  Boolean: 'boolean',
  PrimitiveBoolean: 'boolean',
  Byte: 'byte',
  PrimitiveByte: 'byte',
  Short: 'short',
  PrimitiveShort: 'short',
  Integer: 'integer',
  PrimitiveInteger: 'integer',
  Long: 'long',
  PrimitiveLong: 'long',
  Float: 'float',
  PrimitiveFloat: 'float',
  Double: 'double',
  PrimitiveDouble: 'double',
  Unit: 'structure',
};

const LIFECYCLE = ['create', 'put', 'read', 'update', 'delete', 'list'] as const;

function modelPath(root: string, dir: string): string {
  const base = [join(root, 'models', dir, 'service'), join(root, dir, 'service')].find((d) => existsSync(d));
  if (base === undefined) throw new Error(`no ${dir}/service directory under ${root} or ${root}/models`);
  // One directory per API version; the newest is the one the SDK uses.
  const version = readdirSync(base).sort().at(-1);
  if (version === undefined) throw new Error(`${base} has no version directory`);
  const file = join(base, version, `${dir}-${version}.json`);
  if (!existsSync(file)) throw new Error(`${file} is missing`);
  return file;
}

function bounds(trait: unknown): Bounds | undefined {
  if (typeof trait !== 'object' || trait === null) return undefined;
  const { min, max } = trait as { min?: unknown; max?: unknown };
  // Range bounds are BigDecimal, which the JSON AST may write as strings.
  const out: { min?: number; max?: number } = {};
  if (min !== undefined) out.min = Number(min);
  if (max !== undefined) out.max = Number(max);
  return out;
}

/** A pattern JS cannot compile with the `u` flag (Java-only syntax) is left out, and listed. */
function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

function trim(ast: Ast, operations: readonly string[], sourcePath: string) {
  const serviceEntry = Object.entries(ast.shapes).find(([, s]) => s.type === 'service');
  if (serviceEntry === undefined) throw new Error(`${sourcePath} has no service shape`);
  const [serviceId, serviceShape] = serviceEntry;
  const namespace = serviceId.slice(0, serviceId.indexOf('#') + 1);
  const local = (id: string) => (id.startsWith(namespace) ? id.slice(namespace.length) : id);

  // Every operation the service binds, directly or through its resources.
  const bound = new Set<string>();
  const seenResources = new Set<string>();
  const walk = (shape: AstShape) => {
    for (const ref of [...(shape.operations ?? []), ...(shape.collectionOperations ?? [])])
      bound.add(ref.target);
    for (const key of LIFECYCLE) {
      const ref = shape[key] as { target: string } | undefined;
      if (ref !== undefined) bound.add(ref.target);
    }
    for (const ref of shape.resources ?? []) {
      if (seenResources.has(ref.target)) continue;
      seenResources.add(ref.target);
      const resource = ast.shapes[ref.target];
      if (resource !== undefined) walk(resource);
    }
  };
  walk(serviceShape);

  const out: Record<string, ModelShape> = {};
  const skipped: string[] = [];
  const memberOf = (member: AstMember, where: string): ModelMember => {
    visit(member.target);
    const t = member.traits ?? {};
    const entry: { target: string; required?: true; length?: Bounds; range?: Bounds; pattern?: string } = {
      target: local(member.target),
    };
    if ('smithy.api#required' in t) entry.required = true;
    const length = bounds(t['smithy.api#length']);
    if (length !== undefined) entry.length = length;
    const range = bounds(t['smithy.api#range']);
    if (range !== undefined) entry.range = range;
    const pattern = t['smithy.api#pattern'];
    if (typeof pattern === 'string') {
      if (compiles(pattern)) entry.pattern = pattern;
      else skipped.push(where);
    }
    return Object.keys(entry).length === 1 ? entry.target : entry;
  };
  const visit = (id: string): void => {
    const name = local(id);
    if (name in out) return;
    if (id.startsWith('smithy.api#')) {
      const type = PRELUDE[id.slice('smithy.api#'.length)];
      if (type === undefined) throw new Error(`${sourcePath}: unknown prelude shape ${id}`);
      out[name] = type === 'structure' ? { type, members: {} } : { type };
      return;
    }
    const shape = ast.shapes[id];
    if (shape === undefined) throw new Error(`${sourcePath}: no shape ${id}`);
    const t = shape.traits ?? {};
    // Reserve the name first: structures may refer to themselves.
    out[name] = { type: 'structure', members: {} };
    switch (shape.type) {
      case 'structure':
      case 'union': {
        const members: Record<string, ModelMember> = {};
        for (const [memberName, member] of Object.entries(shape.members ?? {})) {
          members[memberName] = memberOf(member, `${name}.${memberName}`);
        }
        out[name] = { type: shape.type, members };
        return;
      }
      case 'list':
      case 'set': {
        if (shape.member === undefined) throw new Error(`${sourcePath}: list ${id} has no member`);
        const length = bounds(t['smithy.api#length']);
        out[name] = {
          type: 'list',
          member: memberOf(shape.member, `${name}.member`),
          ...(length === undefined ? {} : { length }),
        };
        return;
      }
      case 'map': {
        if (shape.key === undefined || shape.value === undefined)
          throw new Error(`${sourcePath}: map ${id} has no key or value`);
        const length = bounds(t['smithy.api#length']);
        out[name] = {
          type: 'map',
          key: memberOf(shape.key, `${name}.key`),
          value: memberOf(shape.value, `${name}.value`),
          ...(length === undefined ? {} : { length }),
        };
        return;
      }
      case 'enum':
      case 'intEnum': {
        const values = Object.entries(shape.members ?? {}).map(
          ([memberName, member]) =>
            (member.traits?.['smithy.api#enumValue'] ?? memberName) as string | number,
        );
        out[name] = { type: shape.type === 'enum' ? 'string' : 'integer', enum: values };
        return;
      }
      case 'operation':
      case 'service':
      case 'resource':
        throw new Error(`${sourcePath}: ${id} is a ${shape.type}, not a data shape`);
      default: {
        const scalar: {
          type: string;
          enum?: (string | number)[];
          length?: Bounds;
          range?: Bounds;
          pattern?: string;
        } = { type: shape.type };
        const legacyEnum = t['smithy.api#enum'];
        if (Array.isArray(legacyEnum)) scalar.enum = legacyEnum.map((e: { value: string }) => e.value);
        const length = bounds(t['smithy.api#length']);
        if (length !== undefined) scalar.length = length;
        const range = bounds(t['smithy.api#range']);
        if (range !== undefined) scalar.range = range;
        const pattern = t['smithy.api#pattern'];
        if (typeof pattern === 'string') {
          if (compiles(pattern)) scalar.pattern = pattern;
          else skipped.push(name);
        }
        out[name] = scalar as ModelShape;
      }
    }
  };

  const operationInputs: Record<string, string> = {};
  for (const operation of operations) {
    const id = `${namespace}${operation}`;
    const shape = ast.shapes[id];
    if (shape?.type !== 'operation' || !bound.has(id)) {
      throw new Error(`${sourcePath}: the service ${serviceId} has no operation ${operation}`);
    }
    const input = shape.input?.target ?? 'smithy.api#Unit';
    visit(input);
    operationInputs[operation] = local(input);
  }
  const shapes: Record<string, ModelShape> = {};
  for (const name of Object.keys(out).sort()) shapes[name] = out[name] as ModelShape;
  return {
    service: serviceId,
    version: (serviceShape as { version?: string }).version ?? '',
    operations: operationInputs,
    shapes,
    skipped,
  };
}

function gitCommit(root: string): string | undefined {
  try {
    return execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

async function main(args: readonly string[]): Promise<void> {
  const root = args.find((a) => !a.startsWith('--'));
  if (root === undefined) {
    throw new Error('usage: node local/twin/models/trimModels.ts <api-models-aws checkout> [--commit=<sha>]');
  }
  const commit = args.find((a) => a.startsWith('--commit='))?.slice('--commit='.length) ?? gitCommit(root);
  const outDir = fileURLToPath(new URL('./', import.meta.url));
  for (const [service, wanted] of Object.entries(WANTED) as [TwinService, (typeof WANTED)[TwinService]][]) {
    const file = modelPath(root, wanted.dir);
    const ast = JSON.parse(readFileSync(file, 'utf8')) as Ast;
    const path = relative(root, file).split('\\').join('/');
    const trimmed = trim(ast, wanted.operations, path);
    const model: ModelFile = {
      source: {
        repository: 'https://github.com/aws/api-models-aws',
        path,
        ...(commit === undefined ? {} : { commit }),
        smithy: ast.smithy,
        service: trimmed.service,
        version: trimmed.version,
      },
      patternsSkipped: trimmed.skipped,
      operations: trimmed.operations,
      shapes: trimmed.shapes,
    };
    const target = join(outDir, `${service}.json`);
    const text = await format(JSON.stringify(model), {
      ...(await resolveConfig(target)),
      parser: 'json',
    });
    writeFileSync(target, text);
    console.log(
      `${service}: ${Object.keys(trimmed.shapes).length} shapes, ${trimmed.skipped.length} patterns JS cannot compile, ${text.length} bytes`,
    );
  }
}

await main(process.argv.slice(2));
