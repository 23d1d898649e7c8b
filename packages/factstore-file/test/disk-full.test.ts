import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventRecord } from 'factstore';
import { FileStore } from '../src/index.js';
import { nodeFileSystem, type FileSystem } from '../src/file-system.js';
import { openFileStore } from '../src/file-store.js';
import { checkLog, openedFiles, segmentFiles } from './store-files.js';
import { removeTempFolders, tempFolder, tempStore } from './temp-folders.js';

afterAll(removeTempFolders);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const positions = (records: readonly EventRecord[]) => records.map((r) => Number(r.sequenceNumber));
const big = (n: number, size = 20) =>
  Array.from({ length: size }, (_, i) => ({ eventType: 'filler', payload: { accountId: `a${n}`, i, text: 'x'.repeat(400) } }));

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

/**
 * A file system whose segment files may hold `capacity` bytes in all, as a full disk would: the
 * write that crosses it writes what still fits (a short write), the next one fails with ENOSPC;
 * truncating a file gives its bytes back. `free()` makes room for everything.
 */
function fullAfter(capacity: number) {
  let limit = capacity;
  const fds = new Set<number>();
  const used = () => {
    let sum = 0;
    for (const fd of fds) {
      try {
        sum += nodeFileSystem.fstatSync(fd).size;
      } catch {
        fds.delete(fd); // closed
      }
    }
    return sum;
  };
  const segments = openedFiles((path) => path.includes('/segments/'));
  /** How much of a write at `position` fits (segment files only; other files are not limited). */
  const fits = (fd: number, length: number, position: number) => {
    if (!segments.has(fd)) return length;
    fds.add(fd);
    const size = nodeFileSystem.fstatSync(fd).size;
    const room = limit - used() + (size - Math.min(size, position)); // overwriting takes no room
    if (room <= 0) throw enospc();
    return Math.min(length, room);
  };
  const files: FileSystem = {
    ...nodeFileSystem,
    openSync: segments.openSync,
    writeSync: (fd, buffer, offset, length, position) => nodeFileSystem.writeSync(fd, buffer, offset, fits(fd, length, position), position),
    write: async (fd, buffer, offset, length, position) => nodeFileSystem.write(fd, buffer, offset, fits(fd, length, position), position),
  };
  return { files, free: () => (limit = Infinity) };
}

/** A 1 MiB tmpfs at a fresh folder (as root), or undefined where mounting is not possible. */
function smallFileSystem(): { path: string; fill(bytes: number): void; free(): void; unmount(): void } | undefined {
  const mount = join(tempFolder(), 'tiny');
  mkdirSync(mount);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const filler = join(mount, 'filler.bin');
  return {
    path: join(mount, 'store'),
    fill: (bytes) => writeFileSync(filler, Buffer.alloc(bytes, 1)),
    free: () => rmSync(filler, { force: true }),
    unmount: () => execFileSync('umount', [mount], { stdio: 'ignore' }),
  };
}

/**
 * Appends batches of about 8 kB until the disk is full, then checks: BACKEND_FAILURE with ENOSPC,
 * every acknowledged batch there and nothing else (in the files too: no partial batch), the same
 * seen by a second instance, and after room is made the next append is gapless.
 */
async function fillUntilFull(store: FileStore, path: string, other: FileStore, free: () => void) {
  const streamed: number[][] = [];
  await store.streamAll((batch) => void streamed.push(positions(batch)));
  const seenByOther: number[][] = [];
  await other.streamAll((batch) => void seenByOther.push(positions(batch)));
  await store.query({ filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] }); // the value index is in use too
  let acknowledged = 0;
  let failure: (Error & { code?: string; cause?: { code?: string } }) | undefined;
  for (let n = 0; n < 1000 && !failure; n++) {
    try {
      acknowledged = Number((await store.append(big(n))).lastSequenceNumber);
    } catch (error) {
      failure = error as typeof failure;
    }
  }
  expect(acknowledged).toBeGreaterThan(0);
  expect(failure?.code).toBe('BACKEND_FAILURE');
  expect(failure?.cause?.code).toBe('ENOSPC');
  const after = await store.query({});
  expect(after.eventRecords.length).toBe(acknowledged);
  expect(Number(after.currentContextVersion)).toBe(acknowledged);
  // on disk: whole batches only, nothing of the failed one
  const onDisk = checkLog(path);
  expect(onDisk.head).toBe(acknowledged);
  expect(onDisk.tornBytes).toBe(0);
  await sleep(50);
  expect((await other.query({})).currentContextVersion).toBe(BigInt(acknowledged));

  free();
  const next = await store.append([{ eventType: 'after', payload: { ok: true } }]);
  expect(Number(next.firstSequenceNumber)).toBe(acknowledged + 1);
  await sleep(100);
  const expected = Array.from({ length: acknowledged + 1 }, (_, i) => i + 1);
  expect(streamed.flat()).toEqual(expected);
  expect(seenByOther.flat()).toEqual(expected);
  await store.close();
  await other.close();
  expect(checkLog(path).head).toBe(acknowledged + 1);
}

