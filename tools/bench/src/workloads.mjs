// The workloads: each runs on a factstore store and on its baseline in the same run, and returns
// rows { workload, unit, factstore, baseline, note }. Throughputs are "per second" (higher is
// better), durations "ms" (lower is better); medians over rounds.
import { decide } from 'factstore';
import { accountOf, CONTEXT_TYPE, contextOf, events, fill, staged } from './data.mjs';
import { bytesText, folderBytes, median, now, percentile, progress, readFolders, sample, settle } from './measure.mjs';

const rate = (count, ms) => (count / ms) * 1000;
/** The rounds in which the scaling workload alternates the store's queries and appends with the baseline's. */
const SCALING_ROUNDS = 4;

/**
 * 1. append in batches of 100, one caller, the rounds {@link interleaved} with the baseline's (and
 * with those of a baseline indexing every key, where the store has one).
 */
export async function appendBatches(store, { total, rounds }) {
  const perRound = Math.min(total, 200_000);
  const batches = Array.from({ length: perRound / 100 }, (_, b) => events(b * 100, 100, perRound));
  const round = async (open) => {
    const target = await open();
    // a store in use has its context index: one query first, as an application would
    await target.query?.(contextOf('acc-0'));
    settle();
    const start = now();
    for (const batch of batches) await target.append(batch);
    const perSecond = rate(perRound, (now() - start) / 1e6);
    await target.close();
    return perSecond;
  };
  progress(`${store.name}: append batches of 100`);
  // a store whose index covers every payload key also compares with a baseline that indexes the same
  const everyKey = store.openBaselineEveryKey;
  const sides = [() => round(store.open), () => round(store.openBaseline)];
  if (everyKey) sides.push(() => round(everyKey));
  const [factstore, baseline, baselineEveryKey] = await interleaved(rounds, ...sides);
  const rows = [
    {
      workload: 'append, batches of 100',
      unit: 'events/s',
      factstore,
      baseline,
      note: `${perRound.toLocaleString('en')} events per round`,
    },
  ];
  if (everyKey) {
    rows.push({
      workload: 'append, batches of 100, baseline indexing every key',
      unit: 'events/s',
      factstore,
      baseline: baselineEveryKey,
      note: 'the same factstore figure; the baseline also writes a (tag, seq) row for every top-level scalar value',
    });
  }
  return rows;
}

/**
 * The medians of `rounds` timed rounds of each side (factstore first, then its baselines): one
 * untimed round of each first (the first rounds of a process run colder code), then the timed
 * rounds alternate, the sides in order in one round and in reverse in the next, so that a machine
 * that gets slower or faster during the run moves every figure alike.
 */
async function interleaved(rounds, ...sides) {
  for (const side of sides) await side();
  const rates = sides.map(() => []);
  await alternating(
    rounds,
    sides.map((side, k) => async () => rates[k].push(await side())),
  );
  return rates.map(median);
}

/** Runs `sides(round)` for `rounds` rounds, in order in one round and in reverse in the next. */
async function alternating(rounds, sides) {
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? sides : [...sides].reverse()) await side(r);
  }
}

/**
 * 2. single-event appends: one caller, and 64 concurrent callers, the rounds {@link interleaved}
 * (a store timed first and cold used to be compared with a warm baseline: the file store reached
 * 0.64–0.71× the rate of the same system calls in its first 6,000 appends, 0.92–1.05× after).
 */
export async function appendSingles(store, { rounds, quick }) {
  const count = quick ? 2_000 : store.name === 'memory' ? 100_000 : 5_000;
  const round = async (open, callers) => {
    const target = await open();
    const start = now();
    let next = 0;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (next < count) {
          const i = next++;
          await target.append(events(i, 1, count));
        }
      }),
    );
    const perSecond = rate(count, (now() - start) / 1e6);
    await target.close();
    return perSecond;
  };
  progress(`${store.name}: single appends`);
  const [one, baseOne] = await interleaved(
    rounds,
    () => round(store.open, 1),
    () => round(store.openBaseline, 1),
  );
  const [many, baseMany] = await interleaved(
    rounds,
    () => round(store.open, 64),
    () => round(store.openBaseline, 64),
  );
  return [
    { workload: 'append, single events, 1 caller', unit: 'appends/s', factstore: one, baseline: baseOne, note: '' },
    {
      workload: 'append, single events, 64 callers',
      unit: 'appends/s',
      factstore: many,
      baseline: baseMany,
      note: `${(many / one).toFixed(1)}× one caller`,
    },
  ];
}

