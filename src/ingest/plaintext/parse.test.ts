import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PointBatch } from '../batch.js';
import { DEFAULT_POINT_LIMITS } from '../datapoint.js';
import { parseDecimal } from '../decimal.js';
import { FNV_BASIS, fnvStep, NameInterner } from '../intern.js';
import { type LineOptions, type ParsedLine, parseCommonLines, parseLine } from './parse.js';

const NOW = 1_700_000_000;
const options: LineOptions = { ...DEFAULT_POINT_LIMITS, now: NOW };

function parse(line: string | Buffer) {
  const buf = typeof line === 'string' ? Buffer.from(line) : line;
  return parseLine(buf, 0, buf.length, options);
}

// [line, name, value, timestamp]
const GOOD: [string, string, number, number][] = [
  ['a.b.c 1 1700000000', 'a.b.c', 1, 1700000000],
  ['a.b.c 1.5 1700000000\r', 'a.b.c', 1.5, 1700000000],
  ['  a\t\t-2.25   1700000000  ', 'a', -2.25, 1700000000],
  ['a\x1c3\x1f1700000000', 'a', 3, 1700000000],
  ['a 1e3 1700000000', 'a', 1000, 1700000000],
  ['a +.5 1700000000', 'a', 0.5, 1700000000],
  ['a 5. 1700000000', 'a', 5, 1700000000],
  ['a -0 1700000000', 'a', -0, 1700000000],
  ['a 2.5E-3 1700000000', 'a', 0.0025, 1700000000],
  ['a 0.1 1700000000', 'a', 0.1, 1700000000],
  ['a 123456789012345678901234567890 1', 'a', 1.2345678901234568e29, 1],
  ['a 1.7976931348623157e308 0', 'a', Number.MAX_VALUE, 0],
  ['a 4.9e-324 0', 'a', 5e-324, 0],
  // timestamps: float, truncated toward zero as whisper's int()
  ['a 1 1700000000.999', 'a', 1, 1700000000],
  ['a 1 1.7e9', 'a', 1, 1700000000],
  ['a 1 0', 'a', 1, 0],
  ['a 1 -0.5', 'a', 1, 0],
  ['a 1 4102444800', 'a', 1, 4102444800],
  // -1 is "now" (carbon issue #54), and so is anything int() turns into -1
  ['a 1 -1', 'a', 1, NOW],
  ['a 1 -1.9', 'a', 1, NOW],
  ['~x.y;b=2;a=1 7 1', 'x.y;a=1;b=2', 7, 1],
  ['température.α 1 1', 'température.α', 1, 1],
];

const BAD: [string | Buffer, string, RegExp][] = [
  ['a 1', 'badFieldCount', /got 2 fields; want 3 .* in line "a 1"/],
  ['a', 'badFieldCount', /got 1 fields/],
  ['a 1 2 3', 'badFieldCount', /got 4 fields/],
  ['a 1 2 # comment', 'badFieldCount', /got 5 fields/],
  ['a nan 1', 'badValue', /value got "nan"; want a number, not NaN/],
  ['a NaN 1', 'badValue', /not NaN/],
  ['a inf 1', 'badValue', /"inf"; want a finite number/],
  ['a -Infinity 1', 'badValue', /finite/],
  ['a 1e999 1', 'badValue', /within ±1.8e308/],
  ['a 0x10 1', 'badValue', /not hex/],
  ['a 1_000 1', 'badValue', /"1_000"; want a decimal number/],
  ['a 1.2.3 1', 'badValue', /"1.2.3"/],
  ['a . 1', 'badValue', /"\."/],
  ['a - 1', 'badValue', /"-"/],
  ['a 1e 1', 'badValue', /"1e"/],
  ['a e5 1', 'badValue', /"e5"/],
  ['a 1,5 1', 'badValue', /"1,5"/],
  ['a ١ 1', 'badValue', /"١"/],
  ['a 1 abc', 'badTimestamp', /timestamp got "abc"/],
  ['a 1 nan', 'badTimestamp', /NaN/],
  ['a 1 -2', 'badTimestamp', /got timestamp "-2"; want epoch seconds >= 0/],
  ['a 1 4102444801', 'badTimestamp', /want epoch seconds <= 4102444800 \(2100-01-01T00:00:00.000Z\)/],
  ['a 1 1700000000000', 'badTimestamp', /<= 4102444800/],
  ['a 1 inf', 'badTimestamp', /finite/],
  ['a..b 1 1', 'badName', /empty segment at offset 2 in "a\.\.b"/],
  ['.a 1 1', 'badName', /leading dot/],
  ['a/b 1 1', 'badName', /directory separator/],
  ['a\0b 1 1', 'badName', /control character \(U\+0000\)/],
  ['a;x 1 1', 'badName', /got tag "x"/],
  [
    Buffer.from([0x61, 0xff, 0x62, 0x20, 0x31, 0x20, 0x31]),
    'badEncoding',
    /not UTF-8 at byte 1 in line "a\uFFFDb 1 1"/,
  ],
  [Buffer.from('a\xc3 1 1', 'latin1'), 'badEncoding', /not UTF-8/],
  [Buffer.from('a\u00a0b 1 1'), 'badName', /whitespace \(U\+00A0\)/],
];

