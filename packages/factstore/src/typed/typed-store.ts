import { decide, type Decision, type DecisionOutcome } from '../decide/decide.js';
import { InvalidInputError, type InvalidInputIssue } from '../errors.js';
import type { AppendOptions, AppendResult, NewEvent } from '../event.js';
import type { EventStore } from '../event-store.js';
import type { EventFilter, EventQuery, QueryResult } from '../query.js';
import type { EventStream, StreamHandler, StreamOptions } from '../stream.js';
import type { EventCatalog, EventOf, EventSchemas, RecordOf } from './catalog.js';
import { pathAt } from '../validation/issues.js';

/** A filter of a typed view: `eventTypes` only from the catalog. Absent `eventTypes`: every type of the catalog. */
export type TypedEventFilter<T extends string> = Omit<EventFilter, 'eventTypes'> & {
  /** Event types of the catalog to accept (OR). Absent: every type of the catalog. `[]`: nothing. */
  eventTypes?: readonly T[];
};

/** A query of a typed view: an {@link EventQuery} whose filters name only the catalog's event types. */
export type TypedEventQuery<T extends string> = Omit<EventQuery, 'filters'> & {
  /** Absent or `[]`: every event of the catalog's types. Otherwise an event matches when any filter matches. */
  filters?: readonly TypedEventFilter<T>[];
};

/**
 * The event types a query can return: the union of its filters' `eventTypes`, or all of `All`
 * when a filter has none (or there are no filters). Known only when the query is written where it
 * is passed (or declared `as const`); a query typed as {@link TypedEventQuery} gives `All`.
 */
export type TypesIn<Q, All extends string> = Q extends { readonly filters: infer Filters }
  ? Filters extends readonly []
    ? All
    : Filters extends readonly (infer F)[]
      ? TypesOfFilter<F, All>
      : All
  : All;

type TypesOfFilter<F, All extends string> = F extends { readonly eventTypes: readonly (infer T)[] } ? T & All : All;

/** What `query` of a typed view returns: a {@link QueryResult} whose records are typed. */
export type TypedQueryResult<R> = Omit<QueryResult, 'eventRecords'> & {
  /** The matching events, as in {@link QueryResult.eventRecords}, typed by the catalog. */
  eventRecords: R[];
};

/** A stream handler of a typed view: receives typed records. */
export type TypedStreamHandler<R> = (batch: readonly R[]) => void | Promise<void>;

/** Stream options of a typed view: {@link StreamOptions} whose `onError` receives typed records. */
export type TypedStreamOptions<R> = Omit<StreamOptions, 'onError'> & {
  /** As {@link StreamOptions.onError}, with the batch typed. */
  onError?: (error: unknown, batch: readonly R[]) => void;
};

/**
 * A view of an {@link EventStore} typed and checked by an {@link EventCatalog}, made by
 * {@link typedStore}. Appends take only the catalog's events, each payload checked against its
 * schema before anything is written (`INVALID_INPUT` with the schema's issues); reads, streams and
 * decisions see only the catalog's event types, so `record.payload` narrows by `record.eventType`.
 *
 * A query, filter or stream without `eventTypes` means "every type of the catalog" here, on the
 * store as on the view: the view adds the catalog's types to it. Records read back are not checked
 * again: the view trusts that what is stored under its types follows their schemas (it does when
 * everything writing those types goes through a view of the same catalog).
 * @typeParam M the event types and their payload schemas
 */
