// The SQLite store (synchronous FULL) and its baseline: the raw sqlite3 driver doing the same
// inserts and reads with no factstore code: one BEGIN IMMEDIATE transaction per append with one
// json_each INSERT, and reads through an expression index on the payload key. A second baseline
// for batch appends also indexes every top-level scalar payload value, as the store does (a
// trigger into a (tag, seq) table), to show what the store costs beyond that index.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sqlite3 from 'sqlite3';
import { SqliteStore } from 'factstore-sqlite';

export const name = 'sqlite';

const folders = [];
function freshPath() {
  const folder = mkdtempSync(join(tmpdir(), 'factstore-bench-'));
  folders.push(folder);
  return join(folder, 'bench.db');
}
process.on('exit', () => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A fresh store in a new file, synchronous FULL (the default). */
export async function open() {
  return SqliteStore.open(freshPath());
}

/** Where a store is, for another process to open the same one. */
export const locate = (store) => store.path;

/** Opens the store at a location from {@link locate} (in another process). */
export const openAt = (path) => SqliteStore.open(path, { pollIntervalMs: 1 });

/** The same work with the raw driver; `everyKey`: with a value index of every payload key, as the store keeps. */
export async function openBaseline({ everyKey = false } = {}) {
  const path = freshPath();
  const db = await new Promise((resolve, reject) => {
    const opened = new sqlite3.Database(path, (error) => (error ? reject(error) : resolve(opened)));
  });
  const run = (sql, params = []) => new Promise((resolve, reject) => db.run(sql, params, (error) => (error ? reject(error) : resolve())));
  const all = (sql, params = []) =>
    new Promise((resolve, reject) => db.all(sql, params, (error, rows) => (error ? reject(error) : resolve(rows))));
  const exec = (sql) => new Promise((resolve, reject) => db.exec(sql, (error) => (error ? reject(error) : resolve())));
  await exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
    CREATE TABLE events (seq INTEGER PRIMARY KEY, occurred_at INTEGER NOT NULL, event_type TEXT NOT NULL, payload TEXT NOT NULL);
    CREATE TABLE batches (first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL);
    CREATE INDEX events_account ON events (json_extract(payload, '$.accountId'), seq);`);
  if (everyKey)
    await exec(`CREATE TABLE event_values (tag TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (tag, seq)) WITHOUT ROWID;
    CREATE TRIGGER events_values AFTER INSERT ON events BEGIN
      INSERT OR IGNORE INTO event_values SELECT substr(j.key || char(31) || j.type || char(31) || coalesce(CAST(j.atom AS TEXT), ''), 1, 64), NEW.seq
      FROM json_each(NEW.payload) AS j WHERE typeof(j.key) = 'text' AND j.type NOT IN ('object', 'array');
    END;`);
  let queue = Promise.resolve();
  const exclusive = (work) => {
    const next = queue.then(work, work);
    queue = next.catch(() => {});
    return next;
  };
  return {
    path,
    append: (events) =>
      exclusive(async () => {
        await run('BEGIN IMMEDIATE');
        const [{ head }] = await all('SELECT COALESCE(MAX(seq), 0) AS head FROM events');
        const rows = JSON.stringify(events.map((e) => [e.eventType, JSON.stringify(e.payload)]));
        await run(
          'INSERT INTO events (seq, occurred_at, event_type, payload) SELECT ? + key + 1, ?, value ->> 0, value ->> 1 FROM json_each(?)',
          [head, Date.now(), rows],
        );
        await run('INSERT INTO batches VALUES (?, ?)', [head + 1, head + events.length]);
        await run('COMMIT');
      }),
    async contextQuery(eventType, accountId) {
      const rows = await all(
        `SELECT seq, occurred_at, event_type, payload FROM events WHERE json_extract(payload, '$.accountId') = ? AND event_type = ? ORDER BY seq`,
        [accountId, eventType],
      );
      return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) }));
    },
    async newest(eventType, accountId, count) {
      const rows = await all(
        `SELECT seq, occurred_at, event_type, payload FROM events WHERE json_extract(payload, '$.accountId') = ? AND event_type = ? ORDER BY seq DESC LIMIT ?`,
        [accountId, eventType, count],
      );
      return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) }));
    },
    async replay(onBatch) {
      for (let after = 0; ;) {
        const rows = await all('SELECT seq, occurred_at, event_type, payload FROM events WHERE seq > ? ORDER BY seq LIMIT 1000', [after]);
        if (rows.length === 0) return;
        for (let i = 0; i < rows.length; i += 100) onBatch(rows.slice(i, i + 100).map((r) => ({ ...r, payload: JSON.parse(r.payload) })));
        after = rows[rows.length - 1].seq;
      }
    },
    close: () => exclusive(() => new Promise((resolve) => db.close(() => resolve()))),
  };
}

/** The folders of the store's files and of its baseline's (database and WAL), which the scaling workload reads first and sizes. */
export const filesOf = (store, baseline) => [dirname(store.path), dirname(baseline.path)];

/** The baseline with a value index of every payload key (for the batch appends). */
export const openBaselineEveryKey = () => openBaseline({ everyKey: true });
