import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { InvalidInputError, type InvalidInputIssue } from '../errors.js';
import { AppendOptions, newEventSchema } from '../event.js';
import type { JsonValue } from '../json.js';
import {
  DEFAULT_PAGE_SIZE,
  eventQuerySchema,
  IterateOptions,
  MAX_FILTERS,
  MAX_QUERY_TERMS,
  PositionInput,
  type QueryDirection,
} from '../query.js';
import { DEFAULT_WAIT_TIMEOUT_MS, DurableStreamName, type StreamHandler, StreamOptions, WaitForDurableOptions } from '../stream.js';
import { badStringMessage, copyJsonValue, JsonCopier, PROBLEM } from './json-input.js';
import { checkSchema, IssueList, pathAt, shown } from './issues.js';

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
const jsonSlot = () => Type.Unknown({ description: 'a JSON value' });
const eventCheck = lazy(() => newEventSchema(jsonSlot()));
const eventsCheck = lazy(() => Type.Array(newEventSchema(jsonSlot())));
const queryCheck = lazy(() => eventQuerySchema(jsonSlot()));
const positionCheck = lazy(() => PositionInput);
const nameCheck = lazy(() => DurableStreamName);

/**
 * Validates the events of `append`/`appendIf` and returns frozen copies.
 * @throws {@link InvalidInputError} listing every problem of every event, one per path.
 */
export function validateEvents(events: unknown, path = 'events'): ValidEvent[] {
  const issues = new IssueList();
  if (!Array.isArray(events)) fail(issues.add(path, `must be an array of events (got ${shown(events)})`));
  const given: unknown[] = events;
  // slow path: event by event, so that the problems come in the order of the events; keys whose
  // value is undefined are dropped first (they count as absent)
  const slow = !eventsCheck().Check(given);
  const out: ValidEvent[] = new Array(given.length);
  const copier = new JsonCopier();
  for (let i = 0; i < given.length; i++) {
    let event = given[i] as { eventType?: unknown; payload?: unknown };
    if (slow) {
      event = cleanEnvelope(event, pathAt(path, i), issues) as typeof event;
      checkSchema(eventCheck(), event, pathAt(path, i), issues);
    }
    // the checks TypeBox cannot make run on every event that has the fields, so that one call
    // reports every problem of every event
    if (!isRecord(event)) continue;
    const proto: unknown = Object.getPrototypeOf(event);
    if (proto !== Object.prototype && proto !== null) issues.add(pathAt(path, i), `must be a plain object (got ${shown(event)})`);
    const badType = typeof event.eventType === 'string' ? badStringMessage(event.eventType) : null;
    if (badType !== null) issues.add(pathAt(pathAt(path, i), 'eventType'), badType);
    let payload = event.payload === undefined ? PROBLEM : copier.tryCopy(event.payload);
    if (payload === PROBLEM) {
      // an undefined payload counts as absent (the schema check may have said so already)
      if (event.payload === undefined) issues.add(pathAt(pathAt(path, i), 'payload'), 'is required (a JSON value)');
      else reportJson(issues, (found) => copier.report(event.payload, found, path, i, 'payload'));
      payload = null;
    }
    out[i] = Object.freeze({ eventType: event.eventType as string, payload });
  }
  if (!issues.empty) fail(issues);
  return out;
}

/**
 * Validates a query (or an `appendIf` context, or a stream query).
 * @throws {@link InvalidInputError} listing every problem found, one per path.
 */
export function validateQuery(query: unknown, path = 'query'): ValidQuery {
  const issues = new IssueList();
  if (query === undefined) fail(issues.add(path, 'is required (write {} for every event)'));
  const cleaned = cleanEnvelope(query, path, issues);
  const filtersIn = (cleaned as { filters?: unknown } | undefined)?.filters;
  const filters = Array.isArray(filtersIn)
    ? filtersIn.map((filter, i) => cleanEnvelope(filter, pathAt(pathAt(path, 'filters'), i), issues))
    : filtersIn;
  const candidate = isRecord(cleaned) && filters !== undefined ? { ...cleaned, filters } : cleaned;
  checkSchema(queryCheck(), candidate, path, issues);
  const q = candidate as Omit<ValidQuery, 'filters' | 'minSequenceNumber' | 'beforeSequenceNumber'> & {
    filters?: unknown;
    minSequenceNumber?: bigint | number;
    beforeSequenceNumber?: bigint | number;
  };
  const out: { -readonly [K in keyof ValidQuery]: ValidQuery[K] } = {};
  if (Array.isArray(q?.filters)) {
    out.filters = q.filters.map((filter: unknown, i) => validFilter(filter, pathAt(pathAt(path, 'filters'), i), issues));
  }
  if (issues.empty && out.filters) checkSize(out.filters, pathAt(path, 'filters'), issues);
  if (!issues.empty) fail(issues);
  if (q.minSequenceNumber !== undefined) out.minSequenceNumber = BigInt(q.minSequenceNumber);
  if (q.beforeSequenceNumber !== undefined) out.beforeSequenceNumber = BigInt(q.beforeSequenceNumber);
  if (q.limit !== undefined) out.limit = q.limit;
  if (q.direction !== undefined) out.direction = q.direction;
  return Object.freeze(out);
}

