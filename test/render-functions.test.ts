import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { graphiteWebUnavailable } from './graphite-web/harness.js';
import { ensureDebianPackages } from './support/debian.js';
import type { JsonSeries } from './support/net.js';
import { type SideBySide, startSideBySide } from './support/side-by-side.js';

// The differential suite of the function library: one whisper tree written by Debian's
// python3-whisper, served by Carbonado (in-process) and by Debian's graphite-web 1.1.8; every target
// in test/render-cases/*.txt (one per line, '#' comments) is asked of both in json, and the answers
// are compared point by point: series names, tags, timestamps and values (numbers compared as
// numbers, so 2 and 2.0 agree). Steps differ across the tree (1 s, 5 s, 10 s) so that
// normalization to a common step is exercised. Adding a case is adding a line. A line starting
// with '!' is a known difference (the reason in a comment above it): it must still differ (or
// graphite-web must still fail on it while we answer), so whoever fixes it is told to drop the '!'.
// A line starting with '~' agrees to within 4 ulps: for libm functions that V8 rounds differently
// from glibc (sin); exp, log and pow use the correctly rounded versions in functions/libm.ts instead.

const skip = graphiteWebUnavailable() ?? ensureDebianPackages(['python3-whisper']);
const CASES_DIR = path.join(import.meta.dirname, 'render-cases');

let T = 0;
let webUrl = '';
let env: SideBySide | undefined;
let ours = '';

// metric -> (retentions, aggregationMethod, kind, shift). Values are odd floats, negatives,
// counters with a reset, and gaps, all a deterministic function of the point's index.
const BUILD = `
import sys, time, os, whisper
root = sys.argv[1]
T = int(time.time())
T -= T % 60
def wave(i, shift):
  return ((i * 7919 + shift * 104729) % 1000) / 8.0 - 25.0
metrics = {
  'servers.web01.cpu.user':   ([(1, 300)], 'wave', 1),
  'servers.web01.cpu.system': ([(1, 300)], 'wave', 2),
  'servers.web02.cpu.user':   ([(1, 300)], 'wave', 3),
  'servers.web02.cpu.system': ([(1, 300)], 'gappy', 4),
  'servers.db01.cpu.user':    ([(1, 300)], 'wave', 5),
  'servers.web01.mem.free':   ([(5, 100)], 'wave', 6),
  'servers.web02.mem.free':   ([(10, 60)], 'wave', 7),
  'counters.requests.a':      ([(1, 300)], 'counter', 8),
  'counters.requests.b':      ([(5, 100)], 'counter', 9),
  'misc.gappy':               ([(1, 300)], 'gappy', 10),
  'misc.small':               ([(1, 300)], 'small', 11),
  'misc.empty':               ([(1, 300)], 'none', 12),
}
for name, (archives, kind, shift) in metrics.items():
  p = os.path.join(root, *name.split('.')) + '.wsp'
  os.makedirs(os.path.dirname(p), exist_ok=True)
  whisper.create(p, archives, xFilesFactor=0.0, aggregationMethod='average')
  step = archives[0][0]
  points = []
  total = 0.0
  for i, ts in enumerate(range(T - 200 * step, T, step)):
    ts = ts - ts % step
    if kind == 'none':
      continue
    if kind == 'counter':
      total = 0.0 if i == 130 else total + (i * 37 % 11) + 0.5
      v = total
    elif kind == 'small':
      v = (i % 5) * 0.25
    else:
      v = wave(i, shift)
    if kind == 'gappy' and (i // 6) % 3 == 0:
      continue
    points.append((ts, v))
  if points:
    whisper.update_many(p, points, now=T)
print(T)
`;

before(async () => {
  if (skip) return;
  env = await startSideBySide(BUILD, 'render-fn');
  ({ T, ours, theirs: webUrl } = env);
});

after(async () => {
  await env?.stop();
});

