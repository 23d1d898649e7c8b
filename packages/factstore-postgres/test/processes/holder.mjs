// Holds a durable stream name until killed. Arguments: schema, name.
import { PostgresStore } from 'factstore-postgres';

const [schema, name] = process.argv.slice(2);
const store = await PostgresStore.connect(process.env.DATABASE_URL, { schema });
await store.streamAllDurable(name, () => {});
process.send({ type: 'ready' });
setInterval(() => {}, 1000);
