import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROCESSES } from 'factstore-test-support';
import { SqliteStore } from '../src/index.js';
import { sql } from './sqlite-file.js';
import { sqliteAdapter } from './adapter.js';
import { removeTempFolders, tempDb } from './temp-files.js';

afterAll(removeTempFolders);

/**
 * Appends `commits` single events in a child process traced by strace, and counts the syncs
 * (fsync, fdatasync) of the store's write-ahead log: what `synchronous` decides.
 */
function walSyncs(path: string, commits: number, options?: { synchronous: 'FULL' | 'NORMAL' }): number {
  const spec = { ...sqliteAdapter.child(path), args: options ? [path, options] : [path] };
  const trace = `${path}.strace`;
  const run = spawnSync(
    'strace',
    [
      '-f',
      '-qq',
      '-y',
      '-e',
      'trace=fsync,fdatasync',
      '-o',
      trace,
      process.execPath,
      join(PROCESSES, 'appender.mjs'),
      JSON.stringify(spec),
      String(commits),
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  expect(run.error).toBeUndefined(); // strace is there
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return readFileSync(trace, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`${path}-wal>`)).length;
}

describe('SqliteStore file settings', () => {
  it('creates folders, tables and the format version, in WAL mode', async () => {
    const path = `${tempDb()}.d/deeper/still/store.db`;
    const store = await SqliteStore.open(path);
    expect(store.path).toBe(path);
    await store.close();
    const tables = (
      await sql<{ name: string }>(path, `SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') ORDER BY name`)
    ).map((r) => r.name);
    expect(tables).toEqual(
      expect.arrayContaining(['events', 'batches', 'cursors', 'factstore_meta', 'event_values', 'events_value_index']),
    );
    expect(await sql(path, `SELECT value FROM factstore_meta WHERE key = 'format_version'`)).toEqual([{ value: '3' }]);
    expect(await sql(path, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    const reopened = await SqliteStore.open(path);
    await reopened.close();
    expect(await sql(path, `SELECT value FROM factstore_meta WHERE key = 'format_version'`)).toEqual([{ value: '3' }]);
  });

  it('synchronous FULL, the default, syncs the write-ahead log at every commit', () => {
    expect(walSyncs(tempDb('full'), 20)).toBeGreaterThanOrEqual(20);
    expect(walSyncs(tempDb('full'), 20, { synchronous: 'FULL' })).toBeGreaterThanOrEqual(20);
  });

  it('synchronous NORMAL, when chosen, syncs the write-ahead log only at checkpoints, not at every commit', () => {
    expect(walSyncs(tempDb('normal'), 20, { synchronous: 'NORMAL' })).toBeLessThanOrEqual(5);
  });
});
