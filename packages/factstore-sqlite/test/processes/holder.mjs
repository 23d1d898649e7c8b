// Holds a durable stream name until killed. Arguments: path, name.
import { SqliteStore } from 'factstore-sqlite';

const [path, name] = process.argv.slice(2);
const store = await SqliteStore.open(path);
await store.streamAllDurable(name, () => {});
process.send({ type: 'ready' });
setInterval(() => {}, 1000);
