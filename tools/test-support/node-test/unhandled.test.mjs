// watchedChild and the preload: a child's unhandled rejections and uncaught exceptions reach the
// test, and a crash is told from a clean exit and from a kill.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import kit from './kit.mjs';

const { watchedChild, UNCAUGHT_EXIT_CODE } = kit;
const folder = join(dirname(fileURLToPath(import.meta.url)), 'processes');
const T = { timeout: 20_000 };

describe('watchedChild', () => {
  it('reports an unhandled rejection (the child goes on) and an uncaught exception (the child crashes)', T, async () => {
    const child = watchedChild(folder, 'unhandled-child.mjs', ['reject-then-throw']);
    await child.waitFor('alive-after-rejection', 10_000);
    const outcome = await child.outcome(10_000);
    assert.equal(outcome.code, UNCAUGHT_EXIT_CODE);
    assert.equal(outcome.crashed, true);
    assert.equal(outcome.timedOut, false);
    assert.deepEqual(
      outcome.unhandledRejections.map((e) => [e.kind, e.name, e.message, e.code]),
      [['unhandledRejection', 'Error', 'lost promise', 'E_LOST']],
    );
    assert.deepEqual(
      outcome.uncaughtExceptions.map((e) => [e.kind, e.name, e.message]),
      [['uncaughtException', 'TypeError', 'boom in a timer']],
    );
    assert.match(outcome.uncaughtExceptions[0].stack, /unhandled-child\.mjs/);
  });

  it('a clean child: nothing unhandled, no crash', T, async () => {
    const child = watchedChild(folder, 'unhandled-child.mjs', ['clean']);
    await child.waitFor('done');
    const outcome = await child.outcome(10_000);
    assert.deepEqual(
      { code: outcome.code, crashed: outcome.crashed, rejections: outcome.unhandledRejections, exceptions: outcome.uncaughtExceptions },
      { code: 0, crashed: false, rejections: [], exceptions: [] },
    );
  });

  it('records a rejection with a reason that is not an Error', T, async () => {
    const outcome = await watchedChild(folder, 'unhandled-child.mjs', ['non-error']).outcome(10_000);
    assert.deepEqual(
      outcome.unhandledRejections.map((e) => [e.name, e.message, e.code]),
      [['string', 'just a string', undefined]],
    );
    assert.equal(outcome.crashed, false, 'it exited with 0 on its own');
  });

  it('a kill by the test is no crash; a child that does not exit in time is killed and marked', T, async () => {
    const killed = watchedChild(folder, 'unhandled-child.mjs', ['hang']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    killed.kill('SIGTERM');
    const byUs = await killed.outcome(5000);
    assert.deepEqual([byUs.signal, byUs.crashed, byUs.timedOut], ['SIGTERM', false, false]);

    const stuck = watchedChild(folder, 'unhandled-child.mjs', ['hang']);
    const started = Date.now();
    const late = await stuck.outcome(300);
    assert.deepEqual([late.signal, late.timedOut, late.crashed], ['SIGKILL', true, false]);
    assert.ok(Date.now() - started < 3000);
  });

  it('recordUnhandled with exitOnException false keeps a process alive and records every exception', T, async () => {
    // without the preload, whose recorder would end the child at the first exception
    const child = fork(join(folder, 'unhandled-child.mjs'), ['in-process'], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const message = await new Promise((resolve) => child.once('message', resolve));
    assert.deepEqual(message.events, ['uncaughtException: first', 'uncaughtException: second']);
    assert.equal(await exited, 0);
  });
});
