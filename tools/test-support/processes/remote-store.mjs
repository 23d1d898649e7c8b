// A store driven over IPC by the parent (src/store-kit/small-disk.ts), in a folder that is a
// small filesystem of this process's own. Requests { id, op, args } are answered with
// { id, value } or { id, error: { code, message, cause } }. Arguments: spec, folder.
import { cpSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { args, openStore, spec } from './open-store.mjs';

const [folder] = args;
const filler = join(folder, 'filler');
const streamed = [];
let store;

const ops = {
  open: async () => void (store = await openStore(spec)),
  append: (events) => store.append(events),
  query: (query) => store.query(query),
  streamAll: async () => void (await store.streamAll((batch) => void streamed.push(batch.map((r) => Number(r.sequenceNumber))))),
  streamed: async () => streamed,
  close: () => store.close(),
  // takes up the free room of the filesystem but `leave` bytes, with a file of zeros
  fill: async (leave) => {
    const { bavail, bsize } = statfsSync(folder);
    writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - leave)));
    return statfsSync(folder).bavail * bsize;
  },
  free: async () => rmSync(filler, { force: true }),
  // what the filesystem holds, but the filler, copied to a folder the parent can see
  copyOut: async (to) => cpSync(folder, to, { recursive: true, filter: (source) => source !== filler }),
};

const plain = (error) => error && { code: error.code, message: String(error.message ?? error), cause: plain(error.cause) };

process.on('message', async ({ id, op, args: params }) => {
  try {
    process.send({ id, value: await ops[op](...params) });
  } catch (error) {
    process.send({ id, error: plain(error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
