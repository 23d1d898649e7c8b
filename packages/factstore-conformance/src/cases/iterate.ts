import type { EventQuery, EventRecord, EventStore, FactStoreErrorCode } from 'factstore';
import { defineCases } from '../conformance-case.js';
import { assert, assertLog, credited, opened, seqs, show } from '../harness.js';

const a1 = [{ payloadPredicates: [{ accountId: 'a1' }] }];

/** Every record an iteration yields, in order. */
async function collect(iterable: AsyncIterable<EventRecord>): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for await (const record of iterable) out.push(record);
  return out;
}

/** Asserts that an iteration is refused with `code`, at once (a throw) or on its first step (a rejection). */
async function refused(start: () => AsyncIterable<EventRecord>, code: FactStoreErrorCode, what: string): Promise<void> {
  let error: unknown;
  try {
    await start()[Symbol.asyncIterator]().next();
  } catch (thrown) {
    error = thrown;
  }
  assert.ok(error instanceof Error, `${what}: refused (got ${String(error)})`);
  assert.equal((error as { code?: unknown }).code, code, `${what}: ${(error as Error).message}`);
}

/** 25 events in batches of 5: a1 at positions not divisible by 3, a2 at the rest. */
async function log25(store: EventStore): Promise<void> {
  for (let first = 1; first <= 25; first += 5) {
    await store.append(
      Array.from({ length: 5 }, (_, i) => ((first + i) % 3 ? opened('a1', { n: first + i }) : credited('a2', { n: first + i }))),
    );
  }
}

