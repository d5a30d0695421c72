/**
 * A pickle reader that builds data and nothing else.
 *
 * Python's pickle is a little stack machine whose opcodes can import and call anything (GLOBAL +
 * REDUCE is `os.system(...)`). Carbon guards its receiver with SafeUnpickler (carbon/util.py), a
 * find_class allow-list on top of Python's full unpickler. Here the allow-list is of opcodes: only
 * those that push plain values or build lists, tuples, dicts and sets run; every opcode that names
 * a class, calls, builds objects or reaches outside the byte string (persistent ids, extension
 * registry, out-of-band buffers) is refused with its name and offset. Carbon's allow-list also
 * admits `copy_reg._reconstructor` and `object`; no point sender needs them, so they stay out.
 *
 * The work is linear in the input: each opcode consumes at least one byte and pushes at most one
 * value; the opcodes that pop many values pop only what earlier opcodes pushed. MARK depth is
 * bounded (`maxDepth`). Nothing here recurses, so deep nesting costs no stack.
 */
import { describeOpcode } from './opcodes.js';

/** A value a pickle can hold here. Lists and sets are arrays; tuples are frozen arrays. */
export type PickleValue = null | boolean | number | string | Uint8Array | PickleValue[] | PickleDict;

/** A Python dict: its items in insertion order (keys may be anything, so no Map lookup is implied). */
export class PickleDict {
  readonly items: [PickleValue, PickleValue][] = [];
}

/** Bounds on one `unpickle` call. */
export interface UnpickleLimits {
  /** Most MARKs open at once. Honest point pickles use 3 (protocol 0); 1 MB of `(` would use 1M. */
  maxDepth: number;
}

/** Generous for any real payload, small enough that a hostile one fails fast. */
export const DEFAULT_UNPICKLE_LIMITS: Readonly<UnpickleLimits> = { maxDepth: 100 };

/** The value at STOP, or why the bytes are refused ("… at offset N"). */
export type UnpickleResult = { ok: true; value: PickleValue } | { ok: false; error: string };

const EMPTY_TUPLE: PickleValue[] = Object.freeze([]) as unknown as PickleValue[];
const utf8 = new TextDecoder('utf-8', { fatal: true });

class Refused extends Error {}

/**
 * Reads one pickle of protocol 0 to 5 from `data`. Bytes after STOP are ignored, as Python's
 * `Unpickler.load()` on a stream does (carbon's SafeUnpickler.loads).
 */
export function unpickle(data: Uint8Array, limits: UnpickleLimits = DEFAULT_UNPICKLE_LIMITS): UnpickleResult {
  try {
    return { ok: true, value: new Machine(data, limits).run() };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, error: e.message };
    throw e;
  }
}

