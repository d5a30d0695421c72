import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Series } from '../../storage/series.js';
import type { Node } from '../grammar/ast.js';
import { defaultRegistry } from './index.js';
import { bindArgs } from './params.js';
import type { FunctionContext } from './registry.js';
import { PyNumber, type Value } from './values.js';

// The filter and sort functions on small hand-made series: what the differential suite cannot show
// (graphite-web 1.1.8 answers 500 where None meets a comparison under Python 3), the errors, and
// that input series are never changed. Matching graphite-web is test/render-cases/{filter,sort}.txt.

const registry = defaultRegistry();
const N = Number.NaN;
const float = (v: number) => new PyNumber(v, true);
const int = (v: number) => new PyNumber(v, false);

function series(name: string, values: number[]): Series {
  return {
    name,
    tags: { name },
    start: 100,
    end: 100 + values.length * 10,
    step: 10,
    values: Float64Array.from(values),
    pathExpression: name,
    xFilesFactor: 0,
  };
}

/** Series a target names, for useSeriesAbove's second evaluation. */
const world = new Map<string, Series>([['a.time', series('a.time', [7, 8])]]);

function context(): FunctionContext {
  return {
    window: { from: 100, until: 140, now: 140 },
    tz: 'UTC',
    xFilesFactor: 0,
    rawArgs: [],
    // Enough of an evaluator for `group(path, ...)`.
    evaluateOver: async (node: Node) => {
      if (node.kind !== 'call' || node.name !== 'group') throw new Error('BUG: test evaluates group() only');
      return node.args.flatMap((a) => (a.kind === 'path' && world.has(a.path) ? [world.get(a.path)!] : []));
    },
    lookup: (name) => registry.get(name),
  };
}

async function call(name: string, ...args: Value[]): Promise<Series[]> {
  const spec = registry.get(name);
  assert.ok(spec, name);
  return spec.impl(context(), bindArgs(name, spec, args, new Map()));
}

const names = (l: Series[]) => l.map((s) => s.name);
const values = (s: Series) => [...s.values].map((v) => (Number.isNaN(v) ? null : v));

test('filterSeries: each operator, None passing only !=, < and <=', async () => {
  const list = [series('a', [1, 5]), series('b', [N, N]), series('c', [3, 3])];
  const cases: [string, string, number, string[]][] = [
    ['max', '>', 3, ['a']],
    ['max', '>=', 3, ['a', 'c']],
    ['max', '=', 3, ['c']],
    ['max', '!=', 3, ['a', 'b']],
    ['max', '<', 5, ['b', 'c']],
    ['max', '<=', 5, ['a', 'b', 'c']],
    ['count', '=', 0, ['b']],
    ['avg_zero', '<', 3, ['b']],
  ];
  for (const [func, op, threshold, want] of cases)
    assert.deepEqual(
      names(await call('filterSeries', list, func, op, float(threshold))),
      want,
      `${func} ${op}`,
    );
  await assert.rejects(call('filterSeries', list, 'max', '<>', float(1)), /parameter "operator".*got '<>'/);
  await assert.rejects(call('filterSeries', list, 'mode', '>', float(1)), /parameter "func".*got 'mode'/);
});

test('highest / lowest: n series by an aggregate, empty series last, ties in input order', async () => {
  // Averages 3, none, 3, 3.25; maxima 5, none, 4, 3.5; last values 5, none, 2, 3.5.
  const list = [series('a', [1, 5]), series('b', [N, N]), series('c', [4, 2]), series('d', [3, 3.5])];
  assert.deepEqual(names(await call('highest', list, int(3))), ['d', 'a', 'c']); // a and c tie: input order
  assert.deepEqual(names(await call('highest', list, int(2), 'max')), ['a', 'c']);
  assert.deepEqual(names(await call('lowest', list, int(2))), ['b', 'a']);
  assert.deepEqual(names(await call('lowestCurrent', list, int(-2))), ['b', 'c']);
  assert.deepEqual(names(await call('mostDeviant', list, int(10))), ['a', 'c', 'd']);
  await assert.rejects(call('highest', list, float(2.5)), /invalid integer for parameter "n"/);
});

test('grep / exclude: bounded regexes, a pattern that can backtrack forever is refused', async () => {
  const list = [series('web01.cpu', [1]), series('db01.cpu', [1])];
  assert.deepEqual(names(await call('grep', list, '^web\\d+')), ['web01.cpu']);
  assert.deepEqual(names(await call('exclude', list, '^web\\d+')), ['db01.cpu']);
  await assert.rejects(call('grep', list, '(a+)+$'), /grep: regex "\(a\+\)\+\$" refused at position 4/);
  await assert.rejects(call('exclude', list, '(?P=x)'), /exclude: regex .* backreferences/);
});

