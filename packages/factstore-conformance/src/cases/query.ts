import { defineCases } from '../conformance-case.js';
import { assert, credited, debited, opened, seqs } from '../harness.js';

export const queryCases = defineCases('query', {
  'ascending-order': {
    title: 'query returns events in ascending order',
    async run({ store }) {
      await store.append([opened('a1'), credited('a1'), debited('a1')]);
      const result = await store.query({});
      assert.deepEqual(seqs(result.eventRecords), [1, 2, 3]);
      assert.equal(result.lastReturnedSequenceNumber, 3n);
      assert.equal(result.currentContextVersion, 3n);
    },
  },
  'min-sequence-number-is-exclusive': {
    title: 'minSequenceNumber returns only later events',
    async run({ store }) {
      await store.append([opened('a1'), credited('a1'), debited('a1')]);
      const result = await store.query({ minSequenceNumber: 2n });
      assert.deepEqual(seqs(result.eventRecords), [3]);
      assert.equal(result.lastReturnedSequenceNumber, 3n);
      assert.equal(result.currentContextVersion, 3n);
      const zero = await store.query({ minSequenceNumber: 0n });
      assert.deepEqual(seqs(zero.eventRecords), [1, 2, 3]);
      const past = await store.query({ minSequenceNumber: 99n });
      assert.deepEqual(seqs(past.eventRecords), []);
      assert.equal(past.lastReturnedSequenceNumber, null);
      assert.equal(past.currentContextVersion, 3n);
    },
  },
  'empty-store': {
    title: 'query on an empty store returns an explicit empty result',
    async run({ store }) {
      assert.deepEqual(await store.query({}), { eventRecords: [], lastReturnedSequenceNumber: null, currentContextVersion: null });
    },
  },
  'payload-context-version': {
    title: 'the context version of a payload-filtered query covers the full matching context',
    async run({ store }) {
      await store.append([opened('a1'), opened('a2'), opened('a1', { name: 'Rico' })]);
      const result = await store.query({ filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] });
      assert.deepEqual(seqs(result.eventRecords), [1, 3]);
      assert.equal(result.lastReturnedSequenceNumber, 3n);
      assert.equal(result.currentContextVersion, 3n);
    },
  },
  'min-does-not-narrow-context-version': {
    title: 'minSequenceNumber does not narrow the context version',
    async run({ store }) {
      await store.append([opened('a1'), opened('a2'), opened('a1')]);
      const result = await store.query({ filters: [{ payloadPredicates: [{ accountId: 'a1' }] }], minSequenceNumber: 3n });
      assert.deepEqual(result, { eventRecords: [], lastReturnedSequenceNumber: null, currentContextVersion: 3n });
    },
  },
  'each-query-reports-its-own-context-version': {
    title: 'an all-events query and a filtered query report their own context versions',
    async run({ store }) {
      await store.append([opened('a1'), credited('a2'), opened('a1'), debited('a3')]);
      const all = await store.query({ minSequenceNumber: 3n });
      assert.deepEqual(seqs(all.eventRecords), [4]);
      assert.equal(all.lastReturnedSequenceNumber, 4n);
      assert.equal(all.currentContextVersion, 4n);
      const openedOnly = await store.query({ filters: [{ eventTypes: ['account-opened'] }], minSequenceNumber: 3n });
      assert.deepEqual(openedOnly, { eventRecords: [], lastReturnedSequenceNumber: null, currentContextVersion: 3n });
    },
  },
  'limit-pages-through-a-context': {
    title: 'limit with minSequenceNumber pages through a context; the version stays that of the whole context',
    async run({ store }) {
      for (let i = 1; i <= 10; i++) await store.append([opened(i % 2 ? 'a1' : 'a2', { n: i })]);
      const filters = [{ payloadPredicates: [{ accountId: 'a1' }] }];
      const pages: number[][] = [];
      let after: bigint | undefined;
      for (;;) {
        const page = await store.query({ filters, limit: 2, ...(after === undefined ? {} : { minSequenceNumber: after }) });
        assert.equal(page.currentContextVersion, 9n, 'context version of every page');
        if (page.eventRecords.length === 0) {
          assert.equal(page.lastReturnedSequenceNumber, null);
          break;
        }
        assert.ok(page.eventRecords.length <= 2, 'at most limit records');
        assert.equal(page.lastReturnedSequenceNumber, page.eventRecords.at(-1)?.sequenceNumber);
        pages.push(seqs(page.eventRecords));
        after = page.lastReturnedSequenceNumber ?? undefined;
      }
      assert.deepEqual(pages, [[1, 3], [5, 7], [9]]);
      const all = await store.query({ limit: 3 });
      assert.deepEqual(seqs(all.eventRecords), [1, 2, 3]);
      assert.equal(all.lastReturnedSequenceNumber, 3n);
      assert.equal(all.currentContextVersion, 10n);
      const big = await store.query({ limit: 1000 });
      assert.equal(big.eventRecords.length, 10);
    },
  },
  'number-positions': {
    title: 'minSequenceNumber accepts a safe-integer number as well as a bigint',
    async run({ store }) {
      await store.append([opened('a1'), credited('a1'), debited('a1')]);
      const byNumber = await store.query({ minSequenceNumber: 1 });
      const byBigint = await store.query({ minSequenceNumber: 1n });
      assert.deepEqual(seqs(byNumber.eventRecords), [2, 3]);
      assert.deepEqual(byNumber, byBigint);
      assert.equal(typeof byNumber.lastReturnedSequenceNumber, 'bigint');
      assert.equal(typeof byNumber.currentContextVersion, 'bigint');
    },
  },
  'undefined-keys-count-as-absent': {
    title: 'keys whose value is undefined count as absent in queries and filters',
    async run({ store }) {
      await store.append([opened('a1'), credited('a2')]);
      const all = await store.query({ filters: undefined, minSequenceNumber: undefined, limit: undefined });
      assert.deepEqual(seqs(all.eventRecords), [1, 2]);
      const anyType = await store.query({ filters: [{ eventTypes: undefined, payloadPredicates: [{ accountId: 'a2' }] }] });
      assert.deepEqual(seqs(anyType.eventRecords), [2]);
    },
  },
  'empty-filter-list-means-all': {
    title: 'filters: [] and a filter with no constraints match every event',
    async run({ store }) {
      await store.append([opened('a1'), credited('a2')]);
      assert.deepEqual(seqs((await store.query({ filters: [] })).eventRecords), [1, 2]);
      assert.deepEqual(seqs((await store.query({ filters: [{}] })).eventRecords), [1, 2]);
    },
  },
  'snapshot-is-self-consistent': {
    title: 'while appends run, lastReturnedSequenceNumber never exceeds currentContextVersion',
    async run({ store }) {
      await store.append([opened('a1'), opened('a2')]);
      let stop = false;
      const writer = (async () => {
        for (let n = 3; !stop && n < 400; n++) await store.append([opened(`a${n}`)]);
      })();
      for (let i = 0; i < 100; i++) {
        const result = await store.query({ filters: [{ eventTypes: ['account-opened'] }], minSequenceNumber: 1n });
        if (result.lastReturnedSequenceNumber !== null) {
          assert.notEqual(result.currentContextVersion, null);
          assert.ok(result.lastReturnedSequenceNumber <= (result.currentContextVersion as bigint));
          assert.equal(result.lastReturnedSequenceNumber, result.currentContextVersion);
        }
      }
      stop = true;
      await writer;
    },
  },
});
