/**
 * The API-model check: each AWS SDK call a function makes, held against AWS's own API model for the
 * operation, as AWS validates a request before acting on it.
 *
 * The models are `models/<service>.json`: AWS's Smithy models (https://github.com/aws/api-models-aws,
 * `[models/]<service>/service/<version>/<service>-<version>.json`) trimmed to the operations the
 * functions call and the shapes their inputs reach, with only the traits checked here; each file's
 * `source` names the file, commit and versions it came from. To refresh them after AWS changes its
 * models, run `node local/twin/models/trimModels.ts <checkout of aws/api-models-aws>` (add an
 * operation to the list there first when a function starts calling one).
 */
import { readFileSync } from 'node:fs';
import { TWIN_SERVICES, type TwinService } from './types.ts';

/** A `smithy.api#length` or `smithy.api#range`: either bound may be absent. */
export interface Bounds {
  readonly min?: number;
  readonly max?: number;
}

/** A member: its target shape, alone when the member has no traits of its own. */
export type ModelMember =
  | string
  | {
      readonly target: string;
      readonly required?: true;
      /** These replace the target's own, as a member's traits do in Smithy. */
      readonly length?: Bounds;
      readonly range?: Bounds;
      readonly pattern?: string;
    };

export type ScalarType =
  | 'string'
  | 'blob'
  | 'boolean'
  | 'timestamp'
  | 'document'
  | 'byte'
  | 'short'
  | 'integer'
  | 'long'
  | 'float'
  | 'double'
  | 'bigInteger'
  | 'bigDecimal';

/** A shape of a trimmed model; Smithy's `enum` and `intEnum` are strings and integers with `enum`. */
export type ModelShape =
  | { readonly type: 'structure' | 'union'; readonly members: Readonly<Record<string, ModelMember>> }
  | { readonly type: 'list'; readonly member: ModelMember; readonly length?: Bounds }
  | {
      readonly type: 'map';
      readonly key: ModelMember;
      readonly value: ModelMember;
      readonly length?: Bounds;
    }
  | {
      readonly type: ScalarType;
      readonly enum?: readonly (string | number)[];
      readonly length?: Bounds;
      readonly range?: Bounds;
      readonly pattern?: string;
    };

/** One `models/<service>.json`. */
export interface ModelFile {
  readonly source: {
    readonly repository: string;
    readonly path: string;
    readonly commit?: string;
    readonly smithy: string;
    readonly service: string;
    readonly version: string;
  };
  /** Where the model has a pattern JS cannot compile (Java regex syntax): not checked. */
  readonly patternsSkipped: readonly string[];
  /** Operation name → its input shape. */
  readonly operations: Readonly<Record<string, string>>;
  readonly shapes: Readonly<Record<string, ModelShape>>;
}

type Check = (value: unknown, path: string, errors: string[]) => void;

interface Constraints {
  readonly length?: Bounds | undefined;
  readonly range?: Bounds | undefined;
  readonly pattern?: string | undefined;
}

const INTEGER_LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  byte: [-128, 127],
  short: [-32_768, 32_767],
  integer: [-2_147_483_648, 2_147_483_647],
  long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

const toTag = (value: unknown): string => Object.prototype.toString.call(value);

/** A structure, union or map as the SDK takes it: a plain object (not an array, Date or bytes). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && toTag(value) === '[object Object]';
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (toTag(value) === '[object Date]') return 'a Date';
  if (toTag(value) === '[object Uint8Array]') return 'bytes';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

function at(path: string): string {
  return path === '' ? 'input' : path;
}

function child(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** Smithy counts a string's length in Unicode code points. */
function codePoints(text: string): number {
  let surrogatePairs = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        surrogatePairs++;
        i++;
      }
    }
  }
  return text.length - surrogatePairs;
}

function lengthCheck(
  bounds: Bounds | undefined,
): ((n: number, path: string, errors: string[]) => void) | undefined {
  if (bounds === undefined) return undefined;
  const { min, max } = bounds;
  return (n, path, errors) => {
    if (min !== undefined && n < min) errors.push(`${at(path)}: length ${n} is below the minimum ${min}`);
    if (max !== undefined && n > max) errors.push(`${at(path)}: length ${n} is above the maximum ${max}`);
  };
}

function rangeCheck(
  bounds: Bounds | undefined,
): ((n: number, path: string, errors: string[]) => void) | undefined {
  if (bounds === undefined) return undefined;
  const { min, max } = bounds;
  return (n, path, errors) => {
    if (min !== undefined && n < min) errors.push(`${at(path)}: ${n} is below the minimum ${min}`);
    if (max !== undefined && n > max) errors.push(`${at(path)}: ${n} is above the maximum ${max}`);
  };
}

