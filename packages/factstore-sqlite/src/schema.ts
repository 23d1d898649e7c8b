import { checkFormat, upgradeFormat } from 'factstore/backend';
import type { Connection } from './connection.js';

/**
 * The file format this version writes and reads. A newer file is refused, never changed; an older
 * one is upgraded in place when opened. 2: `batches.append_key` (the idempotency key or identity
 * of each append, unique). 3: the value index covers every top-level scalar payload value (no
 * `indexed_keys`; tags cut at {@link TAG_LENGTH} characters).
 */
export const FORMAT_VERSION = 3;

/**
 * How many characters of a tag the value index keeps: longer tags (long string values, long keys)
 * are cut, so a lookup finds every event whose tag starts the same and the matcher decides
 * (docs/decisions.md, "SQLite indexes every payload key").
 */
export const TAG_LENGTH = 64;

/** How a tag of the value index is written: `key ␟ json type ␟ value as text`, its first {@link TAG_LENGTH} characters. */
export const TAG = (key: string, type: string, atom: string) =>
  `substr(${key} || char(31) || ${type} || char(31) || coalesce(CAST(${atom} AS TEXT), ''), 1, ${TAG_LENGTH})`;

/**
 * The tag {@link TAG} makes of a top-level scalar entry, computed here when it is surely the same
 * text SQLite makes (so a query binds it instead of computing it with `json_each`): an ASCII key
 * and value (then characters are bytes, and the cut matches `substr`), a safe integer, a
 * boolean or null. `undefined` for anything else (other strings, non-integer numbers, whose
 * text SQLite writes its own way).
 */
export function tagOf(key: string, value: string | number | boolean | null): string | undefined {
  let tag: string;
  if (typeof value === 'string') tag = `${key}\u001ftext\u001f${value}`;
  else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return undefined;
    tag = `${key}\u001finteger\u001f${String(value)}`;
  } else if (typeof value === 'boolean') tag = `${key}\u001f${String(value)}\u001f${value ? 1 : 0}`;
  else tag = `${key}\u001fnull\u001f`;
  // eslint-disable-next-line no-control-regex
  return /^[\u0000-\u007f]*$/.test(tag) ? tag.slice(0, TAG_LENGTH) : undefined;
}

/** The value index rows (tag, seq) of the top-level scalar entries `j` (a `json_each` of a payload in `source`). */
const VALUE_ROWS = (seq: string, source: string) =>
  `SELECT ${TAG('j.key', 'j.type', 'j.atom')}, ${seq} FROM ${source}
  WHERE typeof(j.key) = 'text' AND j.type NOT IN ('object', 'array')`;

/**
 * The whole schema, created when missing:
 * - `events`: the log (`seq` is the position; `payload` is JSON text as written by JSON.stringify);
 * - `batches`: one row per committed append, its first and last position, and its `append_key`:
 *   `k:` + the caller's idempotency key, or `i:` + an identity the store gave it (unique; what a
 *   retry after a failed commit looks for);
 * - `cursors`: durable stream cursors, their canonical query, and the lease of the process holding them;
 * - `event_values`: the value index, a tag ({@link TAG}) for every top-level scalar entry of every
 *   object payload, written by a trigger in the inserting statement (`typeof(j.key) = 'text'`
 *   leaves out array elements and scalar payloads);
 * - `factstore_meta`: the format version.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS factstore_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  occurred_at INTEGER NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_type_seq ON events (event_type, seq);
CREATE TABLE IF NOT EXISTS batches (first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, append_key TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS batches_append_key ON batches (append_key);
CREATE TABLE IF NOT EXISTS cursors (
  name TEXT PRIMARY KEY,
  query TEXT NOT NULL,
  position INTEGER NOT NULL,
  holder TEXT,
  heartbeat INTEGER
);
CREATE TABLE IF NOT EXISTS event_values (tag TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (tag, seq)) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS events_value_index AFTER INSERT ON events
BEGIN
  INSERT OR IGNORE INTO event_values (tag, seq) ${VALUE_ROWS('NEW.seq', 'json_each(NEW.payload) AS j')};
END;
`;

/** The steps from each older format to the next; each runs inside the opening transaction. */
const UPGRADES = (db: Connection): Record<number, () => Promise<void>> => ({
  1: () => db.exec('ALTER TABLE batches ADD COLUMN append_key TEXT; CREATE UNIQUE INDEX batches_append_key ON batches (append_key);'),
  // the index of the keys in use (at most 32) becomes the index of every key: rebuilt over the whole log
  2: () =>
    db.exec(`DROP TRIGGER IF EXISTS events_value_index;
      DROP TABLE IF EXISTS indexed_keys;
      DROP TABLE IF EXISTS event_values;
      CREATE TABLE event_values (tag TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (tag, seq)) WITHOUT ROWID;
      INSERT OR IGNORE INTO event_values (tag, seq) ${VALUE_ROWS('e.seq', 'events AS e, json_each(e.payload) AS j')};`),
});

/**
 * Creates what is missing, checks the format version and upgrades an older file in place. Runs
 * in one write transaction (`BEGIN IMMEDIATE`), so two processes opening a file at once agree: the
 * second waits and then sees the new format; a failing upgrade leaves the old format intact.
 * @throws NewerFormatError (from factstore/backend) for a file of a newer format, left unchanged
 */
export async function prepareSchema(db: Connection): Promise<void> {
  await db.transaction('IMMEDIATE', async () => {
    const meta = await db.get(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'factstore_meta'`);
    if (meta) {
      // check before touching anything: a newer file is refused, never changed
      const row = await db.get<{ value: string }>(`SELECT value FROM factstore_meta WHERE key = 'format_version'`);
      const version = checkFormat(row?.value, FORMAT_VERSION, 'the file');
      await upgradeFormat(version, FORMAT_VERSION, UPGRADES(db));
    }
    await db.exec(SCHEMA);
    await db.run(
      `INSERT INTO factstore_meta (key, value) VALUES ('format_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [String(FORMAT_VERSION)],
    );
  });
}
