import { defineConfig } from 'tsdown';
import base from '../../tools/tsdown.base.ts';

// two entry points: the application API (`factstore`) and the store authors' one (`factstore/backend`)
export default defineConfig({ ...base, entry: ['src/index.ts', 'src/backend.ts'] });
