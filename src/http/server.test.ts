import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CacheReader } from '../cache/reader.js';
import { setQuiet } from '../log.js';
import type { FetchResult, MetricNode, Store } from '../storage/store.js';
import { createHttpServer, type HttpService } from './server.js';

// A store with one metric on disk (a.b.c, 10 s step) and a cache holding a point for it plus a metric
// that is only in the cache (a.new.x): enough to check routing, errors, limits and the cache overlay.
const T = 1_700_000_000;
const store: Store = {
  async *find(pattern: string): AsyncIterable<MetricNode> {
    const all: MetricNode[] = [
      { path: 'a', isLeaf: false },
      { path: 'a.b', isLeaf: false },
      { path: 'a.b.c', isLeaf: true },
    ];
    const depth = pattern.split('.').length;
    const re = new RegExp(`^${pattern.replaceAll('.', '\\.').replaceAll('*', '[^.]*')}$`);
    for (const n of all) if (n.path.split('.').length === depth && re.test(n.path)) yield n;
  },
  async fetch(metric: string, from: number, until: number): Promise<FetchResult | null> {
    if (metric !== 'a.b.c') return null;
    const step = 10;
    const start = from - (from % step) + step;
    const end = until - (until % step) + step;
    const values = new Float64Array((end - start) / step).map((_, i) => (start + i * step) / 1e9);
    return { metric, start, end, step, values, xFilesFactor: 0, aggregationMethod: 'average' };
  },
  write: async () => undefined,
  exists: async (m) => m === 'a.b.c',
};
const cache: CacheReader = {
  peek: (m) =>
    m === 'a.b.c'
      ? { timestamps: [T - 25, T - 21], values: [5, 7] }
      : m === 'a.new.x'
        ? { timestamps: [T - 80], values: [0.5] }
        : undefined,
  names: () => ['a.b.c', 'a.new.x'],
};

let server: HttpService;
let base = '';
before(async () => {
  setQuiet(true);
  server = createHttpServer({
    host: '127.0.0.1',
    port: 0,
    store,
    cache,
    clock: () => T,
    limits: { maxTargets: 3, maxSeries: 2, maxDataPoints: 50 },
  });
  await server.start();
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.stop());

async function get(path: string) {
  const res = await fetch(base + path, { headers: { accept: 'application/json' } });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

test('bad input is a 400 that names the problem', async () => {
  const cases: [string, RegExp][] = [
    [
      '/render?target=a.b.c',
      /missing format: want one of json, csv, raw, pickle, msgpack, dygraph, rickshaw/,
    ],
    ['/render?target=a.b.c&format=png', /invalid format "png": want one of json, csv/],
    ['/render?target=noSuch(a.*)&format=json', /unknown function "noSuch" at position 0/],
    [
      '/render?target=a.b.c&target=a.*|sum&format=json',
      /target 2: invalid target "a.\*\|sum": at position 4: got 'sum'; want a function call after "\|"/,
    ],
    [
      '/render?target=a.b.c&format=json&from=yesterdayish',
      /invalid from "yesterdayish": unknown day reference "yesterdayish"/,
    ],
    ['/render?target=a.b.c&format=json&until=-3m', /invalid until "-3m": invalid offset unit "m"/],
    ['/render?target=a.b.c&format=json&from=now&until=now', /invalid empty time range/],
    ['/render?target=a.b.c&format=json&xFilesFactor=lots', /invalid xFilesFactor "lots": want a number/],
    ['/render?target=a.b.c&format=json&maxDataPoints=0', /invalid maxDataPoints "0"/],
    ['/render?target=a&target=b&target=c&target=d&format=json', /too many targets: 4; the limit is 3/],
    [
      '/render?target=a.*.*&format=json',
      /too many series: "a\.\*\.\*" brings the request to 2; the limit is 2|too many/,
    ],
    [
      '/render?target=a.b.c&format=json&from=-1d',
      /too many datapoints: "a\.b\.c" brings the request to 8640; the limit is 50/,
    ],
    ['/render?target=a.b[c&format=json&from=-1min', /unclosed|position 1 in 'b\[c'|b\[c/],
    ['/metrics/find', /missing required parameter "query"/],
    ['/metrics/find?query=', /required parameter "query" is empty/],
    [
      '/metrics/find?query=a&format=xml',
      /invalid format "xml": want treejson, completer, nodelist, pickle or msgpack/,
    ],
    ['/metrics/find?query=a&from=tomorrowish', /invalid from "tomorrowish"/],
    ['/metrics/find?query=a&leavesOnly=yes', /invalid leavesOnly "yes": want an integer/],
  ];
  for (const [path, want] of cases) {
    const r = await get(path);
    assert.equal(r.status, 400, `${path}: ${r.body}`);
    assert.equal(r.type, 'text/plain; charset=utf-8');
    assert.match(r.body, want, path);
  }
  assert.equal((await get('/nope')).status, 404);
});

test('find sees metrics that exist only in the cache', async () => {
  const r = await get('/metrics/find?query=a.*');
  assert.equal(r.type, 'application/json');
  assert.equal(
    r.body,
    '[{"text": "b", "id": "a.b", "allowChildren": 1, "expandable": 1, "leaf": 0}, ' +
      '{"text": "new", "id": "a.new", "allowChildren": 1, "expandable": 1, "leaf": 0}]',
  );
  assert.equal((await get('/metrics/index.json')).body, '["a.b.c", "a.new.x"]');
  assert.equal((await get('/metrics/expand?query=a.*.*')).body, '{"results": ["a.b.c", "a.new.x"]}');
});

test('render overlays cached points on stored ones, and serves cache-only metrics', async () => {
  const r = await get(`/render?target=a.b.c&format=json&from=${T - 40}&until=${T}`);
  const [s] = JSON.parse(r.body);
  // Slots T-30, T-20, T-10, T; the cached points T-25 and T-21 both fall in the T-30 slot, where
  // the later one wins (rawStep = step = 10); the other slots keep the stored values.
  assert.deepEqual(s.datapoints, [
    [7, T - 30],
    [(T - 20) / 1e9, T - 20],
    [(T - 10) / 1e9, T - 10],
    [T / 1e9, T],
  ]);
  const only = await get(`/render?target=a.new.x&format=json&from=${T - 120}&until=${T}&noNullPoints=1`);
  assert.equal(
    only.body,
    `[{"target": "a.new.x", "tags": {"name": "a.new.x"}, "datapoints": [[0.5, ${T - 80}]]}]`,
  );
  const csv = await get(`/render?target=a.new.x&format=csv&from=${T - 120}&until=${T - 60}`);
  assert.equal(csv.type, 'text/csv');
  assert.equal(csv.body, 'a.new.x,2023-11-14 22:12:00,0.5\r\n');
});

test('version, and stats count requests and 4xx', async () => {
  const r = await get('/version/');
  assert.equal(r.body, '1.1.8\n');
  const stats = server.stats();
  assert.ok(stats.requests > 0 && stats.errors4xx > 0 && stats.errors5xx === 0);
});
