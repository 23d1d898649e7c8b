import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { child as start, kill } from 'factstore-test-support';
import { FileStore } from '../src/index.js';
import { checkLog, cursorOf } from './store-files.js';
import { removeTempFolders, tempStore } from './temp-folders.js';

afterAll(removeTempFolders);

const child = (script: string, args: string[]) => start(join(__dirname, 'processes'), script, args);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Ack {
  writer?: string;
  i: number;
  first: number;
  last: number;
  slot?: string;
  expected?: number | null;
}

describe('FileStore with several processes on one folder', () => {
  it('three writers and a streaming fourth: gapless log, every ack exactly once, no double booking, every batch streamed once in order', async () => {
    const path = tempStore('multi');
    await (await FileStore.open(path)).close(); // create the folder before the processes race
    const streamer = child('streamer.mjs', [path]);
    await streamer.waitFor('ready');
    const writers = ['w1', 'w2', 'w3'].map((id) => child('writer.mjs', [path, id, '160']));
    expect(await Promise.all(writers.map((w) => w.exited))).toEqual([0, 0, 0]);

    const { head, batches, lines } = checkLog(path);
    const acks = writers.flatMap((w) => w.messages.filter((m) => m.type === 'ack')) as unknown as Ack[];
    expect(acks.length).toBe(batches.length); // every batch in the files was acknowledged to someone
    const ranges = new Map(batches.map((b) => [`${b.first}-${b.last}`, b]));
    for (const ack of acks) {
      expect(ranges.has(`${ack.first}-${ack.last}`)).toBe(true);
      // the batch holds exactly what that call appended
      for (let p = ack.first; p <= ack.last; p++) expect(lines[p - 1]?.payload).toMatchObject({ writer: ack.writer, i: ack.i });
    }
    const calls = acks.map((a) => `${a.writer}/${a.i}`);
    expect(new Set(calls).size).toBe(calls.length); // no call committed twice
    const bookings = acks.filter((a) => a.slot !== undefined).map((a) => `${a.slot}@${a.expected}`);
    expect(new Set(bookings).size).toBe(bookings.length); // no two successes on one expected version
    const conflicts = writers.reduce((sum, w) => sum + Number(w.messages.find((m) => m.type === 'done')?.conflicts), 0);
    expect(bookings.length + conflicts).toBe(3 * 80);

    streamer.process.send({ type: 'finish', head });
    const streamed = (await streamer.waitFor('batches')).batches as [number, string | null, number | null][][];
    expect(streamed.map((b) => `${b[0]![0]}-${b[b.length - 1]![0]}`)).toEqual(batches.map((b) => `${b.first}-${b.last}`));
    expect(streamed.flat().map((r) => r[0])).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    expect(streamed.flat().map((r) => `${r[1]}/${r[2]}`)).toEqual(
      lines.map((l) => `${(l.payload as { writer: string }).writer}/${(l.payload as { i: number }).i}`),
    );
    expect(await streamer.exited).toBe(0);
  }, 120_000);

  it('a durable name held by another process is refused, and free again within 5 s after that process is killed', async () => {
    const path = tempStore('lease');
    const holder = child('holder.mjs', [path, 'exclusive']);
    await holder.waitFor('ready');
    const store = await FileStore.open(path);
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
      if (!stream) await sleep(100);
      expect(Date.now() - killedAt).toBeLessThan(5000);
    }
    expect(stream.active).toBe(true);
    await store.close();
  }, 30_000);

  it('a writer killed with SIGKILL mid-write, four times: batches whole or absent, no hole, every ack kept with its content, cursors never past delivery', async () => {
    const path = tempStore('crash');
    const log = `${path}.delivered`;
    const acked: Ack[] = [];
    for (let round = 0; round < 4; round++) {
      const crasher = child('crasher.mjs', [path, log, String(round)]);
      await crasher.waitFor('ready');
      await sleep(150 + round * 100);
      await kill(crasher.process);
      const acks = crasher.messages.filter((m) => m.type === 'ack') as unknown as Ack[];
      expect(acks.length).toBeGreaterThan(0);
      acked.push(...acks.map((a) => ({ ...a, writer: String(round) })));

      const { head, lines } = checkLog(path, { torn: true }); // whole batches, no hole, cursors at batch ends; a torn tail may remain
      expect(head).toBeGreaterThanOrEqual(Math.max(...acked.map((a) => a.last)));
      for (const ack of acked) {
        for (let p = ack.first; p <= ack.last; p++) expect(lines[p - 1]?.payload).toMatchObject({ round: Number(ack.writer), i: ack.i });
      }
      const delivered = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((line) => Number(line.split('-')[1]));
      expect(cursorOf(path, 'crash-projection')).toBeLessThanOrEqual(Math.max(0, ...delivered));
    }
    // the store opens and goes on after the crashes
    const store = await FileStore.open(path);
    const before = await store.query({ limit: 1 });
    const next = await store.append([{ eventType: 'after-crash', payload: {} }]);
    expect(next.firstSequenceNumber).toBe((before.currentContextVersion ?? 0n) + 1n);
    expect(checkLog(path).tornBytes).toBe(0); // cut off by the open or the append
    const replayed: number[] = [];
    const killedAt = Date.now();
    for (;;) {
      // the killed process held the name: freed at once (its pid is gone), within 5 s in any case
      const stream = await store
        .streamAllDurable('crash-projection', (batch) => void replayed.push(...batch.map((r) => Number(r.sequenceNumber))))
        .catch((error: { code: string }) => {
          if (error.code !== 'DURABLE_STREAM_ACTIVE' || Date.now() - killedAt > 5000) throw error;
        });
      if (stream) break;
      await sleep(100);
    }
    expect(replayed.at(-1)).toBe(Number(next.lastSequenceNumber));
    await store.close();
  }, 60_000);

  it('a process killed while it holds the write lock: the lock is taken over at once (its pid is gone), the log goes on gapless', async () => {
    const path = tempStore('lock-holder');
    await (await FileStore.open(path)).append([{ eventType: 'first', payload: {} }]);
    const holder = child('lock-holder.mjs', [path]);
    const { pid } = (await holder.waitFor('ready')) as unknown as { pid: number };
    const lock = join(path, 'write.lock');
    const deadline = Date.now() + 20_000;
    // kill it while write.lock is its own
    while (!(existsSync(lock) && readFileSync(lock, 'utf8').includes(`"pid":${pid},`))) {
      if (Date.now() > deadline) throw new Error('the child never held the write lock');
      await sleep(1);
    }
    await kill(holder.process);
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid }); // left behind by the dead holder
    const started = Date.now();
    const store = await FileStore.open(path, { lockTimeoutMs: 1000 });
    const head = (await store.query({})).currentContextVersion ?? 0n;
    const next = await store.append([{ eventType: 'after', payload: {} }]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(next.firstSequenceNumber).toBe(head + 1n);
    await store.close();
    expect(existsSync(lock)).toBe(false);
    expect(checkLog(path).head).toBe(Number(next.lastSequenceNumber));
  }, 60_000);
});
