import type { EventRecord, QueryResult } from 'factstore';
import { PostingUnion, readRange, type EventMatcher, type ValidQuery } from 'factstore/backend';
import type { Log } from './log.js';

/** How many consecutive events a scan reads at once (one read per segment). */
const SCAN_PAGE = 1024;
/** How many candidates are read at once (nearby lines coalesced into one read). */
const CANDIDATE_PAGE = 256;
/** How many of a list's newest candidates are read at once when looking for the context version. */
const VERSION_PAGE = 16;

/**
 * A query's answer from the log as it is now (synchronous, so it is one consistent snapshot):
 * candidates from the index when it can narrow, otherwise a scan, each candidate checked with the
 * contract's matcher.
 */
export function answerQuery(log: Log, query: ValidQuery, matcher: EventMatcher): QueryResult {
  const version = contextVersion(log, query, matcher);
  const records = version === 0 ? [] : matching(log, query, matcher);
  const last = records.at(-1);
  return {
    eventRecords: records,
    lastReturnedSequenceNumber: last ? last.sequenceNumber : null,
    currentContextVersion: version === 0 ? null : BigInt(version),
  };
}

/** The highest matching position, 0 when nothing matches. */
export function contextVersion(log: Log, query: ValidQuery, matcher: EventMatcher): number {
  const head = log.head;
  if (head === 0) return 0;
  const candidates = log.index.candidates(query);
  if (candidates === undefined) {
    if (matchesEverything(query)) return head;
    for (let high = head; high >= 1; high -= SCAN_PAGE) {
      const records = log.reader.range(Math.max(1, high - SCAN_PAGE + 1), high);
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
      const records = log.reader.at(page);
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
function matching(log: Log, query: ValidQuery, matcher: EventMatcher): EventRecord[] {
  const head = log.head;
  const range = readRange(query);
  const after = Number(range.after < BigInt(head) ? range.after : head);
  const before = range.before === null || range.before > BigInt(head) ? head + 1 : Number(range.before);
  const { limit, backward } = range;
  const out: EventRecord[] = [];
  const candidates = log.index.candidates(query);
  // the next page of records to check, in the walk's direction; empty once the range is done
  let nextPage: () => EventRecord[];
  if (candidates === undefined) {
    let low = backward ? before : after + 1; // backward: the page ends below `low`; forward: starts at it
    nextPage = backward
      ? () => {
          const high = low - 1;
          low = Math.max(after + 1, high - SCAN_PAGE + 1);
          return high < low ? [] : log.reader.range(low, high).reverse();
        }
      : () => {
          const high = Math.min(before - 1, low + SCAN_PAGE - 1);
          const records = low > high ? [] : log.reader.range(low, high);
          low = high + 1;
          return records;
        };
  } else {
    const union = new PostingUnion(candidates.lists, { after, before, backward });
    nextPage = () => {
      // the next page of candidates: the union of the lists without repeats, read ascending
      const page: number[] = [];
      while (page.length < CANDIDATE_PAGE) {
        const next = union.next();
        if (next === undefined) break;
        page.push(next);
      }
      return backward ? log.reader.at(page.reverse()).reverse() : log.reader.at(page);
    };
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
