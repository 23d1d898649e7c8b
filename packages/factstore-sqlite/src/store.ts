import { resolve } from 'node:path';
import { BackendFailureError, type EventQuery, type EventStream, type ProjectHandler, type StreamOptions } from 'factstore';
import { EventStoreBase } from 'factstore/backend';
import { SqliteBackend } from './backend.js';
import { validateOptions, type SqliteStoreOptions } from './options.js';
import type { SqliteTransaction } from './projection.js';

/**
 * The SQLite factstore: the whole contract in one file, persistent, safe for several processes
 * on one machine. Writes go through one connection per process in `BEGIN IMMEDIATE`
 * transactions; streams see the commits of other processes within a poll interval.
 *
 * @example
 * ```ts
 * import { SqliteStore } from 'factstore-sqlite';
 *
 * const store = await SqliteStore.open('data/facts.db');
 * await store.append([{ eventType: 'account-opened', payload: { accountId: 'a1' } }]);
 * await store.close();
 * ```
 */
export class SqliteStore extends EventStoreBase {
  /** The absolute path of the database file. */
  readonly path: string;

  private constructor(backend: SqliteBackend, options: Required<SqliteStoreOptions>) {
    super(backend, options);
    this.path = backend.path;
  }

  /**
   * Opens the store in the file at `path`, creating missing folders, the file and its tables.
   * @throws {@link InvalidInputError} for bad arguments, {@link BackendFailureError} (with `cause`)
   * when the file cannot be used: a place that cannot be written, a file that is not SQLite, a
   * file written by a newer factstore.
   */
  static async open(path: string, options?: SqliteStoreOptions): Promise<SqliteStore> {
    const valid = validateOptions(path, options);
    let backend: SqliteBackend;
    try {
      backend = await SqliteBackend.open(valid.path, valid.options);
    } catch (error) {
      throw new BackendFailureError(`cannot open SQLite file ${resolve(valid.path)}`, error);
    }
    return new SqliteStore(backend, valid.options);
  }

  /**
   * Builds a read model exactly once: a durable stream (replay after the stored cursor, then live;
   * one holder per name; the semantics and failures of `streamToDurable`) whose handler writes
   * through `tx`, the store's write transaction, in which the cursor is saved after the handler
   * returns. Read-model rows and cursor commit together or not at all: a failing handler rolls both
   * back, then the stream fails as a durable stream does (during replay the registration rejects
   * with `DurableReplayError`; live it stops and `onError` runs). A holder that lost the name
   * commits nothing. The handler holds the file's write lock while it runs: keep it short.
   *
   * Inside the handler, `append`, `appendIf` and durable registrations on this store are refused
   * with `ProjectionReentryError`; `query` and live streams work.
   *
   * @param name the durable name (its cursor and lease are those of a durable stream of that name)
   * @param query which records the handler gets; the name's stored query must match it
   * @param handler `(batch, tx) => Promise<void>`, `tx` a {@link SqliteTransaction}
   * @param options `onError`, as for every stream
   * @throws {@link InvalidInputError} for bad arguments, before anything is stored;
   * {@link DurableStreamActiveError}, {@link DurableStreamQueryMismatchError}, {@link DurableReplayError}
   * as `streamToDurable` does
   *
   * @example
   * ```ts
   * await store.project('balances', { filters: [{ eventTypes: ['money-deposited'] }] }, async (batch, tx) => {
   *   for (const record of batch) {
   *     const { accountId, amount } = record.payload as { accountId: string; amount: number };
   *     await tx.run('INSERT INTO balances (account, amount) VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET amount = amount + excluded.amount', [accountId, amount]);
   *   }
   * });
   * ```
   */
  project(name: string, query: EventQuery, handler: ProjectHandler<SqliteTransaction>, options?: StreamOptions): Promise<EventStream> {
    return this.registerProjection(name, query, handler, options);
  }
}
