import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isFactStoreError, recordToJson, type EventQuery, type EventStore, type JsonValue } from 'factstore';
import { storeMaintenance } from 'factstore/backend';
import { CliError, describeAddress, openStore, parseAddress, type OpenOptions } from './address.js';
import { exportLines, importLines } from './export-format.js';
import { Progress } from './progress.js';

/** The streams a run of the command uses (the process's own, or a test's). */
export interface Io {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
  /**
   * Resolves when the process is asked to stop (SIGINT, SIGTERM): `tail` calls it, and stops then;
   * other commands do not, so the signals end them as usual.
   */
  stopped(): Promise<void>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

interface Command {
  readonly usage: string;
  readonly summary: string;
  readonly help: string;
  readonly options: Options;
  readonly positionals: number;
  run(positionals: string[], values: Record<string, unknown>, io: Io): Promise<number>;
}

const FILTER_OPTIONS: Options = {
  type: { type: 'string', multiple: true },
  where: { type: 'string', multiple: true },
};
const FILTER_HELP = `  --type T       only events of type T (repeat: any of them)
  --where JSON   only events whose payload contains JSON, e.g. '{"accountId":"a1"}' (repeat: any of them)`;

const ADDRESSES = `Store addresses:
  sqlite:<path>, or a path ending in .db, .sqlite or .sqlite3   a SQLite store (factstore-sqlite, sqlite3)
  postgres://user@host/db?schema=name (or postgresql://)        a PostgreSQL store (factstore-postgres); schema default factstore
  file:<folder>                                                 a file store (factstore-file)`;

const COMMANDS: Record<string, Command> = {
  info: {
    usage: 'factstore info <store> [--json]',
    summary: 'format version, head, counts, durable streams with their lag and lease',
    help: '  --json         one JSON object instead of text (positions as decimal strings)',
    options: { json: { type: 'boolean' } },
    positionals: 1,
    run: ([address], values, io) =>
      withStore(address as string, { mustExist: true }, (store) => info(store, address as string, values, io)),
  },
  query: {
    usage: 'factstore query <store> [--type T]… [--where JSON]… [--after N] [--before N] [--limit N] [--backward]',
    summary: 'matching records as JSON Lines',
    help: `${FILTER_HELP}
  --after N      only events after position N
  --before N     only events before position N
  --limit N      at most N records
  --backward     newest first`,
    options: {
      ...FILTER_OPTIONS,
      after: { type: 'string' },
      before: { type: 'string' },
      limit: { type: 'string' },
      backward: { type: 'boolean' },
    },
    positionals: 1,
    run: ([address], values, io) => withStore(address as string, { mustExist: true }, (store) => query(store, values, io)),
  },
  tail: {
    usage: 'factstore tail <store> [--type T]… [--where JSON]…',
    summary: 'live committed records as JSON Lines, until Ctrl-C',
    help: FILTER_HELP,
    options: FILTER_OPTIONS,
    positionals: 1,
    run: ([address], values, io) => withStore(address as string, { mustExist: true }, (store) => tail(store, values, io)),
  },
  export: {
    usage: 'factstore export <store> [--out FILE]',
    summary: 'the whole store as JSON Lines (events, batches, times, idempotency keys, cursors)',
    help: '  --out FILE     write to FILE instead of standard output',
    options: { out: { type: 'string' } },
    positionals: 1,
    run: ([address], values, io) =>
      withStore(address as string, { mustExist: true }, async (store) => {
        const out = typeof values.out === 'string' ? createWriteStream(values.out) : io.stdout;
        await writeLines(out, exportLines(store));
        if (out !== io.stdout) {
          out.end();
          await once(out, 'finish');
        }
        return 0;
      }),
  },
  import: {
    usage: 'factstore import <store> [--in FILE]',
    summary: 'an export into an empty store, with the same positions and batches',
    help: '  --in FILE      read from FILE instead of standard input',
    options: { in: { type: 'string' } },
    positionals: 1,
    run: ([address], values, io) =>
      withStore(address as string, {}, async (store) => {
        const input = typeof values.in === 'string' ? createReadStream(values.in) : io.stdin;
        const summary = await importLines(store, readLines(input));
        io.stderr.write(`imported ${summary.events} events in ${summary.batches} batches, ${summary.cursors} cursors\n`);
        return 0;
      }),
  },
  copy: {
    usage: 'factstore copy <from> <to>',
    summary: 'export piped into import, with progress',
    help: '  (progress goes to standard error: a bar on a terminal, plain lines otherwise)',
    options: {},
    positionals: 2,
    run: ([from, to], _values, io) =>
      withStore(from as string, { mustExist: true }, (source) =>
        withStore(to as string, {}, async (target) => {
          const progress = new Progress(io.stderr);
          const summary = await importLines(target, exportLines(source), {
            onStart: (head) => progress.start(head),
            onProgress: (done) => progress.update(done),
          });
          progress.finish();
          io.stderr.write(`copied ${summary.events} events in ${summary.batches} batches, ${summary.cursors} cursors\n`);
          return 0;
        }),
      ),
  },
  verify: {
    usage: 'factstore verify <store>',
    summary: 'gapless positions, batch rows, indexes against a scan, cursors, format; exit 1 when something is wrong',
    help: '  exit 0: nothing wrong; exit 1: every problem listed on standard output',
    options: {},
    positionals: 1,
    run: ([address], _values, io) =>
      withStore(address as string, { mustExist: true }, async (store) => {
        const report = await storeMaintenance(store).verify();
        const { events, batches, sampleQueries, cursors } = report.checked;
        const checked = `${events} events, ${batches} batch rows, ${sampleQueries} sample queries, ${cursors} cursors`;
        if (report.ok) {
          io.stdout.write(`ok: ${checked}\n`);
          return 0;
        }
        io.stdout.write(`${report.problems.length} problems (checked ${checked}):\n`);
        for (const problem of report.problems) io.stdout.write(`- ${problem}\n`);
        return 1;
      }),
  },
};

const MAIN_HELP = `factstore: inspect, query, tail, verify, export, import and copy factstores

Usage: factstore <command> [options]   (factstore <command> --help for one command)

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  .join('\n')}

${ADDRESSES}

Errors: one line on standard error, "factstore: <CODE>: <message>", exit 2.`;

/**
 * Runs the command line `args` (without `node` and the script) and returns the exit code: 0, 1
 * when `verify` found problems, 2 for an error (reported as one line on `io.stderr`).
 */
export async function main(args: readonly string[], io: Io): Promise<number> {
  try {
    const [name, ...rest] = args;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(`${MAIN_HELP}\n`);
      return name === undefined ? 2 : 0;
    }
    const command = COMMANDS[name];
    if (!command) throw new CliError('USAGE', `unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(`Usage: ${command.usage}\n\n${command.summary}\n\nOptions:\n${command.help}\n\n${ADDRESSES}\n`);
      return 0;
    }
    let parsed: { values: Record<string, unknown>; positionals: string[] };
    try {
      parsed = parseArgs({ args: [...rest], options: command.options, allowPositionals: true, strict: true });
    } catch (error) {
      throw new CliError('USAGE', `${(error as Error).message} (usage: ${command.usage})`);
    }
    if (parsed.positionals.length !== command.positionals) {
      throw new CliError(
        'USAGE',
        `expected ${command.positionals === 1 ? 'a store address' : 'two store addresses'} (usage: ${command.usage})`,
      );
    }
    return await command.run(parsed.positionals, parsed.values, io);
  } catch (error) {
    io.stderr.write(`factstore: ${errorLine(error)}\n`);
    return 2;
  }
}

/** `CODE: message` in one line, with the causes of a store's `BACKEND_FAILURE`. */
export function errorLine(error: unknown): string {
  const code = isFactStoreError(error) || error instanceof CliError ? error.code : 'ERROR';
  let message = error instanceof Error ? error.message : String(error);
  for (let cause = (error as { cause?: unknown }).cause, depth = 0; cause !== undefined && depth < 3; depth++) {
    const text = cause instanceof Error ? cause.message : String(cause);
    if (!message.includes(text)) message += `: ${text}`;
    cause = (cause as { cause?: unknown }).cause;
  }
  return `${code}: ${message.replace(/\s*\n\s*/g, ' ')}`;
}

async function withStore<T>(address: string, options: OpenOptions, work: (store: EventStore) => Promise<T>): Promise<T> {
  const store = await openStore(parseAddress(address), options);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function info(store: EventStore, address: string, values: Record<string, unknown>, io: Io): Promise<number> {
  const inspection = await storeMaintenance(store).inspect();
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ store: describeAddress(parseAddress(address)), ...inspection }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
    );
    return 0;
  }
  const lines = [
    `store            ${describeAddress(parseAddress(address))}`,
    `format version   ${inspection.formatVersion}${inspection.formatVersion === inspection.supportedFormat ? '' : ` (this release writes ${inspection.supportedFormat})`}`,
    `head             ${inspection.head}`,
    `events           ${inspection.eventCount}`,
    `batches          ${inspection.batchCount}`,
    `event types      ${inspection.eventTypes.length === 0 ? 'none' : ''}`,
    ...inspection.eventTypes.map((t) => `  ${t.eventType}  ${t.count}`),
    `durable streams  ${inspection.durableStreams.length === 0 ? 'none' : ''}`,
    ...inspection.durableStreams.map(
      (s) => `  ${s.name}  cursor ${s.position}  lag ${s.lag}  ${s.leased ? 'held by a live process' : 'not held'}`,
    ),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** The filter of `--type` and `--where` (one filter: any of the types AND any of the payloads), or none. */
function filters(values: Record<string, unknown>): EventQuery['filters'] {
  const types = values.type as string[] | undefined;
  const wheres = values.where as string[] | undefined;
  if (!types && !wheres) return undefined;
  const filter: { eventTypes?: string[]; payloadPredicates?: JsonValue[] } = {};
  if (types) filter.eventTypes = types;
  if (wheres) {
    filter.payloadPredicates = wheres.map((text) => {
      try {
        return JSON.parse(text) as JsonValue;
      } catch {
        throw new CliError('USAGE', `--where ${text} is not JSON`);
      }
    });
  }
  return [filter];
}

const PAGE = 1000;

async function query(store: EventStore, values: Record<string, unknown>, io: Io): Promise<number> {
  const q: { -readonly [K in keyof EventQuery]: EventQuery[K] } = {};
  const f = filters(values);
  if (f) q.filters = f;
  if (values.after !== undefined) q.minSequenceNumber = positionOption('--after', values.after as string);
  if (values.before !== undefined) q.beforeSequenceNumber = positionOption('--before', values.before as string);
  if (values.backward) q.direction = 'backward';
  if (values.limit !== undefined) {
    const limit = Number(positionOption('--limit', values.limit as string));
    if (limit === 0) throw new CliError('USAGE', '--limit must be at least 1');
    q.limit = limit;
  }
  // page by page (bounded memory), in the query's direction
  let lines: string[] = [];
  for await (const record of store.iterate(q, { pageSize: PAGE })) {
    lines.push(JSON.stringify(recordToJson(record)));
    if (lines.length >= PAGE) {
      await writeLines(io.stdout, lines);
      lines = [];
    }
  }
  await writeLines(io.stdout, lines);
  return 0;
}

async function tail(store: EventStore, values: Record<string, unknown>, io: Io): Promise<number> {
  const f = filters(values);
  let writing = Promise.resolve();
  const stream = await store.streamTo(f ? { filters: f } : {}, (batch) => {
    writing = writing.then(() =>
      writeLines(
        io.stdout,
        batch.map((r) => JSON.stringify(recordToJson(r))),
      ),
    );
    return writing;
  });
  const stop = io.stopped();
  // the store's timers do not keep a process alive by themselves: this one does, until the signal
  const alive = setInterval(() => {}, 1 << 30);
  io.stderr.write('tailing: new records print as they commit (Ctrl-C to stop)\n');
  await stop;
  clearInterval(alive);
  await stream.unsubscribe();
  await writing;
  return 0;
}

function positionOption(name: string, text: string): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new CliError('USAGE', `${name} ${text} is not a non-negative whole number`);
  return BigInt(text);
}

/**
 * The lines of a stream (without `\n` or `\r\n`), read as they are asked for: the stream is
 * pulled, so it waits while the lines before are imported (bounded memory).
 */
export async function* readLines(input: Readable): AsyncGenerator<string> {
  let rest = '';
  input.setEncoding('utf8');
  for await (const chunk of input as AsyncIterable<string>) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() as string;
    for (const part of parts) yield part.endsWith('\r') ? part.slice(0, -1) : part;
  }
  if (rest !== '') yield rest;
}

/** Writes lines (with `\n`), waiting whenever the stream asks to (bounded memory). */
async function writeLines(out: Writable, lines: AsyncIterable<string> | Iterable<string>): Promise<void> {
  let chunk = '';
  for await (const text of lines) {
    chunk += `${text}\n`;
    if (chunk.length >= 64 * 1024) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  if (chunk.length > 0 && !out.write(chunk)) await once(out, 'drain');
}
