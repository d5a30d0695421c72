import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pointsOf } from '../store.js';
import { WhisperStore } from './store.js';
import { MessageBuffers, WhisperWriteThread, workerOf } from './write-thread.js';

const schema = {
  archives: [{ secondsPerPoint: 10, points: 60 }],
  xFilesFactor: 0.5,
  aggregationMethod: 'average',
};

test('writes on the write thread land in the files; a corrupt file fails only its own metric', async () => {
  const root = mkdtempSync(join(tmpdir(), 'carbonado-wthread-'));
  const store = new WhisperStore({ root, schemaFor: () => schema, writeThread: true });
  try {
    assert.equal(store.writesOffThread, true);
    mkdirSync(join(root, 'bad'));
    writeFileSync(join(root, 'bad', 'file.wsp'), Buffer.from('not a whisper file'));
    const now = Math.floor(Date.now() / 1000);
    const t = now - (now % 10) - 100;
    // Issued in one turn of the event loop: they travel as one message.
    const results = await Promise.allSettled([
      store.write({ metric: 'ok.one', timestamps: [t, t + 10], values: [1, 2] }),
      store.write({ metric: 'bad.file', timestamps: [t], values: [5] }),
      store.write({ metric: 'ok.two', timestamps: [t + 20, t], values: [3, 0.5] }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    const err = (results[1] as PromiseRejectedResult).reason as Error;
    assert.equal(err.name, 'WhisperCorruptError');
    assert.match(err.message, /bad\/file\.wsp/);
    const one = await store.fetch('ok.one', t - 10, t + 20, now);
    assert.deepEqual([...(one?.values ?? [])], [1, 2, Number.NaN]);
    const two = await store.fetch('ok.two', t - 10, t + 30, now);
    assert.deepEqual([...(two?.values ?? [])], [0.5, Number.NaN, 3, Number.NaN]);
    assert.equal(await store.exists('ok.two'), true);
  } finally {
    await store.close();
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('writeMany: one call for many metrics; each outcome in order (created, existed, or its error)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'carbonado-wthread-'));
  const schemaFor = (metric: string) => {
    if (metric === 'no.schema') throw new Error('no schema for no.schema');
    return schema;
  };
  const store = new WhisperStore({ root, schemaFor, writeThread: true });
  try {
    mkdirSync(join(root, 'bad'));
    writeFileSync(join(root, 'bad', 'file.wsp'), Buffer.from('not a whisper file'));
    const now = Math.floor(Date.now() / 1000);
    const t = now - (now % 10) - 100;
    const first = await store.writeMany(
      pointsOf([
        { metric: 'many.a', timestamps: [t], values: [1] },
        { metric: 'bad.file', timestamps: [t], values: [5] },
        { metric: 'many.b', timestamps: [t + 10, t], values: [4, 3] },
        { metric: 'no.schema', timestamps: [t], values: [6] },
      ]),
    );
    assert.equal(first[0], true, 'many.a created');
    assert.ok(first[1] instanceof Error && first[1].name === 'WhisperCorruptError', String(first[1]));
    assert.equal(first[2], true, 'many.b created');
    assert.ok(
      first[3] instanceof Error && /no schema for no.schema/.test(first[3].message),
      String(first[3]),
    );
    const second = await store.writeMany(pointsOf([{ metric: 'many.a', timestamps: [t + 10], values: [2] }]));
    assert.deepEqual(second, [false], 'many.a existed');
    const a = await store.fetch('many.a', t - 10, t + 20, now);
    assert.deepEqual([...(a?.values ?? [])], [1, 2, Number.NaN]);
    const b = await store.fetch('many.b', t - 10, t + 20, now);
    assert.deepEqual([...(b?.values ?? [])], [3, 4, Number.NaN]);
    assert.deepEqual(await store.writeMany(pointsOf([])), []);
    // Writes made in one turn go as one message: one with a value missing fails alone, the rest land.
    const [short, fine] = await Promise.allSettled([
      store.write({ metric: 'many.c', timestamps: [t, t + 10], values: [1] }),
      store.write({ metric: 'many.a', timestamps: [t + 20], values: [9] }),
    ]);
    assert.ok(short.status === 'rejected' && /2 timestamps but 1 values/.test(String(short.reason)));
    assert.deepEqual(fine, { status: 'fulfilled', value: false });
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('three write threads: every metric lands, outcomes come back in call order, writes of a metric stay in order', async () => {
  const root = mkdtempSync(join(tmpdir(), 'carbonado-wthread-'));
  const store = new WhisperStore({ root, schemaFor: () => schema, writeThread: true, writeThreads: 3 });
  try {
    mkdirSync(join(root, 'bad'));
    writeFileSync(join(root, 'bad', 'file.wsp'), Buffer.from('not a whisper file'));
    const now = Math.floor(Date.now() / 1000);
    const t = now - (now % 10) - 100;
    const names = Array.from({ length: 60 }, (_, i) => `pool.m${i}`);
    // The metrics spread over all three threads (the hash is fixed, so this holds for these names).
    assert.deepEqual(new Set(names.map((m) => workerOf(m, 3))), new Set([0, 1, 2]));
    const jobs = names.map((metric, i) => ({ metric, timestamps: [t], values: [i] }));
    jobs.splice(30, 0, { metric: 'bad.file', timestamps: [t], values: [5] });
    const first = await store.writeMany(pointsOf(jobs));
    assert.equal(first.length, 61);
    first.forEach((o, i) => {
      if (i === 30) assert.ok(o instanceof Error && o.name === 'WhisperCorruptError', String(o));
      else assert.equal(o, true, `${jobs[i].metric} created`);
    });
    // Two writes of one slot issued back to back: the second lands last, as it would on one thread.
    const a = store.writeMany(
      pointsOf(names.map((metric) => ({ metric, timestamps: [t + 10], values: [-1] }))),
    );
    const b = store.writeMany(
      pointsOf(names.map((metric, i) => ({ metric, timestamps: [t + 10], values: [i * 2] }))),
    );
    assert.deepEqual(await a, new Array(60).fill(false));
    assert.deepEqual(await b, new Array(60).fill(false));
    for (const [i, metric] of names.entries()) {
      const got = await store.fetch(metric, t - 10, t + 20, now);
      assert.deepEqual([...(got?.values ?? [])], [i, i * 2, Number.NaN], metric);
    }
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('MessageBuffers: a buffer given back serves the next message that fits; bounds keep the largest', () => {
  const pool = new MessageBuffers(2, 1 << 20);
  const a = pool.take(100);
  assert.equal(a.length, 100);
  assert.equal(a.buffer.byteLength, 65536, 'at least 64 KiB');
  const b = pool.take(10_000);
  assert.equal(b.buffer.byteLength, 131072, 'rounded up to a power of two');
  assert.equal(pool.made, 2);
  pool.give(a.buffer as ArrayBuffer);
  pool.give(b.buffer as ArrayBuffer);
  const c = pool.take(9000);
  assert.equal(c.buffer, b.buffer, 'the first free buffer large enough');
  assert.equal(c.length, 9000);
  assert.equal(pool.take(50).buffer, a.buffer);
  assert.deepEqual([pool.made, pool.reused, pool.bytes], [2, 2, 0]);
  pool.give(new ArrayBuffer(65536));
  pool.give(new ArrayBuffer(262144));
  pool.give(new ArrayBuffer(131072));
  assert.equal(pool.bytes, 262144 + 131072, 'over two buffers: the smallest went');
  pool.give(new ArrayBuffer(1 << 20));
  assert.equal(pool.bytes, 1 << 20, 'over 1 MiB: the smaller ones went');
});

test('write messages reuse the buffers the workers send back, and the points still land', async () => {
  const root = mkdtempSync(join(tmpdir(), 'carbonado-wthread-'));
  const threads = new WhisperWriteThread({ root, threads: 2 });
  const store = new WhisperStore({ root, schemaFor: () => schema });
  try {
    const now = Math.floor(Date.now() / 1000);
    const t = now - (now % 10) - 200;
    for (let round = 0; round < 5; round++) {
      const jobs = Array.from({ length: 20 }, (_, m) => ({
        metric: `pool.m${m}`,
        timestamps: [t + round * 10],
        values: [round * 100 + m],
        schema,
      }));
      const outcomes = await threads.writeMany(
        pointsOf(jobs),
        (metric) => jobs.find((j) => j.metric === metric)?.schema,
      );
      assert.ok(
        outcomes.every((o) => o === true || o === false),
        `round ${round}: ${outcomes}`,
      );
    }
    assert.ok(threads.buffers.made <= 4, `${threads.buffers.made} buffers made for 10 messages`);
    assert.equal(threads.buffers.made + threads.buffers.reused, 10, 'one buffer per message, per thread');
    const got = await store.fetch('pool.m7', t - 10, t + 50, now);
    assert.deepEqual([...(got?.values ?? [])], [7, 107, 207, 307, 407, Number.NaN]);
  } finally {
    await threads.close();
    rmSync(root, { recursive: true, force: true });
  }
});
