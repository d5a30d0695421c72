import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { graphiteWebUnavailable } from './graphite-web/harness.js';
import { ensureDebianPackages } from './support/debian.js';
import { type SideBySide, startSideBySide } from './support/side-by-side.js';

// One whisper tree, written by Debian's python3-whisper, served by Carbonado and by Debian's
// graphite-web 1.1.8; every request below must get the same bytes from both. Every request pins
// `now` (graphite-web's render and find accept it) so whisper's archive choice and relative times
// ("-90s") are the same on both sides no matter when each request runs.

const skip = graphiteWebUnavailable() ?? ensureDebianPackages(['python3-whisper']);

let T = 0; // the pinned `now`: the moment the tree was written
let webUrl = '';
let env: SideBySide | undefined;
let ours = '';

// The tree: metric -> [retentions, aggregationMethod]; values cycle through odd floats with gaps.
const BUILD = `
import sys, time, os, whisper
root = sys.argv[1]
T = int(time.time())
odd = [0.1, 1e-7, 1e20, -3.5, 42.0, 1.0/3, 0.0, 1e16, 123456.789, -1e-5, 2.5, 1e15, None, 7.0]
metrics = {
  'servers.web01.cpu.user':   ([(1, 120), (10, 360)], 'average', 0),
  'servers.web01.cpu.system': ([(1, 120), (10, 360)], 'average', 3),
  'servers.web02.cpu.user':   ([(1, 120), (10, 360)], 'average', 5),
  'servers.web02.mem.free':   ([(5, 60), (60, 60)], 'sum', 1),
  'servers.web02.disk':       ([(1, 120), (10, 360)], 'max', 2),
  'servers.web02.disk.sda':   ([(1, 120), (10, 360)], 'min', 4),
  'apps.api.requests.count':  ([(1, 120), (10, 360)], 'max', 6),
  'apps.api.latency.p99':     ([(1, 120), (10, 360)], 'last', 7),
  'apps.web.requests.count':  ([(1, 120), (10, 360)], 'average', 8),
  'misc.a+b':                 ([(1, 120)], 'average', 9),
  'misc.caf%C3%A9':           ([(1, 120)], 'average', 10),
  'misc.gappy':               ([(1, 120), (10, 360)], 'average', 11),
}
for name, (archives, agg, shift) in metrics.items():
  p = os.path.join(root, *name.split('.')) + '.wsp'
  os.makedirs(os.path.dirname(p), exist_ok=True)
  whisper.create(p, archives, xFilesFactor=0.0, aggregationMethod=agg)
  step = archives[0][0]
  points = []
  for i, ts in enumerate(range(T - 110 * step, T, step)):
    v = odd[(i + shift) % len(odd)]
    if v is None or (name == 'misc.gappy' and (i // 7) % 2 == 0):
      continue
    points.append((ts, v))
  whisper.update_many(p, points, now=T)
print(T)
`;

before(async () => {
  if (skip) return;
  env = await startSideBySide(BUILD, 'http-diff');
  ({ T, ours, theirs: webUrl } = env);
});

after(async () => {
  await env?.stop();
});

interface Answer {
  status: number;
  contentType: string | null;
  body: string;
}

async function get(base: string, pathAndQuery: string): Promise<Answer> {
  const res = await fetch(base + pathAndQuery);
  return { status: res.status, contentType: res.headers.get('content-type'), body: await res.text() };
}

async function both(pathAndQuery: string): Promise<[Answer, Answer]> {
  return [await get(ours, pathAndQuery), await get(webUrl, pathAndQuery)];
}

async function sameBytes(pathAndQuery: string) {
  const [a, b] = await both(pathAndQuery);
  assert.equal(b.status, 200, `graphite-web ${pathAndQuery}: ${b.body.slice(0, 300)}`);
  assert.equal(a.status, b.status, `${pathAndQuery}: ${a.body.slice(0, 300)}`);
  assert.equal(a.contentType, b.contentType, pathAndQuery);
  if (a.body !== b.body) {
    let i = 0;
    while (a.body[i] === b.body[i]) i++;
    const at = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 120), i + 120));
    assert.fail(`${pathAndQuery}: bodies differ at ${i}:\n ours ${at(a.body)}\n them ${at(b.body)}`);
  }
  return a;
}

const FIND_QUERIES = [
  '*',
  'servers',
  'servers.*',
  'servers.web0?',
  'servers.web0[12].*',
  'servers.web02.*',
  'servers.*.cpu.*',
  'servers.{web01,web02}.cpu.user',
  'servers.web02.disk',
  'servers.web02.disk.*',
  'apps.*.requests',
  'apps.*.*.*',
  'misc.*',
  'nothing.here',
  'servers.web01.cpu.user',
];

