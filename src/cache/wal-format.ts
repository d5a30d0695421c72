/**
 * The write-ahead log's bytes, as docs/wal.md describes them: a segment header, then blocks framed with a
 * magic, a length and a CRC-32, each holding whole point records. Pure: buffers in, buffers or points out.
 */
import { crc32 } from './crc32.js';

/** First 8 bytes of every segment: the format's name and version. */
export const SEGMENT_HEADER = Buffer.from('CBDWAL01', 'latin1');
/** Bytes FE 57 41 4C start every block; 0xFE never occurs in UTF-8, so never in a metric name. */
export const BLOCK_MAGIC = Buffer.from([0xfe, 0x57, 0x41, 0x4c]);
const MAGIC_U32 = BLOCK_MAGIC.readUInt32LE(0);
/** magic + length + crc32. */
export const BLOCK_HEADER_BYTES = 12;
/** Longest payload a reader accepts; a longer length field is taken as corruption. */
export const MAX_BLOCK_PAYLOAD = 4 << 20;
/** A record's bytes besides the name: u16 name length, f64 timestamp, f64 value. */
const RECORD_FIXED_BYTES = 18;
const MAX_NAME_BYTES = 0xffff;

/**
 * Encodes accepted points into blocks. Records go straight into a chunk buffer behind room for a block
 * header; `take()` seals the block (length and CRC) and hands out finished blocks as views, so a flush
 * copies nothing. Later blocks continue in the same chunk after the sealed part.
 */
export class BlockBuilder {
  private chunk: Buffer = Buffer.alloc(0);
  // A DataView over `chunk`: its setFloat64 compiles to a store, where Buffer#writeDoubleLE copies bytes.
  private view = new DataView(this.chunk.buffer, this.chunk.byteOffset, 0);
  /** Where the block being built starts in `chunk` (its header). */
  private blockStart = 0;
  private pos = 0;
  private sealed: Buffer[] = [];
  /** Points appended since the last `take()`. */
  points = 0;

  constructor(private readonly chunkBytes = 256 * 1024) {
    if (chunkBytes > MAX_BLOCK_PAYLOAD + BLOCK_HEADER_BYTES)
      throw new Error('BUG: chunk larger than a block');
  }

  /** Appends one record; false (nothing appended) when the name is over 65535 bytes in UTF-8. */
  append(name: string, timestamp: number, value: number): boolean {
    if (name.length > MAX_NAME_BYTES) return false;
    // A UTF-16 code unit takes at most 3 bytes in UTF-8 (a surrogate pair, 2 units, takes 4).
    const worst = RECORD_FIXED_BYTES + name.length * 3;
    if (this.pos + worst > this.chunk.length) this.newChunk(worst);
    const chunk = this.chunk;
    const at = this.pos;
    const nameAt = at + 2;
    // Metric names are nearly always ASCII: copying char codes beats Buffer#write's argument handling
    // (measured ~1.5x on 30-byte names); any other character falls back to the UTF-8 encoder.
    const len = name.length;
    let n = len;
    for (let k = 0; k < len; k++) {
      const c = name.charCodeAt(k);
      if (c > 0x7f) {
        n = chunk.write(name, nameAt, 'utf8');
        if (n > MAX_NAME_BYTES) return false;
        break;
      }
      chunk[nameAt + k] = c;
    }
    chunk[at] = n & 0xff;
    chunk[at + 1] = n >>> 8;
    this.view.setFloat64(nameAt + n, timestamp, true);
    this.view.setFloat64(nameAt + n + 8, value, true);
    this.pos = nameAt + n + 16;
    this.points++;
    return true;
  }

  /** Seals the open block and returns every finished block, in order; the builder starts afresh. */
  take(): Buffer[] {
    this.seal();
    const out = this.sealed;
    this.sealed = [];
    this.points = 0;
    return out;
  }

  private newChunk(worst: number): void {
    this.seal();
    const size = Math.max(this.chunkBytes, worst + BLOCK_HEADER_BYTES);
    this.chunk = Buffer.allocUnsafe(size);
    this.view = new DataView(this.chunk.buffer, this.chunk.byteOffset, size);
    this.blockStart = 0;
    this.pos = BLOCK_HEADER_BYTES;
  }

  private seal(): void {
    const payloadStart = this.blockStart + BLOCK_HEADER_BYTES;
    if (this.pos <= payloadStart) return;
    const block = this.chunk.subarray(this.blockStart, this.pos);
    sealBlock(block);
    this.sealed.push(block);
    this.blockStart = this.pos;
    this.pos = this.blockStart + BLOCK_HEADER_BYTES;
    // Too little room left for a header and a small record: the next append starts a new chunk.
    if (this.pos > this.chunk.length) this.pos = this.chunk.length;
  }
}

/** Fills in magic, length and CRC of a block whose payload follows its 12 header bytes. */
export function sealBlock(block: Buffer): void {
  const length = block.length - BLOCK_HEADER_BYTES;
  if (length > MAX_BLOCK_PAYLOAD) throw new Error(`BUG: block payload of ${length} bytes`);
  block.writeUInt32LE(MAGIC_U32, 0);
  block.writeUInt32LE(length, 4);
  block.writeUInt32LE(crc32(block, BLOCK_HEADER_BYTES, block.length), 8);
}