/** The targets of one case file: one per line, blank lines and '#' comments skipped. */
function readCases(file: string): string[] {
  return fs
    .readFileSync(path.join(CASES_DIR, file), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

async function render(base: string, target: string): Promise<{ status: number; body: string }> {
  const q = `format=json&from=${T - 120}&until=${T}&now=${T}&target=${encodeURIComponent(target)}`;
  const res = await fetch(`${base}/render?${q}`);
  return { status: res.status, body: await res.text() };
}

/**
 * Both answers to one target, asked within one wall-clock second. A few functions (timeSlice) read the
 * clock whatever &now= says, as upstream's do, and put the second in the series name: a pair of
 * requests that straddles a second boundary is asked again rather than compared.
 */
async function renderBoth(
  target: string,
): Promise<[{ status: number; body: string }, { status: number; body: string }]> {
  for (let attempt = 1; ; attempt++) {
    const second = Math.floor(Date.now() / 1000);
    const pair: [{ status: number; body: string }, { status: number; body: string }] = [
      await render(ours, target),
      await render(webUrl, target),
    ];
    if (Math.floor(Date.now() / 1000) === second || attempt === 3) return pair;
  }
}

/** True when x and y are at most 4 doubles apart (4 ulps). */
function withinFewUlps(x: number, y: number): boolean {
  if (x === y) return true;
  if (!Number.isFinite(x) || !Number.isFinite(y) || Math.sign(x) !== Math.sign(y)) return false;
  const f = new Float64Array([x, y]);
  const i = new BigInt64Array(f.buffer);
  const d = i[0] - i[1];
  return d <= 4n && d >= -4n;
}

/**
 * Differences between two json answers, empty when they agree point by point. With `ulp`, values may
 * differ in the last bits, at most 4 ulps (a '~' line: a libm function V8 and glibc round differently).
 */
function differences(a: JsonSeries[], b: JsonSeries[], ulp = false): string[] {
  const out: string[] = [];
  if (a.length !== b.length) out.push(`${a.length} series; graphite-web has ${b.length}`);
  for (let s = 0; s < Math.min(a.length, b.length); s++) {
    const x = a[s];
    const y = b[s];
    if (x.target !== y.target)
      out.push(`series ${s}: name ${JSON.stringify(x.target)}; want ${JSON.stringify(y.target)}`);
    if (JSON.stringify(sortKeys(x.tags)) !== JSON.stringify(sortKeys(y.tags)))
      out.push(`series ${s}: tags ${JSON.stringify(x.tags)}; want ${JSON.stringify(y.tags)}`);
    if (x.datapoints.length !== y.datapoints.length)
      out.push(`series ${s}: ${x.datapoints.length} points; want ${y.datapoints.length}`);
    for (let i = 0; i < Math.min(x.datapoints.length, y.datapoints.length); i++) {
      const [v, t] = x.datapoints[i];
      const [w, u] = y.datapoints[i];
      const close = ulp && typeof v === 'number' && typeof w === 'number' && withinFewUlps(v, w);
      if (t !== u || (v !== w && !close)) {
        out.push(`series ${s} point ${i}: [${v}, ${t}]; want [${w}, ${u}]`);
        break;
      }
    }
  }
  return out;
}

function sortKeys(o: Record<string, string>): [string, string][] {
  return Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1));
}

