import type { EventRecord } from 'factstore';
import { defineCases } from '../conformance-case.js';
import { assert, credited, gate, opened, rejectsWith, sleep } from '../harness.js';

export const waitForDurableCases = defineCases('wait-for-durable', {
  'resolves-after-save': {
    title: "waitForDurable resolves once the stream's handler has run for the position and its cursor is saved",
    async run({ store }) {
      const seen: number[] = [];
      const release = gate();
      await store.streamAllDurable('projection', async (batch) => {
        await release.promise;
        for (const record of batch) seen.push(Number(record.sequenceNumber));
      });
      const { lastSequenceNumber } = await store.append([opened('a1'), credited('a1')]);
      let resolved = false;
      const waiting = store.waitForDurable('projection', lastSequenceNumber).then(() => {
        resolved = true;
      });
      await sleep(60);
      assert.equal(resolved, false, 'still waiting while the handler runs');
      release.open();
      await waiting;
      assert.deepEqual(seen, [1, 2], 'the handler saw the position before the wait resolved');
    },
  },
  'resolves-past-a-batch-that-filters-to-nothing': {
    title: 'waitForDurable resolves for the position of an append the stream does not match (its cursor moves past it)',
    async run({ store }) {
      const seen: EventRecord[] = [];
      await store.streamToDurable('accounts-a1', { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] }, (batch) => {
        seen.push(...batch);
      });
      await store.append([opened('a1')]);
      const { lastSequenceNumber } = await store.append([opened('a2')]);
      await store.waitForDurable('accounts-a1', lastSequenceNumber, { timeoutMs: 2000 });
      assert.deepEqual(
        seen.map((r) => Number(r.sequenceNumber)),
        [1],
      );
    },
  },
  'already-saved': {
    title: 'waitForDurable resolves at once for a position the cursor has reached, also after the stream stopped',
    async run({ store }) {
      await store.append([opened('a1')]);
      await store.append([opened('a2')]);
      const stream = await store.streamAllDurable('done', () => {});
      await store.waitForDurable('done', 2n, { timeoutMs: 0 });
      await store.waitForDurable('done', 1, { timeoutMs: 0 });
      await store.waitForDurable('done', 0n, { timeoutMs: 0 });
      await stream.unsubscribe();
      await store.waitForDurable('done', 2, { timeoutMs: 0 });
      await rejectsWith(store.waitForDurable('done', 3n, { timeoutMs: 0 }), 'WAIT_TIMEOUT');
    },
  },
  'times-out': {
    title: 'waitForDurable rejects with WAIT_TIMEOUT when the cursor does not get there within timeoutMs',
    async run({ store }) {
      await store.streamAllDurable('slow', () => {});
      const { lastSequenceNumber } = await store.append([opened('a1')]);
      await store.waitForDurable('slow', lastSequenceNumber, { timeoutMs: 2000 });
      const started = Date.now();
      const error = await rejectsWith<{ streamName: string; position: bigint; timeoutMs: number }>(
        store.waitForDurable('slow', lastSequenceNumber + 1n, { timeoutMs: 80 }),
        'WAIT_TIMEOUT',
      );
      const waited = Date.now() - started;
      assert.ok(waited >= 70, `waited ${waited} ms before timing out`);
      assert.equal(error.streamName, 'slow');
      assert.equal(error.position, lastSequenceNumber + 1n);
      assert.equal(error.timeoutMs, 80);
    },
  },
  'abort-rejects-with-the-reason': {
    title: "waitForDurable rejects with the signal's reason when aborted, also when it was aborted before the call",
    async run({ store }) {
      const controller = new AbortController();
      const reason = new Error('no longer needed');
      const waiting = store.waitForDurable('never', 5n, { signal: controller.signal, timeoutMs: 10_000 });
      await sleep(20);
      const started = Date.now();
      controller.abort(reason);
      await assert.rejects(waiting, (error) => error === reason);
      assert.ok(Date.now() - started < 1000, 'aborted promptly');
      await assert.rejects(store.waitForDurable('never', 5n, { signal: AbortSignal.abort('gone') }), (error) => error === 'gone');
      const plain = new AbortController();
      plain.abort();
      await assert.rejects(store.waitForDurable('never', 0n, { signal: plain.signal }), (error) => (error as Error).name === 'AbortError');
    },
  },
  'unregistered-name-waits': {
    title: 'waitForDurable on a name no one registered waits: it times out, or resolves once the name is registered and saves',
    async run({ store }) {
      await rejectsWith(store.waitForDurable('nobody', 0n, { timeoutMs: 50 }), 'WAIT_TIMEOUT');
      const { lastSequenceNumber } = await store.append([opened('a1')]);
      const waiting = store.waitForDurable('later', lastSequenceNumber, { timeoutMs: 5000 });
      await sleep(30);
      await store.streamAllDurable('later', () => {});
      await waiting;
    },
  },
  'bad-input-refused': {
    title: 'waitForDurable refuses a bad name, position or options with INVALID_INPUT',
    async run({ store }) {
      const bad: [string, () => Promise<void>][] = [
        ['name empty', () => store.waitForDurable('', 1n)],
        ['name 201 characters', () => store.waitForDurable('n'.repeat(201), 1n)],
        ['name a number', () => store.waitForDurable(1 as never, 1n)],
        ['position undefined', () => store.waitForDurable('n', undefined as never)],
        ['position -1', () => store.waitForDurable('n', -1)],
        ['position -1n', () => store.waitForDurable('n', -1n)],
        ['position 1.5', () => store.waitForDurable('n', 1.5)],
        ['position a string', () => store.waitForDurable('n', '1' as never)],
        ['position null', () => store.waitForDurable('n', null as never)],
        ['position 2^63', () => store.waitForDurable('n', 2n ** 63n)],
        ['position unsafe', () => store.waitForDurable('n', 2 ** 53)],
        ['timeoutMs -1', () => store.waitForDurable('n', 1n, { timeoutMs: -1 })],
        ['timeoutMs 1.5', () => store.waitForDurable('n', 1n, { timeoutMs: 1.5 })],
        ['timeoutMs a string', () => store.waitForDurable('n', 1n, { timeoutMs: '5' as never })],
        ['timeoutMs Infinity', () => store.waitForDurable('n', 1n, { timeoutMs: Infinity })],
        ['signal not an AbortSignal', () => store.waitForDurable('n', 1n, { signal: {} as never })],
        ['options: unknown key', () => store.waitForDurable('n', 1n, { timeout: 5 } as never)],
        ['options: not an object', () => store.waitForDurable('n', 1n, 5 as never)],
      ];
      for (const [what, call] of bad) {
        const error = await rejectsWith<{ issues: unknown[] }>(call, 'INVALID_INPUT').catch((failure: Error) => {
          throw new Error(`${what}: ${failure.message}`);
        });
        assert.ok(error.issues.length > 0, `${what}: issues listed`);
      }
      await store.append([opened('a1')]);
      await (await store.streamAllDurable('n'.repeat(200), () => {})).unsubscribe();
      await store.waitForDurable('n'.repeat(200), 1, { timeoutMs: 0, signal: undefined });
      await rejectsWith(store.waitForDurable('n', 2n ** 63n - 1n, { timeoutMs: 0 }), 'WAIT_TIMEOUT');
    },
  },
  'store-closed': {
    title: 'waitForDurable after close() is STORE_CLOSED, and a wait under way when the store closes ends with STORE_CLOSED',
    async run({ createStore }) {
      const store = await createStore();
      const waiting = store.waitForDurable('closing', 1n, { timeoutMs: 10_000 });
      await sleep(20);
      const started = Date.now();
      const ended = rejectsWith(waiting, 'STORE_CLOSED'); // handled before close() settles it
      await store.close();
      await ended;
      assert.ok(Date.now() - started < 2000, 'ended with the close');
      await rejectsWith(store.waitForDurable('closing', 1n), 'STORE_CLOSED');
    },
  },
});
