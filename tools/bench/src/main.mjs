// pnpm bench [--store memory,sqlite,file,postgres] [--quick] [--events N] [--sizes N,N,N] [--only name,name]
//            [--peers dcb,dcb-every-value,emmett] [--rounds N] [--cached-events N]
// Runs every workload on every store beside its baseline, prints a table, and writes it as
// markdown and JSON to .bench-results/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import * as workloads from './workloads.mjs';

// Every run gets the heap of `pnpm bench` (16 GiB) and --expose-gc, however it was started: with
// node's default heap (about 4 GiB here) a log of 10^7 events in memory collects garbage near the
// limit, and the memory and file stores' figures at that size were up to 1.7× slower for it.
const HEAP_MIB = 16_384;
if (!globalThis.gc || getHeapStatistics().heap_size_limit < HEAP_MIB * 2 ** 20) {
  const flags = ['--expose-gc', `--max-old-space-size=${HEAP_MIB}`, ...process.execArgv];
  const child = spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? undefined : args[at + 1];
};
const quick = args.includes('--quick');
const total = Number(option('events') ?? (quick ? 100_000 : 1_000_000));
const rounds = quick ? 1 : 3;
const only = option('only')?.split(',');
// the log sizes of the scaling workload (context query and append cost as the log grows)
const sizes = (option('sizes') ?? (quick ? '10000,100000' : '100000,1000000,10000000')).split(',').map(Number);
const available = {
  memory: () => import('./stores/memory.mjs'),
  sqlite: () => import('./stores/sqlite.mjs'),
  file: () => import('./stores/file.mjs'),
  postgres: () => import('./stores/postgres.mjs'),
};
// --peers: the PostgreSQL peer comparison (peers/compare.mjs); alone, it runs instead of the stores
const peers = option('peers')?.split(',');
const storeNames = (option('store') ?? (peers ? '' : Object.keys(available).join(','))).split(',').filter(Boolean);

const plan = [
  ['append-batch', (s) => workloads.appendBatches(s, { total, rounds })],
  ['append-single', (s) => workloads.appendSingles(s, { rounds, quick })],
  ['appendif-many', (s) => workloads.appendIfLoop(s, { quick }, 1000)],
  ['appendif-one', (s) => workloads.appendIfLoop(s, { quick }, 1)],
  ['scaling', (s) => workloads.scaling(s, { sizes, quick })],
  ['replay', (s) => workloads.durableReplay(s, { total })],
  ['latency', (s) => workloads.liveLatency(s, { quick })],
  ['latency-cross', (s) => workloads.crossProcessLatency(s, { quick })],
  ['newest', (s) => workloads.newestOfEntity(s, { total, quick })],
  ['read-your-writes', (s) => workloads.readYourWrites(s, { quick })],
  ['reopen', (s) => workloads.reopen(s, { total })],
  ['multi-process', (s) => workloads.multiProcess(s, { quick })],
  ['many-keys', (s) => workloads.manyKeys(s, { quick })],
];

if (args.includes('--help') || args.includes('-h')) {
  console.log(`pnpm bench [--store memory,sqlite,file,postgres] [--quick] [--events N] [--sizes N,N,N] [--only name,name]
           [--peers dcb,dcb-every-value,emmett] [--rounds N] [--cached-events N]
Without --store every store runs (the full run takes most of an hour); PostgreSQL needs DATABASE_URL.
--rounds N: rounds of each peer workload (default: 1 with --quick, else one per contestant).
--cached-events N: the file store's cachedEvents option (default: the store's, 2^20).
Workloads for --only: ${plan.map(([name]) => name).join(', ')}.`);
  process.exit(0);
}

