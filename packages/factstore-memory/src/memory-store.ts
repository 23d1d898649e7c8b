import { InvalidInputError, type InvalidInputIssue, type TelemetryOptions } from 'factstore';
import { checkOptions, EventStoreBase, TelemetryOnlyOptions } from 'factstore/backend';
import { MemoryBackend } from './memory-backend.js';

/**
 * The in-memory factstore: the whole contract, kept in this process's memory for the life of the
 * instance. It is the semantic reference for the other stores, and the fast choice for tests and
 * for prototypes. Context queries of one entity use posting lists (event type, top-level scalar
 * payload values), so they stay fast as the log grows.
 *
 * @example
 * ```ts
 * import { MemoryStore } from 'factstore-memory';
 *
 * const store = new MemoryStore();
 * await store.append([{ eventType: 'account-opened', payload: { accountId: 'a1' } }]);
 * const { eventRecords, currentContextVersion } = await store.query({
 *   filters: [{ payloadPredicates: [{ accountId: 'a1' }] }],
 * });
 * await store.close();
 * ```
 */
export class MemoryStore extends EventStoreBase {
  /**
   * @param options `telemetry`, or nothing
   * @throws {@link InvalidInputError} for any other key (`new MemoryStore({ foo: 1 })`), a bad
   *   `telemetry`, or a value that is not an object
   */
  constructor(options?: MemoryStoreOptions) {
    const issues: InvalidInputIssue[] = [];
    const valid = checkOptions<MemoryStoreOptions>(TelemetryOnlyOptions, options, issues);
    if (issues.length > 0) throw new InvalidInputError(issues);
    super(new MemoryBackend(), { telemetry: valid.telemetry });
  }
}

/** Options of {@link MemoryStore}; any other key is refused with `INVALID_INPUT`. */
export interface MemoryStoreOptions {
  /**
   * Where the store's spans and metrics go: `{ tracerProvider, meterProvider }` of OpenTelemetry
   * (docs/operations.md). Default: the global providers of `@opentelemetry/api` when it is
   * installed; without it, no telemetry.
   */
  telemetry?: TelemetryOptions;
}