/**
 * 3./4. read-decide-write over `entities` entities: one caller, then 64 callers, each commit a
 * plain loop (query, appendIf, again on a conflict) or one `decide` (which queues decisions on one
 * context inside the process, and gives up after its 10 attempts).
 */
export async function appendIfLoop(store, { quick }, entities) {
  // with every caller on one entity each plain commit costs about 64 attempts, so do fewer
  const ops = Math.max(200, (quick ? 2_000 : store.name === 'memory' ? 50_000 : 5_000) / (entities === 1 ? 20 : 1));
  const over = `${entities} entit${entities === 1 ? 'y' : 'ies'}`;
  const plain = async (target, accountId) => {
    const context = contextOf(accountId);
    for (let attempts = 1; ; attempts++) {
      const { currentContextVersion } = await target.query(context);
      try {
        await target.appendIf([{ eventType: CONTEXT_TYPE, payload: { accountId, amount: 1 } }], context, currentContextVersion);
        return attempts;
      } catch (error) {
        if (error.code !== 'CONDITIONAL_APPEND_CONFLICT') throw error;
      }
    }
  };
  const decided = async (target, accountId) => {
    const outcome = await decide(target, {
      query: contextOf(accountId),
      initial: 0,
      evolve: (balance, record) => balance + record.payload.amount,
      decide: () => [{ eventType: CONTEXT_TYPE, payload: { accountId, amount: 1 } }],
    });
    return outcome.attempts;
  };
  const run = async (callers, commit) => {
    progress(`${store.name}: ${commit === plain ? 'appendIf loop' : 'decide'}, ${callers} caller${callers === 1 ? '' : 's'} over ${over}`);
    const target = await store.open();
    // the first tenth warms up (statements prepared, index built) and is not timed
    const warm = Math.floor(ops / 10);
    let done = 0;
    let attempts = 0;
    let gaveUp = 0;
    let start = 0;
    await Promise.all(
      Array.from({ length: callers }, async (_, caller) => {
        let k = caller;
        while (done < ops) {
          try {
            const tried = await commit(target, `acc-${k++ % entities}`);
            attempts += tried;
            if (++done === warm) start = now();
          } catch (error) {
            if (error.code !== 'CONDITIONAL_APPEND_CONFLICT') throw error;
            gaveUp++;
          }
        }
      }),
    );
    const perSecond = rate(done - warm, (now() - start) / 1e6);
    await target.close();
    const conflicts = attempts - done;
    return { perSecond, conflicts, gaveUp, share: ((conflicts / attempts) * 100).toFixed(1) };
  };
  const many = await run(64, plain);
  const manyDecided = await run(64, decided);
  const row = { workload: `appendIf read-decide-write, 64 callers, ${over}`, unit: 'commits/s', factstore: many.perSecond, baseline: null };
  const decideRow = {
    workload: `decide read-decide-write, 64 callers, ${over}`,
    unit: 'commits/s',
    factstore: manyDecided.perSecond,
    baseline: null,
    note: `${(manyDecided.perSecond / many.perSecond).toFixed(2)}× the appendIf loop; ${manyDecided.conflicts} conflicts retried, ${manyDecided.gaveUp} gave up`,
  };
  if (entities === 1) return [{ ...row, note: `${many.conflicts} conflicts retried (${many.share}% of attempts)` }, decideRow];
  const one = await run(1, plain);
  return [
    {
      workload: `appendIf read-decide-write, 1 caller, ${over}`,
      unit: 'commits/s',
      factstore: one.perSecond,
      baseline: null,
      note: `${one.conflicts} conflicts`,
    },
    {
      ...row,
      note: `${(many.perSecond / one.perSecond).toFixed(1)}× one caller; ${many.conflicts} conflicts retried (${many.share}% of attempts)`,
    },
    decideRow,
  ];
}

/**
 * 5. (and the flatness target) a log grown through `sizes`: at each size, the one-entity context
 * query beside its baseline, a query + appendIf of one context, and a single-event append beside
 * the baseline's (the queries and appends of both sides in alternating rounds); then how much each
 * cost grew from the first size to the last.
 */
