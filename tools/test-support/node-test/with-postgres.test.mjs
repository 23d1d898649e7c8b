// with-postgres.mjs: the throwaway server it starts keeps answering while the command runs, however
// much the server logs. Its output comes through a pipe this wrapper must keep reading: with the
// wrapper blocked (spawnSync), the pipe filled after about 64 KB and every server process that
// logged a line hung in that write (seen as a store's sessions stuck in COMMIT after a terminate
// storm, in CI only).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { within } from './helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const wrapper = join(here, '..', 'with-postgres.mjs');

// Logs about 1 MB at level LOG (written to the server's stderr), then answers a query.
const command = `
  import postgres from 'postgres';
  const sql = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
  await sql.unsafe("DO $$ BEGIN FOR i IN 1..4000 LOOP RAISE LOG '%', repeat('x', 250); END LOOP; END $$");
  const [{ answer }] = await sql\`SELECT 42 AS answer\`;
  console.log('answer', answer);
  await sql.end();
`;

/** Runs the wrapper with `args` and no DATABASE_URL: { code, stdout, timedOut } within `ms`. */
async function runWrapper(args, ms) {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [wrapper, ...args], { cwd: join(here, '..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.resume();
  const closed = new Promise((resolve) => child.on('close', resolve));
  const outcome = await within(closed, ms);
  if (outcome.state === 'pending') child.kill('SIGKILL');
  return { code: outcome.state === 'pending' ? null : outcome.value, stdout, timedOut: outcome.state === 'pending' };
}

describe('with-postgres.mjs with a throwaway server', () => {
  it('keeps the server answering after it has logged far more than a pipe holds', { timeout: 120_000 }, async () => {
    const run = await runWrapper([process.execPath, '--input-type=module', '-e', command], 30_000);
    assert.deepEqual(
      { timedOut: run.timedOut, code: run.code, answer: /answer 42/.test(run.stdout) },
      { timedOut: false, code: 0, answer: true },
    );
  });

  it("passes on the command's exit code", { timeout: 120_000 }, async () => {
    const run = await runWrapper([process.execPath, '-e', 'process.exit(3)'], 30_000);
    assert.deepEqual({ timedOut: run.timedOut, code: run.code }, { timedOut: false, code: 3 });
  });
});
