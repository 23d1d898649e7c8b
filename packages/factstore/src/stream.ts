import { Type } from '@sinclair/typebox';
import type { EventRecord } from './event.js';

/** The longest durable stream name, in UTF-16 code units. */
export const MAX_DURABLE_NAME_LENGTH = 200;

/** TypeBox schema of a durable stream name: a non-empty string of at most 200 characters. */
export const DurableStreamName = Type.String({ minLength: 1, maxLength: MAX_DURABLE_NAME_LENGTH });

/**
 * Receives one committed batch (only its matching records, in commit order). An async handler is
 * awaited before the next batch. Throwing or rejecting counts as a failure.
 */
export type StreamHandler = (batch: readonly EventRecord[]) => void | Promise<void>;

/**
 * The handler of a projection (`project` on the SQL stores): receives one committed batch (only
 * its matching records) and `tx`, the store's own write transaction, in which the projection's
 * cursor is saved after the handler returns. What the handler writes through `tx` commits
 * together with the cursor, or not at all: a throw or rejection rolls both back.
 *
 * Write only through `tx`, and await every statement. `append` and `appendIf` on the same store,
 * and registering durable streams or projections on it, are refused from inside the handler
 * (`ProjectionReentryError`); `query` may be awaited.
 * @typeParam Tx the store's transaction: `SqliteTransaction` for SQLite, a postgres.js
 *   `TransactionSql` for PostgreSQL
 */
export type ProjectHandler<Tx> = (batch: readonly EventRecord[], tx: Tx) => Promise<void>;

/** Options of every stream registration. */
export interface StreamOptions {
  /**
   * Called when the handler fails, with the thrown value itself and the batch. Without it the
   * failure is printed to stderr with the stream id. A live stream stays subscribed; a durable
   * stream is stopped (and its name freed) before this runs.
   */
  onError?: (error: unknown, batch: readonly EventRecord[]) => void;
}

/** TypeBox schema of {@link StreamOptions}. */
export const StreamOptions = Type.Object(
  { onError: Type.Optional(Type.Function([Type.Unknown(), Type.Array(Type.Unknown())], Type.Void())) },
  { additionalProperties: false },
);

/** How long `waitForDurable` waits when no `timeoutMs` is given, in ms. */
export const DEFAULT_WAIT_TIMEOUT_MS = 5000;

/** Options of `waitForDurable`. */
export interface WaitForDurableOptions {
  /**
   * How long to wait, in ms (a non-negative safe integer, default {@link DEFAULT_WAIT_TIMEOUT_MS},
   * 5000); then the call rejects with `WaitTimeoutError` (`WAIT_TIMEOUT`). `0` checks once.
   */
  timeoutMs?: number;
  /** Stops waiting when aborted: the call rejects with the signal's `reason`. */
  signal?: AbortSignal;
}

/** TypeBox schema of {@link WaitForDurableOptions} (`signal` is checked to be an `AbortSignal` besides). */
export const WaitForDurableOptions = Type.Object(
  {
    timeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    signal: Type.Optional(Type.Unsafe<AbortSignal>(Type.Unknown({ description: 'an AbortSignal' }))),
  },
  { additionalProperties: false },
);

/** The handle of one stream registration. */
export interface EventStream {
  /** Unique within the store instance. */
  readonly id: number;
  /** False once unsubscribed, closed, or (durable) stopped by a failure. */
  readonly active: boolean;
  /**
   * Stops the stream. No handler call starts after this is called; it resolves when a running
   * call has finished and, for a durable stream, its cursor is saved. It may be awaited from
   * inside the handler. Calling it again, or after `close()`, resolves.
   */
  unsubscribe(): Promise<void>;
}
