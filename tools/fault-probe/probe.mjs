// Runs today's PostgresStore (the built factstore-postgres) through each fault of the test-support
// kit for a bounded time, against a throwaway PostgreSQL, and prints what went wrong: unhandled
// rejections, crashes, calls slower than 5 s, duplicated and lost appends, gaps, streams that did
// not deliver the log exactly, and how long connect() and close() took. A measurement for whoever
// fixes the defects, not a test: it never fails. Run: pnpm --filter factstore-fault-probe probe
// (after pnpm build). Arguments: fault names to run only those.
import postgres from 'postgres';
import { runFaultWorker, startProxy, startThrowawayServer, terminateStorm } from 'factstore-test-support/faults';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const CALL_BOUND_MS = 5000;

// fsync off: faster, and a crash of the postmaster (not of the OS) loses nothing either way
const server = await startThrowawayServer({ settings: { max_connections: '200', fsync: 'off' } });
const target = { host: '127.0.0.1', port: server.port };
const admin = postgres(server.url, { max: 1, onnotice: () => {} });

/**
 * Fault name → { run: ms of load, direct: connect without the proxy, during(proxy, applicationName): the fault,
 * started once the store is connected } or { connectOnly: the proxy mode in which connect() is timed }.
 */
const faults = {
  'baseline (direct)': { run: 4000, direct: true, during: async () => {} },
  'baseline (proxy)': { run: 4000, during: async () => {} },
  'drop-replies 3%': {
    run: 10_000,
    during: async (proxy) => {
      proxy.mode('drop-replies', { probability: 0.03 });
      await sleep(8000);
      proxy.mode('forward');
    },
  },
  'cut every 300 ms': {
    run: 10_000,
    during: async (proxy) => {
      for (const end = Date.now() + 8000; Date.now() < end; await sleep(300)) proxy.cutAll();
    },
  },
  'terminate storm 200 ms': {
    run: 10_000,
    direct: true,
    during: (_proxy, app) => terminateStorm(admin, { applicationName: app, everyMs: 200, durationMs: 8000 }),
  },
  'terminate storm 10 ms': {
    run: 8000,
    direct: true,
    during: (_proxy, app) => terminateStorm(admin, { applicationName: app, everyMs: 10, durationMs: 6000 }),
  },
  'stall 6 s': {
    run: 12_000,
    during: async (proxy) => {
      await sleep(2000);
      proxy.mode('stall');
      await sleep(6000);
      proxy.mode('forward');
    },
  },
  'stop -m immediate 2 s': {
    run: 10_000,
    direct: true,
    during: async () => {
      await sleep(2000);
      await server.stop('immediate');
      await sleep(2000);
      await server.start();
    },
  },
  'stop -m fast 2 s': {
    run: 10_000,
    direct: true,
    during: async () => {
      await sleep(2000);
      await server.stop('fast');
      await sleep(2000);
      await server.start();
    },
  },
  'connect: accept-and-close': { connectOnly: 'accept-and-close' },
  'connect: refuse': { connectOnly: 'refuse' },
  'connect: silent': { connectOnly: 'silent' },
};

const module = import.meta.resolve('factstore-postgres');
const results = [];
const only = process.argv.slice(2);
for (const [name, fault] of Object.entries(faults)) {
  if (only.length > 0 && !only.includes(name)) continue;
  const app = `probe-${results.length}`;
  const schema = `probe_${results.length}_${Date.now().toString(36)}`;
  const proxy = await startProxy({ target, mode: fault.connectOnly ?? 'forward' });
  const base = new URL(fault.direct ? server.url : proxy.url(server.url));
  base.searchParams.set('application_name', app);
  process.stderr.write(`${name}…\n`);
  const report = await runFaultWorker(
    {
      module,
      url: base.href,
      schema,
      durationMs: fault.run ?? 0,
      callBoundMs: CALL_BOUND_MS,
      connectOnly: Boolean(fault.connectOnly),
      connectCapMs: fault.connectOnly ? 12_000 : 15_000,
      during: fault.connectOnly ? undefined : () => fault.during(proxy, app),
    },
    admin,
  );
  const row = {
    fault: name,
    ...report,
    unhandled: report.unhandled.length,
    crashed: report.crashed ? (report.uncaught[0]?.message ?? 'exit') : 'no',
    connectMs: report.connectMs ?? `> ${fault.connectOnly ? 12_000 : 15_000}`,
    closeMs: report.closeMs === undefined ? '' : (report.closeMs ?? `> ${CALL_BOUND_MS}`),
  };
  if (report.failures)
    row.failureList = Object.entries(report.failures)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
  const firsts = new Map();
  for (const e of [...report.unhandled, ...report.uncaught]) if (!firsts.has(e.code ?? e.message)) firsts.set(e.code ?? e.message, e);
  row.unhandledFirsts = [...firsts.values()];
  results.push(row);
  await proxy.close();
  if (!server.pid()) await server.start().catch(() => {});
  await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
}

await admin.end({ timeout: 1 });
await server.close();

const columns = [
  ['fault', 'fault'],
  ['acked', 'acked'],
  ['failed', 'failed'],
  ['conflicts', 'appendIf conflicts'],
  ['slow', `calls > ${CALL_BOUND_MS / 1000} s`],
  ['neverSettled', 'never settled'],
  ['unhandled', 'unhandled rejections'],
  ['crashed', 'crash'],
  ['twice', 'payload ids twice'],
  ['lost', 'acked lost'],
  ['landed', 'failed but landed'],
  ['landedUnannounced', 'landed without mayHaveCommitted'],
  ['gaps', 'gaps'],
  ['streamExact', 'stream exact'],
  ['connectMs', 'connect ms'],
  ['closeMs', 'close ms'],
];
console.log(`| ${columns.map(([, title]) => title).join(' | ')} |`);
console.log(`| ${columns.map(([key]) => (key === 'fault' || key === 'crashed' ? '---' : '---:')).join(' | ')} |`);
for (const row of results) console.log(`| ${columns.map(([key]) => String(row[key] ?? '')).join(' | ')} |`);
console.log('');
console.log('Unhandled rejections are recorded and the worker goes on; under Node defaults each one would crash the process.');
console.log(
  `"calls > ${CALL_BOUND_MS / 1000} s": calls still pending after ${CALL_BOUND_MS / 1000} s; "never settled": still pending when the worker reported, at least ${CALL_BOUND_MS / 1000} s + the run's length after the load stopped.`,
);
for (const row of results) {
  if (row.failureList) console.log(`${row.fault}: failures ${row.failureList}`);
  if (row.connectError) console.log(`${row.fault}: connect() failed with ${row.connectError} after ${row.connectMs} ms`);
  for (const e of row.unhandledFirsts) {
    const frames = (e.stack ?? '')
      .split('\n')
      .slice(1, 4)
      .map((line) => line.trim().replace(/file:\/\/\S*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, ''));
    console.log(`${row.fault}: ${e.kind} ${e.code ?? ''} ${e.message} ${frames.join(' < ')}`);
  }
}
