// A short tour of factstore, printing what happens at each step: on SQLite (one file) by default,
// or with `--store file` on the file store (a folder of JSON Lines). The data goes into the folder
// given as the other argument (default: ./demo-data).
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FileStore } from 'factstore-file';
import { SqliteStore } from 'factstore-sqlite';

const argv = process.argv.slice(2);
const storeAt = argv.indexOf('--store');
const kind = storeAt >= 0 ? argv.splice(storeAt, 2)[1] : 'sqlite';
if (kind !== 'sqlite' && kind !== 'file') throw new Error(`--store must be sqlite or file, not ${kind}`);
const Store =
  kind === 'file' ? { name: 'FileStore', open: (at) => FileStore.open(at) } : { name: 'SqliteStore', open: (at) => SqliteStore.open(at) };

const say = (text) => console.log(text);
const positions = (records) => records.map((r) => String(r.sequenceNumber)).join(', ');

const folder = resolve(argv[0] ?? 'demo-data');
const file = join(folder, kind === 'file' ? 'facts' : 'demo.db');
rmSync(folder, { recursive: true, force: true }); // every run starts from an empty log
const store = await Store.open(file);
say(`factstore demo (store: ${Store.name} in ${file})\n`);

// 1. Facts go into one ordered log: each append is one batch with one consecutive range.
const opened = await store.append([
  { eventType: 'account-opened', payload: { accountId: 'a1', owner: 'Ada' } },
  { eventType: 'money-deposited', payload: { accountId: 'a1', amount: 100 } },
]);
say(`1. appended a batch: positions ${opened.firstSequenceNumber}..${opened.lastSequenceNumber} (${opened.committedCount} events)`);
await store.append([{ eventType: 'account-opened', payload: { accountId: 'b7', owner: 'Grace' } }]);
say('   appended another account: position 3');

// 2. A context is whatever a query selects: here, everything about account a1.
const a1 = { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] };
const context = await store.query(a1);
const balance = context.eventRecords.reduce((sum, r) => sum + (r.payload.amount ?? 0), 0);
say(`2. context of a1: positions [${positions(context.eventRecords)}], balance ${balance}, version ${context.currentContextVersion}`);

// 3. appendIf writes only while the context is still at the version we decided on.
const seen = context.currentContextVersion;
await store.append([{ eventType: 'money-withdrawn', payload: { accountId: 'a1', amount: 80 } }]);
say('3. meanwhile someone else withdrew 80 from a1 (position 4)');
try {
  await store.appendIf([{ eventType: 'money-withdrawn', payload: { accountId: 'a1', amount: 50 } }], a1, seen);
} catch (error) {
  say(
    `   our withdrawal of 50, decided at version ${seen}: ${error.code} (expected ${error.expected}, actual ${error.actual}); nothing written`,
  );
}
const fresh = await store.query(a1);
const left = fresh.eventRecords.reduce(
  (sum, r) => sum + (r.eventType === 'money-withdrawn' ? -r.payload.amount : (r.payload.amount ?? 0)),
  0,
);
say(`   re-read: balance ${left} at version ${fresh.currentContextVersion}, so a withdrawal of 50 is refused by the rule, not by a race`);

// 4. A durable stream replays what it has not seen yet, then goes live, with no gap.
const lines = [];
const stream = await store.streamAllDurable('ledger', (batch) => lines.push(`[${positions(batch)}]`));
say(`4. durable stream "ledger" caught up with ${lines.length} batches: ${lines.join(' ')}`);
await store.append([{ eventType: 'money-deposited', payload: { accountId: 'b7', amount: 20 } }]);
await new Promise((resolve) => setTimeout(resolve, 20));
say(`   then went live: ${lines.join(' ')}`);
await stream.unsubscribe();
await store.append([{ eventType: 'money-deposited', payload: { accountId: 'b7', amount: 5 } }]);
const again = [];
await store.streamAllDurable('ledger', (batch) => again.push(`[${positions(batch)}]`));
say(`   unsubscribed, one more append, registered again: resumed with ${again.join(' ')} only`);

await store.close();

// 5. Everything is stored: a new process (here: a new store) sees the same log and cursor.
const reopened = await Store.open(file);
const all = await reopened.query({});
const later = [];
const resumed = await reopened.streamAllDurable('ledger', (batch) => later.push(`[${positions(batch)}]`));
say(
  `5. reopened ${file}: ${all.eventRecords.length} events, head ${all.currentContextVersion}; "ledger" resumed with ${later.length} batches to replay`,
);
await resumed.unsubscribe();
await reopened.close();
say('\ndone: the store is closed.');
