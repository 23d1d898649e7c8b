/**
 * factstore-memory: the in-memory factstore.
 * @packageDocumentation
 */
export { MemoryStore } from './memory-store.js';
