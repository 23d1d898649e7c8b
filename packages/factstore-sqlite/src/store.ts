import { resolve } from 'node:path';
import { BackendFailureError } from 'factstore';
import { EventStoreBase } from 'factstore/backend';
import { SqliteBackend } from './backend.js';
import { validateOptions, type SqliteStoreOptions } from './options.js';

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

  private constructor(backend: SqliteBackend, leaseMs: number) {
    super(backend, { leaseMs });
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
    return new SqliteStore(backend, valid.options.leaseMs);
  }
}