test('parseLine reads good lines', () => {
  for (const [line, name, value, timestamp] of GOOD) {
    assert.deepEqual(parse(line), { ok: true, name, value, timestamp }, JSON.stringify(line));
  }
});

test('parseLine refuses each bad class, naming the reason and quoting the line', () => {
  for (const [line, reason, message] of BAD) {
    const r = parse(line);
    assert.ok(r && !r.ok, `accepted ${JSON.stringify(line.toString())}`);
    assert.equal(r.reason, reason, JSON.stringify(line.toString()));
    assert.match(r.error, message, JSON.stringify(line.toString()));
  }
});

test('blank lines are skipped, not errors', () => {
  for (const line of ['', ' ', '\r', '\t \x0b\x0c ']) assert.equal(parse(line), null);
});

test('the maximum timestamp is configurable', () => {
  const buf = Buffer.from('a 1 2000');
  const r = parseLine(buf, 0, buf.length, { ...options, maxTimestamp: 1999 });
  assert.ok(r && !r.ok && r.reason === 'badTimestamp');
});

test('parseLine reads a slice of a larger buffer', () => {
  const buf = Buffer.from('xx a.b 2 3\nyy');
  assert.deepEqual(parseLine(buf, 3, 10, options), { ok: true, name: 'a.b', value: 2, timestamp: 3 });
});

test('parseDecimal rounds exactly like Number() on long and extreme inputs', () => {
  const cases = [
    '0.1',
    '0.30000000000000004',
    '9007199254740993',
    '123456789012345.6',
    '1234567890123456789',
    '1e22',
    '1e23',
    '1.5e-22',
    '2.2250738585072011e-308',
    '0.000001',
    '00000000000000000000000000001.5',
    '3.14159265358979323846264338327950288',
  ];
  for (const c of cases) {
    const b = Buffer.from(c);
    assert.equal(parseDecimal(b, 0, b.length), Number(c), c);
  }
});

test('with an interner: every good line parses as without one, a known name comes back as the same string', () => {
  const names = new NameInterner();
  const into: ParsedLine = { ok: true, name: '', value: 0, timestamp: 0 };
  for (let round = 0; round < 2; round++) {
    for (const [line, name, value, timestamp] of GOOD) {
      const buf = Buffer.from(line);
      const r = parseLine(buf, 0, buf.length, options, into, names);
      assert.ok(r?.ok, `${line}: ${JSON.stringify(r)}`);
      assert.equal(r, into, `${line}: the given object is filled in`);
      assert.deepEqual([r.name, r.value, r.timestamp], [name, value, timestamp], line);
    }
  }
  // Each distinct raw name once (the tagged one by its raw bytes, stored normalized).
  assert.equal(names.size, new Set(GOOD.map(([line]) => line.trim().split(/[\s\x1c-\x1f]+/)[0])).size);
});

test('with an interner: a refused name is never remembered, so it is refused every time', () => {
  const names = new NameInterner();
  for (let round = 0; round < 3; round++) {
    for (const line of ['a..b 1 1', '../etc/passwd 1 1', 'a/b 1 1', '\xff\xfe 1 1']) {
      const buf = Buffer.from(line, 'latin1');
      const r = parseLine(buf, 0, buf.length, options, undefined, names);
      assert.ok(r !== null && !r.ok, `${line}: refused in round ${round}`);
    }
  }
  assert.equal(names.size, 0);
});

