// Appends in a loop and runs a durable stream that logs each delivered batch to a file
// (synchronously, before the handler returns), until it is killed. Arguments: path, log file, round.
import { appendFileSync } from 'node:fs';
import { FileStore } from 'factstore-file';

const [path, log, round] = process.argv.slice(2);
const store = await FileStore.open(path);
// the previous, killed process may hold the name until its lease runs out: wait for it
for (;;) {
  try {
    await store.streamAllDurable('crash-projection', (batch) => {
      appendFileSync(log, `${batch[0].sequenceNumber}-${batch[batch.length - 1].sequenceNumber}\n`);
    });
    break;
  } catch (error) {
    if (error.code !== 'DURABLE_STREAM_ACTIVE') throw error;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
process.send({ type: 'ready' });
// several appends in flight at once, so that groups of several batches are written when the kill comes
let i = 0;
const loop = async () => {
  for (;;) {
    const n = i++;
    const size = 1 + (n % 20);
    const result = await store.append(
      Array.from({ length: size }, (_, k) => ({ eventType: 'tick', payload: { round: Number(round), i: n, k, pad: 'x'.repeat(100) } })),
    );
    process.send({ type: 'ack', i: n, first: Number(result.firstSequenceNumber), last: Number(result.lastSequenceNumber) });
  }
};
await Promise.all([loop(), loop(), loop()]);
