import { sql } from './database.js';

/** Checks a schema's log: positions 1..N, batches whole and contiguous, head counter = N, cursors at batch ends. */
export async function checkLogInvariants(schema: string): Promise<{ head: number; batches: { first: number; last: number }[] }> {
  const s = `"${schema}"`;
  const [stats] = await sql<{ count: bigint; head: bigint | null; min: bigint | null }>(
    `SELECT COUNT(*) AS count, MAX(seq) AS head, MIN(seq) AS min FROM ${s}.events`,
  );
  const head = Number(stats?.head ?? 0);
  if (Number(stats?.count) !== head) throw new Error(`log has holes: ${stats?.count} events but head ${head}`);
  if (head > 0 && Number(stats?.min) !== 1) throw new Error('log does not start at 1');
  const [counter] = await sql<{ last_seq: bigint }>(`SELECT last_seq FROM ${s}.head`);
  if (Number(counter?.last_seq) !== head) throw new Error(`head counter ${counter?.last_seq} but events end at ${head}`);
  const rows = await sql<{ first_seq: bigint; last_seq: bigint }>(`SELECT first_seq, last_seq FROM ${s}.batches ORDER BY first_seq`);
  const batches = rows.map((r) => ({ first: Number(r.first_seq), last: Number(r.last_seq) }));
  let next = 1;
  for (const batch of batches) {
    if (batch.first !== next || batch.last < batch.first)
      throw new Error(`batch ${batch.first}..${batch.last} does not follow ${next - 1}`);
    next = batch.last + 1;
  }
  if (next - 1 !== head) throw new Error(`batches end at ${next - 1} but events at ${head}`);
  const ends = new Set([0, ...batches.map((b) => b.last)]);
  for (const cursor of await sql<{ name: string; position: bigint }>(`SELECT name, position FROM ${s}.cursors`)) {
    if (!ends.has(Number(cursor.position))) throw new Error(`cursor ${cursor.name} at ${cursor.position} is not at a batch end`);
  }
  return { head, batches };
}
