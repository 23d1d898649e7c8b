// The memory store and its baseline: a plain array push and scan, no factstore code.
import { MemoryStore } from 'factstore-memory';

export const name = 'memory';

/** A fresh, empty store. */
export async function open() {
  return new MemoryStore();
}

/** The same work on a plain array. */
export async function openBaseline() {
  const log = [];
  return {
    async append(events) {
      const at = new Date();
      for (const e of events) log.push({ sequenceNumber: log.length + 1, occurredAt: at, eventType: e.eventType, payload: e.payload });
    },
    async contextQuery(eventType, accountId) {
      return log.filter((r) => r.eventType === eventType && r.payload.accountId === accountId);
    },
    async newest(eventType, accountId, count) {
      const out = [];
      for (let i = log.length - 1; i >= 0 && out.length < count; i--) {
        const r = log[i];
        if (r.eventType === eventType && r.payload.accountId === accountId) out.push(r);
      }
      return out;
    },
    async replay(onBatch) {
      for (let i = 0; i < log.length; i += 100) onBatch(log.slice(i, i + 100));
    },
    async close() {},
  };
}
