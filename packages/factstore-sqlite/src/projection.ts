import type { Connection, Param, Row } from './connection.js';

/** A value `SqliteTransaction` binds to a `?` placeholder; a `bigint` goes as an exact integer. */
export type SqliteValue = string | number | bigint | null;

/**
 * The transaction a `project` handler of {@link SqliteStore} gets: statements on the store's write
 * connection, inside the `BEGIN IMMEDIATE` transaction that also saves the projection's cursor.
 * Parameters are an array bound to `?` placeholders. Await every statement; the handle refuses
 * statements once its transaction has ended.
 *
 * @example
 * ```ts
 * await tx.run('INSERT INTO balances (account, amount) VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET amount = amount + excluded.amount', ['a1', 5]);
 * const row = await tx.get<{ amount: number }>('SELECT amount FROM balances WHERE account = ?', ['a1']);
 * ```
 */
export interface SqliteTransaction {
  /** Runs one statement; resolves with the number of rows it changed. */
  run(sql: string, params?: readonly SqliteValue[]): Promise<{ changes: number }>;
  /** The first row of one statement, or `undefined`. */
  get<T = Row>(sql: string, params?: readonly SqliteValue[]): Promise<T | undefined>;
  /** Every row of one statement. */
  all<T = Row>(sql: string, params?: readonly SqliteValue[]): Promise<T[]>;
}

/**
 * Runs `work` with a {@link SqliteTransaction} on `db`, whose transaction the caller has begun
 * and will end; the handle stops working when `work` settles.
 */
export async function runProjection(db: Connection, work: (tx: SqliteTransaction) => Promise<void>): Promise<void> {
  let open = true;
  const use = (params: readonly SqliteValue[] = []): Param[] => {
    if (!open) throw new Error('this projection transaction has ended: use tx only while the handler runs');
    return params.map(bind);
  };
  const tx: SqliteTransaction = {
    run: async (sql, params) => ({ changes: await db.run(sql, use(params)) }),
    get: async (sql, params) => db.get(sql, use(params)),
    all: async (sql, params) => db.all(sql, use(params)),
  };
  try {
    await work(tx);
  } finally {
    open = false;
  }
}

/** node-sqlite3 binds a bigint as NULL: bind it as a number when exact, else as its decimal text (INTEGER affinity keeps it exact). */
function bind(value: SqliteValue): Param {
  if (typeof value !== 'bigint') return value;
  return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
}
