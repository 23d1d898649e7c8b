// A streaming process: reports every batch a live stream delivers, once it has seen the head the
// parent names in a `finish` message. Arguments: spec.
import { openStore, spec } from './open-store.mjs';

const store = await openStore(spec);
const batches = [];
let until = Infinity;
let last = 0;
let finishing = false;
const finish = async () => {
  if (finishing) return;
  finishing = true;
  await store.close();
  process.send({ type: 'batches', batches }, () => process.exit(0));
};
await store.streamAll((batch) => {
  batches.push(batch.map((r) => Number(r.sequenceNumber)));
  last = Number(batch[batch.length - 1].sequenceNumber);
  if (last >= until) void finish();
});
process.on('message', (message) => {
  if (message.type === 'finish') {
    until = message.head;
    if (last >= until) void finish();
  }
});
process.send({ type: 'ready' });
