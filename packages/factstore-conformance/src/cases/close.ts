import { defineCases } from '../conformance-case.js';
import { assert, assertWaitsForRunningCall, opened, recorder, staysAt, waitFor } from '../harness.js';

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
      await assertWaitsForRunningCall(
        (handler) => store.streamAll(handler),
        () => store.append([opened('a1')]),
        () => store.close(),
      );
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
