// Opens the store and closes it at once; opens it again, streams live and durably, appends and
// closes; then prints `closed` and leaves it to Node whether the process exits. Arguments: spec.
import { openStore, spec } from './open-store.mjs';

const quick = await openStore(spec);
await quick.close();
const store = await openStore(spec);
await store.streamAll(() => {});
await store.streamAllDurable('d', () => {});
await store.append([{ eventType: 'e', payload: 1 }]);
await store.close();
console.log('closed');
