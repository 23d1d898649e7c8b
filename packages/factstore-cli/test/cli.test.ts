import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EventStore } from 'factstore';
import { SqliteStore } from 'factstore-sqlite';

/** The built command, run as a user runs it. */
const BIN = resolve(__dirname, '../dist/cli.mjs');
const folder = mkdtempSync(join(tmpdir(), 'factstore-cli-'));
let counter = 0;
const fresh = (name: string) => join(folder, `${name}-${++counter}`);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function factstore(args: string[], input?: string): Run {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: folder, input, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Asserts a failed run printed exactly one line, `factstore: CODE: …`, and exited with 2. */
function expectError(run: Run, code: string): void {
  expect(run.stderr.split('\n').filter((l) => l !== '')).toEqual([expect.stringMatching(new RegExp(`^factstore: ${code}: \\S`))]);
  expect(run.status).toBe(2);
}

/** A store with keyed and plain batches, nested payloads, odd strings, and a durable cursor behind the head. */
async function fill(store: EventStore): Promise<void> {
  await store.append(
    [
      { eventType: 'account-opened', payload: { accountId: 'a1', owner: 'Zoë ✓' } },
      { eventType: 'account-credited', payload: { accountId: 'a1', amount: 5.25 } },
    ],
    { idempotencyKey: 'open-a1' },
  );
  for (let i = 0; i < 30; i++) await store.append([{ eventType: 'note', payload: { i, tags: ['x', i], deep: { n: null } } }]);
  await store.append([{ eventType: 'account-opened', payload: { accountId: 'a2' } }], { idempotencyKey: 'open-a2' });
  const stream = await store.streamAllDurable('ledger', () => {});
  await stream.unsubscribe();
  await store.append([
    { eventType: 'scalar', payload: 7 },
    { eventType: 'scalar', payload: 'text\nwith a newline' },
  ]);
}

async function sqliteWithData(): Promise<string> {
  const path = `${fresh('source')}.db`;
  const store = await SqliteStore.open(path);
  await fill(store);
  await store.close();
  return path;
}

/** What the tests use of the sqlite3 driver. */
interface SqliteDatabase {
  exec(sql: string, done: (error: Error | null) => void): void;
  close(done: () => void): void;
}
/** The sqlite3 driver, as factstore-sqlite resolves it (this package has no dependency of its own on it). */
const sqlite3 = createRequire(require.resolve('factstore-sqlite'))('sqlite3') as {
  Database: new (path: string, done: (error: Error | null) => void) => SqliteDatabase;
};

function damage(path: string, sql: string): Promise<void> {
  return new Promise((done, fail) => {
    const db = new sqlite3.Database(path, (error) => {
      if (error) return fail(error);
      db.exec(sql, (execError) => db.close(() => (execError ? fail(execError) : done())));
    });
  });
}

describe('export and import', () => {
  it('exports a SQLite store, imports it into a file store and into SQLite, and both export the same lines again', async () => {
    const source = await sqliteWithData();
    const out = `${fresh('export')}.jsonl`;
    expect(factstore(['export', source, '--out', out]).status).toBe(0);
    const lines = readFileSync(out, 'utf8');
    expect(lines.split('\n')[0]).toBe('{"kind":"header","format":"factstore-export","version":1,"head":"35"}');
    expect(lines.trimEnd().split('\n').at(-1)).toBe('{"kind":"end","events":"35","batches":"33","cursors":1}');

    const files = `file:${fresh('files')}`;
    const imported = factstore(['import', files, '--in', out]);
    expect(imported.stderr).toBe('imported 35 events in 33 batches, 1 cursors\n');
    expect(imported.status).toBe(0);
    const again = factstore(['export', files]);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(lines);

    // standard input too, and back into SQLite
    const back = `sqlite:${fresh('back')}.db`;
    expect(factstore(['import', back], again.stdout).status).toBe(0);
    expect(factstore(['export', back]).stdout).toBe(lines);
    expect(factstore(['verify', back]).status).toBe(0);
  });

  it('exports SQLite, imports into PostgreSQL, and PostgreSQL exports the same lines', async () => {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set: run the tests with `pnpm test` (with-postgres starts a server)');
    const schema = `cli_${process.pid}_${Date.now()}`;
    const address = `${url}${url.includes('?') ? '&' : '?'}schema=${schema}`;
    // postgres.js as factstore-postgres resolves it, for dropping the schema afterwards
    const postgres = createRequire(require.resolve('factstore-postgres'))('postgres') as (
      url: string,
      options: { onnotice: () => void },
    ) => { unsafe(sql: string): Promise<unknown>; end(): Promise<void> };
    const sql = postgres(url, { onnotice: () => {} });
    try {
      const source = await sqliteWithData();
      const lines = factstore(['export', source]).stdout;
      const imported = factstore(['import', address], lines);
      expect(imported.stderr).toBe('imported 35 events in 33 batches, 1 cursors\n');
      expect(factstore(['export', address]).stdout).toBe(lines);
      expect(factstore(['verify', address]).stdout).toMatch(/^ok: 35 events, 33 batch rows/);
      const info = JSON.parse(factstore(['info', address, '--json']).stdout) as { head: string; store: string };
      expect(info.head).toBe('35');
      expect(info.store).toContain(`schema ${schema}`);
      // the counter row moved with the import: the next append continues at 36
      const copy = `sqlite:${fresh('pg-copy')}.db`;
      expect(factstore(['copy', address, copy]).status).toBe(0);
      expect(factstore(['export', copy]).stdout).toBe(lines);
    } finally {
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await sql.end();
    }
  });

  it('refuses to import into a store that is not empty, with one line and the code', async () => {
    const source = await sqliteWithData();
    const lines = factstore(['export', source]).stdout;
    const run = factstore(['import', source], lines);
    expectError(run, 'INVALID_INPUT');
    expect(run.stderr).toContain('must be empty');
  });

  it('refuses an export that is cut short or damaged, naming the line', async () => {
    const source = await sqliteWithData();
    const lines = factstore(['export', source]).stdout.trimEnd().split('\n');
    const cut = factstore(['import', `file:${fresh('cut')}`], `${lines.slice(0, -1).join('\n')}\n`);
    expectError(cut, 'BAD_EXPORT');
    expect(cut.stderr).toContain('no end line');
    const broken = [...lines];
    broken[2] = (broken[2] as string).replace('"sequenceNumber":"1"', '"sequenceNumber":"01"');
    const bad = factstore(['import', `file:${fresh('bad')}`], broken.join('\n'));
    expectError(bad, 'BAD_EXPORT');
    expect(bad.stderr).toContain('line 3');
    expectError(factstore(['import', `file:${fresh('none')}`], 'not json\n'), 'BAD_EXPORT');
  });

  it('copy prints plain progress lines when standard error is not a terminal', async () => {
    const source = await sqliteWithData();
    const run = factstore(['copy', source, `file:${fresh('copy')}`]);
    expect(run.status).toBe(0);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^0\/35 events \(0%\) {2}\d+ events\/s {2}0:00 left$/);
    expect(lines.at(-2)).toMatch(/^35\/35 events \(100%\) {2}[\d,]+ events\/s {2}0:00 left$/);
    expect(lines.at(-1)).toBe('copied 35 events in 33 batches, 1 cursors');
    expect(run.stderr).not.toContain('\r');
  });
});

