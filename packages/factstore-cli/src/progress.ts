/** Where progress goes: a terminal gets one bar redrawn in place, anything else plain lines. */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** How often plain progress lines are written at most, in ms. */
const PLAIN_EVERY_MS = 1000;
/** How often the bar is redrawn at most, in ms. */
const BAR_EVERY_MS = 100;

/**
 * Progress of a copy: events done of the total, the rate, the time left. On a TTY a bar redrawn in
 * place (`\r`); otherwise a plain line at most once a second, and one at the end.
 */
export class Progress {
  private total = 0n;
  private done = 0n;
  private readonly started: number;
  private shownAt = 0;

  constructor(
    private readonly out: ProgressOutput,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  /** Sets the number of events to do. */
  start(total: bigint): void {
    this.total = total;
    this.show(true);
  }

  /** Reports the events done so far. */
  update(done: bigint): void {
    this.done = done;
    this.show(false);
  }

  /** The last report, and a new line on a TTY. */
  finish(): void {
    this.show(true);
    if (this.out.isTTY) this.out.write('\n');
  }

  /** The report as text: `4,000/10,000 events (40%)  2,345 events/s  0:03 left`. */
  text(): string {
    const seconds = Math.max((this.now() - this.started) / 1000, 0.001);
    const rate = Number(this.done) / seconds;
    const share = this.total > 0n ? Number((this.done * 1000n) / this.total) / 10 : 100;
    const left = rate > 0 && this.total > this.done ? Number(this.total - this.done) / rate : 0;
    return `${count(this.done)}/${count(this.total)} events (${share.toFixed(0)}%)  ${count(BigInt(Math.round(rate)))} events/s  ${duration(left)} left`;
  }

  private show(always: boolean): void {
    const at = this.now();
    if (!always && at - this.shownAt < (this.out.isTTY ? BAR_EVERY_MS : PLAIN_EVERY_MS)) return;
    this.shownAt = at;
    const text = this.text();
    if (!this.out.isTTY) {
      this.out.write(`${text}\n`);
      return;
    }
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - text.length - 4));
    const filled = this.total > 0n ? Number((this.done * BigInt(width)) / this.total) : width;
    this.out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\x1b[K`);
  }
}

function count(n: bigint): string {
  return n.toLocaleString('en-US');
}

function duration(seconds: number): string {
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}
