import { Type } from '@sinclair/typebox';
import { InvalidInputError, isFactStoreError, type InvalidInputIssue } from '../errors.js';
import { MAX_IDEMPOTENCY_KEY_LENGTH, type AppendResult, type EventRecord, type NewEvent } from '../event.js';
import type { EventStore } from '../event-store.js';
import { canonicalQuery } from '../matching/canonical.js';
import { compileMatcher, type EventMatcher } from '../matching/query-match.js';
import { committedRecords, decisionsOf, type DecideUnderLock } from '../store/decision-support.js';
import type { FollowUp } from '../store/group-commit.js';
import type { EventQuery } from '../query.js';
import { badStringReason } from '../validation/json-input.js';
import { checkOptions, validateEvents, validateQuery, type ValidEvent, type ValidQuery } from '../validation/validate.js';

/** How many times {@link decide} reads and tries to append before it gives up, unless told otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 10;

/**
 * A command as a decision over one context: read the context, fold its records into a state,
 * decide which events follow from that state, and append them only while the context is unchanged.
 * Passed to {@link decide}.
 *
 * @typeParam S the state folded from the context
 * @typeParam R the records the fold sees (a typed view narrows them; see `typedStore`)
 * @typeParam E the events `decide` returns
 * @typeParam Q the context query
 */
export interface Decision<S, R = EventRecord, E = NewEvent, Q = EventQuery> {
  /**
   * The context: the records the decision depends on. `filters` say which they are; with
   * `minSequenceNumber` the fold starts after it (for a state kept from earlier, given as
   * `initial`), while the conflict check still covers the whole context. `limit` and the other
   * cursor fields are refused (`INVALID_INPUT`): a decision made on part of its context is not safe.
   */
  query: Q;
  /**
   * The state before the first record. The same value starts every attempt, so `evolve` must
   * return a new state rather than change this one in place.
   */
  initial: S;
  /** Folds one record of the context into the state, in log order. A throw rejects the call, writing nothing. */
  evolve(state: S, record: R): S;
  /**
   * The events that follow from the folded state. `[]` appends nothing (the call resolves with
   * `result: null`); a throw rejects the call with that error, writing nothing. It runs once per
   * attempt, so it should not have effects of its own.
   */
  decide(state: S): readonly E[];
  /** How many reads and appends to try before giving up with the last conflict. A positive safe integer; default 10. */
  maxAttempts?: number;
  /**
   * Passed to `appendIf`: a decision repeated with the same key and deciding the same events
   * resolves with the first commit's result; with other events it fails with `IDEMPOTENCY_KEY_REUSED`.
   */
  idempotencyKey?: string;
}

/** What {@link decide} resolves with. */
export interface DecisionOutcome<S, E = NewEvent> {
  /** The state the events were decided on (folded from the context as it was when they were appended). */
  state: S;
  /** The events `decide` returned for that state (`[]` when it decided nothing). */
  events: readonly E[];
  /** What `appendIf` committed, or `null` when `decide` returned `[]`. */
  result: AppendResult | null;
  /** How many times the context was read (1 unless a conflict made the decision run again). */
  attempts: number;
}

/**
 * Runs a command against any {@link EventStore}: reads the decision's context with `query`, folds
 * its records with `evolve` starting from `initial`, asks `decide` for the events, and appends
 * them with `appendIf` at the context version it read. When another writer changed the context
 * in between (`CONDITIONAL_APPEND_CONFLICT`), it waits a short, random, growing time and runs the
 * decision again on a fresh read, up to `maxAttempts` times; then it rejects with the last
 * conflict error.
 *
 * Inside one process, decisions on the same context (the same canonical query: filters, event
 * types and predicates compared as sets, key order ignored) on the same store object run one after
 * another, so they do not conflict with each other and take one attempt each however many run at
 * once; decisions on other contexts run concurrently. Writers in other processes, or on
 * overlapping contexts, are what the retries are for.
 *
 * @example
 * ```ts
 * const { result } = await decide(store, {
 *   query: { filters: [{ eventTypes: ['deposited', 'withdrawn'], payloadPredicates: [{ accountId: 'a1' }] }] },
 *   initial: 0,
 *   evolve: (balance, record) => balance + (record.eventType === 'deposited' ? 1 : -1) * Number((record.payload as { amount: number }).amount),
 *   decide: (balance) => {
 *     if (balance < 30) throw new Error('insufficient funds');
 *     return [{ eventType: 'withdrawn', payload: { accountId: 'a1', amount: 30 } }];
 *   },
 * });
 * ```
 * @param store any store keeping the {@link EventStore} contract
 * @param decision the context, the fold and the decision; see {@link Decision}
 * @returns the state decided on, the events, the append's result (`null` for `[]`) and the attempts
 * @throws `InvalidInputError` for a bad decision (checked before any read), or bad events from `decide`;
 *   `ConditionalAppendConflictError` when every attempt met a conflict; whatever `evolve` or
 *   `decide` threw; any error of `query` or `appendIf` (`STORE_CLOSED`, `IDEMPOTENCY_KEY_REUSED`, …).
 *   Nothing is written when it rejects.
 */