describe('FileStore when the disk is full', () => {
  it('on a real 1 MiB file system (tmpfs; where mounting is impossible, an injected full disk): ENOSPC fails the append with BACKEND_FAILURE, nothing partial stays, the next append is gapless', async () => {
    const tiny = smallFileSystem();
    if (tiny) {
      try {
        expect(execFileSync('df', ['--output=size', '-B1', tiny.path.slice(0, -'/store'.length)], { encoding: 'utf8' })).toMatch(/1048576/);
        tiny.fill(600 * 1024);
        const store = await FileStore.open(tiny.path, { segmentBytes: 64 * 1024 });
        const other = await FileStore.open(tiny.path, { pollIntervalMs: 5 });
        await fillUntilFull(store, tiny.path, other, tiny.free);
      } finally {
        tiny.unmount();
      }
    } else {
      const path = tempStore('full');
      const disk = fullAfter(300 * 1024 + 123);
      const store = await openFileStore(path, { segmentBytes: 64 * 1024 }, disk.files);
      const other = await FileStore.open(path, { pollIntervalMs: 5 });
      await fillUntilFull(store, path, other, disk.free);
    }
  }, 60_000);

  it('an injected full disk that cuts a write short in the middle of a batch: the same', async () => {
    const path = tempStore('full-injected');
    const disk = fullAfter(200 * 1024 + 4567);
    const store = await openFileStore(path, {}, disk.files);
    const other = await FileStore.open(path, { pollIntervalMs: 5 });
    await fillUntilFull(store, path, other, disk.free);
  });

  it('a full disk in a group of appends fails only those that do not fit: each is retried alone', async () => {
    const path = tempStore('group-full');
    const disk = fullAfter(60 * 1024);
    const store = await openFileStore(path, {}, disk.files);
    await store.append([{ eventType: 'start', payload: {} }]);
    const small = (i: number) => [{ eventType: 'small', payload: { i } }];
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => store.append(i % 5 === 0 ? big(i, 40) : small(i))));
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed)
      expect((f as PromiseRejectedResult).reason).toMatchObject({ code: 'BACKEND_FAILURE', cause: { code: 'ENOSPC' } });
    const smallOnes = results.filter((_, i) => i % 5 !== 0);
    expect(smallOnes.every((r) => r.status === 'fulfilled')).toBe(true); // not lost with the big ones
    const acked = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const { eventRecords } = await store.query({});
    expect(eventRecords.length).toBe(1 + acked.reduce((sum, a) => sum + a.committedCount, 0));
    const present = new Set(positions(eventRecords));
    for (const a of acked)
      for (let p = Number(a.firstSequenceNumber); p <= Number(a.lastSequenceNumber); p++) expect(present.has(p)).toBe(true);
    await store.close();
    expect(checkLog(path).head).toBe(eventRecords.length);
  });

  it('a failing sync (EIO): BACKEND_FAILURE, the written bytes are taken back, no other process ever sees them, the next append is gapless', async () => {
    const path = tempStore('eio');
    let failSync = false;
    const files: FileSystem = {
      ...nodeFileSystem,
      datasync: async (fd) => {
        if (failSync) {
          failSync = false;
          throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        }
        return nodeFileSystem.datasync(fd);
      },
    };
    const store = await openFileStore(path, {}, files);
    const other = await FileStore.open(path, { pollIntervalMs: 1 });
    const seen: number[][] = [];
    await other.streamAll((batch) => void seen.push(positions(batch)));
    await store.append([{ eventType: 'kept', payload: {} }]);
    const size = readFileSync(segmentFiles(path)[0]!.path).length;
    failSync = true;
    await expect(
      store.append([
        { eventType: 'lost', payload: {} },
        { eventType: 'lost', payload: {} },
      ]),
    ).rejects.toMatchObject({
      code: 'BACKEND_FAILURE',
      cause: { code: 'EIO' },
    });
    expect(readFileSync(segmentFiles(path)[0]!.path).length).toBe(size);
    expect((await store.query({})).currentContextVersion).toBe(1n);
    const next = await store.append([{ eventType: 'next', payload: {} }]);
    expect(next.firstSequenceNumber).toBe(2n);
    await sleep(50);
    expect(seen).toEqual([[1], [2]]);
    expect((await other.query({})).eventRecords.map((r) => r.eventType)).toEqual(['kept', 'next']);
    await store.close();
    await other.close();
  });
});
