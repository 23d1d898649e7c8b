import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { InvalidInputError, type InvalidInputIssue } from '../errors.js';
import { AppendOptions, newEventSchema } from '../event.js';
import type { JsonValue } from '../json.js';
import { DEFAULT_PAGE_SIZE, eventQuerySchema, IterateOptions, PositionInput, type QueryDirection } from '../query.js';
import { DEFAULT_WAIT_TIMEOUT_MS, DurableStreamName, type StreamHandler, StreamOptions, WaitForDurableOptions } from '../stream.js';
import { badStringReason, copyJsonValue, JsonCopier, PROBLEM } from './json-input.js';

/** A validated event: a frozen copy of what the caller gave. */
export interface ValidEvent {
  readonly eventType: string;
  readonly payload: JsonValue;
}

/** A validated filter: absent lists stay absent; predicates are frozen copies. */
export interface ValidFilter {
  readonly eventTypes?: readonly string[];
  readonly payloadPredicates?: readonly JsonValue[];
}

/** A validated query: positions as `bigint`, absent keys absent. */
export interface ValidQuery {
  readonly filters?: readonly ValidFilter[];
  readonly minSequenceNumber?: bigint;
  readonly beforeSequenceNumber?: bigint;
  readonly limit?: number;
  readonly direction?: QueryDirection;
}

/** A validated handler and its options. */
export interface ValidHandler {
  readonly handler: StreamHandler;
  readonly onError: StreamOptions['onError'];
}

// The envelopes are checked by TypeBox; JSON values inside them by copyJsonValue (TypeBox cannot
// see cycles or class instances), so their schema slot is Unknown here.
const eventsCheck = lazy(() => Type.Array(newEventSchema(Type.Unknown())));
const queryCheck = lazy(() => eventQuerySchema(Type.Unknown()));
const positionCheck = lazy(() => PositionInput);
const nameCheck = lazy(() => DurableStreamName);

/**
 * Validates the events of `append`/`appendIf` and returns frozen copies.
 * @throws {@link InvalidInputError} listing every problem found.
 */
export function validateEvents(events: unknown, path = 'events'): ValidEvent[] {
  const issues: InvalidInputIssue[] = [];
  if (!Array.isArray(events)) fail([{ path, message: 'must be an array of events' }]);
  const given: unknown[] = events;
  let checked = given;
  if (!eventsCheck().Check(given)) {
    // slow path: drop undefined-valued keys (they count as absent), then report what is left
    checked = (given as unknown[]).map((event, i) => cleanEnvelope(event, `${path}/${i}`, issues));
    typeCheck(eventsCheck(), checked, path, issues);
    if (issues.length > 0) fail(issues);
  }
  const out: ValidEvent[] = new Array(checked.length);
  const copier = new JsonCopier();
  for (let i = 0; i < checked.length; i++) {
    const event = checked[i] as { eventType: string; payload: unknown };
    const proto: unknown = Object.getPrototypeOf(event);
    if (proto !== Object.prototype && proto !== null) issues.push({ path: `${path}/${i}`, message: 'must be a plain object' });
    const reason = badStringReason(event.eventType);
    if (reason !== null) issues.push({ path: `${path}/${i}/eventType`, message: `string ${reason}` });
    let payload = copier.tryCopy(event.payload);
    if (payload === PROBLEM) {
      copier.report(event.payload, issues, path, i, 'payload');
      payload = null;
    }
    out[i] = Object.freeze({ eventType: event.eventType, payload });
  }
  if (issues.length > 0) fail(issues);
  return out;
}

/**
 * Validates a query (or an `appendIf` context, or a stream query).
 * @throws {@link InvalidInputError} listing every problem found.
 */
