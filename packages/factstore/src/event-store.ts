import type { AppendOptions, AppendResult, NewEvent } from './event.js';
import type { EventQuery, QueryResult } from './query.js';
import type { EventStream, StreamHandler, StreamOptions } from './stream.js';

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
  /** Reads the matching events and the version of the whole matching context, in one snapshot. */
  query(query: EventQuery): Promise<QueryResult>;
  /** Delivers every batch committed after registration, whole. */
  streamAll(handler: StreamHandler, options?: StreamOptions): Promise<EventStream>;
  /** Delivers the matching records of every batch committed after registration. */
  streamTo(query: EventQuery, handler: StreamHandler, options?: StreamOptions): Promise<EventStream>;
  /** Replays every batch after the named cursor, resolves, then delivers live. */
  streamAllDurable(name: string, handler: StreamHandler, options?: StreamOptions): Promise<EventStream>;
  /** Like {@link EventStore.streamAllDurable}, delivering only records that match `query`. */
  streamToDurable(name: string, query: EventQuery, handler: StreamHandler, options?: StreamOptions): Promise<EventStream>;
  /** Stops every stream, saves cursors, releases resources. A second call resolves. */
  close(): Promise<void>;
}
