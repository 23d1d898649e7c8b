import { BackendFailureError, ConditionalAppendConflictError } from '../errors.js';
import { compileMatcher, type EventMatcher } from '../matching/query-match.js';
import { Telemetry, type AppendTrace } from '../observability/telemetry.js';
import type { ValidEvent, ValidQuery } from '../validation/validate.js';
import type { EventRecord } from '../event.js';
import type { AppendCondition, CommittedBatch } from './backend.js';
import { DeadlineExceededError, withDeadline } from './deadline.js';
import { keyIdentity, replayCommitted } from './idempotency.js';

/** What one append in a group came to: its batch, or the error it alone fails with (a conflict). */
export type GroupOutcome = CommittedBatch | Error;

/**
 * Group commit for a store's writes: appends submitted while a commit runs wait, and the next
 * commit takes them together. `commit` writes a group in one transaction (or statement) in order
 * and returns one outcome per append: its batch, or an error that append alone fails with (a
 * conflicting `appendIf` that wrote nothing). Outcomes are settled in submission order.
 *
 * When `commit` throws, `refused` tells whether the failure proves that the group wrote nothing
 * (the database refused it: a rolled-back transaction) or whether the group may have committed
 * (a connection lost after the commit was sent: the server commits first and replies second).
 * With `landed`, the queue then asks which of its appends are in the log (by the identity stored
 * with each batch) and resolves those. The others are committed again alone, once, so that one
 * failure never takes another append with it: a group's appends, and an append alone whose
 * commit may have landed (not finding it does not prove that it never will: the lost commit may
 * still be on its way to the server). Such a second commit is made with `mayHaveLanded`: the
 * store must look the append's identity up under its write lock and answer with the batch it
 * finds, and its unique identity must refuse a second copy should the first commit come after;
 * its answer (a batch, or a refusal such as a conflict) is the outcome. An append whose outcome
 * is still open after that (the second commit failed too, or no time was left for it), or whose
 * check could not be answered, rejects with a `BackendFailureError` with `mayHaveCommitted` set.
 * Without `landed` (a store whose failed commits never commit), every failure is a refusal and
 * the appends of a failed group are committed again alone.
 *
 * With `timeoutMs`, every append settles within that bound: one still waiting for its turn when
 * it is up rejects having written nothing; a commit that has not answered by then is given up on
 * (it may still complete: its appends reject with `mayHaveCommitted`, unless the check whether
 * they landed finds them, which gets the last part of the bound).
 */
export class GroupCommit<T> {
  private readonly waiting: Waiter<T>[] = [];
  private committing = false;
  private readonly take: (waiting: readonly T[]) => number;
  private readonly refused: (error: unknown) => boolean;
  private readonly timeoutMs: number;

  /**
   * @param commit writes a group, returning one outcome per item, in order; `mayHaveLanded` is
   *   true for the second commit of an append whose first commit failed and may have landed (see
   *   above: look its identity up under the write lock)
   * @param options `take`: how many of the waiting items (at least 1) the next group takes
   *   (default: up to 256); `landed`: the committed batch of each item that is in the log
   *   (`undefined` for one that is not), read after a failed commit; `refused`: whether an error
   *   `commit` threw proves that the group wrote nothing (default: always without `landed`, never
   *   with it); `timeoutMs`: the bound within which every submitted item settles (default: none)
   */
  constructor(
    private readonly commit: (group: readonly T[], mayHaveLanded: boolean) => Promise<GroupOutcome[]>,
    private readonly options: {
      readonly take?: (waiting: readonly T[]) => number;
      readonly landed?: (items: readonly T[]) => Promise<(CommittedBatch | undefined)[]>;
      readonly refused?: (error: unknown) => boolean;
      readonly timeoutMs?: number;
    } = {},
  ) {
    this.take = options.take ?? ((waiting) => Math.min(waiting.length, 256));
    this.refused = options.refused ?? (() => options.landed === undefined);
    this.timeoutMs = options.timeoutMs ?? Infinity;
  }

