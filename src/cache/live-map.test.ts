import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LiveMap } from './live-map.js';

test('LiveMap: a deleted key reads as absent, counts as gone, and comes back in its old entry', () => {
  const m = new LiveMap();
  m.set('a', 0);
  m.set('b', 7);
  assert.equal(m.size, 2);
  m.delete('a');
  m.delete('a');
  m.delete('nope');
  assert.equal(m.get('a'), undefined);
  assert.equal(m.has('a'), false);
  assert.equal(m.size, 1);
  assert.deepEqual([...m.keys()], ['b']);
  assert.equal(m.held, 2, 'the dead entry is kept');
  m.set('a', 3);
  m.set('b', 8);
  assert.equal(m.size, 2);
  assert.equal(m.held, 2, 'and reused');
  assert.deepEqual([...m.keys()], ['a', 'b']);
  assert.equal(m.get('a'), 3);
  assert.equal(m.get('b'), 8);
});

test('LiveMap: dead entries are dropped once over PRUNE_MIN and over twice the live ones', () => {
  const m = new LiveMap();
  const n = LiveMap.PRUNE_MIN + 10;
  for (let i = 0; i < n; i++) m.set(`k${i}`, i);
  // Deleting all but 5: the prune comes when the dead pass PRUNE_MIN (then far above twice the live).
  for (let i = 0; i < n - 5; i++) m.delete(`k${i}`);
  assert.equal(m.size, 5);
  assert.ok(m.held < 20, `${m.held} entries held after the prune`);
  assert.deepEqual([...m.keys()], [`k${n - 5}`, `k${n - 4}`, `k${n - 3}`, `k${n - 2}`, `k${n - 1}`]);
  assert.equal(m.get('k0'), undefined);
  m.set('k0', 1);
  assert.equal(m.get('k0'), 1);
});

test('LiveMap: many dead entries stay while the live ones are as many (a fleet between intervals)', () => {
  const m = new LiveMap();
  const n = 2 * LiveMap.PRUNE_MIN;
  for (let i = 0; i < n; i++) m.set(`k${i}`, i);
  for (let i = 0; i < n / 2 - 1; i++) m.delete(`k${i}`);
  assert.equal(m.held, n, 'under twice the live: no prune');
});
