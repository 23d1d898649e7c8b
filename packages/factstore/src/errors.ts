/**
 * Every error factstore throws on purpose extends {@link FactStoreError} and carries a stable
 * {@link FactStoreErrorCode}. Check `error.code` rather than `instanceof` when an application may
 * load both the ESM and the CommonJS build of this package.
 * @module
 */
import type { JsonValue } from './json.js';
import type { EventQuery } from './query.js';

/** The stable codes of every factstore error. */
export type FactStoreErrorCode =
  | 'EMPTY_APPEND'
  | 'CONDITIONAL_APPEND_CONFLICT'
  | 'INVALID_INPUT'
  | 'DURABLE_STREAM_ACTIVE'
  | 'DURABLE_STREAM_QUERY_MISMATCH'
  | 'DURABLE_REPLAY_FAILED'
  | 'STORE_CLOSED'
  | 'BACKEND_FAILURE'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'DURABLE_STREAM_LEASE_LOST'
  | 'WAIT_TIMEOUT'
  | 'PROJECTION_REENTRY';

/** Base class of every error factstore throws on purpose. */
export abstract class FactStoreError extends Error {
  /** The stable, machine-readable code of this error. */
  abstract readonly code: FactStoreErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** `append([])` or `appendIf([], …)`: an append needs at least one event. */
export class EmptyAppendError extends FactStoreError {
  readonly code = 'EMPTY_APPEND' as const;
  constructor() {
    super('append requires at least one event');
  }
}

/**
 * `appendIf` found the context at another version than the caller expected; nothing was written.
 * The message says what was compared: the context query (compactly), the expected and the actual
 * version.
 */
export class ConditionalAppendConflictError extends FactStoreError {
  readonly code = 'CONDITIONAL_APPEND_CONFLICT' as const;
  /**
   * @param expected the version the caller expected (`null`: no matching event may exist)
   * @param actual the context version the store found (`null`: no matching event exists)
   * @param contextQuery the context that was compared (the `appendIf`'s `contextQuery`, validated)
   */
  constructor(
    readonly expected: bigint | null,
    readonly actual: bigint | null,
    readonly contextQuery?: EventQuery,
  ) {
    const context = contextQuery === undefined ? '' : ` for the context ${formatQuery(contextQuery)}`;
    super(`context version mismatch${context}: expected ${versionText(expected)}, actual ${versionText(actual)}; nothing was written`);
  }
}

/** One problem found in an argument: where (a JSON-pointer-like path) and what. */
export interface InvalidInputIssue {
  /** Where the problem is, e.g. `events/0/payload/amount` or `query/filters/1/eventType`. */
  path: string;
  /** What is wrong, in plain words. */
  message: string;
}

/** How many problems an {@link InvalidInputError}'s message lists at most (its `issues` has them all). */
export const MAX_LISTED_ISSUES = 20;

/** An argument breaks the input rules; nothing was read or written. */
export class InvalidInputError extends FactStoreError {
  readonly code = 'INVALID_INPUT' as const;
  /** Every problem found, at least one. */
  readonly issues: InvalidInputIssue[];
  /**
   * @param issues every problem found; the message lists them (the first
   *   {@link MAX_LISTED_ISSUES}), one `path: sentence` each
   */
  constructor(issues: InvalidInputIssue[]) {
    const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => `${issue.path}: ${issue.message}`);
    if (issues.length > MAX_LISTED_ISSUES) listed.push(`and ${issues.length - MAX_LISTED_ISSUES} more (see issues)`);
    const head = issues.length > 1 ? `invalid input (${issues.length} problems): ` : 'invalid input: ';
    super(`${head}${listed.length > 0 ? listed.join('; ') : 'unknown problem'}`);
    this.issues = issues;
  }
}

/** A durable stream name is already active in this or another store instance or process. */
export class DurableStreamActiveError extends FactStoreError {
  readonly code = 'DURABLE_STREAM_ACTIVE' as const;
  constructor(readonly streamName: string) {
    super(`durable stream ${JSON.stringify(streamName)} is already active`);
  }
}

/**
 * A durable stream name was resumed with a query other than the one stored with its cursor. The
 * message shows both, in the canonical form they were compared in.
 */
