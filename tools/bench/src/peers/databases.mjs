// Throwaway databases for the peers: each peer gets a database of its own per store it opens (its
// tables have fixed names), created on the bench's server and dropped at the end of the run.
import postgres from 'postgres';
import { databaseUrl } from '../stores/postgres.mjs';

const created = [];
let counter = 0;

/** A URL of a new, empty database on the bench's server, named after `peer`. */
export async function freshDatabase(peer) {
  const name = `bench_${peer}_${process.pid}_${++counter}`;
  const admin = postgres(databaseUrl, { onnotice: () => {}, max: 1 });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  await admin.end();
  created.push(name);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops every database {@link freshDatabase} created (their pools must be closed first). */
export async function dropDatabases() {
  const admin = postgres(databaseUrl, { onnotice: () => {}, max: 1 });
  for (const name of created.splice(0)) await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}

/** Updates the planner statistics of the database at `url`, as autovacuum would after a load. */
export async function analyze(url) {
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  await sql.unsafe('ANALYZE');
  await sql.end();
}
