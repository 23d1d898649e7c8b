import type { JsonValue } from '../json.js';
import type { ValidQuery } from '../validation/validate.js';

/** The `where` of a plan that selects every row. */
export const ALL_ROWS = 'TRUE';
/** The `where` of a plan that selects no row. */
export const NO_ROWS = 'FALSE';

/** Binds a parameter of a plan and returns its placeholder in the SQL. */
export type Bind<P> = (value: P) => string;

/** How a SQL store narrows rows: the SQL of one filter's parts, with parameters bound through `bind`. */
export interface SqlNarrowing<P> {
  /** The placeholder of the `n`th parameter of the plan (from 1): `?` or `$n`. */
  placeholder(n: number): string;
  /**
   * SQL selecting the rows of these event types (non-empty).
   * @param afterPayload whether a payload narrowing precedes it in the same filter
   */
  eventTypes(types: readonly string[], bind: Bind<P>, afterPayload: boolean): string;
  /**
   * SQL selecting at least every row whose payload matches one of these predicates (non-empty),
   * or `undefined` when the store cannot narrow them (then the filter is narrowed by type only);
   * bind nothing before deciding to return `undefined`.
   */
  payloadPredicates(predicates: readonly JsonValue[], bind: Bind<P>): string | undefined;
}

/**
 * The `where` clause of a query for a SQL store: the OR of its filters, each the AND of its
 * payload and type narrowings, never dropping a matching row. `exact` when the clause selects
 * exactly the matching rows (no payload predicates); otherwise the contract's matcher decides on
 * every row. {@link ALL_ROWS} and {@link NO_ROWS} stand for every row and none (with no parameters).
 */
export function planWhere<P>(query: ValidQuery, narrowing: SqlNarrowing<P>): { where: string; params: P[]; exact: boolean } {
  const filters = query.filters;
  if (filters === undefined || filters.length === 0) return { where: ALL_ROWS, params: [], exact: true };
  const params: P[] = [];
  const bind: Bind<P> = (value) => {
    params.push(value);
    return narrowing.placeholder(params.length);
  };
  const terms: string[] = [];
  let exact = true;
  for (const filter of filters) {
    const types = filter.eventTypes;
    const predicates = filter.payloadPredicates;
    if (types?.length === 0 || predicates?.length === 0) continue; // matches nothing
    const parts: string[] = [];
    if (predicates !== undefined) {
      exact = false;
      const payload = narrowing.payloadPredicates(predicates, bind);
      if (payload !== undefined) parts.push(payload);
    }
    if (types !== undefined) parts.push(narrowing.eventTypes(types, bind, parts.length > 0));
    if (parts.length === 0) return { where: ALL_ROWS, params: [], exact }; // a filter that cannot be narrowed
    terms.push(parts.join(' AND '));
  }
  if (terms.length === 0) return { where: NO_ROWS, params: [], exact: true };
  return { where: terms.length === 1 ? (terms[0] as string) : terms.map((t) => `(${t})`).join(' OR '), params, exact };
}

/**
 * ` AND seq > … AND seq < …` for the bounds of a candidate read that are given (`null` or absent:
 * no bound), with their parameters, placed after `offset` parameters already bound.
 * @param placeholder the SQL of the `n`th parameter (from 1), cast as the store needs (`?`, `$n::bigint`)
 * @param toParam a position as the driver binds it
 */
export function seqBounds<P>(
  above: bigint | null | undefined,
  below: bigint | null | undefined,
  offset: number,
  placeholder: (n: number) => string,
  toParam: (position: bigint) => P,
): { sql: string; params: P[] } {
  let sql = '';
  const params: P[] = [];
  for (const [op, position] of [
    ['>', above],
    ['<', below],
  ] as const) {
    if (position === null || position === undefined) continue;
    params.push(toParam(position));
    sql += ` AND seq ${op} ${placeholder(offset + params.length)}`;
  }
  return { sql, params };
}
