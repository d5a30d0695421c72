import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Series } from '../../storage/series.js';
import { PIE_FUNCTIONS, parsePieLiteral, pieFunction, pieSlices } from './pie.js';

const N = Number.NaN;

function series(name: string, values: number[]): Series {
  return {
    name,
    tags: { name },
    start: 0,
    end: values.length,
    step: 1,
    values: Float64Array.from(values),
    pathExpression: name,
    xFilesFactor: 0,
  };
}

test('pie functions reduce a series as pieAverage/pieMaximum/pieMinimum do', () => {
  // [mode, points, want] — null where graphite-web's function returns None.
  const cases: [string, number[], number | null][] = [
    ['average', [1, 2, 3, 4], 2.5],
    ['average', [1, N, 3, N], 2], // safeLen counts the non-None points only
    ['average', [0.1, 0.2], 0.15000000000000002], // Python's sum, left to right
    ['average', [-5, 5], 0],
    ['average', [N, N], null],
    ['average', [], null],
    ['maximum', [3, N, 7, -1], 7],
    ['maximum', [-3, -2.5], -2.5],
    ['maximum', [N], null],
    ['minimum', [3, N, 7, -1], -1],
    ['minimum', [Number.POSITIVE_INFINITY, 5], 5],
    ['minimum', [], null],
  ];
  for (const [mode, points, want] of cases)
    assert.equal(pieFunction(mode).reduce(Float64Array.from(points)), want, `${mode} ${points}`);
});

test('pieFunction refuses an unknown pieMode, naming the known ones', () => {
  for (const mode of ['', 'avg', 'Average', 'sum'])
    assert.throws(() => pieFunction(mode), /unknown pieMode "[^"]*"; want one of average, maximum, minimum/);
  assert.deepEqual(
    PIE_FUNCTIONS.map((f) => f.name),
    ['average', 'maximum', 'minimum'],
  );
});

test('pieSlices: one slice per series, a None value becomes 0', () => {
  const slices = pieSlices(
    [series('a', [2, 4]), series('b', [N, N]), series('c', [9])],
    pieFunction('maximum'),
  );
  assert.deepEqual(slices, [
    { name: 'a', value: 4 },
    { name: 'b', value: 0 },
    { name: 'c', value: 9 },
  ]);
});

test('parsePieLiteral: name:value targets split at the first colon, Python float() values', () => {
  const good: [string, string, number][] = [
    ['a:1', 'a', 1],
    ['disk used:42.5', 'disk used', 42.5],
    ['x: 7 ', 'x', 7], // float() strips whitespace
    ['x:1_000', 'x', 1000],
    ['x:-1e3', 'x', -1000],
    ['x:.5', 'x', 0.5],
    ['x:5.', 'x', 5],
    ['x:inf', 'x', Number.POSITIVE_INFINITY],
    ['x:-Infinity', 'x', Number.NEGATIVE_INFINITY],
    [':3', '', 3],
  ];
  for (const [target, name, value] of good)
    assert.deepEqual(parsePieLiteral(target), { name, value }, target);
  const nan = parsePieLiteral('x:NaN');
  assert.ok(nan && Number.isNaN(nan.value));
  assert.equal(parsePieLiteral('sumSeries(a.*)'), null);

  const bad = ['a:', 'a:b', 'a:1:2', 'a:1__0', 'a:_1', 'a:0x10', 'a:1e', 'a:--1', 'a:in f'];
  for (const target of bad)
    assert.throws(
      () => parsePieLiteral(target),
      (err: Error) => err.message.includes(`"${target}"`) && err.message.includes('want a number'),
      target,
    );
});
