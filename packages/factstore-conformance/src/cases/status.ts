import type { StreamStatus } from 'factstore';
import { defineCases } from '../conformance-case.js';
import { assert, credited, gate, opened, show, waitFor } from '../harness.js';

const find = (streams: readonly StreamStatus[], id: number) => streams.find((s) => s.id === id);

export const statusCases = defineCases('status', {
  'streams-lag-and-stall': {
    title:
      "status() lists this process's streams with kind, cursor, head and lag; a stuck handler's lag grows and stalledSince is set, both clear once it catches up",
    async run({ store }) {
      const empty = store.status();
      assert.equal(empty.closed, false);
      assert.deepEqual(empty.streams, []);
      await store.append([opened('a1')]);
      assert.equal(store.status().head, 1n);

      const release = gate();
      let calls = 0;
      // the replay passes position 1 silently (nothing matches): the handler first runs live
      const durable = await store.streamToDurable('status-durable', { filters: [{ eventTypes: ['account-credited'] }] }, async () => {
        calls++;
        await release.promise;
      });
      const live = await store.streamTo({ filters: [{ eventTypes: ['account-credited'] }] }, () => {});
      const waiting = store.status();
      assert.deepEqual(
        waiting.streams.map((s) => [s.id, s.name, s.kind, s.active, s.lastError]),
        [
          [durable.id, 'status-durable', 'durable', true, null],
          [live.id, null, 'live', true, null],
        ],
      );
      const before = Date.now();
      await store.append([credited('a1')]);
      await waitFor(() => calls === 1, 'the durable handler to start');
      await store.append([credited('a1'), credited('a1')]);
      await waitFor(() => find(store.status().streams, live.id)?.lag === 0n, 'the live stream to catch up');
      const stuck = store.status();
      assert.equal(stuck.head, 4n);
      const entry = find(stuck.streams, durable.id);
      assert.ok(entry, show(stuck));
      assert.equal(entry.cursor, 1n, show(entry));
      assert.equal(entry.head, 4n);
      assert.equal(entry.lag, 3n);
      assert.equal(entry.replaying, false);
      assert.ok(entry.stalledSince instanceof Date, `stalledSince of a stuck stream: ${show(entry)}`);
      assert.ok(entry.stalledSince.getTime() >= before - 1000 && entry.stalledSince.getTime() <= Date.now(), show(entry));
      assert.equal(find(stuck.streams, live.id)?.stalledSince, null);

      release.open();
      await waitFor(() => find(store.status().streams, durable.id)?.lag === 0n, 'the durable stream to catch up');
      const caughtUp = find(store.status().streams, durable.id);
      assert.equal(caughtUp?.cursor, 4n);
      assert.equal(caughtUp?.stalledSince, null);
      await live.unsubscribe();
      assert.deepEqual(
        store.status().streams.map((s) => s.id),
        [durable.id],
      );
    },
  },
  'failed-durable-stream-stays-listed': {
    title:
      'a durable stream stopped by a failing handler stays in status(): inactive, with the error code and message, stalled since its batch, until its name is registered again',
    async run({ store }) {
      const failure = Object.assign(new Error('projection broke'), { code: 'PROJECTION_BROKE' });
      let reported = false;
      const stream = await store.streamAllDurable(
        'status-fails',
        () => {
          throw failure;
        },
        { onError: () => (reported = true) },
      );
      await store.append([opened('a1')]);
      await waitFor(() => reported, 'onError');
      const entry = find(store.status().streams, stream.id);
      assert.ok(entry, show(store.status()));
      assert.equal(entry.active, false);
      assert.equal(entry.name, 'status-fails');
      assert.equal(entry.lag, 1n);
      assert.equal(entry.lastError?.code, 'PROJECTION_BROKE');
      assert.equal(entry.lastError?.message, 'projection broke');
      assert.ok(entry.lastError?.at instanceof Date);
      assert.ok(entry.stalledSince instanceof Date, show(entry));

      const again = await store.streamAllDurable('status-fails', () => {});
      await waitFor(() => find(store.status().streams, again.id)?.lag === 0n, 'the new registration to catch up');
      assert.deepEqual(
        store.status().streams.map((s) => [s.id, s.active, s.lastError]),
        [[again.id, true, null]],
      );
      await store.close();
      const closedStatus = store.status();
      assert.equal(closedStatus.closed, true);
      assert.deepEqual(closedStatus.streams, []);
    },
  },
});
