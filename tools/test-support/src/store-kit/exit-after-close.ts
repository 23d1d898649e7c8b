import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { StoreAdapter } from './adapter.js';
import { checkLogInvariants } from './invariants.js';
import { PROCESSES } from './processes.js';

/**
 * `close()` leaves nothing that keeps a process alive: a child that opens and closes at once, then
 * opens, streams live and durably, appends and closes, exits by itself.
 */
export function describeExitAfterClose(adapter: StoreAdapter): void {
  describe(`${adapter.name} close`, () => {
    afterAll(() => adapter.cleanup());

    it('lets the process exit by itself within 10 s, right after opening and with streams and held durable names', async () => {
      const location = await adapter.create('exit');
      const started = Date.now();
      const run = spawnSync(process.execPath, [join(PROCESSES, 'closer.mjs'), JSON.stringify(adapter.child(location))], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(run.stderr).toBe('');
      expect(run.stdout.trim()).toBe('closed');
      expect(run.signal).toBeNull(); // not killed by the timeout
      expect(run.status).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      // the append is kept, and close released the durable name (its cursor at a batch end)
      const { log } = await checkLogInvariants(adapter, location);
      expect(log.events.map((e) => e.eventType)).toEqual(['e']);
      expect(log.cursors).toEqual([{ name: 'd', position: expect.any(Number), holder: null }]);
    });
  });
}
