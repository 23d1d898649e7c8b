// Registers ts-hooks.mjs: `node --import ./register-ts.mjs` (or importing this first and the
// TypeScript modules after it with `await import()`) lets plain Node load this package's sources.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