export class DurableStreamQueryMismatchError extends FactStoreError {
  readonly code = 'DURABLE_STREAM_QUERY_MISMATCH' as const;
  /** The query stored with the name's cursor (canonical form: sorted, without cursor fields). */
  readonly storedQuery: EventQuery | undefined;
  /** The query the name was registered with now (canonical form). */
  readonly givenQuery: EventQuery | undefined;
  /**
   * @param streamName the durable name
   * @param storedQuery the stored query's canonical text (`canonicalQuery` of `factstore/backend`)
   * @param givenQuery the given query's canonical text
   */
  constructor(
    readonly streamName: string,
    storedQuery?: string,
    givenQuery?: string,
  ) {
    const stored = storedQuery === undefined ? undefined : parseCanonical(storedQuery);
    const given = givenQuery === undefined ? undefined : parseCanonical(givenQuery);
    const both = stored && given ? `: stored ${formatQuery(stored)}, given ${formatQuery(given)}` : '';
    super(`durable stream ${JSON.stringify(streamName)} was resumed with a different query${both} (a new query needs a new name)`);
    this.storedQuery = stored;
    this.givenQuery = given;
  }
}

/** The handler failed while a durable stream replayed; `cause` is the thrown value itself. */
export class DurableReplayError extends FactStoreError {
  readonly code = 'DURABLE_REPLAY_FAILED' as const;
  constructor(
    readonly streamName: string,
    cause: unknown,
  ) {
    super(`durable replay for stream ${JSON.stringify(streamName)} did not complete: ${describe(cause)}`, { cause });
  }
}

/** The store was closed; no call is accepted any more. */
export class StoreClosedError extends FactStoreError {
  readonly code = 'STORE_CLOSED' as const;
  constructor() {
    super('the store is closed');
  }
}

/**
 * The database failed, or did not answer within the store's bound; `cause` is the driver's error.
 * Nothing of the failed call is visible, unless {@link BackendFailureError.mayHaveCommitted} is
 * true: then an append's outcome is unknown (its commit was sent and no answer came back), and
 * only a retry with the same idempotency key is safe: it resolves with the first commit's result
 * if that one landed, and writes the batch once if it did not.
 */
export class BackendFailureError extends FactStoreError {
  readonly code = 'BACKEND_FAILURE' as const;
  /** True when the failed call was an append that may have committed (see the class docs). */
  readonly mayHaveCommitted: boolean;
  /**
   * @param message what failed, e.g. `append failed`
   * @param cause the original error; its message is appended to `message` unless `describesCause`
   *   says that `message` says it already
   * @param options `mayHaveCommitted`: see {@link BackendFailureError.mayHaveCommitted}
   */
  constructor(message: string, cause?: unknown, options: { readonly describesCause?: boolean; readonly mayHaveCommitted?: boolean } = {}) {
    const tail = cause === undefined || options.describesCause ? '' : `: ${describe(cause)}`;
    super(`backend failure: ${message}${tail}`, { cause });
    this.mayHaveCommitted = options.mayHaveCommitted ?? false;
  }
}

/**
 * An `append` or `appendIf` whose idempotency key names a committed batch with other events.
 * Nothing was written. The same key with the same events resolves with the first commit's result.
 */
export class IdempotencyKeyReusedError extends FactStoreError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED' as const;
  constructor(
    /** The key. */
    readonly idempotencyKey: string,
    /** The range of the batch the key names. */
    readonly committed: { readonly firstSequenceNumber: bigint; readonly lastSequenceNumber: bigint },
  ) {
    super(
      `idempotency key ${JSON.stringify(idempotencyKey)} already names the batch ${committed.firstSequenceNumber}..${committed.lastSequenceNumber}, which has other events; nothing was written`,
    );
  }
}

/**
 * A durable stream's hold on its name passed to another holder while this one could not renew it
 * (a paused process, a blocked event loop, a partition from the database). The stream stopped
 * (`active` false) before the other holder could start, and starts no handler call again; its
 * cursor stays where this holder last saved it. Registering the name again waits for the other
 * holder as usual.
 */
export class DurableStreamLeaseLostError extends FactStoreError {
  readonly code = 'DURABLE_STREAM_LEASE_LOST' as const;
  constructor(readonly streamName: string) {
    super(`durable stream ${JSON.stringify(streamName)} lost its lease to another holder and stopped`);
  }
}

/**
 * `waitForDurable` gave up: the durable stream had not saved its cursor at or past the position
 * within the timeout (also when no one registered the name). Nothing changed.
 */
export class WaitTimeoutError extends FactStoreError {
  readonly code = 'WAIT_TIMEOUT' as const;
  constructor(
    /** The durable stream waited for. */
    readonly streamName: string,
    /** The position it was to reach. */
    readonly position: bigint,
    /** How long the call waited, in ms. */
    readonly timeoutMs: number,
  ) {
    super(`durable stream ${JSON.stringify(streamName)} did not save its cursor at or past ${position} within ${timeoutMs} ms`);
  }
}

/**
 * A call a `project` handler may not make on its own store: `append`, `appendIf`, or registering a
 * durable stream or projection. The handler runs inside the store's write transaction (SQLite: on
 * the one write connection, so the call would wait for the handler that waits for it; PostgreSQL:
 * the call would commit apart from the projection, even when the projection rolls back). Nothing
 * was written. Write the read model through the handler's `tx`; append after the handler.
 */
