import { copyFileSync, existsSync, statSync } from 'node:fs';
import { SqliteStore } from '../src/index.js';
import { removeTempFolders, tempDb } from './temp-files.js';

afterAll(removeTempFolders);

describe('SqliteStore close() leaves the whole store in one file', () => {
  it('open, append, query, close, twenty times: no -wal file remains, and a copy of the .db alone holds every event', async () => {
    const path = tempDb('one-file');
    let total = 0;
    for (let round = 0; round < 20; round++) {
      const store = await SqliteStore.open(path);
      const events = Array.from({ length: 1000 }, (_, i) => ({ eventType: 'tick', payload: { round, i, pad: 'x'.repeat(100) } }));
      for (let b = 0; b < events.length; b += 100) await store.append(events.slice(b, b + 100));
      total += events.length;
      expect((await store.query({ filters: [{ eventTypes: ['tick'] }], limit: 1 })).currentContextVersion).toBe(BigInt(total));
      await store.close();
      const wal = `${path}-wal`;
      expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
      // the usual backup of a stopped application: the .db file alone
      const copy = `${path}.copy-${round}.db`;
      copyFileSync(path, copy);
      const restored = await SqliteStore.open(copy);
      expect((await restored.query({})).eventRecords).toHaveLength(total);
      await restored.close();
    }
  }, 120_000);
});
