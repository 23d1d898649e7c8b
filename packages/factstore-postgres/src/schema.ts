import { checkFormat, upgradeFormat } from 'factstore/backend';
import type { Sql } from 'postgres';

/**
 * The format this version writes and reads; a newer schema is refused, never changed, an older
 * one upgraded in place. 2: `batches.append_key` (the idempotency key or identity of each append,
 * unique).
 */
export const FORMAT_VERSION = 2;

/** A fixed advisory lock key that serialises schema creation between processes. */
const SCHEMA_LOCK = 7_286_001_517n;

/**
 * Creates the schema when missing: `events` (jsonb payload, GIN `jsonb_path_ops` index,
 * `(event_type, seq)` index), `batches` (with each append's unique `append_key`: `k:` + its
 * idempotency key or `i:` + an identity the store gave it, what a retry after a lost reply looks for), a one-row `head` counter that numbers events, `cursors`
 * (with the lease of the process holding each durable name),
 * and `factstore_meta` with the format version; upgrades a schema of an older format in place.
 * Runs in one transaction under an advisory lock, so two processes connecting at once agree (the
 * second waits, then sees the new format) and a failing upgrade leaves the old format intact.
 * @throws NewerFormatError (from factstore/backend) for a schema of a newer format, left unchanged
 */
export async function prepareSchema(db: Sql, schema: string): Promise<void> {
  const s = `"${schema}"`;
  await db.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK.toString()}::bigint)`;
    const [meta] = await tx`SELECT to_regclass(${`${s}.factstore_meta`}) AS meta`;
    if (meta?.meta) {
      const [row] = await tx.unsafe(`SELECT value FROM ${s}.factstore_meta WHERE key = 'format_version'`);
      const version = checkFormat(row?.value, FORMAT_VERSION, `schema ${schema}`);
      await upgradeFormat(version, FORMAT_VERSION, {
        1: async () => {
          await tx.unsafe(`ALTER TABLE ${s}.batches ADD COLUMN append_key text`);
          await tx.unsafe(`CREATE UNIQUE INDEX batches_append_key ON ${s}.batches (append_key)`);
        },
      });
    }
    await tx.unsafe(`
      CREATE SCHEMA IF NOT EXISTS ${s};
      CREATE TABLE IF NOT EXISTS ${s}.factstore_meta (key text PRIMARY KEY, value text NOT NULL);
      CREATE TABLE IF NOT EXISTS ${s}.events (
        seq bigint PRIMARY KEY,
        occurred_at timestamptz NOT NULL,
        event_type text NOT NULL,
        payload jsonb NOT NULL
      );
      CREATE INDEX IF NOT EXISTS events_type_seq ON ${s}.events (event_type, seq);
      CREATE INDEX IF NOT EXISTS events_payload ON ${s}.events USING gin (payload jsonb_path_ops) WITH (fastupdate = off);
      CREATE TABLE IF NOT EXISTS ${s}.batches (first_seq bigint PRIMARY KEY, last_seq bigint NOT NULL, append_key text);
      CREATE UNIQUE INDEX IF NOT EXISTS batches_append_key ON ${s}.batches (append_key);
      CREATE TABLE IF NOT EXISTS ${s}.head (id int PRIMARY KEY CHECK (id = 1), last_seq bigint NOT NULL);
      INSERT INTO ${s}.head (id, last_seq) VALUES (1, 0) ON CONFLICT DO NOTHING;
      CREATE TABLE IF NOT EXISTS ${s}.cursors (name text PRIMARY KEY, query text NOT NULL, position bigint NOT NULL, holder text, heartbeat timestamptz);
      INSERT INTO ${s}.factstore_meta (key, value) VALUES ('format_version', '${FORMAT_VERSION}') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
    `);
  });
}
