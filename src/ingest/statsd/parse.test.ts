import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLine, parseSample, sanitizeKeyName } from './parse.js';

type S = [type: string, value: number | string, rate?: number, delta?: boolean];

// Each good line with its canonical key and samples ([type, value or set member, rate, delta]).
const GOOD: [line: string, key: string, samples: S[]][] = [
  ['a.b:1|c', 'a.b', [['c', 1]]],
  ['a:2.5|c|@0.1', 'a', [['c', 2.5, 0.1]]],
  ['a:-3|c', 'a', [['c', -3]]],
  ['a:1|c|@1', 'a', [['c', 1, 1]]],
  ['a:1|c|@.5', 'a', [['c', 1, 0.5]]],
  ['a:1e3|c', 'a', [['c', 1000]]],
  ['t:320|ms', 't', [['ms', 320]]],
  ['t:0|ms|@0.25', 't', [['ms', 0, 0.25]]],
  ['t:-0|ms', 't', [['ms', 0]]],
  ['h:7.5|h', 'h', [['h', 7.5]]],
  ['g:42|g', 'g', [['g', 42, 1, false]]],
  ['g:+4|g', 'g', [['g', 4, 1, true]]],
  ['g:-4.5|g', 'g', [['g', -4.5, 1, true]]],
  ['s:user42|s', 's', [['s', 'user42']]],
  ['s:-1|s', 's', [['s', '-1']]],
  // several values per key, mixed types, as Etsy takes them
  [
    'k:1|c:2|c|@0.5:3|ms',
    'k',
    [
      ['c', 1],
      ['c', 2, 0.5],
      ['ms', 3],
    ],
  ],
  // Etsy's sanitizing: whitespace runs → _, / → -, others dropped
  ['my key/with$chars.x:1|c', 'my_key-withchars.x', [['c', 1]]],
  ['a\t \tb:1|c', 'a_b', [['c', 1]]],
  ['ünïcode.ok:1|c', 'ncode.ok', [['c', 1]]],
  // CRLF clients: the \r is ignored (Etsy trims the type)
  ['a:1|c\r', 'a', [['c', 1]]],
  // DogStatsD tags: k:v → k=v, sorted as carbon sorts them
  ['req:1|c|#route:/x,dc:east', 'req;dc=east;route=-x', [['c', 1]]],
  ['req:1|c|@0.5|#b:2,a:1', 'req;a=1;b=2', [['c', 1, 0.5]]],
  ['req:5|ms|#env:prod', 'req;env=prod', [['ms', 5]]],
  // "|#" with nothing after is no tags (Etsy: bits[1].length > 0)
  ['a:1|c|#', 'a', [['c', 1]]],
  // the digit-by-digit reader's edges, and what it leaves to Number(): exponents, over 15 digits
  ['a:5.|c', 'a', [['c', 5]]],
  ['a:+.5|c', 'a', [['c', 0.5]]],
  ['a:007|c', 'a', [['c', 7]]],
  ['a:0.1|c', 'a', [['c', 0.1]]],
  ['a:-0.000001|c', 'a', [['c', -0.000001]]],
  ['a:123456789012345|c', 'a', [['c', 123456789012345]]],
  // over 15 digits: the nearest double, as Number() reads it
  ['a:12345678901234567|c', 'a', [['c', 12345678901234568]]],
  ['a:0.12345678901234567|c', 'a', [['c', 0.12345678901234566]]],
  ['a:2.5E-3|c', 'a', [['c', 0.0025]]],
  ['a:1|c|@1.|#', 'a', [['c', 1, 1]]],
  ['a:1|c|@0.0000000000000001', 'a', [['c', 1, 1e-16]]],
];

