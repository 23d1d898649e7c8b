import type { AppendOptions, AppendResult, NewEvent } from './event.js';
import type { EventRecord } from './event.js';
import type { EventQuery, IterateOptions, QueryResult } from './query.js';
import type { StoreStatus } from './observability/status.js';
import type { EventStream, StreamHandler, StreamOptions, WaitForDurableOptions } from './stream.js';

/**
 * The contract every factstore store keeps: one ordered, gapless log of facts, read by event
 * type and payload predicates, appended to conditionally on a query-defined context, and
 * streamed live or durably.
 */
export interface EventStore {
  /**
   * Appends the events as one committed batch with one consecutive range of positions.
   * With `options.idempotencyKey`, a retry of a committed call writes nothing and resolves with
   * the first commit's result.
   * @throws {@link EmptyAppendError} for `[]`, {@link InvalidInputError} for bad events,
   * {@link IdempotencyKeyReusedError} for a key that names a batch with other events.
   */
  append(events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * Appends only while the context of `contextQuery` (its `minSequenceNumber` and `limit`
   * ignored) is still at `expectedContextVersion` (`null`: no matching event may exist).
   * A key already committed with the same events wins over a conflict: the call resolves with the
   * first commit's result.
   * @throws {@link ConditionalAppendConflictError} otherwise, having written nothing.
   */
  appendIf(
    events: readonly NewEvent[],
    contextQuery: EventQuery,
    expectedContextVersion: bigint | number | null,
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /**
   * Reads the matching events and the version of the whole matching context, in one snapshot.
   * `direction: 'backward'` returns them newest first (with `limit`: the newest N); page on with
   * `beforeSequenceNumber` (backward) or `minSequenceNumber` (forward) set to the previous page's
   * `lastReturnedSequenceNumber`.
   */
  query(query: EventQuery): Promise<QueryResult>;
  /**
   * The records `query` would return, read a page at a time (`pageSize` records, default 1000), in
   * the query's direction: at most one page is held in memory. `limit` bounds the whole iteration.
   * The first page fixes its end: going forward, records appended after it are not returned.
   * Each page is one snapshot; `currentContextVersion` is not reported (use `query` for it).
   *
   * @example
   * ```ts
   * for await (const record of store.iterate({ filters: [{ eventTypes: ['deposited'] }] }, { pageSize: 500 })) {
   *   console.log(record.sequenceNumber);
   * }
   * ```
   * @throws {@link InvalidInputError} for a bad query or `pageSize` (not a positive safe integer), at
   * once; {@link StoreClosedError} at once after `close()`, and from the next step of an iteration
   * under way when the store closes.
   */
  iterate(query: EventQuery, options?: IterateOptions): AsyncIterable<EventRecord>;
  /**
   * Resolves once durable stream `name` has saved its cursor at or past `position` (typically the
   * `lastSequenceNumber` of an append whose effect a projection must show): read-your-writes for
   * projections. Saves by this store instance end the wait at once; saves by other processes on
   * the same store (SQLite, file, PostgreSQL) are seen by reading the stored cursor every 10 ms
   * (one read per name, however many wait for it). A name no one registered yet is waited for
   * too (it may be registered later).
   * @throws {@link WaitTimeoutError} (`WAIT_TIMEOUT`) when `timeoutMs` (default 5000) passes first;
   * the signal's `reason` when `signal` is aborted; {@link InvalidInputError} for a bad name,
   * position (the rules of `minSequenceNumber`) or options; {@link StoreClosedError} after (or
   * during) `close()`.
   */
  waitForDurable(name: string, position: bigint | number, options?: WaitForDurableOptions): Promise<void>;
  /** Delivers every batch committed after registration, whole. */
  streamAll(handler: StreamHandler, options?: StreamOptions): Promise<EventStream>;
  /** Delivers the matching records of every batch committed after registration. */
  streamTo(query: EventQuery, handler: StreamHandler, options?: StreamOptions): Promise<EventStream>;
  /** Replays every batch after the named cursor, resolves, then delivers live. */
  streamAllDurable(name: string, handler: StreamHandler, options?: StreamOptions): Promise<EventStream>;
  /** Like {@link EventStore.streamAllDurable}, delivering only records that match `query`. */
  streamToDurable(name: string, query: EventQuery, handler: StreamHandler, options?: StreamOptions): Promise<EventStream>;
  /**
   * What this process knows of the store and its streams, without any I/O (so it is cheap enough
   * for a health endpoint or a metrics callback, and works after `close()`): the head this process
   * knows, and for every stream its id, durable name, kind, cursor, lag (`head − cursor`), whether
   * it is active, its last error and since when it has been stalled (the commit time of the oldest
   * batch it has not delivered past yet; null when caught up). Durable streams stopped by a failure
   * stay listed (inactive, with their error) until their name is registered again on this store.
   *
   * @example
   * ```ts
   * for (const stream of store.status().streams) {
   *   const waited = stream.stalledSince ? Date.now() - stream.stalledSince.getTime() : 0;
   *   if (!stream.active || waited > 30_000) console.warn(stream.name ?? stream.id, stream.lag, stream.lastError?.code);
   * }
   * ```
   */
  status(): StoreStatus;
  /** Stops every stream, saves cursors, releases resources. A second call resolves. */
  close(): Promise<void>;
}
