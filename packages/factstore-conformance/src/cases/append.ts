import { defineCases } from '../conformance-case.js';
import { assert, assertLog, closed, credited, ev, opened, rejectsWith, seqs } from '../harness.js';

export const appendCases = defineCases('append', {
  'consecutive-global-positions': {
    title: 'append assigns consecutive global sequence numbers, one range per batch',
    async run({ store }) {
      assert.deepEqual(await store.append([opened('a1'), credited('a1')]), {
        firstSequenceNumber: 1n,
        lastSequenceNumber: 2n,
        committedCount: 2,
      });
      assert.deepEqual(await store.append([closed('a1')]), {
        firstSequenceNumber: 3n,
        lastSequenceNumber: 3n,
        committedCount: 1,
      });
    },
  },
  'empty-append-is-typed-error': {
    title: 'append([]) fails with EMPTY_APPEND and writes nothing',
    async run({ store }) {
      const error = await rejectsWith(store.append([]), 'EMPTY_APPEND');
      assert.equal(error.name, 'EmptyAppendError');
      await assertLog(store, []);
      assert.equal((await store.append([opened('a1')])).firstSequenceNumber, 1n);
    },
  },
  'records-keep-what-was-appended': {
    title: 'records read back with the given type and payload, in batch order',
    async run({ store }) {
      const payloads = [{ accountId: 'a1', nested: { list: [1, 'two', null, true, { x: 1.5 }] } }, 'scalar', 42, null, [1, 2], true];
      await store.append(payloads.map((payload, i) => ev(`type-${i}`, payload)));
      const { eventRecords } = await store.query({});
      assert.deepEqual(seqs(eventRecords), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(
        eventRecords.map((r) => [r.eventType, r.payload]),
        payloads.map((payload, i) => [`type-${i}`, payload]),
      );
    },
  },
  'payload-is-copied-at-append': {
    title: 'changing the caller’s payload object after append changes nothing stored',
    async run({ store }) {
      const payload = { accountId: 'a1', tags: ['x'] };
      await store.append([ev('account-opened', payload)]);
      payload.accountId = 'changed';
      payload.tags.push('y');
      const { eventRecords } = await store.query({});
      assert.deepEqual(eventRecords[0]?.payload, { accountId: 'a1', tags: ['x'] });
    },
  },
  'negative-zero-stored-as-zero': {
    title: '-0 in a payload is stored as 0',
    async run({ store }) {
      await store.append([ev('measured', { value: -0, list: [-0] })]);
      const payload = (await store.query({})).eventRecords[0]?.payload as { value: number; list: number[] };
      assert.ok(Object.is(payload.value, 0), 'value is +0');
      assert.ok(Object.is(payload.list[0], 0), 'list element is +0');
    },
  },
  'occurred-at-is-commit-time': {
    title: 'every record has an occurredAt Date set at commit',
    async run({ store }) {
      const before = Date.now();
      await store.append([opened('a1'), credited('a1')]);
      const after = Date.now();
      const { eventRecords } = await store.query({});
      for (const record of eventRecords) {
        assert.ok(record.occurredAt instanceof Date, 'occurredAt is a Date');
        const at = record.occurredAt.getTime();
        assert.ok(at >= before - 1000 && at <= after + 1000, `occurredAt ${record.occurredAt.toISOString()} is near now`);
      }
    },
  },
  'many-quick-appends-stay-gapless': {
    title: '200 concurrent appends get distinct consecutive ranges covering 1..N',
    async run({ store }) {
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => store.append(i % 2 ? [opened(`a${i}`)] : [opened(`a${i}`), credited(`a${i}`)])),
      );
      const ranges = results.map((r) => [Number(r.firstSequenceNumber), Number(r.lastSequenceNumber), r.committedCount]);
      for (const [first, last, count] of ranges) assert.equal((last as number) - (first as number) + 1, count);
      const covered = ranges.flatMap(([first, last]) =>
        Array.from({ length: (last as number) - (first as number) + 1 }, (_, k) => (first as number) + k),
      );
      covered.sort((a, b) => a - b);
      assert.deepEqual(
        covered,
        Array.from({ length: 300 }, (_, k) => k + 1),
      );
      await assertLog(
        store,
        Array.from({ length: 300 }, (_, k) => k + 1),
      );
    },
  },
});