test('removeBetweenPercentile and averageOutsidePercentile: None ordered as Python 2 did', async () => {
  // At each time the 90th band across three values is (min, max): the middle series is dropped.
  const low = series('low', [1, 1, 1]);
  const mid = series('mid', [2, 2, 2]);
  const high = series('high', [3, 3, 3]);
  assert.deepEqual(names(await call('removeBetweenPercentile', [low, mid, high], float(90))), [
    'low',
    'high',
  ]);
  // n < 50 means 100 - n.
  assert.deepEqual(names(await call('removeBetweenPercentile', [low, mid, high], float(10))), [
    'low',
    'high',
  ]);
  // A None is below the band, so its series is kept (graphite-web 1.1.8 raises TypeError).
  const gap = series('gap', [2, N, 2]);
  assert.deepEqual(names(await call('removeBetweenPercentile', [low, gap, high], float(90))), [
    'low',
    'gap',
    'high',
  ]);
  // Averages 1, 2, 3 and none: the band is (1, 3); 'mid' is inside; an empty series is kept.
  const empty = series('empty', [N, N, N]);
  assert.deepEqual(names(await call('averageOutsidePercentile', [low, mid, high, empty], float(90))), [
    'low',
    'high',
    'empty',
  ]);
});

test('useSeriesAbove: the maximum skips None; matching names are evaluated as group(...)', async () => {
  const reqs = series('a.reqs', [N, 20]);
  const quiet = series('b.reqs', [1, N]);
  assert.deepEqual(names(await call('useSeriesAbove', [reqs, quiet], float(10), 'reqs', 'time')), ['a.time']);
  assert.deepEqual(await call('useSeriesAbove', [reqs, quiet], float(100), 'reqs', 'time'), []);
});

test('removeAbove/BelowValue and the percentile ones: names, tags, blanked values, inputs untouched', async () => {
  const s = series('a', [5, N, -1, 10, 7]);
  const [above] = await call('removeAboveValue', [s], float(7));
  assert.equal(above.name, 'removeAboveValue(a, 7)');
  assert.equal(above.pathExpression, above.name);
  assert.deepEqual(values(above), [5, null, -1, null, 7]);
  const [below] = await call('removeBelowValue', [s], float(1e-3));
  assert.equal(below.name, 'removeBelowValue(a, 0.001)');
  assert.deepEqual(values(below), [5, null, null, 10, 7]);
  // Four values, 50th percentile: rank 2.5 -> 3 -> sorted [-1, 5, 7, 10][2] = 7.
  const [abovePct] = await call('removeAbovePercentile', [s], float(50));
  assert.equal(abovePct.name, 'removeAbovePercentile(a, 50)');
  assert.deepEqual(abovePct.tags, { name: 'a', nPercentile: '50.0' });
  assert.deepEqual(values(abovePct), [5, null, -1, null, 7]);
  const [belowPct] = await call('removeBelowPercentile', [s], float(50));
  assert.deepEqual(values(belowPct), [null, null, null, 10, 7]);
  const [pct] = await call('nPercentile', [s], float(50));
  assert.equal(pct.name, 'nPercentile(a, 50)');
  assert.deepEqual(values(pct), [7, 7, 7, 7, 7]);
  // A series without values: renamed, no tag, no percentile series.
  const empty = series('e', [N, N]);
  const [renamed] = await call('removeAbovePercentile', [empty], float(50));
  assert.equal(renamed.name, 'removeAbovePercentile(e, 50)');
  assert.deepEqual(renamed.tags, { name: 'e' });
  assert.deepEqual(await call('nPercentile', [empty], float(50)), []);
  await assert.rejects(call('nPercentile', [s], float(0)), /greater than 0/);
  assert.deepEqual(values(s), [5, null, -1, 10, 7]);
  assert.deepEqual(s.tags, { name: 'a' });
  assert.equal(s.name, 'a');
});

test('removeEmptySeries, unique, limit, fallbackSeries', async () => {
  const full = series('full', [1, 2, 3, 4]);
  const half = series('half', [1, N, 3, N]);
  const none = series('none', [N, N, N, N]);
  assert.deepEqual(names(await call('removeEmptySeries', [full, half, none])), ['full', 'half']);
  assert.deepEqual(names(await call('removeEmptySeries', [full, half, none], float(0.75))), ['full']);
  assert.deepEqual(names(await call('removeEmptySeries', [full, half, none], float(0.5))), ['full', 'half']);
  assert.deepEqual(names(await call('unique', [full, half], [half, none, full])), ['full', 'half', 'none']);
  assert.deepEqual(names(await call('limit', [full, half, none], int(-1))), ['full', 'half']);
  assert.deepEqual(names(await call('fallbackSeries', [], [none])), ['none']);
  assert.deepEqual(names(await call('fallbackSeries', [full], [none])), ['full']);
});

test('sorting: by aggregate, by name (natural too), by maxima, minima and total', async () => {
  const list = [series('host10', [1, 9]), series('host9', [N, N]), series('host100', [-3, 4])];
  assert.deepEqual(names(await call('sortBy', list)), ['host9', 'host100', 'host10']);
  assert.deepEqual(names(await call('sortBy', list, 'min', true)), ['host10', 'host100', 'host9']);
  assert.deepEqual(names(await call('sortByName', list)), ['host10', 'host100', 'host9']);
  assert.deepEqual(names(await call('sortByName', list, true)), ['host9', 'host10', 'host100']);
  assert.deepEqual(names(await call('sortByName', list, true, true)), ['host100', 'host10', 'host9']);
  assert.deepEqual(names(await call('sortByMaxima', list)), ['host10', 'host100', 'host9']);
  assert.deepEqual(names(await call('sortByTotal', list)), ['host10', 'host100', 'host9']);
  // Only series whose maximum is above 0, by minimum.
  assert.deepEqual(names(await call('sortByMinima', list)), ['host100', 'host10']);
});