export async function scaling(store, { sizes, quick }) {
  const data = staged(sizes);
  const target = await store.open();
  const base = await store.openBaseline();
  const rows = [];
  const samples = quick ? 300 : 1_000;
  const at = { query: [], appendIf: [], append: [] };
  let loaded = 0;
  for (const size of sizes) {
    const n = size.toLocaleString('en');
    progress(`${store.name}: loading to ${n} events`);
    const load = async (append, report) => {
      for (let i = loaded; i < size; i += 2_000) {
        await append(data.events(i, Math.min(2_000, size - i)));
        if (report && (i / 2_000) % 250 === 0 && i > loaded) report(`loaded ${i.toLocaleString('en')} of ${n}`);
      }
    };
    await load((batch) => target.append(batch), progress);
    await load((batch) => base.append(batch));
    loaded = size;
    await store.analyze?.();
    // both sides' files read once, so neither's reads depend on which was written last (the OS
    // may keep less than both in its page cache: the row's note gives their sizes)
    const [files, baseFiles] = store.filesOf?.(target, base) ?? [];
    if (files) readFolders([files, baseFiles]);
    // PostgreSQL: both schemas' tables and indexes read into the OS page cache the same way
    const warmed = await store.warm?.(target, base);
    settle();
    // the timed contexts, then 50 others for the warm-up (so no timed query finds its records cached)
    const accounts = data.sample(size, samples + 50);
    progress(`${store.name}: queries and appends at ${n}`);
    await sample(50, (i) => target.query(contextOf(accounts[samples + i])));
    let contextSize = 0;
    const baseQueryCount = store.name === 'memory' ? Math.min(samples, 20) : samples;
    // the store's queries and single appends alternate with the baseline's in rounds (in order in
    // one round, in reverse in the next), so neither side's figures depend on what ran just before
    // (the garbage collector's state, what the page cache holds, a machine drifting)
    const queries = [];
    const baseQueries = [];
    const appends = [];
    const baseAppends = [];
    // single appends of new accounts (the contexts sampled here stay as they were)
    const single = (i) => [{ eventType: CONTEXT_TYPE, payload: { accountId: `new-${size}-${i}`, amount: 1, currency: 'EUR', note: 'x' } }];
    const slice = (r, count) => [Math.floor((r * count) / SCALING_ROUNDS), Math.floor(((r + 1) * count) / SCALING_ROUNDS)];
    await alternating(SCALING_ROUNDS, [
      async (r) => {
        const [from, to] = slice(r, samples);
        queries.push(
          ...(await sample(to - from, async (i) => {
            contextSize = (await target.query(contextOf(accounts[from + i]))).eventRecords.length;
          })),
        );
        appends.push(...(await sample(to - from, (i) => target.append(single(from + i)))));
      },
      async (r) => {
        const [from, to] = slice(r, samples);
        const [baseFrom, baseTo] = slice(r, baseQueryCount);
        baseQueries.push(...(await sample(baseTo - baseFrom, (i) => base.contextQuery(CONTEXT_TYPE, accounts[baseFrom + i]))));
        baseAppends.push(...(await sample(to - from, (i) => base.append(single(from + i)))));
      },
    ]);
    const appendIfs = await sample(samples, async (i) => {
      const context = contextOf(accounts[i]);
      const { currentContextVersion } = await target.query(context);
      await target.appendIf([{ eventType: CONTEXT_TYPE, payload: { accountId: accounts[i], amount: 1 } }], context, currentContextVersion);
    });
    at.query.push(median(queries));
    at.appendIf.push(median(appendIfs));
    at.append.push(median(appends));
    // where the log may outgrow a cache (PostgreSQL's shared_buffers, the OS page cache), say how big it is
    const footprint = files
      ? `files ${bytesText(folderBytes(files))}, baseline's ${bytesText(folderBytes(baseFiles))}`
      : `${(await store.footprint?.(target)) ?? ''}${warmed === undefined ? '' : warmed ? '; both read first' : '; not read first (no pg_prewarm)'}`;
    rows.push(
      {
        workload: `context query at ${n} events`,
        unit: 'ms',
        factstore: median(queries),
        baseline: median(baseQueries),
        note: `${contextSize} events per context; p99 ${percentile(queries, 99).toFixed(3)} ms${footprint && `; ${footprint}`}`,
      },
      {
        workload: `query + appendIf of one context at ${n} events`,
        unit: 'ms',
        factstore: median(appendIfs),
        baseline: null,
        note: `p99 ${percentile(appendIfs, 99).toFixed(3)} ms`,
      },
      {
        workload: `append, single event, at ${n} events`,
        unit: 'ms',
        factstore: median(appends),
        baseline: median(baseAppends),
        note: `p99 ${percentile(appends, 99).toFixed(3)} ms`,
      },
    );
  }
  await target.close();
  await base.close();
  if (sizes.length > 1) {
    const span = `${sizes[0].toLocaleString('en')} → ${sizes[sizes.length - 1].toLocaleString('en')} events`;
    const growth = (series) => series[series.length - 1] / series[0];
    const verdict = (g) => `${g <= 1.25 ? 'flat' : 'NOT flat'} (target: within 1.25×)`;
    rows.push(
      {
        workload: `context query cost growth, ${span}`,
        unit: '×',
        factstore: growth(at.query),
        baseline: null,
        note: verdict(growth(at.query)),
      },
      {
        workload: `query + appendIf cost growth, ${span}`,
        unit: '×',
        factstore: growth(at.appendIf),
        baseline: null,
        note: verdict(growth(at.appendIf)),
      },
      {
        workload: `single append cost growth, ${span}`,
        unit: '×',
        factstore: growth(at.append),
        baseline: null,
        note: verdict(growth(at.append)),
      },
    );
  }
  return rows;
}

