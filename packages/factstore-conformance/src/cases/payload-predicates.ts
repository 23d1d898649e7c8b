import type { EventQuery, NewEvent } from 'factstore';
import type { CaseContext } from '../conformance-case.js';
import { defineCases } from '../conformance-case.js';
import { assert, credited, debited, ev, opened, renamed, seqs } from '../harness.js';

/** Appends `setup` as one batch, queries, and checks positions and the context version. */
function matchCase(setup: NewEvent[], query: EventQuery, expected: number[]) {
  return async ({ store }: CaseContext) => {
    await store.append(setup);
    const result = await store.query(query);
    assert.deepEqual(seqs(result.eventRecords), expected);
    const last = expected.length ? BigInt(expected[expected.length - 1] as number) : null;
    assert.equal(result.lastReturnedSequenceNumber, last);
    assert.equal(result.currentContextVersion, last);
  };
}

const tagged = (payload: NewEvent['payload']) => ev('customer-tagged', payload);

export const payloadPredicateCases = defineCases('payload-predicates', {
  'or-across-filters': {
    title: 'filters are ORed',
    run: matchCase(
      [opened('a1'), credited('a2'), debited('a3')],
      { filters: [{ eventTypes: ['account-opened'] }, { eventTypes: ['account-debited'] }] },
      [1, 3],
    ),
  },
  'or-across-event-types': {
    title: 'event types inside one filter are ORed',
    run: matchCase(
      [opened('a1'), credited('a1'), debited('a1')],
      { filters: [{ eventTypes: ['account-opened', 'account-debited'] }] },
      [1, 3],
    ),
  },
  'or-across-predicates': {
    title: 'payload predicates inside one filter are ORed',
    run: matchCase(
      [opened('a1'), opened('a2'), opened('a3')],
      { filters: [{ payloadPredicates: [{ accountId: 'a1' }, { accountId: 'a3' }] }] },
      [1, 3],
    ),
  },
  'and-between-type-and-payload': {
    title: 'event type AND payload inside one filter',
    run: matchCase(
      [opened('a1'), credited('a1'), opened('a2')],
      { filters: [{ eventTypes: ['account-opened'], payloadPredicates: [{ accountId: 'a2' }] }] },
      [3],
    ),
  },
  'scalar-subset': {
    title: 'a predicate matches a payload with extra keys',
    run: matchCase([opened('a1', { name: 'Rico' })], { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] }, [1]),
  },
  'nested-object-subset': {
    title: 'nested objects match as subsets',
    run: matchCase(
      [ev('user-created', { user: { id: 'u1', role: 'admin' } })],
      { filters: [{ payloadPredicates: [{ user: { id: 'u1' } }] }] },
      [1],
    ),
  },
  'array-of-scalars-subset': {
    title: 'an array predicate matches an array payload containing its elements',
    run: matchCase([tagged({ tags: ['vip', 'beta'] })], { filters: [{ payloadPredicates: [{ tags: ['vip'] }] }] }, [1]),
  },
  'array-of-objects-subset': {
    title: 'array elements that are objects match as subsets',
    run: matchCase(
      [ev('order-created', { items: [{ sku: 'a', qty: 2 }, { sku: 'b' }] })],
      { filters: [{ payloadPredicates: [{ items: [{ sku: 'a' }] }] }] },
      [1],
    ),
  },
  'no-match': {
    title: 'a predicate that matches nothing returns nothing and no version',
    run: matchCase([opened('a1', { name: 'Rico' })], { filters: [{ payloadPredicates: [{ accountId: 'missing' }] }] }, []),
  },
  'empty-event-types-matches-nothing': {
    title: 'eventTypes: [] matches nothing',
    run: matchCase([opened('a1')], { filters: [{ eventTypes: [] }] }, []),
  },
  'empty-predicates-match-nothing': {
    title: 'payloadPredicates: [] matches nothing, other filters still can',
    run: matchCase([opened('a1'), credited('a1')], { filters: [{ payloadPredicates: [] }, { eventTypes: ['account-credited'] }] }, [2]),
  },
  'array-order-insensitive': {
    title: 'array matching ignores order',
    run: matchCase([tagged({ tags: ['vip', 'beta'] })], { filters: [{ payloadPredicates: [{ tags: ['beta', 'vip'] }] }] }, [1]),
  },
  'array-matches-non-first-element': {
    title: 'an object element may match any payload element',
    run: matchCase(
      [ev('order-created', { items: [{ sku: 'a' }, { sku: 'b', qty: 2 }] })],
      { filters: [{ payloadPredicates: [{ items: [{ sku: 'b' }] }] }] },
      [1],
    ),
  },
  'empty-object-matches-objects-only': {
    title: '{} matches any object payload, never an array or a scalar',
    run: matchCase(
      [ev('e', { a: 1 }), ev('e', []), ev('e', 'x'), ev('e', null), ev('e', {})],
      { filters: [{ payloadPredicates: [{}] }] },
      [1, 5],
    ),
  },
  'empty-array-matches-arrays-only': {
    title: '[] matches any array payload, never an object or a scalar',
    run: matchCase([ev('e', [1]), ev('e', { a: [] }), ev('e', []), ev('e', 1)], { filters: [{ payloadPredicates: [[]] }] }, [1, 3]),
  },
  'null-needs-present-key': {
    title: '{ a: null } needs the key present with null; a missing key does not match',
    run: matchCase(
      [ev('e', { a: null }), ev('e', {}), ev('e', { a: 0 }), ev('e', { a: false })],
      { filters: [{ payloadPredicates: [{ a: null }] }] },
      [1],
    ),
  },
  'scalars-match-by-type-and-value': {
    title: 'scalars match by equal value and JSON type: 1 ≠ "1" ≠ true, 1 = 1.0',
    run: matchCase(
      [ev('e', { v: 1 }), ev('e', { v: '1' }), ev('e', { v: true }), ev('e', { v: 1.0 }), ev('e', { v: 2 })],
      { filters: [{ payloadPredicates: [{ v: 1 }] }] },
      [1, 4],
    ),
  },
  'scalar-never-matches-array': {
    title: 'a scalar predicate never matches an array, nor an array predicate a scalar',
    run: matchCase(
      [tagged({ tags: ['vip'] }), tagged({ tags: 'vip' }), tagged(['vip', 'beta'])],
      { filters: [{ payloadPredicates: [{ tags: 'vip' }, 'vip'] }] },
      [2],
    ),
  },
  'scalar-payloads': {
    title: 'scalar payloads match equal scalar predicates',
    run: matchCase([ev('e', 'x'), ev('e', 5), ev('e', null), ev('e', 'y')], { filters: [{ payloadPredicates: ['x', null] }] }, [1, 3]),
  },
  'repeated-array-elements': {
    title: 'one payload element may satisfy several equal predicate elements',
    run: matchCase([tagged({ tags: ['vip'] })], { filters: [{ payloadPredicates: [{ tags: ['vip', 'vip'] }] }] }, [1]),
  },
  'event-types-are-case-sensitive': {
    title: 'event types match exactly and case-sensitively',
    run: matchCase([ev('Account-Opened', {}), ev('account-opened', {})], { filters: [{ eventTypes: ['account-opened'] }] }, [2]),
  },
  'shared-filter-semantics': {
    title: 'type-and-payload filters ORed with a type-only filter',
    run: matchCase(
      [opened('a1'), opened('b9'), renamed('b9'), credited('a1', { amount: 10 })],
      { filters: [{ eventTypes: ['account-opened'], payloadPredicates: [{ accountId: 'a1' }] }, { eventTypes: ['account-renamed'] }] },
      [1, 3],
    ),
  },
  'deep-nesting': {
    title: 'predicates nest through objects inside arrays inside objects',
    run: matchCase(
      [
        ev('e', {
          order: {
            lines: [
              { sku: 'a', tags: ['x', 'y'] },
              { sku: 'b', tags: ['z'] },
            ],
          },
        }),
        ev('e', { order: { lines: [{ sku: 'b', tags: ['x'] }] } }),
      ],
      { filters: [{ payloadPredicates: [{ order: { lines: [{ sku: 'b', tags: ['z'] }] } }] }] },
      [1],
    ),
  },
});
