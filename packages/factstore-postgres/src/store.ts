import { EventStoreBase } from 'factstore/backend';
import { PostgresBackend } from './backend.js';
import { describeConnectFailure } from './connect-failure.js';
import type { PostgresConnection } from './connection.js';
import { validateOptions, type PostgresStoreOptions } from './options.js';

/**
 * The PostgreSQL factstore: the whole contract on PostgreSQL, for several application instances
 * behind one database. Gapless numbering in commit order from a locked counter row, `appendIf`
 * checked after that lock, payload predicates through jsonb containment and a GIN index, streams
 * woken by NOTIFY across processes, durable names held by lease rows.
 *
 * @example
 * ```ts
 * import { PostgresStore } from 'factstore-postgres';
 *
 * const store = await PostgresStore.connect('postgres://app@localhost/app', { schema: 'facts' });
 * await store.append([{ eventType: 'account-opened', payload: { accountId: 'a1' } }]);
 * await store.close();
 * ```
 */
export class PostgresStore extends EventStoreBase {
  private constructor(backend: PostgresBackend, leaseMs: number) {
    super(backend, { leaseMs });
  }

  /**
   * Connects, creating the schema and its tables when missing.
   * @param connection a URL, postgres.js options, or an existing postgres.js instance (then
   *   `close()` leaves it open: it is yours)
   * @throws {@link InvalidInputError} for bad arguments, {@link BackendFailureError} (with `cause`)
   * when the server cannot be used or the schema is from a newer factstore.
   */
  static async connect(connection: PostgresConnection, options?: PostgresStoreOptions): Promise<PostgresStore> {
    const valid = validateOptions(connection, options);
    let backend: PostgresBackend;
    try {
      backend = await PostgresBackend.open(valid.connection, valid.options);
    } catch (error) {
      throw describeConnectFailure(error, valid.connection, valid.options.schema);
    }
    return new PostgresStore(backend, valid.options.leaseMs);
  }
}
