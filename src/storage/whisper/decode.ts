import { POINT_SIZE } from './format.js';

/**
 * Decoding an archive's points (interval u32, value f64, big-endian, 12 bytes each: docs/whisper.md)
 * into values, NaN where a slot does not hold the interval it stands for (a stale point from an
 * earlier lap of the ring, which whisper.py's __archive_fetch reads as None).
 *
 * This is the read path's hot loop: a day at 10 s is 8,640 points a file and a /render over 1,000
 * files decodes over 8 million. In JavaScript (DataView's big-endian getters, one compare and select per
 * point) it measured 3-3.5 ns a point inside the server, the largest single cost of a fetch. A
 * 16-byte WebAssembly SIMD load, one byte shuffle that puts the interval and the value in
 * little-endian lanes, a compare and a select measured 1.3 ns with the copy out, and whisper fetches
 * of bench/render's tree went from 64-70 to 51-59 us a file. The JavaScript loop stays as the
 * fallback (no SIMD, or a read too large for the wasm memory) and as the reference the tests compare
 * the module with.
 */
export interface PointDecoder {
  /** Which loop decodes (the fallback's reads too large for the wasm memory aside). */
  readonly kind: 'wasm' | 'js';
  /** A buffer to read `bytes` bytes of points into; valid until the next call. */
  readBuffer(bytes: number): Buffer;
  /** values[0, n) from the first `n` points of the read buffer, the i-th expected at start + i * step. */
  decode(n: number, start: number, step: number, values: Float64Array): void;
}

/** The loop in JavaScript: the reference, and the fallback. */
export function decodePointsJs(
  view: DataView,
  n: number,
  start: number,
  step: number,
  values: Float64Array,
): void {
  // Node 20's optimizing compiler turns DataView's big-endian getters into a load and a byte swap;
  // Buffer.readDoubleBE assembled each value byte by byte.
  for (let i = 0, at = 0, expected = start; i < n; i++, at += POINT_SIZE, expected += step) {
    values[i] = view.getUint32(at) === expected ? view.getFloat64(at + 4) : Number.NaN;
  }
}

class JsDecoder implements PointDecoder {
  readonly kind = 'js';
  private scratch = Buffer.alloc(64 * 1024);
  private view = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.length);

  readBuffer(bytes: number): Buffer {
    if (this.scratch.length < bytes) {
      this.scratch = Buffer.alloc(Math.max(bytes, this.scratch.length * 2));
      this.view = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.length);
    }
    return this.scratch;
  }

  decode(n: number, start: number, step: number, values: Float64Array): void {
    decodePointsJs(this.view, n, start, step, values);
  }
}

// The wasm memory holds the read (at 0, 16 bytes of slack after it for the last 16-byte load) and
// then the decoded values, 8-aligned. It only grows; reads needing more than this go to JavaScript.
const MAX_WASM_BYTES = 64 * 1024 * 1024;
const PAGE = 64 * 1024;

class WasmDecoder implements PointDecoder {
  readonly kind = 'wasm';
  private bytes: Buffer;
  private readonly fallback = new JsDecoder();
  private useFallback = false;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly run: (src: number, n: number, start: number, step: number, dst: number) => void,
  ) {
    this.bytes = Buffer.from(memory.buffer);
  }

  readBuffer(bytes: number): Buffer {
    const points = Math.ceil(bytes / POINT_SIZE);
    const need = valuesOffset(points) + points * 8;
    this.useFallback = need > MAX_WASM_BYTES;
    if (this.useFallback) return this.fallback.readBuffer(bytes);
    if (this.bytes.length < need) {
      this.memory.grow(Math.ceil((need - this.bytes.length) / PAGE));
      // Growing detaches the old ArrayBuffer: views are made again.
      this.bytes = Buffer.from(this.memory.buffer);
    }
    return this.bytes;
  }

  decode(n: number, start: number, step: number, values: Float64Array): void {
    if (this.useFallback) {
      this.fallback.decode(n, start, step, values);
      return;
    }
    const dst = valuesOffset(n);
    // Intervals are u32 on disk and compared as i32 in the module: equal as bit patterns. (The
    // expected interval wraps at 2^32, in 2106; the JavaScript loop's would not match there.)
    this.run(0, n, start | 0, step | 0, dst);
    values.set(new Float64Array(this.memory.buffer, dst, n));
  }
}

function valuesOffset(points: number): number {
  return (points * POINT_SIZE + 16 + 7) & ~7;
}

