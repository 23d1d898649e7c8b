// @dcb-es/event-store-postgres as its README shows it: a `pg` Pool, `PostgresEventStore` with its
// default (advisory) lock strategy, `ensureInstalled()`; events tagged with their entity
// (`accountId=…`), a decision read through `read(query)` and an append with
// `{ failIfEventsMatch: query, after: <last position read> }`, retried on `AppendConditionError`.
// Catch-up: `read(Query.all())`, the whole log through its cursor.
// `dcb-every-value` is the same store with every payload value a tag (`accountId=…`, `amount=…`,
// `currency=…`, `note=…`): as many index entries an event as factstore's GIN index holds, for
// what the peer's figures cost with the same reach of its queries (not how its README tags).
import pg from 'pg';
import { AppendConditionError, Query, Tags } from '@dcb-es/event-store';
import { PostgresEventStore } from '@dcb-es/event-store-postgres';
import { analyze, freshDatabase } from './databases.mjs';

const entity = (eventType, accountId) => Query.fromItems([{ types: [eventType], tags: Tags.fromObj({ accountId }) }]);

/** The contestant whose events carry the tags `tagsOf(payload)` (an object of tag keys and values). */
function contestant(name, label, tagsOf) {
  const toDcb = (event) => ({ type: event.eventType, tags: Tags.fromObj(tagsOf(event.payload)), data: event.payload, metadata: {} });
  return { name, label, open: () => open(name, toDcb) };
}

/** As its README tags: the entity only. */
export const entityTag = contestant('dcb', '@dcb-es/event-store-postgres 7.0.1', (payload) => ({ accountId: payload.accountId }));

/** Every payload value a tag. */
export const everyValue = contestant('dcb-every-value', '@dcb-es 7.0.1, every value a tag', (payload) =>
  Object.fromEntries(Object.entries(payload).map(([key, value]) => [key, String(value)])),
);

/** A fresh store in a database of its own, its events made by `toDcb`. */
async function open(name, toDcb) {
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
