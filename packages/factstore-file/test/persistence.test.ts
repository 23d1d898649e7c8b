import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileStore } from '../src/index.js';
import { nodeFileSystem, type FileSystem } from '../src/file-system.js';
import { openFileStore } from '../src/file-store.js';
import { checkLog, openedFiles, segmentFiles } from './store-files.js';
import { removeTempFolders, tempStore } from './temp-folders.js';

afterAll(removeTempFolders);

const opened = (accountId: string, extra: object = {}) => ({ eventType: 'account-opened', payload: { accountId, ...extra } });
const credited = (accountId: string, extra: object = {}) => ({ eventType: 'account-credited', payload: { accountId, ...extra } });
const a1 = { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] };
const positions = (records: readonly { sequenceNumber: bigint }[]) => records.map((r) => Number(r.sequenceNumber));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A file system that counts writes to segment files and syncs. */
function counting() {
  const calls = { write: 0, datasync: 0, fsync: 0 };
  const segments = openedFiles((path) => path.includes('/segments/'));
  const files: FileSystem = {
    ...nodeFileSystem,
    openSync: segments.openSync,
    write: (fd, ...args) => (segments.has(fd) && calls.write++, nodeFileSystem.write(fd, ...args)),
    writeSync: (fd, ...args) => (segments.has(fd) && calls.write++, nodeFileSystem.writeSync(fd, ...args)),
    datasync: (fd) => (calls.datasync++, nodeFileSystem.datasync(fd)),
    fsync: (fd) => (calls.fsync++, nodeFileSystem.fsync(fd)),
  };
  return { calls, files };
}

