import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore } from 'factstore';
import { child, kill } from './children.js';

/** How a suite opens a store in this process and in a child process, at one location. */
export interface FencingTarget {
  /** The store's name, for titles. */
  readonly name: string;
  /** Opens the store at the test's location in this process. */
  open(): Promise<EventStore>;
  /** How a child opens it: `(await import(module))[exportName][open](...args)`. */
  readonly child: { readonly module: string; readonly exportName: string; readonly open: string; readonly args: unknown[] };
  /** A fresh file path for a child's log. */
  logFile(tag: string): string;
}

interface Line {
  readonly what: string;
  readonly at: number;
}

function lines(file: string): Line[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const parts = line.split(' ');
      return { what: parts.slice(0, -1).join(' '), at: Number(parts[parts.length - 1]) };
    });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Proves that a durable lease fences a paused holder, with real processes: holder A is stopped
 * with SIGSTOP for longer than the lease, B takes the name over and delivers, A is continued.
 * A never starts a handler call again and reports DURABLE_STREAM_LEASE_LOST; the two holders'
 * deliveries never interleave; together they deliver every batch, B from A's saved cursor.
 */
export async function checkPausedHolderIsFenced(target: FencingTarget, { pauseMs = 5500 } = {}): Promise<void> {
  const writer = await target.open();
  const script = join(__dirname, '..', 'processes', 'fenced-holder.mjs');
  const spec = (tag: string) => JSON.stringify({ ...target.child, log: target.logFile(tag), name: 'fenced' });
  const specA = spec('a');
  const specB = spec('b');
  const logA = JSON.parse(specA).log as string;
  const logB = JSON.parse(specB).log as string;
  let writing = true;
  const appended: string[] = [];
  const writes = (async () => {
    for (let i = 0; writing; i++) {
      const r = await writer.append([
        { eventType: 'tick', payload: { i } },
        ...(i % 3 === 0 ? [{ eventType: 'tock', payload: { i } }] : []),
      ]);
      appended.push(`${r.firstSequenceNumber}-${r.lastSequenceNumber}`);
      await sleep(40);
    }
  })();
  const a = child(join(script, '..'), 'fenced-holder.mjs', [specA]);
  let b: ReturnType<typeof child> | undefined;
  try {
    await a.waitFor('ready', 30_000);
    await sleep(500);
    a.process.kill('SIGSTOP');
    const stoppedAt = Date.now();
    b = child(join(script, '..'), 'fenced-holder.mjs', [specB]);
    await b.waitFor('ready', 30_000); // B takes the name once A's lease has run out
    const tookOverAt = Date.now();
    expect(tookOverAt - stoppedAt).toBeLessThan(pauseMs);
    await sleep(Math.max(0, pauseMs - (Date.now() - stoppedAt)));
    a.process.kill('SIGCONT');
    const continuedAt = Date.now();
    await sleep(2000);
    writing = false;
    await writes;
    await sleep(300);

    const fromA = lines(logA);
    const fromB = lines(logB);
    const startsA = fromA.filter((l) => l.what.startsWith('start '));
    const startsB = fromB.filter((l) => l.what.startsWith('start '));
    expect(startsA.length).toBeGreaterThan(0);
    expect(startsB.length).toBeGreaterThan(0);
    // A never started a handler call after it was continued, and said why
    expect(startsA.filter((l) => l.at >= continuedAt)).toEqual([]);
    expect(fromA.map((l) => l.what)).toContain('error DURABLE_STREAM_LEASE_LOST');
    // no interleaving: every call of A started before B held the name
    const bHolding = fromB.find((l) => l.what === 'holding')?.at ?? Infinity;
    expect(Math.max(...startsA.map((l) => l.at))).toBeLessThan(bHolding);
    // every batch delivered: A's deliveries, then B's from where A's saved cursor was (a batch A
    // delivered but had not saved may come again from B, never one skipped)
    const delivered = (starts: Line[]) => starts.map((l) => l.what.slice('start '.length));
    const seenA = delivered(startsA);
    const seenB = delivered(startsB);
    const firstOfB = appended.indexOf(seenB[0] as string);
    expect(firstOfB).toBeGreaterThanOrEqual(0);
    expect(firstOfB).toBeLessThanOrEqual(seenA.length);
    expect(seenA).toEqual(appended.slice(0, seenA.length));
    expect(seenB).toEqual(appended.slice(firstOfB, firstOfB + seenB.length));
    expect(firstOfB + seenB.length).toBe(appended.length);
  } finally {
    a.process.kill('SIGCONT');
    await Promise.all([kill(a.process), b && kill(b.process)]);
    writing = false;
    await writes.catch(() => {});
    await writer.close();
  }
}
