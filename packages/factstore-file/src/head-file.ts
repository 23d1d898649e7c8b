import { constants } from 'node:fs';
import { errorCode, type FileSystem } from './file-system.js';

/** What the writer publishes after each commit: the head, the newest segment, and its size. */
export interface Published {
  /** The last committed position. */
  readonly head: number;
  /** The first position (the name) of the newest segment. */
  readonly segment: number;
  /** The size in bytes of the newest segment up to the end of its last committed batch. */
  readonly bytes: number;
}

/** Width of one copy (without its newline): far more than the three numbers need. */
const WIDTH = 100;
const SIZE = 2 * (WIDTH + 1);

/**
 * The `head` file: the writer's publication of what is committed. Other processes read the log
 * only up to it, so they never see bytes that are written but not yet synced (or that a failed
 * write is about to take back). It is overwritten in place after every commit, without a sync of
 * its own: it is a hint, the segments are the truth; after a crash the next writer checks the
 * newest segment and publishes again.
 *
 * It holds the same JSON line twice (`{"head":…,"segment":…,"bytes":…}`, padded to a fixed width),
 * so that a read racing a write (which could mix old and new bytes) is told by the two copies
 * differing, and ignored.
 */
export class HeadFile {
  private fd: number | undefined;
  private readonly buffer = Buffer.alloc(SIZE);
  private lastRaw = Buffer.alloc(0);
  private last: Published | undefined;

  constructor(
    private readonly files: FileSystem,
    private readonly path: string,
  ) {}

  /** The published head, `undefined` when there is none (a new store) or it cannot be read right now. */
  read(): Published | undefined {
    const fd = this.open(false);
    if (fd === undefined) return undefined;
    const length = this.files.readSync(fd, this.buffer, 0, SIZE, 0);
    const raw = this.buffer.subarray(0, length);
    if (raw.equals(this.lastRaw)) return this.last; // the usual case while polling: nothing new
    const parsed = parse(raw);
    if (parsed === undefined) return undefined;
    this.lastRaw = Buffer.from(raw);
    this.last = parsed;
    return parsed;
  }

  /** Publishes (creating the file when missing). */
  write(published: Published): void {
    const fd = this.open(true) as number;
    const line = JSON.stringify(published).padEnd(WIDTH, ' ');
    const content = Buffer.from(`${line}\n${line}\n`, 'latin1');
    this.files.writeSync(fd, content, 0, content.length, 0);
  }

  close(): void {
    if (this.fd !== undefined) this.files.closeSync(this.fd);
    this.fd = undefined;
  }

  private open(create: boolean): number | undefined {
    if (this.fd !== undefined) return this.fd;
    try {
      this.fd = this.files.openSync(this.path, create ? constants.O_RDWR | constants.O_CREAT : constants.O_RDWR);
    } catch (error) {
      if (errorCode(error) === 'ENOENT' && !create) return undefined;
      throw error;
    }
    return this.fd;
  }
}

function parse(raw: Buffer): Published | undefined {
  if (raw.length !== SIZE) return undefined;
  const text = raw.toString('latin1');
  const first = text.slice(0, WIDTH + 1);
  if (first !== text.slice(WIDTH + 1)) return undefined;
  try {
    const value = JSON.parse(first) as Partial<Published>;
    const { head, segment, bytes } = value;
    if ([head, segment, bytes].every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) {
      return { head, segment, bytes } as Published;
    }
  } catch {
    // not a head file of ours: treated as none
  }
  return undefined;
}
