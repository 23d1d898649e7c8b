// A PostgresStore under load, in a child process watched for unhandled rejections and crashes
// (the fault tests of factstore-postgres and tools/fault-probe): connects, runs concurrent append
// and appendIf writers and a live stream for a while, closes, and reports everything over IPC.
// Argument: a JSON config { module (URL of factstore-postgres), url, schema, storeOptions,
// durationMs, writers, callBoundMs, connectOnly, connectCapMs }; see src/faults/worker-report.ts.
const config = JSON.parse(process.argv[2]);
const { url, schema, storeOptions = {}, durationMs, writers, callBoundMs, connectOnly, connectCapMs } = config;
const { PostgresStore } = await import(config.module);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();

/** Races `promise` against `ms`: { settled, value, error, ms }; the promise keeps its handler. */
async function bounded(promise, ms) {
  const started = now();
  let timer;
  const outcome = await Promise.race([
    promise.then(
      (value) => ({ settled: true, value }),
      (error) => ({ settled: true, error }),
    ),
    new Promise((resolve) => (timer = setTimeout(() => resolve({ settled: false }), ms))),
  ]);
  clearTimeout(timer);
  return { ...outcome, ms: Math.round(now() - started) };
}

const connecting = PostgresStore.connect(url, { schema, pollIntervalMs: 100, ...storeOptions });
const connected = await bounded(connecting, connectCapMs);
if (!connected.settled || connected.error) {
  process.send({ type: 'done', connectMs: connected.settled ? connected.ms : null, connectError: connected.error?.code ?? null });
  process.exit(0); // a connect that never settles cannot be closed: nothing to wait for
}
const store = connected.value;
if (connectOnly) {
  const closed = await bounded(store.close(), callBoundMs);
  process.send({ type: 'done', connectMs: connected.ms, closeMs: closed.settled ? closed.ms : null });
  process.exit(0);
}

const streamed = [];
await store.streamAll((batch) => {
  for (const record of batch) streamed.push(Number(record.sequenceNumber));
});
process.send({ type: 'connected', connectMs: connected.ms });

const acked = [];
const failed = [];
const uncertain = []; // failed with mayHaveCommitted: may be in the log
const conflicted = []; // refused with a conflict: must not be in the log
const failures = {};
let slow = 0; // calls that took longer than callBoundMs (settled late or never)
let pending = 0;
let conflicts = 0;
let running = true;
const call = async (id, promise) => {
  pending++;
  const outcome = await bounded(promise, callBoundMs);
  if (!outcome.settled) {
    slow++;
    Object.assign(outcome, await bounded(promise, durationMs + 5000)); // wait for it, within reason
  }
  if (outcome.settled) pending--;
  if (outcome.settled && !outcome.error) acked.push(id);
  else if (outcome.error?.code === 'CONDITIONAL_APPEND_CONFLICT') {
    conflicts++;
    conflicted.push(id);
  } else {
    failed.push(id);
    if (outcome.error?.mayHaveCommitted === true) uncertain.push(id);
    const code = outcome.error?.code ?? (outcome.settled ? String(outcome.error) : 'NEVER_SETTLED');
    failures[code] = (failures[code] ?? 0) + 1;
  }
  return outcome;
};

const writer = async (w) => {
  let version; // undefined: ask the store
  const context = { filters: [{ eventTypes: ['probe'], payloadPredicates: [{ writer: w }] }] };
  for (let i = 0; running; i++) {
    const id = `${w}-${i}`;
    const event = { eventType: 'probe', payload: { id, writer: w } };
    if (i % 2 === 0) {
      const outcome = await call(id, store.append([event]));
      if (outcome.error) await sleep(20);
      version = outcome.error ? undefined : outcome.value?.lastSequenceNumber;
      continue;
    }
    if (version === undefined) {
      const read = await bounded(store.query(context), callBoundMs);
      if (!read.settled || read.error) {
        await sleep(20);
        continue;
      }
      version = read.value.currentContextVersion;
    }
    const outcome = await call(id, store.appendIf([event], context, version));
    version = outcome.error ? undefined : outcome.value?.lastSequenceNumber;
    if (outcome.error) await sleep(20);
  }
};

const work = Array.from({ length: writers }, (_, w) => writer(w));
await sleep(durationMs);
running = false;
await bounded(Promise.all(work), callBoundMs + durationMs);

// the stream must reach the head the log has now. The read of that head is tried again while it
// fails: right after a terminate storm a query can still fail with 57P01 on a pooled connection
// the storm ended, and a single failed read used to skip the wait, so that a stream a few
// milliseconds behind was reported as stalled (3 runs in 106). A head not read within 5 s
// skips the wait; the report compares the stream with the log all the same.
let last = null;
for (const headDeadline = now() + 5000; last === null && now() < headDeadline;) {
  const head = await bounded(store.query({ filters: [{ eventTypes: ['probe'] }] }), callBoundMs);
  if (head.settled && !head.error) last = Number(head.value.currentContextVersion ?? 0);
  else await sleep(50);
}
const deadline = now() + 5000;
while (last !== null && (streamed.at(-1) ?? 0) < last && now() < deadline) await sleep(20);
const closed = await bounded(store.close(), callBoundMs);
process.send({
  type: 'done',
  connectMs: connected.ms,
  closeMs: closed.settled ? closed.ms : null,
  acked,
  failed,
  uncertain,
  conflicted,
  failures,
  conflicts,
  slow,
  neverSettled: pending,
  streamed,
});
process.exit(0);
