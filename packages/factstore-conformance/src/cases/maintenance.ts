import type { EventStore } from 'factstore';
import { storeMaintenance, type StoredBatch } from 'factstore/backend';
import { defineCases } from '../conformance-case.js';
import type { CaseContext } from '../conformance-case.js';
import { assert, assertLog, credited, ev, opened, rejectsWith, seqs, sleep } from '../harness.js';

/** A log of several batches (keyed ones, an appendIf) and two durable cursors one batch behind the head. */
async function fill(store: EventStore): Promise<void> {
  await store.append([opened('a1'), credited('a1', { amount: 5 })], { idempotencyKey: 'open-a1' });
  await store.append([opened('a2', { nested: { deep: [1, 'x', null] } })]);
  await store.appendIf([debitedOf('a1')], { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] }, 2n, { idempotencyKey: 'debit-a1' });
  await store.append([ev('note', 'text'), ev('note', [1, 2]), ev('note', null)]);
  const seen: bigint[] = [];
  const stream = await store.streamToDurable('a1-projection', { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] }, (batch) => {
    seen.push((batch.at(-1) as { sequenceNumber: bigint }).sequenceNumber);
  });
  await stream.unsubscribe();
  const all = await store.streamAllDurable('everything', () => {});
  await all.unsubscribe();
  assert.ok(seen.length > 0);
  await store.append([ev('late', { n: 1 })]);
}

const debitedOf = (accountId: string) => ev('account-debited', { accountId, amount: 2 });

async function exported(store: EventStore): Promise<{ batches: StoredBatch[]; cursors: unknown[] }> {
  const maintenance = storeMaintenance(store);
  const batches: StoredBatch[] = [];
  for await (const batch of maintenance.exportBatches({ chunkEvents: 2 })) batches.push(batch);
  return { batches, cursors: await maintenance.exportCursors() };
}

/** A plain, comparable form of an export (positions, times as numbers, types, payloads, keys). */
function plain(data: { batches: StoredBatch[]; cursors: unknown[] }): unknown {
  return JSON.parse(
    JSON.stringify(data, (_key, value: unknown) =>
      typeof value === 'bigint' ? `${value}n` : value instanceof Date ? value.getTime() : value,
    ),
  );
}

