import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { CacheReader } from '../src/cache/reader.js';
import { createHttpServer, type HttpService } from '../src/http/server.js';
import { setQuiet } from '../src/log.js';
import { WhisperStore } from '../src/storage/whisper/store.js';
import { type GraphiteWeb, graphiteWebUnavailable, startGraphiteWeb } from './graphite-web/harness.js';
import { DEBIAN_PYTHON, ensureDebianPackages } from './support/debian.js';

// Carbonado as a graphite-web cluster server (issue 3). One whisper tree written by python3-whisper;
// Carbonado serves it; graphite-web "direct" reads it from disk; graphite-web "frontend" has an EMPTY
// whisper dir and CLUSTER_SERVERS = [Carbonado], so everything it answers came through Carbonado's
// /metrics/find?format=pickle&local=1 and /render?format=pickle&local=1 (finders/remote.py,
// readers/remote.py). Frontend and direct must answer byte for byte the same. `now` is pinned.

const skip = graphiteWebUnavailable() ?? ensureDebianPackages(['python3-whisper']);
const emptyCache: CacheReader = { peek: () => undefined, names: () => [] };

let dir = '';
let emptyDir = '';
let T = 0;
let direct: GraphiteWeb | undefined;
let frontend: GraphiteWeb | undefined;
let carbonado: HttpService | undefined;
let ours = '';

const BUILD = `
import sys, time, os, whisper
root = sys.argv[1]
T = int(time.time())
odd = [0.1, 1e-7, 1e20, -3.5, 42.0, 1.0/3, 0.0, None, 123456.789, -1e-5, 2.5, 7.0]
metrics = {
  'servers.web01.cpu.user':   ([(1, 120), (10, 360)], 'average', 0),
  'servers.web01.cpu.system': ([(1, 120), (10, 360)], 'average', 3),
  'servers.web02.cpu.user':   ([(1, 120), (10, 360)], 'max', 5),
  'servers.web02.disk':       ([(1, 120), (10, 360)], 'max', 2),
  'servers.web02.disk.sda':   ([(1, 120), (10, 360)], 'min', 4),
  'apps.api.requests':        ([(5, 60), (60, 60)], 'sum', 1),
}
for name, (archives, agg, shift) in metrics.items():
  p = os.path.join(root, *name.split('.')) + '.wsp'
  os.makedirs(os.path.dirname(p), exist_ok=True)
  whisper.create(p, archives, xFilesFactor=0.0, aggregationMethod=agg)
  step = archives[0][0]
  points = [(ts, odd[(i + shift) % len(odd)]) for i, ts in enumerate(range(T - 110 * step, T, step))]
  whisper.update_many(p, [pt for pt in points if pt[1] is not None], now=T)
print(T)
`;

before(async () => {
  if (skip) return;
  setQuiet(true);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carbonado-cluster-'));
  emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'carbonado-cluster-empty-'));
  const r = spawnSync(DEBIAN_PYTHON, ['-c', BUILD, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  T = Number(r.stdout.trim());
  const store = new WhisperStore({
    root: dir,
    schemaFor: () => {
      throw new Error('the cluster test never writes');
    },
  });
  carbonado = createHttpServer({ host: '127.0.0.1', port: 0, store, cache: emptyCache });
  await carbonado.start();
  const port = carbonado.address().port;
  ours = `http://127.0.0.1:${port}`;
  [direct, frontend] = await Promise.all([
    startGraphiteWeb({ whisperDir: dir }),
    startGraphiteWeb({ whisperDir: emptyDir, clusterServers: [`127.0.0.1:${port}`] }),
  ]);
});

after(async () => {
  await carbonado?.stop();
  await Promise.all([direct?.stop(), frontend?.stop()]);
  for (const d of [dir, emptyDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

async function get(base: string, pathAndQuery: string) {
  const res = await fetch(base + pathAndQuery);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, contentType: res.headers.get('content-type'), body };
}

/** The frontend (through Carbonado) and direct graphite-web give the same status, type and bytes. */
async function sameThroughCluster(pathAndQuery: string): Promise<string> {
  const d = await get(direct!.url, pathAndQuery);
  const f = await get(frontend!.url, pathAndQuery);
  assert.equal(d.status, 200, `direct ${pathAndQuery}: ${d.body.toString().slice(0, 300)}`);
  assert.equal(f.status, 200, `frontend ${pathAndQuery}: ${f.body.toString().slice(-600)}`);
  assert.equal(f.contentType, d.contentType, pathAndQuery);
  const a = f.body.toString('latin1');
  const b = d.body.toString('latin1');
  if (a !== b) {
    let i = 0;
    while (a[i] === b[i]) i++;
    const at = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 120), i + 120));
    assert.fail(`${pathAndQuery}: bodies differ at ${i}:\n frontend ${at(a)}\n   direct ${at(b)}`);
  }
  return a;
}

