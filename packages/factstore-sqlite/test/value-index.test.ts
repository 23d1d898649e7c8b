import sqlite3 from 'sqlite3';
import type { ValidQuery } from 'factstore/backend';
import { SqliteStore } from '../src/index.js';
import { planQuery } from '../src/plan.js';
import { TAG_LENGTH, tagOf } from '../src/schema.js';
import { sql } from './sqlite-file.js';
import { removeTempFolders, tempDb } from './temp-files.js';

afterAll(removeTempFolders);

const byKey = (key: string, value: string | number) => ({ filters: [{ payloadPredicates: [{ [key]: value }] }] });
const positions = async (store: SqliteStore, query: Parameters<SqliteStore['query']>[0]) =>
  (await store.query(query)).eventRecords.map((r) => r.sequenceNumber);

describe('SqliteStore value index', () => {
  it('answers a query on the 40th distinct payload key from the index', async () => {
    const path = tempDb('keys');
    const store = await SqliteStore.open(path);
    // 40 keys, each asked about once (the old store indexed the first 32 it was asked about)
    for (let k = 1; k <= 40; k++) {
      await store.append([
        { eventType: 'e', payload: { [`key${k}`]: 'wanted', other: k } },
        { eventType: 'e', payload: { [`key${k}`]: 'not this' } },
      ]);
      expect(await positions(store, byKey(`key${k}`, 'wanted'))).toEqual([BigInt(2 * k - 1)]);
    }
    // the plan of the 40th key searches the value index and never scans the log
    const plan = planQuery(byKey('key40', 'wanted') as ValidQuery);
    const steps = (await sql<{ detail: string }>(path, `EXPLAIN QUERY PLAN SELECT seq FROM events WHERE ${plan.where}`, plan.params)).map(
      (row) => row.detail,
    );
    expect(steps.some((detail) => /SEARCH event_values USING PRIMARY KEY \(tag=\?\)/.test(detail))).toBe(true);
    expect(steps.filter((detail) => /^SCAN (events|e)\b/.test(detail))).toEqual([]);
    // and the answer comes from it: an index row removed behind the store's back hides the event
    await sql(path, `DELETE FROM event_values WHERE seq = 79`);
    expect(await positions(store, byKey('key40', 'wanted'))).toEqual([]);
    expect(await positions(store, byKey('other', 40))).toEqual([]);
    expect(await positions(store, byKey('key39', 'wanted'))).toEqual([77n]);
    await store.close();
  });

  it('keeps no list of indexed keys: a query or appendIf on a key never asked about writes nothing', async () => {
    const path = tempDb('no-registration');
    const store = await SqliteStore.open(path);
    await store.append([{ eventType: 'e', payload: { a: 1, b: 'x', c: null, d: true, nested: { e: 1 }, list: [1] } }]);
    const rows = await sql(path, 'SELECT tag FROM event_values ORDER BY tag');
    // one row for every top-level scalar entry, none for objects and arrays
    expect(rows.map((r) => String(r.tag).split('\u001f').slice(0, 2).join(':'))).toEqual(['a:integer', 'b:text', 'c:null', 'd:true']);
    const before = await sql(path, 'SELECT COUNT(*) AS n FROM event_values');
    await expect(store.appendIf([{ eventType: 'e', payload: {} }], byKey('never-seen', 1), null)).resolves.toMatchObject({
      committedCount: 1,
    });
    expect(await positions(store, byKey('also-never-seen', 'x'))).toEqual([]);
    expect(await sql(path, 'SELECT COUNT(*) AS n FROM event_values')).toEqual(before);
    await store.close();
  });

  it('cuts long tags, and the matcher keeps the answer exact for values that share the first characters', async () => {
    const store = await SqliteStore.open(tempDb('long'));
    const long = 'L'.repeat(TAG_LENGTH * 2);
    await store.append([
      { eventType: 'e', payload: { text: `${long}-one` } },
      { eventType: 'e', payload: { text: `${long}-two` } },
      { eventType: 'e', payload: { text: long } },
      { eventType: 'e', payload: { [`${'k'.repeat(TAG_LENGTH)}1`]: 1 } },
      { eventType: 'e', payload: { [`${'k'.repeat(TAG_LENGTH)}2`]: 1 } },
    ]);
    expect(await positions(store, byKey('text', `${long}-two`))).toEqual([2n]);
    expect(await positions(store, byKey('text', long))).toEqual([3n]);
    expect(await positions(store, byKey(`${'k'.repeat(TAG_LENGTH)}2`, 1))).toEqual([5n]);
    await store.close();
  });

  it('binds exactly the tag SQLite writes where it computes one itself, and leaves the others to SQLite', async () => {
    const path = tempDb('tags');
    const store = await SqliteStore.open(path);
    const entries: [string, string | number | boolean | null][] = [
      ['id', 'acc-1'],
      ['empty', ''],
      ['', 'empty key'],
      ['n', 0],
      ['n', -0],
      ['n', -17],
      ['n', Number.MAX_SAFE_INTEGER],
      ['n', 2 ** 60],
      ['n', 1.5],
      ['n', 1e21],
      ['yes', true],
      ['no', false],
      ['none', null],
      ['long', 'y'.repeat(TAG_LENGTH * 2)],
      ['k'.repeat(TAG_LENGTH + 6), 'v'],
      ['name', 'Zoë'],
      ['emoji', '🎉'.repeat(TAG_LENGTH)],
    ];
    for (const [key, value] of entries) await store.append([{ eventType: 'e', payload: { [key]: value } }]);
    const stored = await sql<{ tag: string; seq: number }>(path, 'SELECT tag, seq FROM event_values ORDER BY seq');
    expect(stored.map((row) => row.seq)).toEqual(entries.map((_, i) => i + 1));
    const computed = entries.map(([key, value]) => tagOf(key, value));
    entries.forEach((_, i) => {
      if (computed[i] !== undefined) expect(computed[i]).toBe(stored[i]?.tag);
    });
    // ASCII strings, safe integers, booleans and null are computed here; the rest by SQLite
    expect(computed.map((tag) => tag !== undefined)).toEqual([
      ...[true, true, true, true, true, true, true],
      ...[false, false, false],
      ...[true, true, true, true, true],
      ...[false, false],
    ]);
    // either way each entry finds its own event
    for (const [i, [key, value]] of entries.entries()) {
      const found = await positions(store, byKey(key, value as string | number));
      expect(found).toContain(BigInt(i + 1));
    }
    await store.close();
  });

  it('answers a query on a never-seen key while another connection holds the write lock longer than busyTimeoutMs', async () => {
    const path = tempDb('locked');
    const store = await SqliteStore.open(path, { busyTimeoutMs: 200 });
    await store.append([{ eventType: 'e', payload: { fresh: 'key', n: 1 } }]);
    const other = await new Promise<sqlite3.Database>((resolve, reject) => {
      const db = new sqlite3.Database(path, (error) => (error ? reject(error) : resolve(db)));
    });
    const run = (statement: string) =>
      new Promise<void>((resolve, reject) => other.run(statement, (error) => (error ? reject(error) : resolve())));
    try {
      await run('BEGIN IMMEDIATE');
      await run(`INSERT INTO cursors (name, query, position) VALUES ('held', '{}', 0)`);
      const started = Date.now();
      // reads wait for nothing: a never-seen key, a context read, the head
      expect(await positions(store, byKey('fresh', 'key'))).toEqual([1n]);
      expect((await store.query(byKey('n', 1))).currentContextVersion).toBe(1n);
      // a write does wait, and fails after busyTimeoutMs with the lock still held
      await expect(store.append([{ eventType: 'e', payload: {} }])).rejects.toMatchObject({ code: 'BACKEND_FAILURE' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      // still held: the reads answer again, past the write's timeout
      expect(await positions(store, byKey('fresh', 'key'))).toEqual([1n]);
      await run('COMMIT');
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
    await expect(store.append([{ eventType: 'e', payload: {} }])).resolves.toMatchObject({ firstSequenceNumber: 2n });
    await store.close();
  });
});
