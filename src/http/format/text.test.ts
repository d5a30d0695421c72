import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Series } from '../../storage/series.js';
import { renderDygraph } from './dygraph.js';
import { pyJsonIndented } from './pretty.js';
import { renderRaw } from './raw.js';
import { renderJson } from './render.js';
import { renderRickshaw } from './rickshaw.js';

// Expected strings are what graphite-web 1.1.8's views write for the same series (checked against
// the running graphite-web in test/render-formats.test.ts; pinned here for tiny inputs).

const inf = Number.POSITIVE_INFINITY;
function series(name: string, start: number, step: number, values: number[]): Series {
  return {
    name,
    tags: { name },
    start,
    end: start + values.length * step,
    step,
    values: Float64Array.from(values),
    pathExpression: name,
    xFilesFactor: 0,
  };
}

const a = series('a.b', 60, 10, [1, Number.NaN, -0.5, inf]);
const b = series('c', 60, 10, [1e20, 2, -inf, 1e-7]);

test('raw: name,start,end,step|repr values, None for gaps, inf spelled as Python does', () => {
  assert.equal(renderRaw([a, b]), 'a.b,60,100,10|1.0,None,-0.5,inf\nc,60,100,10|1e+20,2.0,-inf,1e-07\n');
  assert.equal(renderRaw([series('x', 0, 1, [])]), 'x,0,0,1|\n');
  assert.equal(renderRaw([]), '');
});

test('dygraph: rows of the first series, timestamps in ms, null and Infinity', () => {
  assert.equal(
    renderDygraph([a, b]),
    '{"labels" : ["Time", "a.b", "c"], "data" : [[60000, 1.0, 1e+20], [70000, null, 2.0], ' +
      '[80000, -0.5, -Infinity], [90000, Infinity, 1e-07]]}',
  );
  assert.equal(renderDygraph([]), '{}');
  // A shorter later series is padded with null (upstream: a 500).
  assert.equal(
    renderDygraph([series('x', 0, 10, [1, 2]), series('y', 0, 10, [3])]),
    '{"labels" : ["Time", "x", "y"], "data" : [[0000, 1.0, 3.0], [10000, 2.0, null]]}',
  );
});

test('rickshaw: x/y points, no tags, Infinity unreplaced, indented when pretty', () => {
  assert.equal(
    renderRickshaw([series('é', 60, 10, [Number.NaN, inf])], false),
    '[{"target": "\\u00e9", "datapoints": [{"x": 60, "y": null}, {"x": 70, "y": Infinity}]}]',
  );
  assert.equal(
    renderRickshaw([series('a', 60, 10, [2])], true),
    '[\n  {\n    "target": "a",\n    "datapoints": [\n      {\n        "x": 60,\n        "y": 2.0\n      }\n    ]\n  }\n]',
  );
  assert.equal(renderRickshaw([], true), '[]');
});

test('json: ±Infinity as ±1e9999 and the same replace applied to names, as upstream', () => {
  const s = series('NaN, Infinity,', 60, 10, [inf, -inf]);
  const points = [{ values: s.values, start: 60, stride: 10 }];
  assert.equal(
    renderJson([s], points, false).toString('latin1'),
    '[{"target": "null, 1e9999,", "tags": {"name": "null, 1e9999,"}, "datapoints": [[1e9999, 60], [-1e9999, 70]]}]',
  );
  assert.equal(
    renderJson([s], points, false, true).toString('latin1'),
    '[\n  {\n    "target": "null, 1e9999,",\n    "tags": {\n      "name": "null, 1e9999,"\n    },\n' +
      '    "datapoints": [\n      [\n        1e9999,\n        60\n      ],\n      [\n        -1e9999,\n        70\n      ]\n    ]\n  }\n]',
  );
});

test('pyJsonIndented: empty containers stay on one line', () => {
  assert.equal(pyJsonIndented([new Map(), [], 'x', { raw: '1' }]), '[\n  {},\n  [],\n  "x",\n  1\n]');
});