export async function decide<S>(store: EventStore, decision: Decision<S>): Promise<DecisionOutcome<S>> {
  const valid = validateDecision(store, decision);
  const underLock = decisionsOf(store);
  if (underLock !== undefined) return inRound(store, canonicalQuery(valid.query), underLock, decision, valid);
  return inTurn(store, canonicalQuery(valid.query), (context) => attempt(store, decision, valid, context));
}

interface ValidDecision {
  readonly query: ValidQuery;
  readonly maxAttempts: number;
  readonly appendOptions: { idempotencyKey?: string };
}

/**
 * What the decisions queued on one context have read of it so far: its matching records after
 * `from`, up to the context version `version`. Records below a version read never change (a
 * commit takes positions above the head it saw), so the next read asks only for what came after
 * `version`: a hot context is not read whole for every decision. Kept while decisions are queued.
 */
interface KnownContext {
  readonly from: bigint;
  readonly records: EventRecord[];
  version: bigint | null;
  /**
   * True right after a decision of the queue committed and its matching records were added:
   * `records` and `version` are the context as that commit left it, so the next attempt folds them
   * without a read (a conflict then sends it to read what others wrote).
   */
  fresh: boolean;
}

/** What the decisions queued on one context know of it, whichever way they run. */
interface ContextKnowledge {
  known: KnownContext | undefined;
  /** The context's matcher, compiled when a commit's records are first added. */
  matcher?: EventMatcher;
}

/** The queue of one context on any store: the settled tail of the decisions queued so far, and what they read. */
interface ContextQueue extends ContextKnowledge {
  tail: Promise<void>;
}

async function attempt<S>(
  store: EventStore,
  decision: Decision<S>,
  valid: ValidDecision,
  context: ContextKnowledge,
): Promise<DecisionOutcome<S>> {
  const from = valid.query.minSequenceNumber ?? 0n;
  for (let attempts = 1; ; attempts++) {
    const records = await readContext(store, valid.query, from, context);
    const state = fold(decision, decision.initial, records, from);
    const events = decision.decide(state);
    if (Array.isArray(events) && events.length === 0) return { state, events, result: null, attempts };
    try {
      const result = await store.appendIf(events, valid.query, context.known?.version ?? null, valid.appendOptions);
      const records = committedRecords(result);
      if (context.known !== undefined && records !== undefined)
        learnCommitted(context.known, records, (context.matcher ??= compileMatcher(valid.query)));
      return { state, events, result, attempts };
    } catch (error) {
      if (!isFactStoreError(error, 'CONDITIONAL_APPEND_CONFLICT') || attempts >= valid.maxAttempts) throw error;
      await backoff(attempts);
    }
  }
}

/** The context's records after `from` as of now, read whole or, when the queue knows a prefix, only past it. */
async function readContext(store: EventStore, query: ValidQuery, from: bigint, context: ContextKnowledge): Promise<readonly EventRecord[]> {
  const known = context.known;
  if (known === undefined || known.from > from) {
    const read = await store.query(query);
    context.known = { from, records: read.eventRecords, version: read.currentContextVersion, fresh: false };
    return read.eventRecords;
  }
  if (known.fresh) {
    known.fresh = false;
    return known.records;
  }
  const after = known.version ?? known.from;
  const read = await store.query(after > from ? { ...query, minSequenceNumber: after } : query);
  for (const record of read.eventRecords) if (record.sequenceNumber > after) known.records.push(record);
  known.version = read.currentContextVersion;
  return known.records;
}

/** Folds the records after `from` (all of them from 0) into `state` with the decision's `evolve`. */
function fold<S>(decision: Decision<S>, state: S, records: readonly EventRecord[], from: bigint): S {
  for (const record of records) if (record.sequenceNumber > from) state = decision.evolve(state, record);
  return state;
}

