import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter } from './lines.js';

function collect() {
  const lines: string[] = [];
  let dropped = 0;
  return {
    lines,
    get dropped() {
      return dropped;
    },
    line(buf: Buffer, start: number, end: number) {
      lines.push(buf.toString('latin1', start, end));
    },
    overlong() {
      dropped++;
    },
  };
}

test('every way of cutting a stream into two chunks gives the same lines', () => {
  const stream = Buffer.from('a 1 1\nbb 2 2\r\n\nccc 3 3\ntail');
  for (let cut = 0; cut <= stream.length; cut++) {
    const s = new LineSplitter(16);
    const h = collect();
    s.push(stream.subarray(0, cut), h);
    s.push(stream.subarray(cut), h);
    assert.deepEqual(h.lines, ['a 1 1', 'bb 2 2\r', '', 'ccc 3 3'], `cut at ${cut}`);
    assert.equal(s.buffered, 4);
    s.end(h);
    assert.deepEqual(h.lines.at(-1), 'tail');
    assert.equal(s.buffered, 0);
  }
});

test('one byte at a time', () => {
  const s = new LineSplitter(8);
  const h = collect();
  for (const b of Buffer.from('x 1 2\ny 3 4\n')) s.push(Buffer.from([b]), h);
  assert.deepEqual(h.lines, ['x 1 2', 'y 3 4']);
});

test('a line of exactly maxLineLength passes; one byte more is discarded whole', () => {
  const s = new LineSplitter(5);
  const h = collect();
  s.push(Buffer.from('12345\n123456\nok\n'), h);
  assert.deepEqual(h.lines, ['12345', 'ok']);
  assert.equal(h.dropped, 1);
});

test('an over-long line split across many chunks is dropped once, memory stays bounded', () => {
  const max = 100;
  const s = new LineSplitter(max);
  const h = collect();
  s.push(Buffer.from('good 1 1\nbad'), h);
  for (let i = 0; i < 1000; i++) {
    s.push(Buffer.alloc(997, 0x78), h);
    assert.ok(s.buffered <= max, `buffered ${s.buffered}`);
  }
  assert.equal(h.dropped, 1);
  s.push(Buffer.from('still bad\nnext 2 2\n'), h);
  assert.deepEqual(h.lines, ['good 1 1', 'next 2 2']);
  assert.equal(h.dropped, 1);
});

test('a tail that only just overflows across the chunk boundary is counted', () => {
  const s = new LineSplitter(6);
  const h = collect();
  s.push(Buffer.from('abcd'), h);
  s.push(Buffer.from('efg\nhi\n'), h);
  assert.deepEqual(h.lines, ['hi']);
  assert.equal(h.dropped, 1);
});

test('reset forgets a partial line', () => {
  const s = new LineSplitter(10);
  const h = collect();
  s.push(Buffer.from('partial'), h);
  s.reset();
  s.push(Buffer.from('whole\n'), h);
  assert.deepEqual(h.lines, ['whole']);
});
