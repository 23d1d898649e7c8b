import type { EventRecord } from '../event.js';
import type { QueryResult } from '../query.js';
import type { EventMatcher } from '../matching/query-match.js';

/**
 * How a store reads the candidates of one query: a superset of its matching events (an index
 * narrows, the contract's matcher decides), never missing a match. A store that selects exactly
 * the matching events says so with `exact`; the matcher still runs, and agrees.
 */
export interface CandidateRows {
  /** The candidates below `below` (every one when `null`), highest position first, at most `count`. */
  before(below: bigint | null, count: number): Promise<readonly EventRecord[]>;
  /** The candidates above `after`, lowest position first, at most `count`. */
  after(after: bigint, count: number): Promise<readonly EventRecord[]>;
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

/** The matching records after `after`, ascending, at most `limit`. */
export async function readMatching(rows: CandidateRows, matcher: EventMatcher, after: bigint, limit: number): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for (let from = after; ;) {
    const page = rows.exact ? Math.min(limit - out.length, EXACT_PAGE) : CANDIDATE_PAGE;
    const candidates = await rows.after(from, page);
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
export async function readQuery(rows: CandidateRows, matcher: EventMatcher, after: bigint, limit: number): Promise<QueryResult> {
  const version = await readContextVersion(rows, matcher);
  const records = version === null ? [] : await readMatching(rows, matcher, after, limit);
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
 * A query's answer from one read of the newest candidates (`before(null, CANDIDATE_PAGE)`), when
 * that read holds every candidate (fewer than a page came back): a context of a few events is
 * answered by one statement, consistent by itself. `undefined` when the page was full; then read
 * in a snapshot with {@link readQuery}.
 */
export function answerFromNewest(
  newest: readonly EventRecord[],
  matcher: EventMatcher,
  after: bigint,
  limit: number,
): QueryResult | undefined {
  if (newest.length >= CANDIDATE_PAGE) return undefined;
  let version: bigint | null = null;
  const records: EventRecord[] = [];
  for (const record of newest) {
    if (!matcher(record)) continue;
    version ??= record.sequenceNumber;
    if (record.sequenceNumber > after) records.push(record);
  }
  records.reverse();
  if (records.length > limit) records.length = limit;
  return result(records, version);
}

function result(records: EventRecord[], version: bigint | null): QueryResult {
  const last = records.at(-1);
  return { eventRecords: records, lastReturnedSequenceNumber: last ? last.sequenceNumber : null, currentContextVersion: version };
}
