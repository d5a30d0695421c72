/**
 * The write-ahead log's bytes, as docs/wal.md describes them: a segment header, then blocks framed with a
 * magic, a length and a CRC-32, each holding whole records — one per point, or one per run of plaintext
 * lines kept as received. Pure: buffers in, buffers or points out.
 */
import { DEFAULT_POINT_LIMITS, type PointLimits } from '../ingest/datapoint.js';
import { NameInterner } from '../ingest/intern.js';
import { type LineError, type LineOptions, type ParsedLine, parseLine } from '../ingest/plaintext/parse.js';
import { crc32 } from './crc32.js';

/** First 8 bytes of every segment written now: the format's name and version 2 (raw records). */
export const SEGMENT_HEADER = Buffer.from('CBDWAL02', 'latin1');
/** Version 1's header: point records only. Such segments are still replayed. */
export const SEGMENT_HEADER_V1 = Buffer.from('CBDWAL01', 'latin1');
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
/** Special record kind: plaintext lines as received (version 2). */
export const RAW_KIND_PLAINTEXT = 1;
/** A raw record's bytes besides its lines: u16 0, u8 kind, f64 now, u32 byte length. */
export const RAW_FIXED_BYTES = 15;
/** Most line bytes one raw record holds: what fits a block of the largest payload. */
export const MAX_RAW_BYTES = MAX_BLOCK_PAYLOAD - RAW_FIXED_BYTES;
const NEWLINE = 0x0a;

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

  /**
   * Appends one point record; false (nothing appended) when the name is over 65535 bytes in UTF-8, or
   * empty: a name length of 0 marks a raw record (ingest never accepts an empty name).
   */
  append(name: string, timestamp: number, value: number): boolean {
    if (name.length > MAX_NAME_BYTES || name.length === 0) return false;
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

  /**
   * Appends plaintext lines as received, as one raw record (several when they exceed MAX_RAW_BYTES, cut at
   * a `\n`): `now` is what timestamp -1 stood for, `spans` are runs of whole accepted lines, each ending
   * in `\n` or given one here, and `points` is how many points they hold. False (nothing appended) when
   * one line alone is over MAX_RAW_BYTES; the caller logs the points one by one instead.
   */
  appendLines(now: number, spans: readonly Buffer[], points: number): boolean {
    let total = 0;
    for (const span of spans) total += span.length + (endsLine(span) ? 0 : 1);
    if (total > MAX_RAW_BYTES) return this.appendLinesCut(now, spans, points);
    this.rawRecord(now, spans, total);
    this.points += points;
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

  /** Writes one raw record of `spans`, whose bytes with the added newlines are `total`. */
  private rawRecord(now: number, spans: readonly Buffer[], total: number): void {
    const worst = RAW_FIXED_BYTES + total;
    if (this.pos + worst > this.chunk.length) this.newChunk(worst);
    const chunk = this.chunk;
    const at = this.pos;
    chunk[at] = 0;
    chunk[at + 1] = 0;
    chunk[at + 2] = RAW_KIND_PLAINTEXT;
    this.view.setFloat64(at + 3, now, true);
    this.view.setUint32(at + 11, total, true);
    let p = at + RAW_FIXED_BYTES;
    for (const span of spans) {
      p += span.copy(chunk, p);
      if (!endsLine(span)) chunk[p++] = NEWLINE;
    }
    this.pos = p;
  }

  /** The rare path of `appendLines`: lines over one record's limit, cut into records at `\n`. */
  private appendLinesCut(now: number, spans: readonly Buffer[], points: number): boolean {
    // Cut every span into pieces of at most MAX_RAW_BYTES ending at a line end, before writing anything.
    const pieces: Buffer[] = [];
    for (const span of spans) {
      let from = 0;
      while (span.length - from + (endsLine(span) ? 0 : 1) > MAX_RAW_BYTES) {
        const nl = span.lastIndexOf(NEWLINE, from + MAX_RAW_BYTES - 1);
        if (nl < from) return false;
        pieces.push(span.subarray(from, nl + 1));
        from = nl + 1;
      }
      if (from < span.length) pieces.push(span.subarray(from));
    }
    let group: Buffer[] = [];
    let bytes = 0;
    for (const piece of pieces) {
      const n = piece.length + (endsLine(piece) ? 0 : 1);
      if (bytes + n > MAX_RAW_BYTES) {
        this.rawRecord(now, group, bytes);
        group = [];
        bytes = 0;
      }
      group.push(piece);
      bytes += n;
    }
    if (group.length > 0) this.rawRecord(now, group, bytes);
    this.points += points;
    return true;
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

function endsLine(span: Buffer): boolean {
  return span.length > 0 && span[span.length - 1] === NEWLINE;
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
    if (!b.append(p.name, p.timestamp, p.value))
      throw new Error(`name of ${p.name.length} chars; want 1 to 65535 bytes`);
  const blocks = b.take();
  return blocks.length === 1 ? Buffer.from(blocks[0]) : Buffer.alloc(0);
}

/** What reading one segment found. `problems` name the byte offset of each. */
export interface SegmentReport {
  /** 1 or 2, from the header; 0 when the header is bad. */
  version: number;
  points: number;
  blocks: number;
  corruptBlocks: number;
  /** Raw lines that the limits refused on replay (they were accepted when received: the limits changed). */
  refusedLines: number;
  /** True when the segment ends inside a block (the process died in a write); that block is ignored. */
  tornTail: boolean;
  /** True when the segment does not start with a known header; nothing is read from it. */
  badHeader: boolean;
  problems: string[];
}

/** Called for each point in file order. */
export type PointVisitor = (name: string, timestamp: number, value: number) => void;

/** How `readSegment` reads raw records. */
export interface ReadOptions {
  /** Limits the raw lines are parsed under: the plaintext receivers'. Default DEFAULT_POINT_LIMITS. */
  limits?: Readonly<PointLimits>;
  /** Told of each raw line the limits refuse (counted in `refusedLines` as well). */
  refused?: (error: LineError) => void;
}

/**
 * Reads a whole segment, calling `visit` for each point of each good block: a point record's point, or
 * each line of a raw record that `parseLine` accepts under `options.limits`. Corrupt blocks are skipped
 * (counted, described in `problems`) and reading goes on at the next block; damage after which no block
 * follows is a torn tail. See docs/wal.md, "Replay".
 */
export function readSegment(bytes: Buffer, visit: PointVisitor, options: ReadOptions = {}): SegmentReport {
  const report: SegmentReport = {
    version: 0,
    points: 0,
    blocks: 0,
    corruptBlocks: 0,
    refusedLines: 0,
    tornTail: false,
    badHeader: false,
    problems: [],
  };
  const head = bytes.subarray(0, SEGMENT_HEADER.length);
  if (head.equals(SEGMENT_HEADER)) report.version = 2;
  else if (head.equals(SEGMENT_HEADER_V1)) report.version = 1;
  else {
    report.badHeader = true;
    report.problems.push(
      `segment header got ${JSON.stringify(head.toString('latin1'))}; want "CBDWAL02" or "CBDWAL01"`,
    );
    return report;
  }
  const records = new RecordReader(bytes, report, visit, options);
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
          : checkRecords(bytes, at + BLOCK_HEADER_BYTES, end, report.version);
      if (problem === null) {
        records.visit(at + BLOCK_HEADER_BYTES, end);
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

/**
 * null when `[start, end)` is whole records, else what is wrong. In version 1 a name length of 0 is an
 * (empty-named) point record; in version 2 it opens a raw record, whose kind must be known.
 */
function checkRecords(bytes: Buffer, start: number, end: number, version: number): string | null {
  let at = start;
  while (at < end) {
    if (at + 2 > end) return `record at byte ${at} cut short`;
    const n = bytes.readUInt16LE(at);
    if (n === 0 && version >= 2) {
      if (at + RAW_FIXED_BYTES > end) return `raw record at byte ${at} cut short in its header`;
      const kind = bytes[at + 2];
      if (kind !== RAW_KIND_PLAINTEXT)
        return `raw record at byte ${at}: got kind ${kind}; want ${RAW_KIND_PLAINTEXT} (plaintext lines)`;
      const length = bytes.readUInt32LE(at + 11);
      if (at + RAW_FIXED_BYTES + length > end)
        return `raw record at byte ${at}: length ${length} runs past the block end (${end - at - RAW_FIXED_BYTES} bytes left)`;
      at += RAW_FIXED_BYTES + length;
      continue;
    }
    if (at + RECORD_FIXED_BYTES + n > end) return `record at byte ${at} (name of ${n} bytes) cut short`;
    at += RECORD_FIXED_BYTES + n;
  }
  return null;
}

/** Visits the records of checked blocks; keeps what is worth keeping across blocks of one segment. */
class RecordReader {
  private readonly lineOptions: LineOptions;
  private readonly parsed: ParsedLine = { ok: true, name: '', value: 0, timestamp: 0 };
  // Raw lines repeat their names as the receiver saw them: intern as it does, to decode each name once.
  private names: NameInterner | undefined;

  constructor(
    private readonly bytes: Buffer,
    private readonly report: SegmentReport,
    private readonly visitPoint: PointVisitor,
    private readonly options: ReadOptions,
  ) {
    this.lineOptions = { ...(options.limits ?? DEFAULT_POINT_LIMITS), now: 0 };
  }

  visit(start: number, end: number): void {
    const { bytes, visitPoint } = this;
    const raw = this.report.version >= 2;
    let at = start;
    // Consecutive records of one metric are common (a client sending a batch); reuse the decoded name.
    let lastName = '';
    let lastStart = -1;
    let lastLength = -1;
    while (at < end) {
      const n = bytes.readUInt16LE(at);
      if (n === 0 && raw) {
        const length = bytes.readUInt32LE(at + 11);
        const linesAt = at + RAW_FIXED_BYTES;
        this.lines(bytes.readDoubleLE(at + 3), linesAt, linesAt + length);
        at = linesAt + length;
        continue;
      }
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
      visitPoint(name, bytes.readDoubleLE(nameAt + n), bytes.readDoubleLE(nameAt + n + 8));
      this.report.points++;
      at = nameAt + n + 16;
    }
  }

  /** The lines of one raw record, `bytes[start, end)`; the last may lack its `\n`. */
  private lines(now: number, start: number, end: number): void {
    const { bytes, lineOptions, parsed, report, visitPoint } = this;
    lineOptions.now = now;
    this.names ??= new NameInterner();
    const names = this.names;
    let from = start;
    while (from < end) {
      let nl = bytes.indexOf(NEWLINE, from);
      if (nl === -1 || nl > end) nl = end;
      const r = parseLine(bytes, from, nl, lineOptions, parsed, names);
      from = nl + 1;
      if (r === null) continue;
      if (r.ok) {
        visitPoint(r.name, r.timestamp, r.value);
        report.points++;
      } else {
        report.refusedLines++;
        this.options.refused?.(r);
      }
    }
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
