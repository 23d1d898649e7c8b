// A streaming process: reports every batch a live stream delivers until it has seen the head the
// parent names; also reports its cross-process latency. Arguments: schema.
import { PostgresStore } from 'factstore-postgres';

const [schema] = process.argv.slice(2);
const store = await PostgresStore.connect(process.env.DATABASE_URL, { schema });
const batches = [];
let until = Infinity;
let last = 0;
const finish = async () => {
  await store.close();
  process.send({ type: 'batches', batches }, () => process.exit(0));
};
await store.streamAll((batch) => {
  batches.push(batch.map((r) => Number(r.sequenceNumber)));
  last = Number(batch[batch.length - 1].sequenceNumber);
  process.send({ type: 'seen', last, at: performance.timeOrigin + performance.now() });
  if (last >= until) void finish();
});
process.on('message', (message) => {
  if (message.type === 'finish') {
    until = message.head;
    if (last >= until) void finish();
  }
});
process.send({ type: 'ready' });
