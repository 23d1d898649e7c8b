// Holds a durable stream and logs every handler call's start (and what onError reports) to a
// file, synchronously, until killed; waits while another holder has the name. Arguments: spec,
// name, log file.
import { appendFileSync } from 'node:fs';
import { args, openStore, sleep, spec } from './open-store.mjs';

const [name, file] = args;
const log = (line) => appendFileSync(file, `${line} ${Date.now()}\n`);
const store = await openStore(spec);
for (;;) {
  try {
    await store.streamAllDurable(name, (batch) => log(`start ${batch[0].sequenceNumber}-${batch[batch.length - 1].sequenceNumber}`), {
      onError: (error) => log(`error ${error.code}`),
    });
    break;
  } catch (error) {
    if (error.code !== 'DURABLE_STREAM_ACTIVE') throw error;
    await sleep(100);
  }
}
log('holding');
process.send({ type: 'ready' });
setInterval(() => {}, 1000);
