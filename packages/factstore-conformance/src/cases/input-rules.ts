import type { EventStore } from 'factstore';
import { defineCases } from '../conformance-case.js';
import { assert, assertLog, ev, opened, recorder, rejectsWith, staysAt } from '../harness.js';

/** One bad input: what it is, and the call that must fail with INVALID_INPUT. */
interface BadInput {
  readonly what: string;
  readonly call: (store: EventStore) => Promise<unknown>;
}

const cyclic = (() => {
  const value: Record<string, unknown> = { a: 1 };
  value.self = value;
  return value;
})();
const deepCycle = (() => {
  const inner: unknown[] = [];
  const value = { list: [{ inner }] };
  inner.push(value);
  return value;
})();
class Money {
  constructor(readonly amount: number) {}
}
const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
const a1 = { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] };

const bad =
  (payload: unknown): BadInput['call'] =>
  (store) =>
    store.append([{ eventType: 'e', payload } as never]);
const badEvent =
  (event: unknown): BadInput['call'] =>
  (store) =>
    store.append([opened('ok'), event as never]);
const badQuery =
  (query: unknown): BadInput['call'] =>
  (store) =>
    store.query(query as never);
const badContext =
  (query: unknown): BadInput['call'] =>
  (store) =>
    store.appendIf([opened('a1')], query as never, null);
const badExpected =
  (version: unknown): BadInput['call'] =>
  (store) =>
    store.appendIf([opened('a1')], a1, version as never);
const badName =
  (name: unknown): BadInput['call'] =>
  (store) =>
    store.streamAllDurable(name as never, () => {});

const badOptions =
  (options: unknown): BadInput['call'] =>
  (store) =>
    store.append([opened('a1')], options as never);
const badIfOptions =
  (options: unknown): BadInput['call'] =>
  (store) =>
    store.appendIf([opened('a1')], a1, null, options as never);

