import type { JsonValue } from '../json.js';
import type { ValidFilter, ValidQuery } from '../validation/validate.js';

/** JSON text with object keys sorted, so that equal values give equal text whatever their key order. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`).join(',')}}`;
}

/**
 * The canonical text of a durable stream's query, used to tell whether a name is resumed with the
 * same query: `minSequenceNumber`, `beforeSequenceNumber`, `limit` and `direction` dropped (so a
 * name stored before those fields existed still compares equal), absent filters equal to `[]`,
 * object keys sorted, and filters, event types and predicates compared as sets (order and
 * duplicates ignored).
 * An absent list inside a filter stays distinct from an empty one (they mean different things).
 */
export function canonicalQuery(query: ValidQuery): string {
  const filters = uniqueSorted((query.filters ?? []).map(canonicalFilter));
  return `{"filters":[${filters.join(',')}]}`;
}

function canonicalFilter(filter: ValidFilter): string {
  const types = filter.eventTypes === undefined ? 'null' : `[${uniqueSorted(filter.eventTypes.map((t) => JSON.stringify(t))).join(',')}]`;
  const predicates =
    filter.payloadPredicates === undefined ? 'null' : `[${uniqueSorted(filter.payloadPredicates.map(canonicalJson)).join(',')}]`;
  return `{"eventTypes":${types},"payloadPredicates":${predicates}}`;
}

function uniqueSorted(items: string[]): string[] {
  return [...new Set(items)].sort();
}
