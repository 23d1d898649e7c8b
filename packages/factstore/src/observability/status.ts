import { FactStoreError } from '../errors.js';

/** The last failure a stream saw: a handler's throw, a lost lease, a replay that could not read. */
export interface StreamError {
  /** The error's `code` (`BACKEND_FAILURE`, `DURABLE_STREAM_LEASE_LOST`, a code of the application's own error), or null. */
  readonly code: string | null;
  /** The error's message (`String(error)` for a thrown value that is not an `Error`). */
  readonly message: string;
  /** When it happened. */
  readonly at: Date;
}

/** One stream of this process, as {@link StoreStatus} reports it. */
export interface StreamStatus {
  /** The stream's id (`EventStream.id`). */
  readonly id: number;
  /** The durable name; null for a live stream. */
  readonly name: string | null;
  /** `live` (`streamAll`, `streamTo`), `durable` (`streamAllDurable`, `streamToDurable`) or `projection` (`project`). */
  readonly kind: 'live' | 'durable' | 'projection';
  /** The position the stream has delivered (or passed) up to. */
  readonly cursor: bigint;
  /** The newest position this process knows to be committed (see {@link StoreStatus.head}). */
  readonly head: bigint;
  /** `head − cursor` (0 when the cursor is at or past the head this process knows). */
  readonly lag: bigint;
  /** `EventStream.active`: false once the stream was stopped by a failure. */
  readonly active: boolean;
  /** True while a durable registration replays (before its `streamToDurable` call resolves). */
  readonly replaying: boolean;
  /** The stream's last failure, or null. A live stream goes on after one; a durable stream stops. */
  readonly lastError: StreamError | null;
  /**
   * Since when the stream has been stalled: the commit time of the oldest batch it has not
   * delivered past yet (so `now − stalledSince` is how long that fact has waited for this
   * stream); null when the stream is caught up (`lag` is 0). A handler that runs long, a durable
   * stream stopped by a failure, and a stream reading far behind all keep it in the past; during a
   * replay it is the commit time of the batch being replayed. It can also be null for a moment while
   * the batch after the cursor is being read and its commit time is not known yet.
   */
  readonly stalledSince: Date | null;
}

/** What `store.status()` reports: this process's view of the store and of its streams. */
export interface StoreStatus {
  /** The store's class name (`MemoryStore`, `SqliteStore`, …), also the `factstore.store` telemetry attribute. */
  readonly store: string;
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /**
   * The newest position this process knows to be committed, without asking the database: its own
   * commits at once, other processes' once a stream read them or the store's watch noticed them
   * (SQLite, PostgreSQL and file stores: within their poll interval; the watch runs from the
   * store's first stream or `waitForDurable` on).
   */
  readonly head: bigint;
  /**
   * Every stream of this store instance, in registration order: the registered ones, and durable
   * streams (and projections) stopped by a failure, until their name is registered again on this
   * store. Unsubscribed streams are not listed.
   */
  readonly streams: readonly StreamStatus[];
}

/** The `code` of an error (a factstore error's, or any error's string `code`), or null. */
export function errorCode(error: unknown): string | null {
  if (error instanceof FactStoreError) return error.code;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : null;
}

/** A thrown value as the {@link StreamError} of a status. */
export function streamError(error: unknown): StreamError {
  return { code: errorCode(error), message: error instanceof Error ? error.message : String(error), at: new Date() };
}
