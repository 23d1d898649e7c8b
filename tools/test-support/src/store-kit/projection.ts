import type { EventQuery, EventRecord, EventStore, EventStream, NewEvent, ProjectHandler, StreamOptions } from 'factstore';
import { random } from '../random.js';
import type { Location, StoreAdapter, StoreSpec } from './adapter.js';
import { eventually, positions, sleep } from './helpers.js';
import { killChildren, storeChild } from './processes.js';

/** A store with `project` (SQLite, PostgreSQL), its transaction type left open. */
export interface ProjectingStore extends EventStore {
  project(name: string, query: EventQuery, handler: ProjectHandler<never>, options?: StreamOptions): Promise<EventStream>;
}

/** A row as a database driver returns it. */
export type SqlRow = Record<string, unknown>;

/**
 * What the projection tests need beyond the {@link StoreAdapter}: how a handler's `tx` runs a
 * statement, the store's SQL dialect, and SQL on the store's database without the store.
 */
export interface ProjectionAdapter {
  /** The store, as the rest of the kit knows it; `open` must give a {@link ProjectingStore}. */
  readonly store: StoreAdapter;
  /** How `tx` runs one statement with parameters: `tx.run(sql, params)` (SQLite) or `tx.unsafe(sql, params)` (postgres.js). */
  readonly statement: 'run' | 'unsafe';
  /** How `tx` reads the rows of one statement: `tx.all(sql, params)` (SQLite) or `tx.unsafe(sql, params)` (postgres.js). */
  readonly rows: 'all' | 'unsafe';
  /** `sql`, written with `?` placeholders, in the store's dialect (PostgreSQL: `$1`, `$2`, …). */
  dialect(sql: string): string;
  /** The name of the application table `name` beside the log at `location` (PostgreSQL: in the store's schema). */
  table(location: Location, name: string): string;
  /** Runs one statement (written with `?` placeholders) on the database at `location`, without the store. */
  sql(location: Location, sql: string, params?: readonly (string | number)[]): Promise<SqlRow[]>;
}

const TICKS: EventQuery = { filters: [{ eventTypes: ['tick'] }] };
const tick = (i: number, extra: object = {}): NewEvent => ({ eventType: 'tick', payload: { i, ...extra } });
const noise = (i: number): NewEvent => ({ eventType: 'noise', payload: { i } });

/** `spec` with store options added to its last argument (an options object) or after it. */
export function withStoreOptions(spec: StoreSpec, options: Record<string, number | string>): StoreSpec {
  const args = [...spec.args];
  const last = args[args.length - 1];
  if (args.length > 1 && typeof last === 'object' && last !== null && !Array.isArray(last)) args[args.length - 1] = { ...last, ...options };
  else args.push(options);
  return { ...spec, args };
}

/**
 * `project` on a SQL store: read-model rows and the cursor commit in one transaction or not at
 * all; a failing handler rolls both back and fails as a durable stream does; restarts resume
 * after the last committed batch; a holder that lost its lease commits nothing; calls that would
 * deadlock or commit apart are refused; bad input is INVALID_INPUT; and a projector killed with
 * SIGKILL ten times leaves every projected event in the read model exactly once.
 */