test('metrics/find treejson: same bytes as graphite-web', { skip: skip ?? false }, async () => {
  for (const q of FIND_QUERIES) {
    const query = `query=${encodeURIComponent(q)}&now=${T}`;
    await sameBytes(`/metrics/find?${query}`);
    await sameBytes(`/metrics/find/?${query}&wildcards=1`);
    await sameBytes(`/metrics?${query}&leavesOnly=1&from=-1h&until=now`);
  }
  // A few answers pinned, so the test fails if both sides broke the same way.
  const a = await sameBytes('/metrics/find?query=misc.*');
  assert.equal(
    a.body,
    '[{"text": "a b", "id": "misc.a+b", "allowChildren": 0, "expandable": 0, "leaf": 1}, ' +
      '{"text": "café", "id": "misc.caf%C3%A9", "allowChildren": 0, "expandable": 0, "leaf": 1}, ' +
      '{"text": "gappy", "id": "misc.gappy", "allowChildren": 0, "expandable": 0, "leaf": 1}]',
  );
  const disk = await sameBytes('/metrics/find?query=servers.web02.d*&jsonp=cb');
  assert.equal(disk.contentType, 'text/javascript;charset=utf-8');
  assert.match(disk.body, /^cb\(\[\{"text": "disk", "id": "servers.web02.disk", "allowChildren": 1/);
});

test('metrics/find completer and nodelist: same answers as graphite-web', {
  skip: skip ?? false,
}, async () => {
  for (const q of [...FIND_QUERIES, 'servers.web', 'servers..cpu', 'apps.api,web', 'ser']) {
    for (const extra of ['', '&wildcards=1', '&automatic_variants=1']) {
      const url = `/metrics/find?format=completer&query=${encodeURIComponent(q)}${extra}`;
      const [a, b] = await both(url);
      assert.equal(a.status, b.status, url);
      // graphite-web shuffles nodes before a stable sort by name, so equal names under different
      // parents come in random order there: compare those lists sorted; all else byte for byte.
      const names = (JSON.parse(b.body).metrics as { name: string }[]).map((m) => m.name);
      if (new Set(names).size === names.length) assert.equal(a.body, b.body, url);
      else assert.deepEqual(sortedMetrics(a.body), sortedMetrics(b.body), url);
    }
    await sameBytes(`/metrics/find?format=nodelist&query=${encodeURIComponent(q)}&position=0`);
    await sameBytes(`/metrics/find?format=nodelist&query=${encodeURIComponent(q)}`);
  }
  const a = await sameBytes('/metrics/find?format=completer&query=servers.web02.d');
  assert.equal(
    a.body,
    '{"metrics": [{"path": "servers.web02.disk.", "name": "disk", "is_leaf": "0"}, ' +
      '{"path": "servers.web02.disk", "name": "disk", "is_leaf": "1"}]}',
  );
});

function sortedMetrics(body: string): string[] {
  return (JSON.parse(body).metrics as object[]).map((m) => JSON.stringify(m)).sort();
}

test('metrics/expand and index.json: same bytes as graphite-web', { skip: skip ?? false }, async () => {
  for (const qs of [
    'query=servers.*.cpu.*',
    'query=servers.*&query=apps.*',
    'query=servers.*&query=apps.*&groupByExpr=1',
    'query=servers.web02.*&leavesOnly=1',
    'query=*.*.*&groupByExpr=1&leavesOnly=1&jsonp=x',
    'query=nothing',
    'groupByExpr=1',
    '',
  ]) {
    await sameBytes(`/metrics/expand?${qs}`);
  }
  const index = await sameBytes('/metrics/index.json');
  assert.equal(JSON.parse(index.body).length, 12);
  await sameBytes('/metrics/index.json?jsonp=cb');
});

test('render json and csv: same bytes as graphite-web', { skip: skip ?? false }, async () => {
  const targets = [
    'servers.web01.cpu.user',
    'servers.*.cpu.*',
    'servers.web02.mem.free',
    'apps.*.requests.count',
    '{apps,servers}.*.*.*',
    'servers.web02.disk',
    'misc.gappy',
    'misc.*',
    'does.not.exist',
  ];
  const windows = [
    `from=${T - 60}&until=${T}`,
    `from=${T - 110}&until=${T - 20}`,
    `from=${T - 3000}&until=${T}`, // past the 1 s archive: the 10 s (or 1 min) archive answers
    `from=${T - 7}&until=${T - 3}`,
    `from=${T}&until=${T - 45}`, // reversed: graphite-web orders them
    'from=-90s&until=-10s',
    'from=-1h',
    'from=-5min&until=now',
  ];
  let compared = 0;
  for (const target of targets) {
    for (const w of windows) {
      const base = `/render?target=${encodeURIComponent(target)}&${w}&now=${T}`;
      await sameBytes(`${base}&format=json`);
      await sameBytes(`${base}&format=csv`);
      compared += 2;
    }
  }
  for (const extra of [
    'maxDataPoints=7',
    'maxDataPoints=20',
    'maxDataPoints=1',
    'maxDataPoints=1000',
    'maxDataPoints=abc',
    'noNullPoints=1',
    'maxDataPoints=9&xFilesFactor=0.5',
    'jsonp=cb',
    'target=apps.api.latency.p99&target=servers.web01.cpu.user',
    'target=servers.web01.cpu.user',
  ]) {
    for (const w of [windows[0], windows[1], windows[2], windows[5]]) {
      await sameBytes(`/render?target=servers.*.cpu.*&target=misc.gappy&format=json&${w}&now=${T}&${extra}`);
      compared++;
    }
  }
  assert.ok(compared > 150);

  // The numbers themselves, so both sides cannot be wrong together unnoticed.
  const one = await sameBytes(
    `/render?target=servers.web01.cpu.user&format=json&from=${T - 5}&until=${T}&now=${T}`,
  );
  const [series] = JSON.parse(one.body);
  assert.equal(series.target, 'servers.web01.cpu.user');
  assert.deepEqual(series.tags, { name: 'servers.web01.cpu.user' });
  assert.deepEqual(
    series.datapoints.map((p: [number | null, number]) => p[1]),
    [T - 4, T - 3, T - 2, T - 1, T],
  );
  // The last written slot is T-1; the cycle index there is (109 + 0) % 14 = 11 -> 1e15.
  assert.equal(series.datapoints[3][0], 1e15);
  assert.match(one.body, /\[1000000000000000\.0, /);
});

test('version: same bytes as graphite-web', { skip: skip ?? false }, async () => {
  await sameBytes('/version');
  await sameBytes('/version/');
});
