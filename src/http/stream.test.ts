import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startJsonPair } from '../../test/support/json-pair.js';
import { setQuiet } from '../log.js';
import type { FetchResult, MetricNode, Store } from '../storage/store.js';
import { PIECE_BYTES } from './format/ascii.js';
import type { HttpService } from './server.js';

// A big json answer streamed in pieces must be byte for byte the answer sent whole. Two servers over
// one store: one streams every json answer (streamJsonPoints 1), the other none.
const T = 1_700_000_000;
const SERIES = 30;
const names = Array.from({ length: SERIES }, (_, i) => `big.s${String(i).padStart(2, '0')}`);

const store: Store = {
  async *find(pattern: string): AsyncIterable<MetricNode> {
    if (pattern === 'big.*') for (const path of names) yield { path, isLeaf: true };
    else if (names.includes(pattern)) yield { path: pattern, isLeaf: true };
  },
  async fetch(metric: string, from: number, until: number): Promise<FetchResult | null> {
    const k = names.indexOf(metric);
    if (k < 0) return null;
    const step = 10;
    const start = from - (from % step) + step;
    const end = until - (until % step) + step;
    // Gaps, whole numbers, short decimals and full 17-digit values, different in every series.
    const values = new Float64Array((end - start) / step).map((_, i) =>
      i % 97 === k ? Number.NaN : i % 5 === 0 ? i : i % 5 === 1 ? i / 8 : Math.sin(i + k) * 1000,
    );
    return { metric, start, end, step, values, xFilesFactor: 0, aggregationMethod: 'average' };
  },
  write: async () => undefined,
  exists: async (m) => names.includes(m),
};

let streaming: HttpService;
let whole: HttpService;
let stop: () => Promise<void>;
before(async () => {
  setQuiet(true);
  ({ streaming, whole, stop } = await startJsonPair({
    store,
    clock: () => T,
    limits: { maxSeries: 1000, maxDataPoints: 10_000_000 },
  }));
});
after(() => stop());

async function get(server: HttpService, query: string) {
  const res = await fetch(`http://127.0.0.1:${server.address().port}/render?${query}`);
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    length: res.headers.get('content-length'),
    chunked: res.headers.get('transfer-encoding') === 'chunked',
    body: Buffer.from(await res.arrayBuffer()),
  };
}

test('a streamed json answer is the same bytes as the whole one, in every json variant', async () => {
  const day = `from=${T - 86400}&until=${T}`;
  const queries = [
    `target=big.*&format=json&${day}`,
    `target=big.*&format=json&${day}&noNullPoints`,
    `target=big.*&format=json&${day}&jsonp=cb`,
    `target=sumSeries(big.*)&target=big.s07&format=json&${day}&maxDataPoints=500`,
    `target=big.s03&format=json&from=${T - 60}&until=${T}`,
    `target=nothing.here&format=json&${day}`,
  ];
  for (const q of queries) {
    const [a, b] = await Promise.all([get(streaming, q), get(whole, q)]);
    assert.equal(a.status, 200, q);
    assert.equal(a.type, b.type, q);
    assert.ok(a.body.equals(b.body), `${q}: streamed ${a.body.length} bytes differ from ${b.body.length}`);
    assert.equal(b.chunked, false, q);
    assert.equal(Number(b.length), b.body.length, q);
    // '[]' has no points to stream; everything else went chunked, without a length.
    if (b.body.length > 2) assert.ok(a.chunked && a.length === null, `${q}: not streamed`);
  }
  const big = await get(streaming, queries[0]);
  assert.ok(
    big.body.length > 8 * PIECE_BYTES,
    `the glob answer spans many pieces (${big.body.length} bytes)`,
  );
  assert.equal((JSON.parse(big.body.toString()) as unknown[]).length, SERIES);
});

test('pieces are reused only once written: concurrent streamed answers do not mix', async () => {
  const q = (k: number) =>
    `target=big.s${String(k).padStart(2, '0')}&format=json&from=${T - 86400}&until=${T}`;
  const ks = Array.from({ length: 12 }, (_, i) => (i * 7) % SERIES);
  const [streamed, wholes] = await Promise.all([
    Promise.all(ks.map((k) => get(streaming, q(k)))),
    Promise.all(ks.map((k) => get(whole, q(k)))),
  ]);
  ks.forEach((k, i) => {
    assert.ok(streamed[i].body.equals(wholes[i].body), `series ${k}`);
  });
});
