// Runs `node --test` on the current package's node-test/ folder (ESM files importing the built
// packages) and keeps a TAP copy in <repo>/.test-results/<package>.node.tap for tools/run.mjs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const name = JSON.parse(readFileSync('package.json', 'utf8')).name;
const results = join(root, '.test-results');
mkdirSync(results, { recursive: true });
const files = readdirSync('node-test')
  .filter((f) => f.endsWith('.test.mjs'))
  .map((f) => join('node-test', f));
const run = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${join(results, `${name}.node.tap`)}`,
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(run.status ?? 1);
