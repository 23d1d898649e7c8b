import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import type { RawLog, StoreAdapter } from 'factstore-test-support';
import { PostgresStore, type PostgresStoreOptions } from '../src/index.js';
import { databaseUrl, freshSchema } from './database.js';

/** How the stores of an adapter connect, when not straight to the server: another URL, more options. */
export interface StoreRoute {
  /** The adapter's name in test titles. */
  name: string;
  /** The URL the stores (and the child processes' stores) connect to, read when a store opens. */
  url: () => string;
  /** Options besides the schema (JSON: child processes get them too). */
  options: Omit<PostgresStoreOptions, 'schema' | 'telemetry'>;
}

/**
 * The PostgreSQL store for the store test kit, on the server at `url`: a location is a fresh
 * schema there, dropped by `cleanup`. With `route`, the stores connect through another URL (a
 * pooler in front of the server) with more options; the raw reads still go to `url`.
 */
export function postgresAdapterAt(url: string, route?: StoreRoute): StoreAdapter {
  const storeUrl = route?.url ?? (() => url);
  const schemas: string[] = [];
  /** Runs `use` on one connection of its own, closed afterwards. */
  const connection = async <T>(use: (db: postgres.Sql) => Promise<T>): Promise<T> => {
    const db = postgres(url, { onnotice: () => {}, max: 1 });
    try {
      return await use(db);
    } finally {
      await db.end({ timeout: 5 });
    }
  };
  /** Reads in one read-only REPEATABLE READ transaction: one snapshot. */
  const snapshot = <T>(read: (tx: postgres.TransactionSql) => Promise<T>) =>
    connection((db) => db.begin('read only isolation level repeatable read', read) as Promise<T>);

  return {
    name: route?.name ?? 'PostgresStore',
    create: async (tag) => {
      const schema = freshSchema(tag.replace(/[^A-Za-z0-9]/g, '_').slice(0, 12));
      schemas.push(schema);
      return schema;
    },
    open: (schema) => PostgresStore.connect(storeUrl(), { ...route?.options, schema }),
    child: (schema) => ({
      module: pathToFileURL(join(__dirname, '..', 'dist', 'index.mjs')).href,
      exportName: 'PostgresStore',
      open: 'connect',
      args: [storeUrl(), { ...route?.options, schema }],
    }),
    raw: {
      read: (schema) =>
        snapshot(async (tx): Promise<RawLog> => {
          const s = `"${schema}"`;
          const events = await tx.unsafe(`SELECT seq::int AS position, event_type, payload::text AS payload FROM ${s}.events ORDER BY seq`);
          const batches = await tx.unsafe(`SELECT first_seq::int AS first, last_seq::int AS last FROM ${s}.batches ORDER BY first_seq`);
          const cursors = await tx.unsafe(`SELECT name, position::int AS position, holder FROM ${s}.cursors ORDER BY name`);
          const [head] = await tx.unsafe(`SELECT last_seq::int AS last FROM ${s}.head`);
          const last = events.at(-1)?.position ?? 0;
          return {
            events: events.map((e) => ({ position: e.position, eventType: e.event_type, payload: JSON.parse(e.payload) })),
            batches: batches.map((b) => ({ first: b.first, last: b.last })),
            cursors: cursors.map((c) => ({ name: c.name, position: c.position, holder: c.holder })),
            problems: head?.last === last ? [] : [`the head counter is ${head?.last} but the last position ${last}`],
          };
        }),
      removeBatchHistory: async (schema) => {
        const batches = await connection((db) => db.unsafe(`DELETE FROM "${schema}".batches RETURNING first_seq::text, last_seq::text`));
        return () =>
          connection(async (db) => {
            for (const b of batches) await db.unsafe(`INSERT INTO "${schema}".batches VALUES ($1, $2)`, [b.first_seq, b.last_seq]);
          });
      },
      markNewerFormat: (schema, version) =>
        connection(async (db) => {
          await db.unsafe(`UPDATE "${schema}".factstore_meta SET value = $1 WHERE key = 'format_version'`, [String(version)]);
          await db.unsafe(`DROP INDEX "${schema}".events_payload`);
        }),
      fingerprint: (schema) =>
        snapshot(async (tx) => {
          const tables = await tx`SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema} ORDER BY 1`;
          const columns =
            await tx`SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = ${schema} ORDER BY 1, 2`;
          const indexes = await tx`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = ${schema} ORDER BY 1`;
          const rows: Record<string, string[]> = {};
          for (const { table_name: name } of tables) {
            rows[name] = (await tx.unsafe(`SELECT row_to_json(t)::text AS row FROM "${schema}"."${name}" t`)).map((r) => r.row).sort();
          }
          return { columns: [...columns], indexes: [...indexes], rows };
        }),
    },
    cleanup: () =>
      connection(async (db) => {
        for (const schema of schemas.splice(0)) await db.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }),
  };
}

/** The kit's adapter on the test server (DATABASE_URL). */
export const postgresAdapter = postgresAdapterAt(databaseUrl());