function compilePattern(pattern: string | undefined): RegExp | undefined {
  if (pattern === undefined) return undefined;
  try {
    return new RegExp(pattern, 'u');
  } catch {
    // The generator leaves such patterns out; one that slipped through is skipped the same way.
    return undefined;
  }
}

function typeError(path: string, expected: string, value: unknown): string {
  return `${at(path)}: expected ${expected}, got ${describeValue(value)}`;
}

/** One service's model, its shapes compiled to checks on first use. */
class CompiledModel {
  readonly #file: ModelFile;
  readonly #checks = new Map<string, Check>();

  constructor(file: ModelFile) {
    this.#file = file;
  }

  inputCheck(operation: string): Check | undefined {
    const input = Object.hasOwn(this.#file.operations, operation)
      ? this.#file.operations[operation]
      : undefined;
    return input === undefined ? undefined : this.#shape(input);
  }

  #shape(name: string): Check {
    const known = this.#checks.get(name);
    if (known !== undefined) return known;
    // Set before compiling, so a shape that reaches itself (DynamoDB's AttributeValue) finds it.
    this.#checks.set(name, (value, path, errors) => {
      (this.#checks.get(name) as Check)(value, path, errors);
    });
    const compiled = this.#compile(name, undefined);
    this.#checks.set(name, compiled);
    return compiled;
  }

  #member(member: ModelMember): { readonly check: Check; readonly required: boolean } {
    if (typeof member === 'string') return { check: this.#shape(member), required: false };
    const { target, required, length, range, pattern } = member;
    const overrides = length !== undefined || range !== undefined || pattern !== undefined;
    return {
      check: overrides ? this.#compile(target, { length, range, pattern }) : this.#shape(target),
      required: required === true,
    };
  }

  #definition(name: string): ModelShape {
    const shape = Object.hasOwn(this.#file.shapes, name) ? this.#file.shapes[name] : undefined;
    if (shape === undefined) throw new Error(`the ${this.#file.source.service} model has no shape ${name}`);
    return shape;
  }

  #compile(name: string, overrides: Constraints | undefined): Check {
    const shape = this.#definition(name);
    switch (shape.type) {
      case 'structure':
      case 'union':
        return this.#structure(name, shape.type === 'union', shape.members);
      case 'list': {
        const element = this.#member(shape.member).check;
        const length = lengthCheck(overrides?.length ?? shape.length);
        return (value, path, errors) => {
          if (!Array.isArray(value)) {
            errors.push(typeError(path, 'a list', value));
            return;
          }
          length?.(value.length, path, errors);
          for (let i = 0; i < value.length; i++) element(value[i], `${path}[${i}]`, errors);
        };
      }
      case 'map': {
        const key = this.#member(shape.key).check;
        const entry = this.#member(shape.value).check;
        const length = lengthCheck(overrides?.length ?? shape.length);
        return (value, path, errors) => {
          if (!isRecord(value)) {
            errors.push(typeError(path, 'a map', value));
            return;
          }
          const keys = Object.keys(value);
          length?.(keys.length, path, errors);
          for (const k of keys) {
            key(k, `${at(path)} key ${quote(k)}`, errors);
            entry(value[k], `${path}[${quote(k)}]`, errors);
          }
        };
      }
      default:
        return this.#scalar(shape.type, shape, {
          length: overrides?.length ?? shape.length,
          range: overrides?.range ?? shape.range,
          pattern: overrides?.pattern ?? shape.pattern,
        });
    }
  }

  #structure(name: string, union: boolean, definition: Readonly<Record<string, ModelMember>>): Check {
    const members = new Map<string, { readonly check: Check; readonly required: boolean }>();
    // Members compile on first use: compiling them here would recurse forever through a cycle.
    const memberOf = (memberName: string) => {
      let member = members.get(memberName);
      if (member === undefined && Object.hasOwn(definition, memberName)) {
        member = this.#member(definition[memberName] as ModelMember);
        members.set(memberName, member);
      }
      return member;
    };
    const required = Object.entries(definition)
      .filter(([, m]) => typeof m !== 'string' && m.required === true)
      .map(([memberName]) => memberName);
    return (value, path, errors) => {
      if (!isRecord(value)) {
        errors.push(typeError(path, union ? `a union (${name})` : `a structure (${name})`, value));
        return;
      }
      const set: string[] = [];
      for (const memberName of Object.keys(value)) {
        const member = memberOf(memberName);
        const memberPath = child(path, memberName);
        if (member === undefined) {
          errors.push(`${memberPath}: not a member of ${name}`);
          continue;
        }
        const memberValue = value[memberName];
        // The SDK sends neither undefined nor null: the member is absent.
        if (memberValue === undefined || memberValue === null) continue;
        set.push(memberName);
        member.check(memberValue, memberPath, errors);
      }
      for (const memberName of required) {
        if (value[memberName] === undefined || value[memberName] === null) {
          errors.push(`${child(path, memberName)}: required`);
        }
      }
      if (union && set.length !== 1) {
        errors.push(
          `${at(path)}: exactly one member of ${name} must be set, got ${set.length === 0 ? 'none' : `${set.length} (${set.join(', ')})`}`,
        );
      }
    };
  }

  #scalar(type: ScalarType, shape: { readonly enum?: readonly (string | number)[] }, c: Constraints): Check {
    const values = shape.enum === undefined ? undefined : new Set<unknown>(shape.enum);
    const valueList = shape.enum?.join(', ');
    const notInEnum = (value: string | number, path: string, errors: string[]) => {
      if (values !== undefined && !values.has(value)) {
        errors.push(
          `${at(path)}: ${typeof value === 'string' ? quote(value) : String(value)} is not one of ${valueList ?? ''}`,
        );
      }
    };
    const length = lengthCheck(c.length);
    const range = rangeCheck(c.range);
    const pattern = compilePattern(c.pattern);
    switch (type) {
      case 'string':
        return (value, path, errors) => {
          if (typeof value !== 'string') {
            errors.push(typeError(path, 'a string', value));
            return;
          }
          notInEnum(value, path, errors);
          length?.(codePoints(value), path, errors);
          if (pattern !== undefined && !pattern.test(value)) {
            errors.push(`${at(path)}: ${quote(value)} does not match the pattern ${c.pattern ?? ''}`);
          }
        };
      case 'byte':
      case 'short':
      case 'integer':
      case 'long': {
        const [lowest, highest] = INTEGER_LIMITS[type] as readonly [number, number];
        return (value, path, errors) => {
          if (typeof value !== 'number') {
            errors.push(typeError(path, `an integer (${type})`, value));
            return;
          }
          if (!Number.isInteger(value)) {
            errors.push(`${at(path)}: ${value} is not an integer`);
            return;
          }
          if (value < lowest || value > highest) {
            errors.push(`${at(path)}: ${value} is outside the range of a ${type}`);
            return;
          }
          notInEnum(value, path, errors);
          range?.(value, path, errors);
        };
      }
      case 'float':
      case 'double':
      case 'bigInteger':
      case 'bigDecimal':
        return (value, path, errors) => {
          if (typeof value !== 'number' && typeof value !== 'bigint') {
            errors.push(typeError(path, 'a number', value));
            return;
          }
          if (typeof value === 'number') range?.(value, path, errors);
        };
      case 'boolean':
        return (value, path, errors) => {
          if (typeof value !== 'boolean') errors.push(typeError(path, 'a boolean', value));
        };
      case 'timestamp':
        return (value, path, errors) => {
          if (toTag(value) !== '[object Date]') {
            errors.push(typeError(path, 'a timestamp (Date)', value));
          } else if (Number.isNaN((value as Date).getTime())) {
            errors.push(`${at(path)}: an invalid Date`);
          }
        };
      case 'blob':
        return (value, path, errors) => {
          if (typeof value === 'string') length?.(Buffer.byteLength(value, 'utf8'), path, errors);
          else if (toTag(value) === '[object Uint8Array]')
            length?.((value as Uint8Array).byteLength, path, errors);
          else errors.push(typeError(path, 'a blob (Uint8Array or string)', value));
        };
      case 'document':
        return () => undefined;
    }
  }
}

