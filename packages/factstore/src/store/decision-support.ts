import type { AppendResult, EventRecord } from '../event.js';
import type { ValidQuery } from '../validation/validate.js';
import type { FollowUp } from './group-commit.js';

/**
 * What a store built on {@link EventStoreBase} gives `decide` beyond the public API:
 *
 * - the records of the appends it committed, by the result object the append resolved with
 *   (weakly: a result nobody holds is forgotten), so that the next decision queued on a context
 *   folds the records just committed instead of reading them back;
 * - where its backend has group commit, a way to take decisions under the write lock
 *   ({@link DECISIONS}), so that the decisions queued on one context share one commit.
 */
const committed = new WeakMap<AppendResult, readonly EventRecord[]>();

/** Remembers the records `result` stands for (the batch this call wrote; not a replayed key's). */
export function rememberCommitted(result: AppendResult, records: readonly EventRecord[]): void {
  committed.set(result, records);
}

/** The records a store wrote for `result`, or `undefined` (another store, or a replayed idempotency key: then read). */
export function committedRecords(result: AppendResult): readonly EventRecord[] | undefined {
  return committed.get(result);
}

/**
 * The property of a store that takes decisions under its write lock: a function that submits
 * every follow-up to one group, with the condition "the context of `query` is at
 * `expectedVersion`"; each promise resolves with what its follow-up committed, `null` when it
 * decided no events, or rejects (a conflict when the context had moved). `undefined` when the
 * store cannot (its backend has no group commit).
 */
export const DECISIONS = Symbol('factstore.decisions');

/** The signature of a store's {@link DECISIONS} method. */
export type DecideUnderLock = (
  query: ValidQuery,
  expectedVersion: bigint | null,
  followUps: readonly FollowUp[],
) => Promise<AppendResult | null>[];

/** The store's {@link DECISIONS} function, or `undefined` for a store without one. */
export function decisionsOf(store: object): DecideUnderLock | undefined {
  const method = (store as { [DECISIONS]?: DecideUnderLock })[DECISIONS];
  return typeof method === 'function' ? method : undefined;
}
