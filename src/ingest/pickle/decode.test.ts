import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { DEBIAN_PYTHON, ensureDebianPackages } from '../../../test/support/debian.js';
import { DEFAULT_POINT_LIMITS } from '../datapoint.js';
import { decodePickleFrame, type PickleOptions } from './decode.js';
import { PickleDict, unpickle } from './unpickle.js';

const NOW = 1_700_000_500;
const options: PickleOptions = { ...DEFAULT_POINT_LIMITS, now: NOW };

/** Runs `script` under Debian's Python; it prints a JSON object of name -> list of hex pickles. */
function python(script: string): Record<string, string[]> {
  const r = spawnSync(DEBIAN_PYTHON, ['-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const PRELUDE = `
import json, os, pickle
def all_protocols(data):
    return [pickle.dumps(data, protocol=p).hex() for p in range(6)]
`;

test('pickles from Python, protocols 0-5, decode to the same points', (t) => {
  const skip = ensureDebianPackages(['python3']);
  if (skip) return t.skip(skip);
  const fixtures = python(`${PRELUDE}
shared = (1700000000, 42)
data = [
    ("a.b.c", (1700000000, 1.5)),
    ("neg", (1700000001, -7)),
    ("big", (1700000002, 2**62)),
    ("huge", (1700000003, -(2**100))),
    ("small", (1700000004, 255)),
    ("mid", (1700000005, 65535)),
    ("température.α", (1700000006.9, 0.1)),
    ("~cpu;z=1;a=2", (1700000007, 1e300)),
    ("now", (-1, 3)),
    ("text", ("1700000008", " 2.5 ")),
    ("flag", (1700000009, True)),
    ("shared1", shared),
    ("shared2", shared),
    ["as.list", [1700000010, 0]],
]
print(json.dumps({"points": all_protocols(data), "tuple_top": all_protocols(tuple(data[:2]))}))
`);
  const want = [
    { name: 'a.b.c', timestamp: 1700000000, value: 1.5 },
    { name: 'neg', timestamp: 1700000001, value: -7 },
    { name: 'big', timestamp: 1700000002, value: 2 ** 62 },
    { name: 'huge', timestamp: 1700000003, value: -(2 ** 100) },
    { name: 'small', timestamp: 1700000004, value: 255 },
    { name: 'mid', timestamp: 1700000005, value: 65535 },
    { name: 'température.α', timestamp: 1700000006, value: 0.1 },
    { name: 'cpu;a=2;z=1', timestamp: 1700000007, value: 1e300 },
    { name: 'now', timestamp: NOW, value: 3 },
    { name: 'text', timestamp: 1700000008, value: 2.5 },
    { name: 'flag', timestamp: 1700000009, value: 1 },
    { name: 'shared1', timestamp: 1700000000, value: 42 },
    { name: 'shared2', timestamp: 1700000000, value: 42 },
    { name: 'as.list', timestamp: 1700000010, value: 0 },
  ];
  assert.equal(fixtures.points.length, 6);
  fixtures.points.forEach((hex, protocol) => {
    const r = decodePickleFrame(Buffer.from(hex, 'hex'), options);
    assert.deepEqual(r, { ok: true, points: want, rejected: [] }, `protocol ${protocol}`);
  });
  fixtures.tuple_top.forEach((hex, protocol) => {
    const r = decodePickleFrame(Buffer.from(hex, 'hex'), options);
    assert.ok(r.ok && r.points.length === 2, `tuple at top, protocol ${protocol}`);
  });
});

test('code-running pickles from Python are refused by opcode and offset, at every protocol', (t) => {
  const skip = ensureDebianPackages(['python3']);
  if (skip) return t.skip(skip);
  const fixtures = python(`${PRELUDE}
class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/carbonado-pwned",))
print(json.dumps({"evil": all_protocols([("a", (1, 2)), Evil()]),
                  "bytes_p2": [pickle.dumps([(b"a", (1, 2))], protocol=2).hex()]}))
`);
  fixtures.evil.forEach((hex, protocol) => {
    const r = decodePickleFrame(Buffer.from(hex, 'hex'), options);
    assert.ok(!r.ok, `protocol ${protocol} accepted`);
    const want =
      protocol >= 4
        ? /^STACK_GLOBAL \(0x93\) at offset \d+: refused/
        : /^GLOBAL \(0x63 'c'\) at offset \d+: refused/;
    assert.match(r.error, want, `protocol ${protocol}`);
  });
  // Python 3 pickles bytes at protocol 2 as a call to _codecs.encode: refused as well.
  const r = decodePickleFrame(Buffer.from(fixtures.bytes_p2[0], 'hex'), options);
  assert.ok(!r.ok && /GLOBAL/.test(r.error));
});

// Hand-written pickles: Python 2 clients, and hostile inputs.
const PY2_PROTOCOL0 =
  "(lp0\n(S'a.b'\np1\n(I1700000000\nF1.5\ntp2\ntp3\na(S'c\\xc3\\xa9'\np4\n(L1700000001L\nI01\ntp5\ntp6\na.";
const PY2_PROTOCOL2 = Buffer.concat([
  Buffer.from('\x80\x02]q\x00(U\x03a.bq\x01J', 'latin1'),
  Buffer.from([0x00, 0xf1, 0x53, 0x65]),
  Buffer.from('K\x07\x86q\x02\x86q\x03e.', 'latin1'),
]);

test('Python 2 pickles (STRING, SHORT_BINSTRING, LONG, INT booleans) decode', () => {
  assert.deepEqual(decodePickleFrame(Buffer.from(PY2_PROTOCOL0, 'latin1'), options), {
    ok: true,
    points: [
      { name: 'a.b', timestamp: 1700000000, value: 1.5 },
      { name: 'cé', timestamp: 1700000001, value: 1 },
    ],
    rejected: [],
  });
  assert.deepEqual(decodePickleFrame(PY2_PROTOCOL2, options), {
    ok: true,
    points: [{ name: 'a.b', timestamp: 1700000000, value: 7 }],
    rejected: [],
  });
});

const REFUSED: [string, Buffer, RegExp][] = [
  [
    'os.system via GLOBAL+REDUCE',
    Buffer.from("cos\nsystem\n(S'touch /tmp/x'\ntR.", 'latin1'),
    /^GLOBAL \(0x63 'c'\) at offset 0: refused/,
  ],
  ['REDUCE alone', Buffer.from(']N)R.', 'latin1'), /^REDUCE \(0x52 'R'\) at offset 3/],
  ['BUILD', Buffer.from('}}b.', 'latin1'), /^BUILD \(0x62 'b'\) at offset 2/],
  ['INST', Buffer.from('(ios\nsystem\n.', 'latin1'), /^INST \(0x69 'i'\) at offset 1/],
  ['OBJ', Buffer.from('(N)o.', 'latin1'), /^OBJ \(0x6f 'o'\) at offset 3/],
  ['NEWOBJ', Buffer.from('\x80\x02N)\x81.', 'latin1'), /^NEWOBJ \(0x81\) at offset 4/],
  ['EXT1', Buffer.from('\x80\x02\x82\x01.', 'latin1'), /^EXT1 \(0x82\) at offset 2/],
  ['PERSID', Buffer.from('P1\n.', 'latin1'), /^PERSID \(0x50 'P'\) at offset 0/],
  ['BINPERSID', Buffer.from('NQ.', 'latin1'), /^BINPERSID/],
  ['NEXT_BUFFER', Buffer.from('\x80\x05\x97.', 'latin1'), /^NEXT_BUFFER \(0x97\) at offset 2/],
  ['unknown opcode', Buffer.from([0xff]), /^unknown opcode 0xff at offset 0/],
  ['protocol 6', Buffer.from('\x80\x06].', 'latin1'), /got protocol 6; want 0 to 5/],
  [
    'deep nesting',
    Buffer.from('('.repeat(100_000)),
    /^MARK \(0x28 '\('\) at offset 100: got more than 100 nested MARKs/,
  ],
  ['no STOP', Buffer.from(']', 'latin1'), /got 1 bytes and no STOP/],
  ['empty', Buffer.alloc(0), /no STOP/],
  [
    'BINUNICODE length past the end',
    Buffer.from('X\xff\xff\xff\x7fab.', 'latin1'),
    /^BINUNICODE .* at offset 0: got length 2147483647 with 3 bytes left/,
  ],
  ['BINSTRING negative length', Buffer.from('T\xff\xff\xff\xff.', 'latin1'), /got length -1/],
  ['BINUNICODE8 over 4 GB', Buffer.from('\x8d\0\0\0\0\x01\0\0\0.', 'latin1'), /got length -1/],
  ['bad UTF-8', Buffer.from('X\x01\x00\x00\x00\xff.', 'latin1'), /1 bytes that are not UTF-8/],
  ['GET of nothing', Buffer.from('h\x05.', 'latin1'), /memo index 5, which was never stored/],
  ['APPEND to a tuple', Buffer.from(')Na.', 'latin1'), /^APPEND .* want a list/],
  ['STOP on empty stack', Buffer.from('.', 'latin1'), /^STOP .* empty stack/],
  ['pop without MARK', Buffer.from('Nt.', 'latin1'), /^TUPLE .* no MARK/],
  [
    'top level not a list',
    Buffer.from('K\x05.', 'latin1'),
    /got 5; want a list of \(path, \(timestamp, value\)\)/,
  ],
  ['top level a dict', Buffer.from('}.', 'latin1'), /got a dict of 0 items; want a list/],
];

test('hostile and malformed pickles are refused with the opcode and offset', () => {
  for (const [what, bytes, want] of REFUSED) {
    const r = decodePickleFrame(bytes, options);
    assert.ok(!r.ok, `${what}: accepted`);
    assert.match(r.error, want, what);
  }
});

test('every truncation of a good pickle is refused, never thrown', () => {
  const good = Buffer.from(PY2_PROTOCOL0, 'latin1');
  for (let n = 0; n < good.length - 1; n++) {
    const r = decodePickleFrame(good.subarray(0, n), options);
    assert.equal(r.ok, false, `prefix of ${n} bytes`);
  }
});

test('random bytes never throw', () => {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let i = 0; i < 5000; i++) {
    const bytes = Buffer.alloc(1 + (rand() % 64));
    for (let k = 0; k < bytes.length; k++) bytes[k] = rand() & 0xff;
    decodePickleFrame(bytes, options);
  }
});

test('bad items are skipped and reported, the rest of the frame is accepted', (t) => {
  const skip = ensureDebianPackages(['python3']);
  if (skip) return t.skip(skip);
  const { frame } = python(`${PRELUDE}
print(json.dumps({"frame": [pickle.dumps([
    ("ok.1", (1700000000, 1)),
    ("short",),
    "junk",
    ("none.ts", (None, 1)),
    ("word", (1700000000, "x")),
    ("nan", (1700000000, float("nan"))),
    ("inf", (1700000000, float("inf"))),
    ("neg.ts", (-5, 1)),
    ("a/b", (1700000000, 1)),
    (7, (1700000000, 1)),
    (b"\\xff", (1700000000, 1)),
    ("ok.2", (1700000001, 2)),
], protocol=3).hex()]}))
`);
  const r = decodePickleFrame(Buffer.from(frame[0], 'hex'), options);
  assert.ok(r.ok);
  assert.deepEqual(r.points, [
    { name: 'ok.1', timestamp: 1700000000, value: 1 },
    { name: 'ok.2', timestamp: 1700000001, value: 2 },
  ]);
  assert.deepEqual(
    r.rejected.map((x) => [x.index, x.reason]),
    [
      [1, 'badItem'],
      [2, 'badItem'],
      [3, 'badTimestamp'],
      [4, 'badValue'],
      [5, 'badValue'],
      [6, 'badValue'],
      [7, 'badTimestamp'],
      [8, 'badName'],
      [9, 'badName'],
      [10, 'badEncoding'],
    ],
  );
  assert.match(r.rejected[0].error, /^item 1: got a tuple of 1; want \(path, \(timestamp, value\)\)/);
  assert.match(r.rejected[2].error, /^item 3: timestamp got None; want a number/);
  assert.match(r.rejected[3].error, /^item 4: value got "x"; want a decimal number/);
  assert.match(r.rejected[6].error, /^item 7: got timestamp "-5"; want epoch seconds >= 0/);
});

test('unpickle builds dicts, sets and memo references as data', () => {
  // [d, {3}, d] where d = {1: 2} is stored once and fetched back from the memo (protocol 4 opcodes).
  const r = unpickle(Buffer.from('\x80\x04]\x94(}\x94K\x01K\x02s\x8f\x94(K\x03\x90h\x01e.', 'latin1'));
  assert.ok(r.ok && Array.isArray(r.value));
  const [d, set, again] = r.value;
  assert.ok(d instanceof PickleDict);
  assert.deepEqual(d.items, [[1, 2]]);
  assert.deepEqual(set, [3]);
  assert.equal(again, d);
});
