import { spawnSync } from 'node:child_process';
import { SqliteStore } from '../src/index.js';
import { checkLogInvariants, sql } from './sqlite-file.js';
import { removeTempFolders, tempDb } from './temp-files.js';

afterAll(removeTempFolders);

const opened = (accountId: string, extra: object = {}) => ({ eventType: 'account-opened', payload: { accountId, ...extra } });
const credited = (accountId: string, extra: object = {}) => ({ eventType: 'account-credited', payload: { accountId, ...extra } });
const a1 = { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] };
const positions = (records: readonly { sequenceNumber: bigint }[]) => records.map((r) => Number(r.sequenceNumber));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SqliteStore persistence', () => {
  it('keeps events, payloads and occurredAt across reopen', async () => {
    const path = tempDb();
    const store = await SqliteStore.open(path);
    await store.append([opened('a1', { nested: { list: [1.5, 'x', null, true] } }), credited('a1', { amount: -0 })]);
    const before = await store.query({});
    await store.close();
    const again = await SqliteStore.open(path);
    const after = await again.query({});
    expect(positions(after.eventRecords)).toEqual([1, 2]);
    expect(after).toEqual(before);
    expect(after.eventRecords[0]?.occurredAt.getTime()).toBe(before.eventRecords[0]?.occurredAt.getTime());
    expect(after.eventRecords[1]?.payload).toEqual({ accountId: 'a1', amount: 0 });
    await again.close();
  });

  it('creates folders, tables, the format version, in WAL mode with FULL sync', async () => {
    const path = `${tempDb()}.d/deeper/still/store.db`;
    const store = await SqliteStore.open(path);
    expect(store.path).toBe(path);
    await store.close();
    const tables = (
      await sql<{ name: string }>(path, `SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') ORDER BY name`)
    ).map((r) => r.name);
    expect(tables).toEqual(
      expect.arrayContaining(['events', 'batches', 'cursors', 'factstore_meta', 'indexed_keys', 'event_values', 'events_value_index']),
    );
    expect(await sql(path, `SELECT value FROM factstore_meta WHERE key = 'format_version'`)).toEqual([{ value: '2' }]);
    expect(await sql(path, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    const reopened = await SqliteStore.open(path);
    await reopened.close();
    expect(await sql(path, `SELECT value FROM factstore_meta WHERE key = 'format_version'`)).toEqual([{ value: '2' }]);
  });

  it('keeps batch boundaries: a durable replay after reopen delivers the original batches', async () => {
    const path = tempDb();
    const store = await SqliteStore.open(path);
    await store.append([opened('a1'), credited('a1')]);
    await store.append([opened('a2')]);
    await store.append([credited('a2'), credited('a1'), credited('a2')]);
    await store.close();
    const again = await SqliteStore.open(path);
    const batches: number[][] = [];
    await again.streamAllDurable('replay', (batch) => void batches.push(positions(batch)));
    expect(batches).toEqual([[1, 2], [3], [4, 5, 6]]);
    await again.close();
    await checkLogInvariants(path);
  });

  it('a successful appendIf persists; a failed one leaves the file unchanged', async () => {
    const path = tempDb();
    const store = await SqliteStore.open(path);
    await store.append([opened('a1')]);
    await store.appendIf([credited('a1', { name: 'Rico' })], a1, 1n);
    await expect(store.appendIf([credited('a1'), credited('a1')], { ...a1, minSequenceNumber: 1n }, null)).rejects.toMatchObject({
      code: 'CONDITIONAL_APPEND_CONFLICT',
      expected: null,
      actual: 2n,
    });
    await store.close();
    const again = await SqliteStore.open(path);
    expect(positions((await again.query({})).eventRecords)).toEqual([1, 2]);
    expect((await again.append([credited('a1')])).firstSequenceNumber).toBe(3n);
    await again.close();
    await checkLogInvariants(path);
  });

  it('durable cursors persist: reopening resumes after the stored cursor', async () => {
    const path = tempDb();
    const store = await SqliteStore.open(path);
    await store.append([opened('a1'), credited('a1', { name: 'Primary' })]);
    const first: number[][] = [];
    const stream = await store.streamAllDurable('account-directory', (batch) => void first.push(positions(batch)));
    expect(first).toEqual([[1, 2]]);
    expect(await sql(path, `SELECT position FROM cursors WHERE name = 'account-directory'`)).toEqual([{ position: 2 }]);
    await stream.unsubscribe();
    await store.close();

    const again = await SqliteStore.open(path);
    const second: number[][] = [];
    await again.streamAllDurable('account-directory', (batch) => void second.push(positions(batch)));
    await sleep(100);
    expect(second).toEqual([]);
    await again.append([credited('a1', { amount: 50 })]);
    await sleep(100);
    expect(second).toEqual([[3]]);
    await again.close();
    expect(await sql(path, `SELECT position, holder FROM cursors WHERE name = 'account-directory'`)).toEqual([
      { position: 3, holder: null },
    ]);
  });

  it('a durable query is stored canonically: reopening with reordered filters resumes, another query is refused', async () => {
    const path = tempDb();
    const store = await SqliteStore.open(path);
    const query = { filters: [{ eventTypes: ['b', 'a'], payloadPredicates: [{ y: 1, x: 2 }] }] };
    await (await store.streamToDurable('p', query, () => {})).unsubscribe();
    await store.close();
    const again = await SqliteStore.open(path);
    await (
      await again.streamToDurable('p', { filters: [{ payloadPredicates: [{ x: 2, y: 1 }], eventTypes: ['a', 'b'] }] }, () => {})
    ).unsubscribe();
    await expect(again.streamToDurable('p', { filters: [{ eventTypes: ['a'] }] }, () => {})).rejects.toMatchObject({
      code: 'DURABLE_STREAM_QUERY_MISMATCH',
    });
    await again.close();
  });

  it('missing batch history fails a durable replay with BACKEND_FAILURE, and a repaired file replays', async () => {
    const path = tempDb();
    const first = await SqliteStore.open(path);
    await first.append([opened('a1')]);
    await first.close();
    await sql(path, 'DELETE FROM batches');
    // a fresh instance: the one that appended could deliver its own batch from memory
    const store = await SqliteStore.open(path);
    const error = await store.streamAllDurable('setup-failure', () => {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_FAILURE' });
    expect(String((error as Error).message)).toMatch(/batch history/);
    await sql(path, 'INSERT INTO batches (first_seq, last_seq) VALUES (1, 1)');
    const batches: number[][] = [];
    await store.streamAllDurable('setup-failure', (batch) => void batches.push(positions(batch)));
    expect(batches).toEqual([[1]]);
    await store.close();
    expect(await sql(path, `SELECT position FROM cursors WHERE name = 'setup-failure'`)).toEqual([{ position: 1 }]);
  });

  it('synchronous NORMAL is used when chosen', async () => {
    const path = tempDb();
    const store = await SqliteStore.open(path, { synchronous: 'NORMAL' });
    await store.append([opened('a1')]);
    const backend = (
      store as unknown as { backend: { write: { exclusive<T>(w: () => Promise<T>): Promise<T>; get(s: string): Promise<unknown> } } }
    ).backend;
    expect(await backend.write.exclusive(() => backend.write.get('PRAGMA synchronous'))).toEqual({ synchronous: 1 });
    await store.close();
    const full = await SqliteStore.open(path);
    const fullBackend = (full as unknown as { backend: typeof backend }).backend;
    expect(await fullBackend.write.exclusive(() => fullBackend.write.get('PRAGMA synchronous'))).toEqual({ synchronous: 2 });
    await full.close();
  });

  it('two store instances on one file in one process: one log, exclusive durable names, self-consistent queries', async () => {
    const path = tempDb();
    const a = await SqliteStore.open(path);
    const b = await SqliteStore.open(path);
    await a.append([opened('a1'), opened('a2')]);
    let stop = false;
    const writer = (async () => {
      for (let n = 3; !stop; n++) await b.append([opened(`a${n}`)]);
    })();
    for (let i = 0; i < 100; i++) {
      const result = await a.query({ filters: [{ eventTypes: ['account-opened'] }], minSequenceNumber: 1n });
      if (result.lastReturnedSequenceNumber !== null) expect(result.lastReturnedSequenceNumber).toBe(result.currentContextVersion);
    }
    stop = true;
    await writer;
    await a.streamAllDurable('shared', () => {});
    await expect(b.streamAllDurable('shared', () => {})).rejects.toMatchObject({ code: 'DURABLE_STREAM_ACTIVE' });
    await a.close();
    await b.streamAllDurable('shared', () => {});
    await b.close();
    await checkLogInvariants(path);
  });

  it('a stream of one instance sees the commits of another instance, with their batch boundaries', async () => {
    const path = tempDb();
    const reader = await SqliteStore.open(path, { pollIntervalMs: 5 });
    const writer = await SqliteStore.open(path);
    const seen: number[][] = [];
    await reader.streamAll((batch) => void seen.push(positions(batch)));
    await writer.append([opened('a1'), opened('a2')]);
    await writer.append([opened('a3')]);
    const started = Date.now();
    while (seen.length < 2 && Date.now() - started < 2000) await sleep(2);
    expect(seen).toEqual([[1, 2], [3]]);
    await reader.close();
    await writer.close();
  });

  it('close() lets the process exit by itself, also with streams and held durable names', () => {
    const path = tempDb('exit');
    const script = `
      const { SqliteStore } = require(${JSON.stringify(require.resolve('factstore-sqlite'))});
      (async () => {
        const store = await SqliteStore.open(${JSON.stringify(path)});
        await store.streamAll(() => {});
        await store.streamAllDurable('d', () => {});
        await store.append([{ eventType: 'e', payload: 1 }]);
        await store.close();
        console.log('closed');
      })();
    `;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('closed');
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
  });
});
