// A writing process: books seats of a limited resource with appendIf (read, decide, write) and
// appends plain events, reporting every acknowledged append over IPC. Arguments: schema, id, rounds.
import { PostgresStore } from 'factstore-postgres';

const [schema, id, rounds] = process.argv.slice(2);
const store = await PostgresStore.connect(process.env.DATABASE_URL, { schema });
const SEATS = 40;
const context = { filters: [{ eventTypes: ['seat-booked'] }] };
let conflicts = 0;
const work = async (worker) => {
  for (let i = 0; i < Number(rounds); i++) {
    if (i % 3 === 0) {
      const result = await store.append([
        { eventType: 'noise', payload: { id, worker, i } },
        { eventType: 'noise', payload: { id, worker, i, k: 1 } },
      ]);
      process.send({ type: 'ack', first: Number(result.firstSequenceNumber), last: Number(result.lastSequenceNumber) });
      continue;
    }
    for (;;) {
      const { eventRecords, currentContextVersion } = await store.query(context);
      if (eventRecords.length >= SEATS) break; // sold out: the decision refuses
      try {
        const result = await store.appendIf(
          [{ eventType: 'seat-booked', payload: { seat: eventRecords.length + 1, by: `${id}/${worker}` } }],
          context,
          currentContextVersion,
        );
        process.send({
          type: 'ack',
          first: Number(result.firstSequenceNumber),
          last: Number(result.lastSequenceNumber),
          seat: eventRecords.length + 1,
        });
        break;
      } catch (error) {
        if (error.code !== 'CONDITIONAL_APPEND_CONFLICT') throw error;
        conflicts++;
      }
    }
  }
};
await Promise.all([0, 1, 2, 3].map(work)); // 4 concurrent writers per process
await store.close();
process.send({ type: 'done', conflicts });
