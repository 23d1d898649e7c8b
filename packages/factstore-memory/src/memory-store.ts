import { EventStoreBase } from 'factstore/backend';
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
  constructor() {
    super(new MemoryBackend());
  }
}