export function validateQuery(query: unknown, path = 'query'): ValidQuery {
  const issues: InvalidInputIssue[] = [];
  if (query === undefined) fail([{ path, message: 'is required (write {} for every event)' }]);
  const cleaned = cleanEnvelope(query, path, issues);
  const filtersIn = (cleaned as { filters?: unknown } | undefined)?.filters;
  const filters = Array.isArray(filtersIn)
    ? filtersIn.map((filter, i) => cleanEnvelope(filter, `${path}/filters/${i}`, issues))
    : filtersIn;
  const candidate = isRecord(cleaned) && filters !== undefined ? { ...cleaned, filters } : cleaned;
  typeCheck(queryCheck(), candidate, path, issues);
  if (issues.length > 0) fail(issues);
  const q = candidate as Omit<ValidQuery, 'filters' | 'minSequenceNumber' | 'beforeSequenceNumber'> & {
    filters?: Record<string, unknown>[];
    minSequenceNumber?: bigint | number;
    beforeSequenceNumber?: bigint | number;
  };
  const out: { -readonly [K in keyof ValidQuery]: ValidQuery[K] } = {};
  if (q.filters !== undefined) {
    out.filters = q.filters.map((filter, i) => validFilter(filter, `${path}/filters/${i}`, issues));
  }
  if (q.minSequenceNumber !== undefined) out.minSequenceNumber = BigInt(q.minSequenceNumber);
  if (q.beforeSequenceNumber !== undefined) out.beforeSequenceNumber = BigInt(q.beforeSequenceNumber);
  if (q.limit !== undefined) out.limit = q.limit;
  if (q.direction !== undefined) out.direction = q.direction;
  if (issues.length > 0) fail(issues);
  return Object.freeze(out);
}

/**
 * Validates an expected context version: `null`, or a non-negative `bigint` (at most 2^63 − 1)
 * or safe-integer `number`.
 */
export function validateExpectedVersion(version: unknown, path = 'expectedContextVersion'): bigint | null {
  if (version === null) return null;
  if (version === undefined) fail([{ path, message: 'is required (write null for "no matching event")' }]);
  const issues: InvalidInputIssue[] = [];
  typeCheck(positionCheck(), version, path, issues);
  if (issues.length > 0) fail(issues);
  return BigInt(version as bigint | number);
}

/**
 * Validates a position given as input (`waitForDurable`'s): a non-negative `bigint` (at most
 * 2^63 − 1) or safe-integer `number`, like `minSequenceNumber`.
 */
export function validatePosition(position: unknown, path = 'position'): bigint {
  const issues: InvalidInputIssue[] = [];
  if (position === undefined) fail([{ path, message: 'is required' }]);
  typeCheck(positionCheck(), position, path, issues);
  if (issues.length > 0) fail(issues);
  return BigInt(position as bigint | number);
}

/**
 * Validates the options of `iterate`.
 * @returns the page size (default `DEFAULT_PAGE_SIZE`)
 */
export function validateIterateOptions(options: unknown): number {
  const issues: InvalidInputIssue[] = [];
  const { pageSize } = checkOptions<IterateOptions>(IterateOptions, options, issues, {
    '/pageSize': 'must be a positive safe integer',
  });
  if (issues.length > 0) fail(issues);
  return pageSize ?? DEFAULT_PAGE_SIZE;
}

/** Validated options of `waitForDurable`. */
export interface ValidWaitOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

/** Validates the options of `waitForDurable` (`timeoutMs` default `DEFAULT_WAIT_TIMEOUT_MS`). */
export function validateWaitOptions(options: unknown): ValidWaitOptions {
  const issues: InvalidInputIssue[] = [];
  const { timeoutMs, signal } = checkOptions<WaitForDurableOptions>(WaitForDurableOptions, options, issues, {
    '/timeoutMs': 'must be a non-negative safe integer',
  });
  if (issues.length === 0 && signal !== undefined && !(signal instanceof AbortSignal)) {
    issues.push({ path: 'options/signal', message: 'must be an AbortSignal' });
  }
  if (issues.length > 0) fail(issues);
  return { timeoutMs: timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS, signal };
}

/**
 * Validates the options of `append`/`appendIf`.
 * @returns the idempotency key, or undefined
 * @throws {@link InvalidInputError} for unknown keys or a bad key
 */
export function validateAppendOptions(options: unknown): string | undefined {
  const issues: InvalidInputIssue[] = [];
  const key = checkOptions<AppendOptions>(AppendOptions, options, issues, {
    '/idempotencyKey': 'must be a string of 1 to 200 characters',
  }).idempotencyKey;
  if (issues.length === 0 && key !== undefined) {
    const reason = badStringReason(key);
    if (reason !== null) issues.push({ path: 'options/idempotencyKey', message: `string ${reason}` });
  }
  if (issues.length > 0) fail(issues);
  return key;
}

