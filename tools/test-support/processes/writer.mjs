// A writing process: `workers` concurrent writers, each doing `rounds` rounds of a plain append
// (every third round, 1 to 5 events) or of booking one of 60 seats with appendIf (read the context,
// decide, write; again on a conflict; nothing once sold out). Reports every acknowledged append
// over IPC, then `done`. Arguments: spec, writer id, rounds, workers.
import { args, openStore, spec } from './open-store.mjs';

const [id, rounds, workers] = args;
const SEATS = 60;
const seats = { filters: [{ eventTypes: ['seat-booked'] }] };
const store = await openStore(spec);
let conflicts = 0;
const ack = (result, extra = {}) =>
  process.send({ type: 'ack', first: Number(result.firstSequenceNumber), last: Number(result.lastSequenceNumber), ...extra });

async function book(by) {
  for (;;) {
    const { eventRecords, currentContextVersion } = await store.query(seats);
    if (eventRecords.length >= SEATS) return; // sold out: the decision refuses
    const seat = eventRecords.length + 1;
    try {
      ack(await store.appendIf([{ eventType: 'seat-booked', payload: { seat, by } }], seats, currentContextVersion), { seat });
      return;
    } catch (error) {
      if (error.code !== 'CONDITIONAL_APPEND_CONFLICT') throw error;
      conflicts++;
    }
  }
}

async function work(worker) {
  for (let i = 0; i < Number(rounds); i++) {
    if (i % 3 === 0) {
      const events = Array.from({ length: 1 + (i % 5) }, (_, k) => ({ eventType: 'written', payload: { id, worker, i, k } }));
      ack(await store.append(events));
    } else {
      await book(`${id}/${worker}`);
    }
  }
}

await Promise.all(Array.from({ length: Number(workers) }, (_, worker) => work(worker)));
await store.close();
process.send({ type: 'done', conflicts });
