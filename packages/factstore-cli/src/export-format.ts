import { recordFromJson, recordToJson, type EventRecord, type EventRecordJson, type EventStore } from 'factstore';
import { canonicalJson, storeMaintenance, type StoredBatch, type StoredCursor } from 'factstore/backend';
import { CliError } from './address.js';

/** The name in an export's header line. */
export const EXPORT_FORMAT = 'factstore-export';
/** The version of the export line format this release writes (and the newest it reads). */
export const EXPORT_VERSION = 1;

/**
 * The lines of an export (JSON Lines, one JSON object a line), in this order:
 *
 * ```text
 * {"kind":"header","format":"factstore-export","version":1,"head":"8"}
 * {"kind":"batch","first":"1","last":"2","idempotencyKey":"open-a1"}
 * {"kind":"event","sequenceNumber":"1","occurredAt":"2026-01-31T12:00:00.000Z","eventType":"account-opened","payload":{"accountId":"a1"}}
 * {"kind":"event","sequenceNumber":"2",…}
 * {"kind":"batch","first":"3","last":"3"}
 * {"kind":"event","sequenceNumber":"3",…}
 * {"kind":"cursor","name":"ledger","query":"{…}","position":"3"}
 * {"kind":"end","events":"3","batches":"2","cursors":1}
 * ```
 *
 * Each batch line is followed by its events (the record JSON form of `recordToJson`, the payload
 * with its object keys sorted, so that every store writes the same bytes: PostgreSQL's jsonb
 * keeps keys in an order of its own); positions are decimal strings; the end line makes a
 * cut-short file detectable.
 */
export type ExportLine =
  | { kind: 'header'; format: typeof EXPORT_FORMAT; version: number; head: string }
  | { kind: 'batch'; first: string; last: string; idempotencyKey?: string }
  | ({ kind: 'event' } & EventRecordJson)
  | { kind: 'cursor'; name: string; query: string; position: string }
  | { kind: 'end'; events: string; batches: string; cursors: number };

/**
 * The whole store as export lines (without `\n`), read in chunks: every batch up to the head at
 * the start, with its events, then the durable cursors, then the end line.
 */
export async function* exportLines(store: EventStore, options: { chunkEvents?: number } = {}): AsyncGenerator<string> {
  const maintenance = storeMaintenance(store);
  const { head } = await maintenance.inspect();
  yield line({ kind: 'header', format: EXPORT_FORMAT, version: EXPORT_VERSION, head: head.toString() });
  let events = 0n;
  let batches = 0n;
  for await (const batch of maintenance.exportBatches({ until: head, chunkEvents: options.chunkEvents })) {
    const b: ExportLine = { kind: 'batch', first: batch.firstSequenceNumber.toString(), last: batch.lastSequenceNumber.toString() };
    if (batch.idempotencyKey !== undefined) b.idempotencyKey = batch.idempotencyKey;
    yield line(b);
    for (const record of batch.records) yield eventLine(record);
    events += BigInt(batch.records.length);
    batches++;
  }
  const cursors = await maintenance.exportCursors();
  for (const cursor of cursors)
    yield line({ kind: 'cursor', name: cursor.name, query: cursor.query, position: cursor.position.toString() });
  yield line({ kind: 'end', events: events.toString(), batches: batches.toString(), cursors: cursors.length });
}

/** What an import did. */
export interface ImportSummary {
  readonly events: bigint;
  readonly batches: bigint;
  readonly cursors: number;
}

/**
 * Imports export lines into an EMPTY store: batches with their positions, boundaries, times and
 * idempotency keys (in chunks: bounded memory, a batch held whole), then the cursors.
 * @param onStart called with the head the header announces (for progress)
 * @param onProgress called with the events imported so far, after each chunk
 * @throws {@link CliError} `BAD_EXPORT` for lines that are not an export (with the line number),
 *   `InvalidInputError` for a store that is not empty
 */
