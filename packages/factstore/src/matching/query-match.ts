import type { EventRecord } from '../event.js';
import type { JsonValue } from '../json.js';
import type { ValidFilter, ValidQuery } from '../validation/validate.js';
import { payloadMatches } from './payload-match.js';

/** The part of a record that matching looks at. */
export type Matchable = Pick<EventRecord, 'eventType' | 'payload'>;

/** Whether one filter matches: its event types AND its payload predicates. */
export function filterMatches(filter: ValidFilter, event: Matchable): boolean {
  const types = filter.eventTypes;
  if (types !== undefined && !types.includes(event.eventType)) return false;
  const predicates = filter.payloadPredicates;
  if (predicates === undefined) return true;
  for (const predicate of predicates) if (payloadMatches(predicate, event.payload)) return true;
  return false;
}

/**
 * Whether a query's filters match: absent or `[]` matches every event, otherwise any filter (OR).
 * `minSequenceNumber` and `limit` are not part of matching.
 */
export function queryMatches(query: ValidQuery, event: Matchable): boolean {
  const filters = query.filters;
  if (filters === undefined || filters.length === 0) return true;
  for (const filter of filters) if (filterMatches(filter, event)) return true;
  return false;
}

/** A query's filters turned into one fast test, for streams and scans. */
export type EventMatcher = (event: Matchable) => boolean;

/** Compiles a query's filters into an {@link EventMatcher} with the same result as {@link queryMatches}. */
export function compileMatcher(query: ValidQuery): EventMatcher {
  const filters = query.filters;
  if (filters === undefined || filters.length === 0) return () => true;
  const compiled = filters.map(compileFilter);
  if (compiled.length === 1) return compiled[0] as EventMatcher;
  return (event) => {
    for (const test of compiled) if (test(event)) return true;
    return false;
  };
}

function compileFilter(filter: ValidFilter): EventMatcher {
  const types = filter.eventTypes === undefined ? undefined : new Set(filter.eventTypes);
  const predicates = filter.payloadPredicates;
  if (types?.size === 0 || predicates?.length === 0) return () => false;
  const payloadTest = predicates === undefined ? undefined : compilePredicates(predicates);
  if (types === undefined) return payloadTest === undefined ? () => true : (event) => payloadTest(event.payload);
  if (payloadTest === undefined) return (event) => types.has(event.eventType);
  return (event) => types.has(event.eventType) && payloadTest(event.payload);
}

function compilePredicates(predicates: readonly JsonValue[]): (payload: JsonValue) => boolean {
  if (predicates.length === 1) {
    const only = predicates[0] as JsonValue;
    return (payload) => payloadMatches(only, payload);
  }
  return (payload) => {
    for (const predicate of predicates) if (payloadMatches(predicate, payload)) return true;
    return false;
  };
}
