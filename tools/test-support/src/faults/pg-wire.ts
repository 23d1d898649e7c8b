// A streaming splitter of the PostgreSQL wire protocol (version 3) as a proxy sees it: whole
// messages out of arbitrary TCP chunks, in both directions, so that a test can tell which chunk
// carries the reply that ends a committed statement. It reads only what it needs (types, command
// tags, transaction status, SQLSTATE codes, statement texts) and keeps no payloads.

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

/** A message PostgreSQL sent to the client, as the splitter saw it. */
export interface PgMessage {
  /**
   * The message type as a character: `R` authentication, `S` parameter status, `K` key data,
   * `Z` ReadyForQuery, `C` CommandComplete, `E` ErrorResponse, `N` notice, `T` row description,
   * `D` data row, `A` notification, … (`N`/`S` alone are also the one-byte answers to an SSL request).
   */
  type: string;
  /** The length of the message body in bytes (without type byte and length field). */
  length: number;
  /** CommandComplete: the command tag, such as `INSERT 0 1`, `COMMIT`, `SELECT 3`. */
  tag?: string;
  /** ReadyForQuery: the transaction status, `I` idle, `T` in a transaction, `E` in a failed one. */
  status?: string;
  /** ErrorResponse and NoticeResponse: the SQLSTATE (field `C`), such as `57P01`. */
  code?: string;
  /** ErrorResponse and NoticeResponse: the message (field `M`). */
  message?: string;
  /** ReadyForQuery: the command tags completed since the previous ReadyForQuery. */
  tags?: string[];
  /** ReadyForQuery: the statements the client ran in the cycle this message ends (texts, truncated to 16 kB). */
  queries?: string[];
  /** ReadyForQuery: whether an ErrorResponse came since the previous ReadyForQuery (then nothing of the cycle committed). */
  failed?: boolean;
}

type Frame = { type: string; length: number; body: Buffer };
type FrameMode = 'typed' | 'untyped' | 'byte' | 'opaque';

/** Cuts a byte stream into frames: typed (type byte + length), untyped (length only: startup) or a single byte. */
class Framer {
  mode: FrameMode;
  private readonly header = Buffer.alloc(5);
  private have = 0;
  private remaining = -1;
  private type = '';
  private length = 0;
  private keep = 0;
  private parts: Buffer[] = [];

  constructor(
    mode: FrameMode,
    private readonly capture: (type: string) => number,
  ) {
    this.mode = mode;
  }

  push(chunk: Buffer, onFrame: (frame: Frame) => void): void {
    let i = 0;
    while (i < chunk.length && this.mode !== 'opaque') {
      if (this.remaining < 0) {
        const size = this.mode === 'typed' ? 5 : this.mode === 'untyped' ? 4 : 1;
        const take = Math.min(size - this.have, chunk.length - i);
        chunk.copy(this.header, this.have, i, i + take);
        this.have += take;
        i += take;
        if (this.have < size) return;
        this.have = 0;
        if (this.mode === 'byte') {
          onFrame({ type: String.fromCharCode(this.header[0] as number), length: 0, body: Buffer.alloc(0) });
          continue;
        }
        const typed = this.mode === 'typed';
        const length = this.header.readInt32BE(typed ? 1 : 0) - 4;
        if (length < 0) {
          this.mode = 'opaque'; // not PostgreSQL: stop reading
          return;
        }
        this.type = typed ? String.fromCharCode(this.header[0] as number) : '';
        this.length = this.remaining = length;
        this.keep = this.capture(this.type);
        this.parts = [];
      }
      const take = Math.min(this.remaining, chunk.length - i);
      const kept = Math.min(take, this.keep);
      if (kept > 0) {
        this.parts.push(Buffer.from(chunk.subarray(i, i + kept)));
        this.keep -= kept;
      }
      this.remaining -= take;
      i += take;
      if (this.remaining === 0) {
        this.remaining = -1;
        onFrame({ type: this.type, length: this.length, body: Buffer.concat(this.parts) });
      }
    }
  }
}

/** The zero-terminated string at `offset` of `body`, and the offset after it. */
function cstring(body: Buffer, offset: number): [string, number] {
  const end = body.indexOf(0, offset);
  const stop = end < 0 ? body.length : end;
  return [body.toString('utf8', offset, stop), stop + 1];
}

/** The fields of an ErrorResponse or NoticeResponse. */
function fields(body: Buffer): Map<string, string> {
  const found = new Map<string, string>();
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const code = String.fromCharCode(body[offset] as number);
    const [value, next] = cstring(body, offset + 1);
    found.set(code, value);
    offset = next;
  }
  return found;
}

