// Another process for the multi-process workload: opens the same store, and on 'start' runs
// `writers` concurrent callers for `ms` milliseconds, each alternating a single-event append and
// a query + appendIf of its own entity (no conflict is possible; a writer moves to a new entity
// every 20 calls, so a context holds at most 20 events, as an aggregate would). Reports the calls that
// succeeded, the latency of each call (ms), and the failures by error code.
const [storeName, location, writers, ms] = process.argv.slice(2);
const store = await (await import(`./stores/${storeName}.mjs`)).openAt(location);
process.once('message', async () => {
  const latencies = [];
  const failures = {};
  let succeeded = 0;
  const until = Date.now() + Number(ms);
  await Promise.all(
    Array.from({ length: Number(writers) }, async (_, w) => {
      for (let i = 0; Date.now() < until; i++) {
        const entity = `p${process.pid}-w${w}-${Math.floor(i / 20)}`;
        const context = { filters: [{ eventTypes: ['written'], payloadPredicates: [{ entity }] }] };
        const event = { eventType: 'written', payload: { entity, i } };
        try {
          if (i % 2 === 0) {
            const start = performance.now();
            await store.append([event]);
            latencies.push(performance.now() - start);
          } else {
            const { currentContextVersion } = await store.query(context);
            const start = performance.now();
            await store.appendIf([event], context, currentContextVersion);
            latencies.push(performance.now() - start);
          }
          succeeded++;
        } catch (error) {
          const code = `${error.code ?? 'no code'}${error.cause?.code ? ` (${error.cause.code})` : ''}`;
          failures[code] = (failures[code] ?? 0) + 1;
        }
      }
    }),
  );
  await store.close();
  process.send({ type: 'done', succeeded, latencies, failures }, () => process.exit(0));
});
process.send({ type: 'ready' });
