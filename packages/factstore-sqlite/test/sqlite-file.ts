import sqlite3 from 'sqlite3';

/** Answers the rows of one statement on a connection of {@link withDatabase}. */
export type All = <R>(statement: string, params?: unknown[]) => Promise<R[]>;

/**
 * Runs statements on one connection to a database file (not through factstore), for inspecting and
 * breaking it; `create: false` refuses a file that is not there rather than making an empty one.
 */
export async function withDatabase<T>(path: string, use: (all: All) => Promise<T>, { create = true } = {}): Promise<T> {
  const mode = create ? sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE : sqlite3.OPEN_READWRITE;
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened = new sqlite3.Database(path, mode, (error) => (error ? reject(error) : resolve(opened)));
  });
  try {
    db.configure('busyTimeout', 5000);
    return await use(
      (statement, params = []) =>
        new Promise((resolve, reject) => db.all(statement, params, (error, rows) => (error ? reject(error) : resolve(rows as never)))),
    );
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

/** Runs one SQL statement directly on a database file (not through factstore). */
export function sql<T = Record<string, unknown>>(path: string, statement: string, params: unknown[] = []): Promise<T[]> {
  return withDatabase(path, (all) => all<T>(statement, params));
}
