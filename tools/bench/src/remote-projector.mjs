// Another process for the read-your-writes workload: opens the same store and runs a durable
// stream of every event; once its cursor is saved past a batch (its own waitForDurable, which a
// local save ends at once), it reports the position and that moment.
const [storeName, location, name] = process.argv.slice(2);
const store = await (await import(`./stores/${storeName}.mjs`)).openAt(location);
await store.streamAllDurable(name, (batch) => {
  const position = batch[batch.length - 1].sequenceNumber;
  void store.waitForDurable(name, position, { timeoutMs: 10_000 }).then(() => {
    process.send({ type: 'saved', seq: Number(position), at: performance.timeOrigin + performance.now() });
  });
});
// the IPC channel keeps this process alive (the store's timers do not) until the parent stops it
process.on('message', async (message) => {
  if (message === 'stop') {
    await store.close();
    process.exit(0);
  }
});
process.send({ type: 'ready' });
