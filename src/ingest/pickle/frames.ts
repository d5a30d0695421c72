/**
 * Cuts a byte stream into carbon's pickle frames: a 4-byte unsigned big-endian length, then that many
 * bytes (twisted's Int32StringReceiver, structFormat "!I", under carbon's MetricPickleReceiver).
 *
 * A frame that lies inside one chunk is passed as a view of it; one spread over chunks is joined
 * once, when its last byte arrives. Never more than one frame plus one chunk is held.
 */
export class FrameSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  // Bytes needed before scanning again: the prefix, or the prefix plus the frame it announces.
  private wanted = 4;

  /**
   * `maxFrameLength` defaults to carbon's PICKLE_RECEIVER_MAX_LENGTH, 2**20 (carbon/conf.py);
   * twisted's own default would be 99999.
   */
  constructor(readonly maxFrameLength: number = 2 ** 20) {}

  /** Bytes held for an unfinished frame. */
  get buffered(): number {
    return this.held;
  }

  /**
   * Feeds one chunk; calls `onFrame` with each complete payload (valid only during the call).
   * Returns null, or the announced length of a frame over the limit. After that the stream cannot
   * be read on: nothing marks where the next frame starts, so the caller must close the connection
   * (as twisted's lengthLimitExceeded does).
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): number | null {
    if (this.held === 0) return this.scan(chunk, onFrame);
    this.parts.push(chunk);
    this.held += chunk.length;
    if (this.held < this.wanted) return null;
    const joined = Buffer.concat(this.parts, this.held);
    this.parts = [];
    this.held = 0;
    return this.scan(joined, onFrame);
  }

  private scan(buf: Buffer, onFrame: (frame: Buffer) => void): number | null {
    let pos = 0;
    while (buf.length - pos >= 4) {
      const length = buf.readUInt32BE(pos);
      if (length > this.maxFrameLength) {
        this.parts = [];
        this.held = 0;
        this.wanted = 4;
        return length;
      }
      if (buf.length - pos - 4 < length) break;
      onFrame(buf.subarray(pos + 4, pos + 4 + length));
      pos += 4 + length;
    }
    const rest = buf.length - pos;
    this.wanted = rest >= 4 ? 4 + buf.readUInt32BE(pos) : 4;
    if (rest > 0) {
      this.parts = [buf.subarray(pos)];
      this.held = rest;
    }
    return null;
  }
}
