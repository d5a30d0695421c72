import type { Series } from '../../storage/series.js';
import { ByteWriter } from './bytes.js';
import { consolidationFuncOf, SERIES_INFO_KEYS, VALUES_PER_POINT } from './series-info.js';

// Opcodes of Python's pickle protocol 5 (Lib/pickle.py names); only those CPython's C pickler emits
// for a list of getInfo() dicts.
const PROTO = 0x80;
const FRAME = 0x95;
const STOP = 0x2e;
const MARK = 0x28;
const EMPTY_LIST = 0x5d;
const EMPTY_DICT = 0x7d;
const APPEND = 0x61;
const APPENDS = 0x65;
const SETITEMS = 0x75;
const MEMOIZE = 0x94;
const BINGET = 0x68;
const LONG_BINGET = 0x6a;
const SHORT_BINUNICODE = 0x8c;
const BINUNICODE = 0x58;
const BININT1 = 0x4b;
const BININT2 = 0x4d;
const BININT = 0x4a;
const LONG1 = 0x8a;
const BINFLOAT = 0x47;
const NONE = 0x4e;
const NEWTRUE = 0x88;
const NEWFALSE = 0x89;
const TUPLE2 = 0x86;

/** CPython's _FRAME_SIZE_TARGET: a frame is closed once it holds this many bytes. */
const FRAME_SIZE_TARGET = 64 * 1024;
/** CPython writes no FRAME header for a final frame shorter than this (FRAME_SIZE_MIN). */
const FRAME_SIZE_MIN = 4;
const FRAME_HEADER_SIZE = 9;
/** CPython's BATCHSIZE: APPENDS and SETITEMS carry at most this many items each. */
const BATCHSIZE = 1000;

/**
 * graphite-web 1.1.8's format=pickle body: `pickle.dump([series.getInfo() ...], protocol=-1)` as
 * CPython 3.11's C pickler writes it (protocol 5, 64 KiB frames, MEMOIZE after every string and
 * container, batches of 1000), so a graphite-web cluster frontend (remote.py's unpickle) reads it and
 * the bytes match graphite-web's own for fetched series.
 *
 * Python memoizes by object identity, which a port cannot see; this writer follows what identity is
 * in graphite-web's fetch path: the dict keys are one set of string objects (repeat keys are BINGETs),
 * the series of one fetch share their pathExpression object and 'average' is one constant (repeats
 * are BINGETs), each name is its own object. Where a function made the series, graphite-web may
 * share objects differently (a name that is also the pathExpression); the bytes then differ in memo
 * references only and unpickle to the same value.
 */
export function pickleSeriesInfo(seriesList: Series[]): Buffer {
  const p = new Pickler();
  p.out.byte(PROTO);
  p.out.byte(5);
  p.startFrame();
  p.boundary();
  p.out.byte(EMPTY_LIST);
  p.memoize();
  p.items(seriesList.length, (i) => p.seriesInfo(seriesList[i]));
  p.out.byte(STOP);
  p.endFrame();
  return Buffer.from(p.out.view());
}

/** One /metrics/find match as pickle_nodes and msgpack_nodes write it; intervals only for leaves. */
export interface FindNodeInfo {
  path: string;
  isLeaf: boolean;
  /** [start, end] epoch seconds where the leaf holds data (graphite-web's node.intervals). */
  intervals?: Array<[number, number]>;
}

/**
 * graphite-web 1.1.8's /metrics/find?format=pickle body (metrics/views.py pickle_nodes): a list of
 * dicts {path, is_leaf, intervals (leaves only)} with the framing, batching and key memo of
 * pickleSeriesInfo. graphite-web pickles `intervals` as a graphite.intervals.IntervalSet instance;
 * here it is a list of (start, end) tuples, which RemoteFinder.find_nodes (finders/remote.py) turns
 * into an IntervalSet itself, and which any unpickler reads without graphite's classes.
 */
export function pickleFindNodes(nodes: FindNodeInfo[]): Buffer {
  const p = new Pickler();
  p.out.byte(PROTO);
  p.out.byte(5);
  p.startFrame();
  p.boundary();
  p.out.byte(EMPTY_LIST);
  p.memoize();
  p.items(nodes.length, (i) => p.findNode(nodes[i]));
  p.out.byte(STOP);
  p.endFrame();
  return Buffer.from(p.out.view());
}

class Pickler {
  readonly out = new ByteWriter();
  private memoCount = 0;
  private frameStart = -1;
  /** Memo index of each dict key, once written. */
  private readonly keys = new Map<string, number>();
  /** Memo index of pathExpression and consolidationFunc strings (shared objects in graphite-web). */
  private readonly shared = new Map<string, number>();

  startFrame(): void {
    this.frameStart = this.out.length;
    for (let i = 0; i < FRAME_HEADER_SIZE; i++) this.out.byte(0);
  }

  /** Closes the frame and writes its header, or drops the header of a tiny final frame. */
  endFrame(): void {
    const size = this.out.length - this.frameStart - FRAME_HEADER_SIZE;
    if (size < FRAME_SIZE_MIN) {
      this.out.cut(this.frameStart, FRAME_HEADER_SIZE);
      return;
    }
    const header = Buffer.alloc(FRAME_HEADER_SIZE);
    header[0] = FRAME;
    header.writeBigUInt64LE(BigInt(size), 1);
    this.out.patch(this.frameStart, header);
  }

