// Appends in a loop until killed, reporting acknowledged appends. Arguments: schema.
import { PostgresStore } from 'factstore-postgres';

const [schema] = process.argv.slice(2);
const store = await PostgresStore.connect(process.env.DATABASE_URL, { schema });
process.send({ type: 'ready' });
for (let i = 0; ; i++) {
  const size = 1 + (i % 50);
  const result = await store.append(
    Array.from({ length: size }, (_, k) => ({ eventType: 'tick', payload: { i, k, pad: 'x'.repeat(200) } })),
  );
  process.send({ type: 'ack', first: Number(result.firstSequenceNumber), last: Number(result.lastSequenceNumber) });
}
