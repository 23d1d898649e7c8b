// The fault suite: a PostgresStore under load (32 writers, half of them appendIf, and a live
// stream) in a child process watched for unhandled rejections, while the network or the server
// misbehaves. Every run asserts: no unhandled rejection, no crash, every call settled within its
// bound, nothing acknowledged lost, nothing written twice, no gap, the stream saw the log exactly,
// and a failed append that is in the log said so (`mayHaveCommitted`).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import {
  runFaultWorker,
  startProxy,
  startThrowawayServer,
  terminateStorm,
  type FaultProxy,
  type FaultReport,
  type ThrowawayServer,
} from 'factstore-test-support';
import { freshSchema } from './database.js';

const storeModule = pathToFileURL(join(__dirname, '..', 'dist', 'index.mjs')).href;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The store's bounds in these runs: short, so that the runs are. */
const storeOptions = { callTimeoutMs: 2000, connectTimeoutMs: 1500, closeTimeoutMs: 1000 };
/** A call may take its bound plus scheduling slack on a busy 2-core machine. */
const CALL_BOUND_MS = storeOptions.callTimeoutMs + 1500;

/** What every run under load must come to. */
function expectExact(report: FaultReport): void {
  expect(report.unhandled.map((e) => `${e.code ?? ''} ${e.message}`)).toEqual([]);
  expect(report.crashed).toBe(false);
  expect(report.acked).toBeGreaterThan(0);
  expect({ slow: report.slow, neverSettled: report.neverSettled }).toEqual({ slow: 0, neverSettled: 0 });
  expect({ lost: report.lost, twice: report.twice, gaps: report.gaps }).toEqual({ lost: 0, twice: 0, gaps: 0 });
  expect(report.landedUnannounced).toBe(0);
  expect({ streamExact: report.streamExact, streamMismatch: report.streamMismatch }).toEqual({
    streamExact: true,
    streamMismatch: undefined,
  });
  for (const code of Object.keys(report.failures ?? {})) expect(code).toBe('BACKEND_FAILURE');
  expect(report.closeMs).not.toBeNull();
}

describe('PostgresStore under faults', () => {
  // the suite runs on a PostgreSQL of its own: what its faults leave behind (sessions abandoned in the
  // middle of a statement, holding locks until the server notices) ends with that server, not in the
  // test server the other test files share
  let server: ThrowawayServer;
  let admin: postgres.Sql;
  let proxy: FaultProxy;
  const serverUrl = () => server.url;

  beforeAll(async () => {
    server = await startThrowawayServer({ settings: { fsync: 'off', max_connections: '200' } });
    admin = postgres(server.url, { onnotice: () => {}, max: 2 });
    proxy = await startProxy({ target: { host: '127.0.0.1', port: server.port }, protocol: 'postgres' });
  }, 120_000);
  afterEach(() => proxy.mode('forward'));
  afterAll(async () => {
    await proxy?.close();
    await admin?.end({ timeout: 1 });
    await server?.close();
  }, 60_000);

  const named = (url: string, app: string) => {
    const u = new URL(url);
    u.searchParams.set('application_name', app);
    return u.href;
  };
  const run = (url: string, durationMs: number, during: () => Promise<unknown>) => {
    const schema = freshSchema('fault');
    return runFaultWorker(
      {
        module: storeModule,
        url: url.includes('application_name=') ? url : named(url, `fault-${process.pid}`),
        schema,
        storeOptions,
        durationMs,
        callBoundMs: CALL_BOUND_MS,
        connectCapMs: 10_000,
        during,
      },
      admin,
    );
  };

  it('connections cut every 300 ms: calls fail with BACKEND_FAILURE or succeed, the log stays exact', async () => {
    const report = await run(proxy.url(serverUrl()), 4000, async () => {
      for (const end = Date.now() + 3000; Date.now() < end; await sleep(300)) proxy.cutAll();
    });
    expectExact(report);
  }, 60_000);

  it('commit replies dropped (3%): an append that may have landed says so, none is written twice', async () => {
    const report = await run(proxy.url(serverUrl()), 4000, async () => {
      proxy.mode('drop-replies', { probability: 0.03 });
      await sleep(3000);
      proxy.mode('forward');
    });
    expectExact(report);
    expect(report.failed).toBeGreaterThan(0);
  }, 60_000);

  it('a storm of pg_terminate_backend every 10 ms against the store’s own backends: no unhandled rejection, no hang', async () => {
    const app = `fault-storm-${process.pid}`;
    const report = await run(named(serverUrl(), app), 4000, () =>
      terminateStorm(admin, { applicationName: app, everyMs: 10, durationMs: 3000 }),
    );
    expectExact(report);
  }, 60_000);

  it('a network that stalls for 4 s: calls fail within callTimeoutMs instead of waiting, and work again after', async () => {
    const report = await run(proxy.url(serverUrl()), 7000, async () => {
      await sleep(1000);
      proxy.mode('stall');
      await sleep(4000);
      proxy.mode('forward');
    });
    expectExact(report);
    expect(report.failures?.BACKEND_FAILURE ?? 0).toBeGreaterThan(0);
  }, 60_000);

  it.each(['accept-and-close', 'silent'] as const)(
    'connect() against a server that is %s settles within connectTimeoutMs with BACKEND_FAILURE',
    async (mode) => {
      proxy.mode(mode);
      const schema = freshSchema('connect');
      const report = await runFaultWorker(
        {
          module: storeModule,
          url: proxy.url(serverUrl()),
          schema,
          storeOptions,
          durationMs: 0,
          callBoundMs: 5000,
          connectOnly: true,
          connectCapMs: 10_000,
        },
        admin,
      );
      expect(report.unhandled).toEqual([]);
      expect(report.crashed).toBe(false);
      expect(report.connectError).toBe('BACKEND_FAILURE');
      expect(report.connectMs).not.toBeNull();
      expect(report.connectMs as number).toBeLessThan(storeOptions.connectTimeoutMs + 1500);
    },
    30_000,
  );

  describe('a server stopped under load and started again', () => {
    it.each(['fast', 'immediate'] as const)(
      'stop -m %s for 2 s: calls in the outage fail within their bound, afterwards the log is exact and the stream resumes',
      async (mode) => {
        const schema = `fault_stop_${mode}`;
        const report = await runFaultWorker(
          {
            module: storeModule,
            url: serverUrl(),
            schema,
            storeOptions,
            durationMs: 6000,
            callBoundMs: CALL_BOUND_MS,
            connectCapMs: 10_000,
            during: async () => {
              await sleep(1000);
              await server.stop(mode);
              await sleep(2000);
              await server.start();
            },
          },
          admin,
        );
        expectExact(report);
        expect(report.failures?.BACKEND_FAILURE ?? 0).toBeGreaterThan(0);
      },
      90_000,
    );
  });
});