describe('FileStore persistence', () => {
  it('lays the folder out as documented: format.json, segments of JSON Lines with position, batch end, time, type, payload', async () => {
    const path = join(tempStore(), 'deeper', 'still', 'facts');
    const store = await FileStore.open(path);
    expect(store.path).toBe(path);
    await store.append([opened('a1'), credited('a1', { amount: 5 })]);
    await store.append([opened('a2')]);
    await store.close();
    expect(JSON.parse(readFileSync(join(path, 'format.json'), 'utf8'))).toEqual({ format: 'factstore-file', version: 1 });
    expect(readdirSync(join(path, 'segments'))).toEqual(['000000000001.jsonl']);
    const lines = readFileSync(join(path, 'segments', '000000000001.jsonl'), 'utf8').split('\n');
    expect(lines.pop()).toBe(''); // every line ends with \n
    const parsed = lines.map((line) => JSON.parse(line));
    expect(parsed.map(({ seq, last, eventType, payload }) => ({ seq, last, eventType, payload }))).toEqual([
      { seq: 1, last: 2, eventType: 'account-opened', payload: { accountId: 'a1' } },
      { seq: 2, last: 2, eventType: 'account-credited', payload: { accountId: 'a1', amount: 5 } },
      { seq: 3, last: 3, eventType: 'account-opened', payload: { accountId: 'a2' } },
    ]);
    expect(Object.keys(parsed[0])).toEqual(['seq', 'last', 'occurredAt', 'eventType', 'payload']);
    expect(parsed[0].occurredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(parsed[1].occurredAt).toBe(parsed[0].occurredAt); // one commit time per batch
    expect(existsSync(join(path, 'write.lock'))).toBe(false); // released after each write and at close
    const head = readFileSync(join(path, 'head'), 'latin1').split('\n');
    expect(head[0]).toBe(head[1]);
    expect(JSON.parse(head[0] as string)).toEqual({
      head: 3,
      segment: 1,
      bytes: readFileSync(join(path, 'segments', '000000000001.jsonl')).length,
    });
  });

  it('rolls to a new segment past segmentBytes, named by its first position; everything reads back across segments', async () => {
    const path = tempStore();
    const store = await FileStore.open(path, { segmentBytes: 1024 });
    for (let i = 0; i < 40; i++) await store.append([opened(`a${i % 4}`, { i, pad: 'x'.repeat(40) }), credited(`a${i % 4}`, { i })]);
    const segments = segmentFiles(path);
    expect(segments.length).toBeGreaterThan(5);
    expect(segments[0]!.first).toBe(1);
    const { batches, head } = checkLog(path); // chained by name, each starting right after the previous one
    expect(head).toBe(80);
    expect(batches).toHaveLength(40);
    await store.close();
    const again = await FileStore.open(path, { segmentBytes: 1024, cachedEvents: 0 }); // read back from the files
    const context = await again.query({ filters: [{ eventTypes: ['account-opened'], payloadPredicates: [{ accountId: 'a2' }] }] });
    expect(positions(context.eventRecords)).toEqual(Array.from({ length: 10 }, (_, k) => 8 * k + 5));
    expect(context.eventRecords.map((r) => (r.payload as { i: number }).i)).toEqual(Array.from({ length: 10 }, (_, k) => 4 * k + 2));
    const replayed: number[][] = [];
    await again.streamAllDurable('all', (batch) => void replayed.push(positions(batch)));
    expect(replayed).toEqual(Array.from({ length: 40 }, (_, i) => [2 * i + 1, 2 * i + 2]));
    expect(Number((await again.append([opened('z')])).firstSequenceNumber)).toBe(81);
    await again.close();
  });

  it('durability fsync syncs every group before it resolves; durability none never syncs', async () => {
    const synced = counting();
    const path = tempStore();
    const store = await openFileStore(path, {}, synced.files);
    const base = { ...synced.calls };
    for (let i = 0; i < 5; i++) await store.append([opened(`a${i}`)]);
    expect(synced.calls.write - base.write).toBe(5);
    expect(synced.calls.datasync - base.datasync).toBe(5);
    await store.close();

    const unsynced = counting();
    const other = await openFileStore(tempStore(), { durability: 'none' }, unsynced.files);
    for (let i = 0; i < 5; i++) await other.append([opened(`a${i}`)]);
    await (await other.streamAllDurable('d', () => {})).unsubscribe();
    expect(unsynced.calls.write).toBe(5);
    expect(unsynced.calls.datasync + unsynced.calls.fsync).toBe(0);
    await other.close();
  });

  it.each([
    ['notified by fs.watch', nodeFileSystem],
    ['by polling alone (no fs.watch)', { ...nodeFileSystem, watch: () => undefined }],
  ])('a stream of one instance sees the commits of another instance, with their batch boundaries (%s)', async (_, files) => {
    const path = tempStore();
    const reader = await openFileStore(path, { pollIntervalMs: 5 }, files);
    const writer = await FileStore.open(path);
    const seen: number[][] = [];
    await reader.streamAll((batch) => void seen.push(positions(batch)));
    await writer.append([opened('a1'), opened('a2')]);
    await writer.append([opened('a3')]);
    const started = Date.now();
    while (seen.length < 2 && Date.now() - started < 2000) await sleep(2);
    expect(seen).toEqual([[1, 2], [3]]);
    expect(positions((await reader.query(a1)).eventRecords)).toEqual([1]);
    await reader.close();
    await writer.close();
  });

  it('a change notification while this instance holds the write lock reads nothing (the change is its own write); once it let go, one reads the head', async () => {
    const notify: (() => void)[] = [];
    let headReads = 0;
    const heads = openedFiles((path) => path.endsWith('/head'));
    const files: FileSystem = {
      ...nodeFileSystem,
      openSync: heads.openSync,
      readSync: (fd, ...args) => (heads.has(fd) && headReads++, nodeFileSystem.readSync(fd, ...args)),
      watch: (path, onChange) => (notify.push(onChange), nodeFileSystem.watch(path, () => {})),
    };
    const path = tempStore();
    const store = await openFileStore(path, { pollIntervalMs: 20 }, files);
    const seen: number[][] = [];
    await store.streamAll((batch) => void seen.push(positions(batch)));
    // the poll's first tick installs the watch; its notifications are called by hand, and
    // synchronously, so that no poll tick (which reads the head) comes between
    const started = Date.now();
    while (notify.length === 0 && Date.now() - started < 5_000) await sleep(5);
    await store.append([opened('a1')]); // the lock lingers after the write
    const before = headReads;
    for (let i = 0; i < 5; i++) notify[0]!();
    expect(headReads).toBe(before);
    // another instance commits once this one has let go of the lock (it lingers, then releases it)
    const other = await FileStore.open(path);
    await other.append([opened('a2')]);
    await other.close();
    const after = headReads;
    notify[0]!();
    expect(headReads).toBeGreaterThan(after);
    while (seen.length < 2 && Date.now() - started < 5_000) await sleep(2);
    expect(seen).toEqual([[1], [2]]);
    await store.close();
  });

  it('indexes every payload key queries ask about, the 40th as the 1st (no cap past which a query would read the whole log)', async () => {
    const path = tempStore();
    const store = await FileStore.open(path);
    const keys = Array.from({ length: 40 }, (_, k) => `k${k + 1}`);
    await store.append(keys.map((key, k) => opened(`a${k}`, { [key]: 'v' })));
    for (const [k, key] of keys.entries()) {
      expect(positions((await store.query({ filters: [{ payloadPredicates: [{ [key]: 'v' }] }] })).eventRecords)).toEqual([k + 1]);
    }
    await store.close();
    expect(JSON.parse(readFileSync(join(path, 'indexed-keys.json'), 'utf8'))).toEqual(keys);
  });

  it('remembers the payload keys it indexes, for the next open', async () => {
    const path = tempStore();
    const store = await FileStore.open(path);
    await store.append([opened('a1', { region: 'north' }), opened('a2', { region: 'south' })]);
    expect((await store.query({ filters: [{ payloadPredicates: [{ region: 'south' }] }] })).currentContextVersion).toBe(2n);
    await store.close();
    expect(JSON.parse(readFileSync(join(path, 'indexed-keys.json'), 'utf8'))).toEqual(['region']);
    const again = await FileStore.open(path);
    await again.append([opened('a3', { region: 'south' })]);
    expect(positions((await again.query({ filters: [{ payloadPredicates: [{ region: 'south' }] }] })).eventRecords)).toEqual([2, 3]);
    await again.close();
  });

  it("an idempotency key is kept on its batch's last line: after reopen and for another instance, the same key replays the batch, other events fail with IDEMPOTENCY_KEY_REUSED", async () => {
    const path = tempStore('idempotency');
    const store = await FileStore.open(path);
    const other = await FileStore.open(path); // opened before the keyed append: it must read the key from the files
    const first = await store.append([opened('a1'), credited('a1', { amount: 5 })], { idempotencyKey: 'order "7"' });
    expect(first).toEqual({ firstSequenceNumber: 1n, lastSequenceNumber: 2n, committedCount: 2 });
    await store.append([opened('a2')]);
    const lines = readFileSync(join(path, 'segments', '000000000001.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.key)).toEqual([undefined, 'order "7"', undefined]);
    expect(Object.keys(lines[1])).toEqual(['seq', 'last', 'occurredAt', 'eventType', 'payload', 'key']);

    const again = await other.append([opened('a1'), credited('a1', { amount: 5 })], { idempotencyKey: 'order "7"' });
    expect(again).toMatchObject({ firstSequenceNumber: 1n, lastSequenceNumber: 2n, committedCount: 2 });
    await expect(other.append([opened('a9')], { idempotencyKey: 'order "7"' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    await other.close();
    await store.close();

    const reopened = await FileStore.open(path);
    const replayed = await reopened.append([opened('a1'), credited('a1', { amount: 5 })], { idempotencyKey: 'order "7"' });
    expect(replayed).toMatchObject({ firstSequenceNumber: 1n, lastSequenceNumber: 2n, committedCount: 2 });
    await expect(reopened.append([opened('a1')], { idempotencyKey: 'order "7"' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect((await reopened.query({})).currentContextVersion).toBe(3n); // nothing written by the replays and refusals
    await reopened.close();
    expect(checkLog(path).head).toBe(3);
  });

  it('two instances appending with one key at once commit it once', async () => {
    const path = tempStore('idempotency-race');
    const a = await FileStore.open(path);
    const b = await FileStore.open(path);
    for (let round = 0; round < 20; round++) {
      const events = [opened(`r${round}`)];
      const results = await Promise.all([
        a.append(events, { idempotencyKey: `k${round}` }),
        b.append(events, { idempotencyKey: `k${round}` }),
      ]);
      expect(results[0]).toEqual({ firstSequenceNumber: BigInt(round + 1), lastSequenceNumber: BigInt(round + 1), committedCount: 1 });
      expect(results[1]).toEqual(results[0]);
    }
    await a.close();
    await b.close();
    expect(checkLog(path).head).toBe(20);
  });
});
