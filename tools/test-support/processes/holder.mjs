// Holds a durable stream name until killed. Arguments: spec, name.
import { args, openStore, spec } from './open-store.mjs';

const [name] = args;
const store = await openStore(spec);
await store.streamAllDurable(name, () => {});
process.send({ type: 'ready' });
setInterval(() => {}, 1000);
