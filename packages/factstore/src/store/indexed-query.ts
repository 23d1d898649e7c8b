import type { EventRecord } from '../event.js';
import type { EventMatcher } from '../matching/query-match.js';
import type { QueryResult } from '../query.js';
import type { ValidQuery } from '../validation/validate.js';
import { readRange } from './candidate-read.js';
import type { PostingCandidates, PostingIndex } from './posting-index.js';
import { PostingUnion } from './posting-lists.js';

/** How many consecutive events a scan reads at once. */
const SCAN_PAGE = 1024;
/** How many candidates are read at once. */
const CANDIDATE_PAGE = 256;
/** How many of a list's newest candidates are read at once when looking for the context version. */
const VERSION_PAGE = 16;

/**
 * A log whose queries a {@link PostingIndex} in this process's memory narrows (the memory and
 * file stores): its head, its index (current up to the head, with the query's keys installed) and
 * its records by position. Queries run synchronously, so each sees one state of the log.
 */
export interface IndexedLog {
  /** The last position, 0 for an empty log. */
  readonly head: number;
  readonly index: PostingIndex;
  /** The records at `positions` (ascending, each at most the head), in that order. */
  at(positions: readonly number[]): EventRecord[];
  /** The records from `low` to `high` (inclusive, 1 ≤ low ≤ high ≤ head), ascending. */
  range(low: number, high: number): EventRecord[];
}

/**
 * A query's answer from an {@link IndexedLog}: candidates from its index when it can narrow,
 * otherwise a scan; each candidate checked with the contract's matcher unless the index decides
 * on its own ({@link PostingCandidates.exact}), when no record is read but those returned.
 */
export function answerIndexed(log: IndexedLog, query: ValidQuery, matcher: EventMatcher): QueryResult {
  // the candidates once, for the version and the records (one synchronous state of the log)
  const candidates = log.index.candidates(query);
  const version = versionOf(log, candidates, query, matcher);
  const records = version === 0 ? [] : matching(log, candidates, query, matcher);
  const last = records.at(-1);
  return {
    eventRecords: records,
    lastReturnedSequenceNumber: last ? last.sequenceNumber : null,
    currentContextVersion: version === 0 ? null : BigInt(version),
  };
}

/** The highest position in `log` that matches `query`, 0 when none does. */
export function indexedContextVersion(log: IndexedLog, query: ValidQuery, matcher: EventMatcher): number {
  return versionOf(log, log.index.candidates(query), query, matcher);
}

/** The context version from the query's `candidates` (`undefined`: none, scan). */
function versionOf(log: IndexedLog, candidates: PostingCandidates | undefined, query: ValidQuery, matcher: EventMatcher): number {
  const head = log.head;
  if (head === 0) return 0;
  if (candidates === undefined) {
    if (matchesEverything(query)) return head;
    for (let high = head; high >= 1; high -= SCAN_PAGE) {
      const records = log.range(Math.max(1, high - SCAN_PAGE + 1), high);
      for (let i = records.length - 1; i >= 0; i--)
        if (matcher(records[i] as EventRecord)) return Number((records[i] as EventRecord).sequenceNumber);
    }
    return 0;
  }
  if (candidates.exact) return log.index.highestOf(candidates);
  let best = 0;
  const newestFirst = [...candidates.lists].sort((a, b) => (b.at(-1) ?? 0) - (a.at(-1) ?? 0));
  for (const list of newestFirst) {
    if ((list.at(-1) ?? 0) <= best) break;
    search: for (let end = list.length; end > 0; end -= VERSION_PAGE) {
      const page = list.slice(Math.max(0, end - VERSION_PAGE), end);
      if ((page.at(-1) as number) <= best) break;
      const records = log.at(page);
      for (let i = records.length - 1; i >= 0; i--) {
        const position = page[i] as number;
        if (position <= best) break search;
        if (matcher(records[i] as EventRecord)) {
          best = position;
          break search;
        }
      }
    }
  }
  return best;
}

/** The matching records of the query's range, in its direction, at most `limit`. */
function matching(log: IndexedLog, candidates: PostingCandidates | undefined, query: ValidQuery, matcher: EventMatcher): EventRecord[] {
  const head = log.head;
  const range = readRange(query);
  const after = Number(range.after < BigInt(head) ? range.after : head);
  const before = range.before === null || range.before > BigInt(head) ? head + 1 : Number(range.before);
  const { limit, backward } = range;
  const out: EventRecord[] = [];
  // the next page of records to check, in the walk's direction; empty once the range is done
  let nextPage: () => EventRecord[];
  if (candidates === undefined) {
    let low = backward ? before : after + 1; // backward: the page ends below `low`; forward: starts at it
    nextPage = backward
      ? () => {
          const high = low - 1;
          low = Math.max(after + 1, high - SCAN_PAGE + 1);
          return high < low ? [] : log.range(low, high).reverse();
        }
      : () => {
          const high = Math.min(before - 1, low + SCAN_PAGE - 1);
          const records = low > high ? [] : log.range(low, high);
          low = high + 1;
          return records;
        };
  } else {
    const union = new PostingUnion(candidates.lists, { after, before, backward });
    const exact = candidates.exact;
    // an exact page holds only matches, so it need hold no more than the limit still wants
    const size = exact ? () => Math.min(CANDIDATE_PAGE, limit - out.length) : () => CANDIDATE_PAGE;
    nextPage = () => {
      // the next page of candidates: the union of the lists without repeats, read ascending
      const page: number[] = [];
      const wanted = size();
      while (page.length < wanted) {
        const next = union.next();
        if (next === undefined) break;
        if (!exact || log.index.accepts(candidates, next)) page.push(next);
      }
      return backward ? log.at(page.reverse()).reverse() : log.at(page);
    };
    if (exact) {
      for (let records = nextPage(); records.length > 0 && out.length < limit; records = nextPage())
        for (const record of records) out.push(record);
      return out;
    }
  }
  while (out.length < limit) {
    const records = nextPage();
    if (records.length === 0) break;
    for (const record of records) {
      if (!matcher(record)) continue;
      out.push(record);
      if (out.length >= limit) break;
    }
  }
  return out;
}

/** Whether a query without usable candidates matches every event (no filter, or one without constraints). */
function matchesEverything(query: ValidQuery): boolean {
  const filters = query.filters;
  if (filters === undefined || filters.length === 0) return true;
  return filters.some((filter) => filter.eventTypes === undefined && filter.payloadPredicates === undefined);
}
