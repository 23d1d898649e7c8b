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
  'every-problem-once-with-its-path': {
    title: 'INVALID_INPUT lists every bad field of every event and of the options, once each, as `path: sentence` in its message',
    async run({ store }) {
      const error = await rejectsWith<{ issues: Issue[] }>(
        store.append(
          [
            { eventType: '', payload: 1 },
            { payload: { n: 1 } } as never,
            opened('a1'),
            { eventType: 7, payload: { at: new Date(0) }, note: 'x' } as never,
          ],
          { idempotency: 'k' } as never,
        ),
        'INVALID_INPUT',
      );
      assert.deepEqual(
        error.issues.map((issue) => issue.path),
        [
          'events[0].eventType',
          'events[1].eventType',
          'events[3].note',
          'events[3].eventType',
          'events[3].payload.at',
          'options.idempotency',
        ],
        JSON.stringify(error.issues),
      );
      assertPlain(error);
      await assertLog(store, []);
    },
  },
  'paths-of-queries-and-streams': {
    title: 'problems of a query, an appendIf context, a durable name and a handler are reported with their paths, together',
    async run({ store }) {
      const query = await rejectsWith<{ issues: Issue[] }>(
        store.query({ filters: [{ eventType: ['x'] }, { eventTypes: [''] }], limit: 0 } as never),
        'INVALID_INPUT',
      );
      assert.deepEqual(
        query.issues.map((issue) => issue.path),
        ['query.filters[0].eventType', 'query.filters[1].eventTypes[0]', 'query.limit'],
        JSON.stringify(query.issues),
      );
      assertPlain(query);
      const appendIf = await rejectsWith<{ issues: Issue[] }>(
        store.appendIf([opened('a1')], { filters: [{ payloadPredicates: [{ at: undefined }] }] } as never, -1 as never),
        'INVALID_INPUT',
      );
      assert.deepEqual(
        appendIf.issues.map((issue) => issue.path),
        ['contextQuery.filters[0].payloadPredicates[0].at', 'expectedContextVersion'],
        JSON.stringify(appendIf.issues),
      );
      assertPlain(appendIf);
      const durable = await rejectsWith<{ issues: Issue[] }>(store.streamToDurable('', { limit: -1 }, 'handler' as never), 'INVALID_INPUT');
      assert.deepEqual(
        durable.issues.map((issue) => issue.path),
        ['name', 'query.limit', 'handler'],
        JSON.stringify(durable.issues),
      );
      assertPlain(durable);
      await assertLog(store, []);
    },
  },
  'unknown-option-keys-refused': {
    title: 'an unknown key in append, appendIf or stream options is INVALID_INPUT naming it; nothing is written or registered',
    async run({ store }) {
      const handler = () => {};
      const calls: [string, () => Promise<unknown>][] = [
        ['options.idempotency', () => store.append([opened('a1')], { idempotency: 'k' } as never)],
        ['options.key', () => store.appendIf([opened('a1')], {}, null, { key: 'k' } as never)],
        ['options.onErr', () => store.streamAll(handler, { onErr: handler } as never)],
        ['options.onerror', () => store.streamTo({}, handler, { onerror: handler } as never)],
        ['options.replay', () => store.streamAllDurable('n', handler, { replay: false } as never)],
        ['options.onError', () => store.streamToDurable('n', {}, handler, { onError: 'log' } as never)],
      ];
      for (const [path, call] of calls) {
        const error = await rejectsWith<{ issues: Issue[] }>(call, 'INVALID_INPUT');
        assert.deepEqual(
          error.issues.map((issue) => issue.path),
          [path],
          JSON.stringify(error.issues),
        );
        assertPlain(error);
      }
      await assertLog(store, []);
      // the durable name was never taken
      await (await store.streamAllDurable('n', handler)).unsubscribe();
    },
  },
  'conflict-says-what-it-compared': {
    title: 'a conflict carries the context query and both versions, and its message shows them',
    async run({ store }) {
      await store.append([opened('a1')]);
      const context = { filters: [{ eventTypes: ['account-opened'], payloadPredicates: [{ accountId: 'a1' }] }] };
      const conflict = await rejectsWith<{ expected: bigint | null; actual: bigint | null; contextQuery: unknown }>(
        store.appendIf([opened('a1')], context, null),
        'CONDITIONAL_APPEND_CONFLICT',
      );
      assert.equal(conflict.expected, null);
      assert.equal(conflict.actual, 1n);
      assert.deepEqual(conflict.contextQuery, context);
      for (const part of ['account-opened', '"accountId":"a1"', 'expected null', 'actual 1']) {
        assert.ok(conflict.message.includes(part), `${JSON.stringify(part)} in ${conflict.message}`);
      }
      const stale = await rejectsWith<{ expected: bigint | null; actual: bigint | null }>(
        store.appendIf([opened('a1')], context, 0),
        'CONDITIONAL_APPEND_CONFLICT',
      );
      assert.equal(stale.expected, 0n);
      assert.ok(stale.message.includes('expected 0, actual 1'), stale.message);
      await assertLog(store, [1]);
    },
  },
  'query-mismatch-shows-both-queries': {
    title: 'a durable name resumed with another query names the stored and the given query',
    async run({ store }) {
      const stream = await store.streamToDurable('balances', { filters: [{ eventTypes: ['account-credited'] }] }, () => {});
      await stream.unsubscribe();
      const mismatch = await rejectsWith<{ streamName: string; storedQuery: unknown; givenQuery: unknown }>(
        store.streamToDurable('balances', { filters: [{ eventTypes: ['account-debited'] }] }, () => {}),
        'DURABLE_STREAM_QUERY_MISMATCH',
      );
      assert.equal(mismatch.streamName, 'balances');
      assert.deepEqual(mismatch.storedQuery, { filters: [{ eventTypes: ['account-credited'] }] });
      assert.deepEqual(mismatch.givenQuery, { filters: [{ eventTypes: ['account-debited'] }] });
      for (const part of ['"balances"', 'stored', 'account-credited', 'given', 'account-debited']) {
        assert.ok(mismatch.message.includes(part), `${JSON.stringify(part)} in ${mismatch.message}`);
      }
    },
  },
});

interface Issue {
  path: string;
  message: string;
}

/** Every issue is one sentence in plain words, at most once per path, and the message shows each as `path: sentence`. */
function assertPlain(error: Error & { issues: Issue[] }): void {
  const paths = error.issues.map((issue) => issue.path);
  assert.equal(new Set(paths).size, paths.length, `a path reported twice: ${JSON.stringify(error.issues)}`);
  for (const issue of error.issues) {
    assert.ok(issue.message.length > 0 && !/^(Expected|Unexpected) /.test(issue.message), `plain words: ${JSON.stringify(issue)}`);
    assert.ok(error.message.includes(`${issue.path}: ${issue.message}`), `${issue.path} in the message: ${error.message}`);
  }
}
