import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameSplitter } from './frames.js';

function frame(payload: string): Buffer {
  const p = Buffer.from(payload);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(p.length);
  return Buffer.concat([head, p]);
}

test('frames come out whole however the stream is cut', () => {
  const stream = Buffer.concat([frame('one'), frame(''), frame('three!'), frame('x'.repeat(300))]);
  for (let cut = 0; cut <= stream.length; cut++) {
    for (const step of [1, 7, stream.length]) {
      const f = new FrameSplitter(1000);
      const got: string[] = [];
      const on = (b: Buffer) => got.push(b.toString());
      assert.equal(f.push(stream.subarray(0, cut), on), null);
      for (let at = cut; at < stream.length; at += step) {
        assert.equal(f.push(stream.subarray(at, Math.min(at + step, stream.length)), on), null);
      }
      assert.deepEqual(got, ['one', '', 'three!', 'x'.repeat(300)], `cut ${cut} step ${step}`);
      assert.equal(f.buffered, 0);
    }
  }
});

test('a length prefix over the limit is reported as soon as its 4 bytes are in', () => {
  const f = new FrameSplitter(1024);
  const got: string[] = [];
  const on = (b: Buffer) => got.push(b.toString());
  assert.equal(f.push(Buffer.concat([frame('ok'), Buffer.from([0x7f, 0xff])]), on), null);
  assert.equal(f.push(Buffer.from([0xff, 0xff, 1, 2, 3]), on), 0x7fffffff);
  assert.deepEqual(got, ['ok']);
  assert.equal(f.buffered, 0);
});

test('a frame of exactly the limit passes, one byte more does not', () => {
  const f = new FrameSplitter(5);
  const got: string[] = [];
  assert.equal(
    f.push(frame('12345'), (b) => got.push(b.toString())),
    null,
  );
  assert.deepEqual(got, ['12345']);
  assert.equal(
    f.push(frame('123456'), () => {}),
    6,
  );
});

test('the default limit is carbon 1.1.7 PICKLE_RECEIVER_MAX_LENGTH, 2**20', () => {
  assert.equal(new FrameSplitter().maxFrameLength, 1048576);
});
