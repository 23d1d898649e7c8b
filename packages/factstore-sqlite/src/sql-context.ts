import { type JsonValue } from 'factstore';
import { compileMatcher, readContextVersions, type CandidateRows, type EventMatcher, type ValidQuery } from 'factstore/backend';
import type { Connection, Param } from './connection.js';
import { toRecord, type EventRow } from './rows.js';
import { TAG } from './schema.js';

/**
 * A query turned into SQL: `where` narrows the rows (never dropping a match), `exact` says
 * whether it selects exactly the matching rows; when not, the contract's matcher decides.
 */
export interface SqlPlan {
  readonly where: string;
  readonly params: Param[];
  readonly exact: boolean;
  readonly matcher: EventMatcher;
}

const ROW = 'seq, occurred_at, event_type, payload';

/** The payload keys a plan would like indexed: top-level keys with scalar values in predicates. */
export function predicateKeys(query: ValidQuery): Set<string> {
  const keys = new Set<string>();
  for (const filter of query.filters ?? []) {
    for (const predicate of filter.payloadPredicates ?? []) {
      for (const [key] of scalarEntries(predicate)) keys.add(key);
    }
  }
  return keys;
}

/**
 * Plans a query: `event_type IN (…)` for types, and for each predicate the value index of its
 * indexed top-level scalar entries (`seq IN (SELECT seq FROM event_values WHERE tag = …)`).
 * Everything else (nested values, arrays, unindexed keys, number formats) is left to the matcher.
 */
export function planQuery(query: ValidQuery, indexed: ReadonlySet<string>, matcher: EventMatcher = compileMatcher(query)): SqlPlan {
  const filters = query.filters;
  if (filters === undefined || filters.length === 0) return { where: '1', params: [], exact: true, matcher };
  const terms: string[] = [];
  const params: Param[] = [];
  let exact = true;
  for (const filter of filters) {
    const types = filter.eventTypes;
    const predicates = filter.payloadPredicates;
    if (types?.length === 0 || predicates?.length === 0) continue;
    const parts: string[] = [];
    if (predicates !== undefined) {
      exact = false;
      const narrowings = predicates.map((predicate) => scalarEntries(predicate).filter(([key]) => indexed.has(key)));
      // one predicate that cannot be narrowed means the filter cannot be narrowed by payload
      if (narrowings.every((entries) => entries.length > 0)) {
        const alternatives = narrowings.map((entries) =>
          entries
            .map(([key, value]) => {
              params.push(JSON.stringify({ [key]: value }));
              return `seq IN (SELECT seq FROM event_values WHERE tag = (SELECT ${TAG('j.key', 'j.type', 'j.atom')} FROM json_each(?) AS j))`;
            })
            .join(' AND '),
        );
        parts.push(alternatives.length === 1 ? (alternatives[0] as string) : `(${alternatives.map((a) => `(${a})`).join(' OR ')})`);
      }
    }
    if (types !== undefined) {
      // once the value index narrowed the filter to a few positions, each is looked up by rowid
      // and its type checked on the row (`+` keeps SQLite from looking each up in the type index too)
      parts.push(`${parts.length > 0 ? '+' : ''}event_type IN (${types.map(() => '?').join(', ')})`);
      params.push(...types);
    }
    if (parts.length === 0) return { where: '1', params: [], exact, matcher }; // a filter that matches everything
    terms.push(parts.join(' AND '));
  }
  if (terms.length === 0) return { where: '0', params: [], exact: true, matcher };
  return { where: terms.length === 1 ? (terms[0] as string) : terms.map((t) => `(${t})`).join(' OR '), params, exact, matcher };
}

/** The candidate rows of a plan on one connection, for the contract's reads (`readQuery`, `readContextVersion`). */
export function candidates(db: Connection, plan: SqlPlan): CandidateRows {
  const none = plan.where === '0';
  return {
    exact: plan.exact,
    async highest() {
      if (none) return null;
      const row = await db.get<{ head: number | null }>(`SELECT MAX(seq) AS head FROM events WHERE ${plan.where}`, plan.params);
      return row?.head ? BigInt(row.head) : null;
    },
    async before(below, count) {
      if (none) return [];
      const rows = await db.all<EventRow>(
        `SELECT ${ROW} FROM events WHERE (${plan.where})${below === null ? '' : ' AND seq < ?'} ORDER BY seq DESC LIMIT ?`,
        below === null ? [...plan.params, count] : [...plan.params, positionParam(below), count],
      );
      return Array.from(rows, toRecord);
    },
    async after(after, count) {
      if (none) return [];
      const rows = await db.all<EventRow>(`SELECT ${ROW} FROM events WHERE (${plan.where}) AND seq > ? ORDER BY seq LIMIT ?`, [
        ...plan.params,
        positionParam(after),
        count,
      ]);
      return Array.from(rows, toRecord);
    },
  };
}

/** The context versions of several plans: the newest candidates of every plan read by one statement (a `UNION ALL` arm each). */
export function contextVersions(db: Connection, plans: readonly SqlPlan[]): Promise<(bigint | null)[]> {
  return readContextVersions(
    plans.map((plan) => ({ rows: candidates(db, plan), matcher: plan.matcher })),
    async (sizes) => {
      const arms: string[] = [];
      const params: Param[] = [];
      plans.forEach((plan, k) => {
        if (plan.where === '0') return;
        arms.push(
          `SELECT * FROM (SELECT ${k} AS k, seq, event_type, payload FROM events WHERE ${plan.where} ORDER BY seq DESC LIMIT ${sizes[k]})`,
        );
        params.push(...plan.params);
      });
      const rows = arms.length === 0 ? [] : await db.all<Omit<EventRow, 'occurred_at'> & { k: number }>(arms.join(' UNION ALL '), params);
      return rows.map((row) => ({
        k: row.k,
        candidate: { sequenceNumber: BigInt(row.seq), eventType: row.event_type, payload: JSON.parse(row.payload) as JsonValue },
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
