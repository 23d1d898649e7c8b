import { defineConfig } from 'tsdown';
import base from '../../tools/tsdown.base.ts';

/** The library (src/index.ts) and the `factstore` command (src/cli.ts). */
export default defineConfig({ ...base, entry: ['src/index.ts', 'src/cli.ts'] });
