// Timing helpers: medians over rounds, throughput, progress on stderr, warming files.
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

/** The paths of the files under `folder`, at any depth. */
function filesUnder(folder) {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/**
 * Reads every file under `folders` once from start to end (1 MiB at a time): brings a store's
 * files and its baseline's into the OS page cache alike before a read workload, so the figure
 * does not depend on which was written last.
 */
export function readFolders(folders) {
  const chunk = Buffer.allocUnsafe(1 << 20);
  for (const path of folders.flatMap(filesUnder)) {
    const fd = openSync(path, 'r');
    try {
      while (readSync(fd, chunk, 0, chunk.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}

/** The total size in bytes of the files under `folder`. */
export function folderBytes(folder) {
  return filesUnder(folder).reduce((total, path) => total + statSync(path).size, 0);
}

/** Bytes as GB or MB with three significant digits. */
export const bytesText = (bytes) => (bytes >= 1e9 ? `${(bytes / 1e9).toPrecision(3)} GB` : `${(bytes / 1e6).toPrecision(3)} MB`);
