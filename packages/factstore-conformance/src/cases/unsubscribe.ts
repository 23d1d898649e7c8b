import type { EventStream } from 'factstore';
import { defineCases } from '../conformance-case.js';
import { assert, assertWaitsForRunningCall, credited, closed, gate, opened, recorder, sleep, staysAt, waitFor } from '../harness.js';

export const unsubscribeCases = defineCases('unsubscribe', {
  'never-called-after-resolve': {
    title: 'once unsubscribe() resolves the handler is never called again, and active is false',
    async run({ store }) {
      const rec = recorder();
      const stream = await store.streamAll(rec.handler);
      assert.equal(stream.active, true);
      await stream.unsubscribe();
      assert.equal(stream.active, false);
      for (let i = 0; i < 20; i++) await store.append([opened(`a${i}`)]);
      await staysAt(rec, 0);
    },
  },
  'no-new-call-after-unsubscribe': {
    title: 'no handler call starts after unsubscribe() is called, even for batches committed before',
    async run({ store }) {
      const release = gate();
      const rec = recorder();
      let calls = 0;
      const stream = await store.streamAll(async (batch) => {
        calls++;
        rec.handler(batch);
        if (calls === 1) await release.promise;
      });
      await store.append([opened('a1')]);
      await waitFor(() => calls === 1, 'first call started');
      await store.append([credited('a1')]);
      const unsubscribed = stream.unsubscribe();
      await store.append([closed('a1')]);
      release.open();
      await unsubscribed;
      await staysAt(rec, 1);
      assert.deepEqual(rec.positions(), [[1]]);
    },
  },
  'waits-for-running-call': {
    title: 'unsubscribe() resolves only after the running handler call has finished',
    async run({ store }) {
      let stream: EventStream | undefined;
      await assertWaitsForRunningCall(
        async (handler) => (stream = await store.streamAll(handler)),
        () => store.append([opened('a1')]),
        () => (stream as EventStream).unsubscribe(),
      );
    },
  },
  'from-inside-the-handler': {
    title: 'unsubscribe() may be called and awaited from inside the handler',
    async run({ store }) {
      let calls = 0;
      let awaited = false;
      const stream: EventStream = await store.streamAll(async () => {
        calls++;
        await stream.unsubscribe();
        awaited = true;
      });
      await store.append([opened('a1')]);
      await waitFor(() => awaited, 'unsubscribe awaited inside the handler');
      await store.append([opened('a2')]);
      await sleep(50);
      assert.equal(calls, 1);
      assert.equal(stream.active, false);
    },
  },
  'twice-is-harmless': {
    title: 'calling unsubscribe() twice, or after close(), resolves',
    async run({ store }) {
      const stream = await store.streamAll(() => {});
      await Promise.all([stream.unsubscribe(), stream.unsubscribe()]);
      await stream.unsubscribe();
      const other = await store.streamAll(() => {});
      await store.close();
      await other.unsubscribe();
      assert.equal(other.active, false);
    },
  },
  'durable-keeps-cursor': {
    title: 'unsubscribing a durable stream keeps its cursor: re-registering delivers only what came after',
    async run({ store }) {
      const one = recorder();
      const first = await store.streamAllDurable('unsubscribe-stream', one.handler);
      await store.append([opened('a1')]);
      await waitFor(() => one.batches.length === 1, 'first delivery');
      await first.unsubscribe();
      await store.append([credited('a1', { name: 'Primary' })]);
      await staysAt(one, 1);
      const two = recorder();
      await store.streamAllDurable('unsubscribe-stream', two.handler);
      assert.deepEqual(two.positions(), [[2]]);
    },
  },
});
