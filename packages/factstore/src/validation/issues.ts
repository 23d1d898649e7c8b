import { Kind, type TSchema } from '@sinclair/typebox';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { InvalidInputIssue } from '../errors.js';

// The translation layer between TypeBox and the user: TypeBox's errors ("Expected string length
// greater or equal to 1", several for one field) become one plain sentence per path
// (`events[0].eventType: must be a non-empty string`), for every store.

/** How many schema problems one argument reports at most. */
export const MAX_REPORTED_ISSUES = 20;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * The path of `segment` inside `path`, written as JavaScript would reach it: `events[0]`,
 * `query.filters`, `payload["a b"]`.
 */
export function pathAt(path: string, segment: string | number): string {
  if (typeof segment === 'number') return `${path}[${segment}]`;
  if (IDENTIFIER.test(segment)) return path === '' ? segment : `${path}.${segment}`;
  return `${path}[${JSON.stringify(segment)}]`;
}

/**
 * The problems of one call, one per path: a second problem at a path that has one already is
 * dropped (TypeBox reports a missing key twice, as missing and as not a string).
 */
export class IssueList {
  private readonly byPath = new Map<string, InvalidInputIssue>();

  /** Whether no problem was found. */
  get empty(): boolean {
    return this.byPath.size === 0;
  }

  /** Whether a problem was found at `path`. */
  has(path: string): boolean {
    return this.byPath.has(path);
  }

  /** Notes a problem, unless `path` has one already. */
  add(path: string, message: string): this {
    if (!this.byPath.has(path)) this.byPath.set(path, { path, message });
    return this;
  }

  /** Every problem, in the order found. */
  list(): InvalidInputIssue[] {
    return [...this.byPath.values()];
  }
}

/**
 * Checks `value` with a compiled schema and adds one plain sentence per bad path under `path`,
 * at most {@link MAX_REPORTED_ISSUES}. `messages` replaces the sentence of a path (relative to
 * `path`, as a TypeBox pointer such as `/schema`). Returns whether the value passed.
 */
export function checkSchema(
  check: TypeCheck<TSchema>,
  value: unknown,
  path: string,
  issues: IssueList,
  messages: Readonly<Record<string, string>> = {},
): boolean {
  if (check.Check(value)) return true;
  const seen = new Set<string>();
  for (const error of check.Errors(value)) {
    if (seen.has(error.path)) continue;
    if (seen.size >= MAX_REPORTED_ISSUES) break;
    seen.add(error.path);
    issues.add(pointerPath(path, error.path, value), messages[error.path] ?? explain(error));
  }
  return false;
}

/** A TypeBox JSON pointer (`/0/eventType`) under `path`, with indexes where the value has arrays. */
function pointerPath(path: string, pointer: string, value: unknown): string {
  if (pointer === '') return path;
  let out = path;
  let at = value;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const index = Array.isArray(at) && /^(0|[1-9]\d*)$/.test(key) ? Number(key) : undefined;
    out = pathAt(out, index ?? key);
    at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
  }
  return out;
}

/** One plain sentence for one TypeBox error. */
export function explain(error: ValueError): string {
  const { schema, value } = error;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `is required (${expected(schema)})`;
    case ValueErrorType.ObjectAdditionalProperties: {
      const known = Object.keys((schema as { properties?: object }).properties ?? {});
      return known.length === 0 ? 'is not an accepted key (none are accepted)' : `is not an accepted key (accepted: ${known.join(', ')})`;
    }
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1
        ? 'must be a non-empty string'
        : `must be at least ${schema.minLength} characters long (got ${lengthOf(value)})`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${schema.maxLength} characters long (got ${lengthOf(value)})`;
    case ValueErrorType.StringPattern:
      return `must match ${schema.pattern} (got ${shown(value)})`;
    default:
      return `must be ${expected(schema)} (got ${shown(value)})`;
  }
}

/** What a schema accepts, as a noun phrase: "a non-empty string of at most 256 characters". */
export function expected(schema: TSchema): string {
  if (typeof schema.description === 'string') return schema.description;
  switch (schema.type) {
    case 'string':
      return expectedString(schema);
    case 'integer':
      return expectedNumber(schema, 'integer');
    case 'number':
      return expectedNumber(schema, 'number');
    case 'bigint':
      return expectedNumber(schema, 'bigint');
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'an array';
    case 'object':
      return 'a plain object';
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.anyOf !== undefined) {
    const variants = (schema.anyOf as TSchema[]).map(expected);
    if ((schema.anyOf as TSchema[]).every((v) => v.const !== undefined)) return `one of ${variants.join(', ')}`;
    return variants.join(' or ');
  }
  if ((schema as { [Kind]?: unknown })[Kind] === 'Function') return 'a function';
  return 'a valid value';
}

function expectedString(schema: TSchema): string {
  const min = schema.minLength as number | undefined;
  const max = schema.maxLength as number | undefined;
  if (min === 1 && max !== undefined) return `a non-empty string of at most ${max} characters`;
  if (min === 1) return 'a non-empty string';
  if (min !== undefined && max !== undefined) return `a string of ${min} to ${max} characters`;
  if (max !== undefined) return `a string of at most ${max} characters`;
  return 'a string';
}

function expectedNumber(schema: TSchema, kind: 'integer' | 'number' | 'bigint'): string {
  const min = schema.minimum as number | bigint | undefined;
  const max = (schema.maximum as number | bigint | undefined) ?? (schema.exclusiveMaximum as number | bigint | undefined);
  const noun = kind === 'integer' && max === Number.MAX_SAFE_INTEGER ? 'safe integer' : kind;
  const article = noun === 'integer' ? 'an' : 'a';
  const above = schema.exclusiveMinimum as number | bigint | undefined;
  if (above !== undefined && min === undefined) {
    const floor = above === 0 || above === 0n ? `a positive ${noun}` : `${article} ${noun} greater than ${above}`;
    return max === undefined ? floor : `${floor} and ${schema.maximum === undefined ? `below ${max}` : `at most ${max}`}`;
  }
  if (max === undefined || max === Number.MAX_SAFE_INTEGER) {
    if (min === 0 || min === 0n) return `a non-negative ${noun}`;
    if (min === 1 || min === 1n) return `a positive ${noun}`;
    return min === undefined ? `${article} ${noun}` : `${article} ${noun} of at least ${min}`;
  }
  const top = schema.maximum === undefined ? `below ${max}` : `at most ${max}`;
  return min === undefined ? `${article} ${noun} ${top}` : `${article} ${noun} from ${min} to ${schema.maximum ?? `${max} (exclusive)`}`;
}

function lengthOf(value: unknown): string {
  return typeof value === 'string' ? `${value.length}` : shown(value);
}

/** A short description of a given value, for "(got …)": numbers and short strings as they are. */
export function shown(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'string':
      return value.length <= 40 ? JSON.stringify(value) : `a string of ${value.length} characters`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return 'an object';
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'a class instance';
}
