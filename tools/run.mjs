#!/usr/bin/env node
// One entry point that works on a machine with only Node and npm:
//   node tools/run.mjs test     install, build, run every package's tests, print "N passed, N failed"
//   node tools/run.mjs demo     install, build, run the demo
//   node tools/run.mjs bench    install, build, run the benchmarks (arguments are passed on)
// Without a fitting pnpm it runs the version in package.json's packageManager through npx.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTestResults } from './test-results.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const [command = 'test', ...rest] = process.argv.slice(2);
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  return result.status ?? 1;
}

function must(cmd, args) {
  const status = run(cmd, args);
  if (status !== 0) {
    console.error(`\n${cmd} ${args.join(' ')} failed (exit ${status})`);
    process.exit(status);
  }
}

/** pnpm as installed, when its major version fits; else pnpm through npx (cached, nothing installed globally). */
function pnpm() {
  try {
    const version = execFileSync('pnpm', ['--version'], { encoding: 'utf8' }).trim();
    if (version.split('.')[0] === pnpmVersion.split('.')[0]) return ['pnpm', []];
  } catch {
    // not installed
  }
  console.log(`pnpm ${pnpmVersion.split('.')[0]} is not installed: using pnpm@${pnpmVersion} through npx (nothing is installed globally)`);
  return ['npx', ['--yes', `pnpm@${pnpmVersion}`]];
}

function prepare() {
  const [cmd, pre] = pnpm();
  const frozen = process.env.CI ? ['--frozen-lockfile'] : ['--frozen-lockfile', '--prefer-offline'];
  must(cmd, [...pre, 'install', ...frozen]);
  must(cmd, [...pre, 'run', 'build']);
  return [cmd, pre];
}

if (command === 'test') {
  const [cmd, pre] = prepare();
  const results = join(root, '.test-results');
  rmSync(results, { recursive: true, force: true });
  mkdirSync(results, { recursive: true });
  const status = run(cmd, [...pre, 'exec', 'turbo', 'run', 'test', '--concurrency=1', '--continue', ...rest]);
  const { passed, failed, failures } = readTestResults(results, root);
  // every package must have run its tests: a missing result (a server that did not start, a
  // runner that crashed) is a failure, never a skip
  const packages = readdirSync(join(root, 'packages')).map(
    (dir) => JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')).name,
  );
  const missing = packages.filter((name) => !existsSync(join(results, `${name}.jest.json`)));
  for (const name of missing) console.error(`no test results from ${name}`);
  const broken = (status !== 0 && failed === 0 ? 1 : 0) + missing.length;
  if (failures.length > 0) {
    console.log(`\nfailed tests (${failures.length}):`);
    for (const entry of failures.slice(0, 30)) console.log(entry);
  }
  const summary = `${passed} passed, ${failed + broken} failed`;
  writeFileSync(join(results, 'summary.txt'), `${summary}\n`);
  console.log(`\n${summary}`);
  process.exit(status !== 0 || failed + broken > 0 || passed === 0 ? 1 : 0);
} else if (command === 'demo') {
  const [cmd, pre] = prepare();
  process.exit(run(cmd, [...pre, '--filter', 'factstore-demo', 'start', ...rest]));
} else if (command === 'bench') {
  const [cmd, pre] = prepare();
  process.exit(run(cmd, [...pre, '--filter', 'factstore-bench', 'start', ...rest]));
} else {
  console.error(`unknown command ${command}: use test, demo or bench`);
  process.exit(2);
}
