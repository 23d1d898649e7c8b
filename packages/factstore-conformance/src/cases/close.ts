import { defineCases } from '../conformance-case.js';
import { assert, gate, opened, recorder, sleep, staysAt, waitFor } from '../harness.js';

export const closeCases = defineCases('close', {
  'second-close-resolves': {
    title: 'close() twice, or concurrently, resolves',
    async run({ store }) {
      await Promise.all([store.close(), store.close()]);
      await store.close();
    },
  },
  'stops-every-stream': {
    title: 'close() stops every stream: inactive, no handler call afterwards',
    async run({ store }) {
      const live = recorder();
      const durable = recorder();
      const one = await store.streamAll(live.handler);
      const two = await store.streamAllDurable('closing', durable.handler);
      await store.close();
      assert.equal(one.active, false);
      assert.equal(two.active, false);
      await staysAt(live, 0);
      await staysAt(durable, 0);
    },
  },
  'waits-for-running-handlers': {
    title: 'close() waits for running handler calls to finish',
    async run({ store }) {
      const release = gate();
      let started = false;
      let finished = false;
      await store.streamAll(async () => {
        started = true;
        await release.promise;
        await sleep(10);
        finished = true;
      });
      await store.append([opened('a1')]);
      await waitFor(() => started, 'handler started');
      let closed = false;
      const closing = store.close().then(() => {
        closed = true;
      });
      await sleep(30);
      assert.equal(closed, false, 'close waits for the handler');
      release.open();
      await closing;
      assert.equal(finished, true);
    },
  },
  'close-from-inside-handler': {
    title: 'close() may be awaited from inside a handler',
    async run({ store }) {
      let closedInside = false;
      await store.streamAll(async () => {
        await store.close();
        closedInside = true;
      });
      await store.append([opened('a1')]);
      await waitFor(() => closedInside, 'close resolved inside the handler');
      await store.close();
    },
  },
  'pending-append-completes': {
    title: 'an append in flight when close() is called completes; close() resolves after it',
    async run({ store }) {
      const appended = store.append([opened('a1')]);
      const closing = store.close();
      const result = await appended;
      assert.equal(result.firstSequenceNumber, 1n);
      await closing;
    },
  },
});
