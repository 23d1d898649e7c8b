// Holds a durable stream name until killed. Arguments: path, name.
import { FileStore } from 'factstore-file';

const [path, name] = process.argv.slice(2);
const store = await FileStore.open(path);
await store.streamAllDurable(name, () => {});
process.send({ type: 'ready' });
setInterval(() => {}, 1000);
