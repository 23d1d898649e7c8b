import type { EventRecord } from '../event.js';
import type { QueryResult } from '../query.js';
import type { EventMatcher } from '../matching/query-match.js';
import type { ValidQuery } from '../validation/validate.js';

/**
 * How a store reads the candidates of one query: a superset of its matching events (an index
 * narrows, the contract's matcher decides), never missing a match. A store that selects exactly
 * the matching events says so with `exact`; the matcher still runs, and agrees.
 */
export interface CandidateRows {
  /**
   * The candidates below `below` (every one when `null`) and above `above` (when given), highest
   * position first, at most `count`.
   */
  before(below: bigint | null, count: number, above?: bigint): Promise<readonly EventRecord[]>;
  /** The candidates above `after` and below `below` (when given), lowest position first, at most `count`. */
  after(after: bigint, count: number, below?: bigint | null): Promise<readonly EventRecord[]>;
  /** Whether the candidates are exactly the matching events. */
  readonly exact: boolean;
  /** Optional, for exact candidates: the highest position among them (`null`: none), when the store has a quicker way than `before(null, 1)`. */
  highest?(): Promise<bigint | null>;
}

/** How many candidates one read takes when the matcher decides (one statement's worth). */
export const CANDIDATE_PAGE = 256;
/**
 * How many of the newest candidates of each context a store reads when it reads the versions of
 * many contexts in one statement ({@link versionFromNewest}): the newest candidate nearly always
 * matches, so a short page decides, and an undecided context reads on alone.
 */
export const VERSION_PAGE = 16;

/** A candidate as the matcher and the version need it: a record without `occurredAt`, not yet frozen. */
export type Candidate = Pick<EventRecord, 'sequenceNumber' | 'eventType' | 'payload'>;
/** How many rows one read takes when the candidates are exact. */
const EXACT_PAGE = 10_000;

/**
 * Which matching records a query returns: those strictly between `after` and `before` (`null`: no
 * upper bound), ascending or (`backward`) newest first, at most `limit` of them.
 */
export interface ReadRange {
  readonly after: bigint;
  readonly before: bigint | null;
  readonly limit: number;
  readonly backward: boolean;
}

/** The {@link ReadRange} of a validated query (its cursor fields, `limit` and `direction`). */
export function readRange(query: ValidQuery): ReadRange {
  return {
    after: query.minSequenceNumber ?? 0n,
    before: query.beforeSequenceNumber ?? null,
    limit: query.limit ?? Infinity,
    backward: query.direction === 'backward',
  };
}

/** Whether a range holds no position at all (`before` at most `after + 1`): then no record need be read. */
export function emptyRange(range: ReadRange): boolean {
  return range.before !== null && range.before <= range.after + 1n;
}

/** The context version: the highest matching position, or `null` when nothing matches. */
export async function readContextVersion(rows: CandidateRows, matcher: EventMatcher): Promise<bigint | null> {
  if (rows.exact && rows.highest) return rows.highest();
  const page = rows.exact ? 1 : CANDIDATE_PAGE;
  for (let below: bigint | null = null; ;) {
    const candidates = await rows.before(below, page);
    for (const record of candidates) if (matcher(record)) return record.sequenceNumber;
    if (candidates.length < page) return null;
    below = (candidates[candidates.length - 1] as EventRecord).sequenceNumber;
  }
}

/** The matching records of `range`, in its direction. */
export async function readMatching(rows: CandidateRows, matcher: EventMatcher, range: ReadRange): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  if (emptyRange(range)) return out;
  const { after, before, limit, backward } = range;
  for (let from = backward ? before : after; ;) {
    const page = rows.exact ? Math.min(limit - out.length, EXACT_PAGE) : CANDIDATE_PAGE;
    const candidates = backward ? await rows.before(from, page, after) : await rows.after(from as bigint, page, before);
    for (const record of candidates) {
      if (!matcher(record)) continue;
      out.push(record);
      if (out.length >= limit) return out;
    }
    if (candidates.length < page) return out;
    from = (candidates[candidates.length - 1] as EventRecord).sequenceNumber;
  }
}

/** A query's answer from reads of one consistent snapshot. */
export async function readQuery(rows: CandidateRows, matcher: EventMatcher, range: ReadRange): Promise<QueryResult> {
  const version = await readContextVersion(rows, matcher);
  const records = version === null ? [] : await readMatching(rows, matcher, range);
  return result(records, version);
}