/**
 * 6. durable replay of `total` events into a handler that counts, beside the baseline's read of
 * its whole log; both logs are loaded first, then the two replays alternate three times (each of
 * ours by a new durable name, from the start) and the medians are compared, so that a moment of
 * noise on this shared machine does not decide the ratio.
 */
export async function durableReplay(store, { total }) {
  progress(`${store.name}: durable replay of ${total.toLocaleString('en')} events`);
  const target = await store.open();
  await fill((batch) => target.append(batch), total, progress, 100);
  const base = await store.openBaseline();
  await fill((batch) => base.append(batch), total, undefined, 100);
  await store.analyze?.();
  const ours = [];
  const theirs = [];
  let growth = 0;
  for (let round = 0; round < 3; round++) {
    settle();
    const rssBefore = process.memoryUsage().rss;
    let counted = 0;
    let peak = rssBefore;
    const start = now();
    const stream = await target.streamAllDurable(`replay-${round}-${Date.now()}`, (batch) => {
      counted += batch.length;
      if ((counted & 0xffff) < batch.length) peak = Math.max(peak, process.memoryUsage().rss);
    });
    ours.push(rate(total, (now() - start) / 1e6));
    growth = Math.max(growth, Math.max(peak, process.memoryUsage().rss) - rssBefore);
    await stream.unsubscribe();
    if (counted !== total) throw new Error(`replay counted ${counted}, expected ${total}`);
    settle();
    let baseCounted = 0;
    const baseStart = now();
    await base.replay((batch) => {
      baseCounted += batch.length;
    });
    theirs.push(rate(total, (now() - baseStart) / 1e6));
    if (baseCounted !== total) throw new Error(`baseline replay counted ${baseCounted}, expected ${total}`);
  }
  await target.close();
  await base.close();
  return [
    {
      workload: `durable replay of ${total.toLocaleString('en')} events`,
      unit: 'events/s',
      factstore: median(ours),
      baseline: median(theirs),
      note: `median of 3 alternating replays (factstore ${ours.map((r) => Math.round(r / 1000)).join(' / ')}k, baseline ${theirs.map((r) => Math.round(r / 1000)).join(' / ')}k events/s); RSS growth ${(growth / 2 ** 20).toFixed(0)} MB`,
    },
  ];
}

/** 7. live delivery latency in process: from calling append to the handler running (the commit included), beside the append alone. */
export async function liveLatency(store, { quick }) {
  progress(`${store.name}: live latency`);
  const target = await store.open();
  let pending;
  await target.streamAll(() => {
    pending?.(now());
  });
  const delivered = [];
  const appended = [];
  for (let i = 0; i < (quick ? 200 : 2_000); i++) {
    const handled = new Promise((resolve) => {
      pending = resolve;
    });
    const calledAt = now();
    await target.append(events(i, 1, 1000));
    appended.push((now() - calledAt) / 1e6);
    delivered.push(((await handled) - calledAt) / 1e6);
  }
  await target.close();
  return [
    {
      workload: 'live latency in process (append called → handler runs)',
      unit: 'ms',
      factstore: median(delivered),
      baseline: null,
      note: `p99 ${percentile(delivered, 99).toFixed(3)} ms; the append alone: median ${median(appended).toFixed(3)} ms`,
    },
  ];
}