export async function importLines(
  store: EventStore,
  lines: AsyncIterable<string> | Iterable<string>,
  options: { chunkEvents?: number; onStart?: (head: bigint) => void; onProgress?: (events: bigint) => void } = {},
): Promise<ImportSummary> {
  const maintenance = storeMaintenance(store);
  const cursors: StoredCursor[] = [];
  let end: Extract<ExportLine, { kind: 'end' }> | undefined;
  let number = 0;

  async function* batches(): AsyncGenerator<StoredBatch> {
    let batch: { first: bigint; last: bigint; key?: string; records: ReturnType<typeof recordFromJson>[] } | undefined;
    let header = false;
    for await (const text of lines) {
      number++;
      if (text.trim() === '') continue;
      const value = parse(text, number);
      if (!header) {
        if (value.kind !== 'header' || value.format !== EXPORT_FORMAT)
          throw badLine(number, 'the first line is not a factstore export header');
        if (typeof value.version !== 'number' || value.version > EXPORT_VERSION || value.version < 1) {
          throw badLine(number, `export format version ${String(value.version)}: this release reads version ${EXPORT_VERSION}`);
        }
        header = true;
        options.onStart?.(position(value.head, number));
        continue;
      }
      if (end) throw badLine(number, 'a line after the end line');
      if (batch && value.kind !== 'event')
        throw badLine(number, `batch ${batch.first}..${batch.last} has ${batch.records.length} of its events`);
      switch (value.kind) {
        case 'batch':
          batch = { first: position(value.first, number), last: position(value.last, number), records: [] };
          if (value.idempotencyKey !== undefined) batch.key = value.idempotencyKey;
          if (batch.last < batch.first) throw badLine(number, 'a batch that ends before it starts');
          break;
        case 'event': {
          if (!batch) throw badLine(number, 'an event line outside a batch');
          const { kind: _kind, ...json } = value;
          batch.records.push(wrapped(number, () => recordFromJson(json)));
          if (BigInt(batch.records.length) === batch.last - batch.first + 1n) {
            const done: StoredBatch = { firstSequenceNumber: batch.first, lastSequenceNumber: batch.last, records: batch.records };
            yield batch.key === undefined ? done : { ...done, idempotencyKey: batch.key };
            batch = undefined;
          }
          break;
        }
        case 'cursor':
          cursors.push({ name: value.name, query: value.query, position: position(value.position, number) });
          break;
        case 'end':
          end = value;
          break;
        default:
          throw badLine(number, `unknown line kind ${JSON.stringify((value as { kind: unknown }).kind)}`);
      }
    }
    if (!header) throw badLine(number, 'the export is empty (no header line)');
    if (batch) throw badLine(number, `the export ends inside batch ${batch.first}..${batch.last}`);
    if (!end) throw badLine(number, 'the export is cut short: it has no end line');
  }

  const imported = await maintenance.importBatches(batches(), options);
  const summary = end as Extract<ExportLine, { kind: 'end' }>;
  if (
    summary.events !== imported.events.toString() ||
    summary.batches !== imported.batches.toString() ||
    summary.cursors !== cursors.length
  ) {
    throw badLine(
      number,
      `the end line counts ${summary.events} events, ${summary.batches} batches and ${summary.cursors} cursors, the export holds ${imported.events}, ${imported.batches} and ${cursors.length}`,
    );
  }
  await maintenance.importCursors(cursors);
  return { events: imported.events, batches: imported.batches, cursors: cursors.length };
}

function line(value: ExportLine): string {
  return JSON.stringify(value);
}

/** An event line, its payload in canonical form (object keys sorted). */
function eventLine(record: EventRecord): string {
  const { payload, ...rest } = recordToJson(record);
  return `${JSON.stringify({ kind: 'event', ...rest }).slice(0, -1)},"payload":${canonicalJson(payload)}}`;
}

function parse(text: string, number: number): ExportLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badLine(number, 'is not JSON');
  }
  if (typeof value !== 'object' || value === null || typeof (value as { kind?: unknown }).kind !== 'string') {
    throw badLine(number, 'is not an export line (an object with a "kind")');
  }
  return value as ExportLine;
}

function position(text: unknown, number: number): bigint {
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]*)$/.test(text)) throw badLine(number, `${JSON.stringify(text)} is not a position`);
  return BigInt(text);
}

function badLine(number: number, message: string): CliError {
  return new CliError('BAD_EXPORT', `line ${number}: ${message}`);
}

/** Runs a validation, giving its `INVALID_INPUT` the line number. */
function wrapped<T>(number: number, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'INVALID_INPUT') throw badLine(number, (error as Error).message);
    throw error;
  }
}
