import type { JsonValue } from '../json.js';
import type { ValidQuery } from '../validation/validate.js';

/** A top-level payload value a value index keeps. */
export type IndexedScalar = string | number | boolean | null;
/** Positions, ascending. */
type List = number[];
const NONE: readonly number[] = Object.freeze([]);

/** Longer strings are not kept in a value index (a predicate on one is narrowed by type, or scans). */
export const MAX_INDEXED_STRING = 128;

/**
 * The candidates of a query ({@link PostingIndex.candidates}): position lists whose union holds
 * every event it can match.
 */
export interface PostingCandidates {
  readonly lists: readonly (readonly number[])[];
  /**
   * Whether the index alone decides which listed positions match, so that no record need be read
   * to decide: every listed position matches when `types` is absent, exactly those whose event
   * type is among `types` otherwise ({@link PostingIndex.accepts}).
   */
  readonly exact: boolean;
  /** With `exact`: the ids of the event types a listed position must have (absent: any). */
  readonly types?: ReadonlySet<number>;
}

/**
 * Posting lists over a log kept in this process's memory, so that a context of one entity is
 * found without reading the log: positions by event type (always kept, and the event type of
 * every position, as a number), and positions by top-level scalar payload value
 * (`{ accountId: 'a1' }`) for the keys the store installs ({@link install}: a store builds a key's
 * index with {@link indexValue} over its log when a query first names the key; any number of keys,
 * since together they hold no more positions than the payloads have top-level values).
 *
 * The lists narrow the search. Where they decide it on their own (a filter of event types only, or
 * one whose predicates each name one indexed key with a scalar value: `{ accountId: 'a1' }`), the
 * candidates say so ({@link PostingCandidates.exact}) and no record is read to decide; every other
 * candidate is checked with the contract's matcher. The lists follow the matcher's equality: an
 * index keeps a value only when the payload is an object with it as an own top-level property, and
 * looks values up with `SameValueZero`, which agrees with `===` on every JSON scalar.
 */
export class PostingIndex {
  private readonly byType = new Map<string, List>();
  private readonly typeIds = new Map<string, number>();
  /** The event type id of every position, at `position - 1`. */
  private typeAt = new Int32Array(1024);
  private readonly byValue = new Map<string, Map<IndexedScalar, List>>();
  /** The last event type added, its list and id: runs of one type need no map lookup. */
  private lastType = '';
  private lastTypeList: List | undefined;
  private lastTypeId = 0;

  /** The keys with a value index. */
  get keys(): readonly string[] {
    return [...this.byValue.keys()];
  }

  /** Whether `key` has a value index. */
  has(key: string): boolean {
    return this.byValue.has(key);
  }

  /** Forgets every list (the store is closed). */
  clear(): void {
    this.byType.clear();
    this.typeIds.clear();
    this.typeAt = new Int32Array(1024);
    this.byValue.clear();
    this.lastTypeList = undefined;
  }

  /** Indexes one committed event. Positions arrive in ascending order. */
  add(position: number, eventType: string, payload: JsonValue): void {
    if (this.lastTypeList === undefined || eventType !== this.lastType) {
      let list = this.byType.get(eventType);
      if (list === undefined) {
        list = [];
        this.byType.set(eventType, list);
        this.typeIds.set(eventType, this.typeIds.size);
      }
      this.lastType = eventType;
      this.lastTypeList = list;
      this.lastTypeId = this.typeIds.get(eventType) as number;
    }
    this.lastTypeList.push(position);
    if (position > this.typeAt.length) {
      let size = this.typeAt.length * 2;
      while (size < position) size *= 2;
      const grown = new Int32Array(size);
      grown.set(this.typeAt);
      this.typeAt = grown;
    }
    this.typeAt[position - 1] = this.lastTypeId;
    if (this.byValue.size === 0 || payload === null || typeof payload !== 'object' || Array.isArray(payload)) return;
    for (const [key, values] of this.byValue) indexValue(values, payload, key, position);
  }

  /** How many events of each type the log holds. */
  typeCounts(): [string, number][] {
    return [...this.byType].map(([type, list]) => [type, list.length]);
  }

  /** Adds the value index of `key`, built by {@link indexValue} over every event so far. */
  install(key: string, values: Map<IndexedScalar, number[]>): void {
    if (!this.byValue.has(key)) this.byValue.set(key, values);
  }

