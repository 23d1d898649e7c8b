/**
 * factstore: the contract of the factstore event stores, for applications: the types and their
 * TypeBox schemas, the error classes, and the {@link EventStore} interface every store keeps.
 *
 * What a store author needs (the base class, the backend interface, validation, matching, group
 * commit, candidate reads) is in the `factstore/backend` entry point.
 * @packageDocumentation
 */
export * from './errors.js';
export * from './json.js';
export * from './event.js';
export * from './query.js';
export * from './stream.js';
export * from './record-json.js';
export type { EventStore } from './event-store.js';
export type { StoreStatus, StreamError, StreamStatus } from './observability/status.js';
export { TelemetryOptions, type MeterProviderLike, type TracerProviderLike } from './observability/options.js';
export { decide, DEFAULT_MAX_ATTEMPTS, type Decision, type DecisionOutcome } from './decide/decide.js';
export {
  defineEvents,
  type CatalogEvent,
  type CatalogEventType,
  type CatalogRecord,
  type EventCatalog,
  type EventOf,
  type EventSchemas,
  type RecordOf,
} from './typed/catalog.js';
export {
  typedStore,
  type TypedEventFilter,
  type TypedEventQuery,
  type TypedEventStore,
  type TypedQueryResult,
  type TypedStreamHandler,
  type TypedStreamOptions,
  type TypesIn,
} from './typed/typed-store.js';