export function describeProjection(adapter: ProjectionAdapter): void {
  const { store: kit } = adapter;
  const open = async (location: Location) => (await kit.open(location)) as ProjectingStore;
  type Tx = Record<string, (sql: string, params: unknown[]) => Promise<unknown>>;
  /** Runs one statement of the read model inside a handler's transaction. */
  const exec = (tx: unknown, sql: string, params: (string | number)[]) => (tx as Tx)[adapter.statement]!(adapter.dialect(sql), params);
  /** Reads rows inside a handler's transaction. */
  const select = async (tx: unknown, sql: string) => (await (tx as Tx)[adapter.rows]!(adapter.dialect(sql), [])) as SqlRow[];
  /** A fresh location with an empty read-model table `rm` (one row per event: its position, the last position of its batch). */
  const withReadModel = async (tag: string) => {
    const location = await kit.create(tag);
    const rm = adapter.table(location, 'rm');
    await (await open(location)).close(); // the store's tables first (in PostgreSQL, its schema)
    await adapter.sql(location, `CREATE TABLE ${rm} (seq BIGINT PRIMARY KEY, batch_last BIGINT NOT NULL)`);
    const rows = async () =>
      (await adapter.sql(location, `SELECT seq, batch_last FROM ${rm} ORDER BY seq`)).map((r) => [Number(r.seq), Number(r.batch_last)]);
    const seqs = async () => (await rows()).map(([seq]) => seq as number);
    const cursor = async (name: string) => (await kit.raw.read(location)).cursors.find((c) => c.name === name)?.position;
    /** A handler that inserts one row per record. */
    const insert = (tx: unknown, batch: readonly EventRecord[]) =>
      batch.reduce(
        (done, r) =>
          done.then(() =>
            exec(tx, `INSERT INTO ${rm} (seq, batch_last) VALUES (?, ?)`, [Number(r.sequenceNumber), Number(batch.at(-1)?.sequenceNumber)]),
          ),
        Promise.resolve() as Promise<unknown>,
      );
    return { location, rm, rows, seqs, cursor, insert };
  };

  describe(`${kit.name} project`, () => {
    afterEach(killChildren);
    afterAll(() => kit.cleanup());

    it('commits the read-model rows and the cursor together, one transaction per batch: neither is visible before the handler returns', async () => {
      const { location, rm, rows, cursor, insert } = await withReadModel('together');
      const store = await open(location);
      await store.append([tick(1), noise(2)]);
      const seen: { before: number[]; cursorBefore: number | undefined; ownRows: number }[] = [];
      const stream = await store.project('rm', TICKS, async (batch, tx: unknown) => {
        await insert(tx, batch);
        const own = await select(tx, `SELECT COUNT(*) AS n FROM ${rm}`);
        // from another connection: nothing of this transaction yet, the cursor still before the batch
        const outside = await adapter.sql(location, `SELECT seq FROM ${rm} ORDER BY seq`);
        seen.push({ before: outside.map((r) => Number(r.seq)), cursorBefore: await cursor('rm'), ownRows: Number(own[0]?.n) });
      });
      const appended = async (events: NewEvent[]) => {
        const { lastSequenceNumber } = await store.append(events);
        await eventually('the cursor past the batch', async () => (await cursor('rm')) === Number(lastSequenceNumber));
      };
      await appended([noise(3)]);
      await appended([tick(4), tick(5), noise(6)]);
      await appended([noise(7), tick(8)]);
      expect(await rows()).toEqual([
        [1, 1],
        [4, 5],
        [5, 5],
        [8, 8],
      ]);
      expect(seen).toEqual([
        { before: [], cursorBefore: 0, ownRows: 1 },
        { before: [1], cursorBefore: 3, ownRows: 3 },
        { before: [1, 4, 5], cursorBefore: 6, ownRows: 4 },
      ]);
      expect(stream.active).toBe(true);
      await store.close();
    });

    it('a failing handler rolls back its rows and the cursor; live, the stream stops and onError gets the thrown value; registering again resumes from the last committed batch', async () => {
      const { location, seqs, cursor, insert } = await withReadModel('failing');
      const store = await open(location);
      const thrown = new Error('read model refused');
      let failing = true;
      const reported: { error: unknown; batch: number[]; active: boolean }[] = [];
      const handler = async (batch: readonly EventRecord[], tx: unknown) => {
        await insert(tx, batch); // written, then rolled back
        if (failing && batch.some((r) => (r.payload as { fail?: boolean }).fail)) throw thrown;
      };
      const stream = await store.project('rm', TICKS, handler, {
        onError: (error, batch) => reported.push({ error, batch: positions(batch), active: stream.active }),
      });
      await store.append([tick(1)]);
      await store.append([tick(2), tick(3, { fail: true })]);
      await eventually('the failure reported', () => reported.length === 1);
      expect(reported).toEqual([{ error: thrown, batch: [2, 3], active: false }]);
      expect(stream.active).toBe(false);
      expect(await seqs()).toEqual([1]);
      expect(await cursor('rm')).toBe(1);
      // the name is free: the next registration replays the failed batch, now with a handler that succeeds
      failing = false;
      await store.project('rm', TICKS, handler);
      expect(await seqs()).toEqual([1, 2, 3]);
      expect(await cursor('rm')).toBe(3);
      await store.close();
    });

    it('a handler failing during replay rejects the registration with DURABLE_REPLAY_FAILED (its cause the thrown value) and commits nothing of that batch', async () => {
      const { location, seqs, cursor, insert } = await withReadModel('replay');
      const store = await open(location);
      await store.append([tick(1)]);
      await store.append([tick(2), tick(3, { fail: true })]);
      await store.append([tick(4)]);
      const thrown = new Error('replay refused');
      const failing = store.project('rm', TICKS, async (batch, tx: unknown) => {
        await insert(tx, batch);
        if (batch.some((r) => (r.payload as { fail?: boolean }).fail)) throw thrown;
      });
      await expect(failing).rejects.toMatchObject({ code: 'DURABLE_REPLAY_FAILED', cause: thrown });
      expect(await seqs()).toEqual([1]);
      expect(await cursor('rm')).toBe(1);
      await store.close();
    });

    it('a restarted projection resumes after the last committed batch: every event once, no batch delivered again', async () => {
      const { location, seqs, cursor, insert } = await withReadModel('restart');
      const first = await open(location);
      const deliveredFirst: number[][] = [];
      await first.project('rm', TICKS, async (batch, tx: unknown) => {
        deliveredFirst.push(positions(batch));
        await insert(tx, batch);
      });
      await first.append([tick(1), tick(2)]);
      await first.append([noise(3), tick(4)]);
      await eventually('the first batches projected', async () => (await cursor('rm')) === 4);
      await first.close();
      const writer = await open(location);
      await writer.append([tick(5)]);
      await writer.append([noise(6)]);
      await writer.append([tick(7), noise(8), tick(9)]);
      await writer.close();
      const again = await open(location);
      const deliveredAgain: number[][] = [];
      await again.project('rm', TICKS, async (batch, tx: unknown) => {
        deliveredAgain.push(positions(batch));
        await insert(tx, batch);
      });
      expect(deliveredFirst).toEqual([[1, 2], [4]]);
      expect(deliveredAgain).toEqual([[5], [7, 9]]);
      expect(await seqs()).toEqual([1, 2, 4, 5, 7, 9]);
      expect(await cursor('rm')).toBe(9);
      await again.close();
    });

    it('inside the handler, append, appendIf and durable registrations on the same store are refused with PROJECTION_REENTRY, writing nothing; query works, also for a payload key never asked before', async () => {
      const { location, seqs, insert } = await withReadModel('reentry');
      const store = await open(location);
      await store.append([tick(1, { colour: 'red' })]);
      const codes: unknown[] = [];
      const found: number[][] = [];
      const code = (call: Promise<unknown>) =>
        call.then(
          () => 'resolved',
          (error: { code?: string }) => error.code,
        );
      await store.project('rm', TICKS, async (batch, tx: unknown) => {
        codes.push(
          await code(store.append([noise(0)])),
          await code(store.appendIf([noise(0)], {}, null)),
          await code(store.streamAllDurable('other', () => {})),
          await code(store.streamToDurable('other', {}, () => {})),
          await code(store.project('other', {}, async () => {})),
        );
        found.push(positions((await store.query({ filters: [{ payloadPredicates: [{ colour: 'red' }] }] })).eventRecords));
        await insert(tx, batch);
      });
      expect(codes).toEqual(Array(5).fill('PROJECTION_REENTRY'));
      expect(found).toEqual([[1]]);
      expect(await seqs()).toEqual([1]);
      const log = await kit.raw.read(location);
      expect(log.events.map((e) => e.position)).toEqual([1]);
      expect(log.cursors.map((c) => c.name)).toEqual(['rm']);
      // outside the handler the same calls work
      await store.append([noise(2)]);
      await (await store.streamAllDurable('other', () => {})).unsubscribe();
      await store.close();
    });

    it('a holder whose lease passed to another commits nothing: the handler does not run and the stream reports DURABLE_STREAM_LEASE_LOST', async () => {
      const { location, seqs, cursor, insert } = await withReadModel('fence');
      const store = await open(location);
      let calls = 0;
      const errors: unknown[] = [];
      const stream = await store.project(
        'rm',
        TICKS,
        async (batch, tx: unknown) => {
          calls++;
          await insert(tx, batch);
        },
        { onError: (error) => errors.push((error as { code?: string }).code) },
      );
      // another holder took the name over (as after this one's lease ran out)
      await adapter.sql(location, `UPDATE ${adapter.table(location, 'cursors')} SET holder = ? WHERE name = ?`, ['someone-else', 'rm']);
      await store.append([tick(1)]);
      await eventually('the loss reported', () => errors.length === 1);
      expect(errors).toEqual(['DURABLE_STREAM_LEASE_LOST']);
      expect(stream.active).toBe(false);
      expect(calls).toBe(0);
      expect(await seqs()).toEqual([]);
      expect(await cursor('rm')).toBe(0);
      await store.close();
    });

    it('refuses bad input with INVALID_INPUT before storing anything, and calls after close() with STORE_CLOSED', async () => {
      const location = await kit.create('input');
      const store = await open(location);
      const ok = async () => {};
      const bad: [unknown, unknown, unknown, unknown][] = [
        ['', {}, ok, undefined],
        ['x'.repeat(201), {}, ok, undefined],
        [42, {}, ok, undefined],
        ['n', { filters: [{ eventType: 'tick' }] }, ok, undefined],
        ['n', { limit: 0 }, ok, undefined],
        ['n', undefined, ok, undefined],
        ['n', {}, 'not a function', undefined],
        ['n', {}, ok, { onError: 'not a function' }],
        ['n', {}, ok, { unknownOption: true }],
      ];
      for (const [name, query, handler, options] of bad) {
        const call = store.project(name as string, query as EventQuery, handler as ProjectHandler<never>, options as StreamOptions);
        await expect(call).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      }
      expect((await kit.raw.read(location)).cursors).toEqual([]);
      await store.close();
      await expect(store.project('n', {}, ok)).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    });

    it('a projector killed with SIGKILL at random moments ten times: every projected event is in the read model exactly once, and the rows are the events up to the stored cursor', async () => {
      const { location, rm, seqs, cursor } = await withReadModel('sigkill');
      const rnd = random(20_251);
      const writer = await open(location);
      let writing = true;
      const writes = (async () => {
        for (let i = 0; writing; i++) {
          const size = 1 + Math.floor(rnd() * 12);
          await writer.append(Array.from({ length: size }, (_, k) => (rnd() < 0.75 ? tick(i * 100 + k) : noise(i * 100 + k))));
          await sleep(5 + Math.floor(rnd() * 20));
        }
      })();
      const ticks = async (upTo: number) => positions((await writer.query(TICKS)).eventRecords).filter((p) => p <= upTo);
      const spec = withStoreOptions(kit.child(location), { leaseMs: 400 });
      const insert = adapter.dialect(`INSERT INTO ${rm} (seq, batch_last) VALUES (?, ?)`);
      const start = () => storeChild('table-projector.mjs', spec, ['rm', adapter.statement, insert]);
      const failures: unknown[] = [];
      let progressed = 0;
      try {
        for (let kill = 0; kill < 10; kill++) {
          const projector = start();
          await projector.waitFor('opened');
          const before = (await cursor('rm')) ?? 0;
          await sleep(50 + Math.floor(rnd() * 700));
          projector.process.kill('SIGKILL');
          await projector.exited;
          failures.push(...projector.messages.filter((m) => m.type === 'failed'));
          // the rows and the cursor as one commit left them: a commit the killed process sent may
          // still land on a database server after it died (PostgreSQL), so read until both agree
          let at: number;
          let rows: number[];
          for (let again = (await cursor('rm')) ?? 0; ;) {
            at = again;
            rows = await seqs();
            again = (await cursor('rm')) ?? 0;
            if (again === at) break;
          }
          if (at > before) progressed++;
          // after every kill: exactly the projected events up to the stored cursor, once each
          expect(rows).toEqual(await ticks(at));
        }
      } finally {
        writing = false;
        await writes;
      }
      const head = Number((await writer.query({})).lastReturnedSequenceNumber);
      const last = start();
      await eventually('the last projector at the head', async () => (await cursor('rm')) === head, 30_000);
      last.process.kill('SIGKILL');
      await last.exited;
      failures.push(...last.messages.filter((m) => m.type === 'failed'));
      expect(failures).toEqual([]);
      expect(progressed).toBeGreaterThan(0);
      const all = await ticks(head);
      expect(all.length).toBeGreaterThan(0);
      expect(await seqs()).toEqual(all);
      await writer.close();
    }, 180_000);
  });
}
