import postgres from 'postgres';

/** The test server: DATABASE_URL, set by tools/test-support/with-postgres.mjs when it was not given. */
export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url)
    throw new Error('DATABASE_URL is not set: run the tests with `pnpm test` (tools/test-support/with-postgres.mjs starts a server)');
  return url;
}

let counter = 0;
/** A schema name unique to this test file and run. */
export function freshSchema(tag = 't'): string {
  return `fs_${tag}_${process.pid}_${Date.now().toString(36)}_${++counter}`;
}

/**
 * For a test file: a function giving a fresh schema name for `tag`, each one dropped after all the
 * file's tests (registers the `afterAll`).
 */
export function schemasDroppedAfterAll(): (tag: string) => string {
  const schemas: string[] = [];
  afterAll(() => dropSchemas(schemas));
  return (tag) => {
    const name = freshSchema(tag);
    schemas.push(name);
    return name;
  };
}

/** Drops the given schemas. */
export async function dropSchemas(schemas: string[]): Promise<void> {
  if (schemas.length === 0) return;
  const sql = postgres(databaseUrl(), { onnotice: () => {}, max: 1 });
  try {
    for (const schema of schemas.splice(0)) await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Runs SQL directly (not through factstore). */
export async function sql<T = Record<string, unknown>>(statement: string, params: unknown[] = []): Promise<T[]> {
  const db = postgres(databaseUrl(), { onnotice: () => {}, max: 1, types: { bigint: postgres.BigInt } });
  try {
    return (await db.unsafe(statement, params as never[])) as unknown as T[];
  } finally {
    await db.end({ timeout: 5 });
  }
}
