/**
 * factstore-memory: the in-memory factstore.
 * @packageDocumentation
 */
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
