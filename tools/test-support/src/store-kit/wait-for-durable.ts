import type { Location, StoreAdapter } from './adapter.js';
import { opened } from './helpers.js';
import { killChildren, storeChild } from './processes.js';

/** How long the other process's handler takes per batch, in ms: its cursor cannot be saved sooner. */
const HANDLER_MS = 300;

/**
 * `waitForDurable` across processes: a durable stream run by another process on the same store
 * saves its cursor, and a wait in this process (which has no local save to go by) sees it.
 */
export function describeCrossProcessWait(adapter: StoreAdapter): void {
  describe(`${adapter.name} waitForDurable across processes`, () => {
    afterEach(() => killChildren());
    afterAll(() => adapter.cleanup());

    /** Starts the projection process on `location` and waits until its stream is registered. */
    async function projector(location: Location, name: string) {
      const started = storeChild('slow-durable.mjs', adapter.child(location), [name, HANDLER_MS]);
      await started.waitFor('ready');
      return started;
    }

    async function stop(started: Awaited<ReturnType<typeof projector>>) {
      started.process.send({ type: 'stop' });
      await started.waitFor('stopped');
      expect(await started.exited).toBe(0);
    }

    it('resolves once the other process has handled the position and saved its cursor, not before', async () => {
      const location = await adapter.create('wait');
      const store = await adapter.open(location);
      const other = await projector(location, 'read-model');
      const { lastSequenceNumber } = await store.append([opened('a1'), opened('a1')]);
      const started = Date.now();
      await store.waitForDurable('read-model', lastSequenceNumber, { timeoutMs: 10_000 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(HANDLER_MS - 50);
      const cursor = (await adapter.raw.read(location)).cursors.find((c) => c.name === 'read-model');
      expect(cursor?.position).toBeGreaterThanOrEqual(Number(lastSequenceNumber));
      expect(other.messages.some((m) => m.type === 'handled' && Number(m.last) >= Number(lastSequenceNumber))).toBe(true);
      // and a position the other process has not reached times out
      await expect(store.waitForDurable('read-model', lastSequenceNumber + 1n, { timeoutMs: 100 })).rejects.toMatchObject({
        code: 'WAIT_TIMEOUT',
      });
      await stop(other);
      await store.close();
    }, 30_000);

    it('waits for a name that another process registers only later', async () => {
      const location = await adapter.create('wait-later');
      const store = await adapter.open(location);
      const { lastSequenceNumber } = await store.append([opened('a2')]);
      const waiting = store.waitForDurable('late-model', lastSequenceNumber, { timeoutMs: 20_000 });
      const other = await projector(location, 'late-model');
      await waiting;
      expect(other.messages.some((m) => m.type === 'handled')).toBe(true);
      await stop(other);
      await store.close();
    }, 30_000);
  });
}