/** Refuses a query past {@link MAX_FILTERS} or {@link MAX_QUERY_TERMS}, naming the limit. */
function checkSize(filters: readonly ValidFilter[], path: string, issues: IssueList): void {
  if (filters.length > MAX_FILTERS) {
    issues.add(path, `must have at most ${MAX_FILTERS} filters (got ${filters.length}): split the query into several`);
    return;
  }
  let terms = 0;
  for (const filter of filters) terms += (filter.eventTypes?.length ?? 0) + (filter.payloadPredicates?.length ?? 0);
  if (terms > MAX_QUERY_TERMS) {
    issues.add(
      path,
      `must name at most ${MAX_QUERY_TERMS} event types and payload predicates in all (got ${terms}): split the query into several`,
    );
  }
}

/**
 * Validates a position given as input (`waitForDurable`'s): a non-negative `bigint` (at most
 * 2^63 − 1) or safe-integer `number`, like `minSequenceNumber`.
 */
export function validatePosition(position: unknown, path = 'position'): bigint {
  const issues = new IssueList();
  if (position === undefined) fail(issues.add(path, 'is required'));
  checkSchema(positionCheck(), position, path, issues);
  if (!issues.empty) fail(issues);
  return BigInt(position as bigint | number);
}

/**
 * Validates the options of `iterate`.
 * @returns the page size (default `DEFAULT_PAGE_SIZE`)
 */
export function validateIterateOptions(options: unknown): number {
  const issues = new IssueList();
  const { pageSize } = optionsIn<IterateOptions>(IterateOptions, options, issues, { '/pageSize': 'must be a positive safe integer' });
  if (!issues.empty) fail(issues);
  return pageSize ?? DEFAULT_PAGE_SIZE;
}

/** Validated options of `waitForDurable`. */
export interface ValidWaitOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

/** Validates the options of `waitForDurable` (`timeoutMs` default `DEFAULT_WAIT_TIMEOUT_MS`). */
export function validateWaitOptions(options: unknown): ValidWaitOptions {
  const issues = new IssueList();
  const { timeoutMs, signal } = optionsIn<WaitForDurableOptions>(WaitForDurableOptions, options, issues, {
    '/timeoutMs': 'must be a non-negative safe integer',
  });
  if (issues.empty && signal !== undefined && !(signal instanceof AbortSignal)) issues.add('options.signal', 'must be an AbortSignal');
  if (!issues.empty) fail(issues);
  return { timeoutMs: timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS, signal };
}

/**
 * Validates an expected context version: `null`, or a non-negative `bigint` (at most 2^63 − 1)
 * or safe-integer `number`.
 */
export function validateExpectedVersion(version: unknown, path = 'expectedContextVersion'): bigint | null {
  if (version === null) return null;
  const issues = new IssueList();
  if (version === undefined) fail(issues.add(path, 'is required (write null for "no matching event")'));
  if (!checkSchema(positionCheck(), version, path, issues)) fail(issues);
  return BigInt(version as bigint | number);
}

/**
 * Validates the options of `append`/`appendIf`.
 * @returns the idempotency key, or undefined
 * @throws {@link InvalidInputError} for unknown keys or a bad key
 */
export function validateAppendOptions(options: unknown): string | undefined {
  const issues = new IssueList();
  const key = optionsIn<AppendOptions>(AppendOptions, options, issues).idempotencyKey;
  if (typeof key === 'string') checkString(key, 'options.idempotencyKey', issues);
  if (!issues.empty) fail(issues);
  return key;
}

/** Validates a durable stream name: a non-empty string of at most 200 characters. */
export function validateDurableName(name: unknown, path = 'name'): string {
  const issues = new IssueList();
  if (checkSchema(nameCheck(), name, path, issues)) checkString(name as string, path, issues);
  if (!issues.empty) fail(issues);
  return name as string;
}

