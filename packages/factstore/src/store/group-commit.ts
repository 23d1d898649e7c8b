import { ConditionalAppendConflictError } from '../errors.js';
import { compileMatcher, type EventMatcher } from '../matching/query-match.js';
import type { ValidEvent, ValidQuery } from '../validation/validate.js';
import type { AppendCondition, CommittedBatch } from './backend.js';

/** What one append in a group came to: its batch, or the error it alone fails with (a conflict). */
export type GroupOutcome = CommittedBatch | Error;

/**
 * Group commit for a store's writes: appends submitted while a commit runs wait, and the next
 * commit takes them together. `commit` writes a group in one transaction (or statement) in order
 * and returns one outcome per append: its batch, or an error that append alone fails with (a
 * conflicting `appendIf` that wrote nothing). When `commit` throws, nothing of the group was
 * committed, and each append of a larger group is committed alone, so one failure never takes
 * another append with it. Outcomes are settled in submission order.
 */
export class GroupCommit<T> {
  private readonly waiting: { item: T; resolve(batch: CommittedBatch): void; reject(error: unknown): void }[] = [];
  private committing = false;

  /**
   * @param commit writes a group, returning one outcome per item, in order
   * @param take how many of the waiting items (at least 1) the next group takes; default: up to 256
   */
  constructor(
    private readonly commit: (group: readonly T[]) => Promise<GroupOutcome[]>,
    private readonly take: (waiting: readonly T[]) => number = (waiting) => Math.min(waiting.length, 256),
  ) {}

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
        const group = this.waiting.splice(0, count);
        try {
          const outcomes = await this.commit(group.map((w) => w.item));
          group.forEach((w, i) => settle(w, outcomes[i]));
        } catch (error) {
          if (group.length === 1) (group[0] as (typeof group)[number]).reject(error);
          else for (const w of group) await this.commit([w.item]).then((outcomes) => settle(w, outcomes[0]), w.reject);
        }
      }
    } finally {
      this.committing = false;
    }
  }
}

function settle(waiter: { resolve(batch: CommittedBatch): void; reject(error: unknown): void }, outcome: GroupOutcome | undefined): void {
  if (outcome instanceof Error) waiter.reject(outcome);
  else if (outcome === undefined) waiter.reject(new Error('group commit returned no outcome for an append'));
  else waiter.resolve(outcome);
}

/** One append of a group: its events and, for an `appendIf`, its condition. */
export interface GroupAppend {
  readonly events: readonly ValidEvent[];
  readonly condition?: AppendCondition | undefined;
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
 * Decides the conditions of a group under the write lock, so that a store writes the whole group
 * with one statement whatever its conditions. `read` returns, from the log as the lock found it,
 * its head and the context version of every condition, in order, before anything is written
 * (one statement for all of them, where the store can; with no conditions it is asked for the
 * head only). An `appendIf` is then checked, in order, against that version and the appends
 * accepted ahead of it in the group, numbered from `head + 1` (the contract's matcher): exactly
 * what checking it after writing those would give. A conflicting one is left out alone.
 */
export async function decideGroup<T extends GroupAppend>(
  group: readonly T[],
  read: (contexts: readonly GroupContext[]) => Promise<LockedRead>,
): Promise<GroupVerdicts<T>> {
  const contexts: GroupContext[] = group.flatMap((item) =>
    item.condition ? [{ query: item.condition.query, matcher: compileMatcher(item.condition.query) }] : [],
  );
  const { head, versions } = await read(contexts);
  const accepted: T[] = [];
  const verdicts: (ConditionalAppendConflictError | undefined)[] = [];
  let last = head;
  let c = 0; // the next condition's index in contexts and versions
  for (const item of group) {
    if (item.condition) {
      const { matcher } = contexts[c] as GroupContext;
      const read = versions[c++] ?? null;
      // the accepted appends ahead of it come after everything the read saw
      const actual = latestMatch(accepted, last, matcher) ?? read;
      if (actual !== item.condition.expectedVersion) {
        verdicts.push(new ConditionalAppendConflictError(item.condition.expectedVersion, actual));
        continue;
      }
    }
    verdicts.push(undefined);
    accepted.push(item);
    last += BigInt(item.events.length);
  }
  return {
    head,
    accepted,
    outcomes(written) {
      let w = 0;
      return verdicts.map((verdict) => verdict ?? (written[w++] as CommittedBatch));
    },
  };
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