/** Every input rule of the contract, as bad inputs that must be refused with nothing written. */
export const badInputs: readonly BadInput[] = [
  { what: 'events: not an array', call: (store) => store.append({ eventType: 'e', payload: 1 } as never) },
  { what: 'events: undefined', call: (store) => store.append(undefined as never) },
  { what: 'events: a string', call: (store) => store.append('e' as never) },
  { what: 'event: null', call: badEvent(null) },
  { what: 'event: a number', call: badEvent(1) },
  { what: 'event: a class instance', call: badEvent(new Money(1)) },
  { what: 'event: missing eventType', call: badEvent({ payload: 1 }) },
  { what: 'event: missing payload', call: badEvent({ eventType: 'e' }) },
  { what: 'event: payload undefined', call: badEvent({ eventType: 'e', payload: undefined }) },
  { what: 'event: misspelt key (type)', call: badEvent({ type: 'e', payload: 1 }) },
  { what: 'event: extra key', call: badEvent({ eventType: 'e', payload: 1, meta: {} }) },
  { what: 'eventType: empty', call: badEvent({ eventType: '', payload: 1 }) },
  { what: 'eventType: 257 characters', call: badEvent({ eventType: 'x'.repeat(257), payload: 1 }) },
  { what: 'eventType: a number', call: badEvent({ eventType: 7, payload: 1 }) },
  { what: 'eventType: contains \\u0000', call: badEvent({ eventType: 'a\u0000b', payload: 1 }) },
  { what: 'eventType: lone surrogate', call: badEvent({ eventType: 'a\ud800', payload: 1 }) },
  { what: 'payload: a function', call: bad(() => 1) },
  { what: 'payload: a symbol', call: bad(Symbol('s')) },
  { what: 'payload: a bigint', call: bad(1n) },
  { what: 'payload: NaN', call: bad(NaN) },
  { what: 'payload: Infinity', call: bad({ amount: Infinity }) },
  { what: 'payload: -Infinity in an array', call: bad([1, -Infinity]) },
  { what: 'payload: a Date', call: bad({ at: new Date(0) }) },
  { what: 'payload: a Map', call: bad(new Map([['a', 1]])) },
  { what: 'payload: a Set', call: bad({ tags: new Set(['a']) }) },
  { what: 'payload: a class instance', call: bad({ money: new Money(5) }) },
  { what: 'payload: a nested undefined value', call: bad({ a: { b: undefined } }) },
  { what: 'payload: undefined inside an array', call: bad([1, undefined]) },
  { what: 'payload: a sparse array', call: bad(sparse) },
  { what: 'payload: a cycle', call: bad(cyclic) },
  { what: 'payload: a cycle through arrays', call: bad(deepCycle) },
  { what: 'payload: a string with \\u0000', call: bad({ note: 'a\u0000' }) },
  { what: 'payload: a key with \\u0000', call: bad({ ['k\u0000']: 1 }) },
  { what: 'payload: a lone surrogate', call: bad({ note: '\udc00x' }) },
  { what: 'payload: a symbol key', call: bad({ [Symbol('k')]: 1, a: 1 }) },
  { what: 'payload: a boxed string', call: bad({ s: new String('x') }) },
  { what: 'query: undefined', call: badQuery(undefined) },
  { what: 'query: null', call: badQuery(null) },
  { what: 'query: an array', call: badQuery([]) },
  { what: 'query: misspelt key (filter)', call: badQuery({ filter: [] }) },
  { what: 'query: filters not an array', call: badQuery({ filters: { eventTypes: ['e'] } }) },
  { what: 'filter: null', call: badQuery({ filters: [null] }) },
  { what: 'filter: misspelt key (eventType)', call: badQuery({ filters: [{ eventType: ['e'] }] }) },
  { what: 'filter: misspelt key (payload)', call: badQuery({ filters: [{ payload: [{ a: 1 }] }] }) },
  { what: 'filter: a Map', call: badQuery({ filters: [new Map()] }) },
  { what: 'filter: eventTypes a string', call: badQuery({ filters: [{ eventTypes: 'e' }] }) },
  { what: 'filter: eventTypes with an empty string', call: badQuery({ filters: [{ eventTypes: [''] }] }) },
  { what: 'filter: eventTypes with a number', call: badQuery({ filters: [{ eventTypes: [1] }] }) },
  { what: 'filter: eventTypes with \\u0000', call: badQuery({ filters: [{ eventTypes: ['\u0000'] }] }) },
  { what: 'filter: payloadPredicates not an array', call: badQuery({ filters: [{ payloadPredicates: { a: 1 } }] }) },
  { what: 'predicate: NaN', call: badQuery({ filters: [{ payloadPredicates: [{ a: NaN }] }] }) },
  { what: 'predicate: a Date', call: badQuery({ filters: [{ payloadPredicates: [new Date(0)] }] }) },
  { what: 'predicate: undefined', call: badQuery({ filters: [{ payloadPredicates: [undefined] }] }) },
  { what: 'predicate: a cycle', call: badQuery({ filters: [{ payloadPredicates: [cyclic] }] }) },
  { what: 'minSequenceNumber: -1', call: badQuery({ minSequenceNumber: -1 }) },
  { what: 'minSequenceNumber: -1n', call: badQuery({ minSequenceNumber: -1n }) },
  { what: 'minSequenceNumber: 1.5', call: badQuery({ minSequenceNumber: 1.5 }) },
  { what: 'minSequenceNumber: a string', call: badQuery({ minSequenceNumber: '1' }) },
  { what: 'minSequenceNumber: NaN', call: badQuery({ minSequenceNumber: NaN }) },
  { what: 'minSequenceNumber: an unsafe number', call: badQuery({ minSequenceNumber: 2 ** 53 }) },
  { what: 'minSequenceNumber: 2^63', call: badQuery({ minSequenceNumber: 2n ** 63n }) },
  { what: 'limit: 0', call: badQuery({ limit: 0 }) },
  { what: 'limit: -1', call: badQuery({ limit: -1 }) },
  { what: 'limit: 1.5', call: badQuery({ limit: 1.5 }) },
  { what: 'limit: a string', call: badQuery({ limit: '10' }) },
  { what: 'limit: Infinity', call: badQuery({ limit: Infinity }) },
  { what: 'contextQuery: undefined', call: badContext(undefined) },
  { what: 'contextQuery: misspelt filter key', call: badContext({ filters: [{ eventType: ['account-opened'] }] }) },
  { what: 'contextQuery: limit 0', call: badContext({ limit: 0 }) },
  { what: 'expectedContextVersion: undefined', call: badExpected(undefined) },
  { what: 'expectedContextVersion: -1', call: badExpected(-1) },
  { what: 'expectedContextVersion: 1.5', call: badExpected(1.5) },
  { what: 'expectedContextVersion: a string', call: badExpected('1') },
  { what: 'expectedContextVersion: 2^63', call: badExpected(2n ** 63n) },
  { what: 'expectedContextVersion: an unsafe number', call: badExpected(2 ** 60) },
  { what: 'expectedContextVersion: an object', call: badExpected({}) },
  { what: 'durable name: empty', call: badName('') },
  { what: 'durable name: 201 characters', call: badName('n'.repeat(201)) },
  { what: 'durable name: a number', call: badName(1) },
  { what: 'durable name: undefined', call: badName(undefined) },
  { what: 'durable name: \\u0000', call: badName('a\u0000') },
  { what: 'durable name: lone surrogate', call: badName('\ud800') },
  { what: 'streamToDurable: bad query', call: (store) => store.streamToDurable('n', { filters: [{ types: [] }] } as never, () => {}) },
  { what: 'handler: not a function', call: (store) => store.streamAll('handler' as never) },
  { what: 'handler: undefined', call: (store) => store.streamTo({}, undefined as never) },
  { what: 'durable handler: an object', call: (store) => store.streamAllDurable('n', {} as never) },
  { what: 'options: unknown key', call: (store) => store.streamAll(() => {}, { onErr: () => {} } as never) },
  { what: 'options: onError not a function', call: (store) => store.streamAll(() => {}, { onError: 'log' } as never) },
  { what: 'options: not an object', call: (store) => store.streamTo({}, () => {}, 5 as never) },
  { what: 'streamTo: query undefined', call: (store) => store.streamTo(undefined as never, () => {}) },
  { what: 'append options: not an object', call: badOptions('key') },
  { what: 'append options: an unknown key', call: badOptions({ idempotency: 'k' }) },
  { what: 'idempotencyKey: empty', call: badOptions({ idempotencyKey: '' }) },
  { what: 'idempotencyKey: 201 characters', call: badOptions({ idempotencyKey: 'k'.repeat(201) }) },
  { what: 'idempotencyKey: a number', call: badOptions({ idempotencyKey: 7 }) },
  { what: 'idempotencyKey: null', call: badOptions({ idempotencyKey: null }) },
  { what: 'idempotencyKey: with \\u0000', call: badOptions({ idempotencyKey: 'a\u0000b' }) },
  { what: 'idempotencyKey: a lone surrogate', call: badOptions({ idempotencyKey: 'a\ud800' }) },
  { what: 'appendIf options: an unknown key', call: badIfOptions({ key: 'k' }) },
  { what: 'appendIf idempotencyKey: empty', call: badIfOptions({ idempotencyKey: '' }) },
];