const lowerIsBetter = (unit) => unit === 'ms';
const ratio = (row) => {
  if (row.baseline === null || row.baseline === undefined) return null;
  return lowerIsBetter(row.unit) ? row.factstore / row.baseline : row.baseline / row.factstore;
};
const format = (value, unit) => {
  if (value === null || value === undefined) return '–';
  if (unit === 'ms') return value < 1 ? value.toFixed(4) : value.toFixed(2);
  if (unit === '×') return `${value.toFixed(2)}×`;
  return Math.round(value).toLocaleString('en');
};
// transparent huge pages for the heap (Linux): with `madvise`, node's heap has none, and the memory
// store's reads at 10^7 events cost 1.5–2× those at 10^5 (TLB misses); with `always`, 1.0×
const hugePages = (() => {
  try {
    return `, transparent huge pages ${/\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] ?? '?'}`;
  } catch {
    return '';
  }
})();
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}${hugePages}`;
const header =
  `Run ${new Date().toISOString()} on ${machine}; ${total.toLocaleString('en')} events${quick ? ' (quick)' : ''}; command: pnpm bench ${args.join(' ')}`.trim();
const out = join(root, '.bench-results');

/** Writes the table so far (after each store, so a long run that stops keeps what it measured). */
function report(rows, done) {
  const table = [
    '| store | workload | factstore | baseline | cost vs baseline | unit | note |',
    '| --- | --- | ---: | ---: | ---: | --- | --- |',
    ...rows.map((row) => {
      const r = ratio(row);
      return `| ${row.store} | ${row.workload} | ${format(row.factstore, row.unit)} | ${format(row.baseline, row.unit)} | ${r === null ? '–' : `${r.toFixed(2)}×`} | ${row.unit} | ${row.note} |`;
    }),
  ].join('\n');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'latest.md'), `${header}${done ? '' : ' (partial)'}\n\n${table}\n`);
  writeFileSync(
    join(out, 'latest.json'),
    JSON.stringify({ header, machine, total, quick, done, rows: rows.map((row) => ({ ...row, ratio: ratio(row) })) }, null, 2),
  );
  return table;
}

const rows = [];
/** The store modules this run loaded. */
const used = new Set();
for (const storeName of storeNames) {
  const load = available[storeName];
  if (!load) throw new Error(`unknown store ${storeName}; known: ${Object.keys(available).join(', ')}`);
  const store = await load();
  store.configure?.({ cachedEvents: option('cached-events') === undefined ? undefined : Number(option('cached-events')) });
  used.add(store);
  process.stderr.write(`${storeName}\n`);
  for (const [id, run] of plan) {
    if (only && !only.includes(id)) continue;
    for (const row of await run(store)) rows.push({ store: storeName, ...row });
  }
  await store.cleanUp?.();
  report(rows, false);
}

if (peers) {
  const { comparePeers, peersTable } = await import('./peers/compare.mjs');
  const pg = await import('./stores/postgres.mjs');
  used.add(pg);
  const peerRounds = option('rounds') === undefined ? undefined : Number(option('rounds'));
  const compared = await comparePeers(peers, { quick, total: Number(option('events') ?? 100_000), only, rounds: peerRounds });
  await pg.cleanUp();
  const peerTable = peersTable(compared);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'peers.md'), `${header}\n\n${peerTable}\n`);
  writeFileSync(join(out, 'peers.json'), JSON.stringify({ header, machine, ...compared }, null, 2));
  console.log(`\n${header}\n\n${peerTable}\n`);
  console.log("÷ raw: the figure over the raw driver's (decisions: over its single appends with 64 callers); for ms lower is better.");
  process.stderr.write(`written to ${join(out, 'peers.md')} and peers.json\n`);
}

if (storeNames.length > 0) {
  const table = report(rows, true);
  console.log(`\n${header}\n\n${table}\n`);
  console.log(
    'cost vs baseline: factstore time ÷ baseline time (for throughputs: baseline rate ÷ factstore rate); 1.00× = as fast as the baseline.',
  );
  process.stderr.write(`written to ${join(out, 'latest.md')} and latest.json\n`);
}

// a store module may hold a server of its own (PostgreSQL without DATABASE_URL): stop it, or the run would not exit
for (const module of used) await module.stop?.();
