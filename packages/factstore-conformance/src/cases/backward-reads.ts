import type { EventFilter, EventQuery, EventStore } from 'factstore';
import { defineCases } from '../conformance-case.js';
import { assert, assertLog, credited, debited, deliveries, ev, opened, recorder, rejectsWith, seqs, show, staysAt } from '../harness.js';

const a1 = [{ payloadPredicates: [{ accountId: 'a1' }] }];

/** 12 events, one per batch: accounts a1 (odd positions) and a2 (even), opened, credited, debited in turn. */
async function twelve(store: EventStore): Promise<void> {
  const kinds = [opened, credited, debited];
  for (let i = 1; i <= 12; i++) await store.append([(kinds[i % 3] as typeof opened)(i % 2 ? 'a1' : 'a2', { n: i })]);
}

/** Every query's answer going forward, without cursors or limit: what the other reads are checked against. */
async function everyMatch(store: EventStore, filters: readonly EventFilter[] | undefined): Promise<number[]> {
  return seqs((await store.query(filters === undefined ? {} : { filters })).eventRecords);
}

/** The records strictly between `after` and `before`, in the direction, at most `limit`, from the full forward answer. */
function expected(all: number[], q: { after?: number; before?: number; limit?: number; backward?: boolean }): number[] {
  const inRange = all.filter((p) => p > (q.after ?? 0) && p < (q.before ?? Infinity));
  const ordered = q.backward ? inRange.reverse() : inRange;
  return ordered.slice(0, q.limit ?? Infinity);
}

/** Filters that take different paths through a store: none, type only (exact), an indexed payload value, nested values, OR. */
const FILTER_SHAPES: readonly (readonly EventFilter[] | undefined)[] = [
  undefined,
  [{ eventTypes: ['account-credited'] }],
  [{ payloadPredicates: [{ accountId: 'a1' }] }],
  [{ eventTypes: ['account-debited'], payloadPredicates: [{ accountId: 'a2' }] }],
  [{ payloadPredicates: [{ meta: { tag: 't1' } }] }],
  [{ eventTypes: ['account-opened'] }, { payloadPredicates: [{ accountId: 'a3' }] }],
];

