import { BackendFailureError, InvalidInputError } from 'factstore';
import { EventStoreBase } from 'factstore/backend';
import postgres, { type Options, type PostgresType, type Sql } from 'postgres';
import { validateOptions, type PostgresStoreOptions } from './options.js';
import { PostgresBackend } from './postgres-backend.js';
import { prepareSchema } from './schema.js';

/** What `connect` accepts: a connection URL, postgres.js options, or a postgres.js instance. */
export type PostgresConnection = string | Options<Record<string, PostgresType>> | Sql;

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
  private constructor(backend: PostgresBackend) {
    super(backend);
  }

  /**
   * Connects, creating the schema and its tables when missing.
   * @param connection a URL, postgres.js options, or an existing postgres.js instance (then
   *   `close()` leaves it open: it is yours)
   * @throws {@link InvalidInputError} for bad arguments, {@link BackendFailureError} (with `cause`)
   * when the server cannot be used or the schema is from a newer factstore.
   */
  static async connect(connection: PostgresConnection, options?: PostgresStoreOptions): Promise<PostgresStore> {
    const valid = validateOptions(options);
    let sql: Sql;
    let owned = true;
    if (typeof connection === 'function' && typeof (connection as Sql).begin === 'function') {
      sql = connection as Sql;
      owned = false;
    } else if (typeof connection === 'string' && connection.length > 0) {
      sql = postgres(connection, { types: { bigint: postgres.BigInt }, onnotice: () => {} });
    } else if (typeof connection === 'object' && connection !== null && !Array.isArray(connection)) {
      sql = postgres({ onnotice: () => {}, ...(connection as Options<Record<string, PostgresType>>), types: { bigint: postgres.BigInt } });
    } else {
      throw new InvalidInputError([
        { path: 'connection', message: 'must be a connection URL, postgres.js options, or a postgres.js instance' },
      ]);
    }
    try {
      await prepareSchema(sql, valid.schema);
    } catch (error) {
      if (owned) await sql.end({ timeout: 1 }).catch(() => {});
      throw new BackendFailureError(`cannot use PostgreSQL schema ${JSON.stringify(valid.schema)}`, error);
    }
    return new PostgresStore(new PostgresBackend(sql, valid, owned));
  }
}
