/**
 * Carbon's plaintext protocol, one line: `path value timestamp`.
 *
 * Fields are split as carbon's MetricLineReceiver does (`line.strip().split()` in carbon/protocols.py):
 * on runs of ASCII whitespace, which for Python's str.split includes \x1c-\x1f. The line must be
 * valid UTF-8, as carbon's `line.decode('utf-8')`; carbon lets that error escape and drops the
 * connection, we drop only the line. The scan runs over the bytes once, with no regex and no
 * per-line split, and decodes only the name to a string.
 */
import { explainBadTimestamp, type PointLimits, toTimestamp } from '../datapoint.js';
import { explainBadDecimal, parseDecimal } from '../decimal.js';
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
 */
export function parseLine(
  buf: Buffer,
  start: number,
  end: number,
  options: LineOptions,
): ParsedLine | LineError | null {
  let i = start;
  while (i < end && SPACE[buf[i]] === 1) i++;
  if (i === end) return null;
  const nameStart = i;
  let high = 0;
  for (; i < end && SPACE[buf[i]] === 0; i++) high |= buf[i];
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

  if (high < 0x80 && isPlainName(buf, nameStart, nameEnd, options.names)) {
    return { ok: true, name: buf.toString('latin1', nameStart, nameEnd), value, timestamp };
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
  return { ok: true, name: name.name, value, timestamp };
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
