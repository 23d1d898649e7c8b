import { MAX_FILTERS, MAX_QUERY_TERMS, type EventQuery } from 'factstore';
import { defineCases } from '../conformance-case.js';
import { assert, assertLog, ev, rejectsWith } from '../harness.js';

/** `n` filters, each one event type and one predicate; filter 0 matches `ev('t0', { k: 0 })`. */
const filters = (n: number): EventQuery => ({
  filters: Array.from({ length: n }, (_, i) => ({ eventTypes: [`t${i}`], payloadPredicates: [{ k: i }] })),
});

/** One filter naming `n` event types; it matches type `t0`. */
const types = (n: number): EventQuery => ({ filters: [{ eventTypes: Array.from({ length: n }, (_, i) => `t${i}`) }] });

/** Asserts that `call` is refused with INVALID_INPUT at `path`, naming `limit`. */
async function refusedAt(call: Promise<unknown>, path: string, limit: number): Promise<void> {
  const error = await rejectsWith<{ issues: { path: string; message: string }[] }>(call, 'INVALID_INPUT');
  const issue = error.issues.find((i) => i.path === path);
  assert.ok(issue, `an issue at ${path}: ${JSON.stringify(error.issues)}`);
  assert.match(issue.message, new RegExp(`at most ${limit}\\b`));
}

export const limitCases = defineCases('limits', {
  'max-filters-is-answered': {
    title: `a query and an appendIf context of MAX_FILTERS (${MAX_FILTERS}) filters are answered, like a small one`,
    async run({ store }) {
      await store.append([ev('t0', { k: 0 }), ev('t1', { k: 9 }), ev(`t${MAX_FILTERS - 1}`, { k: MAX_FILTERS - 1 })]);
      const result = await store.query(filters(MAX_FILTERS));
      assert.deepEqual(
        result.eventRecords.map((r) => r.sequenceNumber),
        [1n, 3n],
      );
      assert.equal(result.currentContextVersion, 3n);
      const appended = await store.appendIf([ev('x', {})], filters(MAX_FILTERS), 3n);
      assert.equal(appended.firstSequenceNumber, 4n);
      await rejectsWith(store.appendIf([ev('t0', { k: 0 })], filters(MAX_FILTERS), 2n), 'CONDITIONAL_APPEND_CONFLICT');
    },
  },
  'above-max-filters-is-refused': {
    title: 'a query, context or stream query of MAX_FILTERS + 1 filters is INVALID_INPUT naming the limit, and writes nothing',
    async run({ store }) {
      await store.append([ev('t0', { k: 0 })]);
      const big = filters(MAX_FILTERS + 1);
      await refusedAt(store.query(big), 'query.filters', MAX_FILTERS);
      await refusedAt(store.appendIf([ev('x', {})], big, 1n), 'contextQuery.filters', MAX_FILTERS);
      await refusedAt(
        store.streamTo(big, () => {}),
        'query.filters',
        MAX_FILTERS,
      );
      await refusedAt(
        store.streamToDurable('too-big', big, () => {}),
        'query.filters',
        MAX_FILTERS,
      );
      await assertLog(store, [1]);
    },
  },
  'max-terms-is-answered': {
    title: `a query naming MAX_QUERY_TERMS (${MAX_QUERY_TERMS}) event types is answered, and so is an appendIf on it`,
    async run({ store }) {
      await store.append([ev('t0', {}), ev(`t${MAX_QUERY_TERMS - 1}`, {}), ev(`t${MAX_QUERY_TERMS}`, {})]);
      const result = await store.query(types(MAX_QUERY_TERMS));
      assert.deepEqual(
        result.eventRecords.map((r) => r.sequenceNumber),
        [1n, 2n],
      );
      const appended = await store.appendIf([ev('x', {})], types(MAX_QUERY_TERMS), 2n);
      assert.equal(appended.firstSequenceNumber, 4n);
    },
  },
  'above-max-terms-is-refused': {
    title: 'a query naming MAX_QUERY_TERMS + 1 event types and predicates in all is INVALID_INPUT naming the limit',
    async run({ store }) {
      const over: EventQuery = {
        filters: [
          { eventTypes: Array.from({ length: MAX_QUERY_TERMS - 1 }, (_, i) => `t${i}`) },
          { eventTypes: ['a'], payloadPredicates: [{ k: 1 }] },
        ],
      };
      await refusedAt(store.query(over), 'query.filters', MAX_QUERY_TERMS);
      await refusedAt(store.appendIf([ev('x', {})], over, null), 'contextQuery.filters', MAX_QUERY_TERMS);
      await assertLog(store, []);
    },
  },
});
