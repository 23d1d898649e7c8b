import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoreAdapter } from './adapter.js';
import { sleep } from './helpers.js';
import { killChildren, storeChild } from './processes.js';

interface Line {
  readonly what: string;
  readonly at: number;
}

/** The lines a fenced-holder child logged: what, and when (ms since the epoch). */
function lines(file: string): Line[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const parts = line.split(' ');
      return { what: parts.slice(0, -1).join(' '), at: Number(parts[parts.length - 1]) };
    });
}

/**
 * Durable leases fence a paused holder, with real processes: holder A is stopped with SIGSTOP for
 * longer than the lease, B takes the name over and delivers, A is continued. A never starts a
 * handler call again and reports DURABLE_STREAM_LEASE_LOST; the holders' deliveries never
 * interleave; together they deliver every batch, B from A's saved cursor.
 */
export function describeLeaseFencing(adapter: StoreAdapter, { pauseMs = 5500 } = {}): void {
  describe(`${adapter.name} durable leases`, () => {
    const logs = mkdtempSync(join(tmpdir(), 'factstore-fencing-'));
    afterEach(killChildren);
    afterAll(async () => {
      rmSync(logs, { recursive: true, force: true });
      await adapter.cleanup();
    });

    it('a holder stopped with SIGSTOP past its lease never starts a handler call again once continued, and reports DURABLE_STREAM_LEASE_LOST', async () => {
      const location = await adapter.create('fenced');
      const writer = await adapter.open(location);
      const [logA, logB] = [join(logs, 'a.log'), join(logs, 'b.log')];
      let writing = true;
      let quiet = false;
      const appended: string[] = [];
      const writes = (async () => {
        for (let i = 0; writing; i++) {
          if (quiet) {
            await sleep(10);
            continue;
          }
          const events = [{ eventType: 'tick', payload: { i } }, ...(i % 3 === 0 ? [{ eventType: 'tock', payload: { i } }] : [])];
          const r = await writer.append(events);
          appended.push(`${r.firstSequenceNumber}-${r.lastSequenceNumber}`);
          await sleep(40);
        }
      })();
      const a = storeChild('fenced-holder.mjs', adapter.child(location), ['fenced', logA]);
      try {
        await a.waitFor('ready', 30_000);
        await sleep(500);
        // stop A while it writes nothing: with no appends for a moment it has delivered the last
        // batch and saved its cursor (stopped inside a write transaction, A would hold SQLite's
        // write lock for the whole pause, and no process could write: SQLite's rule, not a lease's)
        quiet = true;
        await sleep(100); // an append under way when the writes went quiet has resolved
        const last = appended[appended.length - 1];
        const deadline = Date.now() + 10_000;
        while (!lines(logA).some((l) => l.what === `start ${last}`)) {
          if (Date.now() > deadline) throw new Error(`holder A did not deliver ${last} within 10 s`);
          await sleep(5);
        }
        await sleep(200);
        a.process.kill('SIGSTOP');
        quiet = false;
        const stoppedAt = Date.now();
        const b = storeChild('fenced-holder.mjs', adapter.child(location), ['fenced', logB]);
        await b.waitFor('ready', 30_000); // B takes the name once A's lease has run out
        expect(Date.now() - stoppedAt).toBeLessThan(pauseMs);
        await sleep(Math.max(0, pauseMs - (Date.now() - stoppedAt)));
        a.process.kill('SIGCONT');
        const continuedAt = Date.now();
        await sleep(2000);
        writing = false;
        await writes;
        await sleep(300);

        const fromA = lines(logA);
        const fromB = lines(logB);
        const startsA = fromA.filter((l) => l.what.startsWith('start '));
        const startsB = fromB.filter((l) => l.what.startsWith('start '));
        expect(startsA.length).toBeGreaterThan(0);
        expect(startsB.length).toBeGreaterThan(0);
        // A never started a handler call after it was continued, and said why
        expect(startsA.filter((l) => l.at >= continuedAt)).toEqual([]);
        expect(fromA.map((l) => l.what)).toContain('error DURABLE_STREAM_LEASE_LOST');
        // no interleaving: every call of A started before B held the name
        const bHolding = fromB.find((l) => l.what === 'holding')?.at ?? Infinity;
        expect(Math.max(...startsA.map((l) => l.at))).toBeLessThan(bHolding);
        // every batch delivered: A's deliveries, then B's from A's saved cursor (a batch A
        // delivered but had not saved may come again from B; none is skipped)
        const seenA = startsA.map((l) => l.what.slice('start '.length));
        const seenB = startsB.map((l) => l.what.slice('start '.length));
        const firstOfB = appended.indexOf(seenB[0] as string);
        expect(firstOfB).toBeGreaterThanOrEqual(0);
        expect(firstOfB).toBeLessThanOrEqual(seenA.length);
        expect(seenA).toEqual(appended.slice(0, seenA.length));
        expect(seenB).toEqual(appended.slice(firstOfB, firstOfB + seenB.length));
        expect(firstOfB + seenB.length).toBe(appended.length);
      } finally {
        a.process.kill('SIGCONT');
        writing = false;
        await writes.catch(() => {});
        await writer.close();
      }
    }, 60_000);
  });
}
