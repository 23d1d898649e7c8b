import { BackendFailureError, ConditionalAppendConflictError } from '../errors.js';
import { compileMatcher, type EventMatcher } from '../matching/query-match.js';
import type { ValidEvent, ValidQuery } from '../validation/validate.js';
import type { AppendCondition, CommittedBatch } from './backend.js';
import { keyIdentity, replayCommitted } from './idempotency.js';

/** What one append in a group came to: its batch, or the error it alone fails with (a conflict). */
export type GroupOutcome = CommittedBatch | Error;

/**
 * Group commit for a store's writes: appends submitted while a commit runs wait, and the next
 * commit takes them together. `commit` writes a group in one transaction (or statement) in order
 * and returns one outcome per append: its batch, or an error that append alone fails with (a
 * conflicting `appendIf` that wrote nothing). Outcomes are settled in submission order.
 *
 * When `commit` throws, the group may or may not have committed (a connection lost before the
 * reply). With `landed`, the queue first asks which of its appends are in the log (by the
 * identity stored with each batch) and resolves those; the others are committed again alone, so
 * one failure never takes another append with it and nothing is written twice. When even that
 * question cannot be answered, each append rejects with a `BackendFailureError` that says its
 * outcome is unknown. Without `landed` (a store whose failed commits never commit), the appends
 * of a failed group are committed again alone.
 */
export class GroupCommit<T> {
  private readonly waiting: Waiter<T>[] = [];
  private committing = false;
  private readonly take: (waiting: readonly T[]) => number;

  /**
   * @param commit writes a group, returning one outcome per item, in order
   * @param options `take`: how many of the waiting items (at least 1) the next group takes
   *   (default: up to 256); `landed`: the committed batch of each item that is in the log
   *   (`undefined` for one that is not), read after a failed commit
   */
  constructor(
    private readonly commit: (group: readonly T[]) => Promise<GroupOutcome[]>,
    private readonly options: {
      readonly take?: (waiting: readonly T[]) => number;
      readonly landed?: (items: readonly T[]) => Promise<(CommittedBatch | undefined)[]>;
    } = {},
  ) {
    this.take = options.take ?? ((waiting) => Math.min(waiting.length, 256));
  }

  /** Queues one append; resolves with its batch once its group has committed. */
  submit(item: T): Promise<CommittedBatch> {
    return new Promise<CommittedBatch>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.committing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.committing = true;
    try {
      while (this.waiting.length > 0) {
        const count = Math.max(1, Math.min(this.waiting.length, this.take(this.waiting.map((w) => w.item))));
        await this.run(this.waiting.splice(0, count));
      }
    } finally {
      this.committing = false;
    }
  }

  /** Commits a group; after a failure, settles what landed and commits the rest alone. */
  private async run(group: Waiter<T>[]): Promise<void> {
    let failure: unknown;
    try {
      const outcomes = await this.commit(group.map((w) => w.item));
      group.forEach((w, i) => settle(w, outcomes[i]));
      return;
    } catch (error) {
      failure = error;
    }
    let rest = group;
    if (this.options.landed) {
      let found: (CommittedBatch | undefined)[];
      try {
        found = await this.options.landed(group.map((w) => w.item));
      } catch (checkError) {
        for (const w of group)
          w.reject(
            new BackendFailureError(
              'the append may or may not have committed: its outcome could not be known',
              new AggregateError(
                [failure, checkError],
                `the commit failed (${describe(failure)}), and so did the check whether it landed (${describe(checkError)})`,
              ),
            ),
          );
        return;
      }
      rest = group.filter((w, i) => {
        const batch = found[i];
        if (batch) w.resolve(batch);
        return !batch;
      });
    }
    if (rest.length === 1 && group.length === 1) (rest[0] as Waiter<T>).reject(failure);
    else for (const w of rest) await this.run([w]);
  }
}

interface Waiter<T> {
  readonly item: T;
  resolve(batch: CommittedBatch): void;
  reject(error: unknown): void;
}

function settle(waiter: Waiter<unknown>, outcome: GroupOutcome | undefined): void {
  if (outcome instanceof Error) waiter.reject(outcome);
  else if (outcome === undefined) waiter.reject(new Error('group commit returned no outcome for an append'));
  else waiter.resolve(outcome);
}

/** One append of a group: its events, for an `appendIf` its condition, and its stored identity. */
export interface GroupAppend {
  readonly events: readonly ValidEvent[];
  readonly condition?: AppendCondition | undefined;
  /** The caller's idempotency key, if any. */
  readonly key?: string | undefined;
  /**
   * What the store keeps with the batch to find it again (`AppendIdentities.of(key)`): a retry
   * after a failed commit asks whether a batch with this identity landed. Defaults to the key's.
   */
  readonly identity?: string | undefined;
}

/** The context of one condition of a group, with its compiled matcher. */
export interface GroupContext {
  readonly query: ValidQuery;
  readonly matcher: EventMatcher;
}

