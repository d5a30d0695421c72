import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { EventStore } from './store.js';

test('EventStore: find by window and tags (all, union), ordered by time', () => {
  const s = EventStore.inMemory();
  s.add({ what: 'b', when: 200, data: '', tags: ['deploy', 'web'] });
  s.add({ what: 'a', when: 100, data: '', tags: ['deploy'] });
  s.add({ what: 'c', when: 300, data: 'x', tags: ['incident'] });
  assert.deepEqual(
    s.find(0, 1000).map((e) => e.what),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(
    s.find(100, 200).map((e) => e.what),
    ['a', 'b'],
  );
  assert.deepEqual(
    s.find(0, 1000, ['deploy', 'web']).map((e) => e.what),
    ['b'],
  );
  assert.deepEqual(
    s.find(0, 1000, ['web', 'incident'], 'union').map((e) => e.what),
    ['b', 'c'],
  );
  assert.deepEqual(s.find(0, 1000, ['nope']), []);
});

test('EventStore: the journal replays adds and deletes, drops a torn tail, keeps ids unique', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carbonado-events-'));
  try {
    const file = path.join(dir, 'events.jsonl');
    const s = EventStore.open(file);
    const a = s.add({ what: 'a', when: 1, data: '', tags: [] });
    const b = s.add({ what: 'b', when: 2, data: 'd', tags: ['t'] });
    assert.equal(s.delete(a.id), true);
    assert.equal(s.delete(a.id), false);
    fs.appendFileSync(file, '{"add":{"id":9,');
    const again = EventStore.open(file);
    assert.deepEqual(again.find(0, 10), [b]);
    const c = again.add({ what: 'c', when: 3, data: '', tags: [] });
    assert.equal(c.id, 3);
    assert.deepEqual(
      EventStore.open(file)
        .find(0, 10)
        .map((e) => e.id),
      [2, 3],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