/**
 * The module, assembled here rather than shipped as a binary so that it can be read. In the text
 * format:
 *
 *   (func (export "decode") (param $src i32) (param $n i32) (param $expected i32) (param $step i32)
 *                           (param $dst i32) (local $v v128)
 *     (local.set $n (i32.add (local.get $src) (i32.mul (local.get $n) (i32.const 12))))  ;; end
 *     (block (loop
 *       (br_if 1 (i32.ge_u (local.get $src) (local.get $n)))
 *       ;; bytes 0-3 reversed into lane 0 (the interval), bytes 4-11 reversed into f64 lane 1
 *       (local.set $v (i8x16.swizzle (v128.load (local.get $src))
 *                                    (v128.const i8x16 3 2 1 0 3 2 1 0 11 10 9 8 7 6 5 4)))
 *       (f64.store (local.get $dst)
 *         (select (f64x2.extract_lane 1 (local.get $v)) (f64.const nan)
 *                 (i32.eq (i32x4.extract_lane 0 (local.get $v)) (local.get $expected))))
 *       (local.set $src (i32.add (local.get $src) (i32.const 12)))
 *       (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
 *       (local.set $expected (i32.add (local.get $expected) (local.get $step)))
 *       (br 0))))
 *   (memory (export "memory") 4)
 */
function assemble(): Uint8Array<ArrayBuffer> {
  // Opcodes (WebAssembly core spec 1.0 and the fixed-width SIMD proposal, both in Node 20's V8).
  const [I32, V128, SIMD] = [0x7f, 0x7b, 0xfd];
  const [BLOCK, LOOP, BR, BR_IF, END, SELECT, EMPTY] = [0x02, 0x03, 0x0c, 0x0d, 0x0b, 0x1b, 0x40];
  const [I32_EQ, I32_GE_U, I32_ADD, I32_MUL, F64_STORE] = [0x46, 0x4f, 0x6a, 0x6c, 0x39];
  const [V128_LOAD, V128_CONST, SWIZZLE, I32X4_LANE, F64X2_LANE] = [0x00, 0x0c, 0x0e, 0x1b, 0x21];
  const F64_NAN = [0x44, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f];
  const [src, n, expected, step, dst, v] = [0, 1, 2, 3, 4, 5];
  const get = (i: number) => [0x20, i];
  const set = (i: number) => [0x21, i];
  const i32 = (x: number) => [0x41, ...sleb(x)];
  // The function above, one line of the text format per row.
  const body = [
    [1, 1, V128], // one local: $v
    [...get(src), ...get(n), ...i32(12), I32_MUL, I32_ADD, ...set(n)],
    [BLOCK, EMPTY, LOOP, EMPTY],
    [...get(src), ...get(n), I32_GE_U, BR_IF, 1],
    [...get(src), SIMD, V128_LOAD, 0, 0], // align 1, offset 0
    [SIMD, V128_CONST, 3, 2, 1, 0, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6, 5, 4],
    [SIMD, SWIZZLE, ...set(v)],
    [...get(dst), ...get(v), SIMD, F64X2_LANE, 1, ...F64_NAN],
    [...get(v), SIMD, I32X4_LANE, 0, ...get(expected), I32_EQ, SELECT],
    [F64_STORE, 3, 0], // align 8, offset 0
    [...get(src), ...i32(12), I32_ADD, ...set(src)],
    [...get(dst), ...i32(8), I32_ADD, ...set(dst)],
    [...get(expected), ...get(step), I32_ADD, ...set(expected)],
    [BR, 0, END, END, END],
  ].flat();
  const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
  const name = (s: string) => [s.length, ...Buffer.from(s, 'latin1')];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0], // "\0asm", version 1
    ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]), // type 0: (i32 x5) -> ()
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, [1, 0x00, 4]), // one memory, 4 pages at first
    ...section(7, [2, ...name('memory'), 2, 0, ...name('decode'), 0, 0]), // exports
    ...section(10, [1, ...uleb(body.length), ...body]), // code
  ]);
}

function uleb(x: number): number[] {
  const out: number[] = [];
  do {
    let b = x & 0x7f;
    x >>>= 7;
    if (x !== 0) b |= 0x80;
    out.push(b);
  } while (x !== 0);
  return out;
}

function sleb(x: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = x & 0x7f;
    x >>= 7;
    if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** The WebAssembly decoder, or the JavaScript one where WebAssembly SIMD is missing. */
export function createPointDecoder(kind: 'wasm' | 'js' = 'wasm'): PointDecoder {
  if (kind === 'js') return new JsDecoder();
  const bytes = assemble() as Uint8Array<ArrayBuffer>;
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) return new JsDecoder();
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  return new WasmDecoder(
    exports.memory as WebAssembly.Memory,
    exports.decode as (src: number, n: number, start: number, step: number, dst: number) => void,
  );
}
