import type { EventQuery, JsonValue } from '../src/index.js';
import { indexValue, MAX_INDEXED_STRING, PostingIndex, predicateKeys, validateQuery, type IndexedScalar } from '../src/backend.js';

const LONG = 'l'.repeat(MAX_INDEXED_STRING + 1);
// positions 1..6
const EVENTS: [string, JsonValue][] = [
  ['opened', { accountId: 'a1', region: 'eu' }],
  ['credited', { accountId: 'a1', amount: 1 }],
  ['opened', { accountId: 'a2', note: LONG }],
  ['credited', { accountId: 'a2', amount: '1' }],
  ['closed', ['a1']],
  ['credited', { accountId: 'a1', amount: 1.0 }],
];

/** An index over EVENTS with a value index for every key the query names. */
function indexFor(query: EventQuery) {
  const valid = validateQuery(query);
  const index = new PostingIndex();
  EVENTS.forEach(([type, payload], i) => index.add(i + 1, type, payload));
  for (const key of predicateKeys(valid)) {
    const values = new Map<IndexedScalar, number[]>();
    EVENTS.forEach(([, payload], i) => indexValue(values, payload, key, i + 1));
    index.install(key, values);
  }
  const candidates = index.candidates(valid);
  // the positions the candidates say match, when they decide alone
  const decided = candidates?.exact ? [...new Set(candidates.lists.flat())].filter((p) => index.accepts(candidates, p)).sort() : undefined;
  return { index, candidates, decided };
}

describe('PostingIndex', () => {
  it('decides a filter of one type and one single-key predicate alone, checking each listed position’s type', () => {
    const { candidates, decided, index } = indexFor({ filters: [{ eventTypes: ['credited'], payloadPredicates: [{ accountId: 'a1' }] }] });
    expect(candidates?.exact).toBe(true);
    expect(candidates?.lists).toEqual([[1, 2, 6]]);
    expect(decided).toEqual([2, 6]);
    expect(index.highestOf(candidates!)).toBe(6);
  });

  it('decides type-only filters, and single-key predicates without types, also across several filters', () => {
    expect(indexFor({ filters: [{ eventTypes: ['opened'] }, { eventTypes: ['closed'] }] }).decided).toEqual([1, 3, 5]);
    expect(indexFor({ filters: [{ payloadPredicates: [{ accountId: 'a2' }, { amount: 1 }] }] }).decided).toEqual([2, 3, 4, 6]);
    expect(indexFor({ filters: [{ eventTypes: ['closed'] }, { payloadPredicates: [{ region: 'eu' }] }] }).decided).toEqual([1, 5]);
  });

  it('leaves the matcher to decide predicates of several keys, long strings, and type checks across several filters', () => {
    expect(indexFor({ filters: [{ payloadPredicates: [{ accountId: 'a1', amount: 1 }] }] }).candidates?.exact).toBe(false);
    // a string above the limit is not indexed: narrowed by type only
    const long = indexFor({ filters: [{ eventTypes: ['opened'], payloadPredicates: [{ note: LONG }] }] }).candidates;
    expect(long).toEqual({ lists: [[1, 3]], exact: false });
    expect(indexFor({ filters: [{ payloadPredicates: [{ note: LONG }] }] }).candidates).toBeUndefined();
    const twoTyped = indexFor({
      filters: [
        { eventTypes: ['opened'], payloadPredicates: [{ accountId: 'a1' }] },
        { eventTypes: ['credited'], payloadPredicates: [{ accountId: 'a2' }] },
      ],
    }).candidates;
    expect(twoTyped?.exact).toBe(false);
  });

  it('keeps 1 and 1.0 as one value and "1" apart, and indexes no array or scalar payload', () => {
    expect(indexFor({ filters: [{ payloadPredicates: [{ amount: 1 }] }] }).decided).toEqual([2, 6]);
    expect(indexFor({ filters: [{ payloadPredicates: [{ amount: '1' }] }] }).decided).toEqual([4]);
    expect(indexFor({ filters: [{ payloadPredicates: [{ accountId: 'none' }] }] }).decided).toEqual([]);
  });

  it('grows the type of every position past its first capacity', () => {
    const index = new PostingIndex();
    const values = new Map<IndexedScalar, number[]>();
    index.install('g', values);
    for (let p = 1; p <= 5000; p++) index.add(p, p % 3 === 0 ? 'c' : 'o', { g: p % 7 === 0 ? 0 : 1 });
    const candidates = index.candidates(validateQuery({ filters: [{ eventTypes: ['c'], payloadPredicates: [{ g: 0 }] }] }))!;
    expect(candidates.exact).toBe(true);
    expect(index.highestOf(candidates)).toBe(4998);
    const decided = (candidates.lists[0] as number[]).filter((p) => index.accepts(candidates, p));
    expect(decided).toEqual(Array.from({ length: 238 }, (_, i) => 21 * (i + 1)));
    expect(index.typeCounts()).toEqual([
      ['o', 3334],
      ['c', 1666],
    ]);
  });
});
