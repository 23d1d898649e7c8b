// The peer comparison (`--peers dcb,emmett`): the same workloads on the raw postgres.js driver,
// factstore-postgres and each peer, in one run on one server, each store in a schema or database
// of its own. Rounds are interleaved across the contestants, so drift on a shared machine hits
// them alike. Not run by default, not in CI.
import { CONTEXT_TYPE, events } from '../data.mjs';
import { median, now, percentile, progress, settle } from '../measure.mjs';
import { factstore, raw } from './ours.mjs';
import { dropDatabases } from './databases.mjs';

const available = {
  dcb: () => import('./dcb.mjs'),
  emmett: () => import('./emmett.mjs'),
};
export const peerNames = Object.keys(available);

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
function workloads({ quick, total }) {
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
    {
      id: 'decide-many',
      workload: 'read-decide-append, 64 callers, 1,000 entities',
      unit: 'commits/s',
      async run(c) {
        const store = await c.open();
        if (!store.readDecideAppend) return (await store.close(), null);
        const decision = (i) => ({ eventType: CONTEXT_TYPE, payload: { accountId: `acc-${i % 1000}`, amount: 1 } });
        const { perSecond, retries } = await concurrently(64, decisions, decisions / 10, (i) => store.readDecideAppend(decision(i)));
        await store.close();
        return { figure: perSecond, note: `${retries} conflicts retried` };
      },
    },
    {
      id: 'decide-one',
      workload: 'read-decide-append, 64 callers, 1 entity',
      unit: 'commits/s',
      async run(c) {
        const store = await c.open();
        if (!store.readDecideAppend) return (await store.close(), null);
        const decision = () => ({ eventType: CONTEXT_TYPE, payload: { accountId: 'acc-0', amount: 1 } });
        const { perSecond, retries } = await concurrently(64, oneEntity, oneEntity / 10, () => store.readDecideAppend(decision()));
        await store.close();
        return { figure: perSecond, note: `${retries} conflicts retried` };
      },
    },
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
          if (counted !== total) throw new Error(`${c.name} caught up ${counted} events of ${total}`);
          return { figure: rate(total, ms) };
        } finally {
          await store.close();
        }
      },
    },
  ];
}

/**
 * Runs the comparison for `names` (of {@link peerNames}) beside factstore and the raw driver and
 * returns its rows: `{ workload, unit, figures: { raw, factstore, <peer>… }, notes }`.
 * `rounds` interleaved rounds per workload, the median kept.
 */
export async function comparePeers(names, { quick, total, only }) {
  const contestants = [raw, factstore];
  for (const name of names) {
    const load = available[name];
    if (!load) throw new Error(`unknown peer ${name}; known: ${peerNames.join(', ')}`);
    contestants.push(await load());
  }
  const rounds = quick ? 1 : 2;
  const shared = { loaded: new Map() };
  const rows = [];
  try {
    for (const w of workloads({ quick, total })) {
      if (only && !only.includes(w.id)) continue;
      const figures = {};
      const notes = {};
      const kept = {};
      for (let r = 0; r < (w.id === 'read' || w.id === 'catch-up' ? 1 : rounds); r++) {
        for (const c of contestants) {
          progress(`peers: ${w.workload}: ${c.name}${rounds > 1 ? ` (round ${r + 1})` : ''}`);
          let out;
          try {
            out = await w.run(c, shared);
          } catch (error) {
            process.stderr.write(`peers: ${w.workload} failed on ${c.name}: ${error?.stack ?? error}\n`);
            notes[c.name] = `failed: ${error?.message ?? error}`;
            continue;
          }
          if (out === null) continue;
          (kept[c.name] ??= []).push(out.figure);
          if (out.note) notes[c.name] = out.note;
        }
      }
      for (const [name, values] of Object.entries(kept)) figures[name] = median(values);
      rows.push({ id: w.id, workload: w.workload, unit: w.unit, figures, notes, spread: kept });
    }
  } finally {
    for (const store of shared.loaded.values()) await store.close();
    await dropDatabases();
  }
  return { contestants: contestants.map(({ name, label }) => ({ name, label })), rows };
}

/** The comparison as a markdown table: each figure, and beside it its ratio to the raw driver's. */
export function peersTable({ contestants, rows }) {
  const fmt = (value, unit) =>
    value === undefined ? '–' : unit === 'ms' ? value.toFixed(3) : value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en');
  const rawSingles = rows.find((row) => row.id === 'single-64')?.figures.raw;
  const lines = [
    `| workload | unit | ${contestants.map((c) => c.label).join(' | ')} | ${contestants
      .filter((c) => c.name !== 'raw')
      .map((c) => `${c.name} ÷ raw`)
      .join(' | ')} |`,
    `| --- | --- | ${contestants.map(() => '---:').join(' | ')} | ${contestants
      .filter((c) => c.name !== 'raw')
      .map(() => '---:')
      .join(' | ')} |`,
  ];
  for (const row of rows) {
    // rows without a raw figure (decisions) are set against the raw driver's single appends with 64 callers
    const base = row.figures.raw ?? (row.unit === 'commits/s' ? rawSingles : undefined);
    const ratio = (name) => (row.figures[name] === undefined || base === undefined ? '–' : `${(row.figures[name] / base).toFixed(2)}×`);
    lines.push(
      `| ${row.workload} | ${row.unit} | ${contestants.map((c) => fmt(row.figures[c.name], row.unit)).join(' | ')} | ${contestants
        .filter((c) => c.name !== 'raw')
        .map((c) => ratio(c.name))
        .join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
