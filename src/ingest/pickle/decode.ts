/**
 * Carbon's pickle protocol, one frame: the pickle of a list of `(path, (timestamp, value))` tuples,
 * as carbon-relay, carbon-aggregator and graphite's own clients send (carbon/protocols.py
 * MetricPickleReceiver). The 4-byte length prefix is cut off by frames.ts before this runs.
 *
 * Each item stands alone, as in carbon: one that is not a pair of a path and a pair, or whose numbers
 * do not convert, is skipped and reported, and the rest of the frame is accepted. Numbers convert as
 * Python's `float()` would: ints, floats and bools as they are, strings and bytes through the decimal
 * syntax of decimal.ts. A frame that does not unpickle, or is not a sequence, is refused whole.
 */
import { explainBadTimestamp, type PointLimits, toTimestamp } from '../datapoint.js';
import { explainBadDecimal, parseDecimalString } from '../decimal.js';
import { normalizeMetricName } from '../names.js';
import type { DropReason } from '../stats.js';
import {
  DEFAULT_UNPICKLE_LIMITS,
  PickleDict,
  type PickleValue,
  type UnpickleLimits,
  unpickle,
} from './unpickle.js';

/** Limits and the clock for timestamp -1 ("now"), passed in so decoding stays pure. */
export interface PickleOptions extends PointLimits {
  /** Epoch seconds that timestamp -1 stands for. */
  now: number;
  /** Bounds on the unpickler; defaults to DEFAULT_UNPICKLE_LIMITS. */
  unpickle?: UnpickleLimits;
}

/** One accepted point. */
export interface PicklePoint {
  name: string;
  timestamp: number;
  value: number;
}

/** One skipped item: its index in the frame's list, the counter to bump, and why. */
export interface RejectedItem {
  index: number;
  reason: DropReason;
  error: string;
}

/** The points of a frame and the items skipped, or why the whole frame is refused. */
export type PickleFrameResult =
  | { ok: true; points: PicklePoint[]; rejected: RejectedItem[] }
  | { ok: false; error: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes one frame's payload (without the length prefix). */
export function decodePickleFrame(frame: Uint8Array, options: PickleOptions): PickleFrameResult {
  const r = unpickle(frame, options.unpickle ?? DEFAULT_UNPICKLE_LIMITS);
  if (!r.ok) return r;
  const items = r.value;
  if (!Array.isArray(items)) {
    return { ok: false, error: `got ${describe(items)}; want a list of (path, (timestamp, value))` };
  }
  const points: PicklePoint[] = [];
  const rejected: RejectedItem[] = [];
  for (let index = 0; index < items.length; index++) {
    const p = decodeItem(items[index], options);
    if ('reason' in p) rejected.push({ index, reason: p.reason, error: `item ${index}: ${p.error}` });
    else points.push(p);
  }
  return { ok: true, points, rejected };
}

function decodeItem(item: PickleValue, options: PickleOptions): PicklePoint | Omit<RejectedItem, 'index'> {
  if (!Array.isArray(item) || item.length !== 2 || !Array.isArray(item[1]) || item[1].length !== 2) {
    return { reason: 'badItem', error: `got ${describe(item)}; want (path, (timestamp, value))` };
  }
  const [path, [rawTime, rawValue]] = item as [PickleValue, PickleValue[]];
  const value = toFloat(rawValue);
  if (!Number.isFinite(value)) return { reason: 'badValue', error: `value ${explainNumber(rawValue)}` };
  const t = toFloat(rawTime);
  const timestamp = Number.isNaN(t) ? -1 : toTimestamp(t, options.now, options.maxTimestamp);
  if (timestamp < 0) {
    const why = Number.isNaN(t)
      ? `timestamp ${explainNumber(rawTime)}`
      : explainBadTimestamp(typeof rawTime === 'string' ? rawTime : String(t), t, options.maxTimestamp);
    return { reason: 'badTimestamp', error: why };
  }
  let raw: string;
  if (typeof path === 'string') raw = path;
  else if (path instanceof Uint8Array) {
    try {
      raw = utf8.decode(path);
    } catch {
      return { reason: 'badEncoding', error: 'got a path of bytes that are not UTF-8' };
    }
  } else return { reason: 'badName', error: `got path ${describe(path)}; want a string` };
  const name = normalizeMetricName(raw, options.names);
  if (!name.ok) return { reason: 'badName', error: name.error };
  return { name: name.name, timestamp, value };
}

/** Python's `float(x)` for the types a pickle carries here; NaN when it would raise. */
function toFloat(v: PickleValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parseDecimalString(v.trim());
  if (v instanceof Uint8Array) return parseDecimalString(Buffer.from(v).toString('latin1').trim());
  return Number.NaN;
}

function explainNumber(v: PickleValue): string {
  if (typeof v === 'string') return explainBadDecimal(v.trim());
  if (v instanceof Uint8Array) return explainBadDecimal(Buffer.from(v).toString('latin1').trim());
  if (typeof v === 'number') return explainBadDecimal(String(v));
  return `got ${describe(v)}; want a number`;
}

/** A short Python-flavoured description of a value for error messages. */
function describe(v: PickleValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `str ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`;
  if (v instanceof Uint8Array) return `bytes of length ${v.length}`;
  if (v instanceof PickleDict) return `a dict of ${v.items.length} items`;
  return `${Object.isFrozen(v) ? 'a tuple' : 'a list'} of ${v.length}`;
}