/** Decodes a pickle or msgpack body with Debian's Python (graphite-web's own umsgpack for msgpack). */
function pyDecode(body: Buffer, kind: 'pickle' | 'msgpack'): unknown {
  const load =
    kind === 'pickle'
      ? 'import pickle; v = pickle.loads(data)'
      : // umsgpack's map decoder uses collections.Hashable, gone since Python 3.10; restore the alias.
        'import collections, collections.abc; collections.Hashable = collections.abc.Hashable\n' +
        'import graphite.umsgpack as m; v = m.unpackb(data)';
  const script = `import sys, json\ndata = sys.stdin.buffer.read()\n${load}\nprint(json.dumps(v))`;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', script], { input: body, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('metrics/find format=pickle and msgpack as the remote finder asks them', {
  skip: skip ?? false,
}, async () => {
  // finders/remote.py's request: local=1, format, query, from, until (ints), on /metrics/find/.
  const q = `local=1&query=servers.web02.*&from=${T - 600}&until=${T}&now=${T}`;
  const want = [
    { path: 'servers.web02.cpu', is_leaf: false },
    { path: 'servers.web02.disk', is_leaf: false },
    { path: 'servers.web02.disk', is_leaf: true, intervals: [[0, T]] },
  ];
  for (const kind of ['pickle', 'msgpack'] as const) {
    const res = await get(ours, `/metrics/find/?${q}&format=${kind}`);
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.contentType, kind === 'pickle' ? 'application/pickle' : 'application/x-msgpack');
    assert.deepEqual(pyDecode(res.body, kind), want, kind);
  }

  // The pickle is CPython's own bytes for the same list of dicts (keys memoized once, tuples of floats).
  const res = await get(ours, `/metrics/find/?${q}&format=pickle`);
  const py = spawnSync(
    DEBIAN_PYTHON,
    [
      '-c',
      // Each node's path is its own str object in graphite-web (no memo reference between a branch and
      // a leaf of the same path); fresh() keeps the compiler from sharing one constant.
      `import pickle, sys; T = float(sys.argv[1]); fresh = lambda s: ''.join(list(s))
sys.stdout.buffer.write(pickle.dumps([
  dict(path=fresh('servers.web02.cpu'), is_leaf=False), dict(path=fresh('servers.web02.disk'), is_leaf=False),
  dict(path=fresh('servers.web02.disk'), is_leaf=True, intervals=[(0.0, T)])], protocol=-1))`,
      String(T),
    ],
    { encoding: 'buffer' },
  );
  assert.equal(py.status, 0, py.stderr.toString());
  assert.equal(res.body.toString('hex'), py.stdout.toString('hex'));

  const bad = await get(ours, `/metrics/find/?query=a&format=pickle&local=x`);
  assert.equal(bad.status, 400);
});

test('render format=pickle with local=1: the bytes graphite-web itself sends', {
  skip: skip ?? false,
}, async () => {
  // readers/remote.py's request: format=pickle, local=1, noCache=1, from, until, target..., now.
  const q =
    `format=pickle&local=1&noCache=1&from=${T - 100}&until=${T}&now=${T}` +
    '&target=servers.*.cpu.*&target=apps.api.requests';
  const a = await get(ours, `/render/?${q}`);
  const b = await get(direct!.url, `/render/?${q}`);
  assert.equal(a.status, 200, a.body.toString());
  assert.equal(b.status, 200, b.body.toString().slice(0, 300));
  assert.equal(a.contentType, b.contentType);
  assert.equal(a.body.toString('hex'), b.body.toString('hex'));
  const decoded = pyDecode(a.body, 'pickle') as { name: string; values: (number | null)[] }[];
  assert.deepEqual(
    decoded.map((s) => s.name),
    ['servers.web01.cpu.system', 'servers.web01.cpu.user', 'servers.web02.cpu.user', 'apps.api.requests'],
  );
  assert.equal(decoded[1].values.length, 100);
});

const FIND_QUERIES = [
  '*',
  'servers.*',
  'servers.web0?.cpu.*',
  'servers.web02.*',
  'servers.web02.disk',
  'nothing',
];

test('graphite-web over Carbonado: /metrics/find answers as graphite-web on the tree', {
  skip: skip ?? false,
}, async () => {
  for (const q of FIND_QUERIES) {
    const query = `query=${encodeURIComponent(q)}&now=${T}`;
    const tree = await sameThroughCluster(`/metrics/find/?${query}`);
    // completer keeps find's order, in which graphite-web shuffles equal names (storage.py
    // _list_nodes): compare its entries sorted by path.
    const completer = async (base: string) => {
      const res = await get(base, `/metrics/find/?${query}&format=completer`);
      assert.equal(res.status, 200, res.body.toString());
      const entries = JSON.parse(res.body.toString()).metrics as { path: string }[];
      return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    };
    assert.deepEqual(await completer(frontend!.url), await completer(direct!.url), q);
    await sameThroughCluster(`/metrics/expand/?${query}`);
    if (q === 'servers.*') assert.match(tree, /"id": "servers.web01"/);
  }
  // get_index asks /metrics/index.json?local=1 of each cluster server.
  const index = await sameThroughCluster('/metrics/index.json');
  assert.equal(JSON.parse(index).length, 6);
});

const TARGETS = [
  'servers.web01.cpu.user',
  'servers.*.cpu.*',
  'sumSeries(servers.*.cpu.user)',
  'aliasByNode(servers.web02.disk.*, 1, 3)',
  'servers.web02.disk',
  'apps.api.requests',
  'nothing.here',
];

test('graphite-web over Carbonado: /render answers as graphite-web on the tree', {
  skip: skip ?? false,
}, async () => {
  for (const target of TARGETS) {
    for (const window of [`from=-100s&until=now`, `from=-3000s&until=-1000s`]) {
      const q = `target=${encodeURIComponent(target)}&${window}&now=${T}`;
      const json = await sameThroughCluster(`/render/?${q}&format=json`);
      if (target === 'servers.web01.cpu.user' && window.startsWith('from=-100s'))
        assert.ok(
          json.includes(`"datapoints": [[7.0, ${T - 99}], [0.1, ${T - 98}], [1e-07, ${T - 97}]`),
          json,
        );
      await sameThroughCluster(`/render/?${q}&format=csv`);
    }
  }
});