for (const file of fs
  .readdirSync(CASES_DIR)
  .filter((f) => f.endsWith('.txt'))
  .sort()) {
  test(`render functions, ${file}: same series as graphite-web`, { skip: skip ?? false }, async (t) => {
    const cases = readCases(file);
    assert.ok(cases.length > 0, `${file} has no targets`);
    const failures: string[] = [];
    let known = 0;
    for (const line of cases) {
      const knownDifference = line.startsWith('!');
      const ulp = line.startsWith('~');
      const target = knownDifference || ulp ? line.slice(1).trim() : line;
      const [a, b] = await renderBoth(target);
      if (b.status !== 200) {
        // A '!' line may mark a target graphite-web fails on (a Python 3 bug); we must still answer it.
        if (knownDifference && a.status === 200) {
          known++;
          t.diagnostic(`known difference: ${target}: graphite-web answered ${b.status}`);
          continue;
        }
        failures.push(`${target}: graphite-web answered ${b.status}: ${b.body.slice(0, 200)}`);
        continue;
      }
      if (a.status !== 200) {
        failures.push(`${target}: we answered ${a.status}: ${a.body.slice(0, 200)}`);
        continue;
      }
      const theirs = JSON.parse(b.body) as JsonSeries[];
      const diff = differences(JSON.parse(a.body) as JsonSeries[], theirs, ulp);
      if (knownDifference) {
        known++;
        if (diff.length === 0) failures.push(`${target}: now agrees; drop its '!'`);
        else t.diagnostic(`known difference: ${target}: ${diff[0]}`);
      } else if (diff.length) failures.push(`${target}: ${diff.slice(0, 3).join('; ')}`);
    }
    t.diagnostic(
      `${cases.length - known - failures.length}/${cases.length - known} targets agree; ${known} known differences`,
    );
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} targets differ`);
  });
}

test('render: a bad target or argument is a 400 naming what is wrong', { skip: skip ?? false }, async () => {
  const cases: [string, RegExp][] = [
    [
      'sumSeries(servers.*.cpu.user',
      /target 1: invalid target .*at position 28: got end of target; want ',' or '\)'/,
    ],
    ['noSuchFunction(a.b)', /unknown function "noSuchFunction" at position 0/],
    [
      'scale(servers.web01.cpu.user, "big")',
      /invalid float for parameter "factor" of function "scale": got 'big'/,
    ],
    ['aggregate(servers.*.cpu.user, "mode")', /parameter "func" of function "aggregate": got 'mode'/],
    ['aliasSub(servers.*.cpu.user, "(a+)+", "x")', /aliasSub: regex "\(a\+\)\+" refused at position 4/],
    ['percentileOfSeries(servers.*.cpu.user, 0)', /the percent must be greater than 0/],
    [`${'sumSeries('.repeat(60)}a.b${')'.repeat(60)}`, /nesting-depth limit/],
  ];
  for (const [target, message] of cases) {
    const r = await render(ours, target);
    assert.equal(r.status, 400, `${target}: ${r.body}`);
    assert.match(r.body, message, target);
  }
});

test('/functions and /functions/<name> describe the registry as graphite-web does', {
  skip: skip ?? false,
}, async () => {
  const one = await fetch(`${ours}/functions/groupByNode`);
  assert.equal(one.status, 200);
  assert.deepEqual(await one.json(), {
    name: 'groupByNode',
    function: "groupByNode(seriesList, nodeNum, callback='average')",
    description: 'Groups the series by one node (or tag) and aggregates each group.',
    module: 'graphite.render.functions',
    group: 'Combine',
    params: [
      { name: 'seriesList', type: 'seriesList', required: true },
      { name: 'nodeNum', type: 'nodeOrTag', required: true },
      {
        name: 'callback',
        type: 'aggOrSeriesFunc',
        default: 'average',
        options: (await (await fetch(`${ours}/functions/groupByNode`)).json()).params[2].options,
      },
    ],
  });
  const info = (await (await fetch(`${ours}/functions/groupByNode`)).json()) as {
    params: { options: string[] }[];
  };
  // aggFuncs, their aliases and the aggregator series functions, sorted.
  for (const o of ['average', 'avg_zero', 'median', 'sum', 'sumSeries', 'sum', 'countSeries', 'total'])
    assert.ok(info.params[2].options.includes(o), o);
  assert.deepEqual(info.params[2].options, [...info.params[2].options].sort());
  const sum = await (await fetch(`${ours}/functions/sum`)).json();
  assert.equal(sum.function, 'sum(*seriesLists)');
  const keep = await (await fetch(`${ours}/functions/keepLastValue`)).text();
  assert.match(keep, /"default": Infinity\}/);
  const missing = await fetch(`${ours}/functions/nope`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: 'Function not found: nope' });
  // Upstream writes an infinite default as Infinity (not JSON); Grafana rewrites it before parsing.
  const grafanaParse = async (url: string) =>
    JSON.parse((await (await fetch(url)).text()).replace(/"default": ?Infinity/g, '"default": 1e9999'));
  const all = await grafanaParse(`${ours}/functions`);
  assert.ok('sumSeries' in all && 'avg' in all && 'aliasByNode' in all && 'perSecond' in all);
  const grouped = await grafanaParse(`${ours}/functions?grouped=true`);
  assert.ok('sumSeries' in grouped.Combine && 'alias' in grouped.Alias && 'scale' in grouped.Transform);
  const alias = await (await fetch(`${ours}/functions?group=Alias`)).json();
  assert.deepEqual(Object.keys(alias), [
    'alias',
    'aliasByMetric',
    'aliasByNode',
    'aliasByTags',
    'aliasQuery',
    'aliasSub',
    'legendValue',
  ]);
});