describe('info and query', () => {
  it('info reports format, head, counts per type, batches and the durable stream with its lag and lease', async () => {
    const source = await sqliteWithData();
    const text = factstore(['info', source]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('head             35\n');
    expect(text.stdout).toContain('  note  30\n');
    expect(text.stdout).toContain('  ledger  cursor 33  lag 2  not held\n');
    const json = JSON.parse(factstore(['info', `sqlite:${source}`, '--json']).stdout);
    expect(json).toMatchObject({
      formatVersion: 3,
      supportedFormat: 3,
      head: '35',
      eventCount: '35',
      batchCount: '33',
      eventTypes: [
        { eventType: 'account-credited', count: '1' },
        { eventType: 'account-opened', count: '2' },
        { eventType: 'note', count: '30' },
        { eventType: 'scalar', count: '2' },
      ],
      durableStreams: [{ name: 'ledger', position: '33', lag: '2', leased: false, holder: null }],
    });
  });

  it('info shows a durable name held by a live process', async () => {
    const path = await sqliteWithData();
    const store = await SqliteStore.open(path);
    const stream = await store.streamAllDurable('ledger', () => {});
    try {
      expect(factstore(['info', path]).stdout).toContain('  ledger  cursor 35  lag 0  held by a live process\n');
    } finally {
      await stream.unsubscribe();
      await store.close();
    }
  });

  it('query prints the matching records as JSON Lines: --type, --where, --after, --limit', async () => {
    const source = await sqliteWithData();
    const lines = (args: string[]) =>
      factstore(['query', source, ...args])
        .stdout.trimEnd()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { sequenceNumber: string; eventType: string; payload: unknown; occurredAt: string });
    const opened = lines(['--type', 'account-opened']);
    expect(opened.map((r) => r.sequenceNumber)).toEqual(['1', '33']);
    expect(opened[0]).toEqual({
      sequenceNumber: '1',
      occurredAt: expect.stringMatching(/Z$/),
      eventType: 'account-opened',
      payload: { accountId: 'a1', owner: 'Zoë ✓' },
    });
    expect(lines(['--where', '{"accountId":"a1"}']).map((r) => r.sequenceNumber)).toEqual(['1', '2']);
    expect(lines(['--type', 'note', '--where', '{"i":3}', '--where', '{"i":4}']).map((r) => r.sequenceNumber)).toEqual(['6', '7']);
    expect(lines(['--after', '30', '--limit', '3']).map((r) => r.sequenceNumber)).toEqual(['31', '32', '33']);
    expect(lines([])).toHaveLength(35);
    expect(lines(['--type', 'scalar'])[1]?.payload).toBe('text\nwith a newline');
    // newest first, bounded, and paging below a position
    expect(lines(['--backward', '--limit', '3']).map((r) => r.sequenceNumber)).toEqual(['35', '34', '33']);
    expect(lines(['--before', '4']).map((r) => r.sequenceNumber)).toEqual(['1', '2', '3']);
    expect(lines(['--backward', '--before', '33', '--limit', '2']).map((r) => r.sequenceNumber)).toEqual(['32', '31']);
  });
});

