import sqlite3 from 'sqlite3';

/** Runs SQL directly on a database file (not through factstore), for inspecting and breaking it. */
export async function sql<T = Record<string, unknown>>(path: string, statement: string, params: unknown[] = []): Promise<T[]> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened = new sqlite3.Database(path, (error) => (error ? reject(error) : resolve(opened)));
  });
  try {
    db.configure('busyTimeout', 5000);
    return await new Promise<T[]>((resolve, reject) =>
      db.all(statement, params, (error, rows: T[]) => (error ? reject(error) : resolve(rows))),
    );
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

/** Checks the invariants of a log file: positions 1..N, batches whole and contiguous, cursors within. */
export async function checkLogInvariants(path: string): Promise<{ head: number; batches: number }> {
  const [stats] = await sql<{ count: number; head: number | null; min: number | null }>(
    path,
    'SELECT COUNT(*) AS count, MAX(seq) AS head, MIN(seq) AS min FROM events',
  );
  const head = stats?.head ?? 0;
  if (stats?.count !== head) throw new Error(`log has holes: ${stats?.count} events but head ${head}`);
  if (head > 0 && stats?.min !== 1) throw new Error(`log does not start at 1 (min ${stats?.min})`);
  const batches = await sql<{ first_seq: number; last_seq: number }>(path, 'SELECT first_seq, last_seq FROM batches ORDER BY first_seq');
  let next = 1;
  for (const batch of batches) {
    if (batch.first_seq !== next || batch.last_seq < batch.first_seq)
      throw new Error(`batch ${batch.first_seq}..${batch.last_seq} does not follow ${next - 1}`);
    next = batch.last_seq + 1;
  }
  if (next - 1 !== head) throw new Error(`batches end at ${next - 1} but events at ${head}`);
  const cursors = await sql<{ name: string; position: number }>(path, 'SELECT name, position FROM cursors');
  const ends = new Set([0, ...batches.map((b) => b.last_seq)]);
  for (const cursor of cursors) {
    if (!ends.has(cursor.position)) throw new Error(`cursor ${cursor.name} at ${cursor.position} is not at a batch end`);
  }
  const [integrity] = await sql<{ integrity_check: string }>(path, 'PRAGMA integrity_check');
  if (integrity?.integrity_check !== 'ok') throw new Error(`integrity_check: ${integrity?.integrity_check}`);
  return { head, batches: batches.length };
}
