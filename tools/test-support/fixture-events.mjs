// The contents of the stored-format fixtures of every store: what a store of an earlier release
// holds, written through the public API, and read back as plain JSON (positions and times as
// strings) to compare with what a newer release reads from the same storage.

/** Writes the fixture's facts into an empty store. Read it back with {@link readBack} from a copy (reading moves a cursor). */
export async function fixtureEvents(store) {
  await store.append([{ eventType: 'account-opened', payload: { accountId: 'a1', owner: 'Zoë Ångström', tags: ['vip'] } }]);
  await store.append([
    { eventType: 'money-deposited', payload: { accountId: 'a1', amount: 100.5 } },
    { eventType: 'money-deposited', payload: { accountId: 'a1', amount: 1e21 } },
    { eventType: 'note', payload: { text: '日本語 🎉 "quotes" \\ back', nested: { deep: [1, { x: null }] } } },
  ]);
  // a durable cursor in the middle of the log: it has seen the first two batches
  const balances = await store.streamAllDurable('balances', () => {});
  await balances.unsubscribe();
  const context = { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] };
  const { currentContextVersion } = await store.query(context);
  await store.appendIf([{ eventType: 'money-withdrawn', payload: { accountId: 'a1', amount: 0.1 } }], context, currentContextVersion);
  await store.append([{ eventType: 'account-opened', payload: { accountId: 'a.b', 'key with "quote"': true } }]);
  await store.append([
    { eventType: 'money-deposited', payload: { accountId: 'a2', amount: -0 } },
    { eventType: 'array-payload', payload: [1, 'two', { three: 3 }] },
  ]);
}

/** What a store holds, as plain JSON: every record, the batch boundaries (from a durable replay) and the cursor. */
export async function readBack(store) {
  const { eventRecords } = await store.query({});
  const records = eventRecords.map((r) => ({
    sequenceNumber: String(r.sequenceNumber),
    occurredAt: r.occurredAt.toISOString(),
    eventType: r.eventType,
    payload: r.payload,
  }));
  // batch boundaries: a new durable name replays every batch with its original boundaries
  const batches = [];
  const replay = await store.streamAllDurable(`fixture-read-${Date.now()}-${Math.random()}`, (batch) => {
    batches.push([String(batch[0].sequenceNumber), String(batch[batch.length - 1].sequenceNumber)]);
  });
  await replay.unsubscribe();
  // the stored cursor of 'balances': resuming delivers only what came after it
  const after = [];
  const resumed = await store.streamAllDurable('balances', (batch) => {
    after.push(...batch.map((r) => String(r.sequenceNumber)));
  });
  await resumed.unsubscribe();
  return { records, batches, balancesResumesWith: after };
}
