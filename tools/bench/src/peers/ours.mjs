// factstore-postgres and the raw postgres.js baseline (from ../stores/postgres.mjs) in the shape
// the peer comparison drives: `append`, `readEntity`, `readDecideAppend` (factstore only: the raw
// driver has no conditional append), `catchUp`, `close`.
import * as pg from '../stores/postgres.mjs';
import { decide } from 'factstore';
import { contextOf } from '../data.mjs';

export const factstore = {
  name: 'factstore',
  label: 'factstore-postgres',
  async open() {
    const store = await pg.open();
    return {
      append: (events) => store.append(events),
      readEntity: async (_eventType, accountId) => (await store.query(contextOf(accountId))).eventRecords,
      async readDecideAppend(event) {
        const context = contextOf(event.payload.accountId);
        for (let attempts = 1; ; attempts++) {
          const { currentContextVersion } = await store.query(context);
          try {
            await store.appendIf([event], context, currentContextVersion);
            return attempts;
          } catch (error) {
            if (error.code !== 'CONDITIONAL_APPEND_CONFLICT') throw error;
          }
        }
      },
      /** The same read-decide-append through factstore's `decide` (decisions on one entity share a commit). */
      async decide(event) {
        const outcome = await decide(store, {
          query: contextOf(event.payload.accountId),
          initial: 0,
          evolve: (count) => count + 1,
          decide: () => [event],
        });
        return outcome.attempts;
      },
      /** A durable stream's replay of the whole log (cursor saves included). */
      async catchUp(onBatch) {
        const stream = await store.streamAllDurable(`catch-up-${Date.now()}`, (batch) => {
          onBatch(batch);
        });
        await stream.unsubscribe();
      },
      analyze: pg.analyze,
      close: () => store.close(),
    };
  },
};

export const raw = {
  name: 'raw',
  label: 'raw postgres.js',
  async open() {
    const base = await pg.openBaseline();
    return {
      append: (events) => base.append(events),
      readEntity: (eventType, accountId) => base.contextQuery(eventType, accountId),
      readDecideAppend: undefined,
      catchUp: (onBatch) => base.replay(onBatch),
      analyze: pg.analyze,
      close: () => base.close(),
    };
  },
};
