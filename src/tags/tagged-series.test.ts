import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTags, parseTaggedSeries, parseTagSpec } from './tagged-series.js';

test('parseTaggedSeries: canonical paths and tags as TaggedSeries.parse', () => {
  const good: [string, string, [string, string][]][] = [
    ['a.b', 'a.b', [['name', 'a.b']]],
    [
      'a.b;z=1;a=2',
      'a.b;a=2;z=1',
      [
        ['z', '1'],
        ['a', '2'],
        ['name', 'a.b'],
      ],
    ],
    [
      '~a;x=y',
      'a;x=y',
      [
        ['x', 'y'],
        ['name', 'a'],
      ],
    ],
    [
      'a;name=ignored;b=c',
      'a;b=c',
      [
        ['name', 'a'],
        ['b', 'c'],
      ],
    ],
    [
      'a;x=1;x=2',
      'a;x=2',
      [
        ['x', '2'],
        ['name', 'a'],
      ],
    ],
    [
      'a;x=b=c',
      'a;x=b=c',
      [
        ['x', 'b=c'],
        ['name', 'a'],
      ],
    ],
    [
      'cpu{dc="eu",host="a\\"b"}',
      'cpu;dc=eu;host=a"b',
      [
        ['dc', 'eu'],
        ['host', 'a"b'],
        ['name', 'cpu'],
      ],
    ],
  ];
  for (const [input, path, tags] of good) {
    const parsed = parseTaggedSeries(input);
    assert.equal(parsed.path, path, input);
    assert.deepEqual([...parsed.tags], tags, input);
    assert.equal(formatTags(parsed.tags), path, input);
  }
});

test('parseTaggedSeries: refuses what TaggedSeries.parse refuses, quoting the path', () => {
  const bad: [string, RegExp][] = [
    [';a=b', /no metric/],
    ['a;b', /at position 2: got 'b'; want tag=value/],
    ['a;=b', /at position 2: got '=b'/],
    ['a;b=', /value for tag "b" may not be empty/],
    ['a;b!=c', /character "!" is not allowed in tag "b!"/],
    ['a;b=~c', /may not start with "~"/],
    ['~~;a=b', /only '~'/],
    ['cpu{dc=eu"}', /invalid segment/],
  ];
  for (const [input, message] of bad) assert.throws(() => parseTaggedSeries(input), message, input);
});

test('parseTagSpec: the four operators; anything else names the position', () => {
  assert.deepEqual(parseTagSpec('dc=eu'), { tag: 'dc', operator: '=', spec: 'eu' });
  assert.deepEqual(parseTagSpec('dc!=eu'), { tag: 'dc', operator: '!=', spec: 'eu' });
  assert.deepEqual(parseTagSpec('dc=~e.*'), { tag: 'dc', operator: '=~', spec: 'e.*' });
  assert.deepEqual(parseTagSpec('dc!=~^e'), { tag: 'dc', operator: '!=~', spec: '^e' });
  assert.deepEqual(parseTagSpec('dc='), { tag: 'dc', operator: '=', spec: '' });
  for (const [expr, message] of [
    ['dc', /Invalid tagspec dc: at position 2/],
    ['=eu', /at position 0: got '=eu'/],
    ['dc=e;u', /Invalid tagspec/],
    ['a!b=c', /Invalid tagspec a!b=c: at position 1/],
  ] as const)
    assert.throws(() => parseTagSpec(expr), message, expr);
});
