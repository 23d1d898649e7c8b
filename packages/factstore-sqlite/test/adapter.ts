import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RawLog, StoreAdapter } from 'factstore-test-support';
import { SqliteStore } from '../src/index.js';
import { sql, withDatabase, type All } from './sqlite-file.js';
import { removeTempFolders, tempDb } from './temp-files.js';

/** Reads a database file that must be there (a missing one is an error, not a new empty file). */
const existing = <T>(path: string, use: (all: All) => Promise<T>) => withDatabase(path, use, { create: false });

/** The SQLite store for the store test kit: a location is the path of a database file in a fresh temp folder. */
export const sqliteAdapter: StoreAdapter = {
  name: 'SqliteStore',
  create: async (tag) => tempDb(tag),
  open: (path) => SqliteStore.open(path),
  child: (path) => ({
    module: pathToFileURL(join(__dirname, '..', 'dist', 'index.mjs')).href,
    exportName: 'SqliteStore',
    open: 'open',
    args: [path],
  }),
  raw: {
    read: (path) =>
      existing(path, async (all): Promise<RawLog> => {
        await all('BEGIN'); // one snapshot for every table
        const events = await all<{ seq: number; event_type: string; payload: string }>(
          'SELECT seq, event_type, payload FROM events ORDER BY seq',
        );
        const batches = await all<{ first: number; last: number }>(
          'SELECT first_seq AS first, last_seq AS last FROM batches ORDER BY first_seq',
        );
        const cursors = await all<{ name: string; position: number; holder: string | null }>(
          'SELECT name, position, holder FROM cursors ORDER BY name',
        );
        const [integrity] = await all<{ integrity_check: string }>('PRAGMA integrity_check');
        await all('COMMIT');
        return {
          events: events.map((e) => ({ position: e.seq, eventType: e.event_type, payload: JSON.parse(e.payload) })),
          batches,
          cursors,
          problems: integrity?.integrity_check === 'ok' ? [] : [`integrity_check: ${integrity?.integrity_check}`],
        };
      }),
    removeBatchHistory: async (path) => {
      const batches = await sql<{ first_seq: number; last_seq: number }>(path, 'SELECT first_seq, last_seq FROM batches');
      await sql(path, 'DELETE FROM batches');
      return async () => {
        for (const b of batches) await sql(path, 'INSERT INTO batches (first_seq, last_seq) VALUES (?, ?)', [b.first_seq, b.last_seq]);
      };
    },
    markNewerFormat: async (path, version) => {
      await sql(path, `UPDATE factstore_meta SET value = ? WHERE key = 'format_version'`, [String(version)]);
      await sql(path, 'DROP TRIGGER events_value_index');
    },
    fingerprint: (path) =>
      existing(path, async (all) => {
        const objects = await all<{ type: string; name: string; sql: string | null }>(
          'SELECT type, name, sql FROM sqlite_master ORDER BY name',
        );
        const rows: Record<string, string[]> = {};
        for (const { name } of objects.filter((o) => o.type === 'table')) {
          rows[name] = (await all(`SELECT * FROM "${name}"`)).map((row) => JSON.stringify(row)).sort();
        }
        return { objects, rows };
      }),
  },
  cleanup: async () => removeTempFolders(),
};
