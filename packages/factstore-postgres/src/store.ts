import type { EventQuery, EventStream, ProjectHandler, StreamOptions } from 'factstore';
import { EventStoreBase } from 'factstore/backend';
import { PostgresBackend } from './backend.js';
import { describeConnectFailure } from './connect-failure.js';
import type { PostgresConnection } from './connection.js';
import { validateOptions, type PostgresStoreOptions, type ValidPostgresStoreOptions } from './options.js';
import type { PostgresTransaction } from './projection.js';

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
  private constructor(backend: PostgresBackend, options: ValidPostgresStoreOptions) {
    super(backend, options);
  }

  /**
   * Connects, creating the schema and its tables when missing.
   * @param connection a URL, postgres.js options, or an existing postgres.js instance (then
   *   `close()` leaves it open: it is yours)
   * @param options behind a transaction-mode pooler (PgBouncer `pool_mode = transaction`, managed
   *   poolers), `poolMode: 'transaction'`, and a direct `listenUrl` for LISTEN
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
    return new PostgresStore(backend, valid.options);
  }

  /**
   * Builds a read model exactly once: a durable stream (replay after the stored cursor, then live;
   * one holder per name; the semantics and failures of `streamToDurable`) whose handler writes
   * through `tx`, a postgres.js transaction in which the cursor is saved after the handler returns.
   * Read-model rows and cursor commit together or not at all: a failing handler rolls both back,
   * then the stream fails as a durable stream does (during replay the registration rejects with
   * `DurableReplayError`; live it stops and `onError` runs). A holder that lost the name commits
   * nothing: the transaction checks the hold first and locks the name's cursor row until it ends.
   *
   * Inside the handler, `append`, `appendIf` and durable registrations on this store are refused
   * with `ProjectionReentryError` (they would commit apart from the projection); `query` and live
   * streams work, on other connections of the pool.
   *
   * @param name the durable name (its cursor and lease are those of a durable stream of that name)
   * @param query which records the handler gets; the name's stored query must match it
   * @param handler `(batch, tx) => Promise<void>`, `tx` a {@link PostgresTransaction}
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
   *     await tx`INSERT INTO balances (account, amount) VALUES (${accountId}, ${amount})
   *              ON CONFLICT (account) DO UPDATE SET amount = balances.amount + excluded.amount`;
   *   }
   * });
   * ```
   */
  project(name: string, query: EventQuery, handler: ProjectHandler<PostgresTransaction>, options?: StreamOptions): Promise<EventStream> {
    return this.registerProjection(name, query, handler, options);
  }
}