/** Encodes points as one block (tests and tools; the WAL itself uses BlockBuilder). */
export function encodeBlock(points: { name: string; timestamp: number; value: number }[]): Buffer {
  const b = new BlockBuilder(MAX_BLOCK_PAYLOAD + BLOCK_HEADER_BYTES);
  for (const p of points)
    if (!b.append(p.name, p.timestamp, p.value)) throw new Error(`name of ${p.name.length} chars too long`);
  const blocks = b.take();
  return blocks.length === 1 ? Buffer.from(blocks[0]) : Buffer.alloc(0);
}

/** What reading one segment found. `problems` name the byte offset of each. */
export interface SegmentReport {
  points: number;
  blocks: number;
  corruptBlocks: number;
  /** True when the segment ends inside a block (the process died in a write); that block is ignored. */
  tornTail: boolean;
  /** True when the segment does not start with SEGMENT_HEADER; nothing is read from it. */
  badHeader: boolean;
  problems: string[];
}

/** Called for each record in file order. */
export type PointVisitor = (name: string, timestamp: number, value: number) => void;

/**
 * Reads a whole segment, calling `visit` for each point of each good block. Corrupt blocks are skipped
 * (counted, described in `problems`) and reading goes on at the next block; damage after which no block
 * follows is a torn tail. See docs/wal.md, "Replay".
 */
export function readSegment(bytes: Buffer, visit: PointVisitor): SegmentReport {
  const report: SegmentReport = {
    points: 0,
    blocks: 0,
    corruptBlocks: 0,
    tornTail: false,
    badHeader: false,
    problems: [],
  };
  if (
    bytes.length < SEGMENT_HEADER.length ||
    !bytes.subarray(0, SEGMENT_HEADER.length).equals(SEGMENT_HEADER)
  ) {
    report.badHeader = true;
    const got = bytes.subarray(0, SEGMENT_HEADER.length).toString('latin1');
    report.problems.push(`segment header got ${JSON.stringify(got)}; want "CBDWAL01"`);
    return report;
  }
  const size = bytes.length;
  let at = SEGMENT_HEADER.length;
  while (at < size) {
    const complete = at + BLOCK_HEADER_BYTES <= size;
    const magicOk = complete && bytes.readUInt32LE(at) === MAGIC_U32;
    const length = complete ? bytes.readUInt32LE(at + 4) : 0;
    const end = at + BLOCK_HEADER_BYTES + length;
    if (magicOk && length <= MAX_BLOCK_PAYLOAD && end <= size) {
      const want = bytes.readUInt32LE(at + 8);
      const got = crc32(bytes, at + BLOCK_HEADER_BYTES, end);
      const problem =
        got !== want
          ? `crc32 got ${hex(got)}; want ${hex(want)}`
          : checkRecords(bytes, at + BLOCK_HEADER_BYTES, end);
      if (problem === null) {
        report.points += visitRecords(bytes, at + BLOCK_HEADER_BYTES, end, visit);
        report.blocks++;
        at = end;
        continue;
      }
      report.corruptBlocks++;
      report.problems.push(`block at byte ${at} (${length} bytes): ${problem}; skipped`);
      // The length was intact if a block (or the end of the file) follows it.
      at = end === size || isMagicAt(bytes, end) ? end : nextMagic(bytes, at + 1);
      if (at < 0) break;
      continue;
    }
    // No block here, or one that runs past the end: a torn tail unless a good block follows somewhere.
    const next = nextMagic(bytes, at + 1);
    const what = !complete
      ? `${size - at} bytes, less than a block header`
      : !magicOk
        ? `got ${bytes.subarray(at, at + 4).toString('hex')}; want magic fe57414c`
        : `length ${length} runs past the end of the segment (${size - at - BLOCK_HEADER_BYTES} bytes left)`;
    if (next < 0) {
      report.tornTail = true;
      report.problems.push(`torn tail at byte ${at}: ${what}; ignored`);
      break;
    }
    report.corruptBlocks++;
    report.problems.push(`block at byte ${at}: ${what}; skipped to byte ${next}`);
    at = next;
  }
  return report;
}

function isMagicAt(bytes: Buffer, at: number): boolean {
  return at + 4 <= bytes.length && bytes.readUInt32LE(at) === MAGIC_U32;
}

function nextMagic(bytes: Buffer, from: number): number {
  return bytes.indexOf(BLOCK_MAGIC, from);
}

/** null when `[start, end)` is whole records, else what is wrong. */
function checkRecords(bytes: Buffer, start: number, end: number): string | null {
  let at = start;
  while (at < end) {
    if (at + 2 > end) return `record at byte ${at} cut short`;
    const n = bytes.readUInt16LE(at);
    if (at + RECORD_FIXED_BYTES + n > end) return `record at byte ${at} (name of ${n} bytes) cut short`;
    at += RECORD_FIXED_BYTES + n;
  }
  return null;
}

function visitRecords(bytes: Buffer, start: number, end: number, visit: PointVisitor): number {
  let at = start;
  let count = 0;
  // Consecutive records of one metric are common (a client sending a batch); reuse the decoded name.
  let lastName = '';
  let lastStart = -1;
  let lastLength = -1;
  while (at < end) {
    const n = bytes.readUInt16LE(at);
    const nameAt = at + 2;
    let name: string;
    if (n === lastLength && bytes.compare(bytes, lastStart, lastStart + n, nameAt, nameAt + n) === 0) {
      name = lastName;
    } else {
      name = bytes.toString('utf8', nameAt, nameAt + n);
      lastName = name;
      lastLength = n;
    }
    lastStart = nameAt;
    visit(name, bytes.readDoubleLE(nameAt + n), bytes.readDoubleLE(nameAt + n + 8));
    at = nameAt + n + 16;
    count++;
  }
  return count;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
