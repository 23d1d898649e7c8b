import type { JsonValue } from 'factstore';

/**
 * One event as a line of a segment file (JSON, one line, `\n` at the end), keys in this order:
 *
 * ```json
 * {"seq":7,"last":9,"occurredAt":"2026-01-31T12:00:00.000Z","eventType":"account-opened","payload":{"accountId":"a1"}}
 * ```
 *
 * - `seq`: the event's position, a JSON number (exact up to 2^53 − 1);
 * - `last`: the position of the last event of its batch: a batch is the run of lines from the
 *   line after the previous batch's last one up to the line whose `seq` equals `last`. A batch
 *   without that line (or with a line cut short, without its `\n`) is a torn tail, never committed;
 * - `occurredAt`: the commit time, ISO 8601 in UTC with milliseconds (the same for a whole batch);
 * - `eventType`, `payload`: as appended (`-0` is written as `0`);
 * - `key`: only on the last line of a batch appended with an idempotency key: that key. A key
 *   names one batch for the life of the store (an append with it again gets that batch back).
 */
export interface StoredEvent {
  readonly seq: number;
  readonly last: number;
  readonly occurredAt: string;
  readonly eventType: string;
  readonly payload: JsonValue;
  readonly key?: string;
}

/** The line of one event, with its `\n` (`key`: the batch's idempotency key, on its last line only). */
export function encodeLine(seq: number, last: number, occurredAt: string, eventType: string, payload: JsonValue, key?: string): string {
  const keyed = key === undefined ? '' : `,"key":${JSON.stringify(key)}`;
  return `{"seq":${seq},"last":${last},"occurredAt":"${occurredAt}","eventType":${JSON.stringify(eventType)},"payload":${JSON.stringify(payload)}${keyed}}\n`;
}

/** A line's event, or `undefined` when the text is not a well-formed event line. */
export function parseLine(text: string): StoredEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const line = value as Partial<Record<keyof StoredEvent, unknown>>;
  const { seq, last, occurredAt, eventType, key } = line;
  if (
    typeof seq !== 'number' ||
    !Number.isSafeInteger(seq) ||
    seq < 1 ||
    typeof last !== 'number' ||
    !Number.isSafeInteger(last) ||
    last < seq ||
    typeof occurredAt !== 'string' ||
    typeof eventType !== 'string' ||
    !('payload' in line) ||
    (key !== undefined && (typeof key !== 'string' || seq !== last))
  ) {
    return undefined;
  }
  return value as StoredEvent;
}
