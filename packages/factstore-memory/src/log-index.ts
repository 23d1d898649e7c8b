import type { JsonValue, ValidQuery } from 'factstore';

type Scalar = string | number | boolean | null;
const NONE: readonly number[] = Object.freeze([]);

/**
 * Posting lists over the memory log, so that a context of one entity is found without scanning:
 * positions by event type, and positions by top-level scalar payload value (`{ accountId: 'a1' }`).
 * Lists only narrow the search; every candidate is still checked with the contract's matcher.
 */
export class LogIndex {
  private readonly byType = new Map<string, number[]>();
  private readonly byValue = new Map<string, Map<Scalar, number[]>>();

  /** Indexes one appended record. Positions arrive in ascending order. */
  add(position: number, eventType: string, payload: JsonValue): void {
    push(this.byType, eventType, position);
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return;
    for (const key in payload) {
      const value = payload[key] as JsonValue;
      if (value !== null && typeof value === 'object') continue;
      let values = this.byValue.get(key);
      if (!values) this.byValue.set(key, (values = new Map()));
      push(values, value, position);
    }
  }

  /**
   * Ascending position lists whose union holds every event the query's filters can match, or
   * `undefined` when some filter can only be answered by a scan.
   */
  candidates(query: ValidQuery): (readonly number[])[] | undefined {
    const filters = query.filters;
    if (filters === undefined || filters.length === 0) return undefined;
    const lists = new Set<readonly number[]>();
    for (const filter of filters) {
      const types = filter.eventTypes;
      const predicates = filter.payloadPredicates;
      if (types?.length === 0 || predicates?.length === 0) continue;
      const typeLists = types?.map((type) => this.byType.get(type) ?? NONE);
      const typeTotal = typeLists?.reduce((sum, list) => sum + list.length, 0) ?? Infinity;
      if (predicates === undefined) {
        if (typeLists === undefined) return undefined; // a filter without constraints matches everything
        for (const list of typeLists) lists.add(list);
        continue;
      }
      for (const predicate of predicates) {
        const best = this.shortestValueList(predicate);
        if (best !== undefined && best.length <= typeTotal) lists.add(best);
        else if (typeLists) for (const list of typeLists) lists.add(list);
        else return undefined;
      }
    }
    return [...lists];
  }

  /** The shortest list among a predicate's top-level scalar entries, if it has any. */
  private shortestValueList(predicate: JsonValue): readonly number[] | undefined {
    if (predicate === null || typeof predicate !== 'object' || Array.isArray(predicate)) return undefined;
    let best: readonly number[] | undefined;
    for (const key in predicate) {
      const value = predicate[key] as JsonValue;
      if (value !== null && typeof value === 'object') continue;
      const list = this.byValue.get(key)?.get(value) ?? NONE;
      if (best === undefined || list.length < best.length) best = list;
      if (best.length === 0) break;
    }
    return best;
  }
}

function push<K>(map: Map<K, number[]>, key: K, position: number): void {
  const list = map.get(key);
  if (list) list.push(position);
  else map.set(key, [position]);
}