/**
 * After a commit of this queue at the version it knew: the context as the commit left it is what
 * was known plus the commit's records that match the context (the condition held, so nothing else
 * matching came between), at the newest of them. Only for stores that hand over the records they
 * wrote (see `committedRecords`); with any other store, or an idempotent replay, the next attempt reads.
 */
function learnCommitted(known: KnownContext, records: readonly EventRecord[], matcher: EventMatcher): void {
  for (const record of records) {
    if (!matcher(record)) continue;
    known.records.push(record);
    known.version = record.sequenceNumber;
  }
  known.fresh = true;
}

/** Waits a random time below 1, 2, 4, … ms (at most 100 ms) after the `failed`-th conflict, so that contenders spread out. */
function backoff(failed: number): Promise<void> {
  const ceiling = Math.min(MAX_BACKOFF_MS, 2 ** (failed - 1));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

const MAX_BACKOFF_MS = 100;

// The queues of decisions in one process: per store object (weakly, so any EventStore works and a
// dropped store is collected), per canonical context.
const queues = new WeakMap<object, Map<string, ContextQueue>>();

function inTurn<T>(store: object, key: string, work: (context: ContextQueue) => Promise<T>): Promise<T> {
  let contexts = queues.get(store);
  if (contexts === undefined) queues.set(store, (contexts = new Map()));
  let context = contexts.get(key);
  let turn: Promise<T>;
  if (context === undefined) {
    context = { tail: Promise.resolve(), known: undefined };
    contexts.set(key, context);
    turn = work(context); // nobody ahead: start now
  } else {
    const queue = context;
    turn = context.tail.then(() => work(queue));
  }
  const queue = context;
  const settled = () => {
    if (queue.tail === tail) contexts.delete(key); // the last one queued is done: forget the context
  };
  const tail: Promise<void> = turn.then(settled, settled);
  queue.tail = tail;
  return turn;
}

// Rounds: on a store that takes decisions under its write lock, the decisions waiting on one
// context when its turn comes are submitted together, each decided when the group reaches it.

/** A decision waiting for its round, and how to settle its call. */
interface Waiting {
  readonly decision: Decision<unknown>;
  readonly valid: ValidDecision;
  /** The rounds it has taken part in so far (its attempts). */
  attempts: number;
  resolve(outcome: DecisionOutcome<unknown>): void;
  reject(error: unknown): void;
}

/** The decisions waiting on one context, what the rounds know of it, and whether a round runs. */
interface RoundQueue extends ContextKnowledge {
  readonly waiting: Waiting[];
  running: boolean;
}

const rounds = new WeakMap<object, Map<string, RoundQueue>>();

function inRound<S>(store: EventStore, key: string, underLock: DecideUnderLock, decision: Decision<S>, valid: ValidDecision) {
  let contexts = rounds.get(store);
  if (contexts === undefined) rounds.set(store, (contexts = new Map()));
  let queue = contexts.get(key);
  if (queue === undefined) contexts.set(key, (queue = { known: undefined, waiting: [], running: false }));
  const promise = new Promise<DecisionOutcome<S>>((resolve, reject) => {
    (queue as RoundQueue).waiting.push({
      decision: decision as Decision<unknown>,
      valid,
      attempts: 0,
      resolve: resolve as (outcome: DecisionOutcome<unknown>) => void,
      reject,
    });
  });
  if (!queue.running) {
    const running = queue;
    const all = contexts;
    running.running = true;
    void runRounds(store, underLock, running, () => {
      // called in the same turn as the check that nothing waits, so no decision can queue in between
      running.running = false;
      if (all.get(key) === running) all.delete(key);
    });
  }
  return promise;
}

/** At most this many decisions go into one round (one group commit). */
const ROUND_SIZE = 128;

/** Runs rounds until no decision waits on the context, then calls `done` (in the turn that saw the queue empty). */
async function runRounds(store: EventStore, underLock: DecideUnderLock, queue: RoundQueue, done: () => void): Promise<void> {
  try {
    while (queue.waiting.length > 0) {
      const head = queue.waiting[0] as Waiting;
      if (head.valid.appendOptions.idempotencyKey !== undefined) {
        // a keyed decision runs alone, as on any store (its key is checked against the events it decides)
        queue.waiting.shift();
        await attempt(store, head.decision, head.valid, queue).then(head.resolve, head.reject);
        continue;
      }
      const keyed = queue.waiting.findIndex((w) => w.valid.appendOptions.idempotencyKey !== undefined);
      const members = queue.waiting.splice(0, Math.min(ROUND_SIZE, keyed === -1 ? Infinity : keyed));
      const retried = await runRound(store, underLock, queue, members);
      if (retried.length === 0) {
        // the callers just settled may decide again at once: let them queue up for the next round
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      queue.waiting.unshift(...retried);
      await backoff(Math.max(...retried.map((w) => w.attempts)));
    }
  } finally {
    done(); // in the turn that found the queue empty: nothing can have queued since
  }
}

/**
 * One round: reads the context unless the last round left it known, folds it for each member,
 * and submits every member as a decision under the lock at the version known; settles each
 * member and returns those that met a conflict and may try again.
 */
async function runRound(store: EventStore, underLock: DecideUnderLock, queue: RoundQueue, members: Waiting[]): Promise<Waiting[]> {
  // the member that folds from the lowest position decides what is read (the others skip a prefix)
  const lowest = members.reduce((a, b) => ((a.valid.query.minSequenceNumber ?? 0n) <= (b.valid.query.minSequenceNumber ?? 0n) ? a : b));
  let records: readonly EventRecord[];
  try {
    records = await readContext(store, lowest.valid.query, lowest.valid.query.minSequenceNumber ?? 0n, queue);
  } catch (error) {
    for (const member of members) member.reject(error);
    return [];
  }
  const version = queue.known?.version ?? null;
  const decisions: MemberDecision[] = [];
  for (const member of members) {
    member.attempts++;
    try {
      decisions.push(new MemberDecision(member, records));
    } catch (error) {
      member.reject(error); // evolve threw: nothing was submitted for it
    }
  }
  if (decisions.length === 0) return [];
  let submitted: Promise<AppendResult | null>[];
  try {
    submitted = underLock(lowest.valid.query, version, decisions);
  } catch (error) {
    for (const { member } of decisions) member.reject(error);
    return [];
  }
  const outcomes = await Promise.allSettled(submitted);
  const retried: Waiting[] = [];
  let newest: { decision: MemberDecision; result: AppendResult } | undefined;
  outcomes.forEach((outcome, i) => {
    const decision = decisions[i] as MemberDecision;
    const { member } = decision;
    if (outcome.status === 'rejected') {
      const error = outcome.reason;
      if (isFactStoreError(error, 'CONDITIONAL_APPEND_CONFLICT') && member.attempts < member.valid.maxAttempts) retried.push(member);
      else member.reject(error);
    } else if (decision.thrown !== undefined) member.reject(decision.thrown.error);
    else {
      const result = outcome.value;
      member.resolve({ state: decision.state, events: decision.events, result, attempts: member.attempts });
      if (result !== null && (newest === undefined || result.lastSequenceNumber > newest.result.lastSequenceNumber))
        newest = { decision, result };
    }
  });
  queue.matcher ??= compileMatcher(lowest.valid.query);
  learnRound(queue, newest, queue.matcher);
  return retried;
}

/**
 * One member's decision under the lock: its state folded from the records read (before the
 * round is submitted), then, when the group reaches it, from the records written ahead of it.
 * Its own errors are kept here (a follow-up must not throw) and rethrown to its caller.
 */
class MemberDecision implements FollowUp {
  private readonly folded: unknown;
  private readonly from: bigint;
  state: unknown;
  events: readonly NewEvent[] = [];
  /** The records of the context written ahead of it in the group, as it was decided on. */
  ahead: readonly EventRecord[] = [];
  thrown: { error: unknown } | undefined;

  constructor(
    readonly member: Waiting,
    records: readonly EventRecord[],
  ) {
    this.from = member.valid.query.minSequenceNumber ?? 0n;
    this.folded = fold(member.decision, member.decision.initial, records, this.from);
    this.state = this.folded;
  }

  decide(ahead: readonly EventRecord[]): readonly ValidEvent[] {
    this.thrown = undefined;
    try {
      const state = fold(this.member.decision, this.folded, ahead, this.from);
      const events = this.member.decision.decide(state);
      this.state = state;
      this.events = events;
      this.ahead = ahead;
      if (Array.isArray(events) && events.length === 0) return [];
      return validateEvents(events);
    } catch (error) {
      this.thrown = { error };
      return [];
    }
  }
}

/**
 * After a round: the member that committed last folded every record of the context written
 * after the version known (the records ahead of it, as the group numbered them) and wrote its
 * own; with those the context is known as that commit left it. Without a commit, the context is
 * still known up to the version read, and the next round reads what came after it.
 */
function learnRound(
  queue: RoundQueue,
  newest: { decision: MemberDecision; result: AppendResult } | undefined,
  matcher: EventMatcher,
): void {
  const known = queue.known;
  if (known === undefined) return;
  const own = newest && committedRecords(newest.result);
  if (newest === undefined || own === undefined) {
    known.fresh = false;
    return;
  }
  for (const record of newest.decision.ahead) {
    known.records.push(record);
    known.version = record.sequenceNumber;
  }
  learnCommitted(known, own, matcher);
}

const DecisionShape = Type.Object(
  {
    query: Type.Unknown(),
    initial: Type.Optional(Type.Unknown()),
    evolve: Type.Function([Type.Unknown(), Type.Unknown()], Type.Unknown()),
    decide: Type.Function([Type.Unknown()], Type.Unknown()),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH })),
  },
  { additionalProperties: false },
);

