import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValuesArena } from './arena.js';

test('an arena gives back its buffers on release and a later arena reuses them', () => {
  const first = new ValuesArena();
  const a = first.alloc(8460);
  const b = first.alloc(8460);
  assert.equal(a.length, 8460);
  assert.notEqual(a.buffer, b.buffer, 'two live arrays never share memory');
  first.release();
  const second = new ValuesArena();
  const c = second.alloc(8460);
  const d = second.alloc(8450); // same size class: 8,450 and 8,460 points are 67,600 and 67,680 bytes
  assert.ok([a.buffer, b.buffer].includes(c.buffer), 'reused');
  assert.ok([a.buffer, b.buffer].includes(d.buffer), 'reused');
  assert.notEqual(c.buffer, d.buffer);
  assert.equal(d.length, 8450);
  second.release();
});

test('buffers are not reused while their arena holds them, nor handed out twice', () => {
  const held = new ValuesArena();
  const x = held.alloc(5000);
  const other = new ValuesArena();
  assert.notEqual(other.alloc(5000).buffer, x.buffer);
  other.release();
  other.release(); // a second release gives nothing back twice
  const next = new ValuesArena();
  const y = next.alloc(5000);
  const z = next.alloc(5000);
  assert.notEqual(y.buffer, z.buffer);
  assert.notEqual(y.buffer, x.buffer);
  held.release();
  next.release();
});

test('tiny and huge arrays are plain allocations, and alloc after release is a bug', () => {
  const arena = new ValuesArena();
  assert.equal(arena.alloc(3).length, 3);
  assert.equal(arena.alloc(0).length, 0);
  assert.equal(arena.alloc(2_000_000).length, 2_000_000);
  arena.release();
  assert.throws(() => arena.alloc(10), /BUG: ValuesArena.alloc after release/);
});
