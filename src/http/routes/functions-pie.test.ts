import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultRegistry } from '../../query/functions/index.js';
import { Params } from '../params.js';
import type { Reply } from '../router.js';
import { functionDetailsRoute, functionListRoute } from './functions.js';

// functions/views.py: ?type=pie switches /functions and /functions/<name> to the PieFunctions table.

const registry = defaultRegistry();

async function call(handler: ReturnType<typeof functionListRoute>, query: string): Promise<Reply> {
  return handler({ params: new Params(new URLSearchParams(query)), headers: {}, now: 0 });
}

const AVERAGE =
  '{"name": "average", "function": "average(series)", "description": "Return the average", ' +
  '"module": "graphite.render.functions", "group": "Pie", ' +
  '"params": [{"name": "series", "type": "series", "required": true}]}';

test('/functions?type=pie lists average, maximum, minimum as functionInfo describes them', async () => {
  const list = await call(functionListRoute(registry), 'type=pie');
  assert.equal(list.status, 200);
  const body = String(list.body);
  assert.ok(body.startsWith(`{"average": ${AVERAGE}, "maximum": {"name": "maximum"`), body);
  assert.deepEqual(Object.keys(JSON.parse(body)), ['average', 'maximum', 'minimum']);
  assert.equal(JSON.parse(body).minimum.description, 'Return the minimum');

  const grouped = JSON.parse(String((await call(functionListRoute(registry), 'type=pie&grouped=1')).body));
  assert.deepEqual(Object.keys(grouped), ['Pie']);
  assert.deepEqual(Object.keys(grouped.Pie), ['average', 'maximum', 'minimum']);
  assert.equal((await call(functionListRoute(registry), 'type=pie&group=Combine')).body, '{}');

  // Without type=pie the series table is listed, and it holds no pie function.
  // (Python's JSON, with Infinity defaults: searched as text, not parsed.)
  const series = String((await call(functionListRoute(registry), '')).body);
  assert.ok(series.includes('"sumSeries": {"name": "sumSeries"'));
  assert.ok(!series.includes('"average": {') && !series.includes('"group": "Pie"'));
});

test('/functions/<name>?type=pie: one pie function, or the 404 a series name gets there', async () => {
  const details = functionDetailsRoute(registry);
  const one = await call(details('average'), 'type=pie');
  assert.equal(one.status, 200);
  assert.equal(one.body, AVERAGE);
  const notPie = await call(details('sumSeries'), 'type=pie');
  assert.equal(notPie.status, 404);
  assert.equal(notPie.body, '{"error": "Function not found: sumSeries"}');
  assert.equal((await call(details('average'), '')).status, 404);
});