export const iterateCases = defineCases('iterate', {
  'forward-across-pages-equals-one-query': {
    title: 'iterate yields what one query returns, across page boundaries, for every page size',
    async run({ store }) {
      await log25(store);
      const queries: EventQuery[] = [
        {},
        { filters: a1 },
        { filters: [{ eventTypes: ['account-credited'] }] },
        { filters: a1, minSequenceNumber: 4n },
      ];
      for (const query of queries) {
        const once = seqs((await store.query(query)).eventRecords);
        for (const pageSize of [1, 2, 3, 7, 16, 17, 1000]) {
          assert.deepEqual(seqs(await collect(store.iterate(query, { pageSize }))), once, `${show(query)} pageSize ${pageSize}`);
        }
        assert.deepEqual(seqs(await collect(store.iterate(query))), once, 'default page size');
      }
    },
  },
  'backward-across-pages-equals-one-query': {
    title: "iterate with direction 'backward' yields what one backward query returns, newest first, across page boundaries",
    async run({ store }) {
      await log25(store);
      const queries: EventQuery[] = [
        { direction: 'backward' },
        { filters: a1, direction: 'backward' },
        { filters: a1, direction: 'backward', beforeSequenceNumber: 20n },
        { filters: a1, direction: 'backward', minSequenceNumber: 5n, beforeSequenceNumber: 20n },
      ];
      for (const query of queries) {
        const once = seqs((await store.query(query)).eventRecords);
        assert.ok(once.length > 3, 'several pages');
        for (const pageSize of [1, 3, 4, 100]) {
          assert.deepEqual(seqs(await collect(store.iterate(query, { pageSize }))), once, `${query.direction} pageSize ${pageSize}`);
        }
      }
    },
  },
  'limit-and-cursors-bound-the-iteration': {
    title: "iterate keeps the query's limit (over all pages) and both cursors, in both directions",
    async run({ store }) {
      await log25(store);
      for (const direction of ['forward', 'backward'] as const) {
        const query: EventQuery = { filters: a1, minSequenceNumber: 2n, beforeSequenceNumber: 24n, limit: 7, direction };
        const once = seqs((await store.query(query)).eventRecords);
        assert.equal(once.length, 7);
        for (const pageSize of [1, 2, 3, 7, 8]) {
          assert.deepEqual(seqs(await collect(store.iterate(query, { pageSize }))), once, `${direction} pageSize ${pageSize}`);
        }
      }
    },
  },
  'empty-and-early-exit': {
    title: 'iterate over nothing ends at once; leaving a for-await loop early is harmless',
    async run({ store }) {
      assert.deepEqual(await collect(store.iterate({})), []);
      await log25(store);
      assert.deepEqual(await collect(store.iterate({ filters: [{ eventTypes: ['none'] }] }, { pageSize: 2 })), []);
      const seen: number[] = [];
      for await (const record of store.iterate({ filters: a1 }, { pageSize: 2 })) {
        seen.push(Number(record.sequenceNumber));
        if (seen.length === 3) break;
      }
      assert.deepEqual(seen, [1, 2, 4]);
      assert.equal((await collect(store.iterate({}))).length, 25);
    },
  },
  'appended-during-iteration': {
    title: 'events appended while a forward iteration runs are not part of it (its first page fixes its end)',
    async run({ store }) {
      await log25(store);
      const seen: number[] = [];
      for await (const record of store.iterate({ filters: a1 }, { pageSize: 4 })) {
        seen.push(Number(record.sequenceNumber));
        if (seen.length === 1) await store.append([opened('a1'), opened('a1')]);
      }
      assert.deepEqual(seen, seqs((await store.query({ filters: a1, beforeSequenceNumber: 26n })).eventRecords));
      const backward: number[] = [];
      for await (const record of store.iterate({ filters: a1, direction: 'backward' }, { pageSize: 4 })) {
        backward.push(Number(record.sequenceNumber));
        if (backward.length === 1) await store.append([opened('a1')]);
      }
      assert.deepEqual(backward, seqs((await store.query({ filters: a1, beforeSequenceNumber: 28n, direction: 'backward' })).eventRecords));
    },
  },
  'bad-input-refused': {
    title: 'iterate refuses a bad query or pageSize with INVALID_INPUT (at once or on the first step), reading nothing',
    async run({ store }) {
      const bad: [string, () => AsyncIterable<EventRecord>][] = [
        ['pageSize 0', () => store.iterate({}, { pageSize: 0 })],
        ['pageSize -1', () => store.iterate({}, { pageSize: -1 })],
        ['pageSize 1.5', () => store.iterate({}, { pageSize: 1.5 })],
        ['pageSize a string', () => store.iterate({}, { pageSize: '10' as never })],
        ['pageSize unsafe', () => store.iterate({}, { pageSize: 2 ** 53 })],
        ['pageSize Infinity', () => store.iterate({}, { pageSize: Infinity })],
        ['options: unknown key', () => store.iterate({}, { size: 10 } as never)],
        ['options: not an object', () => store.iterate({}, 10 as never)],
        ['query undefined', () => store.iterate(undefined as never)],
        ['query: misspelt key', () => store.iterate({ filter: [] } as never)],
        ['query: bad direction', () => store.iterate({ direction: 'sideways' } as never)],
        ['query: bad limit', () => store.iterate({ limit: 0 })],
      ];
      for (const [what, start] of bad) await refused(start, 'INVALID_INPUT', what);
      assert.deepEqual(seqs(await collect(store.iterate({}, { pageSize: undefined }))), []);
      await assertLog(store, []);
    },
  },
  'store-closed': {
    title: 'iterate after close() is STORE_CLOSED; an iteration under way when the store closes ends with STORE_CLOSED',
    async run({ store }) {
      await log25(store);
      const iterator = store.iterate({}, { pageSize: 5 })[Symbol.asyncIterator]();
      const first = await iterator.next();
      assert.equal(first.done, false);
      assert.equal((first.value as EventRecord).sequenceNumber, 1n);
      await store.close();
      let error: unknown;
      try {
        for (let step = await iterator.next(); !step.done; step = await iterator.next());
      } catch (thrown) {
        error = thrown;
      }
      assert.equal((error as { code?: unknown } | undefined)?.code, 'STORE_CLOSED', `ended with ${String(error)}`);
      await refused(() => store.iterate({}), 'STORE_CLOSED', 'after close');
    },
  },
});
