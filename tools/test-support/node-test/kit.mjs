// The fault kit (src/index.ts) for the node:test files, loaded through the TypeScript hooks.
import './register-ts.mjs';

/** @type {typeof import('../src/index.ts')} */
const kit = await import('../src/index.ts');
export default kit;
