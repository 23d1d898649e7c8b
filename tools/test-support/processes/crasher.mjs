// Appends in a loop and runs a durable stream that logs each delivered batch to a file
// (synchronously, before the handler returns), until it is killed. Arguments: spec, log file, name.
import { appendFileSync } from 'node:fs';
import { args, openStore, sleep, spec } from './open-store.mjs';

const [log, name] = args;
const store = await openStore(spec);
// the previous, killed process holds the name until its lease runs out: wait for it
for (;;) {
  try {
    await store.streamAllDurable(name, (batch) => {
      appendFileSync(log, `${batch[0].sequenceNumber}-${batch[batch.length - 1].sequenceNumber}\n`);
    });
    break;
  } catch (error) {
    if (error.code !== 'DURABLE_STREAM_ACTIVE') throw error;
    await sleep(100);
  }
}
process.send({ type: 'ready' });
for (let i = 0; ; i++) {
  const events = Array.from({ length: 1 + (i % 20) }, (_, k) => ({ eventType: 'tick', payload: { i, k, pad: 'x'.repeat(100) } }));
  const result = await store.append(events);
  process.send({ type: 'ack', first: Number(result.firstSequenceNumber), last: Number(result.lastSequenceNumber) });
}
