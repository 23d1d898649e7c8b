// Another process for the cross-process latency workload: opens the same store and appends one
// event per message, answering with the position and the moment the append resolved.
const [storeName, location] = process.argv.slice(2);
const store = await (await import(`./stores/${storeName}.mjs`)).openAt(location);
process.on('message', async () => {
  const result = await store.append([{ eventType: 'ping', payload: { at: Date.now() } }]);
  process.send({ type: 'appended', seq: Number(result.lastSequenceNumber), at: performance.timeOrigin + performance.now() });
});
process.send({ type: 'ready' });
