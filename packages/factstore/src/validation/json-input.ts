import type { InvalidInputIssue } from '../errors.js';
import type { JsonValue } from '../json.js';
import { pathAt } from './issues.js';

/** How deep a JSON value may nest before it is refused. */
export const MAX_JSON_DEPTH = 256;

/**
 * Why a string cannot be stored (a `\u0000` or a lone surrogate), or `null` when it can.
 * PostgreSQL cannot store either, so no store accepts them.
 */
export function badStringReason(value: string): string | null {
  if (!value.isWellFormed()) return 'contains a lone surrogate';
  if (value.includes('\u0000')) return 'contains \\u0000';
  return null;
}

/** The sentence for a string that cannot be stored (see {@link badStringReason}), or `null` when it can. */
export function badStringMessage(value: string): string | null {
  const reason = badStringReason(value);
  return reason === null ? null : `must not contain \\u0000 or lone surrogates (it ${reason})`;
}

/**
 * Checks that `value` is a JSON value (plain objects, arrays, strings, finite numbers, booleans,
 * null, no cycles) and returns a deep-frozen copy with `-0` written as `0`. Problems are pushed to
 * `issues` with their path; the returned value is then meaningless.
 */
export function copyJsonValue(value: unknown, path: string, issues: InvalidInputIssue[]): JsonValue {
  const copier = new JsonCopier();
  const copy = copier.tryCopy(value);
  if (copy !== PROBLEM) return copy;
  copier.report(value, issues, path);
  return null;
}

/** Returned by {@link JsonCopier.tryCopy} when the value is not storable JSON. */
export const PROBLEM: unique symbol = Symbol('not storable JSON');

/**
 * Walks JSON values, copying and checking them. The fast walk ({@link JsonCopier.tryCopy}) keeps
 * no paths; only when it finds a problem does {@link JsonCopier.report} walk again to say where.
 */
export class JsonCopier {
  private readonly ancestors: object[] = [];
  private trail: (string | number)[] | null = null;
  private issues: InvalidInputIssue[] | null = null;

  /** A deep-frozen copy of `value`, or {@link PROBLEM} when it is not storable JSON. */
  tryCopy(value: unknown): JsonValue | typeof PROBLEM {
    try {
      return this.copy(value, 0);
    } catch (error) {
      if (error === PROBLEM) {
        this.ancestors.length = 0;
        return PROBLEM;
      }
      throw error;
    }
  }

  /** Walks `value` again and pushes every problem with its path (`path` and then the keys). */
  report(value: unknown, issues: InvalidInputIssue[], ...path: (string | number)[]): void {
    this.trail = path;
    this.issues = issues;
    try {
      this.copy(value, 0);
    } finally {
      this.trail = null;
      this.issues = null;
      this.ancestors.length = 0;
    }
  }

  private copy(value: unknown, depth: number): JsonValue {
    switch (typeof value) {
      case 'string': {
        const message = badStringMessage(value);
        if (message !== null) this.problem(message);
        return value;
      }
      case 'number':
        if (!Number.isFinite(value)) this.problem(`must be a finite number (got ${value})`);
        return value === 0 ? 0 : value;
      case 'boolean':
        return value;
      case 'object':
        if (value === null) return null;
        return this.copyObject(value, depth);
      case 'undefined':
        this.problem('must be a JSON value (got undefined)');
        return null;
      default:
        this.problem(`must be a JSON value (got a ${typeof value})`);
        return null;
    }
  }

  private copyObject(value: object, depth: number): JsonValue {
    if (this.ancestors.includes(value)) {
      this.problem('is a cycle: the value contains itself');
      return null;
    }
    if (depth >= MAX_JSON_DEPTH) {
      this.problem(`is nested deeper than ${MAX_JSON_DEPTH} levels`);
      return null;
    }
    const trail = this.trail;
    if (Array.isArray(value)) {
      this.ancestors.push(value);
      const out: JsonValue[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) {
        trail?.push(i);
        out[i] = this.copy(value[i], depth + 1);
        trail?.pop();
      }
      this.ancestors.pop();
      return Object.freeze(out) as JsonValue[];
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as { constructor?: { name?: unknown } }).constructor?.name;
      this.problem(`must be a plain JSON object (got a ${typeof kind === 'string' && kind ? kind : 'class instance'})`);
      return null;
    }
    if (Object.getOwnPropertySymbols(value).length > 0) this.problem('must not have symbol keys (they are not JSON)');
    this.ancestors.push(value);
    const out: { [key: string]: JsonValue } = {};
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      trail?.push(key);
      const reason = badStringReason(key);
      if (reason !== null) this.problem(`is a key that contains ${reason.slice('contains '.length)}, which cannot be stored`);
      const item = this.copy((value as Record<string, unknown>)[key], depth + 1);
      if (key === '__proto__') Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
      else out[key] = item;
      trail?.pop();
    }
    this.ancestors.pop();
    return Object.freeze(out);
  }

  /** In the fast walk: stop at once. In the reporting walk: note where, and go on. */
  private problem(message: string): void {
    if (this.issues === null || this.trail === null) throw PROBLEM;
    this.issues.push({
      path: this.trail.reduce<string>((path, segment, i) => (i === 0 ? String(segment) : pathAt(path, segment)), ''),
      message,
    });
  }
}