// parseCommonLines against parseLine: the fast path must take exactly what parseLine would give, or
// stop and leave the line to it.
const COMMON_OPTIONS = { ...options, maxLineLength: 200 };

/** Every line through parseCommonLines, falling back to parseLine where it stops, as LineSplitter does. */
function viaCommon(text: string, names: NameInterner): { points: unknown[]; fast: number } {
  const buf = Buffer.from(text);
  const batch = new PointBatch();
  const points: unknown[] = [];
  let fast = 0;
  let from = 0;
  while (from < buf.length) {
    const stop = parseCommonLines(buf, from, buf.length, COMMON_OPTIONS, names, batch);
    for (let i = 0; i < batch.length; i++)
      points.push([batch.names[i], batch.values[i], batch.timestamps[i]]);
    fast += batch.length;
    batch.clear();
    if (stop === buf.length) break;
    const nl = buf.indexOf(0x0a, stop);
    const r =
      nl - stop > COMMON_OPTIONS.maxLineLength ? null : parseLine(buf, stop, nl, options, undefined, names);
    if (r?.ok) points.push([r.name, r.value, r.timestamp]);
    else if (r) points.push(r.reason);
    from = nl + 1;
  }
  return { points, fast };
}

function viaParseLine(text: string): unknown[] {
  const out: unknown[] = [];
  for (const line of text.split('\n').slice(0, -1)) {
    const buf = Buffer.from(line);
    if (buf.length > COMMON_OPTIONS.maxLineLength) continue;
    const r = parseLine(buf, 0, buf.length, options);
    if (r?.ok) out.push([r.name, r.value, r.timestamp]);
    else if (r) out.push(r.reason);
  }
  return out;
}

test('parseCommonLines gives what parseLine gives, line for line, and takes the common shape itself', () => {
  const lines = [
    'a.b 1 1700000000',
    'a.b 1.5 1700000000',
    'a.b -0 1700000000',
    'a.b 007.250 1700000000',
    'a.b 5. 1700000000',
    'a.b .5 1700000000',
    'a.b -.5 0',
    'a.b 0.1 1700000001',
    'a.b 123456789012345 1700000000', // 15 significant digits: fast
    'a.b 1234567890123456 1700000000', // 16: parseLine's Number() path
    'a.b 0.0000000000000000000001 1700000000', // 22 fraction digits
    'a.b 0.00000000000000000000001 1700000000', // 23
    `a.b 0.${'0'.repeat(300)}1 1700000000`, // over maxLineLength
    'a.b 1e3 1700000000',
    'a.b 1 1700000000\r',
    'a.b  1 1700000000',
    ' a.b 1 1700000000',
    'a.b\t1 1700000000',
    'a.b 1 -1',
    'a.b 1 1700000000.5',
    'a.b 1 4102444800',
    'a.b 1 4102444801',
    'a.b 1 0001700000000',
    'a.b - 1700000000',
    'a.b . 1700000000',
    'a.b 1 ',
    'a.b 1',
    'a.b nan 1700000000',
    'new.name 2 1700000000',
    'new.name 3 1700000000',
    'tagged;b=2;a=1 4 1700000000',
    'tagged;a=1;b=2 5 1700000000',
    'caf\u00e9 6 1700000000',
    'a..b 7 1700000000',
    '',
    'a.b 8 1700000000',
  ];
  const text = `${lines.join('\n')}\n`;
  const names = new NameInterner();
  const { points, fast } = viaCommon(text, names);
  assert.deepEqual(points, viaParseLine(text));
  // Known names in the common shape, after their first sight: the fast path took them.
  assert.equal(fast, 13, 'lines that took the fast path');
  const again = viaCommon('a.b 2.5 1700000000\nnew.name 1 1700000000\ntagged;b=2;a=1 4 1\n', names);
  assert.equal(again.fast, 3);
  assert.deepEqual(again.points, [
    ['a.b', 2.5, 1700000000],
    ['new.name', 1, 1700000000],
    ['tagged;a=1;b=2', 4, 1],
  ]);
});

