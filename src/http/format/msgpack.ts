import type { Series } from '../../storage/series.js';
import { ByteWriter } from './bytes.js';
import type { FindNodeInfo } from './pickle.js';
import { consolidationFuncOf, SERIES_INFO_KEYS, VALUES_PER_POINT } from './series-info.js';

// Written by hand rather than with a dependency: the answer is one fixed shape (an array of 9-key
// maps of strings, integers, doubles and nils), ~60 lines, and graphite-web's bundled u-msgpack
// picks its encodings (always float64, str8 for 32..255-byte strings) in a way a general library
// must be configured to match.

/**
 * graphite-web 1.1.8's format=msgpack body: `msgpack.dump([series.getInfo() ...], use_bin_type=True)`
 * as its bundled u-msgpack-python (graphite/umsgpack.py, used when the msgpack package is missing, as
 * on Debian) writes it: the smallest array, map, string and integer forms, every Python float as a
 * float64, None (a gap; NaN here) as nil.
 */
export function msgpackSeriesInfo(seriesList: Series[]): Buffer {
  const out = new ByteWriter();
  arrayHeader(out, seriesList.length);
  for (const series of seriesList) {
    mapHeader(out, SERIES_INFO_KEYS.length);
    for (const key of SERIES_INFO_KEYS) {
      str(out, key);
      switch (key) {
        case 'name':
          str(out, series.name);
          break;
        case 'start':
          int(out, series.start);
          break;
        case 'end':
          int(out, series.end);
          break;
        case 'step':
          int(out, series.step);
          break;
        case 'values':
          arrayHeader(out, series.values.length);
          for (const v of series.values) {
            if (Number.isNaN(v)) out.byte(0xc0);
            else float(out, v);
          }
          break;
        case 'pathExpression':
          str(out, series.pathExpression);
          break;
        case 'valuesPerPoint':
          int(out, VALUES_PER_POINT);
          break;
        case 'consolidationFunc':
          str(out, consolidationFuncOf(series));
          break;
        case 'xFilesFactor':
          float(out, series.xFilesFactor);
          break;
      }
    }
  }
  return Buffer.from(out.view());
}

/**
 * graphite-web 1.1.8's /metrics/find?format=msgpack body (metrics/views.py msgpack_nodes): an array of
 * maps {path, is_leaf, intervals (leaves only, [start, end] float pairs)}, bools as msgpack true/false.
 */
export function msgpackFindNodes(nodes: FindNodeInfo[]): Buffer {
  const out = new ByteWriter();
  arrayHeader(out, nodes.length);
  for (const node of nodes) {
    mapHeader(out, node.intervals === undefined ? 2 : 3);
    str(out, 'path');
    str(out, node.path);
    str(out, 'is_leaf');
    out.byte(node.isLeaf ? 0xc3 : 0xc2);
    if (node.intervals !== undefined) {
      str(out, 'intervals');
      arrayHeader(out, node.intervals.length);
      for (const [start, end] of node.intervals) {
        arrayHeader(out, 2);
        float(out, start);
        float(out, end);
      }
    }
  }
  return Buffer.from(out.view());
}

function arrayHeader(out: ByteWriter, n: number): void {
  if (n <= 15) out.byte(0x90 | n);
  else if (n <= 0xffff) {
    out.byte(0xdc);
    out.uint16BE(n);
  } else {
    out.byte(0xdd);
    out.uint32BE(n);
  }
}

function mapHeader(out: ByteWriter, n: number): void {
  if (n <= 15) out.byte(0x80 | n);
  else if (n <= 0xffff) {
    out.byte(0xde);
    out.uint16BE(n);
  } else {
    out.byte(0xdf);
    out.uint32BE(n);
  }
}

function str(out: ByteWriter, s: string): void {
  const size = Buffer.byteLength(s, 'utf8');
  if (size <= 31) out.byte(0xa0 | size);
  else if (size <= 0xff) {
    out.byte(0xd9);
    out.byte(size);
  } else if (size <= 0xffff) {
    out.byte(0xda);
    out.uint16BE(size);
  } else {
    out.byte(0xdb);
    out.uint32BE(size);
  }
  out.utf8(s);
}

function float(out: ByteWriter, v: number): void {
  out.byte(0xcb);
  out.doubleBE(v);
}

// _pack_integer: positive and negative fixint, then the narrowest int/uint that holds the value.
function int(out: ByteWriter, v: number): void {
  if (!Number.isSafeInteger(v)) throw new Error(`BUG: msgpack int ${v} is not an integer`);
  if (v < 0) {
    if (v >= -32) out.byte(v & 0xff);
    else if (v >= -0x80) {
      out.byte(0xd0);
      out.byte(v & 0xff);
    } else if (v >= -0x8000) {
      out.byte(0xd1);
      out.uint16BE(v & 0xffff);
    } else if (v >= -0x80000000) {
      out.byte(0xd2);
      out.uint32BE(v >>> 0);
    } else {
      out.byte(0xd3);
      out.uint32BE(Number(BigInt.asUintN(64, BigInt(v)) >> 32n));
      out.uint32BE(Number(BigInt.asUintN(32, BigInt(v))));
    }
  } else if (v <= 0x7f) out.byte(v);
  else if (v <= 0xff) {
    out.byte(0xcc);
    out.byte(v);
  } else if (v <= 0xffff) {
    out.byte(0xcd);
    out.uint16BE(v);
  } else if (v <= 0xffffffff) {
    out.byte(0xce);
    out.uint32BE(v);
  } else {
    out.byte(0xcf);
    out.uint32BE(Math.floor(v / 2 ** 32));
    out.uint32BE(v >>> 0);
  }
}
