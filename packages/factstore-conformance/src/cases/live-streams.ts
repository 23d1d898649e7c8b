import type { EventRecord } from 'factstore';
import { defineCases } from '../conformance-case.js';
import {
  assert,
  closed,
  credited,
  deliveries,
  gate,
  opened,
  recorder,
  rejectsWith,
  renamed,
  seqs,
  sleep,
  staysAt,
  waitFor,
} from '../harness.js';

const a1 = { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] };
const openedOnly = { filters: [{ eventTypes: ['account-opened'] }] };

export const liveStreamCases = defineCases('live-streams', {
  'receives-future-batch': {
    title: 'streamAll receives a batch committed after registration, whole',
    async run({ store }) {
      const rec = recorder();
      await store.streamAll(rec.handler);
      await store.append([opened('a1'), credited('a1')]);
      assert.deepEqual(await deliveries(rec, 1), [[1, 2]]);
    },
  },
  'no-history': {
    title: 'a live stream does not replay history',
    async run({ store }) {
      await store.append([opened('a1')]);
      const rec = recorder();
      await store.streamAll(rec.handler);
      assert.equal(rec.batches.length, 0);
      await staysAt(rec, 0);
    },
  },
  'delivered-after-append-resolves': {
    title: 'delivery happens after commit, never inside append',
    async run({ store }) {
      let calledDuringAppend = false;
      let appending = false;
      const rec = recorder();
      await store.streamAll((batch) => {
        if (appending) calledDuringAppend = true;
        rec.handler(batch);
      });
      appending = true;
      const appended = store.append([opened('a1')]);
      appending = false;
      await appended;
      await deliveries(rec, 1);
      assert.equal(calledDuringAppend, false);
    },
  },
  'two-streams-same-batches': {
    title: 'two streams receive equal copies of the same batches',
    async run({ store }) {
      const one = recorder();
      const two = recorder();
      await store.streamAll(one.handler);
      await store.streamAll(two.handler);
      await store.append([opened('a1')]);
      await deliveries(one, 1);
      await deliveries(two, 1);
      assert.deepEqual(one.batches, two.batches);
    },
  },
  'commit-order': {
    title: 'batches arrive in commit order',
    async run({ store }) {
      const rec = recorder();
      await store.streamAll(rec.handler);
      await store.append([opened('a1')]);
      await store.append([credited('a1')]);
      assert.deepEqual(await deliveries(rec, 2), [[1], [2]]);
    },
  },
  'conflict-delivers-nothing': {
    title: 'a conflicting appendIf delivers nothing, also to filtered streams',
    async run({ store }) {
      await store.append([opened('a1')]);
      const all = recorder();
      const filtered = recorder();
      await store.streamAll(all.handler);
      await store.streamTo(a1, filtered.handler);
      await rejectsWith(store.appendIf([credited('a1')], a1, null), 'CONDITIONAL_APPEND_CONFLICT');
      await rejectsWith(store.append([]), 'EMPTY_APPEND');
      await staysAt(all, 0);
      await staysAt(filtered, 0);
    },
  },
  'unsubscribe-one-keeps-others': {
    title: 'unsubscribing one stream does not affect the others',
    async run({ store }) {
      const one = recorder();
      const two = recorder();
      const first = await store.streamAll(one.handler);
      await store.streamAll(two.handler);
      await first.unsubscribe();
      assert.equal((await store.append([opened('a1')])).firstSequenceNumber, 1n);
      await staysAt(one, 0);
      assert.deepEqual(await deliveries(two, 1), [[1]]);
    },
  },
  'filtered-by-type': {
    title: 'streamTo by event type delivers only matching records of a mixed batch, as one batch',
    async run({ store }) {
      const rec = recorder();
      await store.streamTo(openedOnly, rec.handler);
      await store.append([opened('a1'), credited('a1'), opened('a2')]);
      assert.deepEqual(await deliveries(rec, 1), [[1, 3]]);
      assert.ok(rec.batches[0]?.every((r) => r.eventType === 'account-opened'));
    },
  },
  'filtered-by-payload': {
    title: 'streamTo by payload predicate delivers only matching records',
    async run({ store }) {
      const rec = recorder();
      await store.streamTo(a1, rec.handler);
      await store.append([opened('a1'), opened('a2'), renamed('a1')]);
      assert.deepEqual(await deliveries(rec, 1), [[1, 3]]);
    },
  },
  'non-matching-commit-no-delivery': {
    title: 'a batch with no matching record is not delivered',
    async run({ store }) {
      const rec = recorder();
      await store.streamTo(openedOnly, rec.handler);
      await store.append([credited('a1')]);
      await staysAt(rec, 0);
      await store.append([opened('a1')]);
      assert.deepEqual(await deliveries(rec, 1), [[2]]);
    },
  },
  'order-inside-batch': {
    title: 'records keep their commit order inside a delivered batch',
    async run({ store }) {
      const rec = recorder();
      await store.streamTo(a1, rec.handler);
      await store.append([opened('a1'), opened('a2'), renamed('a1'), closed('a1')]);
      assert.deepEqual(await deliveries(rec, 1), [[1, 3, 4]]);
    },
  },
  'different-filters-see-differently': {
    title: 'differently filtered streams see the same commit differently',
    async run({ store }) {
      const byType = recorder();
      const byPayload = recorder();
      await store.streamTo(openedOnly, byType.handler);
      await store.streamTo({ filters: [{ payloadPredicates: [{ accountId: 'a2' }] }] }, byPayload.handler);
      await store.append([opened('a1'), credited('a2'), opened('a2')]);
      assert.deepEqual(await deliveries(byType, 1), [[1, 3]]);
      assert.deepEqual(await deliveries(byPayload, 1), [[2, 3]]);
    },
  },
  'handler-failure-keeps-append': {
    title: 'a failing handler leaves the append successful and other streams unaffected',
    async run({ store }) {
      const errors: unknown[] = [];
      await store.streamAll(
        () => {
          throw new Error('expected test handler failure');
        },
        { onError: (error) => errors.push(error) },
      );
      const rec = recorder();
      await store.streamAll(rec.handler);
      const result = await store.append([opened('a1')]);
      assert.equal(result.firstSequenceNumber, 1n);
      assert.equal(result.lastSequenceNumber, 1n);
      assert.equal((await store.query({})).eventRecords.length, 1);
      assert.deepEqual(await deliveries(rec, 1), [[1]]);
      await waitFor(() => errors.length === 1, 'onError called');
    },
  },
  'failing-live-handler-stays-subscribed': {
    title: 'a failing live handler is reported to onError with the thrown value and batch, and keeps receiving',
    async run({ store }) {
      const thrown = { reason: 'boom' };
      const reports: [unknown, number[]][] = [];
      let calls = 0;
      const stream = await store.streamAll(
        () => {
          calls++;
          if (calls === 1) throw thrown;
        },
        { onError: (error, batch) => reports.push([error, seqs(batch)]) },
      );
      await store.append([opened('a1')]);
      await waitFor(() => reports.length === 1, 'first failure reported');
      assert.equal(reports[0]?.[0], thrown, 'onError gets the thrown value itself');
      assert.deepEqual(reports[0]?.[1], [1]);
      assert.equal(stream.active, true);
      await store.append([opened('a2')]);
      await waitFor(() => calls === 2, 'handler called again');
    },
  },
  'rejecting-async-handler': {
    title: 'a rejecting async handler counts as failed and is reported',
    async run({ store }) {
      const reports: unknown[] = [];
      await store.streamAll(
        async () => {
          await sleep(1);
          throw new Error('async failure');
        },
        { onError: (error) => reports.push(error) },
      );
      await store.append([opened('a1')]);
      await waitFor(() => reports.length === 1, 'rejection reported');
      assert.equal((reports[0] as Error).message, 'async failure');
    },
  },
  'failure-without-onerror-goes-to-stderr': {
    title: 'without onError a handler failure is printed to stderr with the stream id',
    async run({ store }) {
      const printed: string[] = [];
      const original = console.error;
      console.error = (...args: unknown[]) => {
        printed.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
      };
      try {
        const stream = await store.streamAll(() => {
          throw new Error('unreported failure');
        });
        await store.append([opened('a1')]);
        await waitFor(() => printed.length > 0, 'something printed to stderr');
        assert.ok(
          printed.some((line) => line.includes(String(stream.id)) && line.includes('unreported failure')),
          printed.join('\n'),
        );
      } finally {
        console.error = original;
      }
    },
  },
  'async-handler-awaited-before-next': {
    title: 'an async handler is awaited before the next batch is delivered (one at a time)',
    async run({ store }) {
      let running = 0;
      let overlapped = false;
      const seen: number[] = [];
      await store.streamAll(async (batch) => {
        running++;
        if (running > 1) overlapped = true;
        await sleep(5);
        seen.push(...seqs(batch));
        running--;
      });
      for (let i = 0; i < 10; i++) await store.append([opened(`a${i}`)]);
      await waitFor(() => seen.length === 10, '10 deliveries');
      assert.equal(overlapped, false);
      assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    },
  },
  'ordering-under-many-quick-appends': {
    title: '300 appends fired at once reach every stream in commit order, one delivery per batch',
    async run({ store }) {
      const all = recorder();
      const filtered = recorder();
      await store.streamAll(all.handler);
      await store.streamTo(openedOnly, filtered.handler);
      const results = await Promise.all(Array.from({ length: 300 }, (_, i) => store.append([i % 3 ? opened(`a${i}`) : credited(`a${i}`)])));
      await waitFor(() => all.batches.length === 300, '300 deliveries', 5000);
      const delivered = all.positions().map((b) => b[0] as number);
      assert.deepEqual(
        delivered,
        Array.from({ length: 300 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        [...results.map((r) => Number(r.firstSequenceNumber))].sort((a, b) => a - b),
        delivered,
      );
      const openedPositions = (await store.query(openedOnly)).eventRecords.map((r) => Number(r.sequenceNumber));
      await waitFor(() => filtered.batches.length === openedPositions.length, 'filtered deliveries', 5000);
      assert.deepEqual(filtered.positions().flat(), openedPositions);
    },
  },
  'slow-handler-delays-only-its-stream': {
    title: 'a blocked handler delays only its own stream; appends and other streams go on',
    async run({ store }) {
      const blocked = gate();
      let slowCalls = 0;
      await store.streamAll(async () => {
        slowCalls++;
        await blocked.promise;
      });
      const fast = recorder();
      await store.streamAll(fast.handler);
      const started = Date.now();
      for (let i = 0; i < 5; i++) await store.append([opened(`a${i}`)]);
      assert.ok(Date.now() - started < 1000, 'appends finished while the handler was blocked');
      assert.deepEqual(await deliveries(fast, 5), [[1], [2], [3], [4], [5]]);
      assert.equal(slowCalls, 1, 'the slow stream waits on its first batch');
      assert.equal((await store.query({})).eventRecords.length, 5, 'queries work while a handler is blocked');
      blocked.open();
      await waitFor(() => slowCalls === 5, 'the slow stream catches up');
    },
  },
  'stream-ids-unique': {
    title: 'stream ids are unique within a store instance',
    async run({ store }) {
      const ids = new Set<number>();
      for (let i = 0; i < 5; i++) ids.add((await store.streamAll(() => {})).id);
      ids.add((await store.streamTo({}, () => {})).id);
      ids.add((await store.streamAllDurable('ids', () => {})).id);
      assert.equal(ids.size, 7);
    },
  },
  'handler-may-use-the-store': {
    title: 'a live handler may await query, append and appendIf on the same store',
    async run({ store }) {
      const seen: number[][] = [];
      await store.streamTo(openedOnly, async (batch: readonly EventRecord[]) => {
        const record = batch[0] as EventRecord;
        const { accountId } = record.payload as { accountId: string };
        const context = { filters: [{ eventTypes: ['account-credited'], payloadPredicates: [{ accountId }] }] };
        const { currentContextVersion } = await store.query(context);
        await store.appendIf([credited(accountId, { bonus: 10 })], context, currentContextVersion);
        await store.append([credited(accountId, { bonus: 1 })]);
        seen.push(seqs(batch));
      });
      await store.append([opened('a1')]);
      await waitFor(() => seen.length === 1, 'handler finished');
      assert.deepEqual(seqs((await store.query({})).eventRecords), [1, 2, 3]);
    },
  },
});