// Each bad line and the quoted part its error must contain.
const BAD: [line: string, quoted: string][] = [
  ['nocolon', '"nocolon"'],
  ['a:', '""'],
  ['a:1', '"1"'],
  ['a:1|', '""'],
  ['a:1|x', '"x"'],
  ['a:1|C', '"C"'],
  ['a:1|c ', '"c "'],
  [':1|c', '":1|c"'],
  ['$$$:1|c', '"$$$"'],
  ['a..b:1|c', '"a..b"'],
  ['.a:1|c', '".a"'],
  ['a:Infinity|c', '"Infinity"'],
  ['a:-Infinity|g', '"-Infinity"'],
  ['a:NaN|c', '"NaN"'],
  ['a:0x1f|c', '"0x1f"'],
  ['a:1e400|c', '"1e400"'],
  ['a: 5|c', '" 5"'],
  ['a:1_000|c', '"1_000"'],
  ['a:|c', '""'],
  ['a:1|c|@0', '"@0"'],
  ['a:1|c|@-0.5', '"@-0.5"'],
  ['a:1|c|@1.5', '"@1.5"'],
  ['a:1|c|@1e-3', '"@1e-3"'],
  ['a:1|c|0.5', '"0.5"'],
  ['a:1|c|@', '"@"'],
  ['a:1|c|@0.5|x', '"|x"'],
  ['t:-1|ms', '"-1"'],
  ['h:-0.1|h', '"-0.1"'],
  ['s:|s', '""'],
  ['a:1|c|#novalue', '"a;novalue"'],
  ['a:1|c|#k:', '"k"'],
  ['a:1|c|#k:v|c:container', '"|c:container"'],
  ['a:1|c|#x:1,,y:2', '""'],
  [`${'x'.repeat(900)}:1|c`, 'xxxx'],
  ['a:1.2.3|c', '"1.2.3"'],
  ['a:-|c', '"-"'],
  ['a:+|g', '"+"'],
  ['a:.|c', '"."'],
  ['a:--1|c', '"--1"'],
  ['a:1e|c', '"1e"'],
  ['a:1|c|@.', '"@."'],
  ['a:1|c|@+0.5', '"@+0.5"'],
  ['a:1|cc', '"cc"'],
  ['a:1|m', '"m"'],
  ['a:1|mss', '"mss"'],
];

describe('statsd parseLine', () => {
  for (const [line, key, want] of GOOD) {
    it(`accepts ${JSON.stringify(line)}`, () => {
      const p = parseLine(line);
      assert.deepEqual(p.errors, []);
      assert.equal(p.key, key);
      const got = p.samples.map((s): S => {
        const v = s.type === 's' ? s.member : s.value;
        return [s.type, v, s.sampleRate, s.delta];
      });
      const full = want.map(([t, v, r = 1, d = false]): S => [t, v, r, d]);
      assert.deepEqual(got, full);
    });
  }
  for (const [line, quoted] of BAD) {
    it(`refuses ${JSON.stringify(line.slice(0, 40))}`, () => {
      const p = parseLine(line);
      assert.equal(p.samples.length, 0, 'no sample may come from a bad line');
      assert.equal(p.errors.length, 1);
      assert.ok(p.errors[0].includes(quoted), `error ${p.errors[0]} should quote ${quoted}`);
      assert.match(p.errors[0], /got .*(want|;)/);
    });
  }

  it('keeps the good groups of a line and reports each bad one with its offset', () => {
    const p = parseLine('k:1|c:x|c:2|ms|@0:3|g');
    assert.deepEqual(
      p.samples.map((s) => [s.type, s.value]),
      [
        ['c', 1],
        ['g', 3],
      ],
    );
    assert.equal(p.errors.length, 2);
    assert.match(
      p.errors[0],
      /^got "x" at offset 6 in "k:1\|c:x\|c:2\|ms\|@0:3\|g"; want a finite decimal number$/,
    );
    assert.match(p.errors[1], /^got "@0" at offset 15 /);
  });

  it('keeps tags as sent but still sanitizes the metric part when keyNameSanitize is off', () => {
    assert.equal(parseLine('a b:1|c|#k:v').key, 'a_b;k=v');
    assert.deepEqual(parseLine('a:1|c|#k:v$w', false).errors.length, 0);
    assert.equal(parseLine('a:1|c|#k:v$w', false).key, 'a;k=v$w');
    assert.equal(parseLine('a:1|c|#k:v$w', true).key, 'a;k=vw');
  });

  it('reads every plain decimal to the very double Number() gives', () => {
    // A fixed linear congruential sequence: the same cases each run.
    let seed = 12345;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      const digits = 1 + next(17);
      let text = '';
      for (let d = 0; d < digits; d++) text += String(next(10));
      const dot = next(digits + 2);
      if (dot <= digits) text = `${text.slice(0, dot)}.${text.slice(dot)}`;
      if (next(3) === 0) text = `-${text}`;
      const s = parseSample(`${text}|g`, 0);
      assert.ok(typeof s !== 'string', s as string);
      assert.ok(Object.is(s.value, Number(text) + 0), `${text}: got ${s.value}, want ${Number(text)}`);
    }
  });

  it('sanitizes exactly as Etsy', () => {
    assert.equal(sanitizeKeyName('a b\n\tc/d:e;f=g!h'), 'a_b_c-de;f=gh');
  });
});
