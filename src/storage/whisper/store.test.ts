import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEBIAN_PYTHON, ensureDebianPackages } from '../../../test/support/debian.js';
import type { MetricNode } from '../store.js';
import { create } from './create.js';
import { metricPath, WhisperStore } from './store.js';
import { encodeMetricPath, normalizeTagged } from './tagged.js';

const dir = mkdtempSync(join(tmpdir(), 'carbonado-whisper-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('metricPath maps dots to directories under root', () => {
  assert.equal(metricPath('/data', 'a.b.c'), '/data/a/b/c.wsp');
  assert.equal(metricPath('/data', 'servers.web-01.cpu_user'), '/data/servers/web-01/cpu_user.wsp');
  assert.equal(metricPath('/data', 'a b.c'), '/data/a b/c.wsp');
});

const ESCAPES: Array<[string, RegExp]> = [
  ['', /empty$/],
  ['a..b', /empty segment at position 2/],
  ['.a', /empty segment at position 0/],
  ['a.', /empty segment at position 2/],
  ['..', /empty segment at position 0/],
  ['a/../../etc/passwd', /'\/' at position 1/],
  ['a\\b', /'\\' at position 1/],
  ['a\0b', /NUL at position 1/],
];
for (const [name, message] of ESCAPES) {
  test(`metricPath refuses ${JSON.stringify(name)}`, () => {
    assert.throws(() => metricPath('/data', name), message);
  });
}

test('tagged names go to carbon’s hashed _tagged path, tags sorted first', () => {
  assert.equal(normalizeTagged('cpu;host=b;dc=x'), 'cpu;dc=x;host=b');
  // sha256sum of 'cpu;dc=x;host=b'; the whole hash is the file name (carbon's TAG_HASH_FILENAMES).
  const hash = 'e355dd04d08c2e8b4d33190c05ae42e8167a4a996916863b821d52ff8de2333c';
  const path = metricPath('/data', 'cpu;host=b;dc=x');
  assert.equal(path, `/data/_tagged/e35/5dd/${hash}.wsp`);
  assert.equal(path, metricPath('/data', 'cpu;dc=x;host=b'));
  assert.throws(() => metricPath('/data', 'cpu;host'), /segment 'host' is not tag=value/);
  assert.throws(() => metricPath('/data', ';a=b'), /no metric name/);
});

test('tagged paths equal graphite-carbon’s TaggedSeries.encode', {
  skip: ensureDebianPackages(['graphite-carbon']) ?? false,
}, () => {
  const names = [
    'cpu;host=b;dc=x',
    'some.metric;tag1=value2;tag2=value.2',
    'a;z=1;a=2;name=ignored',
    'é;ü=ß',
  ];
  const script =
    'import json,sys\nfrom carbon.util import TaggedSeries as T\n' +
    'print(json.dumps([[T.encode(T.parse(n).path, "/", h) for h in (True, False)] for n in json.load(sys.stdin)]))';
  const theirs = JSON.parse(
    execFileSync(DEBIAN_PYTHON, ['-c', script], { input: JSON.stringify(names) }).toString(),
  );
  const ours = names.map((n) => [true, false].map((h) => encodeMetricPath(normalizeTagged(n), h)));
  assert.deepEqual(ours, theirs);
});

const SCHEMA = {
  archives: [
    { secondsPerPoint: 1, points: 10 },
    { secondsPerPoint: 5, points: 6 },
  ],
  xFilesFactor: 0.5,
  aggregationMethod: 'sum',
};

