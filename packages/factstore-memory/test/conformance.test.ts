import { describeFactStoreConformance } from 'factstore-conformance';
import { MemoryStore } from '../src/index.js';

// Jest in CommonJS mode: this loads the built CommonJS output of factstore-conformance.
describeFactStoreConformance('MemoryStore', () => new MemoryStore());
