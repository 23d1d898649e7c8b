import { defineCases } from '../conformance-case.js';
import { assert, assertLog, opened, rejectsWith } from '../harness.js';

const a1 = { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] };

export const errorCases = defineCases('errors', {
  'errors-have-codes-and-names': {
    title: 'every error is an Error with a stable code and its class name',
    async run({ store }) {
      const empty = await rejectsWith(store.append([]), 'EMPTY_APPEND');
      assert.equal(empty.name, 'EmptyAppendError');
      const invalid = await rejectsWith<{ issues: { path: string; message: string }[] }>(
        store.append([{ eventType: '', payload: 1 }]),
        'INVALID_INPUT',
      );
      assert.equal(invalid.name, 'InvalidInputError');
      assert.ok(Array.isArray(invalid.issues) && invalid.issues.length > 0, 'issues listed');
      for (const issue of invalid.issues) {
        assert.equal(typeof issue.path, 'string');
        assert.equal(typeof issue.message, 'string');
      }
      assert.ok(
        invalid.issues.some((issue) => issue.path.includes('eventType')),
        JSON.stringify(invalid.issues),
      );
    },
  },
  'empty-append-before-conflict': {
    title: 'appendIf([], …) fails with EMPTY_APPEND before the context is checked',
    async run({ store }) {
      await store.append([opened('a1')]);
      await rejectsWith(store.appendIf([], a1, null), 'EMPTY_APPEND');
      await rejectsWith(store.appendIf([], a1, 1n), 'EMPTY_APPEND');
    },
  },
  'invalid-before-empty': {
    title: 'INVALID_INPUT wins over EMPTY_APPEND',
    async run({ store }) {
      await rejectsWith(store.appendIf([], { filters: [{ eventType: ['x'] }] } as never, null), 'INVALID_INPUT');
      await rejectsWith(store.appendIf([], a1, -1), 'INVALID_INPUT');
    },
  },
  'closed-wins': {
    title: 'after close() every call fails with STORE_CLOSED, which wins over every other error',
    async run({ store }) {
      await store.close();
      await rejectsWith(store.append([opened('a1')]), 'STORE_CLOSED');
      await rejectsWith(store.append([]), 'STORE_CLOSED');
      await rejectsWith(store.append('bad' as never), 'STORE_CLOSED');
      await rejectsWith(store.appendIf([opened('a1')], a1, null), 'STORE_CLOSED');
      await rejectsWith(store.appendIf([], undefined as never, undefined as never), 'STORE_CLOSED');
      await rejectsWith(store.query({}), 'STORE_CLOSED');
      await rejectsWith(store.query(undefined as never), 'STORE_CLOSED');
      await rejectsWith(
        store.streamAll(() => {}),
        'STORE_CLOSED',
      );
      await rejectsWith(
        store.streamTo({}, () => {}),
        'STORE_CLOSED',
      );
      await rejectsWith(
        store.streamAllDurable('n', () => {}),
        'STORE_CLOSED',
      );
      await rejectsWith(store.streamToDurable('', {}, 'x' as never), 'STORE_CLOSED');
      const error = await rejectsWith(store.query({}), 'STORE_CLOSED');
      assert.equal(error.name, 'StoreClosedError');
    },
  },
  'errors-are-rejections': {
    title: 'errors arrive as rejected promises, never as synchronous throws',
    async run({ store }) {
      for (const call of [
        () => store.append(undefined as never),
        () => store.appendIf([opened('a1')], undefined as never, null),
        () => store.query(null as never),
        () => store.streamAll(undefined as never),
        () => store.streamTo(undefined as never, () => {}),
        () => store.streamAllDurable(7 as never, () => {}),
        () => store.streamToDurable('n', {}, null as never),
      ]) {
        let promise: Promise<unknown> | undefined;
        assert.doesNotThrow(() => {
          promise = call();
        });
        await rejectsWith(promise as Promise<unknown>, 'INVALID_INPUT');
      }
      await assertLog(store, []);
    },
  },
});
