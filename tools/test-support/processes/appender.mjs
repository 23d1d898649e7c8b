// Appends `count` batches of one event, one after another, and closes. Arguments: spec, count.
import { args, openStore, spec } from './open-store.mjs';

const store = await openStore(spec);
for (let i = 0; i < Number(args[0]); i++) await store.append([{ eventType: 'e', payload: { i } }]);
await store.close();