  /** Before each object is saved: a frame that reached the target size is closed, a new one opened. */
  boundary(): void {
    if (this.out.length - this.frameStart - FRAME_HEADER_SIZE >= FRAME_SIZE_TARGET) {
      this.endFrame();
      this.startFrame();
    }
  }

  memoize(): number {
    this.out.byte(MEMOIZE);
    return this.memoCount++;
  }

  get(index: number): void {
    if (index < 256) {
      this.out.byte(BINGET);
      this.out.byte(index);
    } else {
      this.out.byte(LONG_BINGET);
      this.out.uint32LE(index);
    }
  }

  /** The body of a non-empty list: one APPEND, or MARK ... APPENDS per batch (C's batch_list_exact). */
  items(n: number, save: (i: number) => void): void {
    if (n === 0) return;
    if (n === 1) {
      save(0);
      this.out.byte(APPEND);
      return;
    }
    for (let i = 0; i < n; ) {
      this.out.byte(MARK);
      const end = Math.min(n, i + BATCHSIZE);
      for (; i < end; i++) save(i);
      this.out.byte(APPENDS);
    }
  }

  seriesInfo(series: Series): void {
    this.boundary();
    this.out.byte(EMPTY_DICT);
    this.memoize();
    this.out.byte(MARK);
    for (const key of SERIES_INFO_KEYS) {
      this.key(key);
      switch (key) {
        case 'name':
          this.string(series.name);
          break;
        case 'start':
          this.int(series.start);
          break;
        case 'end':
          this.int(series.end);
          break;
        case 'step':
          this.int(series.step);
          break;
        case 'values':
          this.values(series.values);
          break;
        case 'pathExpression':
          this.sharedString(series.pathExpression);
          break;
        case 'valuesPerPoint':
          this.int(VALUES_PER_POINT);
          break;
        case 'consolidationFunc':
          this.sharedString(consolidationFuncOf(series));
          break;
        case 'xFilesFactor':
          // The request's float(xFilesFactor), a Python float even when written as "0".
          this.float(series.xFilesFactor);
          break;
      }
    }
    this.out.byte(SETITEMS);
  }

  findNode(node: FindNodeInfo): void {
    this.boundary();
    this.out.byte(EMPTY_DICT);
    this.memoize();
    this.out.byte(MARK);
    this.key('path');
    this.string(node.path);
    this.key('is_leaf');
    this.boundary();
    this.out.byte(node.isLeaf ? NEWTRUE : NEWFALSE);
    if (node.intervals !== undefined) {
      this.key('intervals');
      this.boundary();
      this.out.byte(EMPTY_LIST);
      this.memoize();
      const intervals = node.intervals;
      this.items(intervals.length, (i) => {
        this.float(intervals[i][0]);
        this.float(intervals[i][1]);
        this.out.byte(TUPLE2);
        this.memoize();
      });
    }
    this.out.byte(SETITEMS);
  }

  private key(key: string): void {
    const memo = this.keys.get(key);
    if (memo !== undefined) {
      this.boundary();
      this.get(memo);
    } else {
      this.string(key);
      this.keys.set(key, this.memoCount - 1);
    }
  }

  private sharedString(s: string): void {
    const memo = this.shared.get(s);
    if (memo !== undefined) {
      this.boundary();
      this.get(memo);
    } else {
      this.string(s);
      this.shared.set(s, this.memoCount - 1);
    }
  }

  private string(s: string): void {
    this.boundary();
    const size = Buffer.byteLength(s, 'utf8');
    if (size < 256) {
      this.out.byte(SHORT_BINUNICODE);
      this.out.byte(size);
    } else {
      this.out.byte(BINUNICODE);
      this.out.uint32LE(size);
    }
    this.out.utf8(s);
    this.memoize();
  }

  // save_long: BININT1/BININT2/BININT while the value fits a signed 32-bit int, else LONG1 with the
  // fewest little-endian two's-complement bytes.
  private int(v: number): void {
    this.boundary();
    if (!Number.isSafeInteger(v)) throw new Error(`BUG: pickle int ${v} is not an integer`);
    if (v >= 0 && v <= 0xff) {
      this.out.byte(BININT1);
      this.out.byte(v);
    } else if (v >= 0 && v <= 0xffff) {
      this.out.byte(BININT2);
      this.out.uint16LE(v);
    } else if (v >= -0x80000000 && v <= 0x7fffffff) {
      this.out.byte(BININT);
      this.out.int32LE(v);
    } else {
      const bytes: number[] = [];
      let x = BigInt(v);
      for (;;) {
        bytes.push(Number(x & 0xffn));
        x >>= 8n;
        const sign = bytes[bytes.length - 1] & 0x80;
        if ((x === 0n && !sign) || (x === -1n && sign)) break;
      }
      this.out.byte(LONG1);
      this.out.byte(bytes.length);
      for (const b of bytes) this.out.byte(b);
    }
  }

  private float(v: number): void {
    this.boundary();
    this.out.byte(BINFLOAT);
    this.out.doubleBE(v);
  }

  // list(self): NaN is graphite-web's None (a gap); every other value a float.
  private values(values: Float64Array): void {
    this.boundary();
    this.out.byte(EMPTY_LIST);
    this.memoize();
    this.items(values.length, (i) => {
      const v = values[i];
      if (Number.isNaN(v)) {
        this.boundary();
        this.out.byte(NONE);
      } else this.float(v);
    });
  }
}
