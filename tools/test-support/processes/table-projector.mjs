// Projects every `tick` event into a table (one row per event: its position, the primary key, and
// its batch's last position) with `project`, until killed. Arguments: spec, name, how tx runs a
// statement ('run': SQLite's tx.run, 'unsafe': postgres.js's tx.unsafe), the INSERT statement.
// Sends 'opened' once the store is open, 'ready' once registered (replay done), 'failed' on any failure.
import { args, openStore, sleep, spec } from './open-store.mjs';

const [name, statement, insert] = args;
const fail = (error) => process.send({ type: 'failed', error: String(error?.stack ?? error) });
const store = await openStore(spec);
process.send({ type: 'opened' });
const handler = async (batch, tx) => {
  const last = Number(batch[batch.length - 1].sequenceNumber);
  for (const record of batch) await tx[statement](insert, [Number(record.sequenceNumber), last]);
};
// the previous, killed projector holds the name until its lease runs out: wait for it
for (;;) {
  try {
    await store.project(name, { filters: [{ eventTypes: ['tick'] }] }, handler, { onError: fail });
    break;
  } catch (error) {
    if (error.code !== 'DURABLE_STREAM_ACTIVE') {
      fail(error);
      process.exit(1);
    }
    await sleep(50);
  }
}
process.send({ type: 'ready' });
setInterval(() => {}, 1000);