  /** Queues one append; resolves with its batch once its group has committed. */
  submit(item: T): Promise<CommittedBatch> {
    return new Promise<CommittedBatch>((resolve, reject) => {
      const waiter = new Waiter(item, Telemetry.appendScope.getStore(), this.timeoutMs, resolve, reject, () => {
        // still queued when its time is up: it was never sent
        const at = this.waiting.indexOf(waiter);
        if (at < 0) return false;
        this.waiting.splice(at, 1);
        return true;
      });
      this.waiting.push(waiter);
      if (!this.committing) void this.drain();
    });
  }

  /**
   * Queues several appends at once, in order, so that they go into one group (unless `take`
   * splits it); one promise per item, as {@link submit} gives.
   */
  submitAll(items: readonly T[]): Promise<CommittedBatch>[] {
    const committing = this.committing;
    this.committing = true; // hold the drain until every item is queued
    const promises = items.map((item) => this.submit(item));
    this.committing = committing;
    if (!this.committing && this.waiting.length > 0) void this.drain();
    return promises;
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

  /**
   * Commits a group; after a failure, settles what landed and commits the rest again alone, once
   * (`again`: this is that second commit).
   */
  private async run(waiting: Waiter<T>[], again = false): Promise<void> {
    // the check whether a commit that did not answer landed gets the last fifth of the bound, at most 1 s
    const reserve = Math.min(1000, this.timeoutMs / 5);
    // an append with no time left for a commit is not sent: it fails knowing that nothing was written
    const group = waiting.filter((w) => w.deadline - now() > reserve || !w.expire());
    if (group.length === 0) return;
    const deadline = Math.min(...group.map((w) => w.deadline));
    const mayHaveLanded = group.some((w) => w.doubt !== undefined);
    let failure: unknown;
    try {
      const outcomes = await withDeadline(this.traced(group, mayHaveLanded), deadline - reserve - now(), 'the commit');
      // made knowing that an earlier commit may have landed, it looked for it: its answer is the outcome
      if (mayHaveLanded) for (const w of group) w.doubt = undefined;
      group.forEach((w, i) => settle(w, outcomes[i]));
      return;
    } catch (error) {
      failure = error;
      // whatever happens to these appends now, a commit that may have landed says so unless a later answer settles it
      const doubt = error instanceof DeadlineExceededError ? 'unanswered' : this.refused(error) ? undefined : 'lost';
      if (doubt) for (const w of group) w.doubt ??= doubt;
    }
    let rest = group;
    if (this.options.landed) {
      let found: (CommittedBatch | undefined)[];
      try {
        found = await withDeadline(
          this.options.landed(group.map((w) => w.item)),
          Math.max(reserve, deadline - now()),
          'the check whether the commit landed',
        );
      } catch (checkError) {
        for (const w of group)
          w.reject(
            new BackendFailureError(
              'the append may or may not have committed: its outcome could not be known',
              new AggregateError(
                [failure, checkError],
                `the commit failed (${describe(failure)}), and so did the check whether it landed (${describe(checkError)})`,
              ),
              { mayHaveCommitted: true },
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
    for (const w of rest) {
      // alone, once: the failure may be another append's, or the commit may still land (the second commit settles it)
      const alone = !again && (group.length > 1 || w.doubt !== undefined) && w.deadline - now() > reserve;
      if (alone) await this.run([w], true);
      else w.fail(failure);
    }
  }

  /** Commits a group, traced (`factstore.group_commit`) by the store of its appends when its telemetry is on. */
  private traced(group: readonly Waiter<T>[], mayHaveLanded: boolean): Promise<GroupOutcome[]> {
    const run = () =>
      this.commit(
        group.map((w) => w.item),
        mayHaveLanded,
      );
    const telemetry = group.find((w) => w.trace)?.trace?.telemetry;
    return telemetry
      ? telemetry.groupCommit(
          group.length,
          group.map((w) => w.trace?.span),
          run,
        )
      : run();
  }
}

const now = (): number => performance.now();

/** One submitted item, its promise's settlers, and its deadline. */
class Waiter<T> {
  readonly deadline: number;
  /**
   * Set once a commit that included it failed without a refusal, so that it may have committed:
   * `unanswered` when the commit was given up on at its bound, `lost` when its answer was lost.
   */
  doubt: 'unanswered' | 'lost' | undefined;
  private readonly timeoutMs: number;
  private readonly timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly item: T,
    /** The span of the append (telemetry on), for the group's span. */
    readonly trace: AppendTrace | undefined,
    timeoutMs: number,
    private readonly settleResolve: (batch: CommittedBatch) => void,
    private readonly settleReject: (error: unknown) => void,
    dequeue: () => boolean,
  ) {
    this.deadline = now() + timeoutMs;
    this.timeoutMs = timeoutMs;
    if (Number.isFinite(timeoutMs)) this.timer = setTimeout(() => dequeue() && this.expire(), timeoutMs);
  }

  /**
   * Rejects an append whose time is up before it was sent (again): nothing was written, unless an
   * earlier commit that included it may have landed. Returns true.
   */
  expire(): true {
    if (this.doubt) {
      this.fail(new BackendFailureError(`no time was left within ${this.timeoutMs} ms to commit the append again`));
      return true;
    }
    this.reject(
      new BackendFailureError(
        `the append was not sent within ${this.timeoutMs} ms (earlier commits did not get through): nothing was written`,
      ),
    );
    return true;
  }

  resolve(batch: CommittedBatch): void {
    clearTimeout(this.timer);
    this.settleResolve(batch);
  }

  reject(error: unknown): void {
    clearTimeout(this.timer);
    this.settleReject(error);
  }

  /** Rejects with the commit's failure, saying when the outcome is unknown. */
  fail(failure: unknown): void {
    if (!this.doubt) return this.reject(failure);
    const why =
      this.doubt === 'unanswered'
        ? 'the append did not commit within its bound and may still commit'
        : `the append's commit failed without an answer (${describe(failure)}) and may have committed`;
    this.reject(new BackendFailureError(`${why}: its outcome is unknown`, failure, { mayHaveCommitted: true }));
  }
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
  /**
   * Makes this a decision taken under the write lock (its `events` are ignored): when the group
   * reaches it, and only if the context of its `condition` is at the condition's version in the
   * log as the lock found it, it is handed the records of the context that the appends accepted
   * ahead of it in the group will write, and returns its events. Otherwise it conflicts as an
   * `appendIf` would. See {@link FollowUp}.
   */
  readonly followUp?: FollowUp | undefined;
}

/**
 * A decision made while the group holds the write lock, so that decisions queued on one context
 * share one commit (see `decide`). `decide` gets the records, numbered and timed as they will be
 * stored, that the appends ahead of it in the group add to its context (none when it is first),
 * and returns the events to append: `[]` appends nothing (the append then fails with
 * {@link DecidedNothing}). It must be quick and must not throw (the caller keeps its own errors):
 * it runs under the lock of the store.
 */
export interface FollowUp {
  decide(ahead: readonly EventRecord[]): readonly ValidEvent[];
}

/** The outcome of a {@link FollowUp} that decided no events: nothing was written for it. */
export class DecidedNothing extends Error {
  constructor() {
    super('the decision appended nothing');
    this.name = 'DecidedNothing';
  }
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
  /**
   * The time of every record the group writes: a store must store exactly this `occurredAt` for
   * the accepted appends (decisions under the lock have seen the records with it).
   */
  readonly at: Date;
  /** The appends to write, in order, as consecutive ranges after the head. */
  readonly accepted: T[];
  /** Every append's outcome, in group order, given the batches the accepted ones were written as. */
  outcomes(written: readonly CommittedBatch[]): GroupOutcome[];
}

/**
 * Decides the idempotency keys and conditions of a group under the write lock, so that a store
 * writes the whole group with one statement whatever they are. `read` returns, from the log as the
 * lock found it, its head, the context version of every condition, in order, and the committed
 * batches of the identities asked for (the keyed appends'), before anything is written (one
 * statement for all of them, where the store can; with no conditions and no keys it is asked for
 * the head only).
 *
 * In group order: an append whose key is committed is answered with that batch (`replayed`) or
 * `IdempotencyKeyReusedError`, and one whose key an append ahead of it in the group takes gets
 * that append's batch the same way; an `appendIf` is then checked against its version and the
 * appends accepted ahead of it in the group, numbered from `head + 1` (the contract's matcher):
 * exactly what checking it after writing those would give. A conflicting one is left out alone.
 *
 * With `mayHaveLanded` (the second commit of appends whose first may have landed: see
 * {@link GroupCommit}), the identity of every append is looked up, and one found is answered with
 * the batch its first commit wrote.
 */
export async function decideGroup<T extends GroupAppend>(
  group: readonly T[],
  read: (contexts: readonly GroupContext[], identities: readonly string[]) => Promise<LockedRead>,
  mayHaveLanded = false,
): Promise<GroupVerdicts<T>> {
  const contexts: GroupContext[] = [];
  // the stored identity of each append to look up: a keyed one's, and with mayHaveLanded every one's
  const lookedUp = group.map((item) =>
    item.key !== undefined ? (item.identity ?? keyIdentity(item.key)) : mayHaveLanded ? item.identity : undefined,
  );
  // one context per query object: the decisions of one round share theirs, so it is read once
  const contextOf = new Map<ValidQuery, number>();
  const slots = group.map((item) => {
    if (!item.condition) return -1;
    const { query } = item.condition;
    let slot = contextOf.get(query);
    if (slot === undefined) {
      contextOf.set(query, (slot = contexts.length));
      contexts.push({ query, matcher: compileMatcher(query) });
    }
    return slot;
  });
  const identities = lookedUp.filter((identity): identity is string => identity !== undefined);
  const { head, versions, committed } = await read(contexts, identities);
  const at = new Date();
  // per context a decision under the lock asks about: the records the accepted appends add to it, kept as they are accepted
  const ahead = new Map<number, EventRecord[]>();
  for (const [i, item] of group.entries()) if (item.followUp) ahead.set(slots[i] as number, []);
  const accepted: T[] = [];
  // per append: its index among the accepted, an error, or a batch already committed
  const verdicts: (number | Error | CommittedBatch | { sameAs: number; key: string; events: readonly ValidEvent[] })[] = [];
  const taken = new Map<string, number>(); // a key's identity → index among the accepted
  let last = head;
  for (const [i, item] of group.entries()) {
    const slot = slots[i] as number;
    const context = slot >= 0 ? (contexts[slot] as GroupContext) : undefined;
    const read = slot >= 0 ? (versions[slot] ?? null) : null;
    const identity = lookedUp[i];
    if (identity !== undefined) {
      const key = item.key;
      const earlier = committed?.get(identity);
      if (earlier) {
        // an identity of the store's own is this very append's: its first commit landed
        verdicts.push(key === undefined ? earlier : settleKey(() => replayCommitted(earlier, item.events, key)));
        continue;
      }
      const ahead = key === undefined ? undefined : taken.get(identity);
      if (ahead !== undefined) {
        verdicts.push({ sameAs: ahead, key: key as string, events: item.events });
        continue;
      }
    }
    let appended = item;
    if (item.followUp && item.condition && context) {
      // a decision under the lock: the log as the lock found it must be as it knew it
      if (read !== item.condition.expectedVersion) {
        verdicts.push(new ConditionalAppendConflictError(item.condition.expectedVersion, read, item.condition.query));
        continue;
      }
      const events = item.followUp.decide([...(ahead.get(slot) as EventRecord[])]);
      if (events.length === 0) {
        verdicts.push(new DecidedNothing());
        continue;
      }
      appended = { ...item, events };
    } else if (item.condition && context) {
      // the accepted appends ahead of it come after everything the read saw
      const actual = latestMatch(accepted, last, context.matcher) ?? read;
      if (actual !== item.condition.expectedVersion) {
        verdicts.push(new ConditionalAppendConflictError(item.condition.expectedVersion, actual, item.condition.query));
        continue;
      }
    }
    if (item.key !== undefined && identity !== undefined) taken.set(identity, accepted.length);
    verdicts.push(accepted.length);
    accepted.push(appended);
    for (const [s, records] of ahead) addMatching(records, appended.events, last, at, (contexts[s] as GroupContext).matcher);
    last += BigInt(appended.events.length);
  }
  return {
    head,
    at,
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

/** Adds to `records` the records of `events`, numbered after `last`, that `matcher` matches, as they will be stored (at `at`). */
function addMatching(records: EventRecord[], events: readonly ValidEvent[], last: bigint, at: Date, matcher: EventMatcher): void {
  let position = last;
  for (const event of events) {
    position++;
    if (matcher(event))
      records.push(Object.freeze({ sequenceNumber: position, occurredAt: at, eventType: event.eventType, payload: event.payload }));
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
