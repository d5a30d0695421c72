import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { CacheReader } from '../src/cache/reader.js';
import { createHttpServer, type HttpLimits, type HttpService } from '../src/http/server.js';
import { setQuiet } from '../src/log.js';
import type { FetchResult, MetricNode, Store } from '../src/storage/store.js';

// Each per-request limit of HttpServerOptions.limits, against a store held in memory: 1,000 metrics
// m.0 .. m.999 of 60 points each. The store counts what it was asked, so the tests can check that
// the work stopped, not only that the answer was an error.

setQuiet(true);
const emptyCache: CacheReader = { peek: () => undefined, names: () => [] };
const NOW = 1_700_000_040;
const METRICS = Array.from({ length: 1000 }, (_, i) => `m.${i}`);

class CountingStore implements Store {
  found = 0;
  fetched = 0;
  /** When set, fetch waits for it: a store stuck on slow disks. */
  gate?: Promise<void>;

  async *find(pattern: string): AsyncIterable<MetricNode> {
    const matching = pattern === 'm.*' ? METRICS : METRICS.filter((m) => m === pattern);
    if (pattern === '*') {
      this.found++;
      yield { path: 'm', isLeaf: false };
      return;
    }
    for (const path of matching) {
      this.found++;
      yield { path, isLeaf: true };
    }
  }

  async fetch(metric: string, from: number, until: number): Promise<FetchResult | null> {
    this.fetched++;
    if (this.gate) await this.gate;
    const step = 60;
    const start = from - (from % step) + step;
    const end = until - (until % step) + step;
    return {
      metric,
      start,
      end,
      step,
      values: new Float64Array((end - start) / step).fill(1),
      xFilesFactor: 0,
      aggregationMethod: 'average',
    };
  }

  async write(): Promise<boolean> {
    throw new Error('the limits test never writes');
  }

  async exists(metric: string): Promise<boolean> {
    return METRICS.includes(metric);
  }
}

const servers: HttpService[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

async function serve(limits: Partial<HttpLimits>, store = new CountingStore()) {
  const server = createHttpServer({
    host: '127.0.0.1',
    port: 0,
    store,
    cache: emptyCache,
    limits,
    clock: () => NOW,
  });
  await server.start();
  servers.push(server);
  const base = `http://127.0.0.1:${server.address().port}`;
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: await res.text() };
  };
  return { store, get };
}

const render = (...targets: string[]) =>
  `/render?format=json&from=${NOW - 3600}&until=${NOW}&${targets.map((t) => `target=${encodeURIComponent(t)}`).join('&')}`;

test('maxRequestTime: a slow render is a 503 at the deadline, and its work stops at the next checkpoint', async () => {
  let release = () => {};
  const store = new CountingStore();
  store.gate = new Promise<void>((r) => {
    release = r;
  });
  const { get } = await serve({ maxRequestTime: 50 }, store);
  const started = performance.now();
  const r = await get(render('sumSeries(m.*)'));
  const elapsed = performance.now() - started;
  assert.equal(r.status, 503);
  assert.match(
    r.body,
    /request time limit: the query ran longer than maxRequestTime \(50 ms\) and was stopped/,
  );
  assert.ok(elapsed >= 45 && elapsed < 2000, `answered after ${elapsed} ms`);
  // At most the fetch of m.0 was under way (on a loaded machine the deadline can pass even before it
  // starts); once the disk answers, the next checkpoint stops the request before any of the 999 other
  // series is read.
  const fetched = store.fetched;
  assert.ok(fetched <= 1, `${fetched} series fetched before the deadline`);
  release();
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.equal(store.fetched, fetched);
});

test('maxRequestTime: a request inside the limit is answered as usual', async () => {
  const { get } = await serve({ maxRequestTime: 10_000 });
  const r = await get(render('sumSeries(m.*)'));
  assert.equal(r.status, 200, r.body);
  const [sum] = JSON.parse(r.body);
  assert.equal(sum.target, 'sumSeries(m.*)');
  assert.equal(sum.datapoints.length, 60);
  assert.deepEqual(sum.datapoints[0], [1000, NOW - 3600 + 60]);
});

test('maxFindResults: find, expand and a render glob over the cap are 400s, and the walk stops at the cap', async () => {
  const { store, get } = await serve({ maxFindResults: 100 });
  for (const path of [
    '/metrics/find?query=m.*',
    '/metrics/expand?query=m.*',
    render('m.*'),
    render('sumSeries(m.*)'),
  ]) {
    store.found = 0;
    const r = await get(path);
    assert.equal(r.status, 400, path);
    assert.match(
      r.body,
      /too many matches: "m\.\*" matches more than 100 nodes; the limit is maxFindResults \(100\)/,
    );
    assert.equal(store.found, 101, `${path}: the store yielded ${store.found} nodes`);
  }
  assert.equal(store.fetched, 0);
  const ok = await get('/metrics/find?query=m.7');
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).length, 1);
});

test('maxSeries: series over all targets of a request, each path fetched once', async () => {
  const { get } = await serve({ maxSeries: 1001 });
  // m.1 appears in two targets but is fetched once (prefetch), so the request holds 1,001 series.
  assert.equal((await get(render('m.*', 'm.1', 'averageSeries(m.1)'))).status, 200);
  const r = await get(render('m.*', 'm.1', 'm.2'));
  assert.equal(r.status, 400);
  assert.match(r.body, /too many series: "m\.2" brings the request to 1002; the limit is 1001/);
});

test('maxDataPoints: datapoints fetched over the request', async () => {
  const { store, get } = await serve({ maxDataPoints: 600 });
  assert.equal((await get(render('m.1', 'm.2'))).status, 200);
  store.fetched = 0;
  const r = await get(render('m.*'));
  assert.equal(r.status, 400);
  assert.match(r.body, /too many datapoints: "m\.107" brings the request to 660; the limit is 600/);
  // Sorted by code point: m.0, m.1, m.10, m.100 ... m.107 is the eleventh.
  assert.equal(store.fetched, 11);
});

test('maxTargets and maxDepth', async () => {
  const { get } = await serve({ maxTargets: 3, maxDepth: 4 });
  const many = await get(render('m.1', 'm.2', 'm.3', 'm.4'));
  assert.equal(many.status, 400);
  assert.match(many.body, /too many targets: 4; the limit is 3/);
  assert.equal((await get(render('absolute(absolute(absolute(m.1)))'))).status, 200);
  const deep = await get(render('absolute(absolute(absolute(absolute(absolute(m.1)))))'));
  assert.equal(deep.status, 400);
  assert.match(deep.body, /nesting-depth limit/);
});
