import type { EventStore } from 'factstore';
import type { StoreAdapter } from './adapter.js';
import { credited, eventually, opened, positions, sleep } from './helpers.js';
import { checkLogInvariants } from './invariants.js';

const a1 = { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] };

/** Resolves with the error opening fails with (closing the store when it opens after all). */
const openError = (open: Promise<EventStore>): Promise<Error & { code?: string }> =>
  open.then(
    (store) => store.close().then(() => new Error('opened')),
    (error: unknown) => error as Error & { code?: string },
  );

/**
 * What a persistent store keeps across close and reopen, and how two instances in one process share
 * one log: events, payloads, occurredAt and batch boundaries; appendIf outcomes; durable cursors
 * and their canonical queries; a broken batch history and a newer format refused; exclusive
 * durable names and streams that see the other instance's commits.
 */
export function describePersistence(adapter: StoreAdapter): void {
  describe(`${adapter.name} persistence`, () => {
    afterAll(() => adapter.cleanup());

    it('keeps events, payloads and occurredAt across reopen', async () => {
      const location = await adapter.create('keep');
      const store = await adapter.open(location);
      await store.append([
        opened('a1', { nested: { list: [1.5, 'x', null, true], n: 0.1 + 0.2, big: 1e21, small: 1e-7 } }),
        credited('a1', { amount: -0 }),
      ]);
      await store.append([
        { eventType: 'scalar', payload: 'just text' },
        { eventType: 'null', payload: null },
        { eventType: 'list', payload: [1, 'two'] },
        { eventType: 'keys', payload: { 'a.b': 'ünï', 'a"q': { "it's": '\u2028' } } },
      ]);
      const before = await store.query({});
      await store.close();
      const again = await adapter.open(location);
      const after = await again.query({});
      expect(positions(after.eventRecords)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(after).toEqual(before);
      expect(after.eventRecords.map((r) => r.occurredAt.getTime())).toEqual(before.eventRecords.map((r) => r.occurredAt.getTime()));
      expect(after.eventRecords[1]?.payload).toEqual({ accountId: 'a1', amount: 0 });
      await again.close();
    });

    it('keeps batch boundaries: a durable replay after reopen delivers the original batches', async () => {
      const location = await adapter.create('batches');
      const store = await adapter.open(location);
      await store.append([opened('a1'), credited('a1')]);
      await store.append([opened('a2')]);
      await store.append([credited('a2'), credited('a1'), credited('a2')]);
      await store.close();
      const again = await adapter.open(location);
      const batches: number[][] = [];
      await again.streamAllDurable('replay', (batch) => void batches.push(positions(batch)));
      expect(batches).toEqual([[1, 2], [3], [4, 5, 6]]);
      await again.close();
      await checkLogInvariants(adapter, location);
    });

    it('a successful appendIf persists; a failed one leaves the stored log unchanged', async () => {
      const location = await adapter.create('append-if');
      const store = await adapter.open(location);
      await store.append([opened('a1')]);
      await store.appendIf([credited('a1', { name: 'Rico' })], a1, 1n);
      const stored = await adapter.raw.read(location);
      await expect(store.appendIf([credited('a1'), credited('a1')], { ...a1, minSequenceNumber: 1n }, null)).rejects.toMatchObject({
        code: 'CONDITIONAL_APPEND_CONFLICT',
        expected: null,
        actual: 2n,
      });
      expect(await adapter.raw.read(location)).toEqual(stored);
      await store.close();
      const again = await adapter.open(location);
      expect(positions((await again.query({})).eventRecords)).toEqual([1, 2]);
      expect((await again.append([credited('a1')])).firstSequenceNumber).toBe(3n);
      await again.close();
      await checkLogInvariants(adapter, location);
    });

    it('durable cursors persist: reopening resumes after the stored cursor', async () => {
      const location = await adapter.create('cursor');
      const store = await adapter.open(location);
      await store.append([opened('a1'), credited('a1', { name: 'Primary' })]);
      const first: number[][] = [];
      const stream = await store.streamAllDurable('account-directory', (batch) => void first.push(positions(batch)));
      expect(first).toEqual([[1, 2]]);
      const held = (await adapter.raw.read(location)).cursors;
      expect(held).toEqual([{ name: 'account-directory', position: 2, holder: expect.any(String) }]);
      await stream.unsubscribe();
      await store.close();

      const again = await adapter.open(location);
      const second: number[][] = [];
      await again.streamAllDurable('account-directory', (batch) => void second.push(positions(batch)));
      await sleep(100);
      expect(second).toEqual([]);
      await again.append([credited('a1', { amount: 50 })]);
      await eventually('the new batch delivered', () => second.length > 0);
      expect(second).toEqual([[3]]);
      await again.close();
      expect((await adapter.raw.read(location)).cursors).toEqual([{ name: 'account-directory', position: 3, holder: null }]);
    });

    it('a durable query is stored canonically: reopening with reordered filters resumes, another query is refused', async () => {
      const location = await adapter.create('canonical');
      const store = await adapter.open(location);
      const query = { filters: [{ eventTypes: ['b', 'a'], payloadPredicates: [{ y: 1, x: 2 }] }] };
      await (await store.streamToDurable('p', query, () => {})).unsubscribe();
      await store.close();
      const again = await adapter.open(location);
      const reordered = { filters: [{ payloadPredicates: [{ x: 2, y: 1 }], eventTypes: ['a', 'b'] }] };
      await (await again.streamToDurable('p', reordered, () => {})).unsubscribe();
      await expect(again.streamToDurable('p', { filters: [{ eventTypes: ['a'] }] }, () => {})).rejects.toMatchObject({
        code: 'DURABLE_STREAM_QUERY_MISMATCH',
      });
      await again.close();
    });

    it('missing batch history fails a durable replay with BACKEND_FAILURE, and the repaired log replays', async () => {
      const location = await adapter.create('history');
      const first = await adapter.open(location);
      await first.append([opened('a1')]);
      await first.close();
      const repair = await adapter.raw.removeBatchHistory(location);
      expect((await adapter.raw.read(location)).batches).toEqual([]);
      // a fresh instance: the one that appended could deliver its own batch from memory
      const store = await adapter.open(location);
      const error = await store.streamAllDurable('setup-failure', () => {}).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'BACKEND_FAILURE' });
      expect(String((error as Error).message)).toMatch(/batch history/);
      await repair();
      const batches: number[][] = [];
      await store.streamAllDurable('setup-failure', (batch) => void batches.push(positions(batch)));
      expect(batches).toEqual([[1]]);
      await store.close();
      const { log } = await checkLogInvariants(adapter, location);
      expect(log.cursors).toEqual([{ name: 'setup-failure', position: 1, holder: null }]);
    });

    it('a log of a newer format is refused with BACKEND_FAILURE naming the format, and left unchanged', async () => {
      const location = await adapter.create('newer');
      const store = await adapter.open(location);
      await store.append([opened('a1')]);
      await store.close();
      await adapter.raw.markNewerFormat(location, 99);
      const before = await adapter.raw.fingerprint(location);
      const error = await openError(adapter.open(location));
      expect(error.code).toBe('BACKEND_FAILURE');
      expect(error.message).toMatch(/format 99/);
      expect(await adapter.raw.fingerprint(location)).toEqual(before);
    });

    it('two store instances on one log in one process: one log, exclusive durable names, self-consistent queries', async () => {
      const location = await adapter.create('two');
      const a = await adapter.open(location);
      const b = await adapter.open(location);
      await a.append([opened('a1'), opened('a2')]);
      let stop = false;
      const writer = (async () => {
        for (let n = 3; !stop; n++) await b.append([opened(`a${n}`)]);
      })();
      for (let i = 0; i < 100; i++) {
        const result = await a.query({ filters: [{ eventTypes: ['account-opened'] }], minSequenceNumber: 1n });
        // every event is account-opened: the last one returned is the version of the context
        expect(result.lastReturnedSequenceNumber).toBe(result.currentContextVersion);
      }
      stop = true;
      await writer;
      await a.streamAllDurable('shared', () => {});
      await expect(b.streamAllDurable('shared', () => {})).rejects.toMatchObject({ code: 'DURABLE_STREAM_ACTIVE' });
      await a.close();
      await b.streamAllDurable('shared', () => {});
      const { head } = await checkLogInvariants(adapter, location);
      expect(positions((await b.query({})).eventRecords)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      await b.close();
    });

    it('a stream of one instance sees the commits of another instance, with their batch boundaries', async () => {
      const location = await adapter.create('see');
      const reader = await adapter.open(location);
      const writer = await adapter.open(location);
      const seen: number[][] = [];
      await reader.streamAll((batch) => void seen.push(positions(batch)));
      await writer.append([opened('a1'), opened('a2')]);
      await writer.append([opened('a3')]);
      await eventually('both batches seen', () => seen.length >= 2, 2000);
      expect(seen).toEqual([[1, 2], [3]]);
      await reader.close();
      await writer.close();
    });
  });
}
