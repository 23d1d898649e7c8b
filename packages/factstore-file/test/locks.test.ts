import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { child as start, kill } from 'factstore-test-support';
import { FileStore } from '../src/index.js';
import { nodeFileSystem, type FileSystem } from '../src/file-system.js';
import { openFileStore } from '../src/file-store.js';
import { LINGER_MS } from '../src/write-lock.js';
import { checkLog } from './store-files.js';
import { removeTempFolders, tempStore } from './temp-folders.js';

afterAll(removeTempFolders);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const child = (script: string, args: string[]) => start(join(__dirname, 'processes'), script, args);
const lockContent = (pid: number, heartbeat: number, host = hostname()) =>
  `${JSON.stringify({ holder: `${pid}:test`, pid, host, heartbeat })}\n`;

async function storeWithOneEvent() {
  const path = tempStore('locks');
  const store = await FileStore.open(path, { lockTimeoutMs: 300 });
  await store.append([{ eventType: 'first', payload: {} }]);
  await sleep(LINGER_MS + 20); // the store let go of its lock
  expect(existsSync(join(path, 'write.lock'))).toBe(false);
  return { path, store, lock: join(path, 'write.lock') };
}

/** A process that only runs: a live pid for lock files the tests write. */
async function livePid() {
  const sleeper = child('sleeper.mjs', []);
  const { pid } = (await sleeper.waitFor('ready')) as unknown as { pid: number };
  return { pid, stop: () => kill(sleeper.process) };
}

