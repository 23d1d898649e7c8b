import { join } from 'node:path';
import { checkLogInvariants, child, type Message } from 'factstore-test-support';
import { SqliteStore } from '../src/index.js';
import { sqliteAdapter } from './adapter.js';
import { removeTempFolders, tempDb } from './temp-files.js';

afterAll(removeTempFolders);

const PROCESSES = 5;
const WRITERS = 16;
const MS = 3_000;

describe('SqliteStore under write contention from several processes', () => {
  it(`${PROCESSES} processes × ${WRITERS} concurrent writers: no call fails, every acknowledged append is in the log once, gapless`, async () => {
    const path = tempDb('contention');
    await (await SqliteStore.open(path)).close();
    const children = Array.from({ length: PROCESSES }, () =>
      child(join(__dirname, 'processes'), 'busy-writer.mjs', [path, String(WRITERS), String(MS)]),
    );
    await Promise.all(children.map((c) => c.waitFor('ready')));
    for (const c of children) c.process.send('start');
    const reports = (await Promise.all(children.map((c) => c.waitFor('done', MS + 60_000)))) as (Message & {
      acked: number[];
      failures: string[];
    })[];
    expect(await Promise.all(children.map((c) => c.exited))).toEqual(children.map(() => 0));
    expect(reports.flatMap((r) => r.failures)).toEqual([]);
    const acked = reports.flatMap((r) => r.acked).sort((a, b) => a - b);
    // every process got the lock (none starved) and every acknowledged position is a different event
    for (const r of reports) expect(r.acked.length).toBeGreaterThan(0);
    expect(new Set(acked).size).toBe(acked.length);
    const store = await SqliteStore.open(path);
    const { eventRecords } = await store.query({});
    await store.close();
    // nothing lost, nothing extra: the log is exactly the acknowledged appends, 1..n
    expect(eventRecords.map((r) => Number(r.sequenceNumber))).toEqual(acked);
    expect(acked).toEqual(Array.from({ length: acked.length }, (_, i) => i + 1));
    await checkLogInvariants(sqliteAdapter, path);
  }, 120_000);
});