const MESSAGES: Readonly<Record<string, string>> = {
  '': 'must be a plain object { query, initial, evolve, decide, maxAttempts?, idempotencyKey? }',
  '/query': 'is required (write {} for every event)',
  '/evolve': 'must be a function (state, record) => state',
  '/decide': 'must be a function (state) => events',
  '/maxAttempts': 'must be a positive safe integer',
  '/idempotencyKey': 'must be a string of 1 to 200 characters',
};

/** The query keys a decision's context may use: the filters, and where the fold starts. */
const CONTEXT_KEYS: ReadonlySet<string> = new Set(['filters', 'minSequenceNumber']);

function validateDecision(store: unknown, decision: unknown): ValidDecision {
  const issues: InvalidInputIssue[] = [];
  if (typeof store !== 'object' || store === null || typeof (store as EventStore).appendIf !== 'function') {
    issues.push({ path: 'store', message: 'must be an EventStore' });
  }
  if (wellFormed(decision)) return validDecision(decision as Decision<unknown>, issues);
  if (typeof decision !== 'object' || decision === null) {
    issues.push({ path: 'decision', message: MESSAGES[''] as string });
    throw new InvalidInputError(issues);
  }
  const found: InvalidInputIssue[] = [];
  const shape = checkOptions<{ query: unknown; maxAttempts?: number; idempotencyKey?: string }>(DecisionShape, decision, found, MESSAGES);
  // checkOptions reports under `options` (a missing function twice: absent, and not a function)
  for (const issue of found) {
    const path = issue.path.replace(/^options/, 'decision');
    if (!issues.some((known) => known.path === path)) issues.push({ path, message: issue.message });
  }
  if (issues.length > 0) throw new InvalidInputError(issues);
  return validDecision(shape, issues);
}