describe('verify', () => {
  it('passes a sound store with exit 0', async () => {
    const run = factstore(['verify', await sqliteWithData()]);
    expect(run.stdout).toMatch(/^ok: 35 events, 33 batch rows, \d+ sample queries, 1 cursors\n$/);
    expect(run.status).toBe(0);
  });

  it('catches a deleted event row', async () => {
    const path = await sqliteWithData();
    await damage(path, 'DELETE FROM events WHERE seq = 10');
    const run = factstore(['verify', path]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('- positions 10 are missing from the log');
  });

  it('catches a gap in the positions', async () => {
    const path = await sqliteWithData();
    await damage(
      path,
      'UPDATE events SET seq = seq + 5 WHERE seq > 33; UPDATE batches SET first_seq = first_seq + 5, last_seq = last_seq + 5 WHERE first_seq = 34',
    );
    const run = factstore(['verify', path]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('- positions 34..38 are missing from the log');
  });

  it('catches a broken batch row, a missing one, and a cursor inside a batch', async () => {
    const path = await sqliteWithData();
    await damage(
      path,
      "UPDATE batches SET last_seq = 4 WHERE first_seq = 3; DELETE FROM batches WHERE first_seq = 20; UPDATE cursors SET position = 34 WHERE name = 'ledger'",
    );
    const run = factstore(['verify', path]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('- the batch row 4..4 overlaps the one before (which ends at 4)');
    expect(run.stdout).toContain('- no batch row covers positions 20');
    expect(run.stdout).toContain('- the cursor of "ledger" is at 34, inside a batch');
  });

  it('catches an index that answers differently from a scan', async () => {
    const path = await sqliteWithData();
    // the value index of accountId, built by a query, then one entry removed behind the store's back
    expect(factstore(['query', path, '--where', '{"accountId":"a1"}']).stdout).toContain('"sequenceNumber":"2"');
    await damage(path, `DELETE FROM event_values WHERE seq = 1`);
    const run = factstore(['verify', path]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('- query {"filters":[{"payloadPredicates":[{"accountId":"a1"}]}]} returns positions 2, a scan 1,2');
  });
});

describe('tail', () => {
  it('prints the commits of another process as JSON Lines, and stops cleanly on SIGINT and SIGTERM', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const path = await sqliteWithData();
      const child = spawn(process.execPath, [BIN, 'tail', path, '--type', 'wanted'], { cwd: folder });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      await until(() => stderr.includes('tailing'));
      const store = await SqliteStore.open(path);
      await store.append([{ eventType: 'other', payload: {} }]);
      await store.append([
        { eventType: 'wanted', payload: { n: 1 } },
        { eventType: 'wanted', payload: { n: 2 } },
      ]);
      await store.close();
      await until(() => stdout.split('\n').length >= 3);
      child.kill(signal);
      expect(await exited).toBe(0);
      const lines = stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => [l.sequenceNumber, l.payload])).toEqual([
        ['37', { n: 1 }],
        ['38', { n: 2 }],
      ]);
    }
  });
});

describe('errors and help', () => {
  it('prints one line with the code and exits 2', async () => {
    expectError(factstore(['info', 'nowhere']), 'INVALID_INPUT');
    expectError(factstore(['info', `${fresh('missing')}.db`]), 'STORE_NOT_FOUND');
    expectError(factstore(['info', `file:${fresh('missing')}`]), 'STORE_NOT_FOUND');
    expectError(factstore(['frobnicate']), 'USAGE');
    expectError(factstore(['query', 'x.db', '--nope']), 'USAGE');
    expectError(factstore(['query']), 'USAGE');
    expectError(factstore(['copy', 'x.db']), 'USAGE');
    const notSqlite = `${fresh('text')}.db`;
    writeFileSync(notSqlite, 'this is not a database, it is text\n'.repeat(100));
    expectError(factstore(['info', notSqlite]), 'BACKEND_FAILURE');
    const source = await sqliteWithData();
    expectError(factstore(['query', source, '--where', '{bad']), 'USAGE');
    expectError(factstore(['query', source, '--limit', 'many']), 'USAGE');
  });

  it('has --help for the command and every subcommand', () => {
    const main = factstore(['--help']);
    expect(main.status).toBe(0);
    for (const command of ['info', 'query', 'tail', 'export', 'import', 'copy', 'verify']) {
      expect(main.stdout).toContain(`  ${command} `);
      const help = factstore([command, '--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: factstore ${command} `));
      expect(help.stdout).toContain('Store addresses:');
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
