import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { DEBIAN_PYTHON, ensureDebianPackages } from '../../test/support/debian.js';
import { parseArchiveList, parseRetention } from './retention.js';

const GOOD: Array<[string, number, number]> = [
  ['60:1440', 60, 1440],
  ['10s:6h', 10, 2160],
  ['1m:7d', 60, 10080],
  ['1min:1d', 60, 1440],
  ['10m:5y', 600, 262800],
  ['1h:1w', 3600, 168],
  ['1d:1y', 86400, 365],
  ['15s:1000', 15, 1000],
  ['7s:1m', 7, 8],
  ['1seconds:10minutes', 1, 600],
];

const BAD = [
  '',
  '60',
  '60:',
  ':60',
  'ten:60',
  '10x:1d',
  '10s:1q',
  '-10:60',
  '10s:0',
  '0:60',
  '1.5s:1d',
  '10S:1d',
];

test('parseRetention reads carbon retention definitions', () => {
  for (const [def, spp, points] of GOOD) {
    assert.deepEqual(parseRetention(def), { secondsPerPoint: spp, points }, def);
  }
});

test('parseRetention rejects malformed definitions with the bad part quoted', () => {
  for (const def of BAD)
    assert.throws(() => parseRetention(def), /retention|precision|points|unit/, `'${def}'`);
  assert.throws(() => parseRetention('10x:1d'), /invalid unit 'x'/);
});

test('parseArchiveList sorts and applies whisper rules', () => {
  assert.deepEqual(
    parseArchiveList('1m:7d,10s:6h').map((a) => a.secondsPerPoint),
    [10, 60],
  );
  assert.throws(() => parseArchiveList('10s:1d,10s:2d'), /same precision/);
  assert.throws(() => parseArchiveList('10s:1d,15s:2d'), /not a multiple/);
  assert.throws(() => parseArchiveList('10s:1d,1m:1h'), /not more than/);
  assert.throws(() => parseArchiveList('10s:5,1m:1d'), /has only 5/);
});

test('parseRetention agrees with whisper.parseRetentionDef', (t) => {
  const skip = ensureDebianPackages(['python3-whisper']);
  if (skip) return t.skip(skip);
  const defs = GOOD.map(([d]) => d);
  const script = `import json,sys,whisper\nprint(json.dumps([list(whisper.parseRetentionDef(d)) for d in json.loads(sys.argv[1])]))`;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', script, JSON.stringify(defs)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const theirs = JSON.parse(r.stdout) as Array<[number, number]>;
  assert.deepEqual(
    defs.map((d) => {
      const a = parseRetention(d);
      return [a.secondsPerPoint, a.points];
    }),
    theirs,
  );
});
