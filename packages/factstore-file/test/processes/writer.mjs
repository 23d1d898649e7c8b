// A writing process: appends and conditionally appends to one store folder, reporting every
// acknowledged append to the parent over IPC. Arguments: path, writer id, operations.
import { FileStore } from 'factstore-file';

const [path, id, operations] = process.argv.slice(2);
const store = await FileStore.open(path);
let conflicts = 0;
for (let i = 0; i < Number(operations); i++) {
  if (i % 2 === 0) {
    const size = 1 + (i % 5);
    const events = Array.from({ length: size }, (_, k) => ({ eventType: 'written', payload: { writer: id, i, k } }));
    const result = await store.append(events);
    process.send({ type: 'ack', writer: id, i, first: Number(result.firstSequenceNumber), last: Number(result.lastSequenceNumber) });
  } else {
    const slot = `slot-${i % 3}`;
    const context = { filters: [{ eventTypes: ['booked'], payloadPredicates: [{ slot }] }] };
    const { currentContextVersion } = await store.query(context);
    try {
      const result = await store.appendIf([{ eventType: 'booked', payload: { slot, writer: id, i } }], context, currentContextVersion);
      process.send({
        type: 'ack',
        writer: id,
        i,
        first: Number(result.firstSequenceNumber),
        last: Number(result.lastSequenceNumber),
        slot,
        expected: currentContextVersion === null ? null : Number(currentContextVersion),
      });
    } catch (error) {
      if (error.code !== 'CONDITIONAL_APPEND_CONFLICT') throw error;
      conflicts++;
    }
  }
}
await store.close();
process.send({ type: 'done', conflicts });
