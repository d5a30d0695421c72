import { writeShortest } from './float.js';
import { pyFloat } from './python.js';

/** "00" "01" … "99" as ASCII codes: DIGIT_PAIRS[2n] and [2n + 1] are the digits of n. */
const DIGIT_PAIRS = Uint8Array.from(
  { length: 200 },
  (_, i) => 48 + (i & 1 ? (i >> 1) % 10 : ((i >> 1) / 10) | 0),
);

// A value outside writeShortest's range: null, ±1e9999 (upstream's string replace), or Python's repr.
function specialValue(v: number): string {
  if (Number.isNaN(v)) return 'null';
  if (v === Number.POSITIVE_INFINITY) return '1e9999';
  if (v === Number.NEGATIVE_INFINITY) return '-1e9999';
  return pyFloat(v);
}

/** Where a streaming AsciiWriter hands each full piece; `written` gives the piece's memory back. */
export type PieceSink = (piece: Buffer, written: () => void) => void;

/** Size of a streamed piece: small enough for the client to start early, big enough to be few writes. */
export const PIECE_BYTES = 256 * 1024;

// Pieces whose bytes have gone to the kernel, for the next answers: fresh memory is page-faulted in on
// first touch, and a 28 MB answer in fresh pieces spent milliseconds doing that.
const sparePieces: Buffer[] = [];
const MAX_SPARE_PIECES = 32;

function takePiece(size: number): Buffer {
  if (size <= PIECE_BYTES) {
    const spare = sparePieces.pop();
    if (spare !== undefined) return spare;
    return Buffer.allocUnsafeSlow(PIECE_BYTES);
  }
  return Buffer.allocUnsafeSlow(size);
}

function givePieceBack(piece: Buffer): void {
  if (piece.length === PIECE_BYTES && sparePieces.length < MAX_SPARE_PIECES) sparePieces.push(piece);
}

/**
 * An ASCII text builder for the big JSON answers: characters go straight into one Buffer (doubled when
 * full) and become a one-byte string once at the end. A 100-series json answer is 846,000 points and
 * 28 MB; appending each point to a string and joining the pieces cost more than writing the digits.
 * Only ASCII may be written (json.dumps' ensure_ascii output is), one byte per character.
 *
 * Given a `PieceSink`, it streams instead: each full piece of PIECE_BYTES goes to the sink (the HTTP
 * response) and writing goes on in another, so the client reads while the rest is produced; `finish`
 * sends the last piece.
 */
export class AsciiWriter {
  private buf: Buffer;
  private at = 0;
  /** The leading six digits of the last ten-digit timestamp written (datapoints). */
  private readonly six = new Uint8Array(6);

  /** `initialSize`: the expected length (a good guess saves the copies of growing); ignored when streaming. */
  constructor(
    initialSize = 1 << 16,
    private readonly sink?: PieceSink,
  ) {
    this.buf = sink === undefined ? Buffer.allocUnsafe(Math.max(16, initialSize)) : takePiece(PIECE_BYTES);
  }

  /** Streaming: sends what is written and not yet sent. */
  finish(): void {
    if (this.sink === undefined) throw new Error('BUG: finish() on an AsciiWriter that does not stream');
    this.sendPiece(0);
  }

  private sendPiece(room: number): void {
    const full = this.buf;
    if (this.at > 0) {
      this.sink?.(full.subarray(0, this.at), () => givePieceBack(full));
      this.buf = takePiece(room);
      this.at = 0;
    } else if (full.length < room) this.buf = takePiece(room);
  }

  private reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    if (this.sink !== undefined) {
      this.sendPiece(n);
      return;
    }
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  /** Appends ASCII text. Short strings are copied by a loop: a Buffer write call costs more than that. */
  text(s: string): void {
    const n = s.length;
    this.reserve(n);
    const buf = this.buf;
    let at = this.at;
    if (n < 32) for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    else at += buf.write(s, at, 'latin1');
    this.at = at;
  }

