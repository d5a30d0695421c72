import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PointBatch } from '../ingest/batch.js';
import type { IngestSink } from '../ingest/sink.js';
import { setQuiet } from '../log.js';
import { taggingSink } from './sink.js';
import { TagDB } from './tagdb.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'carbonado-tagdb-'));
}

test('TagDB: find by =, !=, =~, !=~; empty-matching expressions need another', () => {
  const db = TagDB.inMemory();
  db.tagMultiSeries(['a;dc=eu;host=h1', 'a;dc=us;host=h2', 'b;host=h1', 'c;dc=eu']);
  assert.deepEqual(db.findSeries(['dc=eu']), ['a;dc=eu;host=h1', 'c;dc=eu']);
  assert.deepEqual(db.findSeries(['name=a', 'dc!=eu']), ['a;dc=us;host=h2']);
  assert.deepEqual(db.findSeries(['host=~h', 'dc=']), ['b;host=h1']);
  assert.deepEqual(db.findSeries(['name=~[ab]', 'host!=~h1']), ['a;dc=us;host=h2']);
  // '!=x' matches series without the tag too; 'name=~a' anchors at the start.
  assert.deepEqual(db.findSeries(['host=h1', 'dc!=eu']), ['b;host=h1']);
  assert.deepEqual(db.findSeries(['name=~b|c']), ['b;host=h1', 'c;dc=eu']);
  assert.throws(() => db.findSeries(['dc!=eu']), /At least one tagspec must not match the empty string/);
  assert.throws(() => db.findSeries(['host=~(a+)+']), /refused at position/);
});

test('TagDB: lists, counts and autocompletes', () => {
  const db = TagDB.inMemory();
  db.tagMultiSeries(['a;dc=eu;host=h1', 'a;dc=us;host=h2', 'b;host=h1']);
  assert.deepEqual(
    db.listTags().map((t) => t.tag),
    ['dc', 'host', 'name'],
  );
  assert.deepEqual(db.getTag('host'), {
    id: 2,
    tag: 'host',
    values: [
      { id: 2, value: 'h1', count: 2 },
      { id: 5, value: 'h2', count: 1 },
    ],
  });
  assert.equal(db.getTag('nope'), null);
  assert.deepEqual(db.autoCompleteTags(['name=a'], undefined, 100), ['dc', 'host']);
  assert.deepEqual(db.autoCompleteValues(['name=a'], 'dc', 'u', 100), ['us']);
  assert.deepEqual(db.autoCompleteValues([], 'host', undefined, 1), ['h1']);
  db.delSeries(['a;host=h2;dc=us']);
  assert.deepEqual(db.getTag('dc')?.values, [{ id: 1, value: 'eu', count: 1 }]);
});

test('TagDB: the journal survives a restart, a torn tail and compaction', () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'tags', 'journal');
    const db = TagDB.open(file);
    db.tagMultiSeries(['a;x=1', 'b;x=2', 'c;x=3']);
    db.delSeries(['b;x=2']);
    fs.appendFileSync(file, '+d;x=4'); // a crash mid-line
    const again = TagDB.open(file);
    assert.deepEqual(again.findSeries(['x=~.']), ['a;x=1', 'c;x=3']);
    again.tagSeries('e;x=5');
    assert.deepEqual(TagDB.open(file).findSeries(['x=~.']), ['a;x=1', 'c;x=3', 'e;x=5']);
    // Many deletions: the journal is rewritten with the live series only.
    const big = TagDB.open(file);
    for (let i = 0; i < 600; i++) big.tagSeries(`m;i=${i}`);
    big.delSeries(Array.from({ length: 600 }, (_, i) => `m;i=${i}`));
    const compacted = TagDB.open(file);
    assert.equal(compacted.size, 3);
    assert.equal(fs.readFileSync(file, 'utf8').split('\n').length - 1, 3);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('taggingSink: registers each new tagged name once and passes every point on', () => {
  setQuiet(true);
  const db = TagDB.inMemory();
  const got: string[] = [];
  const sink = taggingSink({ add: (n) => got.push(n), paused: false, onResume: () => {} }, db);
  sink.add('a;dc=eu', 1, 1);
  sink.add('a;dc=eu', 2, 2);
  sink.add('plain.metric', 1, 1);
  assert.deepEqual(got, ['a;dc=eu', 'a;dc=eu', 'plain.metric']);
  assert.deepEqual(db.findSeries(['dc=eu']), ['a;dc=eu']);
  assert.equal(db.size, 1);
});

test('taggingSink: a batch registers its tagged names and reaches a sink with or without addBatch', () => {
  const batch = new PointBatch();
  batch.push('a;dc=eu', 1, 1);
  batch.push('plain.metric', 1, 2);
  batch.push('b;host=h1', 2, 3);
  for (const withBatch of [false, true]) {
    const db = TagDB.inMemory();
    const got: [string, number, number][] = [];
    const inner: IngestSink = { add: (n, t, v) => got.push([n, t, v]), paused: false, onResume: () => {} };
    if (withBatch)
      inner.addBatch = (b) => {
        for (let i = 0; i < b.length; i++) got.push([b.names[i], b.timestamps[i], b.values[i]]);
      };
    taggingSink(inner, db).addBatch?.(batch);
    assert.deepEqual(got, [
      ['a;dc=eu', 1, 1],
      ['plain.metric', 1, 2],
      ['b;host=h1', 2, 3],
    ]);
    assert.deepEqual(db.findSeries(['name=~.']), ['a;dc=eu', 'b;host=h1']);
  }
});
