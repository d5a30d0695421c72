/**
 * Carbon's plaintext protocol, one line: `path value timestamp`.
 *
 * Fields are split as carbon's MetricLineReceiver does (`line.strip().split()` in carbon/protocols.py):
 * on runs of ASCII whitespace, which for Python's str.split includes \x1c-\x1f. The line must be
 * valid UTF-8, as carbon's `line.decode('utf-8')`; carbon lets that error escape and drops the
 * connection, we drop only the line. The scan runs over the bytes once, with no regex and no
 * per-line split, and decodes only the name to a string.
 */

import type { PointBatch } from '../batch.js';
import { explainBadTimestamp, type PointLimits, toTimestamp } from '../datapoint.js';
import { explainBadDecimal, parseDecimal } from '../decimal.js';
import { FNV_BASIS, type NameInterner } from '../intern.js';
import { isPlainName, normalizeMetricName, quote } from '../names.js';
import type { DropReason } from '../stats.js';

/** How to read a line: the limits, and the clock for timestamp -1 ("now"), passed in to stay pure. */
export interface LineOptions extends PointLimits {
  /** Epoch seconds that timestamp -1 stands for. */
  now: number;
}

/** An accepted line: a normalized name, a finite value, whole epoch seconds. */
export interface ParsedLine {
  ok: true;
  name: string;
  value: number;
  timestamp: number;
}

/** A refused line: the counter to bump and a message that quotes the bad part. */
export interface LineError {
  ok: false;
  reason: DropReason;
  error: string;
}

// 1 for the bytes Python's bytes/str split() treats as whitespace: \t \n \v \f \r, \x1c-\x1f, space.
const SPACE = new Uint8Array(256);
for (const c of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20]) SPACE[c] = 1;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses the line `buf[start, end)` (no trailing newline needed; surrounding whitespace, including
 * `\r`, is ignored). Returns null for a blank line: it carries no metric, so it is skipped without
 * counting (carbon logs it as invalid).
 *
 * Receivers pass `into`, one object filled in and returned for every good line (no allocation per
 * line), and `names`, the names accepted before by their bytes (intern.ts): a name found there is
 * taken as it is, already checked and normalized.
 */
export function parseLine(
  buf: Buffer,
  start: number,
  end: number,
  options: LineOptions,
  into?: ParsedLine,
  names?: NameInterner,
): ParsedLine | LineError | null {
  let i = start;
  while (i < end && SPACE[buf[i]] === 1) i++;
  if (i === end) return null;
  const nameStart = i;
  let high = 0;
  let hash = FNV_BASIS;
  for (; i < end; i++) {
    const b = buf[i];
    if (SPACE[b] === 1) break;
    high |= b;
    hash = Math.imul(hash ^ b, 0x01000193); // fnvStep, inline: this loop runs for every byte of every name
  }
  const nameEnd = i;
  while (i < end && SPACE[buf[i]] === 1) i++;
  const valueStart = i;
  while (i < end && SPACE[buf[i]] === 0) i++;
  const valueEnd = i;
  while (i < end && SPACE[buf[i]] === 1) i++;
  const timeStart = i;
  while (i < end && SPACE[buf[i]] === 0) i++;
  const timeEnd = i;
  while (i < end && SPACE[buf[i]] === 1) i++;
  if (timeStart === timeEnd || i !== end) return fieldCountError(buf, start, end);

  const value = parseDecimal(buf, valueStart, valueEnd);
  if (!Number.isFinite(value)) {
    return fail('badValue', `value ${explainBadDecimal(text(buf, valueStart, valueEnd))}`, buf, start, end);
  }
  const t = parseDecimal(buf, timeStart, timeEnd);
  const timestamp = Number.isNaN(t) ? -1 : toTimestamp(t, options.now, options.maxTimestamp);
  if (timestamp < 0) {
    const shown = text(buf, timeStart, timeEnd);
    const why = Number.isNaN(t)
      ? `timestamp ${explainBadDecimal(shown)}`
      : explainBadTimestamp(shown, t, options.maxTimestamp);
    return fail('badTimestamp', why, buf, start, end);
  }

  if (names !== undefined) {
    const known = names.get(buf, nameStart, nameEnd, hash);
    if (known !== undefined) return accepted(known, value, timestamp, into);
  }
  if (high < 0x80 && isPlainName(buf, nameStart, nameEnd, options.names)) {
    const name = buf.toString('latin1', nameStart, nameEnd);
    names?.add(buf, nameStart, nameEnd, hash, name);
    return accepted(name, value, timestamp, into);
  }
  let raw: string;
  if (high < 0x80) raw = buf.toString('latin1', nameStart, nameEnd);
  else {
    try {
      raw = utf8.decode(buf.subarray(nameStart, nameEnd));
    } catch {
      const at = firstBadUtf8(buf, nameStart, nameEnd) - start;
      return fail('badEncoding', `got a name that is not UTF-8 at byte ${at}`, buf, start, end);
    }
  }
  const name = normalizeMetricName(raw, options.names);
  if (!name.ok) return { ok: false, reason: 'badName', error: name.error };
  names?.add(buf, nameStart, nameEnd, hash, name.name);
  return accepted(name.name, value, timestamp, into);
}