  /**
   * Appends a series' datapoints as renderViewJson writes them: `[value, timestamp]` joined by ", ",
   * value i at timestamp `start + i * stride`, null for NaN, ±1e9999 for ±Infinity (upstream's string
   * replace), Python's repr otherwise; NaN values are skipped when `noNullPoints`. Returns how many
   * were written.
   *
   * This is the hot loop of a json answer (846,000 points for 100 series of a day). It keeps the buffer
   * and position in locals, reserves once per point, and writes a timestamp's leading six digits only
   * when they change (every 10,000 s): a method call per point and five divisions per timestamp were
   * 40% of the writing (bench/render movingAverage: 125 -> 73 ms for the answer).
   */
  datapoints(values: Float64Array, start: number, stride: number, noNullPoints: boolean): number {
    let buf = this.buf;
    let at = this.at;
    let written = 0;
    let high = -1;
    const n = values.length;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (noNullPoints && Number.isNaN(v)) continue;
      const t = start + i * stride;
      if (at + 64 > buf.length) {
        this.at = at;
        this.reserve(64);
        buf = this.buf;
        at = this.at;
      }
      if (written++ > 0) {
        buf[at++] = 44; // ,
        buf[at++] = 32;
      }
      buf[at++] = 91; // [
      const magnitude = v < 0 ? -v : v;
      if (magnitude >= 1e-4 && magnitude < 1e16) {
        // Both languages write these positionally with the same shortest round-trip digits (pyFloat).
        // writeShortest writes String(v)'s bytes without making the string (a third of a big json
        // answer's time went to String()), or answers -1 where it is not certain: then String() does.
        const end = writeShortest(buf, at, v);
        if (end >= 0) at = end;
        else at = this.ascii(buf, at, String(v));
        if (Number.isInteger(v)) {
          buf[at++] = 46; // Python's ".0" on whole numbers
          buf[at++] = 48;
        }
      } else at = this.ascii(buf, at, specialValue(v));
      buf[at++] = 44; // ,
      buf[at++] = 32;
      if (t >= 1e9 && t <= 0x7fffffff && (t | 0) === t) {
        // Ten digits: the first six from the last timestamp when they are the same, the last four
        // from the pair table.
        const h = (t / 10000) | 0;
        if (h !== high) {
          high = h;
          this.sixDigits(h);
        }
        const low = t - h * 10000;
        const q = (low / 100) | 0;
        const hiPair = q << 1;
        const loPair = (low - q * 100) << 1;
        const six = this.six;
        buf[at] = six[0];
        buf[at + 1] = six[1];
        buf[at + 2] = six[2];
        buf[at + 3] = six[3];
        buf[at + 4] = six[4];
        buf[at + 5] = six[5];
        buf[at + 6] = DIGIT_PAIRS[hiPair];
        buf[at + 7] = DIGIT_PAIRS[hiPair + 1];
        buf[at + 8] = DIGIT_PAIRS[loPair];
        buf[at + 9] = DIGIT_PAIRS[loPair + 1];
        at += 10;
      } else {
        this.at = this.timestamp(at, t);
        buf = this.buf;
        at = this.at;
      }
      buf[at++] = 93; // ]
    }
    this.at = at;
    return written;
  }

  /** The six digits of `h` (100000 <= h < 1000000) into `six`. */
  private sixDigits(h: number): void {
    const six = this.six;
    for (let end = 6; end > 0; end -= 2) {
      const q = (h / 100) | 0;
      const pair = (h - q * 100) << 1;
      six[end - 2] = DIGIT_PAIRS[pair];
      six[end - 1] = DIGIT_PAIRS[pair + 1];
      h = q;
    }
  }

  // Writes short ASCII text at `at` (room already reserved) and returns the position after it.
  private ascii(buf: Buffer, at: number, s: string): number {
    for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i);
    return at;
  }

  // Epoch seconds in decimal, digit by digit, in int32 arithmetic; anything else (never seen from a
  // store) through String(). datapoints writes the common ten-digit ones itself.
  private timestamp(at: number, t: number): number {
    if (!(t >= 0 && t <= 0x7fffffff && (t | 0) === t)) {
      const s = String(t);
      this.at = at;
      this.reserve(s.length + 1);
      at = this.at;
      for (let i = 0; i < s.length; i++) this.buf[at++] = s.charCodeAt(i);
      return at;
    }
    const buf = this.buf;
    let digits = 1;
    for (let p = 10; p <= t && digits < 10; p *= 10) digits++;
    let end = at + digits;
    const next = end;
    do {
      const q = (t / 10) | 0;
      buf[--end] = 48 + t - q * 10;
      t = q;
    } while (t > 0);
    return next;
  }

  /** Appends one character code (ASCII). */
  byte(c: number): void {
    this.reserve(1);
    this.buf[this.at++] = c;
  }

  /** The bytes written: a view of the writer's buffer, not a copy (write nothing more after taking it). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
  }

  /** The text written, as a one-byte string. */
  toString(): string {
    return this.buf.toString('latin1', 0, this.at);
  }
}
