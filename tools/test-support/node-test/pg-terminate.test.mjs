// terminateStorm: kills the backends of one application_name, round after round, and no other.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import kit from './kit.mjs';
import { databaseUrl, sleep } from './helpers.mjs';

const { terminateStorm, STORM_APPLICATION_NAME } = kit;
const T = { timeout: 20_000 };

describe('terminateStorm', () => {
  const victimName = `fault-victim-${process.pid}`;
  let admin;
  before(() => {
    admin = postgres(databaseUrl(), { max: 1, onnotice: () => {} });
  });
  after(() => admin.end({ timeout: 1 }));

  it('terminates the backends with the application name, again as they reconnect, and spares the others', T, async () => {
    const victims = postgres(databaseUrl(), { max: 3, onnotice: () => {}, connection: { application_name: victimName } });
    const bystander = postgres(databaseUrl(), {
      max: 1,
      onnotice: () => {},
      connection: { application_name: `fault-bystander-${process.pid}` },
    });
    try {
      const [{ pid: bystanderPid }] = await bystander`SELECT pg_backend_pid() AS pid`;
      const errors = [];
      const pids = new Set();
      let running = true;
      // postgres.js can leave a query pending for good after its connection is terminated (a driver
      // hang the store must work around: see the issue on PostgreSQL under faults); the load gives
      // up waiting on a query after 3 s, so that this test of the storm itself stays bounded
      let hung = 0;
      const bounded = (query) => {
        let settled = false;
        const answered = query.finally(() => (settled = true));
        return Promise.race([
          answered,
          // counts only a query still pending when its 3 s are up
          sleep(3000).then(() => {
            if (!settled) hung++;
            return undefined;
          }),
        ]);
      };
      const load = Array.from({ length: 3 }, async () => {
        while (running) {
          try {
            const rows = await bounded(victims`SELECT pg_backend_pid() AS pid, pg_sleep(0.02)`);
            if (rows) pids.add(rows[0].pid);
          } catch (error) {
            errors.push(error.code ?? error.message);
          }
        }
      });
      await sleep(100);
      const storm = await terminateStorm(databaseUrl(), { applicationName: victimName, everyMs: 100, durationMs: 1500 });
      running = false;
      await Promise.all(load);
      assert.ok(hung <= 3, `${hung} victim queries never settled`);

      assert.ok(storm.terminated >= 3, `terminated ${storm.terminated}`);
      assert.ok(storm.rounds >= 5 && storm.rounds <= 16, `${storm.rounds} rounds of 100 ms in 1.5 s`);
      assert.equal(storm.failedRounds, 0, storm.errors.join('; '));
      assert.ok(storm.elapsedMs >= 1400 && storm.elapsedMs < 3000, `lasted ${storm.elapsedMs} ms`);
      assert.ok(errors.length > 0, 'the victims saw their connections end');
      assert.ok(
        errors.every(
          (code) =>
            ['57P01', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'ECONNRESET', 'EPIPE'].includes(code) ||
            /terminat|connection|closed|reset/i.test(code), // an error the driver gives no code (seen once under load)
        ),
        `victim errors: ${[...new Set(errors)]}`,
      );
      assert.ok(pids.size > 3, `the victims reconnected to new backends (${pids.size} pids)`);
      const [{ pid: after }] = await bystander`SELECT pg_backend_pid() AS pid`;
      assert.equal(after, bystanderPid, 'the bystander kept its backend');
      const again = await bounded(victims`SELECT true AS ok`);
      if (hung === 0) assert.equal(again?.[0]?.ok, true, 'victims work again after the storm');
    } finally {
      await Promise.race([Promise.all([victims.end({ timeout: 1 }), bystander.end({ timeout: 1 })]), sleep(3000)]);
    }
  });

  it('is bounded: by maxTerminations, by an abort signal, and never terminates its own connection', T, async () => {
    // a name of its own: backends of the first test's victims may still be about
    const victims = postgres(databaseUrl(), { max: 1, onnotice: () => {}, connection: { application_name: `${victimName}-capped` } });
    try {
      await victims`SELECT 1`;
      const started = Date.now();
      const capped = await terminateStorm(admin, {
        applicationName: `${victimName}-capped`,
        everyMs: 20,
        durationMs: 10_000,
        maxTerminations: 1,
      });
      assert.equal(capped.terminated, 1);
      assert.ok(Date.now() - started < 2000, 'ended at the first termination, long before its duration');

      const abort = new AbortController();
      setTimeout(() => abort.abort(), 200);
      const aborted = await terminateStorm(admin, {
        applicationName: 'nobody-has-this-name',
        everyMs: 50,
        durationMs: 10_000,
        signal: abort.signal,
      });
      assert.ok(aborted.elapsedMs < 1000 && aborted.rounds >= 2, `aborted after ${aborted.elapsedMs} ms, ${aborted.rounds} rounds`);
      assert.equal(aborted.terminated, 0);
      await admin`SELECT 1`; // the admin instance passed in is left open and alive

      await assert.rejects(terminateStorm(admin, { applicationName: STORM_APPLICATION_NAME }), /would terminate itself/);
      await assert.rejects(terminateStorm(admin, { applicationName: '' }), /needs an applicationName/);
    } finally {
      await victims.end({ timeout: 1 });
    }
  });

  it('counts the rounds that fail instead of throwing (the server is unreachable)', T, async () => {
    const storm = await terminateStorm('postgres://postgres@127.0.0.1:1/none', {
      applicationName: victimName,
      everyMs: 50,
      durationMs: 400,
    });
    assert.equal(storm.terminated, 0);
    assert.ok(storm.failedRounds >= 1 && storm.failedRounds === storm.rounds, `${storm.failedRounds} of ${storm.rounds} failed`);
    assert.match(storm.errors[0], /ECONNREFUSED|connect/);
  });
});
