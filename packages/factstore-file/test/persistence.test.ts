import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileStore } from '../src/index.js';
import { nodeFileSystem, type FileSystem } from '../src/file-system.js';
import { openFileStore } from '../src/file-store.js';
import { checkLog, cursorOf, segmentFiles } from './store-files.js';
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
  const segments = new Set<number>();
  const files: FileSystem = {
    ...nodeFileSystem,
    openSync: (path, flags) => {
      const fd = nodeFileSystem.openSync(path, flags);
      if (path.includes('/segments/')) segments.add(fd);
      else segments.delete(fd);
      return fd;
    },
    write: (fd, ...args) => (segments.has(fd) && calls.write++, nodeFileSystem.write(fd, ...args)),
    writeSync: (fd, ...args) => (segments.has(fd) && calls.write++, nodeFileSystem.writeSync(fd, ...args)),
    datasync: (fd) => (calls.datasync++, nodeFileSystem.datasync(fd)),
    fsync: (fd) => (calls.fsync++, nodeFileSystem.fsync(fd)),
  };
  return { calls, files };
}

describe('FileStore persistence', () => {
  it('keeps events, payloads and occurredAt across reopen', async () => {
    const path = tempStore();
    const store = await FileStore.open(path);
    await store.append([
      opened('a1', { nested: { list: [1.5, 'x', null, true] }, text: 'line\nbreak "quoted" ünï' }),
      credited('a1', { amount: -0 }),
    ]);
    await store.append([credited('a2', { amount: 1e21 })]);
    const before = await store.query({});
    await store.close();
    const again = await FileStore.open(path);
    const after = await again.query({});
    expect(positions(after.eventRecords)).toEqual([1, 2, 3]);
    expect(after).toEqual(before);
    for (let i = 0; i < 3; i++) expect(after.eventRecords[i]?.occurredAt.getTime()).toBe(before.eventRecords[i]?.occurredAt.getTime());
    expect(after.eventRecords[1]?.payload).toEqual({ accountId: 'a1', amount: 0 });
    expect(Object.isFrozen(after.eventRecords[0]?.payload)).toBe(true);
    expect((await again.query(a1)).currentContextVersion).toBe(2n);
    await again.close();
  });

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

  it('keeps batch boundaries: a durable replay after reopen delivers the original batches', async () => {
    const path = tempStore();
    const store = await FileStore.open(path);
    await store.append([opened('a1'), credited('a1')]);
    await store.append([opened('a2')]);
    await store.append([credited('a2'), credited('a1'), credited('a2')]);
    await store.close();
    const again = await FileStore.open(path);
    const batches: number[][] = [];
    await again.streamAllDurable('replay', (batch) => void batches.push(positions(batch)));
    expect(batches).toEqual([[1, 2], [3], [4, 5, 6]]);
    await again.close();
    expect(checkLog(path).batches).toEqual([
      { first: 1, last: 2 },
      { first: 3, last: 3 },
      { first: 4, last: 6 },
    ]);
  });

  it('a successful appendIf persists; a failed one leaves the files unchanged', async () => {
    const path = tempStore();
    const store = await FileStore.open(path);
    await store.append([opened('a1')]);
    await store.appendIf([credited('a1', { name: 'Rico' })], a1, 1n);
    const bytes = readFileSync(segmentFiles(path)[0]!.path);
    await expect(store.appendIf([credited('a1'), credited('a1')], { ...a1, minSequenceNumber: 1n }, null)).rejects.toMatchObject({
      code: 'CONDITIONAL_APPEND_CONFLICT',
      expected: null,
      actual: 2n,
    });
    expect(readFileSync(segmentFiles(path)[0]!.path)).toEqual(bytes);
    await store.close();
    const again = await FileStore.open(path);
    expect(positions((await again.query({})).eventRecords)).toEqual([1, 2]);
    expect((await again.append([credited('a1')])).firstSequenceNumber).toBe(3n);
    await again.close();
    expect(checkLog(path).head).toBe(3);
  });

  it('durable cursors persist in their files: reopening resumes after the stored cursor, and the lease file goes with the holder', async () => {
    const path = tempStore();
    const store = await FileStore.open(path);
    await store.append([opened('a1'), credited('a1', { name: 'Primary' })]);
    const first: number[][] = [];
    const stream = await store.streamAllDurable('account/directory: ünï', (batch) => void first.push(positions(batch)));
    expect(first).toEqual([[1, 2]]);
    const leases = () => readdirSync(join(path, 'cursors')).filter((f) => f.endsWith('.lease'));
    expect(leases()).toHaveLength(1);
    await stream.unsubscribe();
    expect(leases()).toEqual([]);
    expect(cursorOf(path, 'account/directory: ünï')).toBe(2); // saved once unsubscribe resolved
    await store.close();

    const again = await FileStore.open(path);
    const second: number[][] = [];
    await again.streamAllDurable('account/directory: ünï', (batch) => void second.push(positions(batch)));
    await sleep(100);
    expect(second).toEqual([]);
    await again.append([credited('a1', { amount: 50 })]);
    await sleep(100);
    expect(second).toEqual([[3]]);
    await again.close();
    expect(cursorOf(path, 'account/directory: ünï')).toBe(3);
    expect(leases()).toEqual([]);
    const [file] = readdirSync(join(path, 'cursors'));
    expect(file).toMatch(/^account_directory___n_~[0-9a-f]{16}\.json$/);
    expect(JSON.parse(readFileSync(join(path, 'cursors', file as string), 'utf8'))).toEqual({
      name: 'account/directory: ünï',
      query: '{"filters":[]}',
      position: 3,
    });
  });

  it('a durable query is stored canonically: reopening with reordered filters resumes, another query is refused', async () => {
    const path = tempStore();
    const store = await FileStore.open(path);
    const query = { filters: [{ eventTypes: ['b', 'a'], payloadPredicates: [{ y: 1, x: 2 }] }] };
    await (await store.streamToDurable('p', query, () => {})).unsubscribe();
    await store.close();
    const again = await FileStore.open(path);
    await (
      await again.streamToDurable('p', { filters: [{ payloadPredicates: [{ x: 2, y: 1 }], eventTypes: ['a', 'b'] }] }, () => {})
    ).unsubscribe();
    await expect(again.streamToDurable('p', { filters: [{ eventTypes: ['a'] }] }, () => {})).rejects.toMatchObject({
      code: 'DURABLE_STREAM_QUERY_MISMATCH',
    });
    await again.close();
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

  it('group commit: concurrent appends share one write and one sync, each keeps its own batch', async () => {
    const { calls, files } = counting();
    const path = tempStore();
    const store = await openFileStore(path, {}, files);
    const delivered: string[] = [];
    await store.streamAll((batch) => void delivered.push(`${batch[0]!.sequenceNumber}-${batch[batch.length - 1]!.sequenceNumber}`));
    const base = calls.datasync;
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => store.append(Array.from({ length: 1 + (i % 3) }, (_, k) => opened(`a${i}`, { k })))),
    );
    expect(calls.datasync - base).toBeLessThan(10); // 60 appends, a handful of groups
    const ranges = results.map((r) => `${r.firstSequenceNumber}-${r.lastSequenceNumber}`);
    expect(new Set(ranges).size).toBe(60);
    await sleep(50);
    expect([...delivered].sort()).toEqual([...ranges].sort());
    await store.close();
    const { batches, head } = checkLog(path);
    expect(batches.map((b) => `${b.first}-${b.last}`).sort()).toEqual([...ranges].sort());
    expect(head).toBe(120);
  });

  it('two store instances on one folder in one process: one log, exclusive durable names, self-consistent queries', async () => {
    const path = tempStore();
    const a = await FileStore.open(path);
    const b = await FileStore.open(path);
    await a.append([opened('a1'), opened('a2')]);
    let stop = false;
    const writer = (async () => {
      for (let n = 3; !stop; n++) await b.append([opened(`a${n}`)]);
    })();
    for (let i = 0; i < 100; i++) {
      const result = await a.query({ filters: [{ eventTypes: ['account-opened'] }], minSequenceNumber: 1n });
      if (result.lastReturnedSequenceNumber !== null) expect(result.lastReturnedSequenceNumber).toBe(result.currentContextVersion);
      await sleep(1);
    }
    stop = true;
    await writer;
    const seenByA = await a.query({});
    expect(positions(seenByA.eventRecords)).toEqual(Array.from({ length: seenByA.eventRecords.length }, (_, i) => i + 1));
    expect(seenByA.eventRecords.length).toBeGreaterThan(10);
    await a.streamAllDurable('shared', () => {});
    await expect(b.streamAllDurable('shared', () => {})).rejects.toMatchObject({ code: 'DURABLE_STREAM_ACTIVE' });
    await a.close();
    await b.streamAllDurable('shared', () => {});
    await b.close();
    checkLog(path);
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

  it('close() lets the process exit by itself, also with streams, held durable names and a second instance', () => {
    const path = tempStore('exit');
    const script = `
      const { FileStore } = require(${JSON.stringify(require.resolve('factstore-file'))});
      (async () => {
        const store = await FileStore.open(${JSON.stringify(path)});
        const other = await FileStore.open(${JSON.stringify(path)});
        await store.streamAll(() => {});
        await store.streamAllDurable('d', () => {});
        await other.streamAll(() => {});
        await store.append([{ eventType: 'e', payload: 1 }]);
        await other.query({ filters: [{ payloadPredicates: [{ k: 1 }] }] });
        await store.close();
        await other.close();
        console.log('closed');
      })();
    `;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('closed');
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(readdirSync(path).sort()).toEqual(['cursors', 'format.json', 'head', 'indexed-keys.json', 'segments']);
    expect(readdirSync(join(path, 'cursors')).filter((f) => !f.endsWith('.json'))).toEqual([]);
  });
});
