const EMPTY = Buffer.alloc(0);

/** Receives what `LineSplitter` cuts out of a stream. */
export interface LineHandler {
  /** One complete line, `buf[start, end)`, without its `\n`. Valid only during the call. */
  line(buf: Buffer, start: number, end: number): void;
  /** A line grew past the limit; it is being discarded up to its `\n`. Called once per such line. */
  overlong(): void;
  /**
   * Optional: takes as many whole lines from the start of `buf[start, end)` (which ends just after a
   * `\n`) as it can at once, and returns where it stopped: `end`, or the start of a line for `line()`.
   * A handler with a fast path for common lines implements it (parse.ts parseCommonLines).
   */
  takeLines?(buf: Buffer, start: number, end: number): number;
}

/**
 * Cuts a byte stream into `\n`-terminated lines, as twisted's LineOnlyReceiver with carbon's
 * delimiter `\n` (carbon/protocols.py MetricLineReceiver). Lines that lie inside one chunk are passed
 * as views of that chunk, without copying. Only the unfinished tail is kept, and never more than
 * `maxLineLength` bytes of it: a line that grows past the limit is reported once and then skipped up
 * to its newline, however long it runs. Twisted instead drops the connection (lineLengthExceeded);
 * we keep it, so one bad line costs one line.
 */
export class LineSplitter {
  // Grows on demand up to maxLineLength, so an idle connection holds no line buffer.
  private pending: Buffer = EMPTY;
  private pendingLength = 0;
  private discarding = false;

  /** `maxLineLength` counts the bytes before `\n`; twisted's default MAX_LENGTH is 16384. */
  constructor(readonly maxLineLength: number = 16384) {
    if (!(maxLineLength >= 1)) throw new Error(`BUG: maxLineLength ${maxLineLength}; want >= 1`);
  }

  /** Bytes of an unfinished line held between chunks (at most maxLineLength). */
  get buffered(): number {
    return this.pendingLength;
  }

  /** Feeds one chunk; calls `handler` for every line it completes. */
  push(chunk: Buffer, handler: LineHandler): void {
    let from = 0;
    let nl = chunk.indexOf(0x0a);
    if (nl !== -1 && (this.pendingLength > 0 || this.discarding)) {
      this.finishPending(chunk, nl, handler);
      from = nl + 1;
      nl = chunk.indexOf(0x0a, from);
    }
    if (handler.takeLines !== undefined && nl !== -1) {
      const end = chunk.lastIndexOf(0x0a) + 1;
      for (;;) {
        from = handler.takeLines(chunk, from, end);
        if (from === end) break;
        nl = chunk.indexOf(0x0a, from);
        this.one(chunk, from, nl, handler);
        from = nl + 1;
      }
    } else {
      while (nl !== -1) {
        this.one(chunk, from, nl, handler);
        from = nl + 1;
        nl = chunk.indexOf(0x0a, from);
      }
    }
    if (from < chunk.length) this.keep(chunk, from, handler);
  }

  /**
   * Ends the stream: a final line without `\n` is passed on (for a UDP datagram, whose last line
   * needs no newline, as carbon's `data.splitlines()`), then the splitter is empty again.
   */
  end(handler: LineHandler): void {
    if (this.pendingLength > 0) handler.line(this.pending, 0, this.pendingLength);
    this.reset();
  }

  /** Forgets any unfinished line (a TCP connection that closes mid-line: carbon drops it too). */
  reset(): void {
    this.pendingLength = 0;
    this.discarding = false;
  }

  private one(chunk: Buffer, from: number, nl: number, handler: LineHandler): void {
    if (nl - from > this.maxLineLength) handler.overlong();
    else handler.line(chunk, from, nl);
  }

  private finishPending(chunk: Buffer, nl: number, handler: LineHandler): void {
    if (this.discarding) this.discarding = false;
    else if (this.pendingLength + nl > this.maxLineLength) handler.overlong();
    else {
      this.reserve(this.pendingLength + nl);
      chunk.copy(this.pending, this.pendingLength, 0, nl);
      handler.line(this.pending, 0, this.pendingLength + nl);
    }
    this.pendingLength = 0;
  }

  private keep(chunk: Buffer, from: number, handler: LineHandler): void {
    if (this.discarding) return;
    const n = chunk.length - from;
    if (this.pendingLength + n > this.maxLineLength) {
      this.pendingLength = 0;
      this.discarding = true;
      handler.overlong();
      return;
    }
    this.reserve(this.pendingLength + n);
    chunk.copy(this.pending, this.pendingLength, from);
    this.pendingLength += n;
  }

  private reserve(size: number): void {
    if (size <= this.pending.length) return;
    const grown = Buffer.allocUnsafe(
      Math.min(this.maxLineLength, Math.max(size, 2 * this.pending.length, 256)),
    );
    this.pending.copy(grown, 0, 0, this.pendingLength);
    this.pending = grown;
  }
}
