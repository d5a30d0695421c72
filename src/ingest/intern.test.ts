import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FNV_BASIS, fnvStep, NameInterner } from './intern.js';

function hashOf(b: Uint8Array): number {
  let h = FNV_BASIS;
  for (const x of b) h = fnvStep(h, x);
  return h;
}

test('fnvStep is 32-bit FNV-1a (published test vectors)', () => {
  const u32 = (s: string) => hashOf(Buffer.from(s)) >>> 0;
  assert.equal(u32(''), 0x811c9dc5);
  assert.equal(u32('a'), 0xe40c292c);
  assert.equal(u32('foobar'), 0xbf9cf968);
});

test('get finds what add stored, by bytes, anywhere in a buffer; other bytes miss', () => {
  const t = new NameInterner();
  const line = Buffer.from('xx servers.web1.cpu 1 2');
  const h = hashOf(line.subarray(3, 19));
  t.add(line, 3, 19, h, 'servers.web1.cpu');
  const again = Buffer.from('servers.web1.cpu');
  assert.equal(t.get(again, 0, again.length, h), 'servers.web1.cpu');
  const other = Buffer.from('servers.web1.cpx');
  assert.equal(t.get(other, 0, other.length, hashOf(other)), undefined);
  // Same hash, different bytes (as a collision would be): still a miss.
  assert.equal(t.get(other, 0, other.length, h), undefined);
  // A prefix with the same hash value is not the name either.
  assert.equal(t.get(again, 0, again.length - 1, h), undefined);
});

test('colliding hashes and a growing table keep every name apart', () => {
  const t = new NameInterner();
  const names = Array.from({ length: 20_000 }, (_, i) => `m${i}.value`);
  // Every fourth name is stored under one shared hash, so probing walks past many entries.
  const hashFor = (b: Buffer, i: number) => (i % 4 === 0 ? 12345 : hashOf(b));
  names.forEach((n, i) => {
    const b = Buffer.from(n);
    t.add(b, 0, b.length, hashFor(b, i), n);
  });
  assert.equal(t.size, names.length);
  names.forEach((n, i) => {
    const b = Buffer.from(n);
    assert.equal(t.get(b, 0, b.length, hashFor(b, i)), n);
  });
});

test('past maxBytes of names the table starts afresh instead of growing', () => {
  const t = new NameInterner(100);
  const add = (n: string) => {
    const b = Buffer.from(n);
    t.add(b, 0, b.length, hashOf(b), n);
  };
  for (let i = 0; i < 9; i++) add(`name.${i}.01234`); // 12 bytes each: 108 > 100 on the 9th
  assert.equal(t.size, 1);
  const last = Buffer.from('name.8.01234');
  assert.equal(t.get(last, 0, last.length, hashOf(last)), 'name.8.01234');
  const first = Buffer.from('name.0.01234');
  assert.equal(t.get(first, 0, first.length, hashOf(first)), undefined);
  // A name longer than the whole budget is not stored at all.
  const huge = Buffer.alloc(200, 0x61);
  t.add(huge, 0, huge.length, hashOf(huge), 'a'.repeat(200));
  assert.equal(t.get(huge, 0, huge.length, hashOf(huge)), undefined);
});