export class ProjectionReentryError extends FactStoreError {
  readonly code = 'PROJECTION_REENTRY' as const;
  constructor(
    /** The refused method, e.g. `append`. */
    readonly call: string,
  ) {
    super(
      `${call} cannot be called on the same store from inside a project handler (it runs in the store's write transaction); nothing was written`,
    );
  }
}

/** The error class of each code, for {@link isFactStoreError}'s narrowing. */
export interface FactStoreErrorsByCode {
  EMPTY_APPEND: EmptyAppendError;
  CONDITIONAL_APPEND_CONFLICT: ConditionalAppendConflictError;
  INVALID_INPUT: InvalidInputError;
  DURABLE_STREAM_ACTIVE: DurableStreamActiveError;
  DURABLE_STREAM_QUERY_MISMATCH: DurableStreamQueryMismatchError;
  DURABLE_REPLAY_FAILED: DurableReplayError;
  STORE_CLOSED: StoreClosedError;
  BACKEND_FAILURE: BackendFailureError;
  IDEMPOTENCY_KEY_REUSED: IdempotencyKeyReusedError;
  DURABLE_STREAM_LEASE_LOST: DurableStreamLeaseLostError;
  WAIT_TIMEOUT: WaitTimeoutError;
  PROJECTION_REENTRY: ProjectionReentryError;
}

/**
 * Whether `error` is a factstore error with the given code; narrows it to that code's class
 * (`isFactStoreError(e, 'CONDITIONAL_APPEND_CONFLICT')` gives `e.expected` and `e.actual`).
 * Works across copies of this package (ESM and CommonJS builds), where `instanceof` may not.
 */
export function isFactStoreError<C extends FactStoreErrorCode>(error: unknown, code: C): error is FactStoreErrorsByCode[C];
/** Whether `error` is a factstore error (any code). */
export function isFactStoreError(error: unknown): error is FactStoreError;
export function isFactStoreError(error: unknown, code?: FactStoreErrorCode): error is FactStoreError {
  if (typeof error !== 'object' || error === null || !(error instanceof Error)) return false;
  const found = (error as { code?: unknown }).code;
  if (typeof found !== 'string') return false;
  return code === undefined ? ERROR_CODES.has(found) : found === code;
}

const ERROR_CODES: ReadonlySet<string> = new Set<FactStoreErrorCode>([
  'EMPTY_APPEND',
  'CONDITIONAL_APPEND_CONFLICT',
  'INVALID_INPUT',
  'DURABLE_STREAM_ACTIVE',
  'DURABLE_STREAM_QUERY_MISMATCH',
  'DURABLE_REPLAY_FAILED',
  'STORE_CLOSED',
  'BACKEND_FAILURE',
  'IDEMPOTENCY_KEY_REUSED',
  'DURABLE_STREAM_LEASE_LOST',
  'WAIT_TIMEOUT',
  'PROJECTION_REENTRY',
]);

function versionText(version: bigint | null): string {
  return version === null ? 'null (no matching event)' : `${version}`;
}

const MAX_QUERY_TEXT = 300;

/** A query in a line, as a caller would write it: `{ filters: [{ eventTypes: ["a"], payloadPredicates: [{"id":1}] }] }`. */
function formatQuery(query: EventQuery): string {
  const filters = query.filters ?? [];
  if (filters.length === 0) return '{} (every event)';
  const parts = filters.map((filter) => {
    const keys: string[] = [];
    if (filter.eventTypes !== undefined) keys.push(`eventTypes: ${JSON.stringify(filter.eventTypes)}`);
    if (filter.payloadPredicates !== undefined) keys.push(`payloadPredicates: ${JSON.stringify(filter.payloadPredicates)}`);
    return keys.length === 0 ? '{}' : `{ ${keys.join(', ')} }`;
  });
  const text = `{ filters: [${parts.join(', ')}] }`;
  return text.length <= MAX_QUERY_TEXT ? text : `${text.slice(0, MAX_QUERY_TEXT - 1)}…`;
}

/** The query of a canonical text (`null` lists are absent ones). */
function parseCanonical(text: string): EventQuery | undefined {
  try {
    const parsed = JSON.parse(text) as { filters?: { eventTypes: string[] | null; payloadPredicates: JsonValue[] | null }[] };
    return {
      filters: (parsed.filters ?? []).map((f) => ({
        ...(f.eventTypes === null ? {} : { eventTypes: f.eventTypes }),
        ...(f.payloadPredicates === null ? {} : { payloadPredicates: f.payloadPredicates }),
      })),
    };
  } catch {
    return undefined;
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  try {
    return String(value);
  } catch {
    return 'unprintable value';
  }
}
