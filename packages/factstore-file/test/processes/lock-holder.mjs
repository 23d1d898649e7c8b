// Appends big batches in a loop, so that it holds the write lock most of the time, until killed.
// Arguments: path.
import { FileStore } from 'factstore-file';

const [path] = process.argv.slice(2);
const store = await FileStore.open(path);
process.send({ type: 'ready', pid: process.pid });
const big = Array.from({ length: 2000 }, (_, k) => ({ eventType: 'big', payload: { k, text: 'y'.repeat(1000) } }));
for (;;) await store.append(big);
