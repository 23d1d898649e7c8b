import type { JsonValue } from 'factstore';
import type { ValidQuery } from 'factstore/backend';

type Scalar = string | number | boolean | null;
const NONE: readonly number[] = Object.freeze([]);

/**
 * Posting lists over the memory log, so that a context of one entity is found without scanning:
 * positions by event type, and positions by top-level scalar payload value (`{ accountId: 'a1' }`).
 * The type index and each payload key's value index are built the first time a query needs them
 * (one pass over the log); from then on every append keeps them current, and indexes nobody
 * queries cost appends nothing.
 * Lists only narrow the search; every candidate is still checked with the contract's matcher.
 */
export class LogIndex {
  private byType: Map<string, number[]> | undefined;
  private readonly byValue = new Map<string, Map<Scalar, number[]>>();

  /** @param records the log, to build a key's index from when it is first asked for */
  constructor(private readonly records: readonly { eventType: string; payload: JsonValue }[]) {}

  /** Indexes one appended record. Positions arrive in ascending order. */
  add(position: number, eventType: string, payload: JsonValue): void {
    if (this.byType) push(this.byType, eventType, position);
    if (this.byValue.size === 0 || payload === null || typeof payload !== 'object' || Array.isArray(payload)) return;
    for (const [key, values] of this.byValue) indexValue(values, payload, key, position);
  }

  /** The event type index, built on first use. */
  private types(): Map<string, number[]> {
    if (!this.byType) {
      this.byType = new Map();
      for (let i = 0; i < this.records.length; i++) push(this.byType, (this.records[i] as { eventType: string }).eventType, i + 1);
    }
    return this.byType;
  }

  /**
   * The value index of `key`, built on first use (whatever the number of keys asked about: an
   * index holds at most one position per event having the key, so all of them together hold no
   * more than the payloads' top-level values).
   */
  private valuesOf(key: string): Map<Scalar, number[]> {
    let values = this.byValue.get(key);
    if (values) return values;
    values = new Map();
    for (let i = 0; i < this.records.length; i++) {
      const payload = (this.records[i] as { payload: JsonValue }).payload;
      if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) indexValue(values, payload, key, i + 1);
    }
    this.byValue.set(key, values);
    return values;
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
      const typeLists = () => (types as readonly string[]).map((type) => this.types().get(type) ?? NONE);
      if (predicates === undefined) {
        if (types === undefined) return undefined; // a filter without constraints matches everything
        for (const list of typeLists()) lists.add(list);
        continue;
      }
      for (const predicate of predicates) {
        const best = this.shortestValueList(predicate);
        // the value list of an entity is almost always the shorter one; compare only when the
        // type lists exist anyway
        const typeTotal = types === undefined ? Infinity : this.byType ? typeLists().reduce((sum, list) => sum + list.length, 0) : Infinity;
        if (best !== undefined && best.length <= typeTotal) lists.add(best);
        else if (types !== undefined) for (const list of typeLists()) lists.add(list);
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
      const list = this.valuesOf(key).get(value) ?? NONE;
      if (best === undefined || list.length < best.length) best = list;
      if (best.length === 0) break;
    }
    return best;
  }
}

function indexValue(values: Map<Scalar, number[]>, payload: { [key: string]: JsonValue }, key: string, position: number): void {
  if (!Object.hasOwn(payload, key)) return;
  const value = payload[key] as JsonValue;
  if (value === null || typeof value !== 'object') push(values, value, position);
}

function push<K>(map: Map<K, number[]>, key: K, position: number): void {
  const list = map.get(key);
  if (list) list.push(position);
  else map.set(key, [position]);
}
