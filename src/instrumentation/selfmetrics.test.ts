import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SelfMetrics } from './selfmetrics.js';

test('counters are reported per interval, gauges as they stand, averages over the interval', () => {
  const points: Array<[string, number, number]> = [];
  const writer = {
    committedPoints: 0,
    updateOperations: 0,
    updateTimeMs: 0,
    pointsPerUpdate: 99,
    'cache.size': 0,
  };
  const sm = new SelfMetrics({
    prefix: 'carbon',
    instance: 'x',
    intervalSeconds: 60,
    sink: { add: (n, t, v) => points.push([n, t, v]), paused: false, onResume: () => {} },
    sources: [
      { stats: () => ({ metricsReceived: 10, errors: 1 }) },
      { stats: () => ({ metricsReceived: 5, errors: 0 }) },
      { stats: () => ({ ...writer }) },
    ],
  });
  writer.committedPoints = 300;
  writer.updateOperations = 30;
  writer.updateTimeMs = 60;
  writer['cache.size'] = 1234;
  sm.report(1000);
  const first = new Map(points.map(([n, , v]) => [n, v]));
  assert.equal(first.get('carbon.agents.x.metricsReceived'), 15);
  assert.equal(first.get('carbon.agents.x.errors'), 1);
  assert.equal(first.get('carbon.agents.x.committedPoints'), 300);
  assert.equal(first.get('carbon.agents.x.pointsPerUpdate'), 10);
  assert.equal(first.get('carbon.agents.x.avgUpdateTime'), 0.002);
  assert.equal(first.get('carbon.agents.x.cache.size'), 1234);
  assert.ok((first.get('carbon.agents.x.memUsage') ?? 0) > 0);
  assert.equal(first.has('carbon.agents.x.updateTimeMs'), false);
  assert.ok(points.every(([, t]) => t === 1000));

  points.length = 0;
  writer.committedPoints = 350;
  writer.updateOperations = 35;
  writer.updateTimeMs = 70;
  writer['cache.size'] = 1000;
  sm.report(1060);
  const second = new Map(points.map(([n, , v]) => [n, v]));
  assert.equal(second.get('carbon.agents.x.metricsReceived'), 0);
  assert.equal(second.get('carbon.agents.x.committedPoints'), 50);
  assert.equal(second.get('carbon.agents.x.updateOperations'), 5);
  assert.equal(second.get('carbon.agents.x.pointsPerUpdate'), 10);
  assert.equal(second.get('carbon.agents.x.cache.size'), 1000);
});