export const backwardReadCases = defineCases('backward-reads', {
  'backward-returns-newest-first': {
    title: "direction 'backward' returns the matching records newest first; the last returned is the oldest",
    async run({ store }) {
      await twelve(store);
      const all = await store.query({ direction: 'backward' });
      assert.deepEqual(seqs(all.eventRecords), [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
      assert.equal(all.lastReturnedSequenceNumber, 1n);
      assert.equal(all.currentContextVersion, 12n);
      const mine = await store.query({ filters: a1, direction: 'backward' });
      assert.deepEqual(seqs(mine.eventRecords), [11, 9, 7, 5, 3, 1]);
      assert.equal(mine.lastReturnedSequenceNumber, 1n);
      assert.equal(mine.currentContextVersion, 11n);
      const forward = await store.query({ filters: a1, direction: 'forward' });
      assert.deepEqual(seqs(forward.eventRecords), [1, 3, 5, 7, 9, 11]);
      assert.deepEqual(await store.query({ direction: 'backward', filters: [{ eventTypes: ['none'] }] }), {
        eventRecords: [],
        lastReturnedSequenceNumber: null,
        currentContextVersion: null,
      });
    },
  },
  'backward-limit-is-the-newest-n': {
    title: "direction 'backward' with limit returns the newest N matching records",
    async run({ store }) {
      await twelve(store);
      const newest = await store.query({ filters: a1, direction: 'backward', limit: 2 });
      assert.deepEqual(seqs(newest.eventRecords), [11, 9]);
      assert.equal(newest.lastReturnedSequenceNumber, 9n);
      assert.equal(newest.currentContextVersion, 11n);
      const types = await store.query({ filters: [{ eventTypes: ['account-opened'] }], direction: 'backward', limit: 3 });
      assert.deepEqual(seqs(types.eventRecords), [12, 9, 6]);
      assert.deepEqual(seqs((await store.query({ direction: 'backward', limit: 1 })).eventRecords), [12]);
      assert.deepEqual(seqs((await store.query({ filters: a1, direction: 'backward', limit: 100 })).eventRecords), [11, 9, 7, 5, 3, 1]);
    },
  },
  'before-alone': {
    title: 'beforeSequenceNumber returns only earlier records (exclusive), forward and backward',
    async run({ store }) {
      await twelve(store);
      const result = await store.query({ filters: a1, beforeSequenceNumber: 7n });
      assert.deepEqual(seqs(result.eventRecords), [1, 3, 5]);
      assert.equal(result.lastReturnedSequenceNumber, 5n);
      assert.equal(result.currentContextVersion, 11n);
      assert.deepEqual(seqs((await store.query({ filters: a1, beforeSequenceNumber: 7, direction: 'backward' })).eventRecords), [5, 3, 1]);
      assert.deepEqual(seqs((await store.query({ beforeSequenceNumber: 3n })).eventRecords), [1, 2]);
      assert.deepEqual(seqs((await store.query({ beforeSequenceNumber: 99n, direction: 'backward', limit: 2 })).eventRecords), [12, 11]);
      for (const before of [0n, 1n]) {
        assert.deepEqual(await store.query({ filters: a1, beforeSequenceNumber: before }), {
          eventRecords: [],
          lastReturnedSequenceNumber: null,
          currentContextVersion: 11n,
        });
      }
    },
  },
  'before-with-min': {
    title: 'minSequenceNumber and beforeSequenceNumber together bound the records on both sides',
    async run({ store }) {
      await twelve(store);
      const window = { filters: a1, minSequenceNumber: 3n, beforeSequenceNumber: 11n };
      assert.deepEqual(seqs((await store.query(window)).eventRecords), [5, 7, 9]);
      assert.deepEqual(seqs((await store.query({ ...window, direction: 'backward' })).eventRecords), [9, 7, 5]);
      assert.deepEqual(seqs((await store.query({ ...window, direction: 'backward', limit: 2 })).eventRecords), [9, 7]);
      assert.deepEqual(seqs((await store.query({ ...window, limit: 2 })).eventRecords), [5, 7]);
      for (const [min, before] of [
        [5n, 6n],
        [5n, 5n],
        [9n, 2n],
      ] as const) {
        const none = await store.query({ filters: a1, minSequenceNumber: min, beforeSequenceNumber: before, direction: 'backward' });
        assert.deepEqual(none, { eventRecords: [], lastReturnedSequenceNumber: null, currentContextVersion: 11n }, `${min}..${before}`);
      }
    },
  },
  'paging-backward': {
    title: 'paging backward with beforeSequenceNumber = lastReturnedSequenceNumber visits the context newest to oldest, once each',
    async run({ store }) {
      for (let i = 1; i <= 11; i++) await store.append([opened(i % 3 ? 'a1' : 'a2', { n: i })]);
      const pages: number[][] = [];
      let before: bigint | undefined;
      for (;;) {
        const page = await store.query({
          filters: a1,
          direction: 'backward',
          limit: 3,
          ...(before === undefined ? {} : { beforeSequenceNumber: before }),
        });
        assert.equal(page.currentContextVersion, 11n, 'context version of every page');
        if (page.eventRecords.length === 0) {
          assert.equal(page.lastReturnedSequenceNumber, null);
          break;
        }
        pages.push(seqs(page.eventRecords));
        before = page.lastReturnedSequenceNumber as bigint;
      }
      assert.deepEqual(pages, [
        [11, 10, 8],
        [7, 5, 4],
        [2, 1],
      ]);
    },
  },
  'large-contexts-both-ways': {
    title: 'over 600 events, every filter shape read backward, with bounds and limits, equals the forward answer reversed',
    async run({ store }) {
      const events = Array.from({ length: 640 }, (_, i) => {
        const kind = [opened, credited, debited][i % 3] as typeof opened;
        return kind(i % 50 === 7 ? 'a3' : i % 2 ? 'a1' : 'a2', { n: i + 1, meta: { tag: i % 40 === 0 ? 't1' : 't2' } });
      });
      for (let i = 0; i < events.length; i += 64) await store.append(events.slice(i, i + 64));
      const windows = [
        {},
        { limit: 10 },
        { limit: 300 },
        { before: 500 },
        { after: 100, before: 400 },
        { after: 600, limit: 5 },
        { before: 2 },
      ];
      for (const filters of FILTER_SHAPES) {
        const all = await everyMatch(store, filters);
        const version = all.length === 0 ? null : BigInt(all[all.length - 1] as number);
        for (const w of windows as { after?: number; before?: number; limit?: number }[]) {
          for (const backward of [false, true]) {
            const query: EventQuery = {
              ...(filters === undefined ? {} : { filters }),
              ...(w.after === undefined ? {} : { minSequenceNumber: w.after }),
              ...(w.before === undefined ? {} : { beforeSequenceNumber: BigInt(w.before) }),
              ...(w.limit === undefined ? {} : { limit: w.limit }),
              ...(backward ? { direction: 'backward' as const } : {}),
            };
            const result = await store.query(query);
            const want = expected(all, { ...w, backward });
            const what = `${JSON.stringify(filters)} ${JSON.stringify(w)} ${backward ? 'backward' : 'forward'}`;
            assert.deepEqual(seqs(result.eventRecords), want, what);
            assert.equal(result.lastReturnedSequenceNumber, want.length === 0 ? null : BigInt(want[want.length - 1] as number), what);
            assert.equal(result.currentContextVersion, version, what);
          }
        }
      }
    },
  },
  'context-version-ignores-direction-and-cursors': {
    title: 'currentContextVersion is that of the whole context whatever direction, cursors and limit; appendIf contexts ignore them',
    async run({ store }) {
      await twelve(store);
      const variants: EventQuery[] = [
        { filters: a1 },
        { filters: a1, direction: 'backward' },
        { filters: a1, direction: 'backward', limit: 1 },
        { filters: a1, beforeSequenceNumber: 2n },
        { filters: a1, beforeSequenceNumber: 0n, direction: 'backward' },
        { filters: a1, minSequenceNumber: 11n, direction: 'backward' },
        { filters: a1, minSequenceNumber: 1n, beforeSequenceNumber: 5n, limit: 1, direction: 'forward' },
      ];
      for (const query of variants) assert.equal((await store.query(query)).currentContextVersion, 11n, show(query));
      const context: EventQuery = { filters: a1, direction: 'backward', beforeSequenceNumber: 2n, minSequenceNumber: 10n, limit: 1 };
      await rejectsWith(store.appendIf([credited('a1')], context, 1n), 'CONDITIONAL_APPEND_CONFLICT');
      const result = await store.appendIf([credited('a1')], context, 11n);
      assert.equal(result.firstSequenceNumber, 13n);
      await rejectsWith(store.appendIf([credited('a1')], context, 11n), 'CONDITIONAL_APPEND_CONFLICT');
    },
  },
  'streams-ignore-direction-and-cursors': {
    title: 'stream queries with direction and cursors deliver as without them; a durable name stored without them resumes with them',
    async run({ store }) {
      await store.append([opened('a1')]);
      const live = recorder();
      await store.streamTo(
        { filters: a1, direction: 'backward', beforeSequenceNumber: 1n, minSequenceNumber: 99n, limit: 1 },
        live.handler,
      );
      const durable = recorder();
      const stream = await store.streamToDurable('backward-name', { filters: a1 }, durable.handler);
      assert.deepEqual(durable.positions(), [[1]]);
      await stream.unsubscribe();
      await store.append([credited('a1'), credited('a1')]);
      await store.append([opened('a2')]);
      assert.deepEqual(await deliveries(live, 1), [[2, 3]]);
      const again = recorder();
      const resumed = await store.streamToDurable(
        'backward-name',
        { filters: a1, direction: 'backward', beforeSequenceNumber: 2n, limit: 1 },
        again.handler,
      );
      assert.deepEqual(again.positions(), [[2, 3]]);
      await resumed.unsubscribe();
      await staysAt(live, 1, 30);
    },
  },
  'bad-new-fields-refused': {
    title: 'a bad direction or beforeSequenceNumber is INVALID_INPUT in query, appendIf contexts and stream queries, with nothing written',
    async run({ store }) {
      const badFields: Record<string, unknown>[] = [
        { direction: 'up' },
        { direction: 'BACKWARD' },
        { direction: 1 },
        { direction: null },
        { beforeSequenceNumber: -1 },
        { beforeSequenceNumber: -1n },
        { beforeSequenceNumber: 1.5 },
        { beforeSequenceNumber: '3' },
        { beforeSequenceNumber: NaN },
        { beforeSequenceNumber: 2 ** 53 },
        { beforeSequenceNumber: 2n ** 63n },
        { beforeSequenceNumber: null },
        { before: 3 },
      ];
      const rec = recorder();
      await store.streamAll(rec.handler);
      for (const fields of badFields) {
        const what = show(fields);
        const query = { filters: a1, ...fields } as never;
        const error = await rejectsWith<{ issues: unknown[] }>(store.query(query), 'INVALID_INPUT');
        assert.ok(error.issues.length > 0, `${what}: issues listed`);
        await rejectsWith(store.appendIf([opened('a1')], query, null), 'INVALID_INPUT');
        await rejectsWith(
          store.streamTo(query, () => {}),
          'INVALID_INPUT',
        );
        await rejectsWith(
          store.streamToDurable('n', query, () => {}),
          'INVALID_INPUT',
        );
      }
      await assertLog(store, []);
      await staysAt(rec, 0, 30);
      // the limits are inclusive, and undefined-valued keys count as absent
      await store.append([ev('e', 1)]);
      const edge = await store.query({
        beforeSequenceNumber: 2n ** 63n - 1n,
        direction: undefined,
        minSequenceNumber: Number.MAX_SAFE_INTEGER,
      });
      assert.deepEqual(edge, { eventRecords: [], lastReturnedSequenceNumber: null, currentContextVersion: 1n });
      assert.deepEqual(seqs((await store.query({ beforeSequenceNumber: undefined, direction: 'forward' })).eventRecords), [1]);
    },
  },
});
