/**
 * A growable byte buffer for the binary render formats (pickle, msgpack). Writes append at `length`;
 * the buffer doubles when full, so a 1,000-series answer costs a handful of copies, not one per value.
 */
export class ByteWriter {
  private buf: Buffer;
  /** Bytes written so far. */
  length = 0;

  constructor(initialSize = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  /** A string as UTF-8; Python encodes lone surrogates only with surrogatepass, so they never get here. */
  utf8(s: string): void {
    this.reserve(s.length * 3);
    this.length += this.buf.write(s, this.length, 'utf8');
  }

  uint16LE(v: number): void {
    this.reserve(2);
    this.length = this.buf.writeUInt16LE(v, this.length);
  }

  uint16BE(v: number): void {
    this.reserve(2);
    this.length = this.buf.writeUInt16BE(v, this.length);
  }

  uint32LE(v: number): void {
    this.reserve(4);
    this.length = this.buf.writeUInt32LE(v, this.length);
  }

  uint32BE(v: number): void {
    this.reserve(4);
    this.length = this.buf.writeUInt32BE(v, this.length);
  }

  int32LE(v: number): void {
    this.reserve(4);
    this.length = this.buf.writeInt32LE(v, this.length);
  }

  uint64LE(v: number): void {
    this.reserve(8);
    this.length = this.buf.writeBigUInt64LE(BigInt(v), this.length);
  }

  doubleBE(v: number): void {
    this.reserve(8);
    this.length = this.buf.writeDoubleBE(v, this.length);
  }

  /** Overwrites bytes already written (a frame header reserved earlier). */
  patch(at: number, data: Uint8Array): void {
    if (at + data.length > this.length) throw new Error('BUG: ByteWriter.patch past the end');
    this.buf.set(data, at);
  }

  /** Drops `n` bytes at `at`, moving what follows down (an unused frame header). */
  cut(at: number, n: number): void {
    this.buf.copy(this.buf, at, at + n, this.length);
    this.length -= n;
  }

  /** The bytes written, as a view over the buffer (valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
