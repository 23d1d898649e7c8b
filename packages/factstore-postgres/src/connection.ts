import postgres, { type Options, type PostgresType, type Sql, type TransactionSql } from 'postgres';

/** What `PostgresStore.connect` accepts: a connection URL, postgres.js options, or a postgres.js instance. */
export type PostgresConnection = string | Options<Record<string, PostgresType>> | Sql;

/** Something that runs SQL: the pool, or a transaction. */
export type Runner = Sql | TransactionSql;

/** A parameter as the store binds it: positions go as decimal text (cast to `bigint` in the SQL). */
export type Param = string | number | string[] | number[] | Date;

/** Whether a value is a postgres.js instance (a tagged-template function with `begin`). */
export function isSql(value: unknown): value is Sql {
  return typeof value === 'function' && typeof (value as Sql).begin === 'function';
}

/**
 * The postgres.js pool a store uses: the caller's own instance as it is (`owned` false: `close()`
 * leaves it open), or a new one from a URL or options, with `bigint` columns read as `bigint` and
 * notices silenced (`owned` true).
 */
export function openConnection(connection: PostgresConnection): { sql: Sql; owned: boolean } {
  if (isSql(connection)) return { sql: connection, owned: false };
  const types = { bigint: postgres.BigInt };
  if (typeof connection === 'string') return { sql: postgres(connection, { types, onnotice: () => {} }), owned: true };
  return { sql: postgres({ onnotice: () => {}, ...connection, types }), owned: true };
}
