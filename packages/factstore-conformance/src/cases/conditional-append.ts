import type { ConditionalAppendConflictError } from 'factstore';
import { defineCases } from '../conformance-case.js';
import { assert, assertLog, credited, ev, opened, rejectsWith, renamed, seqs } from '../harness.js';

const a1 = { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] };

export const conditionalAppendCases = defineCases('conditional-append', {
  'succeeds-at-expected-version': {
    title: 'appendIf succeeds when the payload-filtered context is at the expected version',
    async run({ store }) {
      await store.append([opened('a1'), opened('a2')]);
      assert.deepEqual(await store.appendIf([renamed('a3')], a1, 1n), {
        firstSequenceNumber: 3n,
        lastSequenceNumber: 3n,
        committedCount: 1,
      });
    },
  },
  'fails-on-stale-version': {
    title: 'appendIf fails with CONDITIONAL_APPEND_CONFLICT, expected and actual, on a stale version',
    async run({ store }) {
      await store.append([opened('a1'), opened('a1', { name: 'Rico' })]);
      const error = await rejectsWith<ConditionalAppendConflictError>(
        store.appendIf([renamed('a3')], a1, 1n),
        'CONDITIONAL_APPEND_CONFLICT',
      );
      assert.equal(error.name, 'ConditionalAppendConflictError');
      assert.equal(error.expected, 1n);
      assert.equal(error.actual, 2n);
    },
  },
  'failed-append-writes-nothing': {
    title: 'a failed appendIf writes no part of its batch; minSequenceNumber of the context is ignored',
    async run({ store }) {
      await store.append([opened('a1')]);
      const error = await rejectsWith<ConditionalAppendConflictError>(
        store.appendIf([renamed('a1'), credited('a1')], { ...a1, minSequenceNumber: 1n, limit: 1 }, null),
        'CONDITIONAL_APPEND_CONFLICT',
      );
      assert.equal(error.expected, null);
      assert.equal(error.actual, 1n);
      await assertLog(store, [1]);
    },
  },
  'failed-append-consumes-no-position': {
    title: 'a failed appendIf consumes no sequence number',
    async run({ store }) {
      await store.append([opened('a1')]);
      const error = await rejectsWith<ConditionalAppendConflictError>(
        store.appendIf([renamed('a1')], a1, null),
        'CONDITIONAL_APPEND_CONFLICT',
      );
      assert.equal(error.expected, null);
      assert.equal(error.actual, 1n);
      assert.equal((await store.append([credited('a1')])).firstSequenceNumber, 2n);
      await assertLog(store, [1, 2]);
    },
  },
  'null-expects-empty-context': {
    title: 'expected null succeeds on an empty context and fails once a matching event exists (uniqueness)',
    async run({ store }) {
      const first = await store.appendIf(
        [opened('a1')],
        { filters: [{ eventTypes: ['account-opened'], payloadPredicates: [{ accountId: 'a1' }] }] },
        null,
      );
      assert.equal(first.firstSequenceNumber, 1n);
      const again = await rejectsWith<ConditionalAppendConflictError>(
        store.appendIf([opened('a1')], { filters: [{ eventTypes: ['account-opened'], payloadPredicates: [{ accountId: 'a1' }] }] }, null),
        'CONDITIONAL_APPEND_CONFLICT',
      );
      assert.equal(again.actual, 1n);
      await assertLog(store, [1]);
    },
  },
  'zero-never-matches': {
    title: 'expected 0 never matches: an empty context is null',
    async run({ store }) {
      const onEmpty = await rejectsWith<ConditionalAppendConflictError>(
        store.appendIf([opened('a1')], a1, 0n),
        'CONDITIONAL_APPEND_CONFLICT',
      );
      assert.equal(onEmpty.expected, 0n);
      assert.equal(onEmpty.actual, null);
      await store.append([opened('a1')]);
      const later = await rejectsWith<ConditionalAppendConflictError>(store.appendIf([opened('a1')], a1, 0), 'CONDITIONAL_APPEND_CONFLICT');
      assert.equal(later.expected, 0n);
      assert.equal(later.actual, 1n);
    },
  },
  'number-expected-version': {
    title: 'expectedContextVersion accepts a safe-integer number; the conflict reports bigints',
    async run({ store }) {
      await store.append([opened('a1'), opened('a2')]);
      assert.equal((await store.appendIf([credited('a1')], a1, 1)).firstSequenceNumber, 3n);
      const error = await rejectsWith<ConditionalAppendConflictError>(
        store.appendIf([credited('a1')], a1, 1),
        'CONDITIONAL_APPEND_CONFLICT',
      );
      assert.equal(error.expected, 1n);
      assert.equal(error.actual, 3n);
    },
  },
  'empty-event-types-is-empty-context': {
    title: 'a context whose filter has eventTypes: [] is empty, so null succeeds',
    async run({ store }) {
      await store.append([opened('a1')]);
      assert.deepEqual(await store.appendIf([renamed('a2')], { filters: [{ eventTypes: [] }] }, null), {
        firstSequenceNumber: 2n,
        lastSequenceNumber: 2n,
        committedCount: 1,
      });
    },
  },
  'context-of-other-entities-does-not-conflict': {
    title: 'appends to other entities do not move a one-entity context',
    async run({ store }) {
      await store.append([opened('a1')]);
      const { currentContextVersion } = await store.query(a1);
      await store.append([opened('a2'), credited('a2')]);
      assert.equal((await store.appendIf([credited('a1')], a1, currentContextVersion)).firstSequenceNumber, 4n);
    },
  },
  'concurrent-appendif-one-winner': {
    title: 'of many concurrent appendIf calls with the same expected version, exactly one succeeds',
    async run({ store }) {
      await store.append([opened('a1')]);
      const attempts = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.appendIf([credited('a1', { n: i })], a1, 1n)));
      const won = attempts.filter((a) => a.status === 'fulfilled');
      assert.equal(won.length, 1, 'exactly one winner');
      for (const lost of attempts.filter((a) => a.status === 'rejected')) {
        assert.equal((lost as PromiseRejectedResult).reason?.code, 'CONDITIONAL_APPEND_CONFLICT');
      }
      await assertLog(store, [1, 2]);
    },
  },
  'multi-event-batch-is-one-range': {
    title: 'a successful appendIf commits its whole batch as one consecutive range',
    async run({ store }) {
      await store.append([opened('a1')]);
      const result = await store.appendIf([renamed('a1'), credited('a1'), ev('note', 'x')], a1, 1n);
      assert.deepEqual(result, { firstSequenceNumber: 2n, lastSequenceNumber: 4n, committedCount: 3 });
      assert.deepEqual(seqs((await store.query({})).eventRecords), [1, 2, 3, 4]);
    },
  },
});
