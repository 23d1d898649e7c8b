// The PostgreSQL store and its baseline: the raw postgres.js driver doing the same work with no
// factstore code: a counter-row CTE insert per append (one round trip), reads through jsonb
// containment and the same indexes. Uses DATABASE_URL, or starts a throwaway server.
import { startEmbeddedPostgres } from '../../../test-support/embedded-postgres.mjs';
import postgres from 'postgres';
import { PostgresStore } from 'factstore-postgres';

export const name = 'postgres';

let url = process.env.DATABASE_URL;
let started;
if (!url) {
  started = await startEmbeddedPostgres({ tag: 'bench-pg' });
  url = started.url;
}
export const databaseUrl = url;

/** Stops the throwaway server this module started (none with DATABASE_URL); its child process would keep the run from exiting. */
export async function stop() {
  const server = started;
  started = undefined;
  await server?.remove();
}

let counter = 0;
const schemas = [];
const fresh = () => {
  const schema = `bench_${process.pid}_${++counter}`;
  schemas.push(schema);
  return schema;
};

const locations = new WeakMap();

/** A fresh store in a new schema. */
export async function open() {
  const schema = fresh();
  const store = await PostgresStore.connect(url, { schema });
  locations.set(store, schema);
  return store;
}

/** Where a store is, for another process to open the same one. */
export const locate = (store) => locations.get(store);

/** Opens the store at a location from {@link locate} (in another process). */
export const openAt = (schema) => PostgresStore.connect(url, { schema });

/** The same work with the raw driver, in a new schema. */
export async function openBaseline() {
  const schema = fresh();
  const sql = postgres(url, { onnotice: () => {}, types: { bigint: postgres.BigInt } });
  const s = `"${schema}"`;
  await sql.unsafe(`CREATE SCHEMA ${s};
    CREATE TABLE ${s}.events (seq bigint PRIMARY KEY, occurred_at timestamptz NOT NULL, event_type text NOT NULL, payload jsonb NOT NULL);
    CREATE INDEX ON ${s}.events (event_type, seq);
    CREATE INDEX ON ${s}.events USING gin (payload jsonb_path_ops) WITH (fastupdate = off);
    CREATE TABLE ${s}.batches (first_seq bigint PRIMARY KEY, last_seq bigint NOT NULL);
    CREATE TABLE ${s}.head (id int PRIMARY KEY, last_seq bigint NOT NULL);
    INSERT INTO ${s}.head VALUES (1, 0);`);
  return {
    schema,
    append: (events) =>
      sql.unsafe(
        `WITH h AS (UPDATE ${s}.head SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq - $1 AS base),
              ins AS (INSERT INTO ${s}.events SELECT h.base + x.ord, $2, x.t, x.p::jsonb FROM h, unnest($3::text[], $4::text[]) WITH ORDINALITY AS x(t, p, ord)),
              bt AS (INSERT INTO ${s}.batches SELECT h.base + 1, h.base + $1 FROM h)
         SELECT h.base FROM h`,
        [events.length, new Date(), events.map((e) => e.eventType), events.map((e) => JSON.stringify(e.payload))],
      ),
    contextQuery: (eventType, accountId) =>
      sql.unsafe(
        `SELECT seq, occurred_at, event_type, payload FROM ${s}.events WHERE event_type = $1 AND payload @> $2::text::jsonb ORDER BY seq`,
        [eventType, JSON.stringify({ accountId })],
      ),
    newest: (eventType, accountId, count) =>
      sql.unsafe(
        `SELECT seq, occurred_at, event_type, payload FROM ${s}.events WHERE event_type = $1 AND payload @> $2::text::jsonb ORDER BY seq DESC LIMIT $3`,
        [eventType, JSON.stringify({ accountId }), count],
      ),
    async replay(onBatch) {
      for (let after = 0n; ;) {
        const rows = await sql.unsafe(
          `SELECT seq, occurred_at, event_type, payload FROM ${s}.events WHERE seq > $1 ORDER BY seq LIMIT 1000`,
          [after.toString()],
        );
        if (rows.length === 0) return;
        for (let i = 0; i < rows.length; i += 100) onBatch(rows.slice(i, i + 100));
        after = rows[rows.length - 1].seq;
      }
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

/** The server's buffer cache beside the size of factstore's events table (indexes included), for the scaling rows. */
export async function footprint(store) {
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  try {
    const [{ shared_buffers }] = await sql`SELECT current_setting('shared_buffers') AS shared_buffers`;
    const [{ size }] = await sql.unsafe(`SELECT pg_size_pretty(pg_total_relation_size('"${locations.get(store)}".events')) AS size`);
    return `shared_buffers ${shared_buffers}, events table ${size}`;
  } finally {
    await sql.end();
  }
}

/** Updates the planner statistics of every benchmark schema, as autovacuum would. */
export async function analyze() {
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  for (const schema of schemas) await sql.unsafe(`ANALYZE "${schema}".events`).catch(() => {});
  await sql.end();
}

/**
 * Reads the tables and indexes of a store's schema and of its baseline's once into the OS page
 * cache (`pg_prewarm` in its `read` mode), so that neither side's reads depend on which was written
 * last (the scaling workload, before its reads at each size). False when the server has no
 * `pg_prewarm`.
 */
export async function warm(store, baseline) {
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  try {
    await sql`CREATE EXTENSION IF NOT EXISTS pg_prewarm`;
    for (const schema of [locations.get(store), baseline.schema]) {
      const relations = await sql.unsafe(
        `SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'i')`,
        [schema],
      );
      for (const { name } of relations) await sql.unsafe(`SELECT pg_prewarm($1::regclass, 'read')`, [name]);
    }
    return true;
  } catch {
    return false;
  } finally {
    await sql.end();
  }
}

/** Drops the benchmark schemas. */
export async function cleanUp() {
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  for (const schema of schemas.splice(0)) await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await sql.end();
}