test('parseCommonLines agrees with parseLine on 20,000 random lines of plausible and broken shapes', () => {
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
  const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(random() * 10))).join('');
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const name = pick([
      'a.b',
      'a.bc',
      'a.b.c',
      'host.cpu.user',
      `m${Math.floor(random() * 50)}.v`,
      'x;t=1',
      'bad..name',
      'é.x',
    ]);
    const value = pick([
      digits(1 + Math.floor(random() * 18)),
      `-${digits(1 + Math.floor(random() * 8))}.${digits(Math.floor(random() * 25))}`,
      `${digits(Math.floor(random() * 3))}.${digits(1 + Math.floor(random() * 6))}`,
      `${digits(2)}e${digits(1)}`,
      '-',
      '1.2.3',
    ]);
    const ts = pick([
      `1${digits(9)}`,
      // Repeats and near-repeats of one timestamp, for parseCommonLines' same-bytes shortcut.
      '1700000000',
      '1700000000',
      '17000000001',
      '170000000',
      digits(1 + Math.floor(random() * 16)),
      '-1',
      `${digits(10)}.5`,
      '',
    ]);
    const sep = pick([' ', ' ', ' ', ' ', '  ', '\t']);
    const end = pick(['', '', '', '\r', ' ']);
    lines.push(`${name}${sep}${value} ${ts}${end}`);
  }
  const text = `${lines.join('\n')}\n`;
  const { points, fast } = viaCommon(text, new NameInterner());
  assert.deepEqual(points, viaParseLine(text));
  assert.ok(fast > 500, `${fast} lines took the fast path`);
});

test('parseCommonLines learns the order names come in and still reads a line out of order right', () => {
  const names = new NameInterner();
  const batch = new PointBatch();
  const order = ['srv.a.cpu', 'srv.a.cpub', 'srv.b', 'srv.a.cpu.user'];
  const lines = (ns: string[], t: number) => Buffer.from(ns.map((n, i) => `${n} ${i} ${t}\n`).join(''));
  // First sight: each name goes through parseLine (interned there), as the receiver does.
  const first = lines(order, NOW);
  let at = 0;
  for (const n of order) {
    const nl = first.indexOf(0x0a, at);
    assert.equal(parseLine(first, at, nl, options, undefined, names)?.ok, true, n);
    at = nl + 1;
  }
  // The same order, read twice: every line taken here, and each name learns its successor.
  for (const t of [NOW + 10, NOW + 20]) {
    const buf = lines(order, t);
    batch.clear();
    assert.equal(parseCommonLines(buf, 0, buf.length, COMMON_OPTIONS, names, batch), buf.length);
    assert.deepEqual(batch.names.slice(0, batch.length), order);
    assert.deepEqual(
      [...batch.timestamps.subarray(0, batch.length)],
      order.map(() => t),
    );
  }
  const entryOf = (n: string) => {
    const b = Buffer.from(n);
    let h = FNV_BASIS;
    for (const x of b) h = fnvStep(h, x);
    return names.find(b, 0, b.length, h);
  };
  const next = Buffer.from('srv.a.cpub 1 2\n');
  const view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  assert.equal(names.nextAfter(entryOf('srv.a.cpu'), next, view, 0, next.length), entryOf('srv.a.cpub'));
  // The learnt successor is checked byte for byte: a name one byte shorter or longer is not it.
  const shorter = Buffer.from('srv.a.cpu 1 2\n');
  const longer = Buffer.from('srv.a.cpubx 1 2\n');
  const same = Buffer.from('srv.a.cpuc 1 2\n');
  for (const b of [shorter, longer, same])
    assert.equal(
      names.nextAfter(
        entryOf('srv.a.cpu'),
        b,
        new DataView(b.buffer, b.byteOffset, b.byteLength),
        0,
        b.length,
      ),
      -1,
    );
  // Out of order, and a name that is a prefix of the expected one: what parseLine gives, line for line.
  // A name that is not plain ASCII is never taken here unless learnt as a successor: parseLine reads it.
  const mixed = ['srv.a.cpu', 'srv.a.cpu.user', 'srv.a.cpu', 'srv.a.cpub', 'srv.b', 'srv.b', 'é.x', 'srv.b'];
  const text = mixed.map((n, i) => `${n} ${i}.5 ${NOW + (i % 2)}`).join('\n') + '\n';
  const got = viaCommon(text, names);
  assert.deepEqual(got.points, viaParseLine(text));
  assert.equal(got.fast, mixed.length - 1);
  assert.equal(batch.lastEntry >= 0, true);
});
