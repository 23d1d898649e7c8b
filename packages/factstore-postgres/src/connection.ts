import postgres, { type Options, type PostgresType, type Sql, type TransactionSql } from 'postgres';

/** What `PostgresStore.connect` accepts: a connection URL, postgres.js options, or a postgres.js instance. */
export type PostgresConnection = string | Options<Record<string, PostgresType>> | Sql;

/**
 * Query options of the store's fixed statements: named prepared statements, so a repeated
 * statement is one round trip (Bind/Execute) instead of two (postgres.js describes an unprepared
 * statement with parameters before it binds it). Statements whose text depends on the query's
 * shape stay unprepared. A pool created with `prepare: false` (for transaction poolers) turns it off.
 */
export const PREPARED = { prepare: true } as const;

/** Something that runs SQL: the pool, or a transaction. */
export type Runner = Sql | TransactionSql;

/**
 * A parameter as the store binds it: positions go as decimal text (cast to `bigint` in the SQL),
 * arrays as array literals ({@link arrayLiteral}, cast to `text[]` or `int[]` in the SQL).
 */
export type Param = string | number | Date;

/**
 * An array as a PostgreSQL array literal (`{"a","b"}`, `{1,2}`), bound as text and cast in the
 * SQL. The store serializes arrays itself so that it needs no array types from the server: its
 * own pools connect with `fetch_types: false`, which takes the driver's type query (whose failure
 * during a connection's startup escapes as an unhandled rejection) out of every connect.
 */
export function arrayLiteral(values: readonly (string | number)[]): string {
  let literal = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string | number;
    if (i > 0) literal += ',';
    literal += typeof value === 'number' ? String(value) : `"${value.replace(/["\\]/g, '\\$&')}"`;
  }
  return `${literal}}`;
}

/**
 * JSON texts (payloads, each from `JSON.stringify`) as one JSON array text, bound as text, cast to
 * `jsonb` and split by `jsonb_array_elements` in the SQL: an array literal of JSON texts
 * ({@link arrayLiteral}) would escape every quote of every payload first (a batch of 100 appended
 * in 1.18× the raw driver's time that way, 1.02× this way).
 */
export function jsonArray(texts: readonly string[]): string {
  return `[${texts.join(',')}]`;
}

/**
 * A statement with its parameters written into its text as literals (`$n` becomes the `n`-th
 * value), for statements that must be planned for their values anyway (jsonb containment, see
 * `SqlPlan.containment`). Sent without parameters, postgres.js runs it with the simple protocol:
 * one round trip, where an unprepared statement with parameters takes two (a describe, then the
 * bind). The server receives the same text values either way; the store's statements have no `$`
 * other than their placeholders (identifiers are plain, see the `schema` option).
 * @throws Error for a value {@link literal} does not write
 */
export function inlineParams(text: string, params: readonly Param[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => literal(params[Number(n) - 1]));
}

/**
 * A parameter as a SQL literal: text as an escape string (`E'…'`, every backslash and quote
 * doubled, so it means the same whatever `standard_conforming_strings` says), a safe integer as
 * its digits. Text is UTF-8 on the wire, where no byte of a multi-byte character is a quote or a
 * backslash.
 * @throws Error for a Date, a missing value, a number that is not a safe integer, or text with
 *   `\u0000` (validation refuses it in events and queries; a statement must never be cut short)
 */
export function literal(value: Param | undefined): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`${value} is not written into a statement: not a safe integer`);
    return String(value);
  }
  if (typeof value !== 'string') throw new Error('only text and integers are written into a statement');
  if (value.includes('\u0000')) throw new Error('text with \\u0000 is not written into a statement');
  return `E'${value.replace(/[\\']/g, '$&$&')}'`;
}

/** Whether a value is a postgres.js instance (a tagged-template function with `begin`). */
export function isSql(value: unknown): value is Sql {
  return typeof value === 'function' && typeof (value as Sql).begin === 'function';
}

/**
 * The postgres.js pool a store uses: the caller's own instance as it is (`owned` false: `close()`
 * leaves it open), or a new one from a URL or options (`owned` true) with `bigint` columns read as
 * `bigint`, notices silenced, the driver's `connect_timeout` from `connectTimeoutMs`,
 * `fetch_types: false` (the store binds arrays as literals, see {@link arrayLiteral}), commit
 * times read by {@link commitTimes}, and, behind a transaction-mode pooler, `prepare: false` (a
 * named prepared statement lives in one server session, and the pooler hands the next transaction
 * to another).
 */
export function openConnection(
  connection: PostgresConnection,
  options: { connectTimeoutMs: number; poolMode: 'session' | 'transaction' },
): { sql: Sql; owned: boolean } {
  if (isSql(connection)) return { sql: connection, owned: false };
  const fixed = {
    types: { bigint: postgres.BigInt, timestamptz: commitTimes() },
    fetch_types: false,
    connect_timeout: driverSeconds(options.connectTimeoutMs),
    ...(options.poolMode === 'transaction' && { prepare: false }),
  };
  if (typeof connection === 'string') return { sql: postgres(connection, { onnotice: () => {}, ...fixed }), owned: true };
  return { sql: postgres({ onnotice: () => {}, ...connection, ...fixed }), owned: true };
}

/**
 * How the store's own pools read `timestamptz` (the commit time of every event row): as the driver
 * does (`new Date(text)`), except that a value equal to the previous one read gives the previous
 * `Date`. The events of a batch share one commit time, so a replay parses one date a batch
 * instead of one an event and keeps one `Date` a batch, as an append's records share one.
 * Written values are serialized as the driver serializes them.
 */
export function commitTimes(): PostgresType<Date> {
  let text = '';
  let date = new Date(0);
  return {
    to: TIMESTAMPTZ,
    from: [TIMESTAMPTZ],
    serialize: (value: Date | string | number) => (value instanceof Date ? value : new Date(value)).toISOString(),
    parse: (value: string) => {
      if (value !== text) {
        date = new Date(value);
        text = value;
      }
      return date;
    },
  };
}

/** The type oid of `timestamptz`. */
const TIMESTAMPTZ = 1184;

/**
 * The postgres.js instance for LISTEN only (`listenUrl`): its `listen` holds one connection of
 * its own, and nothing else runs on it; always the store's, ended at `close()`.
 */
export function openListener(url: string, connectTimeoutMs: number): Sql {
  return postgres(url, { onnotice: () => {}, max: 1, fetch_types: false, connect_timeout: driverSeconds(connectTimeoutMs) });
}

/** A bound in ms as the driver's whole seconds (`connect_timeout`), at least 1. */
function driverSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * Ends a pool within `ms`: in-flight queries get until the bound, then their connections are
 * terminated; a pool whose end does not settle by then (a server that never answers) is abandoned.
 */
export async function endPool(sql: Sql, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    sql.end({ timeout: ms / 2000 }).catch(() => {}),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms).unref())),
  ]);
  clearTimeout(timer);
}
