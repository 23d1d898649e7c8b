// The peer comparison (`--peers dcb,emmett`): the same workloads on the raw postgres.js driver,
// factstore-postgres and each peer, in one run on one server, each store in a schema or database
// of its own. Rounds are interleaved across the contestants, so drift on a shared machine hits
// them alike, and each round starts with the next contestant (round r runs them from the r-th on),
// so that none always runs right after the same neighbour's writes. Not run by default, not in CI.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, progress } from '../measure.mjs';
import { workloads } from './workloads.mjs';
import { databaseUrl } from '../stores/postgres.mjs';

export const peerNames = ['dcb', 'dcb-every-value', 'emmett'];

/** Starts a contestant's process; `run(id)` runs one workload there. */
async function start(name, options) {
  const child = fork(fileURLToPath(new URL('./contestant.mjs', import.meta.url)), [name, JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--expose-gc', '--max-old-space-size=8192'],
    // every contestant on the parent's server (DATABASE_URL, or the throwaway server it started)
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });
  const next = () =>
    new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(`contestant ${name} exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message);
      });
    });
  const { label } = await next();
  return {
    name,
    label,
    async run(id) {
      child.send({ type: 'run', id });
      const { out, error } = await next();
      if (error) throw new Error(error);
      return out;
    },
    async stop() {
      child.send({ type: 'stop' });
      await next().catch(() => {});
    },
  };
}
/**
 * Runs the comparison for `names` (of {@link peerNames}) beside factstore and the raw driver and
 * returns its rows: `{ workload, unit, figures: { raw, factstore, <peer>… }, notes }`.
 * `rounds` interleaved rounds per workload (one with `quick`, else one for each contestant, so
 * each runs once in every place of the order), the median kept.
 */
export async function comparePeers(names, { quick, total, only, rounds: chosen }) {
  for (const name of names) if (!peerNames.includes(name)) throw new Error(`unknown peer ${name}; known: ${peerNames.join(', ')}`);
  const contestants = [];
  for (const name of ['raw', 'factstore', ...names]) contestants.push(await start(name, { quick, total }));
  const rounds = chosen ?? (quick ? 1 : contestants.length);
  const rows = [];
  try {
    for (const w of workloads({ quick, total })) {
      if (only && !only.includes(w.id)) continue;
      const figures = {};
      const notes = {};
      const kept = {};
      for (let r = 0; r < (w.id === 'read' || w.id === 'catch-up' ? 1 : rounds); r++) {
        for (const c of rotated(contestants, r)) {
          progress(`peers: ${w.workload}: ${c.name}${rounds > 1 ? ` (round ${r + 1})` : ''}`);
          let out;
          try {
            out = await c.run(w.id);
          } catch (error) {
            process.stderr.write(`peers: ${w.workload} failed on ${c.name}: ${error?.stack ?? error}\n`);
            notes[c.name] = `failed: ${error?.message ?? error}`;
            continue;
          }
          if (out === null || out === undefined) continue;
          (kept[c.name] ??= []).push(out.figure);
          if (out.note) notes[c.name] = out.note;
        }
      }
      for (const [name, values] of Object.entries(kept)) figures[name] = median(values);
      rows.push({ id: w.id, workload: w.workload, unit: w.unit, figures, notes, spread: kept });
    }
  } finally {
    for (const c of contestants) await c.stop();
  }
  return { contestants: contestants.map(({ name, label }) => ({ name, label })), rows };
}

/** `list` from its `by`-th element on, then the ones before it. */
function rotated(list, by) {
  const at = by % list.length;
  return [...list.slice(at), ...list.slice(0, at)];
}

/** The comparison as a markdown table: each figure, and beside it its ratio to the raw driver's. */
export function peersTable({ contestants, rows }) {
  const fmt = (value, unit) =>
    value === undefined ? '–' : unit === 'ms' ? value.toFixed(3) : value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en');
  const rawSingles = rows.find((row) => row.id === 'single-64')?.figures.raw;
  const lines = [
    `| workload | unit | ${contestants.map((c) => c.label).join(' | ')} | ${contestants
      .filter((c) => c.name !== 'raw')
      .map((c) => `${c.name} ÷ raw`)
      .join(' | ')} | notes |`,
    `| --- | --- | ${contestants.map(() => '---:').join(' | ')} | ${contestants
      .filter((c) => c.name !== 'raw')
      .map(() => '---:')
      .join(' | ')} | --- |`,
  ];
  for (const row of rows) {
    // rows without a raw figure (decisions) are set against the raw driver's single appends with 64 callers
    const base = row.figures.raw ?? (row.unit === 'commits/s' ? rawSingles : undefined);
    const ratio = (name) => (row.figures[name] === undefined || base === undefined ? '–' : `${(row.figures[name] / base).toFixed(2)}×`);
    lines.push(
      `| ${row.workload} | ${row.unit} | ${contestants.map((c) => fmt(row.figures[c.name], row.unit)).join(' | ')} | ${contestants
        .filter((c) => c.name !== 'raw')
        .map((c) => ratio(c.name))
        .join(' | ')} | ${Object.entries(row.notes)
        .map(([name, note]) => `${name}: ${note}`)
        .join('; ')} |`,
    );
  }
  return lines.join('\n');
}
