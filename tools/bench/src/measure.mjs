// Timing helpers: medians over rounds, throughput, progress on stderr.

/** Nanoseconds now, as a number (fine for durations). */
export const now = () => Number(process.hrtime.bigint());

/** The median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The p-th percentile (0..100) of a list of numbers. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `fn` `times` times and returns each duration in ms. */
export async function sample(times, fn) {
  const out = [];
  for (let i = 0; i < times; i++) {
    const start = now();
    await fn(i);
    out.push((now() - start) / 1e6);
  }
  return out;
}

/** A progress line on stderr (the table goes to stdout). */
export function progress(message) {
  process.stderr.write(`  … ${message}\n`);
}

/** Lets the garbage collector run between measurements when node runs with --expose-gc. */
export function settle() {
  globalThis.gc?.();
}
