// A deciding process: on `go`, starts `count` decisions at once, each reading one counter and
// appending its next increment with decide (decide runs them in turn inside this process; conflicts
// with other processes are retried). Reports `done` with every decision's attempts. Arguments: spec,
// process id, count, maxAttempts.
import { decide } from 'factstore';
import { args, openStore, spec } from './open-store.mjs';

const [id, count, maxAttempts] = args;
const counter = { filters: [{ eventTypes: ['increment'], payloadPredicates: [{ counter: 'shared' }] }] };
const store = await openStore(spec);
await new Promise((resolve) => {
  process.on('message', (message) => message.type === 'go' && resolve()); // the IPC channel keeps the process alive: it exits below
  process.send({ type: 'ready' });
});
const outcomes = await Promise.all(
  Array.from({ length: Number(count) }, () =>
    decide(store, {
      query: counter,
      initial: 0,
      evolve: (n) => n + 1,
      decide: (n) => [{ eventType: 'increment', payload: { counter: 'shared', n: n + 1, by: id } }],
      maxAttempts: Number(maxAttempts),
    }),
  ),
);
await store.close();
process.send({ type: 'done', attempts: outcomes.map((o) => o.attempts) }, () => process.exit(0));
