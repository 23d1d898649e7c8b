import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { child as start, kill } from 'factstore-test-support';
import { FileStore } from '../src/index.js';
import { checkLog } from './store-files.js';
import { removeTempFolders, tempStore } from './temp-folders.js';

afterAll(removeTempFolders);

const child = (script: string, args: string[]) => start(join(__dirname, 'processes'), script, args);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('FileStore with several processes on one folder (the rest is in the store kit)', () => {
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
