// node --test, ESM: imports the built packages the way a user's project would.
import { describe, it } from 'node:test';
import { describeFactStoreConformance } from 'factstore-conformance';
import { MemoryStore } from 'factstore-memory';

describeFactStoreConformance('MemoryStore (node:test, ESM build)', () => new MemoryStore(), { api: { describe, it } });