/**
 * Follows one PostgreSQL connection in both directions. Feed it every client→server chunk with
 * {@link PgConversation.fromClient} and every server→client chunk with
 * {@link PgConversation.fromServer}, in the order they pass; `fromServer` answers the messages
 * that end in that chunk. ReadyForQuery messages carry the tags, statement texts and error flag of
 * the cycle they end (a simple query, or everything up to a Sync), so a test can recognise the
 * reply of a commit whatever the chunk boundaries. An encrypted connection (SSL/GSS accepted)
 * becomes opaque: no messages.
 */
export class PgConversation {
  private readonly client = new Framer('untyped', (type) =>
    type === 'Q' || type === 'P' ? 16_384 : type === 'B' ? 512 : type === '' ? 8 : 0,
  );
  private readonly server = new Framer('typed', (type) =>
    type === 'C' ? 256 : type === 'Z' ? 1 : type === 'E' || type === 'N' ? 4096 : 0,
  );
  private readonly statements = new Map<string, string>();
  private pending: string[] = [];
  private readonly cycles: string[][] = [];
  private tags: string[] = [];
  private failed = false;
  private started = false;

  /** True once the server sent its first ReadyForQuery: the connection is authenticated and usable. */
  ready = false;

  /** Reads a client→server chunk. */
  fromClient(chunk: Buffer): void {
    this.client.push(chunk, (frame) => this.clientFrame(frame));
  }

  /** Reads a server→client chunk and answers the messages that end in it. */
  fromServer(chunk: Buffer): PgMessage[] {
    const messages: PgMessage[] = [];
    this.server.push(chunk, (frame) => messages.push(this.serverFrame(frame)));
    return messages;
  }

  private clientFrame(frame: Frame): void {
    if (frame.type === '') {
      const code = frame.body.length >= 4 ? frame.body.readInt32BE(0) : 0;
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) this.server.mode = 'byte';
      else if (code === CANCEL_REQUEST) this.client.mode = this.server.mode = 'opaque';
      else this.client.mode = 'typed';
      return;
    }
    if (frame.type === 'Q') this.cycles.push([cstring(frame.body, 0)[0]]);
    else if (frame.type === 'P') {
      const [name, next] = cstring(frame.body, 0);
      this.statements.set(name, cstring(frame.body, next)[0]);
    } else if (frame.type === 'B') {
      const [, next] = cstring(frame.body, 0);
      this.pending.push(this.statements.get(cstring(frame.body, next)[0]) ?? '');
    } else if (frame.type === 'S') {
      this.cycles.push(this.pending);
      this.pending = [];
    } else if (frame.type === 'F') this.cycles.push(['<function call>']);
  }

  private serverFrame(frame: Frame): PgMessage {
    const message: PgMessage = { type: frame.type, length: frame.length };
    if (this.server.mode === 'byte') {
      // the answer to an SSL or GSS request: N refuses (a startup message follows), anything else encrypts
      if (frame.type === 'N') {
        this.server.mode = 'typed';
        this.client.mode = 'untyped';
      } else this.client.mode = this.server.mode = 'opaque';
      return message;
    }
    if (frame.type === 'C') {
      message.tag = cstring(frame.body, 0)[0];
      this.tags.push(message.tag);
    } else if (frame.type === 'E' || frame.type === 'N') {
      const found = fields(frame.body);
      message.code = found.get('C');
      message.message = found.get('M');
      if (frame.type === 'E') this.failed = true;
    } else if (frame.type === 'Z') {
      message.status = frame.body.length > 0 ? String.fromCharCode(frame.body[0] as number) : '';
      message.tags = this.tags;
      message.failed = this.failed;
      message.queries = this.started ? (this.cycles.shift() ?? []) : []; // the first one ends the startup, not a cycle
      this.started = this.ready = true;
      this.tags = [];
      this.failed = false;
    }
    return message;
  }
}

const WRITE_TAG = /^(INSERT|UPDATE|DELETE|MERGE|COPY|COMMIT)\b/;

/**
 * Whether `messages` (from {@link PgConversation.fromServer}) hold the reply that ends a committed
 * write: a ReadyForQuery with status idle (`I`) whose cycle had no error and either completed a
 * write or `COMMIT` command tag, or (when `statement` is given) ran a statement whose text matches
 * it. Use `statement` for writes whose tag does not say so, such as `WITH … INSERT … SELECT`.
 */
export function isCommitReply(messages: readonly PgMessage[], statement?: RegExp): boolean {
  return messages.some(
    (m) =>
      m.type === 'Z' &&
      m.status === 'I' &&
      !m.failed &&
      (statement ? (m.queries ?? []).some((q) => statement.test(q)) : (m.tags ?? []).some((t) => WRITE_TAG.test(t))),
  );
}
