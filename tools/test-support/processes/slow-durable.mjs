// A projection in its own process: a durable stream of every event whose handler takes a while
// (so that its cursor is saved well after the commit), reporting each batch it handled. Stops on
// a `stop` message. Arguments: spec, name, handler delay in ms.
import { args, openStore, sleep, spec } from './open-store.mjs';

const [name, delay] = args;
const store = await openStore(spec);
await store.streamAllDurable(name, async (batch) => {
  await sleep(Number(delay));
  process.send({ type: 'handled', last: Number(batch[batch.length - 1].sequenceNumber) });
});
process.on('message', async (message) => {
  if (message.type !== 'stop') return;
  await store.close();
  process.send({ type: 'stopped' }, () => process.exit(0));
});
process.send({ type: 'ready' });