test('write creates missing files from the schema; fetch reads them; last write per timestamp wins', async () => {
  const root = join(dir, 'w');
  const created: string[] = [];
  const store = new WhisperStore({
    root,
    schemaFor: (m) => {
      created.push(m);
      return SCHEMA;
    },
    clock: () => 100_000,
  });
  assert.equal(await store.exists('x.y.z'), false);
  await store.write({ metric: 'x.y.z', timestamps: [99_998, 99_999, 99_998], values: [1, 2, 3] });
  await store.write({ metric: 'x.y.z', timestamps: [99_997], values: [4] });
  assert.deepEqual(created, ['x.y.z']);
  assert.equal(await store.exists('x.y.z'), true);
  const r = await store.fetch('x.y.z', 99_995, 100_000, 100_000);
  assert.ok(r);
  assert.deepEqual(
    { ...r, values: Array.from(r.values) },
    {
      metric: 'x.y.z',
      start: 99_996,
      end: 100_001,
      step: 1,
      values: [Number.NaN, 4, 3, 2, Number.NaN],
      xFilesFactor: 0.5,
      aggregationMethod: 'sum',
    },
  );
  assert.equal(await store.fetch('x.y.missing', 99_995, 100_000, 100_000), null);
  assert.equal((await store.info('x.y.z'))?.archives.length, 2);
});

async function collect(it: AsyncIterable<MetricNode>): Promise<string[]> {
  const out: string[] = [];
  for await (const n of it) out.push(`${n.isLeaf ? 'leaf' : 'branch'} ${n.path}`);
  return out;
}

test('find matches globs per segment like graphite-web’s StandardFinder', async () => {
  const root = join(dir, 'f');
  const leaf = (rel: string) => {
    const p = join(root, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    create(p, [{ secondsPerPoint: 1, points: 2 }]);
  };
  for (const m of ['web1/cpu', 'web1/mem', 'web2/cpu', 'db1/cpu', 'db1/disk/sda', 'both', 'both/inner'])
    leaf(`${m}.wsp`);
  leaf('.hidden/cpu.wsp');
  leaf('web1/.secret.wsp');
  writeFileSync(join(root, 'web1', 'notes.txt'), 'not a metric');
  mkdirSync(join(root, 'web3'));
  symlinkSync(join(root, 'web2'), join(root, 'web9'));
  const store = new WhisperStore({ root, schemaFor: () => SCHEMA });
  const find = (p: string) => collect(store.find(p));

  assert.deepEqual(await find('*'), [
    'branch both',
    'leaf both',
    'branch db1',
    'branch web1',
    'branch web2',
    'branch web3',
    'branch web9',
  ]);
  assert.deepEqual(await find('web*.cpu'), ['leaf web1.cpu', 'leaf web2.cpu', 'leaf web9.cpu']);
  assert.deepEqual(await find('web?.*'), [
    'leaf web1.cpu',
    'leaf web1.mem',
    'leaf web2.cpu',
    'leaf web9.cpu',
  ]);
  assert.deepEqual(await find('web[12].cpu'), ['leaf web1.cpu', 'leaf web2.cpu']);
  assert.deepEqual(await find('web[!1].cpu'), ['leaf web2.cpu', 'leaf web9.cpu']);
  assert.deepEqual(await find('web[0-1].{cpu,mem}'), ['leaf web1.cpu', 'leaf web1.mem']);
  assert.deepEqual(await find('{db1,web2}.cpu'), ['leaf db1.cpu', 'leaf web2.cpu']);
  assert.deepEqual(await find('db1.*'), ['leaf db1.cpu', 'branch db1.disk']);
  assert.deepEqual(await find('db1.disk.sda'), ['leaf db1.disk.sda']);
  assert.deepEqual(await find('both'), ['branch both', 'leaf both']);
  // Hidden names are skipped. graphite-web's fnmatch would still walk a wildcard through a hidden
  // directory and report '.hidden.cpu', a name with an empty segment that no one can fetch; our
  // wildcards never match a '.', so hidden directories are not entered at all.
  assert.deepEqual(await find('*.cpu'), ['leaf db1.cpu', 'leaf web1.cpu', 'leaf web2.cpu', 'leaf web9.cpu']);
  assert.deepEqual(await find('web1.*'), ['leaf web1.cpu', 'leaf web1.mem']);
  assert.deepEqual(await find('nope.*'), []);
  assert.deepEqual(await find('web1.cpu.more'), []);
  await assert.rejects(collect(store.find('web[1.cpu')), /unclosed \[ at position 3 in 'web\[1'/);
});
