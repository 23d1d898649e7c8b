// The workloads of the peer comparison, run by one contestant (see contestant.mjs): each returns
// `{ figure, note? }`, or `null` where the contestant does not have the operation.
import { CONTEXT_TYPE, events } from '../data.mjs';
import { median, now, percentile, progress, settle } from '../measure.mjs';

const rate = (count, ms) => (count / ms) * 1000;

/** Runs `ops` calls of `work(i)` from `callers` concurrent callers; the calls per second after the first `warm`. */
async function concurrently(callers, ops, warm, work) {
  let next = 0;
  let done = 0;
  let start = warm === 0 ? now() : 0;
  let extra = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < ops) {
        extra += ((await work(next++)) ?? 1) - 1;
        if (++done === warm) start = now();
      }
    }),
  );
  return { perSecond: rate(done - warm, (now() - start) / 1e6), retries: extra };
}

/** One event per distinct account for appends (account `acc-i`). */
const single = (i, count) => events(i, 1, count * 10);

/**
 * The workloads, each a function of one contestant's module returning its figure (and a note);
 * `null` where the contestant does not have the operation.
 */
export function workloads({ quick, total }) {
  const batchEvents = quick ? 20_000 : 100_000;
  const singles = quick ? 1_000 : 3_000;
  const manySingles = quick ? 2_000 : 5_000;
  const decisions = quick ? 2_000 : 5_000;
  const oneEntity = quick ? 100 : 250;
  return [
    {
      id: 'batch',
      workload: 'append, batches of 100, 1 caller',
      unit: 'events/s',
      async run(c) {
        const store = await c.open();
        const batches = Array.from({ length: batchEvents / 100 }, (_, b) => events(b * 100, 100, batchEvents));
        await store.append(events(0, 100, batchEvents)); // warm-up (statements, connections)
        settle();
        const start = now();
        for (const batch of batches) await store.append(batch);
        const figure = rate(batchEvents, (now() - start) / 1e6);
        await store.close();
        return { figure };
      },
    },
    {
      id: 'single-1',
      workload: 'append, single events, 1 caller',
      unit: 'appends/s',
      async run(c) {
        const store = await c.open();
        const { perSecond } = await concurrently(1, singles, singles / 10, (i) => store.append(single(i, singles)));
        await store.close();
        return { figure: perSecond };
      },
    },
    {
      id: 'single-64',
      workload: 'append, single events, 64 callers',
      unit: 'appends/s',
      async run(c) {
        const store = await c.open();
        const { perSecond } = await concurrently(64, manySingles, manySingles / 10, (i) => store.append(single(i, manySingles)));
        await store.close();
        return { figure: perSecond };
      },
    },
    decisionWorkload('decide-many', 'read-decide-append, 64 callers, 1,000 entities', 'readDecideAppend', decisions, 1000),
    decisionWorkload('decide-one', 'read-decide-append, 64 callers, 1 entity', 'readDecideAppend', oneEntity, 1),
    decisionWorkload('decide-many-decide', 'the same through factstore decide, 64 callers, 1,000 entities', 'decide', decisions, 1000),
    // decisions on one entity share commits here: as many as over 1,000 entities, to measure more than a round or two
    decisionWorkload('decide-one-decide', 'the same through factstore decide, 64 callers, 1 entity', 'decide', decisions, 1),
    {
      id: 'read',
      workload: `read one entity (about 10 events) at ${total.toLocaleString('en')} events, p50`,
      unit: 'ms',
      // the log is loaded once here and caught up by the next workload
      async run(c, shared) {
        const store = await c.open();
        progress(`${c.name}: loading ${total.toLocaleString('en')} events`);
        if (c.appendsAcrossEntities === false) {
          // one stream per entity: every event is an append of its own (32 callers)
          await concurrently(32, total, 0, (i) => store.append(events(i, 1, total)));
        } else for (let i = 0; i < total; i += 1_000) await store.append(events(i, Math.min(1_000, total - i), total));
        await store.analyze();
        settle();
        const accounts = total / 10;
        const pick = (i) => `acc-${(i * 7919 + 13) % accounts}`;
        for (let i = 0; i < 50; i++) await store.readEntity(CONTEXT_TYPE, pick(i));
        const times = [];
        let size = 0;
        for (let i = 0; i < (quick ? 500 : 1_000); i++) {
          const start = now();
          size = (await store.readEntity(CONTEXT_TYPE, pick(i))).length;
          times.push((now() - start) / 1e6);
        }
        shared.loaded.set(c.name, store);
        return { figure: median(times), note: `${size} events; p99 ${percentile(times, 99).toFixed(3)} ms` };
      },
    },
    {
      id: 'catch-up',
      workload: `catch-up of the log (${total.toLocaleString('en')} events)`,
      unit: 'events/s',
      async run(c, shared) {
        const store = shared.loaded.get(c.name);
        shared.loaded.delete(c.name);
        if (!store) return null;
        try {
          if (!store.catchUp) return null;
          let counted = 0;
          settle();
          const start = now();
          await store.catchUp((batch) => {
            counted += batch.length;
          });
          const ms = (now() - start) / 1e6;
          if (counted === total) return { figure: rate(total, ms) };
          // a peer's catch-up that stops short is reported as such (ours must never)
          if (c.name === 'raw' || c.name === 'factstore') throw new Error(`${c.name} caught up ${counted} events of ${total}`);
          return { figure: rate(counted, ms), note: `delivered ${counted} of ${total} events before it stopped` };
        } finally {
          await store.close();
        }
      },
    },
  ];
}

/**
 * A decision workload: 64 callers, `count` decisions over `entities` entities (the first tenth
 * warms up), each through the contestant's `method` (`readDecideAppend`: its own read-decide-append
 * loop; `decide`: factstore's decide); `null` for a contestant without it.
 */
function decisionWorkload(id, workload, method, count, entities) {
  return {
    id,
    workload,
    unit: 'commits/s',
    async run(c) {
      const store = await c.open();
      if (!store[method]) return (await store.close(), null);
      const decision = (i) => ({ eventType: CONTEXT_TYPE, payload: { accountId: `acc-${i % entities}`, amount: 1 } });
      const { perSecond, retries } = await concurrently(64, count, count / 10, (i) => store[method](decision(i)));
      await store.close();
      return { figure: perSecond, note: `${retries} conflicts retried` };
    },
  };
}
