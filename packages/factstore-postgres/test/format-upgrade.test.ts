import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { readBack } from '../../../tools/test-support/fixture-events.mjs';
import { PostgresStore } from '../src/index.js';
import { databaseUrl, dropSchemas, freshSchema, sql } from './database.js';
import { checkLogInvariants } from 'factstore-test-support';
import { postgresAdapter } from './adapter.js';

const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));

const dump = readFileSync(join(__dirname, 'fixtures', 'format-1.sql'), 'utf8');
const expected = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'format-1.expected.json'), 'utf8'));

/** The format-1 fixture (a pg_dump of a schema the format-1 release wrote) restored into a fresh schema. */
async function format1Schema(): Promise<string> {
  const schema = freshSchema('format1');
  schemas.push(schema);
  const db = postgres(databaseUrl(), { onnotice: () => {}, max: 1 });
  try {
    await db.unsafe(dump.replaceAll('fixture_format_1', schema));
  } finally {
    await db.end({ timeout: 5 });
  }
  return schema;
}

const format = async (schema: string) =>
  (await sql<{ value: string }>(`SELECT value FROM "${schema}".factstore_meta WHERE key = 'format_version'`))[0]?.value;
const columns = async (schema: string) =>
  (
    await sql<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'batches'`,
      [schema],
    )
  ).map((c) => c.column_name);

describe('PostgresStore connecting to a schema of an earlier format', () => {
  it('upgrades a format-1 schema in place: every record, batch boundary and cursor reads back as the old release wrote it', async () => {
    const schema = await format1Schema();
    expect(await format(schema)).toBe('1');
    const store = await PostgresStore.connect(databaseUrl(), { schema });
    expect(await readBack(store)).toEqual(expected);
    const keyed = await store.append([{ eventType: 'after-upgrade', payload: { n: 1 } }], { idempotencyKey: 'k' });
    expect(keyed.firstSequenceNumber).toBe(BigInt(expected.records.length + 1));
    expect(await store.append([{ eventType: 'after-upgrade', payload: { n: 1 } }], { idempotencyKey: 'k' })).toEqual(keyed);
    await store.close();
    expect(await format(schema)).toBe('2');
    expect(await columns(schema)).toContain('append_key');
    await checkLogInvariants(postgresAdapter, schema);
  });

  it('instances connecting to the old schema at once: one upgrades, the others wait and see the new format', async () => {
    const schema = await format1Schema();
    const stores = await Promise.all([0, 1, 2].map(() => PostgresStore.connect(databaseUrl(), { schema })));
    for (const store of stores) expect((await store.query({})).eventRecords).toHaveLength(expected.records.length);
    await Promise.all(stores.map((s) => s.close()));
    expect(await format(schema)).toBe('2');
  });

  it('a failing upgrade leaves the old format intact', async () => {
    const schema = await format1Schema();
    // something in the way of the upgrade: a table with the name of the index it creates
    await sql(`CREATE TABLE "${schema}".batches_append_key (x int)`);
    await expect(PostgresStore.connect(databaseUrl(), { schema })).rejects.toMatchObject({ code: 'BACKEND_FAILURE' });
    expect(await format(schema)).toBe('1');
    expect(await columns(schema)).not.toContain('append_key');
    expect((await sql<{ n: bigint }>(`SELECT COUNT(*) AS n FROM "${schema}".events`))[0]?.n).toBe(BigInt(expected.records.length));
  });
});
