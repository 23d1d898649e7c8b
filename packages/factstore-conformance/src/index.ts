/**
 * factstore-conformance: the factstore contract as runnable cases, for any store and any test
 * runner (Jest, Vitest, `node:test`).
 * @packageDocumentation
 */
export { describeFactStoreConformance, runConformanceCase, type ConformanceOptions, type TestApi } from './describe-conformance.js';
export { conformanceCases } from './cases/index.js';
export { badInputs } from './cases/input-rules.js';
export type { CaseContext, ConformanceCase, CreateStore } from './conformance-case.js';
export { pick, random, RANDOM_TYPES, randomEvent, randomPayload, randomPredicate, randomQuery } from './random-data.js';