/** Validates a stream handler and its options. */
export function validateHandler(handler: unknown, options: unknown, path = 'handler'): ValidHandler {
  const issues = new IssueList();
  if (typeof handler !== 'function') issues.add(path, `must be a function (got ${shown(handler)})`);
  const onError = optionsIn<StreamOptions>(StreamOptions, options, issues).onError;
  if (!issues.empty) fail(issues);
  return { handler: handler as StreamHandler, onError };
}

/**
 * Runs the validations of one call's arguments and returns their results in order; when any of
 * them fails, throws one {@link InvalidInputError} with the problems of all of them, so that a
 * call reports every problem at once (`append(events, options)`: those of the events and of the
 * options).
 */
export function validateAll<const T extends readonly (() => unknown)[]>(...checks: T): { -readonly [K in keyof T]: ReturnType<T[K]> } {
  const results: unknown[] = [];
  const issues: InvalidInputIssue[] = [];
  for (const check of checks) {
    try {
      results.push(check());
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new InvalidInputError(issues);
  return results as { -readonly [K in keyof T]: ReturnType<T[K]> };
}

/** The options schema of a store that takes none: any key is refused by name. */
export const NoOptions = Type.Object({}, { additionalProperties: false });

const compiledOptions = new WeakMap<TSchema, TypeCheck<TSchema>>();

/**
 * Checks an options object against its TypeBox schema, for stores' `open`/`connect` options:
 * `undefined` counts as `{}`, keys whose value is `undefined` as absent, and anything but a plain
 * object is refused; a key the schema does not have is refused by name (schemas are closed with
 * `additionalProperties: false`). Problems are pushed to `issues` (paths under `options`, such as
 * `options.leaseMs`), one plain sentence each, or the sentence of `messages[pointer]` where one is
 * given (`pointer` as TypeBox writes it, e.g. `/schema`). Returns the cleaned options.
 */
export function checkOptions<T>(
  schema: TSchema,
  options: unknown,
  issues: InvalidInputIssue[],
  messages: Readonly<Record<string, string>> = {},
): T {
  const found = new IssueList();
  const cleaned = optionsIn<T>(schema, options, found, messages);
  issues.push(...found.list());
  return cleaned;
}

function optionsIn<T>(schema: TSchema, options: unknown, issues: IssueList, messages: Readonly<Record<string, string>> = {}): T {
  let check = compiledOptions.get(schema);
  if (!check) compiledOptions.set(schema, (check = TypeCompiler.Compile(schema)));
  const cleaned = cleanEnvelope(options === undefined ? {} : options, 'options', issues);
  checkSchema(check, cleaned, 'options', issues, messages);
  return (isRecord(cleaned) ? cleaned : {}) as T;
}

function validFilter(filter: unknown, path: string, issues: IssueList): ValidFilter {
  const out: { eventTypes?: string[]; payloadPredicates?: JsonValue[] } = {};
  if (!isRecord(filter)) return out;
  const types = filter.eventTypes;
  if (Array.isArray(types)) {
    types.forEach((type, i) => {
      if (typeof type === 'string') checkString(type, pathAt(pathAt(path, 'eventTypes'), i), issues);
    });
    out.eventTypes = Object.freeze([...types]) as string[];
  }
  const predicates = filter.payloadPredicates;
  if (Array.isArray(predicates)) {
    const at = pathAt(path, 'payloadPredicates');
    out.payloadPredicates = Object.freeze(
      predicates.map((p, i) => reportJson(issues, (found) => copyJsonValue(p, pathAt(at, i), found))),
    ) as JsonValue[];
  }
  return Object.freeze(out);
}

/** Runs a JSON walk that pushes to an array, and notes what it found in `issues`. */
function reportJson<T>(issues: IssueList, walk: (found: InvalidInputIssue[]) => T): T {
  const found: InvalidInputIssue[] = [];
  const result = walk(found);
  for (const issue of found) issues.add(issue.path, issue.message);
  return result;
}

/** Plain objects lose their `undefined`-valued keys; anything else is left for the schema check. */
function cleanEnvelope(value: unknown, path: string, issues: IssueList): unknown {
  if (!isRecord(value)) return value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    issues.add(path, `must be a plain object (got ${shown(value)})`);
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

function checkString(value: string, path: string, issues: IssueList): void {
  const message = badStringMessage(value);
  if (message !== null) issues.add(path, message);
}

function fail(issues: IssueList): never {
  throw new InvalidInputError(issues.list());
}

function lazy(schema: () => TSchema): () => TypeCheck<TSchema> {
  let compiled: TypeCheck<TSchema> | undefined;
  return () => (compiled ??= TypeCompiler.Compile(schema()));
}