/** What a store reads under its write lock for {@link decideGroup}. */
export interface LockedRead {
  /** The last position in the log. */
  readonly head: bigint;
  /** The context version of each context asked for, in order (`null`: nothing matches). */
  readonly versions: readonly (bigint | null)[];
  /** The committed batches (with their records) of the identities asked for that are in the log. */
  readonly committed?: ReadonlyMap<string, CommittedBatch>;
}

/** The verdicts on a group's conditions: which appends to write, and each append's outcome once they are. */
export interface GroupVerdicts<T extends GroupAppend> {
  /** The last position in the log before the group: the accepted appends are numbered after it. */
  readonly head: bigint;
  /** The appends to write, in order, as consecutive ranges after the head. */
  readonly accepted: T[];
  /** Every append's outcome, in group order, given the batches the accepted ones were written as. */
  outcomes(written: readonly CommittedBatch[]): GroupOutcome[];
}

/**
 * Decides the idempotency keys and conditions of a group under the write lock, so that a store
 * writes the whole group with one statement whatever they are. `read` returns, from the log as the
 * lock found it, its head, the context version of every condition, in order, and the committed
 * batches of the identities of the keyed appends, before anything is written (one statement for
 * all of them, where the store can; with no conditions and no keys it is asked for the head only).
 *
 * In group order: an append whose key is committed is answered with that batch (`replayed`) or
 * `IdempotencyKeyReusedError`, and one whose key an append ahead of it in the group takes gets
 * that append's batch the same way; an `appendIf` is then checked against its version and the
 * appends accepted ahead of it in the group, numbered from `head + 1` (the contract's matcher):
 * exactly what checking it after writing those would give. A conflicting one is left out alone.
 */
export async function decideGroup<T extends GroupAppend>(
  group: readonly T[],
  read: (contexts: readonly GroupContext[], identities: readonly string[]) => Promise<LockedRead>,
): Promise<GroupVerdicts<T>> {
  const contexts: GroupContext[] = [];
  // the stored identity of each keyed append (undefined for one without a key)
  const keyed = group.map((item) => (item.key === undefined ? undefined : (item.identity ?? keyIdentity(item.key))));
  for (const item of group)
    if (item.condition) contexts.push({ query: item.condition.query, matcher: compileMatcher(item.condition.query) });
  const identities = keyed.filter((identity): identity is string => identity !== undefined);
  const { head, versions, committed } = await read(contexts, identities);
  const accepted: T[] = [];
  // per append: its index among the accepted, an error, or a batch already committed
  const verdicts: (number | Error | CommittedBatch | { sameAs: number; key: string; events: readonly ValidEvent[] })[] = [];
  const taken = new Map<string, number>(); // identity → index among the accepted
  let last = head;
  let c = 0; // the next condition's index in contexts and versions
  for (const [i, item] of group.entries()) {
    const context = item.condition ? (contexts[c] as GroupContext) : undefined;
    const read = item.condition ? (versions[c++] ?? null) : null;
    const identity = keyed[i];
    if (identity !== undefined) {
      const key = item.key as string;
      const earlier = committed?.get(identity);
      if (earlier) {
        verdicts.push(settleKey(() => replayCommitted(earlier, item.events, key)));
        continue;
      }
      const ahead = taken.get(identity);
      if (ahead !== undefined) {
        verdicts.push({ sameAs: ahead, key, events: item.events });
        continue;
      }
    }
    if (item.condition && context) {
      // the accepted appends ahead of it come after everything the read saw
      const actual = latestMatch(accepted, last, context.matcher) ?? read;
      if (actual !== item.condition.expectedVersion) {
        verdicts.push(new ConditionalAppendConflictError(item.condition.expectedVersion, actual, item.condition.query));
        continue;
      }
    }
    if (identity !== undefined) taken.set(identity, accepted.length);
    verdicts.push(accepted.length);
    accepted.push(item);
    last += BigInt(item.events.length);
  }
  return {
    head,
    accepted,
    outcomes(written) {
      return verdicts.map((verdict) => {
        if (typeof verdict === 'number') return written[verdict] as CommittedBatch;
        if (verdict instanceof Error || !('sameAs' in verdict)) return verdict;
        const batch = written[verdict.sameAs] as CommittedBatch;
        return settleKey(() => replayCommitted(batch, verdict.events, verdict.key));
      });
    },
  };
}

function settleKey(decide: () => CommittedBatch): CommittedBatch | Error {
  try {
    return decide();
  } catch (error) {
    return error as Error;
  }
}

/** The position of the newest event of `accepted` that `matcher` matches (`last`: the position of their last event), or null. */
function latestMatch(accepted: readonly GroupAppend[], last: bigint, matcher: EventMatcher): bigint | null {
  let position = last;
  for (let a = accepted.length - 1; a >= 0; a--) {
    const events = (accepted[a] as GroupAppend).events;
    for (let e = events.length - 1; e >= 0; e--, position--) if (matcher(events[e] as ValidEvent)) return position;
  }
  return null;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
