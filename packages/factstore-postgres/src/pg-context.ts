import { compileMatcher, type EventMatcher, type EventRecord, type JsonValue, type ValidQuery } from 'factstore';
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

const PAGE = 256;
const ROW = 'seq, occurred_at, event_type, payload';

/** Plans a query (see {@link PgPlan}). `$n` placeholders start after `offset` parameters. */
export function planQuery(query: ValidQuery, offset = 0): PgPlan {
  const matcher = compileMatcher(query);
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

/** The context version: the highest matching position, or 0n. */
export async function contextVersion(db: Runner, events: string, plan: PgPlan): Promise<bigint> {
  if (plan.where === 'false') return 0n;
  if (plan.exact) {
    const [row] = await db.unsafe(`SELECT COALESCE(MAX(seq), 0) AS head FROM ${events} WHERE ${plan.where}`, plan.params);
    return BigInt(row?.head ?? 0);
  }
  let below: string | null = null;
  for (;;) {
    const params = below === null ? plan.params : [...plan.params, below];
    const rows = (await db.unsafe(
      `SELECT ${ROW} FROM ${events} WHERE (${plan.where})${below === null ? '' : ` AND seq < $${params.length}::bigint`} ORDER BY seq DESC LIMIT ${PAGE}`,
      params,
    )) as unknown as EventRow[];
    for (const row of rows) {
      if (plan.matcher({ eventType: row.event_type, payload: row.payload as JsonValue })) return BigInt(row.seq);
    }
    if (rows.length < PAGE) return 0n;
    below = String((rows[rows.length - 1] as EventRow).seq);
  }
}

/** The matching records after `after`, ascending, at most `limit`. */
export async function matchingRecords(db: Runner, events: string, plan: PgPlan, after: bigint, limit: number): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  if (plan.where === 'false') return out;
  let from = after.toString();
  for (;;) {
    const want = plan.exact ? Math.min(limit - out.length, 10_000) : PAGE;
    const params = [...plan.params, from];
    const rows = (await db.unsafe(
      `SELECT ${ROW} FROM ${events} WHERE (${plan.where}) AND seq > $${params.length}::bigint ORDER BY seq LIMIT ${want}`,
      params,
    )) as unknown as EventRow[];
    for (const row of rows) {
      const record = toRecord(row);
      if (plan.exact || plan.matcher(record)) {
        out.push(record);
        if (out.length >= limit) return out;
      }
    }
    if (rows.length < want) return out;
    from = String((rows[rows.length - 1] as EventRow).seq);
  }
}
