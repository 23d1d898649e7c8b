import { DurableLeases } from '../src/backend.js';

/** Lease storage in memory whose renewals can be held back (a partition) and whose names can be taken. */
function storage() {
  const holders = new Map<string, string>();
  let hold: Promise<void> | undefined;
  return {
    holders,
    partition() {
      let heal!: () => void;
      hold = new Promise((resolve) => (heal = resolve));
      return () => {
        hold = undefined;
        heal();
      };
    },
    backend: {
      async claimDurable(name: string, _query: string, holder: string) {
        holders.set(name, holder);
        return 0n;
      },
      async renewLeases(holder: string, names: readonly string[]) {
        await hold;
        return names.filter((name) => holders.get(name) === holder);
      },
      async saveCursor(name: string, _position: bigint, holder: string) {
        await hold;
        return holders.get(name) === holder;
      },
      async releaseDurable(name: string, holder: string) {
        if (holders.get(name) === holder) holders.delete(name);
      },
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DurableLeases', () => {
  it('a name counts as held only until two thirds of the lease after its last renewal; confirm waits for a renewal', async () => {
    const store = storage();
    const leases = new DurableLeases(store.backend, 300);
    await leases.claim('n', '{}');
    expect(leases.isFresh('n')).toBe(true);
    const heal = store.partition(); // renewals hang from now on
    await sleep(250);
    expect(leases.isFresh('n')).toBe(false); // 250 ms > 200 ms: no handler call may start
    let confirmed: boolean | undefined;
    const confirming = leases.confirm('n', () => false).then((held) => (confirmed = held));
    await sleep(100);
    expect(confirmed).toBeUndefined(); // still waiting for a renewal
    heal();
    await confirming;
    expect(confirmed).toBe(true);
    expect(leases.isFresh('n')).toBe(true);
    await leases.close();
  });

  it('a name taken by another holder meanwhile is lost: confirm says so, onLost is told, and a cursor save is refused', async () => {
    const store = storage();
    const leases = new DurableLeases(store.backend, 300);
    const lost: string[] = [];
    await leases.claim('n', '{}', (error) => lost.push(error.code));
    const heal = store.partition();
    await sleep(250);
    store.holders.set('n', 'someone else');
    heal();
    expect(await leases.confirm('n', () => false)).toBe(false);
    expect(lost).toEqual(['DURABLE_STREAM_LEASE_LOST']);
    await expect(leases.save('n', 5n)).rejects.toMatchObject({ code: 'DURABLE_STREAM_LEASE_LOST', streamName: 'n' });
    await leases.close();
    expect(store.holders.get('n')).toBe('someone else'); // close does not free another holder's name
  });

  it('two overlapping claims of one name: the second fails with DURABLE_STREAM_ACTIVE before the first has finished', async () => {
    const store = storage();
    const leases = new DurableLeases(store.backend);
    const first = leases.claim('n', '{}');
    await expect(leases.claim('n', '{}')).rejects.toMatchObject({ code: 'DURABLE_STREAM_ACTIVE' });
    expect(await first).toBe(0n);
    await leases.close();
  });
});
