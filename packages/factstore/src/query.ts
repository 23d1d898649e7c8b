import { Type, type TSchema } from '@sinclair/typebox';
import { EventRecord, EventType } from './event.js';
import { JsonValue } from './json.js';

/** The highest position any store can hold: 2^63 − 1 (PostgreSQL's `bigint`). */
export const MAX_POSITION = 2n ** 63n - 1n;

/**
 * The most filters one query (or `appendIf` context, or stream query) may have: every store
 * answers a query in one statement, and SQLite's expression depth ends a little below 1000 ORed
 * filters. A larger query is refused with `INVALID_INPUT`; split it into several queries.
 */
export const MAX_FILTERS = 512;

/**
 * The most terms one query may name in all: its filters' event types plus their payload
 * predicates, summed over the filters. It keeps every statement well inside the databases' limits
 * on bound parameters (SQLite 32,766; PostgreSQL 65,535). A larger query is refused with
 * `INVALID_INPUT`.
 */
export const MAX_QUERY_TERMS = 8192;

/**
 * One filter: event type AND payload. Inside a list, entries are alternatives (OR).
 * An absent list means "no constraint"; an empty list matches nothing.
 */
export interface EventFilter {
  /** Event types to accept (exact, case-sensitive, OR). Absent: any type. `[]`: nothing. */
  eventTypes?: readonly string[];
  /** Payload subset predicates (OR). Absent: any payload. `[]`: nothing. */
  payloadPredicates?: readonly JsonValue[];
}

/** Builds the {@link EventFilter} schema around a predicate schema. */
export function eventFilterSchema(predicate: TSchema) {
  return Type.Object(
    {
      eventTypes: Type.Optional(Type.Array(EventType)),
      payloadPredicates: Type.Optional(Type.Array(predicate)),
    },
    { additionalProperties: false },
  );
}

/** TypeBox schema of {@link EventFilter}. */
export const EventFilter = eventFilterSchema(JsonValue);

/** A position or version given as input: a non-negative `bigint` or safe-integer `number`. */
export const PositionInput = Type.Union(
  [
    // exclusiveMaximum 2^63 rather than maximum 2^63 - 1: TypeBox's compiler writes the bound as a
    // number literal, and 2^63 - 1 is not exactly representable as a number while 2^63 is.
    Type.BigInt({ minimum: 0n, exclusiveMaximum: MAX_POSITION + 1n }),
    Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  ],
  { description: 'a non-negative integer (a safe-integer number, or a bigint of at most 2^63 - 1)' },
);

/** The order in which `query` returns records: `'forward'` (ascending, the default) or `'backward'` (newest first). */
export type QueryDirection = 'forward' | 'backward';

/** TypeBox schema of {@link QueryDirection}. */
export const QueryDirection = Type.Union([Type.Literal('forward'), Type.Literal('backward')]);

/**
 * What to read: filters (OR), an exclusive range of positions, a direction and a maximum count.
 * The cursor fields (`minSequenceNumber`, `beforeSequenceNumber`), `limit` and `direction` choose
 * which matching records are returned; they never change the context version, and stream queries
 * and `appendIf` contexts ignore them (after checking them).
 *
 * @example
 * ```ts
 * // the newest 10 events of account a1, newest first
 * const newest: EventQuery = { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }], direction: 'backward', limit: 10 };
 * ```
 */
export interface EventQuery {
  /** Absent or `[]`: every event. Otherwise an event matches when any filter matches. */
  filters?: readonly EventFilter[];
  /** Return only events after this position (exclusive). Does not change the context version. */
  minSequenceNumber?: bigint | number;
  /**
   * Return only events before this position (exclusive): with `direction: 'backward'`, pass the
   * previous page's `lastReturnedSequenceNumber` to read the next older page. Same rules as
   * `minSequenceNumber` (non-negative, at most 2^63 − 1). Does not change the context version.
   */
  beforeSequenceNumber?: bigint | number;
  /**
   * Return at most this many events (a positive integer): the oldest ones going forward, the
   * newest ones going backward. Does not change the context version.
   */
  limit?: number;
  /** `'forward'` (default): ascending. `'backward'`: newest first. Does not change the context version. */
  direction?: QueryDirection;
}

/** Builds the {@link EventQuery} schema around a predicate schema. */
export function eventQuerySchema(predicate: TSchema) {
  return Type.Object(
    {
      filters: Type.Optional(Type.Array(eventFilterSchema(predicate))),
      minSequenceNumber: Type.Optional(PositionInput),
      beforeSequenceNumber: Type.Optional(PositionInput),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
      direction: Type.Optional(QueryDirection),
    },
    { additionalProperties: false },
  );
}

/** TypeBox schema of {@link EventQuery}. */
export const EventQuery = eventQuerySchema(JsonValue);

/** What `query` returns. */
export interface QueryResult {
  /**
   * The matching events after `minSequenceNumber` and before `beforeSequenceNumber`, in the
   * query's direction (ascending unless `direction: 'backward'`), at most `limit` of them.
   */
  eventRecords: EventRecord[];
  /**
   * The position of the last returned record in the returned order (going backward: the oldest
   * returned); `null` when none was returned.
   */
  lastReturnedSequenceNumber: bigint | null;
  /**
   * The highest position of every event matching the filters, ignoring `minSequenceNumber`,
   * `beforeSequenceNumber`, `limit` and `direction`; `null` when nothing matches. Pass it to
   * `appendIf` as the expected version.
   */
  currentContextVersion: bigint | null;
}

/** TypeBox schema of {@link QueryResult}. */
export const QueryResult = Type.Object({
  eventRecords: Type.Array(EventRecord),
  lastReturnedSequenceNumber: Type.Union([Type.BigInt(), Type.Null()]),
  currentContextVersion: Type.Union([Type.BigInt(), Type.Null()]),
});

/** The page size `iterate` uses when none is given. */
export const DEFAULT_PAGE_SIZE = 1000;

/** Options of `iterate`. */
export interface IterateOptions {
  /**
   * How many records one read takes (a positive safe integer, default {@link DEFAULT_PAGE_SIZE},
   * 1000): at most one page is held in memory at a time.
   */
  pageSize?: number;
}

/** TypeBox schema of {@link IterateOptions}. */
export const IterateOptions = Type.Object(
  { pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })) },
  { additionalProperties: false },
);
