import type { StoreAdapter } from './adapter.js';
import { eventually, sleep } from './helpers.js';
import { checkLogInvariants, range } from './invariants.js';

const slot = (n: number) => ({ filters: [{ eventTypes: ['booked'], payloadPredicates: [{ slot: n }] }] });

/**
 * Appends and appendIfs made at once (and so committed in groups) each keep their own range and
 * batch; conflicting appendIfs fail alone; every call is one stream delivery.
 */
export function describeGroupCommit(adapter: StoreAdapter): void {
  describe(`${adapter.name} group commit`, () => {
    afterAll(() => adapter.cleanup());

    it('concurrent appends and appendIfs: each keeps its range and batch, conflicts fail alone, one delivery per call', async () => {
      const location = await adapter.create('group');
      const store = await adapter.open(location);
      const delivered: string[] = [];
      await store.streamAll((batch) => void delivered.push(range(batch[0]!.sequenceNumber, batch[batch.length - 1]!.sequenceNumber)));
      await store.append([{ eventType: 'booked', payload: { slot: 0 } }]);
      // 90 calls at once: plain appends of 1–3 events, and appendIfs that expect slot 1 or 2 to be empty
      const calls = Array.from({ length: 90 }, (_, i) =>
        i % 3 === 0
          ? store.appendIf([{ eventType: 'booked', payload: { slot: 1 + (i % 2), i } }], slot(1 + (i % 2)), null)
          : store.append(Array.from({ length: 1 + (i % 3) }, (_, k) => ({ eventType: 'noise', payload: { i, k } }))),
      );
      const results = await Promise.allSettled(calls);
      const won = results.filter((r, i) => i % 3 === 0 && r.status === 'fulfilled');
      expect(won).toHaveLength(2); // one booking per slot
      for (const [i, r] of results.entries()) {
        if (r.status === 'rejected') {
          expect(i % 3).toBe(0);
          expect(r.reason).toMatchObject({ code: 'CONDITIONAL_APPEND_CONFLICT', expected: null });
        } else {
          expect(r.value.lastSequenceNumber - r.value.firstSequenceNumber + 1n).toBe(BigInt(r.value.committedCount));
        }
      }
      const ranges = results.flatMap((r) =>
        r.status === 'fulfilled' ? [range(r.value.firstSequenceNumber, r.value.lastSequenceNumber)] : [],
      );
      await eventually('every batch delivered', () => delivered.length >= ranges.length + 1);
      await sleep(100); // time for a delivery too many
      expect(delivered.slice(1).sort()).toEqual([...ranges].sort());
      await store.close();
      const { head, batches } = await checkLogInvariants(adapter, location);
      expect(
        batches
          .map((b) => range(b.first, b.last))
          .slice(1)
          .sort(),
      ).toEqual([...ranges].sort());
      expect(head).toBe(1 + results.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value.committedCount : 0), 0));
    });
  });
}