describe('FileStore write lock (write.lock) and durable leases (cursors/<name>.lease)', () => {
  it('a lock of a live process with a fresh heartbeat makes appends wait, then fail with BACKEND_FAILURE after lockTimeoutMs, writing nothing', async () => {
    const { path, store, lock } = await storeWithOneEvent();
    const { pid, stop } = await livePid();
    writeFileSync(lock, lockContent(pid, Date.now()));
    const started = Date.now();
    const error = await store.append([{ eventType: 'blocked', payload: {} }]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_FAILURE' });
    expect(String((error as { cause: Error }).cause.message)).toContain(`process ${pid}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect((await store.query({})).currentContextVersion).toBe(1n);
    expect(existsSync(lock)).toBe(true); // a live holder's lock is left alone
    await stop();
    await store.close();
    expect(checkLog(path).head).toBe(1);
  });

  it('a lock whose heartbeat is older than 10 s is taken over, even when its pid runs', async () => {
    const { path, store, lock } = await storeWithOneEvent();
    const { pid, stop } = await livePid();
    writeFileSync(lock, lockContent(pid, Date.now() - 10_500));
    expect((await store.append([{ eventType: 'second', payload: {} }])).firstSequenceNumber).toBe(2n);
    await sleep(LINGER_MS + 20);
    expect(existsSync(lock)).toBe(false);
    writeFileSync(lock, lockContent(pid, Date.now() - 9_000)); // not yet stale: waits
    await expect(store.append([{ eventType: 'third', payload: {} }])).rejects.toMatchObject({ code: 'BACKEND_FAILURE' });
    await stop();
    await store.close();
    expect(checkLog(path).head).toBe(2);
  });

  it('a lock of a process that no longer runs on this host is taken over at once', async () => {
    const { path, store, lock } = await storeWithOneEvent();
    const { pid, stop } = await livePid();
    await stop();
    writeFileSync(lock, lockContent(pid, Date.now()));
    // the store waits at most lockTimeoutMs (300 ms) for a lock: that the append succeeds shows the
    // lock was taken over without waiting for its fresh heartbeat to go stale (10 s)
    expect((await store.append([{ eventType: 'second', payload: {} }])).firstSequenceNumber).toBe(2n);
    await store.close();
    expect(checkLog(path).head).toBe(2);
  });

  it('a lock from another host is judged by its heartbeat only', async () => {
    const { path, store, lock } = await storeWithOneEvent();
    writeFileSync(lock, lockContent(999_999_999, Date.now(), 'another-host'));
    await expect(store.append([{ eventType: 'blocked', payload: {} }])).rejects.toMatchObject({ code: 'BACKEND_FAILURE' });
    writeFileSync(lock, lockContent(999_999_999, Date.now() - 11_000, 'another-host'));
    expect((await store.append([{ eventType: 'second', payload: {} }])).firstSequenceNumber).toBe(2n);
    await store.close();
    expect(checkLog(path).head).toBe(2);
  });

  it('a lock file that is not a lease (garbage) is judged by its modification time', async () => {
    const { path, store, lock } = await storeWithOneEvent();
    writeFileSync(lock, 'garbage');
    await expect(store.append([{ eventType: 'blocked', payload: {} }])).rejects.toMatchObject({ code: 'BACKEND_FAILURE' });
    const old = (Date.now() - 11_000) / 1000;
    utimesSync(lock, old, old);
    expect((await store.append([{ eventType: 'second', payload: {} }])).firstSequenceNumber).toBe(2n);
    await store.close();
    expect(checkLog(path).head).toBe(2);
  });

  it('eight instances racing for a stale lock and then for each other: every append lands once, gapless', async () => {
    const path = tempStore('race');
    const stores = await Promise.all(Array.from({ length: 8 }, () => FileStore.open(path)));
    writeFileSync(join(path, 'write.lock'), lockContent(process.pid, Date.now() - 60_000));
    const results = await Promise.all(
      stores.flatMap((store, s) =>
        Array.from({ length: 10 }, (_, i) =>
          store.append([
            { eventType: 'raced', payload: { s, i } },
            { eventType: 'raced', payload: { s, i, k: 1 } },
          ]),
        ),
      ),
    );
    const firsts = results.map((r) => Number(r.firstSequenceNumber)).sort((a, b) => a - b);
    expect(firsts).toEqual(Array.from({ length: 80 }, (_, i) => 2 * i + 1));
    await Promise.all(stores.map((store) => store.close()));
    const { head, lines } = checkLog(path);
    expect(head).toBe(160);
    expect(new Set(lines.map((l) => JSON.stringify(l.payload))).size).toBe(160);
    expect(readdirSync(path).filter((name) => name.includes('lock'))).toEqual([]);
  });

  it('a durable name: held while its stream runs; a lease of a dead process is free at once, a live one with an old heartbeat after 3 s', async () => {
    const path = tempStore('lease');
    const store = await FileStore.open(path);
    const stream = await store.streamAllDurable('projection', () => {});
    const [lease] = readdirSync(join(path, 'cursors')).filter((f) => f.endsWith('.lease'));
    expect(lease).toMatch(/^projection~[0-9a-f]{16}\.lease$/);
    await stream.unsubscribe();
    const leaseFile = join(path, 'cursors', lease as string);
    expect(existsSync(leaseFile)).toBe(false);

    const { pid, stop } = await livePid();
    writeFileSync(leaseFile, lockContent(pid, Date.now()));
    await expect(store.streamAllDurable('projection', () => {})).rejects.toMatchObject({ code: 'DURABLE_STREAM_ACTIVE' });
    writeFileSync(leaseFile, lockContent(pid, Date.now() - 3_500));
    await (await store.streamAllDurable('projection', () => {})).unsubscribe();
    writeFileSync(leaseFile, lockContent(pid, Date.now()));
    await stop();
    await (await store.streamAllDurable('projection', () => {})).unsubscribe();
    await store.close();
  });

  it('one writer appending one event after the other keeps its lock between appends instead of taking it for each', async () => {
    let locksTaken = 0;
    const files: FileSystem = {
      ...nodeFileSystem,
      linkSync: (from, to) => (to.endsWith('write.lock') && locksTaken++, nodeFileSystem.linkSync(from, to)),
    };
    const path = tempStore('linger');
    const store = await openFileStore(path, {}, files);
    for (let i = 0; i < 30; i++) await store.append([{ eventType: 'one', payload: { i } }]);
    expect(locksTaken).toBeLessThanOrEqual(3);
    await sleep(LINGER_MS + 20);
    expect(existsSync(join(path, 'write.lock'))).toBe(false); // let go once idle
    await store.close();
  });

  it('two writers appending without pause take turns: the holder lets go when the other waits', async () => {
    const path = tempStore('turns');
    const a = await FileStore.open(path);
    const b = await FileStore.open(path);
    const counts = { a: 0, b: 0 };
    const until = Date.now() + 600;
    const loop = async (store: FileStore, name: 'a' | 'b') => {
      while (Date.now() < until) {
        await store.append([{ eventType: 'turn', payload: { name } }]);
        counts[name]++;
      }
    };
    await Promise.all([loop(a, 'a'), loop(b, 'b')]);
    expect(counts.a).toBeGreaterThan(5);
    expect(counts.b).toBeGreaterThan(5);
    await a.close();
    await b.close();
    expect(checkLog(path).head).toBe(counts.a + counts.b);
    expect(readdirSync(path).filter((name) => name.includes('lock'))).toEqual([]);
  });
});
