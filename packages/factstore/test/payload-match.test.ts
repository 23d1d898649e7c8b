import { type JsonValue } from '../src/index.js';
import { compileMatcher, payloadMatches, queryMatches, validateQuery } from '../src/backend.js';

describe('payloadMatches', () => {
  const cases: [string, JsonValue, JsonValue, boolean][] = [
    ['equal strings', 'a', 'a', true],
    ['different strings', 'a', 'b', false],
    ['string vs number', '1', 1, false],
    ['number vs boolean', 1, true, false],
    ['1 equals 1.0', 1, 1.0, true],
    ['0 equals -0', 0, -0, true],
    ['null matches null', null, null, true],
    ['null vs missing-like false', null, false, false],
    ['null vs object', null, {}, false],
    ['object vs null', {}, null, false],
    ['{} matches any object', {}, { a: 1 }, true],
    ['{} does not match an array', {}, [], false],
    ['{} does not match a scalar', {}, 'x', false],
    ['subset with extra keys', { a: 1 }, { a: 1, b: 2 }, true],
    ['missing key', { a: 1 }, { b: 1 }, false],
    ['key with null needs presence', { a: null }, {}, false],
    ['key with null present', { a: null }, { a: null }, true],
    ['nested subset', { u: { id: 1 } }, { u: { id: 1, r: 'x' } }, true],
    ['nested mismatch', { u: { id: 1 } }, { u: { id: 2 } }, false],
    ['[] matches any array', [], [1, 2], true],
    ['[] matches empty array', [], [], true],
    ['[] does not match an object', [], {}, false],
    ['array elements any order', [2, 1], [1, 2, 3], true],
    ['array missing element', [4], [1, 2, 3], false],
    ['duplicate predicate elements', ['x', 'x'], ['x'], true],
    ['scalar predicate vs array payload', 'x', ['x'], false],
    ['array predicate vs scalar payload', ['x'], 'x', false],
    ['array of objects subset', [{ sku: 'b' }], [{ sku: 'a' }, { sku: 'b', qty: 1 }], true],
    ['nested arrays', [[1]], [[2], [1, 3]], true],
    ['nested arrays mismatch', [[4]], [[2], [1, 3]], false],
    ['object predicate vs array payload', { 0: 'a' }, ['a'], false],
  ];
  it.each(cases)('%s', (_name, predicate, payload, expected) => {
    expect(payloadMatches(predicate, payload)).toBe(expected);
  });
});

describe('query matching', () => {
  const event = { eventType: 'account-opened', payload: { accountId: 'a1', tags: ['vip'] } };
  const cases: [string, object, boolean][] = [
    ['no filters', {}, true],
    ['empty filters', { filters: [] }, true],
    ['filter without constraints', { filters: [{}] }, true],
    ['empty event types', { filters: [{ eventTypes: [] }] }, false],
    ['empty predicates', { filters: [{ payloadPredicates: [] }] }, false],
    ['empty types with matching predicate', { filters: [{ eventTypes: [], payloadPredicates: [{ accountId: 'a1' }] }] }, false],
    ['type match', { filters: [{ eventTypes: ['x', 'account-opened'] }] }, true],
    ['type is case-sensitive', { filters: [{ eventTypes: ['Account-Opened'] }] }, false],
    ['type and payload', { filters: [{ eventTypes: ['account-opened'], payloadPredicates: [{ accountId: 'a1' }] }] }, true],
    ['type but not payload', { filters: [{ eventTypes: ['account-opened'], payloadPredicates: [{ accountId: 'a2' }] }] }, false],
    ['OR across filters', { filters: [{ eventTypes: ['x'] }, { payloadPredicates: [{ tags: ['vip'] }] }] }, true],
    ['OR across predicates', { filters: [{ payloadPredicates: [{ accountId: 'zz' }, { tags: [] }] }] }, true],
  ];
  it.each(cases)('%s', (_name, query, expected) => {
    const valid = validateQuery(query);
    expect(queryMatches(valid, event)).toBe(expected);
    expect(compileMatcher(valid)(event)).toBe(expected);
  });
});
