import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { DEBIAN_PYTHON, ensureDebianPackages } from '../../test/support/debian.js';
import { DEFAULT_NAME_LIMITS, formatTaggedName, normalizeMetricName, parseTaggedName } from './names.js';

// [input, canonical form]
const GOOD: [string, string][] = [
  ['a', 'a'],
  ['servers.web01.cpu.user', 'servers.web01.cpu.user'],
  ['a-b_c:d@e{f}', 'a-b_c:d@e{f}'],
  ['~a.b', 'a.b'],
  ['~~x', 'x'],
  ['α.β.温度', 'α.β.温度'],
  ['emoji.😀', 'emoji.😀'],
  ['cpu;host=a', 'cpu;host=a'],
  ['cpu;z=1;a=2;m=3', 'cpu;a=2;m=3;z=1'],
  ['cpu;a=1;a=2', 'cpu;a=2'],
  ['cpu;name=other', 'cpu'],
  ['~cpu;dc=x', 'cpu;dc=x'],
  ['cpu;v=1.2.3', 'cpu;v=1.2.3'],
  ['cpu;v=a=b', 'cpu;v=a=b'],
  ['cpu;v=..', 'cpu;v=..'],
  // tagged series are stored under their hash, so a tag value may be a path
  ['disk;mount=/var/lib', 'disk;mount=/var/lib'],
  // sorted on the whole ";tag=value" string: "." (0x2e) sorts before "=" (0x3d)
  ['m;a=1;a.b=2', 'm;a.b=2;a=1'],
  ['cpu{host="a",dc="x"}', 'cpu;dc=x;host=a'],
  ['cpu{v="q\\"x"}', 'cpu;v=q"x'],
  ['cpu{a="1":,b="2"}', 'cpu;a=1;b=2'],
];

const BAD: [string, RegExp][] = [
  ['', /empty name/],
  ['.a', /leading dot at offset 0 in "\.a"/],
  ['a.', /trailing dot at offset 1 in "a\."/],
  ['a..b', /empty segment at offset 2 in "a\.\.b"/],
  ['..', /leading dot/],
  ['~', /only "~"/],
  ['a/b', /directory separator \(U\+002F\) at offset 1/],
  ['../../etc/passwd', /directory separator|leading dot/],
  ['a\\b', /directory separator \(U\+005C\) at offset 1/],
  ['a\0b', /control character \(U\+0000\) at offset 1/],
  ['a\tb', /control character \(U\+0009\)/],
  ['a\x7fb', /control character \(U\+007F\)/],
  ['a\u0085b', /control character \(U\+0085\)/],
  ['a b', /whitespace \(U\+0020\) at offset 1/],
  ['a\u00a0b', /whitespace \(U\+00A0\)/],
  ['a\ud800b', /unpaired surrogate \(U\+D800\) at offset 1/],
  ['a\udc00', /unpaired surrogate/],
  [';a=b', /nothing before the first ";"/],
  ['~;a=b', /only "~"/],
  ['cpu;', /got tag "" at offset 4/],
  ['cpu;host', /got tag "host" at offset 4/],
  ['cpu;=x', /got tag "=x"/],
  ['cpu;host=', /empty value for tag "host" at offset 4/],
  ['cpu;ho!st=a', /"!" in tag "ho!st"/],
  ['cpu;ho^st=a', /"\^" in tag/],
  ['cpu;host=~a', /want no leading "~"/],
  ['a..b;x=y', /empty segment at offset 2/],
  ['{a="b"}', /nothing before "\{"/],
  ['a{b{c="d"}', /second "\{"/],
  ['cpu{host=a"}', /want tag="value"/],
  ['cpu{host=""}', /want tag="value"/],
  ['cpu{host="~x"}', /no leading "~"/],
  ['cpu{v="a\\\\b"}', /directory separator \(U\+005C\) at offset 7 in "cpu;v=a\\\\b"/],
  ['disk/x;mount=var', /directory separator \(U\+002F\) at offset 4/],
  [`${'ab.'.repeat(341)}ab`, /1025-byte name/],
  [`a.${'s'.repeat(252)}.b`, /252-byte segment at offset 2/],
  [`a.${'é'.repeat(126)}`, /252-byte segment/],
];

test('normalizeMetricName accepts and canonicalizes the good cases', () => {
  for (const [input, want] of GOOD) {
    assert.deepEqual(normalizeMetricName(input), { ok: true, name: want }, input);
  }
});

test('normalizeMetricName refuses each bad class with an error quoting the input', () => {
  for (const [input, want] of BAD) {
    const r = normalizeMetricName(input);
    assert.equal(r.ok, false, `accepted ${JSON.stringify(input)}`);
    if (!r.ok) assert.match(r.error, want, JSON.stringify(input));
  }
});

test('normalization is idempotent (parse-print round trip)', () => {
  for (const [, canonical] of GOOD) {
    assert.deepEqual(normalizeMetricName(canonical), { ok: true, name: canonical });
  }
});

test('limits are configurable', () => {
  assert.equal(normalizeMetricName('abcd', { ...DEFAULT_NAME_LIMITS, maxLength: 3 }).ok, false);
  assert.equal(normalizeMetricName('abc', { ...DEFAULT_NAME_LIMITS, maxLength: 3 }).ok, true);
  assert.equal(normalizeMetricName('ab.c', { ...DEFAULT_NAME_LIMITS, maxSegmentLength: 1 }).ok, false);
});

test('parseTaggedName and formatTaggedName', () => {
  const r = parseTaggedName('~disk;mount=var;dev=sda;__proto__=x');
  assert.ok(r.ok);
  // A tag named __proto__ stays data: the tag record has no prototype to overwrite.
  assert.deepEqual(Object.entries(r.tags), [
    ['mount', 'var'],
    ['dev', 'sda'],
    ['__proto__', 'x'],
    ['name', 'disk'],
  ]);
  assert.equal(r.metric, 'disk');
  assert.equal(formatTaggedName(r.tags), 'disk;__proto__=x;dev=sda;mount=var');
});

test('tagged canonical forms match carbon 1.1.7 TaggedSeries.parse(...).path', (t) => {
  const skip = ensureDebianPackages(['graphite-carbon']);
  if (skip) return t.skip(skip);
  const inputs = GOOD.map(([input]) => input).filter((s) => s.includes(';') || s.endsWith('"}'));
  const script =
    'import sys, json\nfrom carbon.util import TaggedSeries\n' +
    'print(json.dumps([TaggedSeries.parse(n).path for n in json.load(sys.stdin)]))';
  const r = spawnSync(DEBIAN_PYTHON, ['-c', script], { input: JSON.stringify(inputs), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const carbon: string[] = JSON.parse(r.stdout);
  assert.equal(carbon.length, inputs.length);
  inputs.forEach((input, i) => {
    assert.deepEqual(normalizeMetricName(input), { ok: true, name: carbon[i] }, input);
  });
});
