import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TIMESTAMP } from './format.js';
import { intervalStart } from './update.js';

test('intervalStart is t - t % step, exactly, for every whole timestamp whisper stores and any step', () => {
  const steps = [1, 2, 7, 10, 60, 3600, 86_400, 604_800, 2 ** 20 + 1, 2 ** 31 - 1, 2 ** 31, MAX_TIMESTAMP];
  const times = [0, 1, 59, 60, 61, 1_700_000_000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2, MAX_TIMESTAMP];
  let seed = 99;
  for (let i = 0; i < 20_000; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    times.push(seed);
    if (i % 40 === 0) steps.push(1 + (seed % 1_000_000));
  }
  let checked = 0;
  for (const step of steps)
    for (const t of times) {
      if (t > MAX_TIMESTAMP) continue;
      const want = Number(BigInt(t) - (BigInt(t) % BigInt(step)));
      assert.equal(intervalStart(t, step), want, `t=${t} step=${step}`);
      checked++;
    }
  assert.ok(checked > 1_000_000, `${checked} pairs checked`);
});
