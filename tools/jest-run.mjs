// Runs Jest for the package in the current folder and keeps its JSON results in
// <repo>/.test-results/<package>.json, where tools/run.mjs counts them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const name = JSON.parse(readFileSync('package.json', 'utf8')).name;
const results = join(root, '.test-results');
mkdirSync(results, { recursive: true });
const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const run = spawnSync(process.execPath, [jest, '--json', `--outputFile=${join(results, `${name}.jest.json`)}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
