import type { JsonValue } from 'factstore';
import {
  compileMatcher,
  NO_ROWS,
  planWhere,
  readContextVersions,
  rowToRecord,
  seqBounds,
  type CandidateRows,
  type EventMatcher,
  type EventRow,
  type GroupContext,
  type ValidQuery,
} from 'factstore/backend';
import { arrayLiteral, type Param, type Runner } from './connection.js';

/** What a plan may use besides the query: the qualified `events` table, and how many `$n` placeholders precede its own. */
export interface PlanScope {
  readonly events: string;
  readonly offset: number;
}

/**
 * A query turned into SQL: `where` narrows the rows of `events` with `event_type = ANY(…)` and
 * jsonb containment (`payload @> …`, answered by the GIN index), never dropping a match.
 * Containment says more than the contract (a top-level array contains a scalar), so unless
 * `exact`, the contract's matcher checks every row.
 */
export interface SqlPlan {
  readonly where: string;
  readonly params: Param[];
  readonly exact: boolean;
  readonly matcher: EventMatcher;
  readonly events: string;
}

const ROW = 'seq, occurred_at, event_type, payload';

/** A record from an `events` row (postgres.js parses the jsonb payload). */
export const toRecord = (row: EventRow) => rowToRecord(row);

/** Plans a query (see {@link SqlPlan}); its `$n` placeholders start after `scope.offset`. */
export function planQuery(query: ValidQuery, scope: PlanScope, matcher: EventMatcher = compileMatcher(query)): SqlPlan {
  const { where, params, exact } = planWhere<Param>(query, {
    placeholder: (n) => `$${scope.offset + n}`,
    eventTypes: (types, bind) => `event_type = ANY(${bind(arrayLiteral(types))}::text[])`,
    payloadPredicates: (predicates, bind) =>
      `(${predicates.map((p) => `payload @> ${bind(JSON.stringify(p))}::text::jsonb`).join(' OR ')})`,
  });
  return { where, params, exact, matcher, events: scope.events };
}

/** The candidate rows of a plan (placeholders from `$1`), for the contract's reads (`readQuery`, `readContextVersion`). */
export function candidates(db: Runner, plan: SqlPlan): CandidateRows {
  const none = plan.where === NO_ROWS;
  /** The candidates strictly between `above` and `below` (no bound where absent), in `order`, at most `count`. */
  const read = async (above: bigint | null | undefined, below: bigint | null | undefined, count: number, order: 'ASC' | 'DESC') => {
    if (none) return [];
    const bounds = seqBounds(above, below, plan.params.length, (n) => `$${n}::bigint`, positionParam);
    const sql = `SELECT ${ROW} FROM ${plan.events} WHERE (${plan.where})${bounds.sql} ORDER BY seq ${order} LIMIT $${plan.params.length + bounds.params.length + 1}`;
    return Array.from((await db.unsafe(sql, [...plan.params, ...bounds.params, count] as never[])) as unknown as EventRow[], toRecord);
  };
  return {
    exact: plan.exact,
    async highest() {
      if (none) return null;
      const [row] = await db.unsafe(`SELECT MAX(seq) AS head FROM ${plan.events} WHERE ${plan.where}`, plan.params as never[]);
      return row?.head === null || row?.head === undefined ? null : BigInt(row.head);
    },
    before: (below, count, above) => read(above, below, count, 'DESC'),
    after: (after, count, below) => read(after, below, count, 'ASC'),
  };
}

/** The context versions of several queries: the newest candidates of every query read by one statement (a `UNION ALL` arm each). */
export function contextVersions(db: Runner, scope: PlanScope, contexts: readonly GroupContext[]): Promise<(bigint | null)[]> {
  const plans = contexts.map(({ query, matcher }) => planQuery(query, scope, matcher));
  return readContextVersions(
    plans.map((plan) => ({ rows: candidates(db, plan), matcher: plan.matcher })),
    async (sizes) => {
      const arms: string[] = [];
      const params: Param[] = [];
      contexts.forEach(({ query, matcher }, k) => {
        // the arms share one parameter list: each arm's placeholders start after the ones before it
        const plan = planQuery(query, { ...scope, offset: scope.offset + params.length }, matcher);
        if (plan.where === NO_ROWS) return;
        arms.push(
          `(SELECT ${k} AS k, seq, event_type, payload FROM ${plan.events} WHERE ${plan.where} ORDER BY seq DESC LIMIT ${sizes[k]})`,
        );
        params.push(...plan.params);
      });
      const rows =
        arms.length === 0
          ? []
          : ((await db.unsafe(arms.join(' UNION ALL '), params as never[])) as unknown as (Omit<EventRow, 'occurred_at'> & {
              k: number;
            })[]);
      return rows.map((row) => ({
        k: row.k,
        candidate: { sequenceNumber: BigInt(row.seq), eventType: row.event_type, payload: row.payload as JsonValue },
      }));
    },
  );
}

/** A position as a parameter: its decimal text, cast to `bigint` in the SQL. */
export function positionParam(position: bigint): Param {
  return position.toString();
}
