import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseIni } from './ini.js';
import { loadSchemas, parseStorageAggregation, parseStorageSchemas } from './schemas.js';

test('parseIni reads carbon config files', () => {
  const s = parseIni('# comment\n[a]\nKey = v1\nother: v2\n  continued\n; also comment\n[b]\nx=1\n');
  assert.deepEqual(
    s.map((x) => [x.name, [...x.options]]),
    [
      [
        'a',
        [
          ['key', 'v1'],
          ['other', 'v2\ncontinued'],
        ],
      ],
      ['b', [['x', '1']]],
    ],
  );
});

test('parseIni rejects malformed files naming the line', () => {
  assert.throws(() => parseIni('[a\nx=1', 'f.conf'), /f\.conf:1: .*section header/);
  assert.throws(() => parseIni('x=1', 'f.conf'), /f\.conf:1: .*before any \[section\]/);
  assert.throws(() => parseIni('[a]\njunk line', 'f.conf'), /f\.conf:2: got 'junk line'/);
  assert.throws(() => parseIni('[a]\n[a]', 'f.conf'), /appears twice/);
  assert.throws(() => parseIni('[]', 'f.conf'), /empty section/);
});

const SCHEMAS = `
[carbon]
pattern = ^carbon\\.
retentions = 60:90d

[stats]
pattern = ^stats\\.
retentions = 10s:6h,1m:7d,10m:5y

[default_1min_for_1day]
pattern = .*
retentions = 60s:1d
`;

const AGG = `
[min]
pattern = \\.min$
xFilesFactor = 0.1
aggregationMethod = min

[count]
pattern = \\.count$
xFilesFactor = 0

[default_average]
pattern = .*
xFilesFactor = 0.3
aggregationMethod = average
`;

test('first matching schema and aggregation rule win', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carbonado-schemas-'));
  try {
    writeFileSync(join(dir, 'storage-schemas.conf'), SCHEMAS);
    writeFileSync(join(dir, 'storage-aggregation.conf'), AGG);
    const r = loadSchemas(dir);
    assert.deepEqual(r.schemaFor('carbon.agents.a.cpu'), {
      archives: [{ secondsPerPoint: 60, points: 129600 }],
      xFilesFactor: 0.3,
      aggregationMethod: 'average',
    });
    assert.deepEqual(r.schemaFor('stats.timers.x.min'), {
      archives: [
        { secondsPerPoint: 10, points: 2160 },
        { secondsPerPoint: 60, points: 10080 },
        { secondsPerPoint: 600, points: 262800 },
      ],
      xFilesFactor: 0.1,
      aggregationMethod: 'min',
    });
    // A rule that sets only xFilesFactor leaves the method at whisper's default.
    assert.equal(r.schemaFor('web.hits.count').aggregationMethod, 'average');
    assert.equal(r.schemaFor('web.hits.count').xFilesFactor, 0);
    assert.deepEqual(r.schemaFor('web.hits').archives, [{ secondsPerPoint: 60, points: 1440 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without rules carbon defaults apply; the shipped defaults parse', () => {
  const none = parseStorageSchemas('');
  assert.equal(none.length, 0);
  const shipped = loadSchemas(undefined);
  assert.equal(shipped.schemaFor('carbon.agents.a.x').archives[0].secondsPerPoint, 10);
  assert.equal(shipped.schemaFor('a.b.count').aggregationMethod, 'sum');
});

test('bad schema files fail with the section named', () => {
  assert.throws(() => parseStorageSchemas('[x]\nretentions = 60:1d\n'), /\[x\].*missing 'pattern'/);
  assert.throws(() => parseStorageSchemas('[x]\npattern = .*\n'), /missing 'retentions'/);
  assert.throws(() => parseStorageSchemas('[x]\npattern = (\nretentions = 60:1d\n'), /bad pattern '\('/);
  assert.throws(
    () => parseStorageSchemas('[x]\npattern = .*\nretentions = 60:1d,120:1h\n'),
    /\[x\].*not more than/,
  );
  assert.throws(
    () => parseStorageAggregation('[x]\npattern = .*\nxFilesFactor = 2\n'),
    /want a number from 0 to 1/,
  );
  assert.throws(
    () => parseStorageAggregation('[x]\npattern = .*\naggregationMethod = median\n'),
    /got 'median'/,
  );
  assert.throws(() => loadSchemas('/nonexistent-dir'), /storage-schemas\.conf not found/);
});
