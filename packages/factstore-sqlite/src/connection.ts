import sqlite3 from 'sqlite3';

/** A row as node-sqlite3 returns it. */
export type Row = Record<string, unknown>;

/** A parameter as node-sqlite3 binds it: never a bigint (it would bind NULL). */
export type Param = string | number | null;

/** How many prepared statements a connection keeps (least recently used ones are finalized). */
const STATEMENTS = 64;

/** Whether a driver error is SQLite's `SQLITE_BUSY` (another connection holds the lock). */
const isBusy = (error: unknown) => (error as { code?: unknown } | null)?.code === 'SQLITE_BUSY';

/**
 * How long a connection that has waited `waited` ms for the write lock sleeps before trying
 * again: 1–3 ms (jittered) at first, shrinking to about 1 ms (Node's shortest timer) once it has
 * waited 20 ms, so the longest waiters try most often (SQLite's own busy handler does the
 * opposite: it sleeps in growing steps up to 100 ms, and a process that has waited long loses
 * the lock to every newcomer).
 */
export function lockPause(waited: number): number {
  return 1 + Math.random() * 2 * Math.max(0, 1 - waited / 20);
}

/**
 * One SQLite connection with promises, and a queue for work that must not interleave with other
 * work on it (a transaction): node-sqlite3 runs statements of concurrent async flows on one
 * connection in arrival order, so two flows' transactions would mix without it.
 *
 * Statements are prepared once and kept (by SQL text): a one-off statement costs node-sqlite3
 * three trips through the thread pool (prepare, step, finalize), a kept one a single trip.
 * Every statement runs to completion (rows are read with `all`), so none holds a read snapshot
 * after it returns.
 */
export class Connection {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly statements = new Map<string, Promise<sqlite3.Statement>>();
  /** The longest total wait for the write lock, once {@link waitForWriteLock} was called. */
  private lockWaitMs: number | undefined;

  private constructor(private readonly db: sqlite3.Database) {}

  /** Opens (and creates, unless `readOnly`) the database file. */
  static open(path: string, readOnly = false): Promise<Connection> {
    const mode = readOnly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(path, mode, (error) => (error ? reject(error) : resolve(new Connection(db))));
    });
  }

  /** Sets how long a statement waits for another connection's lock before `SQLITE_BUSY`. */
  busyTimeout(ms: number): void {
    this.db.configure('busyTimeout', ms);
  }

  /**
   * Makes this connection wait for the file's write lock itself, for at most `ms` in all:
   * SQLite's busy handler is turned off, and `BEGIN IMMEDIATE` and {@link locked} statements
   * try again after {@link lockPause} until they get the lock or `ms` have passed (then they
   * fail with the last `SQLITE_BUSY`).
   */
  waitForWriteLock(ms: number): void {
    this.db.configure('busyTimeout', 0);
    this.lockWaitMs = ms;
  }

  /**
   * Runs `attempt` (one statement that takes the write lock: `BEGIN IMMEDIATE`, or a write
   * outside a transaction) again after each `SQLITE_BUSY`, as {@link waitForWriteLock} set up;
   * without it, once (SQLite's busy handler waits).
   */
  async locked<T>(attempt: () => Promise<T>): Promise<T> {
    const limit = this.lockWaitMs;
    if (limit === undefined) return attempt();
    const started = performance.now();
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        const waited = performance.now() - started;
        if (!isBusy(error) || waited >= limit) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(lockPause(waited), limit - waited)));
      }
    }
  }

  /** Runs one statement; resolves to the number of changed rows. */
  async run(sql: string, params: readonly Param[] = []): Promise<number> {
    const statement = await this.prepared(sql);
    return new Promise((resolve, reject) => {
      statement.run(params, function (this: sqlite3.RunResult, error: Error | null) {
        if (error) reject(error);
        else resolve(this.changes);
      });
    });
  }

  /** All rows of one statement. */
  async all<T = Row>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    const statement = await this.prepared(sql);
    return new Promise((resolve, reject) => {
      statement.all(params, (error: Error | null, rows: T[]) => (error ? reject(error) : resolve(rows)));
    });
  }

  /** The first row of one statement, or undefined (the statement runs to completion). */
  async get<T = Row>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  /** The kept statement for `sql`, prepared on first use; a statement that fails to prepare is not kept. */
  private prepared(sql: string): Promise<sqlite3.Statement> {
    let statement = this.statements.get(sql);
    if (statement) {
      // most recently used last
      this.statements.delete(sql);
      this.statements.set(sql, statement);
      return statement;
    }
    statement = new Promise<sqlite3.Statement>((resolve, reject) => {
      const prepared = this.db.prepare(sql, (error: Error | null) => (error ? reject(error) : resolve(prepared)));
    });
    statement.catch(() => this.statements.delete(sql));
    this.statements.set(sql, statement);
    if (this.statements.size > STATEMENTS) {
      const [oldest, evicted] = this.statements.entries().next().value as [string, Promise<sqlite3.Statement>];
      this.statements.delete(oldest);
      void evicted.then(
        (s) => s.finalize(),
        () => {},
      );
    }
    return statement;
  }

  /** Several statements without parameters. */
  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.db.exec(sql, (error: Error | null) => (error ? reject(error) : resolve()));
    });
  }

  /** Runs `work` when every earlier exclusive work on this connection has finished. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => {});
    return next;
  }

  /**
   * `work` inside `BEGIN <mode>` … `COMMIT`, exclusive on this connection; rolled back when it
   * throws. `IMMEDIATE` takes the write lock first, waiting for it as {@link locked} does.
   */
  transaction<T>(mode: 'DEFERRED' | 'IMMEDIATE', work: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      if (mode === 'IMMEDIATE') await this.locked(() => this.run('BEGIN IMMEDIATE'));
      else await this.run('BEGIN DEFERRED');
      try {
        const result = await work();
        await this.run('COMMIT');
        return result;
      } catch (error) {
        // SQLITE_FULL, IOERR, BUSY may have rolled the transaction back already
        await this.run('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  /** Closes the connection once its queued work is done. */
  close(): Promise<void> {
    return this.exclusive(async () => {
      const kept = [...this.statements.values()];
      this.statements.clear();
      await Promise.all(
        kept.map((statement) =>
          statement.then(
            (s) => new Promise<void>((resolve) => s.finalize(() => resolve())),
            () => {},
          ),
        ),
      );
      await new Promise<void>((resolve, reject) => {
        this.db.close((error) => (error ? reject(error) : resolve()));
      });
    });
  }
}
