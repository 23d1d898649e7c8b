import { Type } from '@sinclair/typebox';
import { InvalidInputError, isFactStoreError, type InvalidInputIssue } from '../errors.js';
import { MAX_IDEMPOTENCY_KEY_LENGTH, type AppendResult, type EventRecord, type NewEvent } from '../event.js';
import type { EventStore } from '../event-store.js';
import { canonicalQuery } from '../matching/canonical.js';
import type { EventQuery } from '../query.js';
import { badStringReason } from '../validation/json-input.js';
import { checkOptions, validateQuery, type ValidQuery } from '../validation/validate.js';

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
}

/** The queue of one context: the settled tail of the decisions queued so far, and what they read. */
interface ContextQueue {
  tail: Promise<void>;
  known: KnownContext | undefined;
}

async function attempt<S>(
  store: EventStore,
  decision: Decision<S>,
  valid: ValidDecision,
  context: ContextQueue,
): Promise<DecisionOutcome<S>> {
  const from = valid.query.minSequenceNumber ?? 0n;
  for (let attempts = 1; ; attempts++) {
    const records = await readContext(store, valid.query, from, context);
    let state = decision.initial;
    if (from === 0n) for (const record of records) state = decision.evolve(state, record);
    else for (const record of records) if (record.sequenceNumber > from) state = decision.evolve(state, record);
    const events = decision.decide(state);
    if (Array.isArray(events) && events.length === 0) return { state, events, result: null, attempts };
    try {
      const result = await store.appendIf(events, valid.query, context.known?.version ?? null, valid.appendOptions);
      return { state, events, result, attempts };
    } catch (error) {
      if (!isFactStoreError(error, 'CONDITIONAL_APPEND_CONFLICT') || attempts >= valid.maxAttempts) throw error;
      await backoff(attempts);
    }
  }
}

/** The context's records after `from` as of now, read whole or, when the queue knows a prefix, only past it. */
async function readContext(store: EventStore, query: ValidQuery, from: bigint, context: ContextQueue): Promise<readonly EventRecord[]> {
  const known = context.known;
  if (known === undefined || known.from > from) {
    const read = await store.query(query);
    context.known = { from, records: read.eventRecords, version: read.currentContextVersion };
    return read.eventRecords;
  }
  const after = known.version ?? known.from;
  const read = await store.query(after > from ? { ...query, minSequenceNumber: after } : query);
  for (const record of read.eventRecords) if (record.sequenceNumber > after) known.records.push(record);
  known.version = read.currentContextVersion;
  return known.records;
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
