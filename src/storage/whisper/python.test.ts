import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureDebianPackages } from '../../../test/support/debian.js';
import { type PeerOp, peerValue, runPython } from '../../../test/support/whisper-python.js';
import { create } from './create.js';
import { fetch } from './fetch.js';
import { AGGREGATION_METHODS } from './format.js';
import { info } from './info.js';
import { updateMany } from './update.js';

// Differential tests against Debian's python3-whisper 1.1.4: the same creates and update_many calls
// on both sides must give byte-identical files, and each side must read the other's files the same.

const skip = ensureDebianPackages(['python3-whisper']);
let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'carbonado-whisper-py-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

// Tiny layouts, chosen for their edges: three levels; a finer archive holding exactly one coarse
// point's worth (the propagation read covers the whole ring); a single archive.
const LAYOUTS: Array<Array<[number, number]>> = [
  [
    [1, 30],
    [5, 24],
    [30, 10],
  ],
  [
    [10, 6],
    [60, 5],
  ],
  [[1, 60]],
];
const XFFS = [0, 0.2, 0.5, 1];
const T0 = 1_700_000_003;

/** A deterministic generator (LCG) so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Batch {
  now: number;
  points: Array<[number, number]>;
}

/** Batches of odd points: gaps, out of order, duplicates, too old, future, NaN, negatives, zeros. */
function batches(seed: number, maxRetention: number): Batch[] {
  const r = rng(seed);
  const out: Batch[] = [];
  let now = T0;
  for (let b = 0; b < 25; b++) {
    now += Math.floor(r() * 40);
    const points: Array<[number, number]> = [];
    const n = Math.floor(r() * 14);
    for (let i = 0; i < n; i++) {
      const roll = r();
      let t = now - Math.floor(r() * Math.min(maxRetention, 90));
      if (roll < 0.05)
        t = now - maxRetention - 1 - Math.floor(r() * 50); // older than every archive
      else if (roll < 0.1) t = now + 1 + Math.floor(r() * 20); // in the future
      const kind = r();
      const value =
        kind < 0.05
          ? Number.NaN
          : kind < 0.15
            ? 0
            : kind < 0.3
              ? -Math.round(r() * 1000) / 8
              : Math.round(r() * 100000) / 100;
      points.push([t, value]);
      if (r() < 0.1) points.push([t, value + 1]); // duplicate timestamp
    }
    out.push({ now, points });
  }
  return out;
}

interface Case {
  name: string;
  layout: Array<[number, number]>;
  xff: number;
  method: string;
  batches: Batch[];
  ours: string;
  theirs: string;
}

function cases(): Case[] {
  const list: Case[] = [];
  let seed = 1;
  LAYOUTS.forEach((layout, li) => {
    const maxRetention = Math.max(...layout.map(([s, p]) => s * p));
    for (const method of AGGREGATION_METHODS) {
      for (const xff of XFFS) {
        const name = `l${li}-${method}-${xff}`;
        list.push({
          name,
          layout,
          xff,
          method,
          batches: batches(seed++, maxRetention),
          ours: join(dir, `${name}.ours.wsp`),
          theirs: join(dir, `${name}.theirs.wsp`),
        });
      }
    }
  });
  return list;
}

test('files written by python3-whisper and by Carbonado are byte-identical', { skip: skip ?? false }, () => {
  const all = cases();
  const ops: PeerOp[] = [];
  for (const c of all) {
    ops.push({ op: 'create', path: c.theirs, archives: c.layout, xff: c.xff, method: c.method });
    for (const b of c.batches)
      ops.push({
        op: 'update_many',
        path: c.theirs,
        now: b.now,
        points: b.points.map(([t, v]) => [t, Number.isNaN(v) ? null : v]),
      });
    create(
      c.ours,
      c.layout.map(([secondsPerPoint, points]) => ({ secondsPerPoint, points })),
      { xFilesFactor: c.xff, aggregationMethod: c.method },
    );
    for (const b of c.batches)
      updateMany(
        c.ours,
        b.points.map((p) => p[0]),
        b.points.map((p) => p[1]),
        b.now,
      );
  }
  runPython(ops);
  let written = 0;
  for (const c of all) {
    const ours = readFileSync(c.ours);
    const theirs = readFileSync(c.theirs);
    assert.equal(ours.length, theirs.length, `${c.name}: file sizes`);
    const at = ours.findIndex((byte, i) => byte !== theirs[i]);
    assert.equal(at, -1, `${c.name}: first differing byte at ${at}`);
    // The files must actually hold data: count non-zero bytes beyond the header.
    written += ours.subarray(64).filter((x) => x !== 0).length > 0 ? 1 : 0;
  }
  assert.equal(written, all.length, 'every file received points');
});