// Exact powers of ten up to 1e22, as decimal.ts uses them: a quotient of two exact doubles is correctly rounded.
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Parses the lines of `buf[start, end)` that have the shape nearly every agent sends — a name met before,
 * one space, a plain decimal value (`-12.5`: sign, digits, fraction, at most 15 significant digits), one
 * space, whole epoch seconds, `\n` — pushing each point to `batch`, in one pass over the bytes. It stops at
 * the first line of any other shape and returns that line's offset (`end` when it took every line); the
 * caller gives such a line to `parseLine`, which knows every rule, and carries on after it.
 *
 * Why: `parseLine` is called per line after the splitter's search for its `\n`, scans the value and
 * timestamp twice (for their ends, then for their digits), and returns through an object. Here each byte
 * is read once. A line taken here gets exactly what `parseLine` would give it: the name is one `names`
 * accepted before, the value is computed as `parseDecimal` computes it (Clinger's fast path), and the
 * timestamp passes the same limit. `start` must be the start of a line, and `end` just after a `\n`.
 *
 * Two shortcuts follow from how agents send (an interval's metrics in the same order each time, all with
 * the interval's timestamp), each checked byte for byte, so a line that breaks the pattern only takes
 * the longer way:
 * - the name is first compared with the one that followed the previous line's name last time
 *   (`NameInterner.nextAfter`, four bytes at a time, `batch.lastEntry` carrying the previous name across
 *   reads); only when that fails is it hashed and looked up;
 * - a timestamp with the same bytes as the previous line's, in the same buffer, is not parsed again.
 * parse.bench.ts, 10,000 names in turn: 66 -> 32 ns a line (the hash lookup had been half of it).
 */
export function parseCommonLines(
  buf: Uint8Array,
  start: number,
  end: number,
  options: LineOptions & { maxLineLength: number },
  names: NameInterner,
  batch: PointBatch,
): number {
  const { maxTimestamp, maxLineLength } = options;
  const words = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let previous = batch.lastEntry;
  let lastTimeAt = -1;
  let lastTimeLength = 0;
  let lastTime = 0;
  let line = start;
  while (line < end) {
    let i = line;
    let entry = names.nextAfter(previous, buf, words, line, end);
    let nameEnd: number;
    let b: number;
    if (entry >= 0) {
      nameEnd = line + names.lengthOf(entry);
      i = nameEnd;
    } else {
      let hash = FNV_BASIS;
      b = buf[i];
      // The name: printable ASCII up to one space.
      while (b > 0x20 && b < 0x7f) {
        hash = Math.imul(hash ^ b, 0x01000193);
        b = buf[++i];
      }
      if (b !== 0x20 || i === line) return line;
      nameEnd = i;
      entry = names.find(buf, line, nameEnd, hash);
      if (entry < 0) return line;
    }
    b = buf[++i];
    let negative = false;
    if (b === 0x2d) {
      negative = true;
      b = buf[++i];
    }
    let mantissa = 0;
    let digits = 0;
    let fraction = 0;
    const valueStart = i;
    while (b >= 0x30 && b <= 0x39) {
      if (digits > 0 || b !== 0x30) {
        digits++;
        mantissa = mantissa * 10 + (b - 0x30);
      }
      b = buf[++i];
    }
    let sawDigit = i > valueStart;
    if (b === 0x2e) {
      b = buf[++i];
      const fractionStart = i;
      while (b >= 0x30 && b <= 0x39) {
        if (digits > 0 || b !== 0x30) {
          digits++;
          mantissa = mantissa * 10 + (b - 0x30);
        }
        b = buf[++i];
      }
      fraction = i - fractionStart;
      sawDigit ||= fraction > 0;
    }
    if (b !== 0x20 || !sawDigit || digits > 15 || fraction > 22) return line;
    const timeStart = ++i;
    let timestamp: number;
    if (lastTimeAt >= 0 && sameBytes(buf, words, timeStart, lastTimeAt, lastTimeLength, end)) {
      timestamp = lastTime;
      i += lastTimeLength;
    } else {
      timestamp = 0;
      b = buf[i];
      while (b >= 0x30 && b <= 0x39) {
        timestamp = timestamp * 10 + (b - 0x30);
        b = buf[++i];
      }
      if (b !== 0x0a || i === timeStart || i - timeStart > 15 || timestamp > maxTimestamp) return line;
      lastTimeAt = timeStart;
      lastTimeLength = i - timeStart;
      lastTime = timestamp;
    }
    // Only a value padded with thousands of zeros gets here; parseLine's caller refuses it as too long.
    if (i - line > maxLineLength) return line;
    const v = fraction === 0 ? mantissa : mantissa / POW10[fraction];
    batch.push(names.nameOf(entry), timestamp, negative ? -v : v, entry);
    names.follow(previous, entry);
    previous = entry;
    batch.lastEntry = entry;
    line = i + 1;
  }
  return line;
}

/**
 * True when `buf[at, at + n)` holds the same bytes as `buf[from, from + n)` (an earlier timestamp, digits
 * only) and a `\n` follows them before `end`.
 */
function sameBytes(
  buf: Uint8Array,
  words: DataView,
  at: number,
  from: number,
  n: number,
  end: number,
): boolean {
  if (at + n >= end || buf[at + n] !== 0x0a) return false;
  let k = 0;
  for (; k + 4 <= n; k += 4)
    if (words.getInt32(at + k, true) !== words.getInt32(from + k, true)) return false;
  for (; k < n; k++) if (buf[at + k] !== buf[from + k]) return false;
  return true;
}

function accepted(name: string, value: number, timestamp: number, into: ParsedLine | undefined): ParsedLine {
  if (into === undefined) return { ok: true, name, value, timestamp };
  into.name = name;
  into.value = value;
  into.timestamp = timestamp;
  return into;
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629). */
function firstBadUtf8(buf: Buffer, start: number, end: number): number {
  for (let i = start; i < end; ) {
    const b = buf[i];
    const n =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > end) return i;
    try {
      utf8.decode(buf.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return end;
}

function fieldCountError(buf: Buffer, start: number, end: number): LineError {
  let fields = 0;
  for (let i = start; i < end; ) {
    while (i < end && SPACE[buf[i]] === 1) i++;
    if (i === end) break;
    fields++;
    while (i < end && SPACE[buf[i]] === 0) i++;
  }
  return fail('badFieldCount', `got ${fields} fields; want 3 (path value timestamp)`, buf, start, end);
}

function fail(reason: DropReason, why: string, buf: Buffer, start: number, end: number): LineError {
  return { ok: false, reason, error: `${why} in line ${quote(text(buf, start, end).trim())}` };
}

/** The bytes as text for an error message; invalid UTF-8 shows as U+FFFD. */
function text(buf: Buffer, start: number, end: number): string {
  return buf.toString('utf8', start, Math.min(end, start + 400));
}
