import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../src/index.js';
import { readBack } from '../../../tools/test-support/fixture-events.mjs';
import { checkLogInvariants } from 'factstore-test-support';
import { sqliteAdapter } from './adapter.js';
import { sql } from './sqlite-file.js';
import { removeTempFolders, tempDb } from './temp-files.js';

afterAll(removeTempFolders);

const fixture = (version: number) => join(__dirname, 'fixtures', `format-${version}.db`);
const expected = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'format-1.expected.json'), 'utf8'));
const expected2 = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'format-2.expected.json'), 'utf8'));

/** A copy of a fixture of format `version` in a fresh folder. */
function fixtureFile(version: number): string {
  const path = tempDb(`format-${version}`);
  copyFileSync(fixture(version), path);
  return path;
}
const format1File = () => fixtureFile(1);

const format = async (path: string) =>
  (await sql<{ value: string }>(path, `SELECT value FROM factstore_meta WHERE key = 'format_version'`))[0]?.value;
const indexRows = async (path: string) =>
  (await sql<{ tag: string; seq: number }>(path, 'SELECT tag, seq FROM event_values ORDER BY tag, seq')).map((r) => `${r.tag}@${r.seq}`);
const objects = (path: string) => sql<{ name: string }>(path, `SELECT name FROM sqlite_master ORDER BY name`);
const columns = async (path: string) =>
  (await sql<{ name: string }>(path, `SELECT name FROM pragma_table_info('batches')`)).map((c) => c.name);

describe('SqliteStore opening a file of an earlier format', () => {
  it('upgrades a format-1 file in place: every record, batch boundary and cursor reads back as the old release wrote it', async () => {
    const path = format1File();
    expect(await format(path)).toBe('1');
    const store = await SqliteStore.open(path);
    expect(await readBack(store)).toEqual(expected);
    // the upgraded file takes idempotency keys, and numbering goes on
    const keyed = await store.append([{ eventType: 'after-upgrade', payload: { n: 1 } }], { idempotencyKey: 'k' });
    expect(keyed.firstSequenceNumber).toBe(BigInt(expected.records.length + 1));
    expect(await store.append([{ eventType: 'after-upgrade', payload: { n: 1 } }], { idempotencyKey: 'k' })).toEqual(keyed);
    await store.close();
    expect(await format(path)).toBe('3');
    expect(await columns(path)).toContain('append_key');
    await checkLogInvariants(sqliteAdapter, path);
  });

  it('upgrades a format-2 file in place: the value index of the keys in use becomes one of every key, as a new file would hold it', async () => {
    const path = fixtureFile(2);
    expect(await format(path)).toBe('2');
    expect(await sql(path, 'SELECT key FROM indexed_keys')).toEqual([{ key: 'accountId' }]);
    const store = await SqliteStore.open(path);
    expect(await readBack(store)).toEqual(expected2);
    // keys the old release never indexed are now answered from the index
    const owner = await store.query({ filters: [{ payloadPredicates: [{ owner: 'Zoë Ångström' }] }] });
    expect(owner.eventRecords.map((r) => r.sequenceNumber)).toEqual([1n]);
    const { eventRecords } = await store.query({});
    await store.close();
    expect(await format(path)).toBe('3');
    expect((await objects(path)).map((o) => o.name)).not.toContain('indexed_keys');
    // the same log written by this release has the same index, row for row
    const fresh = tempDb('fresh');
    const writer = await SqliteStore.open(fresh);
    for (const record of eventRecords) await writer.append([{ eventType: record.eventType, payload: record.payload }]);
    await writer.close();
    const upgraded = await indexRows(path);
    expect(upgraded).toEqual(await indexRows(fresh));
    expect(upgraded.filter((row) => row.startsWith('owner\u001ftext\u001fZoë'))).toEqual(['owner\u001ftext\u001fZoë Ångström@1']);
    await checkLogInvariants(sqliteAdapter, path);
  });

  it('processes opening the old file at once: one upgrades, the others wait and see the new format', async () => {
    const path = format1File();
    const stores = await Promise.all([SqliteStore.open(path), SqliteStore.open(path), SqliteStore.open(path)]);
    for (const store of stores) expect((await store.query({})).eventRecords).toHaveLength(expected.records.length);
    await Promise.all(stores.map((s) => s.close()));
    expect(await format(path)).toBe('3');
    expect((await sql(path, `SELECT name FROM sqlite_master WHERE name = 'batches_append_key'`)).length).toBe(1);
  });

  it('a failing upgrade leaves the old format intact and the file readable by the old release', async () => {
    const path = format1File();
    // something in the way of the upgrade: a table with the name of the index it creates
    await sql(path, 'CREATE TABLE batches_append_key (x)');
    await expect(SqliteStore.open(path)).rejects.toMatchObject({ code: 'BACKEND_FAILURE' });
    expect(await format(path)).toBe('1');
    expect(await columns(path)).not.toContain('append_key');
    expect((await sql(path, 'SELECT COUNT(*) AS n FROM events'))[0]).toEqual({ n: expected.records.length });
  });
});