test('each side reads the other side’s files identically (info and every archive)', {
  skip: skip ?? false,
}, () => {
  const all = cases().filter((_, i) => i % 3 === 0);
  // Write with python into .theirs and with us into .ours (fresh names for this test).
  const ops: PeerOp[] = [];
  for (const c of all) {
    c.theirs = c.theirs.replace('.theirs', '.r-theirs');
    c.ours = c.ours.replace('.ours', '.r-ours');
    ops.push({ op: 'create', path: c.theirs, archives: c.layout, xff: c.xff, method: c.method });
    for (const b of c.batches)
      ops.push({
        op: 'update_many',
        path: c.theirs,
        now: b.now,
        points: b.points.map(([t, v]) => [t, Number.isNaN(v) ? null : v]),
      });
    create(
      c.ours,
      c.layout.map(([secondsPerPoint, points]) => ({ secondsPerPoint, points })),
      { xFilesFactor: c.xff, aggregationMethod: c.method },
    );
    for (const b of c.batches)
      updateMany(
        c.ours,
        b.points.map((p) => p[0]),
        b.points.map((p) => p[1]),
        b.now,
      );
  }
  runPython(ops);

  // Python reads our files; we read Python's. Windows: per archive, plus default selection.
  const reads: Array<{ c: Case; from: number; until: number; now: number; archive?: number }> = [];
  for (const c of all) {
    const now = c.batches[c.batches.length - 1].now;
    const maxRetention = Math.max(...c.layout.map(([s, p]) => s * p));
    for (const [spp, points] of c.layout) {
      reads.push({ c, from: now - spp * points, until: now, now, archive: spp });
    }
    for (const back of [0, 7, 29, 31, 119, 121, maxRetention - 1, maxRetention + 50])
      reads.push({ c, from: now - back, until: now - Math.floor(back / 3), now });
    reads.push({ c, from: now - 40, until: now + 100, now });
  }
  const results = runPython([
    ...all.map((c) => ({ op: 'info' as const, path: c.ours })),
    ...reads.map((r) => ({
      op: 'fetch' as const,
      path: r.c.ours,
      from: r.from,
      until: r.until,
      now: r.now,
      ...(r.archive ? { archive: r.archive } : {}),
    })),
  ]);
  all.forEach((c, i) => {
    const theirs = results[i] as Record<string, unknown>;
    const ours = info(c.theirs);
    assert.ok(ours);
    assert.deepEqual(
      { ...ours, archives: ours.archives.map((a) => ({ ...a })) },
      theirs,
      `${c.name}: info of python's file read by us vs ours read by python`,
    );
  });
  let nonEmpty = 0;
  reads.forEach((r, i) => {
    const theirs = results[all.length + i] as [number[], unknown[]] | null;
    const ours = fetch(r.c.theirs, r.from, r.until, r.now, r.archive);
    const mine = ours && [[ours.start, ours.end, ours.step], Array.from(ours.values, peerValue)];
    assert.deepEqual(mine, theirs, `${r.c.name}: fetch ${r.from}..${r.until} archive ${r.archive ?? 'auto'}`);
    if (ours?.values.some((v) => !Number.isNaN(v))) nonEmpty++;
  });
  assert.ok(nonEmpty > reads.length / 2, `most reads return data (${nonEmpty} of ${reads.length})`);
});

test('whisper-info and whisper-fetch read a file Carbonado wrote', { skip: skip ?? false }, () => {
  // The commands take no `now`, so this file is filled relative to the real clock, with a retention
  // (60s:1d) wide enough that a second passing between our read and theirs changes nothing.
  const path = join(dir, 'commands.wsp');
  create(path, [{ secondsPerPoint: 60, points: 1440 }], { xFilesFactor: 0, aggregationMethod: 'max' });
  const now = Math.floor(Date.now() / 1000);
  const ts: number[] = [];
  const vs: number[] = [];
  for (let i = 0; i < 100; i += 3) {
    ts.push(now - 3600 + i * 60);
    vs.push(i * 1.5);
  }
  updateMany(path, ts, vs, now);
  const infoJson = JSON.parse(execFileSync('whisper-info', ['--json', path]).toString());
  assert.deepEqual(infoJson, {
    aggregationMethod: 'max',
    maxRetention: 86400,
    xFilesFactor: 0,
    fileSize: 16 + 12 + 1440 * 12,
    archives: [{ offset: 28, secondsPerPoint: 60, points: 1440, retention: 86400, size: 17280 }],
  });
  const from = now - 3700;
  const until = now - 1000;
  const fetched = JSON.parse(
    execFileSync('whisper-fetch', ['--json', `--from=${from}`, `--until=${until}`, path]).toString(),
  );
  const ours = fetch(path, from, until, now);
  assert.ok(ours);
  assert.deepEqual(
    { start: fetched.start, end: fetched.end, step: fetched.step, values: fetched.values },
    { start: ours.start, end: ours.end, step: ours.step, values: Array.from(ours.values, peerValue) },
  );
  // Points every 3 minutes from now-3600 s; the window ends at now-1000 s: i = 0, 3, ..., 42.
  assert.equal(fetched.values.filter((v: number | null) => v !== null).length, 15);
});
