import type { TransactionSql } from 'postgres';

/**
 * The transaction a `project` handler of {@link PostgresStore} gets: the postgres.js transaction
 * (`tx\`…\`` and `tx.unsafe(sql, params)`) that also saves the projection's cursor. Await every
 * statement, and use it only while the handler runs. A statement that fails aborts the whole
 * transaction in PostgreSQL: catching its error inside the handler does not save the batch (the
 * cursor save after the handler fails, and the projection stops with `BACKEND_FAILURE`); use
 * `tx.savepoint` to recover from an expected failure.
 */
export type PostgresTransaction = TransactionSql;
