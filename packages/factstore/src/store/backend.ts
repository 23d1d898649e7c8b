import type { EventRecord } from '../event.js';
import type { QueryResult } from '../query.js';
import type { ValidEvent, ValidQuery } from '../validation/validate.js';
import type { FollowUp } from './group-commit.js';

/** One committed append: its whole range and its records, in order. */
export interface CommittedBatch {
  /** Position of the first record. */
  readonly firstSequenceNumber: bigint;
  /** Position of the last record. */
  readonly lastSequenceNumber: bigint;
  /** Every record of the batch, ascending and consecutive. */
  readonly records: readonly EventRecord[];
  /**
   * True when this call wrote nothing: its idempotency key already named this batch (committed
   * earlier, with the same events). The base class then publishes nothing.
   */
  readonly replayed?: boolean;
}

/** The condition of an `appendIf`: the context query and the version the caller saw. */
export interface AppendCondition {
  /** The context; its `minSequenceNumber`, `beforeSequenceNumber`, `limit` and `direction` must be ignored. */
  readonly query: ValidQuery;
  /** `null`: no matching event may exist. */
  readonly expectedVersion: bigint | null;
}

/**
 * What a store adds to factstore: storage, and nothing else. {@link EventStoreBase} does the
 * validation, the error order, the matching for streams and the delivery loop, and calls these
 * methods with validated input only. A backend throws the contract's errors where this
 * interface says so; any other error it throws is wrapped in a `BackendFailureError`.
 */
export interface StoreBackend {
  /**
   * Commits the events as one batch with the next consecutive positions and returns it. With a
   * condition, first computes the context version of `condition.query` under the same write
   * serialisation (no writer of any process may slip in between) and, when it differs from
   * `condition.expectedVersion`, throws `ConditionalAppendConflictError` having written nothing.
   * Failed appends consume no position.
   *
   * With an `idempotencyKey` (checked under the same serialisation, before the condition): when
   * the key already names a committed batch, writes nothing and returns that batch with
   * `replayed: true` if its events are the same (`replayCommitted`), else throws
   * `IdempotencyKeyReusedError`; otherwise commits the batch under the key. Concurrent appends
   * with one key commit once.
   */
  append(events: readonly ValidEvent[], condition?: AppendCondition, idempotencyKey?: string): Promise<CommittedBatch>;

  /**
   * Optional, for stores with group commit: submits every follow-up to one group (in order, none
   * split from the next unless the group is full), each with `condition`, and returns one promise
   * per follow-up: its batch, or a rejection (`ConditionalAppendConflictError`, or
   * `DecidedNothing` when it decided no events). `GroupCommit.submitAll` and `decideGroup` do the
   * work. `decide` uses it so that decisions queued on one context share a commit.
   */
  appendDecisions?(condition: AppendCondition, followUps: readonly FollowUp[]): Promise<CommittedBatch>[];

  /**
   * The matching records after `minSequenceNumber` and before `beforeSequenceNumber`, in the
   * query's `direction` (ascending, or newest first for `'backward'`), at most `limit`; the last
   * returned position (in that order) and the context version (of every matching record), all
   * from one consistent snapshot. "The newest N" of one entity is read through an index, newest
   * first, never by a scan of the log.
   */
  query(query: ValidQuery): Promise<QueryResult>;

  /**
   * Whole committed batches whose first position is after `after`, ascending and contiguous
   * (the first starts at `after + 1`), about `maxEvents` events in all but at least one batch
   * when there is any. Empty when nothing was committed after `after`.
   */
  readBatches(after: bigint, maxEvents: number): Promise<CommittedBatch[]>;

  /** The last committed position, `0n` for an empty log. */
  head(): Promise<bigint>;

  /**
   * Makes `holder` the one live holder of a durable name, for `leaseMs` from now, and returns its
   * cursor (`0n` for a new name, stored with `canonicalQuery`), in one step that no other claim
   * can interleave with. Throws `DurableStreamActiveError` when another holder (another store
   * instance, another process) holds the name and renewed it less than `leaseMs` ago, checked
   * before `DurableStreamQueryMismatchError` for a cursor stored with another query.
   * `DurableLeases` keeps the holder's bookkeeping; the backend only stores.
   */
  claimDurable(name: string, canonicalQuery: string, holder: string, leaseMs: number): Promise<bigint>;

  /**
   * Renews the leases of `names` that `holder` still holds, for another lease length from now.
   * @returns the names it still holds (a name missing from the answer has passed to another holder)
   */
  renewLeases(holder: string, names: readonly string[]): Promise<readonly string[]>;

  /**
   * Stores a durable name's cursor and renews its lease, if `holder` still holds it.
   * @returns false when it does not (the lease passed on): nothing was changed
   */
  saveCursor(name: string, position: bigint, holder: string): Promise<boolean>;

  /**
   * Optional, for stores with `project`: runs `work` and stores the cursor of the durable name at
   * `position` in one write transaction, so both commit or neither does. First, inside the
   * transaction and under a lock that keeps any other claim out until it ends, checks that
   * `holder` still holds the name: when it does not, `work` does not run, nothing is committed,
   * and the answer is false. When `work` throws (or a statement after it fails, e.g. in a
   * transaction the database aborted), everything is rolled back and the error is thrown. The
   * save renews the lease, as `saveCursor` does. `tx` is the store's transaction handle.
   * @returns false when `holder` no longer holds the name: nothing was changed
   */
  saveCursorWith?(name: string, position: bigint, holder: string, work: (tx: unknown) => Promise<void>): Promise<boolean>;

  /** Frees a durable name if `holder` holds it (its cursor stays). */
  releaseDurable(name: string, holder: string): Promise<void>;

  /**
   * The stored cursor of a durable name as any holder saved it last (in this process or, for a
   * store shared between processes, in any), `null` for a name never registered. Read-only; it
   * takes no lease. `waitForDurable` polls it.
   */
  readCursor(name: string): Promise<bigint | null>;

  /**
   * Optional: call `onCommit` whenever something else (another process or store instance) may
   * have committed. Local commits need no signal. Stop calling it at `close()`. Pass `head` when
   * the signal says how far the log reached (every position up to `head` is committed): the store
   * then needs no read of the head to learn it, and ignores a signal of its own commits.
   * Called at most once, when the store first needs the signals (its first stream or
   * `waitForDurable`), not at open. A commit may come between the stream's registration and the
   * start of the watch: signal once soon after the start (as the PostgreSQL and file stores do),
   * or signal every commit since the store opened (as SQLite's `data_version` poll does).
   */
  watch?(onCommit: (head?: bigint) => void): void;

  /** Releases connections, timers and file handles. Called once, after every stream stopped. */
  close(): Promise<void>;
}
