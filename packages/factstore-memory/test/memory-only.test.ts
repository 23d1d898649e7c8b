import { spawnSync } from 'node:child_process';
import { MemoryStore } from '../src/index.js';

const opened = (accountId: string) => ({ eventType: 'account-opened', payload: { accountId } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MemoryStore specifics', () => {
  it('takes only `telemetry`: an unknown key, a bad provider or a non-object is INVALID_INPUT, naming it', () => {
    const refused = (options: unknown) => {
      try {
        new MemoryStore(options as never);
      } catch (error) {
        return error as Error & { code: string; issues: { path: string; message: string }[] };
      }
      throw new Error('expected INVALID_INPUT');
    };
    const unknown = refused({ foo: 1 });
    expect(unknown.code).toBe('INVALID_INPUT');
    expect(unknown.issues).toEqual([{ path: 'options.foo', message: 'is not an accepted key (accepted: telemetry)' }]);
    expect(unknown.message).toBe('invalid input: options.foo: is not an accepted key (accepted: telemetry)');
    expect(refused({ telemetry: { tracerProvider: 'jaeger' } }).issues.map((i) => i.path)).toEqual(['options.telemetry.tracerProvider']);
    expect(refused('fast').issues).toEqual([{ path: 'options', message: 'must be a plain object (got "fast")' }]);
    expect(new MemoryStore({}).closed).toBe(false);
    expect(new MemoryStore({ foo: undefined } as never).closed).toBe(false);
  });

  it('durable cursors live only as long as the instance', async () => {
    const first = new MemoryStore();
    await first.append([opened('a1')]);
    const seen: number[][] = [];
    await first.streamAllDurable('in-memory-only', (batch) => void seen.push(batch.map((r) => Number(r.sequenceNumber))));
    expect(seen).toEqual([[1]]);
    await first.close();

    const second = new MemoryStore();
    const later: unknown[] = [];
    await second.streamAllDurable('in-memory-only', (batch) => void later.push(batch));
    await sleep(100);
    expect(later).toEqual([]);
    await second.close();
  });

  it('two instances are two separate stores', async () => {
    const one = new MemoryStore();
    const two = new MemoryStore();
    await one.append([opened('a1')]);
    expect((await two.query({})).eventRecords).toEqual([]);
    await two.streamAllDurable('same-name', () => {});
    await one.streamAllDurable('same-name', () => {});
    await one.close();
    await two.close();
  });

  it('records are frozen, so a reader cannot change what others read', async () => {
    const store = new MemoryStore();
    await store.append([opened('a1')]);
    const [record] = (await store.query({})).eventRecords;
    expect(Object.isFrozen(record)).toBe(true);
    expect(Object.isFrozen(record?.payload)).toBe(true);
    expect(() => {
      (record!.payload as { accountId: string }).accountId = 'x';
    }).toThrow(TypeError);
    expect((await store.query({})).eventRecords[0]?.payload).toEqual({ accountId: 'a1' });
    await store.close();
  });

  it('a closed store lets the process exit by itself: no timers or handles remain', () => {
    const script = `
      import { MemoryStore } from 'factstore-memory';
      const store = new MemoryStore();
      await store.streamAll(() => {});
      await store.streamAllDurable('x', async () => {});
      await store.append([{ eventType: 'e', payload: 1 }]);
      await store.close();
      console.log('closed');
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: __dirname, encoding: 'utf8', timeout: 10_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('closed');
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
  });
});