/** Validates a durable stream name: a non-empty string of at most 200 characters. */
export function validateDurableName(name: unknown, path = 'name'): string {
  const issues: InvalidInputIssue[] = [];
  typeCheck(nameCheck(), name, path, issues);
  if (issues.length === 0) checkString(name as string, path, issues);
  if (issues.length > 0) fail(issues);
  return name as string;
}

/** Validates a stream handler and its options. */
export function validateHandler(handler: unknown, options: unknown, path = 'handler'): ValidHandler {
  const issues: InvalidInputIssue[] = [];
  if (typeof handler !== 'function') issues.push({ path, message: 'must be a function' });
  const onError = checkOptions<StreamOptions>(StreamOptions, options, issues).onError;
  if (issues.length > 0) fail(issues);
  return { handler: handler as StreamHandler, onError };
}

const compiledOptions = new WeakMap<TSchema, TypeCheck<TSchema>>();

/**
 * Checks an options object against its TypeBox schema, for stores' `open`/`connect` options:
 * `undefined` counts as `{}`, keys whose value is `undefined` as absent, and anything but a plain
 * object is refused. Problems are pushed to `issues` (paths under `options`), with the message of
 * `messages[path]` where one is given. Returns the cleaned options.
 */
export function checkOptions<T>(
  schema: TSchema,
  options: unknown,
  issues: InvalidInputIssue[],
  messages: Readonly<Record<string, string>> = {},
): T {
  let check = compiledOptions.get(schema);
  if (!check) compiledOptions.set(schema, (check = TypeCompiler.Compile(schema)));
  const found: InvalidInputIssue[] = [];
  const cleaned = cleanEnvelope(options === undefined ? {} : options, 'options', found);
  typeCheck(check, cleaned, 'options', found);
  for (const issue of found) issues.push({ path: issue.path, message: messages[issue.path.slice('options'.length)] ?? issue.message });
  return cleaned as T;
}

function validFilter(filter: Record<string, unknown>, path: string, issues: InvalidInputIssue[]): ValidFilter {
  const out: { eventTypes?: string[]; payloadPredicates?: JsonValue[] } = {};
  const types = filter.eventTypes as string[] | undefined;
  if (types !== undefined) {
    types.forEach((type, i) => checkString(type, `${path}/eventTypes/${i}`, issues));
    out.eventTypes = Object.freeze([...types]) as string[];
  }
  const predicates = filter.payloadPredicates as unknown[] | undefined;
  if (predicates !== undefined) {
    out.payloadPredicates = Object.freeze(
      predicates.map((p, i) => copyJsonValue(p, `${path}/payloadPredicates/${i}`, issues)),
    ) as JsonValue[];
  }
  return Object.freeze(out);
}

/** Plain objects lose their `undefined`-valued keys; anything else is left for the schema check. */
function cleanEnvelope(value: unknown, path: string, issues: InvalidInputIssue[]): unknown {
  if (!isRecord(value)) return value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    issues.push({ path, message: 'must be a plain object' });
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (item !== undefined) out[key] = item;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkString(value: string, path: string, issues: InvalidInputIssue[]): void {
  const reason = badStringReason(value);
  if (reason !== null) issues.push({ path, message: `string ${reason}` });
}

const MAX_REPORTED_ISSUES = 20;

function typeCheck(check: TypeCheck<TSchema>, value: unknown, path: string, issues: InvalidInputIssue[]): void {
  if (issues.length > 0 || check.Check(value)) return;
  for (const error of check.Errors(value)) {
    issues.push({ path: `${path}${error.path}`, message: explain(error.message, error.path) });
    if (issues.length >= MAX_REPORTED_ISSUES) break;
  }
}

function explain(message: string, at: string): string {
  if (/\/(minSequenceNumber|beforeSequenceNumber)$/.test(at) || at === '') {
    if (message === 'Expected union value') return 'must be a non-negative bigint (at most 2^63 - 1) or safe-integer number';
  }
  if (/\/direction$/.test(at) && message === 'Expected union value') return "must be 'forward' or 'backward'";
  if (message === 'Unexpected property') return 'unknown key (only the documented keys are accepted)';
  return message;
}

function fail(issues: InvalidInputIssue[]): never {
  throw new InvalidInputError(issues);
}

function lazy(schema: () => TSchema): () => TypeCheck<TSchema> {
  let compiled: TypeCheck<TSchema> | undefined;
  return () => (compiled ??= TypeCompiler.Compile(schema()));
}