async function withSecond<T>(createStore: CaseContext['createStore'], work: (store: EventStore) => Promise<T>): Promise<T> {
  const store = await createStore();
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export const maintenanceCases = defineCases('maintenance', {
  'export-import-round-trip': {
    title:
      'an export imported into an empty store exports again identically: positions, batch boundaries, times, idempotency keys, cursors',
    async run({ store, createStore }) {
      await fill(store);
      await sleep(2); // a later clock: the import must keep the original times, not take new ones
      const first = await exported(store);
      assert.deepEqual(
        first.batches.map((b) => seqs(b.records)),
        [[1, 2], [3], [4], [5, 6, 7], [8]],
      );
      assert.deepEqual(
        first.batches.map((b) => b.idempotencyKey),
        ['open-a1', undefined, 'debit-a1', undefined, undefined],
      );
      await withSecond(createStore, async (target) => {
        const maintenance = storeMaintenance(target);
        const imported = await maintenance.importBatches(first.batches, { chunkEvents: 3 });
        assert.deepEqual(imported, { events: 8n, batches: 5n });
        await maintenance.importCursors(await storeMaintenance(store).exportCursors());
        assert.deepEqual(plain(await exported(target)), plain(first));
        // the keys name their batches in the new store: a retry writes nothing and gets the first result
        const again = await target.append([opened('a1'), credited('a1', { amount: 5 })], { idempotencyKey: 'open-a1' });
        assert.deepEqual(again, { firstSequenceNumber: 1n, lastSequenceNumber: 2n, committedCount: 2 });
        await rejectsWith(target.append([opened('a9')], { idempotencyKey: 'debit-a1' }), 'IDEMPOTENCY_KEY_REUSED');
        // the cursor resumes where it was (the last batch is replayed), and new appends continue the positions
        const replayed: number[][] = [];
        const resumed = await target.streamAllDurable('everything', (batch) => void replayed.push(seqs(batch)));
        await resumed.unsubscribe();
        assert.deepEqual(replayed, [[8]]);
        assert.equal((await target.append([opened('a3')])).firstSequenceNumber, 9n);
        const inspection = await maintenance.inspect();
        assert.equal(inspection.head, 9n);
        assert.equal(inspection.eventCount, 9n);
        assert.equal(inspection.batchCount, 6n);
        const report = await maintenance.verify();
        assert.deepEqual(report.problems, []);
        assert.equal(report.ok, true);
      });
    },
  },
  'import-into-non-empty-store-is-refused': {
    title: 'an import into a store that holds events, or durable cursors, fails with INVALID_INPUT and writes nothing',
    async run({ store, createStore }) {
      await fill(store);
      const { batches } = await exported(store);
      await withSecond(createStore, async (target) => {
        await target.append([ev('other', {})]);
        await rejectsWith(storeMaintenance(target).importBatches(batches), 'INVALID_INPUT');
        await assertLog(target, [1]);
      });
      await withSecond(createStore, async (target) => {
        const stream = await target.streamAllDurable('taken', () => {});
        await stream.unsubscribe();
        await rejectsWith(storeMaintenance(target).importBatches(batches), 'INVALID_INPUT');
        await assertLog(target, []);
      });
    },
  },
  'import-refuses-bad-batches': {
    title:
      'an import refuses a batch that does not continue the log or whose records do not fit its range (INVALID_INPUT), keeping what came before',
    async run({ store, createStore }) {
      await fill(store);
      const { batches } = await exported(store);
      const [b1, , b3] = batches as [StoredBatch, StoredBatch, StoredBatch];
      await withSecond(createStore, async (target) => {
        await rejectsWith(storeMaintenance(target).importBatches([b1, b3], { chunkEvents: 1 }), 'INVALID_INPUT');
        await assertLog(target, [1, 2]);
      });
      await withSecond(createStore, async (target) => {
        await rejectsWith(storeMaintenance(target).importBatches([{ ...b1, lastSequenceNumber: 3n }]), 'INVALID_INPUT');
        await assertLog(target, []);
      });
    },
  },
  'inspect-and-verify': {
    title:
      'inspect counts events, types, batches and reports each durable cursor with its lag; verify finds nothing wrong in a sound store',
    async run({ store }) {
      await fill(store);
      const maintenance = storeMaintenance(store);
      const inspection = await maintenance.inspect();
      assert.equal(inspection.head, 8n);
      assert.equal(inspection.eventCount, 8n);
      assert.equal(inspection.batchCount, 5n);
      assert.equal(inspection.formatVersion, inspection.supportedFormat);
      assert.deepEqual(
        inspection.eventTypes.map((t) => [t.eventType, t.count]),
        [
          ['account-credited', 1n],
          ['account-debited', 1n],
          ['account-opened', 2n],
          ['late', 1n],
          ['note', 3n],
        ],
      );
      assert.deepEqual(
        inspection.durableStreams.map((s) => [s.name, s.position, s.lag, s.leased]),
        [
          ['a1-projection', 7n, 1n, false],
          ['everything', 7n, 1n, false],
        ],
      );
      const held = await store.streamAllDurable('everything', () => {});
      assert.equal((await maintenance.inspect()).durableStreams.find((s) => s.name === 'everything')?.leased, true);
      await held.unsubscribe();
      const report = await maintenance.verify();
      assert.deepEqual(report.problems, []);
      assert.equal(report.checked.events, 8n);
      assert.equal(report.checked.batches, 5n);
      assert.ok(report.checked.sampleQueries > 0);
    },
  },
});
