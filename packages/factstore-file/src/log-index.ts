import type { JsonValue } from 'factstore';
import type { ValidQuery } from 'factstore/backend';

/** A top-level payload value the value index keeps. */
type Scalar = string | number | boolean | null;
/** Positions, ascending. */
type List = number[];
const NONE: readonly number[] = Object.freeze([]);

/** Longer strings are not kept in the value index (a predicate on one is narrowed by type, or scans). */
export const MAX_INDEXED_STRING = 128;

/** The candidates of a query: position lists whose union holds every event it can match. */
export interface Candidates {
  readonly lists: readonly (readonly number[])[];
  /** Whether every listed position matches (type-only filters): then no record need be read to decide. */
  readonly exact: boolean;
}

/**
 * Posting lists over the log, in this process's memory, so that a context of one entity is found
 * without reading the log: positions by event type (always kept), and positions by top-level
 * scalar payload value (`{ accountId: 'a1' }`) for the keys queries ask about (built by one read of
 * the log when a key is first asked for, see `Log.ensureKeys`; any number of keys: together they
 * hold no more positions than the payloads have top-level values).
 * Lists only narrow the search; every candidate is still checked with the contract's matcher.
 */
export class LogIndex {
  private readonly byType = new Map<string, List>();
  private readonly byValue = new Map<string, Map<Scalar, List>>();
  /** The list of the last event type added: runs of one type need no map lookup. */
  private lastType = '';
  private lastTypeList: List | undefined;

  /** The keys with a value index. */
  get keys(): readonly string[] {
    return [...this.byValue.keys()];
  }

  has(key: string): boolean {
    return this.byValue.has(key);
  }

  /** Forgets every list (the store is closed). */
  clear(): void {
    this.byType.clear();
    this.byValue.clear();
    this.lastTypeList = undefined;
  }

  /** Indexes one committed event. Positions arrive in ascending order. */
  add(position: number, eventType: string, payload: JsonValue): void {
    if (this.lastTypeList !== undefined && eventType === this.lastType) this.lastTypeList.push(position);
    else {
      push(this.byType, eventType, position);
      this.lastType = eventType;
      this.lastTypeList = this.byType.get(eventType);
    }
    if (this.byValue.size === 0 || payload === null || typeof payload !== 'object' || Array.isArray(payload)) return;
    for (const [key, values] of this.byValue) indexValue(values, payload, key, position);
  }

  /** How many events of each type the log holds. */
  typeCounts(): [string, number][] {
    return [...this.byType].map(([type, list]) => [type, list.length]);
  }

  /** Adds the value index of `key`, built by {@link indexValue} over every event so far. */
  install(key: string, values: Map<Scalar, List>): void {
    if (!this.byValue.has(key)) this.byValue.set(key, values);
  }

  /**
   * The candidates of the query's filters, or `undefined` when some filter can only be answered
   * by reading the whole log (no event type and no indexed scalar predicate).
   */
  candidates(query: ValidQuery): Candidates | undefined {
    const filters = query.filters;
    if (filters === undefined || filters.length === 0) return undefined;
    const lists = new Set<readonly number[]>();
    let exact = true;
    for (const filter of filters) {
      const types = filter.eventTypes;
      const predicates = filter.payloadPredicates;
      if (types?.length === 0 || predicates?.length === 0) continue;
      const typeLists = () => (types as readonly string[]).map((type) => this.byType.get(type) ?? NONE);
      if (predicates === undefined) {
        if (types === undefined) return undefined; // a filter without constraints matches everything
        for (const list of typeLists()) lists.add(list);
        continue;
      }
      exact = false;
      for (const predicate of predicates) {
        const best = this.shortestValueList(predicate);
        const typeTotal = types === undefined ? Infinity : typeLists().reduce((sum, list) => sum + list.length, 0);
        if (best !== undefined && best.length <= typeTotal) lists.add(best);
        else if (types !== undefined) for (const list of typeLists()) lists.add(list);
        else return undefined;
      }
    }
    return { lists: [...lists], exact };
  }

  /** The context version from type lists alone (the candidates are exact), 0 when none. */
  highestOf(candidates: Candidates): number {
    let best = 0;
    for (const list of candidates.lists) best = Math.max(best, list.at(-1) ?? 0);
    return best;
  }

  /** The shortest list among a predicate's top-level scalar entries on indexed keys, if it has any. */
  private shortestValueList(predicate: JsonValue): readonly number[] | undefined {
    if (predicate === null || typeof predicate !== 'object' || Array.isArray(predicate)) return undefined;
    let best: readonly number[] | undefined;
    for (const key in predicate) {
      const value = predicate[key] as JsonValue;
      if (!indexable(value)) continue;
      const values = this.byValue.get(key);
      if (!values) continue;
      const list = values.get(value) ?? NONE;
      if (best === undefined || list.length < best.length) best = list;
      if (best.length === 0) break;
    }
    return best;
  }
}

/** The top-level keys of a query's object predicates whose value the value index can look up. */
export function predicateKeys(query: ValidQuery): Set<string> {
  const keys = new Set<string>();
  for (const filter of query.filters ?? []) {
    for (const predicate of filter.payloadPredicates ?? []) {
      if (predicate === null || typeof predicate !== 'object' || Array.isArray(predicate)) continue;
      for (const key in predicate) if (indexable(predicate[key] as JsonValue)) keys.add(key);
    }
  }
  return keys;
}

/** Adds `payload[key]` at `position` to a value index, when it is a scalar the index keeps. */
export function indexValue(values: Map<Scalar, List>, payload: JsonValue, key: string, position: number): void {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload) || !Object.hasOwn(payload, key)) return;
  const value = payload[key] as JsonValue;
  if (indexable(value)) push(values, value, position);
}

function indexable(value: JsonValue): value is Scalar {
  if (value === null) return true;
  if (typeof value === 'string') return value.length <= MAX_INDEXED_STRING;
  return typeof value !== 'object';
}

function push<K>(map: Map<K, List>, key: K, position: number): void {
  const list = map.get(key);
  if (list) list.push(position);
  else map.set(key, [position]);
}