/** Starts one of the scripts beside this file as a child process with IPC. */
async function forkBeside(script, args) {
  const { fork } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  return fork(fileURLToPath(new URL(`./${script}`, import.meta.url)), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** 7b. live delivery latency across processes: another process appends, this one streams. */
export async function crossProcessLatency(store, { quick }) {
  if (!store.locate) return [];
  progress(`${store.name}: live latency across processes`);
  const target = await store.open();
  const reader = await store.openAt(store.locate(target));
  const delivered = new Map();
  await reader.streamAll((batch) => {
    const at = performance.timeOrigin + performance.now();
    for (const record of batch) delivered.set(Number(record.sequenceNumber), at);
  });
  const appender = await forkBeside('remote-appender.mjs', [store.name, String(store.locate(target))]);
  const acks = new Map();
  let waiting;
  appender.on('message', (message) => {
    if (message.type === 'appended') acks.set(message.seq, message.at);
    waiting?.();
  });
  await new Promise((resolve) => {
    waiting = resolve;
  });
  const latencies = [];
  for (let i = 0; i < (quick ? 100 : 500); i++) {
    const acked = new Promise((resolve) => {
      waiting = resolve;
    });
    appender.send('append');
    await acked;
    const seq = Math.max(...acks.keys());
    const deadline = Date.now() + 2000;
    while (!delivered.has(seq) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 0));
    if (delivered.has(seq)) latencies.push(Math.max(0, delivered.get(seq) - acks.get(seq)));
    await new Promise((r) => setTimeout(r, 2));
  }
  appender.kill();
  await reader.close();
  await target.close();
  return [
    {
      workload: 'live latency across processes (append resolved → handler)',
      unit: 'ms',
      factstore: median(latencies),
      baseline: null,
      note: `p99 ${percentile(latencies, 99).toFixed(2)} ms over ${latencies.length} appends`,
    },
  ];
}

/**
 * 8. "the newest 10 events of one entity", read backward, in a log of `total` events where each
 * entity has about 100 events spread over the whole log, beside the baseline's newest-10 read.
 */
export async function newestOfEntity(store, { total, quick }) {
  const n = total.toLocaleString('en');
  const accounts = Math.max(1, Math.floor(total / 100));
  const batchOf = (from, count) =>
    Array.from({ length: count }, (_, k) => ({
      eventType: CONTEXT_TYPE,
      payload: { accountId: `acc-${(from + k) % accounts}`, amount: ((from + k) % 97) + 1, currency: 'EUR', note: 'x'.repeat(120) },
    }));
  progress(`${store.name}: loading ${n} events for the newest-10 reads`);
  const target = await store.open();
  const base = await store.openBaseline();
  for (let i = 0; i < total; i += 2_000) {
    const batch = batchOf(i, Math.min(2_000, total - i));
    await target.append(batch);
    await base.append(batch);
    if ((i / 2_000) % 100 === 0 && i > 0) progress(`loaded ${i.toLocaleString('en')} of ${n}`);
  }
  await store.analyze?.();
  settle();
  const samples = quick ? 300 : 1_000;
  const pick = (i) => `acc-${(i * 7919 + 13) % accounts}`;
  const newest = (accountId) => ({ ...contextOf(accountId), direction: 'backward', limit: 10 });
  progress(`${store.name}: newest 10 of one entity at ${n} events`);
  await sample(50, (i) => target.query(newest(pick(i)))); // warm up
  let returned = 0;
  const reads = await sample(samples, async (i) => {
    returned = (await target.query(newest(pick(i)))).eventRecords.length;
  });
  const baseReads = await sample(store.name === 'memory' ? Math.min(samples, 20) : samples, (i) => base.newest(CONTEXT_TYPE, pick(i), 10));
  await target.close();
  await base.close();
  return [
    {
      workload: `newest 10 of one entity, backward, at ${n} events`,
      unit: 'ms',
      factstore: median(reads),
      baseline: median(baseReads),
      note: `${returned} returned of about ${Math.round(total / accounts)} per entity; p99 ${percentile(reads, 99).toFixed(3)} ms`,
    },
  ];
}

/**
 * 9. read-your-writes across processes: another process runs a durable stream on the same store;
 * this one appends and waits with waitForDurable for that stream's cursor. Measured from the
 * moment the other process's cursor save completed to this process's wait resolving (both clocks
 * are the machine's), and, in the note, from the append to the wait resolving.
 */
export async function readYourWrites(store, { quick }) {
  if (!store.locate) return [];
  progress(`${store.name}: read-your-writes across processes`);
  const target = await store.open();
  const name = `projection-${Date.now()}`;
  const projector = await forkBeside('remote-projector.mjs', [store.name, String(store.locate(target)), name]);
  const saved = new Map();
  await new Promise((resolve) => {
    projector.on('message', (message) => {
      if (message.type === 'saved') saved.set(message.seq, message.at);
      if (message.type === 'ready') resolve();
    });
  });
  const afterSave = [];
  const endToEnd = [];
  for (let i = 0; i < (quick ? 100 : 500); i++) {
    const started = performance.timeOrigin + performance.now();
    const { lastSequenceNumber } = await target.append(events(i, 1, 1000));
    await target.waitForDurable(name, lastSequenceNumber, { timeoutMs: 10_000 });
    const resolved = performance.timeOrigin + performance.now();
    endToEnd.push(resolved - started);
    // the other process's report may arrive just after the wait resolved
    const deadline = Date.now() + 1000;
    while (!saved.has(Number(lastSequenceNumber)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    if (saved.has(Number(lastSequenceNumber))) afterSave.push(Math.max(0, resolved - saved.get(Number(lastSequenceNumber))));
  }
  projector.send('stop');
  await new Promise((resolve) => projector.once('exit', resolve));
  await target.close();
  return [
    {
      workload: 'read-your-writes across processes (cursor saved → waitForDurable resolves)',
      unit: 'ms',
      factstore: median(afterSave),
      baseline: null,
      note: `p99 ${percentile(afterSave, 99).toFixed(2)} ms over ${afterSave.length} appends; append → resolved: median ${median(endToEnd).toFixed(2)} ms, p99 ${percentile(endToEnd, 99).toFixed(2)} ms`,
    },
  ];
}

/**
 * 12. opening a store that holds `total` events and has answered a context query (a file store
 * rebuilds its in-memory index from the segments, the payload key asked about included); the median of three opens, each closed again. No baseline: the
 * raw driver has nothing to open.
 */
export async function reopen(store, { total }) {
  if (!store.locate || !store.openAt) return [];
  const n = total.toLocaleString('en');
  progress(`${store.name}: loading ${n} events to open again`);
  const target = await store.open();
  await fill((batch) => target.append(batch), total, progress, 1_000);
  await store.analyze?.();
  // a store in use has answered context queries: a file store indexes their payload keys at open
  await target.query(contextOf(accountOf(1, total)));
  const where = store.locate(target);
  await target.close();
  const times = [];
  for (let r = 0; r < 3; r++) {
    settle();
    const start = now();
    const opened = await store.openAt(where);
    times.push((now() - start) / 1e6);
    // the newest event, not all of them: a whole-log query is not what is timed here
    const { currentContextVersion } = await opened.query({ filters: [{ eventTypes: [CONTEXT_TYPE] }], direction: 'backward', limit: 1 });
    await opened.close();
    if (currentContextVersion === null) throw new Error('the reopened store has no events');
  }
  return [{ workload: `open a store of ${n} events`, unit: 'ms', factstore: median(times), baseline: null, note: 'median of 3' }];
}

/**
 * 10. several processes writing one store: `processes` processes × 16 concurrent callers for
 * 30 s (8 s with --quick), each alternating a single append and a query + appendIf of its own
 * entity (a new one every 20 calls, so contexts stay small), beside one process with 16 callers
 * for the same time: appends/s, the latency of each
 * call (p50, p99) and the failed calls. The log is checked afterwards: every acknowledged event
 * is there, gapless.
 */
export async function multiProcess(store, { quick }, processes = 7) {
  if (!store.locate) return [];
  const ms = quick ? 8_000 : 30_000;
  const writers = 16;
  const run = async (count) => {
    progress(`${store.name}: ${count} process${count === 1 ? '' : 'es'} × ${writers} writers for ${ms / 1000} s`);
    const created = await store.open();
    const location = store.locate(created);
    await created.close();
    const children = await Promise.all(
      Array.from({ length: count }, () => forkBeside('multi-writer.mjs', [store.name, String(location), String(writers), String(ms)])),
    );
    const ready = children.map((child) => new Promise((resolve) => child.once('message', resolve)));
    await Promise.all(ready);
    const reports = children.map((child) => new Promise((resolve) => child.on('message', (m) => m.type === 'done' && resolve(m))));
    const start = now();
    for (const child of children) child.send('start');
    const done = await Promise.all(reports);
    const elapsed = (now() - start) / 1e6;
    const latencies = done.flatMap((r) => r.latencies);
    const succeeded = done.reduce((sum, r) => sum + r.succeeded, 0);
    const failures = {};
    for (const r of done) for (const [code, n] of Object.entries(r.failures)) failures[code] = (failures[code] ?? 0) + n;
    const failed = Object.values(failures).reduce((sum, n) => sum + n, 0);
    // nothing lost, nothing extra, gapless
    const check = await store.openAt(location);
    const { eventRecords } = await check.query({});
    await check.close();
    if (eventRecords.length !== succeeded || eventRecords.some((r, i) => r.sequenceNumber !== BigInt(i + 1))) {
      throw new Error(`multi-process: ${eventRecords.length} events in the log, ${succeeded} acknowledged, or a gap`);
    }
    return { rate: rate(succeeded, elapsed), p50: percentile(latencies, 50), p99: percentile(latencies, 99), failed, failures };
  };
  const one = await run(1);
  const many = await run(processes);
  const describe = (r) =>
    `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms; ${r.failed} failed calls${
      r.failed
        ? ` (${Object.entries(r.failures)
            .map(([c, n]) => `${n} ${c}`)
            .join(', ')})`
        : ''
    }`;
  return [
    {
      workload: `append + appendIf, 1 process × ${writers} writers`,
      unit: 'appends/s',
      factstore: one.rate,
      baseline: null,
      note: describe(one),
    },
    {
      workload: `append + appendIf, ${processes} processes × ${writers} writers`,
      unit: 'appends/s',
      factstore: many.rate,
      baseline: null,
      note: `${(many.rate / one.rate).toFixed(2)}× one process; ${describe(many)}`,
    },
    {
      workload: `p99 latency, ${processes} processes × ${writers} writers`,
      unit: 'ms',
      factstore: many.p99,
      baseline: null,
      note: 'target: under 500 ms, no failed call',
    },
  ];
}

/**
 * 11. queries on many distinct payload keys, as a new user asks them ad hoc: 20,000 events over
 * 40 keys (each event has one of them, 200 values a key), one query on each key in turn, then
 * the median of one-value queries on the 1st key and on the 40th (a store that indexes a limited
 * number of keys answers the later ones by a scan).
 */
export async function manyKeys(store, { quick }) {
  const total = 20_000;
  const keys = 40;
  const key = (k) => `k${k}`;
  const query = (k, v) => ({ filters: [{ eventTypes: ['keyed'], payloadPredicates: [{ [key(k)]: `v${v}` }] }] });
  progress(`${store.name}: queries on ${keys} distinct payload keys`);
  const target = await store.open();
  for (let i = 0; i < total; i += 1_000) {
    await target.append(
      Array.from({ length: 1_000 }, (_, j) => ({
        eventType: 'keyed',
        payload: { [key(((i + j) % keys) + 1)]: `v${Math.floor((i + j) / keys) % 200}`, n: i + j },
      })),
    );
  }
  for (let k = 1; k <= keys; k++) await target.query(query(k, 0)); // every key asked about once, in order
  const samples = quick ? 200 : 1_000;
  let found = 0;
  const on = (k) =>
    sample(samples, async (i) => {
      found = (await target.query(query(k, (i * 37) % 200))).eventRecords.length;
    });
  const first = await on(1);
  const last = await on(keys);
  await target.close();
  return [
    {
      workload: `query on the 1st of ${keys} payload keys, ${total.toLocaleString('en')} events`,
      unit: 'ms',
      factstore: median(first),
      baseline: null,
      note: `p99 ${percentile(first, 99).toFixed(3)} ms`,
    },
    {
      workload: `query on the ${keys}th of ${keys} payload keys, ${total.toLocaleString('en')} events`,
      unit: 'ms',
      factstore: median(last),
      baseline: null,
      note: `${(median(last) / median(first)).toFixed(2)}× the 1st key; ${found} events per query; p99 ${percentile(last, 99).toFixed(3)} ms`,
    },
  ];
}
