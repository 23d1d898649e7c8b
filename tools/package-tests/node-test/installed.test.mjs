// The user's path: pack every package, install the tarballs with plain npm into fresh projects
// outside the workspace, and use them there from ESM, CommonJS, Jest and node --test.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import postgres from 'postgres';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'factstore-installed-'));
const tarballs = {};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function sh(command, args, cwd, timeout = 600_000) {
  const run = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' },
  });
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

function project(name, dependencies) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }, null, 2));
  sh('npm', ['install', '--no-package-lock', ...dependencies], dir);
  return dir;
}

before(() => {
  const packs = join(work, 'packs');
  mkdirSync(packs);
  for (const pkg of [
    'factstore',
    'factstore-memory',
    'factstore-conformance',
    'factstore-sqlite',
    'factstore-postgres',
    'factstore-file',
    'factstore-cli',
  ]) {
    execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: join(root, 'packages', pkg), stdio: 'ignore' });
  }
  for (const file of readdirSync(packs)) tarballs[file.replace(/-\d+\.\d+\.\d+\.tgz$/, '')] = join(packs, file);
});

after(() => rmSync(work, { recursive: true, force: true }));

describe('installed from tarballs with npm', () => {
  it('factstore-memory alone works from ESM and from CommonJS', () => {
    const dir = project('memory-user', [tarballs['factstore'], tarballs['factstore-memory']]);
    writeFileSync(
      join(dir, 'esm.mjs'),
      `import { MemoryStore } from 'factstore-memory';
       const store = new MemoryStore();
       const r = await store.append([{ eventType: 'e', payload: { a: 1 } }]);
       const q = await store.query({ filters: [{ payloadPredicates: [{ a: 1 }] }] });
       console.log(String(r.lastSequenceNumber), String(q.currentContextVersion));
       await store.close();`,
    );
    writeFileSync(
      join(dir, 'cjs.cjs'),
      `const { MemoryStore } = require('factstore-memory');
       const { isFactStoreError } = require('factstore');
       (async () => {
         const store = new MemoryStore();
         await store.append([{ eventType: 'e', payload: 1 }]);
         const error = await store.append([]).catch((e) => e);
         console.log(isFactStoreError(error, 'EMPTY_APPEND'));
         await store.close();
       })();`,
    );
    assert.equal(sh('node', ['esm.mjs'], dir).trim(), '1 1');
    assert.equal(sh('node', ['cjs.cjs'], dir).trim(), 'true');
    assert.equal(existsSync(join(dir, 'node_modules', 'sqlite3')), false);
    assert.equal(existsSync(join(dir, 'node_modules', 'postgres')), false);
  });

  it('factstore-file installs with no native build and no sqlite3 or postgres, and keeps its log across processes', () => {
    const dir = project('file-user', [tarballs['factstore'], tarballs['factstore-file']]);
    writeFileSync(
      join(dir, 'write.mjs'),
      `import { FileStore } from 'factstore-file';
       const store = await FileStore.open('data/facts');
       const r = await store.append([{ eventType: 'account-opened', payload: { accountId: 'a1' } }], { idempotencyKey: 'open-a1' });
       await store.close();
       console.log(String(r.lastSequenceNumber));`,
    );
    writeFileSync(
      join(dir, 'read.cjs'),
      `const { FileStore } = require('factstore-file');
       (async () => {
         const store = await FileStore.open('data/facts');
         const again = await store.append([{ eventType: 'account-opened', payload: { accountId: 'a1' } }], { idempotencyKey: 'open-a1' });
         const { eventRecords } = await store.query({ filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] });
         await store.close();
         console.log(String(again.lastSequenceNumber), eventRecords.length);
       })();`,
    );
    assert.equal(sh('node', ['write.mjs'], dir).trim(), '1');
    assert.equal(sh('node', ['read.cjs'], dir).trim(), '1 1');
    const lines = readFileSync(join(dir, 'data', 'facts', 'segments', readdirSync(join(dir, 'data', 'facts', 'segments'))[0]), 'utf8')
      .trim()
      .split('\n');
    assert.equal(JSON.parse(lines[0]).eventType, 'account-opened'); // plain JSON Lines
    for (const native of ['sqlite3', 'postgres', 'node-gyp-build', 'bindings'])
      assert.equal(existsSync(join(dir, 'node_modules', native)), false, native);
    const built = readdirSync(join(dir, 'node_modules'), { recursive: true }).filter((f) => String(f).endsWith('.node'));
    assert.deepEqual(built, [], 'no native addon anywhere');
  });

  it('factstore-cli for PostgreSQL only installs with no native build, and names the package a sqlite: address needs', () => {
    const dir = project('cli-user', [tarballs['factstore'], tarballs['factstore-postgres'], tarballs['factstore-cli']]);
    for (const native of ['sqlite3', 'factstore-sqlite', 'node-gyp-build', 'bindings'])
      assert.equal(existsSync(join(dir, 'node_modules', native)), false, native);
    const built = readdirSync(join(dir, 'node_modules'), { recursive: true }).filter((f) => String(f).endsWith('.node'));
    assert.deepEqual(built, [], 'no native addon anywhere');
    assert.match(sh('npx', ['factstore', '--help'], dir), /^factstore: inspect, query/);
    // the installed bin itself (npx would add npm's own warnings about the environment to stderr)
    const missing = spawnSync(join(dir, 'node_modules', '.bin', 'factstore'), ['info', 'sqlite:facts.db'], { cwd: dir, encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.equal(
      missing.stderr.trim(),
      'factstore: MISSING_PACKAGE: install factstore-sqlite sqlite3 to open sqlite: addresses (npm install factstore-sqlite sqlite3)',
    );
  });

  it('factstore-conformance checks a third-party store under default Jest and under node --test', () => {
    const dir = project('store-author', [tarballs['factstore'], tarballs['factstore-conformance'], 'jest@30.5.2']);
    // a small store written in this project: the backend interface over plain arrays
    writeFileSync(
      join(dir, 'array-store.js'),
      `const { ConditionalAppendConflictError, DurableStreamActiveError, DurableStreamQueryMismatchError } = require('factstore');
       const { EventStoreBase, compileMatcher, readRange, replayCommitted } = require('factstore/backend');
       class ArrayBackend {
         constructor() { this.records = []; this.batches = []; this.cursors = new Map(); this.holders = new Map(); this.keys = new Map(); }
         version(query) { const m = compileMatcher(query); for (let i = this.records.length - 1; i >= 0; i--) if (m(this.records[i])) return BigInt(i + 1); return null; }
         async append(events, condition, key) {
           if (key !== undefined && this.keys.has(key)) return replayCommitted(this.keys.get(key), events, key);
           if (condition) { const v = this.version(condition.query); if (v !== condition.expectedVersion) throw new ConditionalAppendConflictError(condition.expectedVersion, v, condition.query); }
           const first = this.records.length + 1; const at = new Date();
           const records = events.map((e, i) => Object.freeze({ sequenceNumber: BigInt(first + i), occurredAt: at, eventType: e.eventType, payload: e.payload }));
           this.records.push(...records); this.batches.push([first, first + events.length - 1]);
           const batch = { firstSequenceNumber: BigInt(first), lastSequenceNumber: BigInt(first + events.length - 1), records };
           if (key !== undefined) this.keys.set(key, batch);
           return batch;
         }
         async query(query) {
           const m = compileMatcher(query); const version = this.version(query); const { after, before, limit, backward } = readRange(query);
           const inRange = this.records.filter((r) => r.sequenceNumber > after && (before === null || r.sequenceNumber < before) && m(r));
           const eventRecords = (backward ? inRange.reverse() : inRange).slice(0, limit);
           return { eventRecords, lastReturnedSequenceNumber: eventRecords.at(-1)?.sequenceNumber ?? null, currentContextVersion: version };
         }
         async readBatches(after, maxEvents) {
           const out = []; let events = 0;
           for (const [f, l] of this.batches) { if (f <= Number(after)) continue; if (out.length && events >= maxEvents) break;
             out.push({ firstSequenceNumber: BigInt(f), lastSequenceNumber: BigInt(l), records: this.records.slice(f - 1, l) }); events += l - f + 1; }
           return out;
         }
         async head() { return BigInt(this.records.length); }
         async claimDurable(name, query, holder) {
           const h = this.holders.get(name); if (h !== undefined && h !== holder) throw new DurableStreamActiveError(name);
           const c = this.cursors.get(name); if (c && c.query !== query) throw new DurableStreamQueryMismatchError(name, c.query, query);
           if (!c) this.cursors.set(name, { query, position: 0n }); this.holders.set(name, holder); return this.cursors.get(name).position;
         }
         async renewLeases(holder, names) { return names.filter((n) => this.holders.get(n) === holder); }
         async saveCursor(name, position, holder) { if (this.holders.get(name) !== holder) return false; this.cursors.get(name).position = position; return true; }
         async readCursor(name) { return this.cursors.get(name)?.position ?? null; }
         async releaseDurable(name, holder) { if (this.holders.get(name) === holder) this.holders.delete(name); }
         async close() {}
       }
       class ArrayStore extends EventStoreBase { constructor() { super(new ArrayBackend()); } }
       module.exports = { ArrayStore };`,
    );
    writeFileSync(
      join(dir, 'array-store.test.js'),
      `const { describeFactStoreConformance } = require('factstore-conformance');
       const { ArrayStore } = require('./array-store');
       describeFactStoreConformance('ArrayStore', () => new ArrayStore(), { skip: ['maintenance'] }); // no MaintenanceBackend`,
    );
    writeFileSync(
      join(dir, 'array-store.node-test.mjs'),
      `import { describe, it } from 'node:test';
       import { describeFactStoreConformance } from 'factstore-conformance';
       import arrayStore from './array-store.js';
       describeFactStoreConformance('ArrayStore', () => new arrayStore.ArrayStore(), { api: { describe, it }, skip: ['maintenance'] });`,
    );
    const jest = spawnSync('npx', ['jest', '--ci', '--json', '--outputFile=jest.json'], { cwd: dir, encoding: 'utf8', timeout: 600_000 });
    assert.equal(jest.status, 0, jest.stderr.slice(-3000));
    assert.match(jest.stderr, /Tests:\s+[1-9]\d+ passed, [1-9]\d+ total/);
    // this file itself runs under node --test: the child must not think it is our subprocess
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const node = spawnSync(process.execPath, ['--test', '--test-reporter=tap', 'array-store.node-test.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 600_000,
      env,
    });
    assert.equal(node.status, 0, node.stdout.slice(-3000));
    assert.match(node.stdout, /# fail 0/);
    assert.match(node.stdout, /# pass [1-9]\d+/);
  });

  it('factstore-sqlite with sqlite3 from a TypeScript file type-checked with tsc, without postgres', () => {
    const dir = project('sqlite-user', [
      tarballs['factstore'],
      tarballs['factstore-sqlite'],
      'sqlite3@6.0.1',
      'typescript@6.0.3',
      '@types/node@20',
    ]);
    writeFileSync(
      join(dir, 'main.ts'),
      `import { SqliteStore } from 'factstore-sqlite';
       import type { EventRecord, QueryResult } from 'factstore';
       const store: SqliteStore = await SqliteStore.open('data/app.db');
       await store.append([{ eventType: 'account-opened', payload: { accountId: 'a1' } }]);
       const result: QueryResult = await store.query({ filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] });
       const first: EventRecord | undefined = result.eventRecords[0];
       console.log(first?.eventType, String(result.currentContextVersion));
       await store.close();`,
    );
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'sqlite-user', version: '1.0.0', private: true, type: 'module' }, null, 2),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          outDir: 'out',
          types: ['node'],
          skipLibCheck: false,
        },
        files: ['main.ts'],
      }),
    );
    sh('npx', ['tsc', '-p', '.'], dir);
    assert.equal(sh('node', ['out/main.js'], dir).trim(), 'account-opened 1');
    assert.equal(existsSync(join(dir, 'node_modules', 'postgres')), false, 'factstore-sqlite must not pull in postgres');
  });

  it(
    'factstore-postgres installs without sqlite3, and survives cut connections and terminated backends with the unpatched postgres.js from npm',
    { timeout: 180_000 },
    async () => {
      const dir = project('postgres-user', [tarballs['factstore'], tarballs['factstore-postgres']]);
      assert.equal(existsSync(join(dir, 'node_modules', 'postgres')), true);
      assert.equal(existsSync(join(dir, 'node_modules', 'sqlite3')), false, 'factstore-postgres must not pull in sqlite3');
      assert.match(sh('node', ['-e', "console.log(typeof require('factstore-postgres').PostgresStore.connect)"], dir), /function/);
      // the store as a user installs it: the postgres.js from npm, without this repository's patch
      const installed = readFileSync(join(dir, 'node_modules', 'postgres', 'src', 'connection.js'), 'utf8');
      assert.equal(installed.includes('factstore patch'), false, 'the installed postgres.js is the published one');
      const { runFaultWorker, startProxy, terminateStorm } = (await import('../../test-support/node-test/kit.mjs')).default;
      const url = process.env.DATABASE_URL;
      assert.ok(url, 'DATABASE_URL is set (with-postgres.mjs starts a server)');
      const target = new URL(url);
      const admin = postgres(url, { max: 2, onnotice: () => {} });
      const proxy = await startProxy({ target: { host: target.hostname, port: Number(target.port || 5432) }, protocol: 'postgres' });
      const module = pathToFileURL(join(dir, 'node_modules', 'factstore-postgres', 'dist', 'index.mjs')).href;
      const storeOptions = { callTimeoutMs: 2000, connectTimeoutMs: 2000, closeTimeoutMs: 1000 };
      const named = (address, app) => {
        const u = new URL(address);
        u.searchParams.set('application_name', app);
        return u.href;
      };
      const runs = {
        'cut every 200 ms': {
          url: named(proxy.url(url), `installed-cut-${process.pid}`),
          during: async () => {
            for (const end = Date.now() + 3000; Date.now() < end; await sleep(200)) proxy.cutAll();
          },
        },
        'terminate storm': {
          url: named(url, `installed-storm-${process.pid}`),
          during: () => terminateStorm(admin, { applicationName: `installed-storm-${process.pid}`, everyMs: 10, durationMs: 3000 }),
        },
      };
      try {
        for (const [name, run] of Object.entries(runs)) {
          const schema = `installed_${name.replace(/\W/g, '_')}_${process.pid}`;
          const report = await runFaultWorker(
            { module, url: run.url, schema, storeOptions, durationMs: 4000, callBoundMs: 3500, connectCapMs: 10_000, during: run.during },
            admin,
          );
          // the schema stays: dropping it could wait on a session the faults left behind (the server is the run's own)
          const problems = {
            unhandled: report.unhandled.map((e) => `${e.code ?? ''} ${e.message}`),
            crashed: report.crashed ? report.uncaught.map((e) => `${e.message} ${e.stack ?? ''}`).join(' | ') || 'exit' : false,
          };
          assert.deepEqual(problems, { unhandled: [], crashed: false }, name);
          // what the store's guard kept from ending the process (postgres.js's deferred write on a dropped socket)
          for (const e of report.handled) assert.match(e.stack ?? '', /nextWrite/, `${name}: only the driver's known crash is handled`);
          console.log(`${name}: ${report.acked} appends, ${report.handled.length} driver crashes kept off by the guard`);
          assert.ok(report.acked > 0, name);
          assert.deepEqual(
            {
              slow: report.slow,
              neverSettled: report.neverSettled,
              lost: report.lost,
              twice: report.twice,
              gaps: report.gaps,
              landedUnannounced: report.landedUnannounced,
              streamExact: report.streamExact,
            },
            { slow: 0, neverSettled: 0, lost: 0, twice: 0, gaps: 0, landedUnannounced: 0, streamExact: true },
            `${name}${report.streamMismatch ? `: ${report.streamMismatch}` : ''}`,
          );
        }
      } finally {
        await proxy.close();
        await admin.end({ timeout: 5 });
      }
    },
  );
});
