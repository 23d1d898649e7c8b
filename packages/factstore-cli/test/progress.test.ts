import { Progress } from '../src/progress.js';

function output(isTTY: boolean) {
  const written: string[] = [];
  return { written, out: { isTTY, columns: 100, write: (text: string) => written.push(text) } };
}

describe('Progress', () => {
  it('redraws one bar in place on a terminal: events done, rate, time left', () => {
    let now = 0;
    const { written, out } = output(true);
    const progress = new Progress(out, () => now);
    progress.start(10_000n);
    now = 2000;
    progress.update(4000n);
    now = 2050;
    progress.update(4100n); // within 100 ms: not redrawn
    now = 5000;
    progress.update(10_000n);
    progress.finish();
    expect(written).toHaveLength(5);
    expect(written[1]).toBe(`\r[${'#'.repeat(16)}${'-'.repeat(24)}] 4,000/10,000 events (40%)  2,000 events/s  0:03 left\u001b[K`);
    expect(written[3]).toContain('10,000/10,000 events (100%)  2,000 events/s  0:00 left');
    expect(written[4]).toBe('\n');
  });

  it('writes plain lines, at most one a second, elsewhere', () => {
    let now = 0;
    const { written, out } = output(false);
    const progress = new Progress(out, () => now);
    progress.start(3_600_000n);
    now = 500;
    progress.update(500n); // within a second of the last line: not written
    now = 1000;
    progress.update(1000n);
    progress.finish();
    expect(written).toEqual([
      '0/3,600,000 events (0%)  0 events/s  0:00 left\n',
      '1,000/3,600,000 events (0%)  1,000 events/s  59:59 left\n',
      '1,000/3,600,000 events (0%)  1,000 events/s  59:59 left\n',
    ]);
  });
});