export const inputRuleCases = defineCases('input-rules', {
  'bad-inputs-refused': {
    title: `each of ${badInputs.length} bad inputs is refused with INVALID_INPUT, writes nothing and delivers nothing`,
    async run({ store }) {
      const rec = recorder();
      await store.streamAll(rec.handler);
      const accepted: string[] = [];
      for (const input of badInputs) {
        try {
          await input.call(store);
          accepted.push(input.what);
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (code !== 'INVALID_INPUT') accepted.push(`${input.what} (failed with ${String(code)}: ${String(error)})`);
          const issues = (error as { issues?: unknown }).issues;
          assert.ok(Array.isArray(issues) && issues.length > 0, `${input.what}: issues listed`);
        }
      }
      assert.deepEqual(accepted, [], 'inputs not refused with INVALID_INPUT');
      await assertLog(store, []);
      await staysAt(rec, 0);
      const durable = recorder();
      await store.streamAllDurable('n', durable.handler);
      assert.equal(durable.batches.length, 0);
    },
  },
  'limits-are-inclusive': {
    title: 'the longest allowed event type (256) and durable name (200), and position 2^63 − 1, are accepted',
    async run({ store }) {
      await store.append([ev('t'.repeat(256), 1)]);
      await store.query({ filters: [{ eventTypes: ['t'.repeat(256)] }], minSequenceNumber: 2n ** 63n - 1n });
      await rejectsWith(store.appendIf([ev('e', 1)], {}, 2n ** 63n - 1n), 'CONDITIONAL_APPEND_CONFLICT');
      await (await store.streamAllDurable('n'.repeat(200), () => {})).unsubscribe();
      await store.query({ minSequenceNumber: Number.MAX_SAFE_INTEGER, limit: Number.MAX_SAFE_INTEGER });
      await assertLog(store, [1]);
    },
  },
  'undefined-keys-in-events': {
    title: 'an event key whose value is undefined counts as absent; unicode that is well formed is kept',
    async run({ store }) {
      await store.append([{ eventType: 'e', payload: { text: 'grüße 👋' }, extra: undefined } as never]);
      const record = (await store.query({})).eventRecords[0];
      assert.deepEqual(record?.payload, { text: 'grüße 👋' });
    },
  },
  'one-bad-event-spoils-batch': {
    title: 'one bad event in a batch of good ones fails the whole batch, listing where',
    async run({ store }) {
      const error = await rejectsWith<{ issues: { path: string }[] }>(
        store.append([opened('a1'), opened('a2'), { eventType: 'e', payload: { n: NaN } }]),
        'INVALID_INPUT',
      );
      assert.ok(
        error.issues.some((issue) => issue.path.includes('2') && issue.path.includes('n')),
        JSON.stringify(error.issues),
      );
      await assertLog(store, []);
    },
  },
  'shared-references-are-fine': {
    title: 'the same object used twice in a payload (no cycle) is accepted',
    async run({ store }) {
      const shared = { id: 1 };
      await store.append([ev('e', { a: shared, b: shared, list: [shared, shared] })]);
      assert.deepEqual((await store.query({})).eventRecords[0]?.payload, { a: { id: 1 }, b: { id: 1 }, list: [{ id: 1 }, { id: 1 }] });
    },
  },
});