class Machine {
  private pos = 0;
  private opAt = 0;
  private op = 0;
  private stack: PickleValue[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly view: DataView;
  private readonly bytes8: Buffer;

  constructor(
    private readonly data: Uint8Array,
    private readonly limits: UnpickleLimits,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.bytes8 = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  run(): PickleValue {
    const data = this.data;
    for (;;) {
      if (this.pos >= data.length)
        throw new Refused(`got ${data.length} bytes and no STOP; want a whole pickle`);
      this.opAt = this.pos;
      this.op = data[this.pos++];
      switch (this.op) {
        case 0x2e: // STOP
          return this.pop();
        case 0x80: {
          // PROTO
          const v = this.u8();
          if (v > 5) this.refuse(`got protocol ${v}; want 0 to 5`);
          break;
        }
        case 0x95: // FRAME: an 8-byte length that only helps buffered readers
          this.take(8);
          break;
        case 0x28: // MARK
          if (this.marks.length >= this.limits.maxDepth) {
            this.refuse(`got more than ${this.limits.maxDepth} nested MARKs; want shallower data`);
          }
          this.marks.push(this.stack.length);
          break;
        case 0x30: // POP
          if (this.stack.length === this.top()) this.popMark();
          else this.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.stack.push(this.peek());
          break;
        case 0x4e: // NONE
          this.stack.push(null);
          break;
        case 0x88: // NEWTRUE
          this.stack.push(true);
          break;
        case 0x89: // NEWFALSE
          this.stack.push(false);
          break;
        case 0x4a: // BININT
          this.stack.push(this.view.getInt32(this.take(4), true));
          break;
        case 0x4b: // BININT1
          this.stack.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.stack.push(this.view.getUint16(this.take(2), true));
          break;
        case 0x49: // INT: decimal text; "01"/"00" are protocol 0's True/False
          this.stack.push(this.intText(this.line()));
          break;
        case 0x4c: // LONG: decimal text with an optional trailing L
          this.stack.push(this.integer(this.line().replace(/L$/, '')));
          break;
        case 0x8a: // LONG1
          this.stack.push(this.longBytes(this.u8()));
          break;
        case 0x8b: // LONG4
          this.stack.push(this.longBytes(this.length(this.view.getInt32(this.take(4), true))));
          break;
        case 0x47: // BINFLOAT: big-endian double
          this.stack.push(this.view.getFloat64(this.take(8), false));
          break;
        case 0x46: // FLOAT: repr() text
          this.stack.push(this.floatText(this.line()));
          break;
        case 0x58: // BINUNICODE
          this.stack.push(this.utf8(this.length(this.view.getUint32(this.take(4), true))));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.stack.push(this.utf8(this.u8()));
          break;
        case 0x8d: // BINUNICODE8
          this.stack.push(this.utf8(this.length64()));
          break;
        case 0x56: // UNICODE: raw-unicode-escape text
          this.stack.push(rawUnicodeEscape(this.line()));
          break;
        // Python 2 `str`: carbon's unpickler decodes them with encoding='utf-8' (strict).
        case 0x54: // BINSTRING
          this.stack.push(this.utf8(this.length(this.view.getInt32(this.take(4), true))));
          break;
        case 0x55: // SHORT_BINSTRING
          this.stack.push(this.utf8(this.u8()));
          break;
        case 0x53: // STRING: a quoted Python 2 repr
          this.stack.push(this.stringLiteral(this.line()));
          break;
        case 0x42: // BINBYTES
          this.stack.push(this.bytes(this.length(this.view.getUint32(this.take(4), true))));
          break;
        case 0x43: // SHORT_BINBYTES
          this.stack.push(this.bytes(this.u8()));
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          this.stack.push(this.bytes(this.length64()));
          break;
        case 0x5d: // EMPTY_LIST
        case 0x8f: // EMPTY_SET
          this.stack.push([]);
          break;
        case 0x29: // EMPTY_TUPLE
          this.stack.push(EMPTY_TUPLE);
          break;
        case 0x7d: // EMPTY_DICT
          this.stack.push(new PickleDict());
          break;
        case 0x6c: // LIST
        case 0x91: // FROZENSET
          this.stack.push(this.popMark());
          break;
        case 0x74: // TUPLE
          this.stack.push(Object.freeze(this.popMark()) as PickleValue[]);
          break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: {
          // TUPLE3
          const n = this.op - 0x84;
          const stack = this.stack;
          if (stack.length - this.top() < n) this.refuse(`got fewer than ${n} values on the stack`);
          // Popped one by one: splice() would cost a third of the whole decode for point pickles.
          const c = stack.pop()!;
          let tuple: PickleValue[];
          if (n === 1) tuple = [c];
          else {
            const b = stack.pop()!;
            tuple = n === 2 ? [b, c] : [stack.pop()!, b, c];
          }
          stack.push(Object.freeze(tuple) as PickleValue[]);
          break;
        }
        case 0x64: {
          // DICT
          const dict = new PickleDict();
          const items = this.popMark();
          if (items.length % 2 !== 0) this.refuse(`got ${items.length} values; want key-value pairs`);
          for (let k = 0; k < items.length; k += 2) dict.items.push([items[k], items[k + 1]]);
          this.stack.push(dict);
          break;
        }
        case 0x61: {
          // APPEND
          const v = this.pop();
          this.list(this.peek()).push(v);
          break;
        }
        case 0x65: // APPENDS
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          const target = this.list(this.peek());
          for (const v of items) target.push(v);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.dict(this.peek()).items.push([k, v]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          if (items.length % 2 !== 0) this.refuse(`got ${items.length} values; want key-value pairs`);
          const dict = this.dict(this.peek());
          for (let k = 0; k < items.length; k += 2) dict.items.push([items[k], items[k + 1]]);
          break;
        }
        case 0x70: // PUT
          this.memo.set(this.integer(this.line()), this.peek());
          break;
        case 0x71: // BINPUT
          this.memo.set(this.u8(), this.peek());
          break;
        case 0x72: // LONG_BINPUT
          this.memo.set(this.view.getUint32(this.take(4), true), this.peek());
          break;
        case 0x94: // MEMOIZE
          this.memo.set(this.memo.size, this.peek());
          break;
        case 0x67: // GET
          this.stack.push(this.recall(this.integer(this.line())));
          break;
        case 0x68: // BINGET
          this.stack.push(this.recall(this.u8()));
          break;
        case 0x6a: // LONG_BINGET
          this.stack.push(this.recall(this.view.getUint32(this.take(4), true)));
          break;
        default:
          this.refuse('refused: only data opcodes are run');
      }
    }
  }

  private refuse(why: string): never {
    throw new Refused(`${describeOpcode(this.op)} at offset ${this.opAt}: ${why}`);
  }

  private take(n: number): number {
    const at = this.pos;
    if (at + n > this.data.length) {
      this.refuse(`got ${this.data.length - at} bytes; want ${n} (truncated pickle)`);
    }
    this.pos += n;
    return at;
  }

  private u8(): number {
    return this.data[this.take(1)];
  }

  private length(n: number): number {
    if (n < 0 || n > this.data.length - this.pos) {
      this.refuse(`got length ${n} with ${this.data.length - this.pos} bytes left (truncated pickle)`);
    }
    return n;
  }

  private length64(): number {
    const at = this.take(8);
    const high = this.view.getUint32(at + 4, true);
    return this.length(high === 0 ? this.view.getUint32(at, true) : -1);
  }

  /** The text up to the next `\n` (protocol 0 arguments), as latin1. */
  private line(): string {
    const nl = this.data.indexOf(0x0a, this.pos);
    if (nl === -1) this.refuse('got no newline after a text argument (truncated pickle)');
    const s = this.bytes8.toString('latin1', this.pos, nl);
    this.pos = nl + 1;
    return s;
  }

  private utf8(n: number): string {
    const at = this.take(n);
    // ASCII, the usual metric name, needs no validation and decodes fastest as latin1.
    let high = 0;
    for (let k = at; k < at + n; k++) high |= this.data[k];
    if (high < 0x80) return this.bytes8.toString('latin1', at, at + n);
    try {
      return utf8.decode(this.data.subarray(at, at + n));
    } catch {
      return this.refuse(`got ${n} bytes that are not UTF-8`);
    }
  }

  private bytes(n: number): Uint8Array {
    const at = this.take(n);
    return this.data.slice(at, at + n);
  }

  private integer(text: string): number {
    if (!/^[+-]?\d+$/.test(text.trim())) this.refuse(`got ${JSON.stringify(text)}; want an integer`);
    return Number(text.trim());
  }

  private intText(text: string): number | boolean {
    if (text === '01') return true;
    if (text === '00') return false;
    return this.integer(text);
  }

  private floatText(text: string): number {
    const t = text.trim();
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
    const named = /^([+-]?)(nan|inf)$/i.exec(t);
    if (named === null) this.refuse(`got ${JSON.stringify(text)}; want a float`);
    if (named[2].toLowerCase() === 'nan') return Number.NaN;
    return named[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }

  /** LONG1/LONG4: little-endian two's complement, as a double (carbon applies float() anyway). */
  private longBytes(n: number): number {
    const at = this.take(n);
    let v = 0;
    for (let k = n - 1; k >= 0; k--) v = v * 256 + this.data[at + k];
    if (n > 0 && this.data[at + n - 1] >= 0x80) v -= 2 ** (8 * n);
    return v;
  }

  /** STRING's argument: a Python 2 repr in single or double quotes, escapes decoded, then UTF-8. */
  private stringLiteral(text: string): string {
    const q = text[0];
    if (text.length < 2 || (q !== "'" && q !== '"') || text[text.length - 1] !== q) {
      this.refuse(`got ${JSON.stringify(text.slice(0, 40))}; want a quoted string`);
    }
    const bytes = escapeDecode(text.slice(1, -1));
    try {
      return utf8.decode(bytes);
    } catch {
      return this.refuse('got a string that is not UTF-8');
    }
  }

  private top(): number {
    return this.marks.length === 0 ? 0 : this.marks[this.marks.length - 1];
  }

  private pop(): PickleValue {
    if (this.stack.length <= this.top()) this.refuse('got an empty stack; want a value');
    return this.stack.pop()!;
  }

  private peek(): PickleValue {
    if (this.stack.length <= this.top()) this.refuse('got an empty stack; want a value');
    return this.stack[this.stack.length - 1];
  }

  private popMark(): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.refuse('got no MARK to pop to');
    return this.stack.splice(mark);
  }

  private recall(index: number): PickleValue {
    const v = this.memo.get(index);
    if (v === undefined) this.refuse(`got memo index ${index}, which was never stored`);
    return v;
  }

  private list(target: PickleValue): PickleValue[] {
    if (!Array.isArray(target) || Object.isFrozen(target)) this.refuse('want a list or set to add to');
    return target;
  }

  private dict(target: PickleValue): PickleDict {
    if (!(target instanceof PickleDict)) this.refuse('want a dict to set an item in');
    return target;
  }
}

/** Python's raw-unicode-escape decoding: latin1 text with `\uXXXX` and `\UXXXXXXXX` escapes. */
function rawUnicodeEscape(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u, big) =>
    String.fromCodePoint(Number.parseInt(u ?? big, 16)),
  );
}

/** Python 2's string_escape decoding of a repr body, to bytes. */
function escapeDecode(body: string): Uint8Array {
  const out: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\' || i + 1 === body.length) {
      out.push(body.charCodeAt(i) & 0xff);
      continue;
    }
    const e = body[++i];
    if (e in simple) out.push(simple[e]);
    else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e >= '0' && e <= '7') {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out.push(Number.parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else if (e === '\\' || e === "'" || e === '"') out.push(e.charCodeAt(0));
    else out.push(0x5c, body.charCodeAt(i) & 0xff);
  }
  return Uint8Array.from(out);
}
