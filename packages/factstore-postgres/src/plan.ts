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
import { arrayLiteral, inlineParams, PREPARED, type Param, type Runner } from './connection.js';

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
  /**
   * Whether `where` has jsonb containment: such a statement is never prepared, since a generic
   * plan cannot know how rare the value is and walks the primary key backward through the whole
   * table (measured: 7.4 ms instead of 0.36 ms for a two-event context of 20,000 events); its
   * values are written into its text instead ({@link inlineParams}), so it is planned for them.
   */
  readonly containment: boolean;
}

const ROW = 'seq, occurred_at, event_type, payload';

/** A record from an `events` row (postgres.js parses the jsonb payload). */
export const toRecord = (row: EventRow) => rowToRecord(row);

/** Plans a query (see {@link SqlPlan}); its `$n` placeholders start after `scope.offset`. */
export function planQuery(query: ValidQuery, scope: PlanScope, matcher: EventMatcher = compileMatcher(query)): SqlPlan {
  let containment = false;
  const { where, params, exact } = planWhere<Param>(query, {
    placeholder: (n) => `$${scope.offset + n}`,
    // after a payload narrowing, the GIN index has already narrowed the filter to a few rows: their
    // type is checked on the row (`|| ''` keeps the planner from also scanning the type index, every
    // row of a common type, and intersecting: the more so on a table without statistics)
    eventTypes: (types, bind, afterPayload) =>
      `${afterPayload ? `(event_type || '')` : 'event_type'} = ANY(${bind(arrayLiteral(types))}::text[])`,
    payloadPredicates: (predicates, bind) => {
      containment = true;
      return `(${predicates.map((p) => `payload @> ${bind(JSON.stringify(p))}::text::jsonb`).join(' OR ')})`;
    },
  });
  return { where, params, exact, matcher, events: scope.events, containment };
}

/**
 * Plans of at most this many parameters and without containment run as named prepared statements
 * (one round trip instead of two): their text depends only on the query's shape (how many filters
 * and types lists, which bounds), never on its values, so a connection keeps a few of them; larger
 * shapes, rare and unbounded in number, stay unprepared (two round trips). Every plan with a
 * payload predicate (see {@link SqlPlan.containment}) is planned for its values each time: its
 * values are written into the text ({@link inlineParams}), one round trip by the simple protocol.
 */
const PREPARED_PARAMS = 6;

/** Shapes of at most this many parameters share a `LATERAL` arm in {@link contextVersions} (an `unnest` takes at most 100 arrays). */
const LATERAL_WIDTH = 8;

/** The candidate rows of a plan (placeholders from `$1`), for the contract's reads (`readQuery`, `readContextVersion`). */
export function candidates(db: Runner, plan: SqlPlan): CandidateRows {
  const none = plan.where === NO_ROWS;
  const prepared = plan.params.length <= PREPARED_PARAMS ? PREPARED : undefined;
  // a plan with containment is planned for its values: its values go into the text (one round trip, see inlineParams)
  const run = (sql: string, params: Param[]) =>
    plan.containment ? db.unsafe(inlineParams(sql, params)) : db.unsafe(sql, params as never[], prepared);
  /** The candidates strictly between `above` and `below` (no bound where absent), in `order`, at most `count`. */
  const read = async (above: bigint | null | undefined, below: bigint | null | undefined, count: number, order: 'ASC' | 'DESC') => {
    if (none) return [];
    const bounds = seqBounds(above, below, plan.params.length, (n) => `$${n}::bigint`, positionParam);
    const sql = `SELECT ${ROW} FROM ${plan.events} WHERE (${plan.where})${bounds.sql} ORDER BY seq ${order} LIMIT $${plan.params.length + bounds.params.length + 1}`;
    return Array.from((await run(sql, [...plan.params, ...bounds.params, count])) as unknown as EventRow[], toRecord);
  };
  return {
    exact: plan.exact,
    async highest() {
      if (none) return null;
      const [row] = await run(`SELECT MAX(seq) AS head FROM ${plan.events} WHERE ${plan.where}`, plan.params);
      return row?.head === null || row?.head === undefined ? null : BigInt(row.head);
    },
    before: (below, count, above) => read(above, below, count, 'DESC'),
    after: (after, count, below) => read(after, below, count, 'ASC'),
  };
}

/**
 * The context versions of several queries with one statement: the newest candidates of every
 * query. Queries of the same shape (the same WHERE text, placeholders aside, and page size; a
 * group commit's appendIfs on one kind of entity) share one arm: their parameters go as arrays,
 * one row per query (`unnest`), and a `LATERAL` read of each row's newest candidates, a plan
 * made once whatever the number of queries; arms of different shapes are joined by `UNION ALL`.
 * The statement's text depends only on the shapes, so it is prepared when it binds few arrays.
 */
export function contextVersions(db: Runner, scope: PlanScope, contexts: readonly GroupContext[]): Promise<(bigint | null)[]> {
  // placeholders from $1: each becomes a column of the unnest (and `candidates` needs them so)
  const plans = contexts.map(({ query, matcher }) => planQuery(query, { ...scope, offset: 0 }, matcher));
  return readContextVersions(
    plans.map((plan) => ({ rows: candidates(db, plan), matcher: plan.matcher })),
    async (sizes) => {
      const shapes = new Map<string, { where: string; size: number; members: number[] }>();
      plans.forEach((plan, k) => {
        if (plan.where === NO_ROWS) return;
        const size = sizes[k] as number;
        const key = `${size}|${plan.where}`;
        const shape = shapes.get(key) ?? { where: plan.where, size, members: [] };
        shape.members.push(k);
        shapes.set(key, shape);
      });
      const arms: string[] = [];
      const params: Param[] = [];
      const bind = (value: Param) => `$${params.push(value)}`;
      for (const { where, size, members } of shapes.values()) {
        const width = (plans[members[0] as number] as SqlPlan).params.length;
        if (width > LATERAL_WIDTH) {
          // a wide shape (many filters): an arm of its own for each query, its placeholders after those before it
          for (const k of members) {
            const base = params.length;
            params.push(...(plans[k] as SqlPlan).params);
            const own = where.replace(/\$(\d+)/g, (_, n: string) => `$${base + Number(n)}`);
            arms.push(`SELECT ${k} AS k, seq, event_type, payload FROM ${scope.events} WHERE ${own} ORDER BY seq DESC LIMIT ${size}`);
          }
          continue;
        }
        const columns = Array.from({ length: width }, (_, i) => `p${i + 1}`);
        const arrays = [
          `${bind(arrayLiteral(members))}::int[]`,
          ...columns.map((_, i) => `${bind(arrayLiteral(members.map((k) => String((plans[k] as SqlPlan).params[i]))))}::text[]`),
        ];
        const inner = where.replace(/\$(\d+)/g, (_, n: string) => `c.p${n}`);
        arms.push(
          `SELECT c.k, e.seq, e.event_type, e.payload FROM unnest(${arrays.join(', ')}) AS c(k${columns.map((c) => `, ${c}`).join('')})
           CROSS JOIN LATERAL (SELECT seq, event_type, payload FROM ${scope.events} WHERE ${inner} ORDER BY seq DESC LIMIT ${size}) e`,
        );
      }
      const rows =
        arms.length === 0
          ? []
          : ((await db.unsafe(
              arms.length === 1 ? (arms[0] as string) : arms.map((arm) => `(${arm})`).join(' UNION ALL '),
              params as never[],
              params.length <= PREPARED_PARAMS ? PREPARED : undefined,
            )) as unknown as (Omit<EventRow, 'occurred_at'> & { k: number })[]);
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
