import type { InvalidInputIssue } from '../errors.js';
import type { JsonValue } from '../json.js';

/** How deep a JSON value may nest before it is refused. */
export const MAX_JSON_DEPTH = 256;

/**
 * Why a string cannot be stored (a `\u0000` or a lone surrogate), or `null` when it can.
 * PostgreSQL cannot store either, so no store accepts them.
 */
export function badStringReason(value: string): string | null {
  if (value.includes('\u0000')) return 'contains \\u0000';
  if (!value.isWellFormed()) return 'contains a lone surrogate';
  return null;
}

/**
 * Checks that `value` is a JSON value (plain objects, arrays, strings, finite numbers, booleans,
 * null, no cycles) and returns a deep-frozen copy with `-0` written as `0`. Problems are pushed to
 * `issues` with their path; the returned value is then meaningless.
 */
export function copyJsonValue(value: unknown, path: string, issues: InvalidInputIssue[]): JsonValue {
  return copy(value, path, issues, new Set(), 0);
}

function copy(value: unknown, path: string, issues: InvalidInputIssue[], ancestors: Set<object>, depth: number): JsonValue {
  switch (typeof value) {
    case 'string': {
      const reason = badStringReason(value);
      if (reason !== null) issues.push({ path, message: `string ${reason}` });
      return value;
    }
    case 'number':
      if (!Number.isFinite(value)) issues.push({ path, message: `${value} is not a finite number` });
      return value === 0 ? 0 : value;
    case 'boolean':
      return value;
    case 'object':
      if (value === null) return null;
      return copyObject(value, path, issues, ancestors, depth);
    case 'undefined':
      issues.push({ path, message: 'undefined is not a JSON value' });
      return null;
    default:
      issues.push({ path, message: `a ${typeof value} is not a JSON value` });
      return null;
  }
}

function copyObject(
  value: object,
  path: string,
  issues: InvalidInputIssue[],
  ancestors: Set<object>,
  depth: number,
): JsonValue {
  if (ancestors.has(value)) {
    issues.push({ path, message: 'cycle: the value contains itself' });
    return null;
  }
  if (depth >= MAX_JSON_DEPTH) {
    issues.push({ path, message: `nested deeper than ${MAX_JSON_DEPTH} levels` });
    return null;
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const out: JsonValue[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) out[i] = copy(value[i], `${path}/${i}`, issues, ancestors, depth + 1);
      return Object.freeze(out) as JsonValue[];
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as { constructor?: { name?: unknown } }).constructor?.name;
      issues.push({ path, message: `a ${typeof kind === 'string' && kind ? kind : 'class instance'} is not a plain JSON object` });
      return null;
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      issues.push({ path, message: 'symbol keys are not JSON' });
    }
    const out: { [key: string]: JsonValue } = {};
    for (const key of Object.keys(value)) {
      const reason = badStringReason(key);
      if (reason !== null) issues.push({ path: `${path}/${key}`, message: `key ${reason}` });
      const item = copy((value as Record<string, unknown>)[key], `${path}/${key}`, issues, ancestors, depth + 1);
      if (key === '__proto__') Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
      else out[key] = item;
    }
    return Object.freeze(out);
  } finally {
    ancestors.delete(value);
  }
}
