// A writing process for the contention test: opens the SQLite file (the built package), waits
// for 'start', then runs `writers` concurrent callers for `ms` milliseconds, each alternating a
// single-event append and a query + appendIf of its own entity (no conflict is possible). Sends
// the positions it was acknowledged and every failure (code and driver code), then exits.
// Arguments: file, writers, ms.
import { SqliteStore } from '../../dist/index.mjs';

const [file, writers, ms] = process.argv.slice(2);
const store = await SqliteStore.open(file);
process.once('message', async () => {
  const acked = [];
  const failures = [];
  const until = Date.now() + Number(ms);
  await Promise.all(
    Array.from({ length: Number(writers) }, async (_, w) => {
      const entity = `${process.pid}/${w}`;
      const context = { filters: [{ eventTypes: ['written'], payloadPredicates: [{ entity }] }] };
      for (let i = 0; Date.now() < until; i++) {
        const events = [{ eventType: 'written', payload: { entity, i } }];
        try {
          const result =
            i % 2 === 0
              ? await store.append(events)
              : await store.appendIf(events, context, (await store.query(context)).currentContextVersion);
          acked.push(Number(result.lastSequenceNumber));
        } catch (error) {
          failures.push(`${error.code} ${error.cause?.code ?? ''}`.trim());
        }
      }
    }),
  );
  await store.close();
  process.send({ type: 'done', acked, failures }, () => process.exit(0));
});
process.send({ type: 'ready' });
