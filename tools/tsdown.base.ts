import { defineConfig } from 'tsdown';

/** How every package is built: ESM and CommonJS from src/index.ts, with types and source maps. */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  platform: 'node',
  target: 'node20',
});