/**
 * The context version from one read of the newest candidates (`before(null, page)`): the first
 * that matches. `undefined` when the read came back full without a match: then read on with
 * {@link readContextVersion}. Lets a store read the versions of many contexts in one statement.
 */
export function versionFromNewest(newest: readonly Candidate[], matcher: EventMatcher, page: number): bigint | null | undefined {
  for (const record of newest) if (matcher(record)) return record.sequenceNumber;
  return newest.length >= page ? undefined : null;
}

/**
 * The context versions of several contexts (a group commit's conditions), with one read for all
 * where there are several: `newest(sizes)` reads the newest `sizes[k]` candidates of every context
 * `k` in one statement and returns them tagged with `k`, in any order. A context whose page ends
 * without a decision reads on alone through its `rows`.
 */
export async function readContextVersions(
  contexts: readonly { readonly rows: CandidateRows; readonly matcher: EventMatcher }[],
  newest: (sizes: readonly number[]) => Promise<Iterable<{ readonly k: number; readonly candidate: Candidate }>>,
): Promise<(bigint | null)[]> {
  if (contexts.length === 0) return [];
  if (contexts.length === 1) {
    const [only] = contexts as [(typeof contexts)[number]];
    return [await readContextVersion(only.rows, only.matcher)];
  }
  const sizes = contexts.map(({ rows }) => (rows.exact ? 1 : VERSION_PAGE));
  const pages: Candidate[][] = contexts.map(() => []);
  for (const { k, candidate } of await newest(sizes)) (pages[k] as Candidate[]).push(candidate);
  return Promise.all(
    contexts.map(({ rows, matcher }, k) => {
      // highest first, whatever order the read returned them in
      const page = (pages[k] as Candidate[]).sort((a, b) =>
        a.sequenceNumber < b.sequenceNumber ? 1 : a.sequenceNumber > b.sequenceNumber ? -1 : 0,
      );
      return versionFromNewest(page, matcher, sizes[k] as number) ?? readContextVersion(rows, matcher);
    }),
  );
}

/**
 * A query's answer from one read of the newest candidates (`newest`, asked for with `page`), when
 * that read decides it: it held every candidate (fewer than `page` came back), or, going backward,
 * it already holds the `limit` newest matches of the range. A context of a few events, and "the
 * newest N", are answered by one statement, consistent by itself. `undefined` otherwise; then read
 * in a snapshot with {@link readQuery}.
 */
export function answerFromNewest(
  newest: readonly EventRecord[],
  matcher: EventMatcher,
  range: ReadRange,
  page: number = CANDIDATE_PAGE,
): QueryResult | undefined {
  const { after, before, limit, backward } = range;
  let version: bigint | null = null;
  const records: EventRecord[] = [];
  for (const record of newest) {
    if (!matcher(record)) continue;
    version ??= record.sequenceNumber;
    if (record.sequenceNumber > after && (before === null || record.sequenceNumber < before)) records.push(record);
    if (backward && records.length >= limit) return result(records, version);
  }
  if (newest.length >= page) return undefined;
  if (!backward) records.reverse();
  if (records.length > limit) records.length = limit;
  return result(records, version);
}

/**
 * {@link answerFromNewest} with the read it needs: the newest candidates, as many as decide the
 * query when they all match (the `limit` newest going backward from the top, else a page).
 * `undefined` when that read did not decide, or when exact candidates are better read in a
 * snapshot (their version comes from `highest()` without reading rows).
 */
export async function answerQuickly(rows: CandidateRows, matcher: EventMatcher, range: ReadRange): Promise<QueryResult | undefined> {
  const newestN = range.backward && range.before === null && range.limit < CANDIDATE_PAGE;
  if (rows.exact && !newestN) return undefined;
  const page = newestN ? range.limit : CANDIDATE_PAGE;
  return answerFromNewest(await rows.before(null, page), matcher, range, page);
}

function result(records: EventRecord[], version: bigint | null): QueryResult {
  const last = records.at(-1);
  return { eventRecords: records, lastReturnedSequenceNumber: last ? last.sequenceNumber : null, currentContextVersion: version };
}
