// @event-driven-io/emmett-postgresql as its docs show it: `getPostgreSQLEventStore(connectionString)`
// (its default pooled connection, schema migrated on first use), one stream per entity
// (`account-<accountId>`); a decision is the command handling of its CommandHandler without the
// back-off: `aggregateStream`, then `appendToStream` with `expectedStreamVersion` (the version read,
// or STREAM_DOES_NOT_EXIST), again at once on an ExpectedVersionConflictError. A batch goes to one
// stream (Emmett appends to one stream at a time). Catch-up: a consumer with a reactor from the
// beginning of the log, stopping when no messages are left, pulling batches of 1,000 without a pause.
import { isExpectedVersionConflictError, STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { analyze, freshDatabase } from './databases.mjs';

export const name = 'emmett';
export const label = '@event-driven-io/emmett-postgresql 0.42.0';
/** Appends go to one stream each: the log of the read workload is loaded one event per append. */
export const appendsAcrossEntities = false;

const stream = (accountId) => `account-${accountId}`;
const toEmmett = (event) => ({ type: event.eventType, data: event.payload });
const count = (state) => state + 1;

/** A fresh store in a database of its own. */
export async function open() {
  const connectionString = await freshDatabase(name);
  const store = getPostgreSQLEventStore(connectionString);
  await store.schema.migrate();
  let batches = 0;
  return {
    /** Appends `events` to one stream (Emmett's unit of append): a stream per batch. */
    append: (events) =>
      events.length === 1
        ? store.appendToStream(stream(events[0].payload.accountId), events.map(toEmmett))
        : store.appendToStream(`batch-${++batches}`, events.map(toEmmett)),
    readEntity: async (_eventType, accountId) => (await store.readStream(stream(accountId))).events,
    /** One read-decide-append of `event` on its stream, again after each conflict; the attempts it took. */
    async readDecideAppend(event) {
      const name = stream(event.payload.accountId);
      for (let attempts = 1; ; attempts++) {
        const { currentStreamVersion, streamExists } = await store.aggregateStream(name, { evolve: count, initialState: () => 0 });
        try {
          await store.appendToStream(name, [toEmmett(event)], {
            expectedStreamVersion: streamExists ? currentStreamVersion : STREAM_DOES_NOT_EXIST,
          });
          return attempts;
        } catch (error) {
          if (!isExpectedVersionConflictError(error)) throw error;
        }
      }
    },
    async catchUp(onBatch) {
      // the puller sleeps `pullingFrequencyInMs` (50 by default) after every batch (100 by default):
      // a catch-up reads on at once, in batches of 1,000
      const consumer = store.consumer({ stopWhen: { noMessagesLeft: true }, pulling: { batchSize: 1_000, pullingFrequencyInMs: 0 } });
      consumer.reactor({
        processorId: `catch-up-${Date.now()}`,
        startFrom: 'BEGINNING',
        eachMessage: (message) => {
          onBatch([message]);
        },
      });
      await consumer.start();
      await consumer.close();
    },
    analyze: () => analyze(connectionString),
    close: () => store.close(),
  };
}