const SERVICES: ReadonlySet<string> = new Set(TWIN_SERVICES);
const models = new Map<TwinService, CompiledModel>();

function modelOf(service: TwinService): CompiledModel {
  let model = models.get(service);
  if (model === undefined) {
    if (!SERVICES.has(service)) throw new Error(`no API model for the service ${service}`);
    const file = JSON.parse(
      readFileSync(new URL(`./models/${service}.json`, import.meta.url), 'utf8'),
    ) as ModelFile;
    model = new CompiledModel(file);
    models.set(service, model);
  }
  return model;
}

function run(check: Check, input: unknown): string[] {
  const errors: string[] = [];
  check(input, '', errors);
  return errors;
}

/**
 * What AWS's API model finds wrong with `input` as the input of `service`'s `operation` (the SDK
 * command's name without `Command`): one message per violation, each naming the member's path.
 */
export function modelErrors(service: TwinService, operation: string, input: unknown): string[] {
  const check = modelOf(service).inputCheck(operation);
  if (check === undefined) return [`${service} has no operation ${operation} in its API model`];
  return run(check, input);
}

/**
 * The same check over a model file of one's own: the errors of `input`, or undefined when the
 * model has no such operation.
 */
export function modelChecker(file: ModelFile): (operation: string, input: unknown) => string[] | undefined {
  const model = new CompiledModel(file);
  return (operation, input) => {
    const check = model.inputCheck(operation);
    return check === undefined ? undefined : run(check, input);
  };
}
