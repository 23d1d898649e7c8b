// @dcb-es/event-store-postgres as its README shows it: a `pg` Pool, `PostgresEventStore` with its
// default (advisory) lock strategy, `ensureInstalled()`; events tagged with their entity
// (`accountId=…`), a decision read through `read(query)` and an append with
// `{ failIfEventsMatch: query, after: <last position read> }`, retried on `AppendConditionError`.
// Catch-up: `read(Query.all())`, the whole log through its cursor.
import pg from 'pg';
import { AppendConditionError, Query, Tags } from '@dcb-es/event-store';
import { PostgresEventStore } from '@dcb-es/event-store-postgres';
import { analyze, freshDatabase } from './databases.mjs';

export const name = 'dcb';
export const label = '@dcb-es/event-store-postgres 7.0.1';

const toDcb = (event) => ({
  type: event.eventType,
  tags: Tags.fromObj({ accountId: event.payload.accountId }),
  data: event.payload,
  metadata: {},
});
const entity = (eventType, accountId) => Query.fromItems([{ types: [eventType], tags: Tags.fromObj({ accountId }) }]);

/** A fresh store in a database of its own. */
export async function open() {
  const url = await freshDatabase(name);
  const pool = new pg.Pool({ connectionString: url });
  // pg's documented handler for errors of idle pooled clients (without it such an error ends the process)
  pool.on('error', () => {});
  const store = new PostgresEventStore({ pool });
  await store.ensureInstalled();
  const readAll = async (query) => {
    const out = [];
    for await (const item of store.read(query)) out.push(item);
    return out;
  };
  return {
    append: (events) => store.append({ events: events.map(toDcb) }),
    readEntity: (eventType, accountId) => readAll(entity(eventType, accountId)),
    /** One read-decide-append of `event` on its entity, again after each conflict; the attempts it took. */
    async readDecideAppend(event) {
      const query = entity(event.eventType, event.payload.accountId);
      for (let attempts = 1; ; attempts++) {
        const read = await readAll(query);
        const after = read.at(-1)?.position;
        try {
          await store.append({ events: toDcb(event), condition: { failIfEventsMatch: query, ...(after && { after }) } });
          return attempts;
        } catch (error) {
          if (!(error instanceof AppendConditionError)) throw error;
        }
      }
    },
    async catchUp(onBatch) {
      let batch = [];
      for await (const item of store.read(Query.all())) {
        batch.push(item);
        if (batch.length === 100) {
          onBatch(batch);
          batch = [];
        }
      }
      if (batch.length > 0) onBatch(batch);
    },
    analyze: () => analyze(url),
    close: () => pool.end(),
  };
}
