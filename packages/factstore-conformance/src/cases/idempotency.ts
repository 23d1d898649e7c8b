import { defineCases } from '../conformance-case.js';
import { assert, assertLog, credited, ev, opened, recorder, rejectsWith, staysAt, deliveries } from '../harness.js';

const a1 = { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] };

export const idempotencyCases = defineCases('idempotency', {
  'same-key-same-events-replays-the-first-result': {
    title: 'a second append with the same key and events writes and publishes nothing and resolves with the first result',
    async run({ store }) {
      const rec = recorder();
      await store.streamAll(rec.handler);
      const first = await store.append([opened('a1'), credited('a1', { amount: 5 })], { idempotencyKey: 'open-a1' });
      await deliveries(rec, 1);
      const again = await store.append([opened('a1'), credited('a1', { amount: 5 })], { idempotencyKey: 'open-a1' });
      assert.deepEqual(again, first);
      await assertLog(store, [1, 2]);
      await staysAt(rec, 1);
    },
  },
  'payload-key-order-does-not-matter': {
    title: 'the same events compare as JSON values: object key order does not matter, array order does',
    async run({ store }) {
      const first = await store.append([ev('e', { a: 1, b: [1, 2] })], { idempotencyKey: 'k' });
      assert.deepEqual(await store.append([ev('e', { b: [1, 2], a: 1 })], { idempotencyKey: 'k' }), first);
      await rejectsWith(store.append([ev('e', { a: 1, b: [2, 1] })], { idempotencyKey: 'k' }), 'IDEMPOTENCY_KEY_REUSED');
      await assertLog(store, [1]);
    },
  },
  'same-key-other-events-is-refused': {
    title: 'the same key with other events fails with IDEMPOTENCY_KEY_REUSED, naming the key and its batch, and writes nothing',
    async run({ store }) {
      await store.append([opened('a1')], { idempotencyKey: 'cmd' });
      const error = await rejectsWith<{ idempotencyKey: string; committed: { firstSequenceNumber: bigint } }>(
        store.append([opened('a2')], { idempotencyKey: 'cmd' }),
        'IDEMPOTENCY_KEY_REUSED',
      );
      assert.equal(error.name, 'IdempotencyKeyReusedError');
      assert.equal(error.idempotencyKey, 'cmd');
      assert.equal(error.committed.firstSequenceNumber, 1n);
      await rejectsWith(store.append([opened('a1'), opened('a1')], { idempotencyKey: 'cmd' }), 'IDEMPOTENCY_KEY_REUSED');
      await rejectsWith(store.append([ev('other-type', { accountId: 'a1' })], { idempotencyKey: 'cmd' }), 'IDEMPOTENCY_KEY_REUSED');
      await assertLog(store, [1]);
      const next = await store.append([opened('a3')]);
      assert.equal(next.firstSequenceNumber, 2n, 'a refused call consumed no position');
    },
  },
  'appendif-replay-wins-over-conflict': {
    title: 'an appendIf retried with its key after it committed resolves with the first result, although its context has moved on',
    async run({ store }) {
      const first = await store.appendIf([opened('a1')], a1, null, { idempotencyKey: 'open-a1' });
      await store.append([credited('a1')]);
      // the context is now at 2, not null: without the key this is a conflict
      assert.deepEqual(await store.appendIf([opened('a1')], a1, null, { idempotencyKey: 'open-a1' }), first);
      await rejectsWith(store.appendIf([opened('a1')], a1, null), 'CONDITIONAL_APPEND_CONFLICT');
      await assertLog(store, [1, 2]);
    },
  },
  'key-names-a-batch-whatever-wrote-it': {
    title: 'a key names its batch whether append or appendIf wrote it',
    async run({ store }) {
      const first = await store.append([opened('a1')], { idempotencyKey: 'k1' });
      assert.deepEqual(await store.appendIf([opened('a1')], a1, 99, { idempotencyKey: 'k1' }), first);
      const second = await store.appendIf([credited('a1')], a1, 1n, { idempotencyKey: 'k2' });
      assert.deepEqual(await store.append([credited('a1')], { idempotencyKey: 'k2' }), second);
      await assertLog(store, [1, 2]);
    },
  },
  'concurrent-calls-with-one-key-commit-once': {
    title: 'twenty concurrent appends with one key and the same events commit one batch and all resolve with its result',
    async run({ store }) {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? store.append([opened('a1'), credited('a1')], { idempotencyKey: 'once' })
            : store.appendIf([opened('a1'), credited('a1')], a1, null, { idempotencyKey: 'once' }),
        ),
      );
      for (const result of results) assert.deepEqual(result, results[0]);
      await assertLog(store, [1, 2]);
    },
  },
  'concurrent-calls-with-one-key-and-other-events': {
    title: 'concurrent appends with one key and different events: exactly one commits, the others fail with IDEMPOTENCY_KEY_REUSED',
    async run({ store }) {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store.append([opened(`a${i}`)], { idempotencyKey: 'race' })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'IDEMPOTENCY_KEY_REUSED');
      await assertLog(store, [1]);
    },
  },
  'keys-with-odd-characters': {
    title: 'keys are exact strings: unicode, quotes, dots, spaces, 200 characters, and keys that differ only in case are different keys',
    async run({ store }) {
      const keys = ['ünï-cödé ✓', `"quoted" 'key'`, 'a.b.c', ' spaced ', 'k'.repeat(200), 'Key', 'key', 'k:prefix', 'i:prefix'];
      const results = [];
      for (const [i, key] of keys.entries()) results.push(await store.append([ev('e', { i })], { idempotencyKey: key }));
      for (const [i, key] of keys.entries()) assert.deepEqual(await store.append([ev('e', { i })], { idempotencyKey: key }), results[i]);
      await assertLog(
        store,
        keys.map((_, i) => i + 1),
      );
    },
  },
  'order-of-errors': {
    title: 'INVALID_INPUT and EMPTY_APPEND come before IDEMPOTENCY_KEY_REUSED, which comes before a conflict',
    async run({ store }) {
      await store.append([opened('a1')], { idempotencyKey: 'used' });
      await rejectsWith(store.append([], { idempotencyKey: 'used' }), 'EMPTY_APPEND');
      await rejectsWith(store.appendIf([], a1, 5, { idempotencyKey: 'used' }), 'EMPTY_APPEND');
      await rejectsWith(store.append([{ eventType: '', payload: 1 }], { idempotencyKey: 'used' }), 'INVALID_INPUT');
      await rejectsWith(store.appendIf([opened('a9')], a1, 5, { idempotencyKey: 'used' }), 'IDEMPOTENCY_KEY_REUSED');
      await rejectsWith(store.appendIf([opened('a9')], a1, 5, { idempotencyKey: 'fresh' }), 'CONDITIONAL_APPEND_CONFLICT');
      // the conflicting call did not take the key
      const taken = await store.append([opened('a9')], { idempotencyKey: 'fresh' });
      assert.equal(taken.firstSequenceNumber, 2n);
    },
  },
  'closed-store-refuses-a-replay': {
    title: 'after close(), a replay of a committed key is STORE_CLOSED too',
    async run({ createStore }) {
      const store = await createStore();
      await store.append([opened('a1')], { idempotencyKey: 'k' });
      await store.close();
      await rejectsWith(store.append([opened('a1')], { idempotencyKey: 'k' }), 'STORE_CLOSED');
    },
  },
});