  /**
   * The candidates of the query's filters, or `undefined` when some filter can only be answered
   * by reading the whole log (no event type and no indexed scalar predicate).
   */
  candidates(query: ValidQuery): PostingCandidates | undefined {
    const filters = query.filters;
    if (filters === undefined || filters.length === 0) return undefined;
    const lists = new Set<readonly number[]>();
    // exact while every filter so far is decided by its lists; `typed`: how many of them still need their event types checked
    let exact = true;
    let typed = 0;
    let types: Set<number> | undefined;
    for (const filter of filters) {
      const eventTypes = filter.eventTypes;
      const predicates = filter.payloadPredicates;
      if (eventTypes?.length === 0 || predicates?.length === 0) continue;
      const typeLists = () => (eventTypes as readonly string[]).map((type) => this.byType.get(type) ?? NONE);
      if (predicates === undefined) {
        if (eventTypes === undefined) return undefined; // a filter without constraints matches everything
        for (const list of typeLists()) lists.add(list);
        continue;
      }
      const typeTotal = eventTypes === undefined ? Infinity : typeLists().reduce((sum, list) => sum + list.length, 0);
      for (const predicate of predicates) {
        const best = this.shortestValueList(predicate);
        if (best !== undefined && best.list.length <= typeTotal) {
          lists.add(best.list);
          if (!best.decides) exact = false;
        } else if (eventTypes !== undefined) {
          for (const list of typeLists()) lists.add(list);
          exact = false;
        } else return undefined;
      }
      if (eventTypes !== undefined) {
        typed++;
        types = new Set(eventTypes.map((type) => this.typeIds.get(type) ?? -1));
      }
    }
    // the value lists of one filter are checked against its own types; with several filters, the matcher decides
    if (exact && typed > 0 && filters.length > 1) exact = false;
    return exact && typed > 0 ? { lists: [...lists], exact, types } : { lists: [...lists], exact };
  }

  /** With exact candidates: whether the listed `position` matches. */
  accepts(candidates: PostingCandidates, position: number): boolean {
    return candidates.types === undefined || candidates.types.has(this.typeAt[position - 1] as number);
  }

  /** With exact candidates: the context version (the highest matching position), 0 when none. */
  highestOf(candidates: PostingCandidates): number {
    let best = 0;
    for (const list of candidates.lists) {
      for (let i = list.length - 1; i >= 0; i--) {
        const position = list[i] as number;
        if (position <= best) break;
        if (this.accepts(candidates, position)) {
          best = position;
          break;
        }
      }
    }
    return best;
  }

  /**
   * The shortest list among a predicate's top-level scalar entries on indexed keys, if it has any,
   * and whether it decides the predicate (its only entry: then every listed event matches it).
   */
  private shortestValueList(predicate: JsonValue): { list: readonly number[]; decides: boolean } | undefined {
    if (predicate === null || typeof predicate !== 'object' || Array.isArray(predicate)) return undefined;
    let best: readonly number[] | undefined;
    let entries = 0;
    for (const key in predicate) {
      entries++;
      const value = predicate[key] as JsonValue;
      if (!indexable(value)) continue;
      const values = this.byValue.get(key);
      if (!values) continue;
      const list = values.get(value) ?? NONE;
      if (best === undefined || list.length < best.length) best = list;
      if (best.length === 0) return { list: best, decides: true }; // nothing can match
    }
    return best === undefined ? undefined : { list: best, decides: entries === 1 };
  }
}

/** The top-level keys of a query's object predicates whose value a value index can look up. */
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
export function indexValue(values: Map<IndexedScalar, number[]>, payload: JsonValue, key: string, position: number): void {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload) || !Object.hasOwn(payload, key)) return;
  const value = payload[key] as JsonValue;
  if (indexable(value)) push(values, value, position);
}

function indexable(value: JsonValue): value is IndexedScalar {
  if (value === null) return true;
  if (typeof value === 'string') return value.length <= MAX_INDEXED_STRING;
  return typeof value !== 'object';
}

function push<K>(map: Map<K, List>, key: K, position: number): void {
  const list = map.get(key);
  if (list) list.push(position);
  else map.set(key, [position]);
}
