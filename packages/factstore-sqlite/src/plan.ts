import type { EventRecord, JsonValue } from 'factstore';
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
import type { Connection, Param } from './connection.js';
import { TAG, tagOf } from './schema.js';

/**
 * A query turned into SQL: `where` narrows the rows of `events` (never dropping a match), `exact`
 * says whether it selects exactly the matching rows; when not, the contract's matcher decides.
 */
export interface SqlPlan {
  readonly where: string;
  readonly params: Param[];
  readonly exact: boolean;
  readonly matcher: EventMatcher;
}

const ROW = 'seq, occurred_at, event_type, payload';

/** A record from an `events` row (its payload is JSON text). */
export const toRecord = (row: EventRow) => rowToRecord(row, JSON.parse);

/**
 * The records of `rows`, a statement over `events` that selects `seq, occurred_at, event_type,
 * payload` in ascending `seq`, read as one JSON text: SQLite joins the rows (each payload is
 * stored JSON text already) and one `JSON.parse` reads them all, instead of node-sqlite3 making
 * an object of every row and `JSON.parse` running once per payload (about twice as fast for a
 * page of a few hundred rows, which is what a replay reads; slower for a dozen rows).
 */
export async function readPage(db: Connection, rows: string, params: readonly Param[]): Promise<EventRecord[]> {
  const page = await db.get<{ page: string | null }>(
    `SELECT '[' || group_concat('[' || seq || ',' || occurred_at || ',' || json_quote(event_type) || ',' || payload || ']', ',' ORDER BY seq) || ']' AS page FROM (${rows})`,
    params,
  );
  if (!page?.page) return [];
  return (JSON.parse(page.page) as [number, number, string, JsonValue][]).map(([seq, occurred_at, event_type, payload]) =>
    rowToRecord({ seq, occurred_at, event_type, payload }),
  );
}

/**
 * Plans a query: `event_type IN (…)` for types, and for each predicate the value index of its
 * top-level scalar entries (`seq IN (SELECT seq FROM event_values WHERE tag = …)`; the index holds
 * every key). Everything else (nested values, arrays, cut tags, number formats) is left to the
 * matcher; a predicate without a top-level scalar entry (`{}`, `{ a: { b: 1 } }`) narrows by type only.
 */
export function planQuery(query: ValidQuery, matcher: EventMatcher = compileMatcher(query)): SqlPlan {
  const { where, params, exact } = planWhere<Param>(query, {
    placeholder: () => '?',
    eventTypes(types, bind, afterPayload) {
      // once the value index narrowed the filter to a few positions, each is looked up by rowid
      // and its type checked on the row (`+` keeps SQLite from looking each up in the type index too)
      return `${afterPayload ? '+' : ''}event_type IN (${types.map(bind).join(', ')})`;
    },
    payloadPredicates(predicates, bind) {
      const narrowings = predicates.map(scalarEntries);
      // one predicate that cannot be narrowed means the filter cannot be narrowed by payload
      if (!narrowings.every((entries) => entries.length > 0)) return undefined;
      const alternatives = narrowings.map((entries) =>
        entries.map(([key, value]) => `seq IN (SELECT seq FROM event_values WHERE tag = ${tagSql(key, value, bind)})`).join(' AND '),
      );
      return alternatives.length === 1 ? (alternatives[0] as string) : `(${alternatives.map((a) => `(${a})`).join(' OR ')})`;
    },
  });
  return { where, params, exact, matcher };
}

/** The tag of one entry as SQL: bound as text when {@link tagOf} knows it, else computed by SQLite from the entry's JSON. */
function tagSql(key: string, value: string | number | boolean | null, bind: (value: Param) => string): string {
  const tag = tagOf(key, value);
  if (tag !== undefined) return bind(tag);
  return `(SELECT ${TAG('j.key', 'j.type', 'j.atom')} FROM json_each(${bind(JSON.stringify({ [key]: value }))}) AS j)`;
}

/** The candidate rows of a plan on one connection, for the contract's reads (`readQuery`, `readContextVersion`). */
export function candidates(db: Connection, plan: SqlPlan): CandidateRows {
  const none = plan.where === NO_ROWS;
  /** The candidates strictly between `above` and `below` (no bound where absent), in `order`, at most `count`. */
  const read = async (above: bigint | null | undefined, below: bigint | null | undefined, count: number, order: 'ASC' | 'DESC') => {
    if (none) return [];
    const bounds = seqBounds(above, below, plan.params.length, () => '?', positionParam);
    // row by row: for the few rows a context usually has, joining them into one JSON text costs more than it saves
    const rows = await db.all<EventRow>(`SELECT ${ROW} FROM events WHERE (${plan.where})${bounds.sql} ORDER BY seq ${order} LIMIT ?`, [
      ...plan.params,
      ...bounds.params,
      count,
    ]);
    return Array.from(rows, toRecord);
  };
  return {
    exact: plan.exact,
    async highest() {
      if (none) return null;
      const row = await db.get<{ head: number | null }>(`SELECT MAX(seq) AS head FROM events WHERE ${plan.where}`, plan.params);
      return row?.head ? BigInt(row.head) : null;
    },
    before: (below, count, above) => read(above, below, count, 'DESC'),
    after: (after, count, below) => read(after, below, count, 'ASC'),
  };
}

/** The context versions of several queries: the newest candidates of every query read by one statement (a `UNION ALL` arm each). */
export function contextVersions(db: Connection, contexts: readonly GroupContext[]): Promise<(bigint | null)[]> {
  const plans = contexts.map(({ query, matcher }) => planQuery(query, matcher));
  return readContextVersions(
    plans.map((plan) => ({ rows: candidates(db, plan), matcher: plan.matcher })),
    async (sizes) => {
      const arms: string[] = [];
      const params: Param[] = [];
      plans.forEach((plan, k) => {
        if (plan.where === NO_ROWS) return;
        arms.push(
          `SELECT * FROM (SELECT ${k} AS k, seq, event_type, payload FROM events WHERE ${plan.where} ORDER BY seq DESC LIMIT ${sizes[k]})`,
        );
        params.push(...plan.params);
      });
      const rows = arms.length === 0 ? [] : await db.all<Omit<EventRow, 'occurred_at'> & { k: number }>(arms.join(' UNION ALL '), params);
      return rows.map((row) => ({
        k: row.k,
        candidate: { sequenceNumber: BigInt(row.seq), eventType: row.event_type, payload: JSON.parse(row.payload as string) as JsonValue },
      }));
    },
  );
}

/** A position as a parameter: a number when it is safe, else its decimal text (never a bigint). */
export function positionParam(position: bigint): Param {
  return position <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(position) : position.toString();
}

function scalarEntries(predicate: JsonValue): [string, string | number | boolean | null][] {
  if (predicate === null || typeof predicate !== 'object' || Array.isArray(predicate)) return [];
  const out: [string, string | number | boolean | null][] = [];
  for (const key of Object.keys(predicate)) {
    const value = predicate[key] as JsonValue;
    if (value === null || typeof value !== 'object') out.push([key, value]);
  }
  return out;
}
