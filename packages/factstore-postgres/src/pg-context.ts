import { type JsonValue } from 'factstore';
import {
  compileMatcher,
  readContextVersions,
  type CandidateRows,
  type EventMatcher,
  type GroupContext,
  type ValidQuery,
} from 'factstore/backend';
import type { Sql, TransactionSql } from 'postgres';
import { toRecord, type EventRow } from './rows.js';

/** Something that runs SQL: the pool, a transaction, a reserved connection. */
export type Runner = Sql | TransactionSql;

/**
 * A query turned into SQL: `where` narrows the rows with `event_type = ANY(…)` and jsonb
 * containment (`payload @> …`, answered by the GIN index), never dropping a match. Containment says
 * more than the contract (a top-level array contains a scalar), so unless `exact`, the
 * contract's matcher checks every row.
 */
export interface PgPlan {
  readonly where: string;
  readonly params: (string | string[])[];
  readonly exact: boolean;
  readonly matcher: EventMatcher;
}

const ROW = 'seq, occurred_at, event_type, payload';

/** Plans a query (see {@link PgPlan}). `$n` placeholders start after `offset` parameters. */
export function planQuery(query: ValidQuery, offset = 0, matcher: EventMatcher = compileMatcher(query)): PgPlan {
  const filters = query.filters;
  if (filters === undefined || filters.length === 0) return { where: 'true', params: [], exact: true, matcher };
  const params: (string | string[])[] = [];
  const param = (value: string | string[]) => {
    params.push(value);
    return `$${offset + params.length}`;
  };
  const terms: string[] = [];
  let exact = true;
  for (const filter of filters) {
    const types = filter.eventTypes;
    const predicates = filter.payloadPredicates;
    if (types?.length === 0 || predicates?.length === 0) continue;
    const parts: string[] = [];
    if (types !== undefined) parts.push(`event_type = ANY(${param([...types])}::text[])`);
    if (predicates !== undefined) {
      exact = false;
      parts.push(`(${predicates.map((p) => `payload @> ${param(JSON.stringify(p))}::text::jsonb`).join(' OR ')})`);
    }
    if (parts.length === 0) return { where: 'true', params: [], exact, matcher };
    terms.push(parts.join(' AND '));
  }
  if (terms.length === 0) return { where: 'false', params: [], exact: true, matcher };
  return { where: terms.map((t) => `(${t})`).join(' OR '), params, exact, matcher };
}

/** The candidate rows of a plan (placeholders from `$1`), for the contract's reads (`readQuery`, `readContextVersion`). */
export function candidates(db: Runner, events: string, plan: PgPlan): CandidateRows {
  const none = plan.where === 'false';
  const next = `$${plan.params.length + 1}`;
  const then = `$${plan.params.length + 2}`;
  const read = async (sql: string, params: unknown[]) =>
    Array.from((await db.unsafe(sql, params as never[])) as unknown as EventRow[], toRecord);
  return {
    exact: plan.exact,
    async highest() {
      if (none) return null;
      const [row] = await db.unsafe(`SELECT MAX(seq) AS head FROM ${events} WHERE ${plan.where}`, plan.params);
      return row?.head === null || row?.head === undefined ? null : BigInt(row.head);
    },
    async before(below, count) {
      if (none) return [];
      if (below === null)
        return read(`SELECT ${ROW} FROM ${events} WHERE ${plan.where} ORDER BY seq DESC LIMIT ${next}`, [...plan.params, count]);
      return read(`SELECT ${ROW} FROM ${events} WHERE (${plan.where}) AND seq < ${next}::bigint ORDER BY seq DESC LIMIT ${then}`, [
        ...plan.params,
        below.toString(),
        count,
      ]);
    },
    async after(after, count) {
      if (none) return [];
      return read(`SELECT ${ROW} FROM ${events} WHERE (${plan.where}) AND seq > ${next}::bigint ORDER BY seq LIMIT ${then}`, [
        ...plan.params,
        after.toString(),
        count,
      ]);
    },
  };
}

/** The context versions of several queries: the newest candidates of every query read by one statement (a `UNION ALL` arm each). */
export function contextVersions(db: Runner, events: string, contexts: readonly GroupContext[]): Promise<(bigint | null)[]> {
  return readContextVersions(
    contexts.map(({ query, matcher }) => ({ rows: candidates(db, events, planQuery(query, 0, matcher)), matcher })),
    async (sizes) => {
      const arms: string[] = [];
      const params: (string | string[])[] = [];
      contexts.forEach(({ query, matcher }, k) => {
        const plan = planQuery(query, params.length, matcher);
        if (plan.where === 'false') return;
        arms.push(`(SELECT ${k} AS k, seq, event_type, payload FROM ${events} WHERE ${plan.where} ORDER BY seq DESC LIMIT ${sizes[k]})`);
        params.push(...plan.params);
      });
      const rows =
        arms.length === 0
          ? []
          : ((await db.unsafe(arms.join(' UNION ALL '), params)) as unknown as (Omit<EventRow, 'occurred_at'> & { k: number })[]);
      return rows.map((row) => ({
        k: row.k,
        candidate: { sequenceNumber: BigInt(row.seq), eventType: row.event_type, payload: row.payload as JsonValue },
      }));
    },
  );
}