const DECISION_KEYS: ReadonlySet<string> = new Set(Object.keys(DecisionShape.properties));

/** Whether the decision's envelope is right at a glance (the common case), so that its schema check can be skipped. */
function wellFormed(decision: unknown): boolean {
  if (typeof decision !== 'object' || decision === null || Object.getPrototypeOf(decision) !== Object.prototype) return false;
  const d = decision as Record<string, unknown>;
  for (const key in d) if (!DECISION_KEYS.has(key) || (d[key] === undefined && key !== 'initial')) return false;
  const { maxAttempts, idempotencyKey } = d;
  return (
    d.query !== undefined &&
    typeof d.evolve === 'function' &&
    typeof d.decide === 'function' &&
    (maxAttempts === undefined || (Number.isSafeInteger(maxAttempts) && (maxAttempts as number) >= 1)) &&
    (idempotencyKey === undefined ||
      (typeof idempotencyKey === 'string' && idempotencyKey.length >= 1 && idempotencyKey.length <= MAX_IDEMPOTENCY_KEY_LENGTH))
  );
}

function validDecision(
  shape: { query: unknown; maxAttempts?: number; idempotencyKey?: string },
  issues: InvalidInputIssue[],
): ValidDecision {
  const query = validateQuery(shape.query, 'decision.query');
  for (const key of Object.keys(query)) {
    if (!CONTEXT_KEYS.has(key))
      issues.push({ path: `decision.query.${key}`, message: 'is not accepted: a decision reads its whole context' });
  }
  const key = shape.idempotencyKey;
  const reason = key === undefined ? null : badStringReason(key);
  if (reason !== null) issues.push({ path: 'decision.idempotencyKey', message: `string ${reason}` });
  if (issues.length > 0) throw new InvalidInputError(issues);
  return { query, maxAttempts: shape.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, appendOptions: key === undefined ? {} : { idempotencyKey: key } };
}
