import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Series } from '../../storage/series.js';
import { defaultRegistry } from './index.js';
import { bindArgs } from './params.js';
import { PyNumber, type Value } from './values.js';

const registry = defaultRegistry();
const series: Series[] = [];
const int = (v: number) => new PyNumber(v, false);
const float = (v: number) => new PyNumber(v, true);

function bind(name: string, args: Value[], kwargs: Record<string, Value> = {}) {
  return bindArgs(name, registry.get(name)!, args, new Map(Object.entries(kwargs)));
}

test('bindArgs: positional, multiple and keyword arguments bind to parameter names with defaults', () => {
  const sum = bind('sum', [series, series]);
  assert.deepEqual(sum.get('seriesLists'), [series, series]);
  const p = bind('percentileOfSeries', [series, int(50)]);
  assert.equal(p.get('n'), 50);
  assert.equal(p.get('interpolate'), false);
  const q = bind('percentileOfSeries', [series], { n: float(2.5), interpolate: 'True' });
  assert.equal(q.get('n'), 2.5);
  assert.equal(q.get('interpolate'), true);
  const g = bind('groupByNode', [series, int(1)]);
  assert.equal(g.get('callback'), 'average');
  assert.deepEqual(bind('groupByNodes', [series, 'sum', int(1), 'dc']).get('nodes'), [1, 'dc']);
  // A node given as an integer string is read as Python's int() would.
  assert.deepEqual(bind('sumSeriesWithWildcards', [series, ' 3 ']).get('position'), [3]);
  // The deprecated `sumSeries` spelling of an aggregation function is accepted, as upstream.
  assert.equal(bind('aggregate', [series, 'sumSeries']).get('func'), 'sumSeries');
});

// [function, args, kwargs, message]
const bad: [string, Value[], Record<string, Value>, RegExp][] = [
  ['sumSeries', [], {}, /missing required parameter "seriesLists" for function "sumSeries"/],
  [
    'sumSeries',
    [int(5)],
    {},
    /invalid seriesList for parameter "seriesLists" of function "sumSeries": got 5/,
  ],
  [
    'aggregate',
    [series, 'bogus'],
    {},
    /parameter "func" of function "aggregate": got 'bogus'; want one of average/,
  ],
  [
    'aggregate',
    [series, 'sum', 'x'],
    {},
    /invalid float for parameter "xFilesFactor" of function "aggregate": got 'x'/,
  ],
  ['percentileOfSeries', [series, 'lots'], {}, /invalid float for parameter "n"/],
  [
    'percentileOfSeries',
    [series, int(5), 'maybe'],
    {},
    /invalid boolean for parameter "interpolate".*'maybe'/,
  ],
  [
    'sumSeriesWithWildcards',
    [series, float(1.5)],
    {},
    /invalid node for parameter "position".*got 1.5; want an integer/,
  ],
  [
    'percentileOfSeries',
    [series, int(5), true, int(1)],
    {},
    /too many arguments for function "percentileOfSeries": got 4; want at most 3/,
  ],
  [
    'aggregate',
    [series, 'sum'],
    { xff: float(0.5) },
    /unexpected keyword arguments for function "aggregate": xff/,
  ],
  ['aggregate', [series], {}, /missing required parameter "func" for function "aggregate"/],
];

test('bindArgs: a bad argument names the function, the parameter and what was given', () => {
  for (const [name, args, kwargs, message] of bad)
    assert.throws(() => bind(name, args, kwargs), message, name);
});

test('registry: every function and alias is registered once, with a group and a description', () => {
  const entries = registry.entries();
  assert.ok(entries.length >= 20);
  assert.equal(registry.get('sum'), registry.get('sumSeries'));
  assert.equal(registry.get('avg'), registry.get('averageSeries'));
  for (const [name, spec] of entries) {
    assert.ok(spec.group && spec.description, name);
    const multiple = spec.params.findIndex((p) => p.multiple);
    assert.ok(
      multiple === -1 || multiple === spec.params.length - 1,
      `${name}: only the last may be multiple`,
    );
  }
});
