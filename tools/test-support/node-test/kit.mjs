// The fault kit (src/faults) for the node:test files, loaded through the TypeScript hooks. (The
// store kit beside it is for Jest, which runs it as CommonJS.)
import './register-ts.mjs';

/** @type {typeof import('../src/faults/index.ts')} */
const kit = await import('../src/faults/index.ts');
export default kit;
