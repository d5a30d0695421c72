import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { graphiteWebUnavailable } from './graphite-web/harness.js';
import { ensureDebianPackages } from './support/debian.js';
import type { JsonSeries } from './support/net.js';
import { type SideBySide, startSideBySide } from './support/side-by-side.js';

// Differential cases that need days of history, which the shared tree of
// test/render-functions.test.ts (5 minutes of 1 s data) does not hold: Holt-Winters with its
// default week of bootstrap and one-day season, moving windows of a day, calendar-aligned
// buckets, day-long shifts. A tree of 10-minute points over 9 days, written by Debian's
// python3-whisper, is asked of Carbonado and of graphite-web 1.1.8 for the last day.

const skip = graphiteWebUnavailable() ?? ensureDebianPackages(['python3-whisper']);

// Daily waves with a trend, one with gaps and a negative stretch; T is a whole hour, so day and
// hour alignment give fixed answers.
const BUILD = `
import sys, time, os, math, whisper
root = sys.argv[1]
T = int(time.time())
T -= T % 3600
metrics = {'week.load': 0, 'week.gappy': 1, 'week.other': 2}
for name, kind in metrics.items():
  p = os.path.join(root, *name.split('.')) + '.wsp'
  os.makedirs(os.path.dirname(p), exist_ok=True)
  whisper.create(p, [(600, 9 * 144)], xFilesFactor=0.0, aggregationMethod='average')
  points = []
  for i, ts in enumerate(range(T - 9 * 86400 + 600, T, 600)):
    v = 50 + 30 * math.sin(2 * math.pi * (ts % 86400) / 86400) + i * 0.01 + ((i * 7919) % 13) / 4.0
    if kind == 1:
      if (i // 5) % 7 == 0:
        continue
      v -= 60
    if kind == 2:
      v = ((i * 104729) % 1000) / 8.0 - 25.0
    points.append((ts, round(v, 3)))
  whisper.update_many(p, points, now=T)
print(T)
`;

const CASES = [
  'holtWintersForecast(week.load)',
  'holtWintersForecast(week.*)',
  'holtWintersForecast(week.load, "3d", "12h")',
  'holtWintersConfidenceBands(week.load)',
  'holtWintersConfidenceBands(week.gappy, 2)',
  'holtWintersConfidenceBands(week.*, 4, "2d")',
  'holtWintersAberration(week.load)',
  'holtWintersAberration(week.other, 1)',
  'holtWintersAberration(week.gappy, 2, "5d", "1d")',
  'holtWintersConfidenceArea(week.load)',
  'holtWintersConfidenceArea(week.gappy, 1, "4d")',
  'movingAverage(week.load, "1d")',
  'movingMedian(week.gappy, 36)',
  'exponentialMovingAverage(week.other, "6h")',
  'movingWindow(week.gappy, "12h", "max", 0.8)',
  'summarize(week.load, "1d")',
  'summarize(week.gappy, "6h", "avg", true)',
  'smartSummarize(week.load, "1d", "sum", "days")',
  'smartSummarize(week.gappy, "4h", "average", "hours")',
  'smartSummarize(week.other, "1w", "max", "weeks")',
  'hitcount(week.load, "1d", true)',
  'hitcount(week.gappy, "3h")',
  'integralByInterval(week.load, "6h")',
  'timeShift(week.load, "1d")',
  'timeShift(week.*, "3d", false)',
  'timeStack(week.load, "1d", 0, 4)',
  'asPercent(week.load, holtWintersForecast(week.load))',
  'linearRegression(week.load)',
  'linearRegression(week.*, "-5d", "-2d")',
];

let T = 0;
let webUrl = '';
let env: SideBySide | undefined;
let ours = '';

before(async () => {
  if (skip) return;
  env = await startSideBySide(BUILD, 'calculate-week');
  ({ T, ours, theirs: webUrl } = env);
});

after(async () => {
  await env?.stop();
});

async function render(base: string, target: string): Promise<{ status: number; body: string }> {
  const q = `format=json&from=${T - 86400}&until=${T}&now=${T}&target=${encodeURIComponent(target)}`;
  const res = await fetch(`${base}/render?${q}`);
  return { status: res.status, body: await res.text() };
}

/** The first difference between two answers, or undefined when they agree point by point. */
function firstDifference(a: JsonSeries[], b: JsonSeries[]): string | undefined {
  if (a.length !== b.length) return `${a.length} series; graphite-web has ${b.length}`;
  for (let s = 0; s < a.length; s++) {
    if (a[s].target !== b[s].target) return `series ${s}: name ${a[s].target}; want ${b[s].target}`;
    const tags = (x: JsonSeries) => JSON.stringify(Object.entries(x.tags).sort());
    if (tags(a[s]) !== tags(b[s])) return `series ${s}: tags ${tags(a[s])}; want ${tags(b[s])}`;
    if (a[s].datapoints.length !== b[s].datapoints.length)
      return `series ${s}: ${a[s].datapoints.length} points; want ${b[s].datapoints.length}`;
    for (let i = 0; i < a[s].datapoints.length; i++) {
      const [v, t] = a[s].datapoints[i];
      const [w, u] = b[s].datapoints[i];
      if (v !== w || t !== u) return `series ${s} point ${i}: [${v}, ${t}]; want [${w}, ${u}]`;
    }
  }
  return undefined;
}

test('a week of history: same series as graphite-web', { skip: skip ?? false }, async (t) => {
  const failures: string[] = [];
  for (const target of CASES) {
    const [a, b] = [await render(ours, target), await render(webUrl, target)];
    assert.equal(b.status, 200, `${target}: graphite-web answered ${b.status}`);
    if (a.status !== 200) {
      failures.push(`${target}: we answered ${a.status}: ${a.body.slice(0, 200)}`);
      continue;
    }
    const theirs = JSON.parse(b.body) as JsonSeries[];
    // A case that gives graphite-web nothing to compare proves nothing.
    assert.ok(
      theirs.some((s) => s.datapoints.some(([v]) => v !== null)),
      `${target}: graphite-web has no values`,
    );
    const diff = firstDifference(JSON.parse(a.body) as JsonSeries[], theirs);
    if (diff) failures.push(`${target}: ${diff}`);
  }
  t.diagnostic(`${CASES.length - failures.length}/${CASES.length} targets agree`);
  assert.deepEqual(failures, []);
});
