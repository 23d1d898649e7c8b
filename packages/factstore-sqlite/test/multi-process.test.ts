import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { child as start, kill } from 'factstore-test-support';
import { SqliteStore } from '../src/index.js';
import { checkLogInvariants, sql } from './sqlite-file.js';
import { removeTempFolders, tempDb } from './temp-files.js';

afterAll(removeTempFolders);

const child = (script: string, args: string[]) => start(join(__dirname, 'processes'), script, args);

describe('SqliteStore with several processes on one file', () => {
  it('three writers and a streaming fourth: gapless log, no lost ack, no double booking, every batch streamed once in order', async () => {
    const path = tempDb('multi');
    (await SqliteStore.open(path)).close(); // create the file before the processes race
    const streamer = child('streamer.mjs', [path]);
    await streamer.waitFor('ready');
    const writers = ['w1', 'w2', 'w3'].map((id) => child('writer.mjs', [path, id, '160']));
    expect(await Promise.all(writers.map((w) => w.exited))).toEqual([0, 0, 0]);

    const { head } = await checkLogInvariants(path);
    const acks = writers.flatMap((w) => w.messages.filter((m) => m.type === 'ack')) as unknown as {
      first: number;
      last: number;
      slot?: string;
      expected?: number | null;
    }[];
    const batches = await sql<{ first_seq: number; last_seq: number }>(path, 'SELECT first_seq, last_seq FROM batches ORDER BY first_seq');
    const ranges = new Set(batches.map((b) => `${b.first_seq}-${b.last_seq}`));
    for (const ack of acks) expect(ranges.has(`${ack.first}-${ack.last}`)).toBe(true);
    expect(acks.length).toBe(batches.length); // every batch in the file was acknowledged to someone
    const bookings = acks.filter((a) => a.slot !== undefined).map((a) => `${a.slot}@${a.expected}`);
    expect(new Set(bookings).size).toBe(bookings.length); // no two successes on one expected version
    const conflicts = writers.reduce((sum, w) => sum + Number(w.messages.find((m) => m.type === 'done')?.conflicts), 0);
    expect(bookings.length + conflicts).toBe(3 * 80);

    streamer.process.send({ type: 'finish', head });
    const streamed = (await streamer.waitFor('batches')).batches as number[][];
    expect(streamed.map((b) => `${b[0]}-${b[b.length - 1]}`)).toEqual(batches.map((b) => `${b.first_seq}-${b.last_seq}`));
    expect(streamed.flat()).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    expect(await streamer.exited).toBe(0);
  }, 120_000);

  it('a durable name held by another process is refused, and free again within 5 s after that process is killed', async () => {
    const path = tempDb('lease');
    const holder = child('holder.mjs', [path, 'exclusive']);
    await holder.waitFor('ready');
    const store = await SqliteStore.open(path);
    await expect(store.streamAllDurable('exclusive', () => {})).rejects.toMatchObject({ code: 'DURABLE_STREAM_ACTIVE' });
    await kill(holder.process);
    const killedAt = Date.now();
    let stream;
    while (!stream) {
      stream = await store
        .streamAllDurable('exclusive', () => {})
        .catch((error: { code: string }) => {
          expect(error.code).toBe('DURABLE_STREAM_ACTIVE');
          return undefined;
        });
      if (!stream) await new Promise((r) => setTimeout(r, 100));
      expect(Date.now() - killedAt).toBeLessThan(5000);
    }
    expect(stream.active).toBe(true);
    await store.close();
  }, 30_000);

  it('a writer killed with SIGKILL mid-stream: batches whole or absent, no hole, every ack kept, cursors never past delivery', async () => {
    const path = tempDb('crash');
    const log = `${path}.delivered`;
    let acknowledged = 0;
    for (let round = 0; round < 3; round++) {
      const crasher = child('crasher.mjs', [path, log]);
      await crasher.waitFor('ready');
      await new Promise((r) => setTimeout(r, 150 + round * 100));
      await kill(crasher.process);
      const acks = crasher.messages.filter((m) => m.type === 'ack') as unknown as { last: number }[];
      expect(acks.length).toBeGreaterThan(0);
      acknowledged = Math.max(acknowledged, ...acks.map((a) => a.last));

      const { head } = await checkLogInvariants(path); // whole batches, no hole, cursors at batch ends
      expect(head).toBeGreaterThanOrEqual(acknowledged);
      const delivered = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((line) => Number(line.split('-')[1]));
      const [cursor] = await sql<{ position: number }>(path, `SELECT position FROM cursors WHERE name = 'crash-projection'`);
      expect(cursor!.position).toBeLessThanOrEqual(Math.max(0, ...delivered));
    }
    // the store opens and goes on after the crashes
    const store = await SqliteStore.open(path);
    const before = await store.query({ limit: 1 });
    const next = await store.append([{ eventType: 'after-crash', payload: {} }]);
    expect(next.firstSequenceNumber).toBe((before.currentContextVersion ?? 0n) + 1n);
    const replayed: number[] = [];
    const killedAt = Date.now();
    for (;;) {
      // the killed process holds the name until its lease runs out (under 5 s)
      const stream = await store
        .streamAllDurable('crash-projection', (batch) => void replayed.push(...batch.map((r) => Number(r.sequenceNumber))))
        .catch((error: { code: string }) => {
          if (error.code !== 'DURABLE_STREAM_ACTIVE' || Date.now() - killedAt > 5000) throw error;
        });
      if (stream) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(replayed.at(-1)).toBe(Number(next.lastSequenceNumber));
    await store.close();
  }, 60_000);
});
