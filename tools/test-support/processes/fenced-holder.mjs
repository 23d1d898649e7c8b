// Holds a durable stream and logs every handler call's start (and what onError reports) to a
// file, synchronously, until killed. Argument: a JSON spec { module, exportName, open, args, log, name }:
// the store is `await (await import(module))[exportName][open](...args)`.
import { appendFileSync } from 'node:fs';

const spec = JSON.parse(process.argv[2]);
const log = (line) => appendFileSync(spec.log, `${line} ${Date.now()}\n`);
const Store = (await import(spec.module))[spec.exportName];
const store = await Store[spec.open](...spec.args);
for (;;) {
  try {
    await store.streamAllDurable(spec.name, (batch) => log(`start ${batch[0].sequenceNumber}-${batch[batch.length - 1].sequenceNumber}`), {
      onError: (error) => log(`error ${error.code}`),
    });
    break;
  } catch (error) {
    if (error.code !== 'DURABLE_STREAM_ACTIVE') throw error;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
log('holding');
process.send({ type: 'ready' });
setInterval(() => {}, 1000);
