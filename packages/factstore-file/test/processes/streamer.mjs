// A streaming process: reports every batch a live stream delivers, until it has seen the head
// the parent names. Arguments: path.
import { FileStore } from 'factstore-file';

const [path] = process.argv.slice(2);
const store = await FileStore.open(path, { pollIntervalMs: 5 });
const batches = [];
let until = Infinity;
let last = 0;
const finish = async () => {
  await store.close();
  process.send({ type: 'batches', batches }, () => process.exit(0));
};
await store.streamAll((batch) => {
  batches.push(batch.map((r) => [Number(r.sequenceNumber), r.payload.writer ?? null, r.payload.i ?? null]));
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
