import { Kind, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { InvalidInputError, type InvalidInputIssue } from '../errors.js';
import { MAX_EVENT_TYPE_LENGTH, type EventRecord } from '../event.js';
import { badStringReason } from '../validation/json-input.js';
import { checkSchema, IssueList, pathAt } from '../validation/issues.js';

/** Event types and the TypeBox schema of each one's payload: the input of {@link defineEvents}. */
export type EventSchemas = { readonly [eventType: string]: TSchema };

/**
 * The events of an application, declared once with {@link defineEvents}: each event type and the
 * TypeBox schema of its payload. Give it to `typedStore` for a store view whose appends, reads,
 * streams and decisions are typed by it and checked against it.
 * @typeParam M the event types and their payload schemas
 */
export interface EventCatalog<M extends EventSchemas = EventSchemas> {
  /** The payload schema of each event type, as given. */
  readonly schemas: Readonly<M>;
  /** Every event type of the catalog, in declaration order. */
  readonly eventTypes: readonly (keyof M & string)[];
  /** Whether `eventType` is one of the catalog's (narrows it). */
  has(eventType: string): eventType is keyof M & string;
  /**
   * Checks events against the catalog: each must be an object whose `eventType` the catalog has
   * and whose `payload` its schema accepts.
   * @param path where the events are, for the issues' paths (default `events`)
   * @throws {@link InvalidInputError} listing every problem, with the schema's own messages at
   *   paths like `events[0].payload.amount`
   */
  check(events: unknown, path?: string): asserts events is readonly EventOf<M>[];
}

/** The event types of a catalog, e.g. `CatalogEventType<typeof Bank>` is `'account-opened' | 'money-deposited' | …`. */
export type CatalogEventType<C extends EventCatalog> = C extends EventCatalog<infer M> ? keyof M & string : never;

/**
 * An event to append of a catalog, as a union discriminated by `eventType` (or of the types `T` only).
 * @example `const e: CatalogEvent<typeof Bank, 'money-deposited'> = { eventType: 'money-deposited', payload: { accountId: 'a1', amount: 5 } }`
 */
export type CatalogEvent<C extends EventCatalog, T extends CatalogEventType<C> = CatalogEventType<C>> =
  C extends EventCatalog<infer M> ? EventOf<M, T & keyof M & string> : never;

/** A committed record of a catalog, as a union discriminated by `eventType` (or of the types `T` only). */
export type CatalogRecord<C extends EventCatalog, T extends CatalogEventType<C> = CatalogEventType<C>> =
  C extends EventCatalog<infer M> ? RecordOf<M, T & keyof M & string> : never;

/** The event of each type in `T`, by the schemas `M`: `{ eventType: T; payload: Static<M[T]> }`, as a union. */
export type EventOf<M extends EventSchemas, T extends keyof M & string = keyof M & string> = {
  [K in T]: { eventType: K; payload: Static<M[K]> };
}[T];

/** The record of each type in `T`, by the schemas `M`: an {@link EventRecord} with a typed `eventType` and `payload`, as a union. */
export type RecordOf<M extends EventSchemas, T extends keyof M & string = keyof M & string> = {
  [K in T]: Omit<EventRecord, 'eventType' | 'payload'> & { eventType: K; payload: Static<M[K]> };
}[T];

/**
 * Declares the event catalog of an application once: event types and their payload schemas
 * (TypeBox). The types follow from the schemas, so nothing is written twice.
 *
 * @example
 * ```ts
 * import { Type } from '@sinclair/typebox';
 * const Bank = defineEvents({
 *   'account-opened': Type.Object({ accountId: Type.String(), owner: Type.String() }),
 *   'money-deposited': Type.Object({ accountId: Type.String(), amount: Type.Number({ exclusiveMinimum: 0 }) }),
 * });
 * ```
 * @param schemas each event type (a valid event type: 1–256 characters) and its payload's TypeBox schema
 * @throws {@link InvalidInputError} when a key is not a valid event type or a value is not a TypeBox schema
 */
export function defineEvents<const M extends EventSchemas>(schemas: M): EventCatalog<M> {
  const issues: InvalidInputIssue[] = [];
  if (typeof schemas !== 'object' || schemas === null || Array.isArray(schemas)) {
    throw new InvalidInputError([{ path: 'schemas', message: 'must be an object of event types and TypeBox schemas' }]);
  }
  for (const [eventType, schema] of Object.entries(schemas)) {
    const reason =
      eventType.length === 0 || eventType.length > MAX_EVENT_TYPE_LENGTH ? 'must have 1 to 256 characters' : badStringReason(eventType);
    if (reason !== null) issues.push({ path: pathAt('schemas', eventType), message: `event type ${reason}` });
    if (typeof schema !== 'object' || schema === null || !(Kind in schema)) {
      issues.push({ path: pathAt('schemas', eventType), message: 'must be a TypeBox schema (Type.Object(…), …)' });
    }
  }
  if (issues.length > 0) throw new InvalidInputError(issues);
  const frozen = Object.freeze({ ...schemas });
  const eventTypes = Object.freeze(Object.keys(frozen)) as readonly (keyof M & string)[];
  const checks = new Map<string, TypeCheck<TSchema>>();
  const checkOf = (eventType: string) => {
    let check = checks.get(eventType);
    if (check === undefined) checks.set(eventType, (check = TypeCompiler.Compile(frozen[eventType] as TSchema)));
    return check;
  };
  const has = (eventType: string): eventType is keyof M & string => Object.hasOwn(frozen, eventType);
  return Object.freeze({
    schemas: frozen,
    eventTypes,
    has,
    check(events: unknown, path = 'events'): asserts events is readonly EventOf<M>[] {
      const found = new IssueList();
      if (!Array.isArray(events)) throw new InvalidInputError(found.add(path, 'must be an array of events').list());
      events.forEach((event: unknown, i) => {
        const at = pathAt(path, i);
        if (typeof event !== 'object' || event === null) return void found.add(at, 'must be an event { eventType, payload }');
        const { eventType, payload } = event as { eventType?: unknown; payload?: unknown };
        if (typeof eventType !== 'string' || !has(eventType)) {
          return void found.add(pathAt(at, 'eventType'), `must be one of the catalog's event types (${describeTypes(eventTypes)})`);
        }
        checkSchema(checkOf(eventType), payload, pathAt(at, 'payload'), found);
      });
      if (!found.empty) throw new InvalidInputError(found.list());
    },
  });
}

function describeTypes(types: readonly string[]): string {
  const shown = types.slice(0, 10).map((t) => JSON.stringify(t));
  return types.length > 10 ? `${shown.join(', ')}, …` : shown.join(', ');
}
