import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from './token-bucket.js';

test('a token bucket starts full, refills at its rate, never above capacity', () => {
  let now = 100;
  const bucket = new TokenBucket(3, 0.5, () => now);
  assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false]);
  assert.equal(bucket.wait(), 2, 'one token at 0.5/s takes 2 s');
  now += 1;
  assert.equal(bucket.available(), false);
  assert.equal(bucket.wait(), 1);
  now += 1;
  assert.equal(bucket.take(), true);
  now += 1000;
  assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false]);
});

test('a token bucket refuses a capacity or rate that is not above 0', () => {
  assert.throws(() => new TokenBucket(0, 1), /got capacity 0, fill rate 1; want both above 0/);
  assert.throws(() => new TokenBucket(1, Number.NaN), /fill rate NaN/);
});
