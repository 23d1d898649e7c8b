import type { EventQuery, EventRecord, EventStream, ProjectHandler, QueryResult, StreamOptions } from '../src/index.js';
import { EventStoreBase, type CommittedBatch, type StoreBackend, type ValidEvent } from '../src/backend.js';

/** A transaction of the fake backend: the rows a handler stages, applied at commit. */
type Staged = string[];

/**
 * A backend in memory with a transactional cursor save whose failures can be chosen: the
 * transaction fails to begin, or its commit reply is lost after it applied (`landedThenLost`).
 */
class FakeBackend implements StoreBackend {
  readonly batches: CommittedBatch[] = [];
  readonly cursors = new Map<string, { query: string; position: bigint; holder: string | null }>();
  readonly rows: string[] = [];
  failBegin = 0;
  landedThenLost = 0;

  async append(events: readonly ValidEvent[]): Promise<CommittedBatch> {
    const first = (this.batches.at(-1)?.lastSequenceNumber ?? 0n) + 1n;
    const records: EventRecord[] = events.map((e, i) => ({ sequenceNumber: first + BigInt(i), occurredAt: new Date(), ...e }));
    const batch = { firstSequenceNumber: first, lastSequenceNumber: first + BigInt(events.length - 1), records };
    this.batches.push(batch);
    return batch;
  }
  async query(): Promise<QueryResult> {
    throw new Error('not used');
  }
  async readBatches(after: bigint): Promise<CommittedBatch[]> {
    return this.batches.filter((b) => b.firstSequenceNumber > after);
  }
  async head(): Promise<bigint> {
    return this.batches.at(-1)?.lastSequenceNumber ?? 0n;
  }
  async claimDurable(name: string, query: string, holder: string): Promise<bigint> {
    const row = this.cursors.get(name) ?? { query, position: 0n, holder: null };
    row.holder = holder;
    this.cursors.set(name, row);
    return row.position;
  }
  async renewLeases(holder: string, names: readonly string[]): Promise<readonly string[]> {
    return names.filter((name) => this.cursors.get(name)?.holder === holder);
  }
  async saveCursor(name: string, position: bigint, holder: string): Promise<boolean> {
    const row = this.cursors.get(name);
    if (row?.holder !== holder) return false;
    row.position = position;
    return true;
  }
  async saveCursorWith(name: string, position: bigint, holder: string, work: (tx: Staged) => Promise<void>): Promise<boolean> {
    if (this.failBegin > 0) {
      this.failBegin--;
      throw new Error('the database is busy');
    }
    const row = this.cursors.get(name);
    if (row?.holder !== holder) return false;
    const staged: Staged = [];
    await work(staged);
    this.rows.push(...staged);
    row.position = position;
    if (this.landedThenLost > 0) {
      this.landedThenLost--;
      throw new Error('connection lost after COMMIT was sent');
    }
    return true;
  }
  async readCursor(name: string): Promise<bigint | null> {
    return this.cursors.get(name)?.position ?? null;
  }
  async releaseDurable(name: string, holder: string): Promise<void> {
    const row = this.cursors.get(name);
    if (row?.holder === holder) row.holder = null;
  }
  async close(): Promise<void> {}
}

class FakeStore extends EventStoreBase {
  constructor(backend: FakeBackend) {
    super(backend);
  }
  project(name: string, query: EventQuery, handler: ProjectHandler<Staged>, options?: StreamOptions): Promise<EventStream> {
    return this.registerProjection(name, query, handler, options);
  }
}

const tick = (i: number) => ({ eventType: 'tick', payload: { i } });
const noise = (i: number) => ({ eventType: 'noise', payload: { i } });
const TICKS = { filters: [{ eventTypes: ['tick'] }] };
const stage = async (batch: readonly EventRecord[], tx: Staged) => void tx.push(...batch.map((r) => `row ${r.sequenceNumber}`));

async function eventually(done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(done()).toBe(true);
}

describe('project: the delivery loop with a transactional cursor save', () => {
  it('a live transaction that fails to begin is tried again (nothing ran); once it begins, the batch commits once', async () => {
    const backend = new FakeBackend();
    const store = new FakeStore(backend);
    let calls = 0;
    const errors: unknown[] = [];
    const stream = await store.project('rm', TICKS, async (batch, tx) => (calls++, stage(batch, tx)), { onError: (e) => errors.push(e) });
    backend.failBegin = 3;
    await store.append([tick(1)]);
    await eventually(() => backend.cursors.get('rm')?.position === 1n);
    expect(backend.failBegin).toBe(0);
    expect(calls).toBe(1);
    expect(backend.rows).toEqual(['row 1']);
    expect(errors).toEqual([]);
    expect(stream.active).toBe(true);
    await store.close();
  });

  it('a commit whose reply was lost stops the projection with BACKEND_FAILURE and never moves the stored cursor back behind it', async () => {
    const backend = new FakeBackend();
    const store = new FakeStore(backend);
    // one page: a batch that filters to nothing (the cursor moves in memory only), then a tick
    await store.append([noise(1)]);
    await store.append([tick(2)]);
    backend.landedThenLost = 1;
    let calls = 0;
    const handler = async (batch: readonly EventRecord[], tx: Staged) => (calls++, stage(batch, tx));
    await expect(store.project('rm', TICKS, handler)).rejects.toMatchObject({ code: 'BACKEND_FAILURE' });
    expect(backend.rows).toEqual(['row 2']);
    expect(backend.cursors.get('rm')).toMatchObject({ position: 2n, holder: null });
    // registering again resumes after the batch that landed: it is not projected twice
    await store.project('rm', TICKS, handler);
    expect(calls).toBe(1);
    expect(backend.rows).toEqual(['row 2']);
    await store.close();
  });

  it('a store whose backend has no saveCursorWith cannot register projections', async () => {
    const backend = new FakeBackend();
    Object.defineProperty(backend, 'saveCursorWith', { value: undefined });
    const store = new FakeStore(backend);
    await expect(store.project('rm', TICKS, stage)).rejects.toThrow(/needs a backend with saveCursorWith/);
    await store.close();
  });
});
