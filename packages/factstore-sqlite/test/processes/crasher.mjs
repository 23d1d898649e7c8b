// Appends in a loop and runs a durable stream that logs each delivered batch to a file
// (synchronously, before the handler returns), until it is killed. Arguments: path, log file.
import { appendFileSync } from 'node:fs';
import { SqliteStore } from 'factstore-sqlite';

const [path, log] = process.argv.slice(2);
const store = await SqliteStore.open(path);
// the previous, killed process holds the name until its lease runs out: wait for it
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
for (let i = 0; ; i++) {
  const size = 1 + (i % 20);
  const result = await store.append(
    Array.from({ length: size }, (_, k) => ({ eventType: 'tick', payload: { i, k, pad: 'x'.repeat(100) } })),
  );
  process.send({ type: 'ack', first: Number(result.firstSequenceNumber), last: Number(result.lastSequenceNumber) });
}