export interface TypedEventStore<M extends EventSchemas> {
  /** The underlying store (for calls the view does not type, and for `close`). */
  readonly store: EventStore;
  /** The catalog the view checks against. */
  readonly catalog: EventCatalog<M>;
  /** {@link EventStore.append}, with the events typed and checked against the catalog. */
  append(events: readonly EventOf<M>[], options?: AppendOptions): Promise<AppendResult>;
  /** {@link EventStore.appendIf}, with the events typed and checked and the context query limited to the catalog's types. */
  appendIf(
    events: readonly EventOf<M>[],
    contextQuery: TypedEventQuery<keyof M & string>,
    expectedContextVersion: bigint | number | null,
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /** {@link EventStore.query}, with the records typed by the event types the query names. */
  query<const Q extends TypedEventQuery<keyof M & string>>(query: Q): Promise<TypedQueryResult<RecordOf<M, TypesIn<Q, keyof M & string>>>>;
  /** {@link EventStore.streamAll} over the catalog's event types (batches with none of them are not delivered). */
  streamAll(handler: TypedStreamHandler<RecordOf<M>>, options?: TypedStreamOptions<RecordOf<M>>): Promise<EventStream>;
  /** {@link EventStore.streamTo}, with the records typed by the event types the query names. */
  streamTo<const Q extends TypedEventQuery<keyof M & string>>(
    query: Q,
    handler: TypedStreamHandler<RecordOf<M, TypesIn<Q, keyof M & string>>>,
    options?: TypedStreamOptions<RecordOf<M, TypesIn<Q, keyof M & string>>>,
  ): Promise<EventStream>;
  /**
   * {@link EventStore.streamAllDurable} over the catalog's event types. The name's stored query is
   * the catalog's types, so a name is used either through the view or on the store, not both.
   */
  streamAllDurable(name: string, handler: TypedStreamHandler<RecordOf<M>>, options?: TypedStreamOptions<RecordOf<M>>): Promise<EventStream>;
  /** {@link EventStore.streamToDurable}, with the records typed by the event types the query names. */
  streamToDurable<const Q extends TypedEventQuery<keyof M & string>>(
    name: string,
    query: Q,
    handler: TypedStreamHandler<RecordOf<M, TypesIn<Q, keyof M & string>>>,
    options?: TypedStreamOptions<RecordOf<M, TypesIn<Q, keyof M & string>>>,
  ): Promise<EventStream>;
  /**
   * {@link decide} on the underlying store: `evolve` receives records typed by the event types of
   * `query`, and `decide`'s events are typed and checked against the catalog on every attempt
   * (a bad event rejects with `INVALID_INPUT`, nothing written).
   */
  decide<S, const Q extends TypedEventQuery<keyof M & string>>(
    decision: Decision<S, RecordOf<M, TypesIn<Q, keyof M & string>>, EventOf<M>, Q>,
  ): Promise<DecisionOutcome<S, EventOf<M>>>;
}

/**
 * A typed, checked view of `store` by the event catalog `catalog` (see {@link defineEvents}).
 *
 * @example
 * ```ts
 * const bank = typedStore(new MemoryStore(), Bank);
 * await bank.append([{ eventType: 'money-deposited', payload: { accountId: 'a1', amount: 30 } }]);
 * const { eventRecords } = await bank.query({ filters: [{ eventTypes: ['money-deposited'] }] });
 * const total = eventRecords.reduce((sum, record) => sum + record.payload.amount, 0); // payload typed, no cast
 * ```
 * @param store any {@link EventStore}
 * @param catalog the catalog from {@link defineEvents}
 * @throws {@link InvalidInputError} when `store` is not a store or `catalog` not a catalog
 */
export function typedStore<M extends EventSchemas>(store: EventStore, catalog: EventCatalog<M>): TypedEventStore<M> {
  const issues: InvalidInputIssue[] = [];
  if (typeof store !== 'object' || store === null || typeof store.appendIf !== 'function')
    issues.push({ path: 'store', message: 'must be an EventStore' });
  if (typeof catalog !== 'object' || catalog === null || typeof catalog.check !== 'function' || !Array.isArray(catalog.eventTypes)) {
    issues.push({ path: 'catalog', message: 'must be an event catalog from defineEvents' });
  }
  if (issues.length > 0) throw new InvalidInputError(issues);
  const every: EventQuery = Object.freeze({ filters: Object.freeze([Object.freeze({ eventTypes: catalog.eventTypes })]) });
  const scope = (query: unknown, path: string) => scopeQuery(query, catalog, path) as EventQuery;
  const checked = (events: unknown, path = 'events') => (catalog.check(events, path), events as readonly NewEvent[]);
  // The view is the store with the events checked and the queries scoped to the catalog's types;
  // what comes back is the store's own, so the typing is one cast here.
  const view = {
    store,
    catalog,
    append: async (events: unknown, options?: AppendOptions) => store.append(checked(events), options),
    appendIf: async (events: unknown, context: unknown, expected: bigint | number | null, options?: AppendOptions) =>
      store.appendIf(checked(events), scope(context, 'contextQuery'), expected, options),
    query: async (query: unknown) => store.query(scope(query, 'query')),
    streamAll: async (handler: StreamHandler, options?: StreamOptions) => store.streamTo(every, handler, options),
    streamTo: async (query: unknown, handler: StreamHandler, options?: StreamOptions) =>
      store.streamTo(scope(query, 'query'), handler, options),
    streamAllDurable: async (name: string, handler: StreamHandler, options?: StreamOptions) =>
      store.streamToDurable(name, every, handler, options),
    streamToDurable: async (name: string, query: unknown, handler: StreamHandler, options?: StreamOptions) =>
      store.streamToDurable(name, scope(query, 'query'), handler, options),
    decide: async (decision: Decision<unknown>) => {
      if (typeof decision !== 'object' || decision === null) return decide(store, decision);
      const given: unknown = decision.decide;
      return decide(store, {
        ...decision,
        query: scope(decision.query, 'decision.query'),
        ...(typeof given === 'function' && { decide: (state: unknown) => checked(given(state), 'decision.decide') }),
      });
    },
  };
  return Object.freeze(view) as unknown as TypedEventStore<M>;
}

/**
 * The query as the store sees it: filters without `eventTypes` (and an absent or empty filter
 * list) get the catalog's types, and types outside the catalog are refused. Anything malformed is
 * passed on unchanged for the store to refuse with its own issues.
 */
function scopeQuery(query: unknown, catalog: EventCatalog, path: string): unknown {
  if (!isRecord(query)) return query;
  const filters = query.filters;
  if (filters === undefined || (Array.isArray(filters) && filters.length === 0))
    return { ...query, filters: [{ eventTypes: catalog.eventTypes }] };
  if (!Array.isArray(filters)) return query;
  const issues: InvalidInputIssue[] = [];
  const scoped = filters.map((filter: unknown, i) => {
    if (!isRecord(filter)) return filter;
    const types = filter.eventTypes;
    if (types === undefined) return { ...filter, eventTypes: catalog.eventTypes };
    if (Array.isArray(types)) {
      types.forEach((type: unknown, k) => {
        if (typeof type === 'string' && !catalog.has(type))
          issues.push({
            path: pathAt(pathAt(pathAt(pathAt(path, 'filters'), i), 'eventTypes'), k),
            message: 'is not an event type of the catalog',
          });
      });
    }
    return filter;
  });
  if (issues.length > 0) throw new InvalidInputError(issues);
  return { ...query, filters: scoped };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
