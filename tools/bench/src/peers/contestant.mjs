// One contestant of the peer comparison in a process of its own (started by compare.mjs with its
// name and the options as JSON): every peer's driver keeps its settings to itself (Emmett's
// dumbo sets global `pg` type parsers that @dcb-es does not expect), and each contestant has its
// own heap. Runs the workloads it is sent one at a time and replies with their figures.
import { dropDatabases } from './databases.mjs';
import { factstore, raw } from './ours.mjs';
import { workloads } from './workloads.mjs';
import { cleanUp } from '../stores/postgres.mjs';

const [name, options] = process.argv.slice(2);
const contestants = {
  raw: async () => raw,
  factstore: async () => factstore,
  dcb: async () => (await import('./dcb.mjs')).entityTag,
  'dcb-every-value': async () => (await import('./dcb.mjs')).everyValue,
  emmett: () => import('./emmett.mjs'),
};
const contestant = await contestants[name]();
const list = workloads(JSON.parse(options));
const shared = { loaded: new Map() };

process.on('message', async (message) => {
  if (message.type === 'stop') {
    for (const store of shared.loaded.values()) await store.close().catch(() => {});
    await dropDatabases();
    await cleanUp();
    process.send({ type: 'stopped' }, () => process.exit(0));
    return;
  }
  const workload = list.find((w) => w.id === message.id);
  try {
    process.send({ type: 'result', out: await workload.run(contestant, shared) });
  } catch (error) {
    process.send({ type: 'result', error: String(error?.stack ?? error) });
  }
});
process.send({ type: 'ready', label: contestant.label });
