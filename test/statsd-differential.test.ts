/**
 * Etsy's statsd and Carbonado's StatsdServer fed the same UDP packets; the flush with the data and the
 * two idle flushes after it must hold the same names with the same values, for both namespaces.
 *
 * Left out, because they measure time rather than data: statsd.timestamp_lag (the lag gauge),
 * processing_time, graphiteStats.calculationtime, graphiteStats.flush_time, graphiteStats.last_flush,
 * and graphiteStats.flush_length (a byte count that includes the printed timings). Not sent, because
 * the two disagree on purpose (see parse.ts): `h` samples (a counter in Etsy, a timer here), values
 * and rates Etsy wrongly accepts, negative top percentiles that cover every value (NaN in Etsy).
 * Etsy's names are put in carbon's canonical form (tags sorted) before comparing, as carbon would.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { normalizeMetricName } from '../src/ingest/names.js';
import type { IngestSink } from '../src/ingest/sink.js';
import { parseStatsdConfig } from '../src/ingest/statsd/config.js';
import { StatsdServer } from '../src/ingest/statsd/server.js';
import { setQuiet } from '../src/log.js';
import { type Flush, startEtsy } from './statsd-etsy.js';

setQuiet(true);

const PACKETS = [
  'hits:1|c\nhits:3|c|@0.1\nhits:2|c:5|c|@0.5',
  'lat.api:12|ms\nlat.api:7.5|ms|@0.5:33|ms\nlat.api:120|ms\nlat.db:3|ms',
  'lat.one:4|ms',
  `lat.many:${Array.from({ length: 40 }, (_, i) => `${(i * 37) % 101}.${i % 7}|ms`).join(':')}`,
  'flt:0.1|ms:0.2|ms:0.3|ms:1.7|ms|@0.3',
  'load:5|g\nload:+2.5|g\nload:-1|g\nfresh:-3|g',
  'users:alice|s\nusers:bob|s\nusers:alice|s\nusers:0|s',
  'my key/with$chars.x:1|c\nsp  aces:2|ms',
  'req:1|c|#route:home,dc:east\nreq:2|c|#route:home,dc:east\nreqt:5|ms|#env:prod',
  // bad for both: no value, no type, not a number, a negative timer, a bad rate
  'nocolon\na:1\na:x|c\nneg:-5|ms\nq:1|c|@x',
  '\n\nempty.lines:1|c\n\n',
  ...Array.from({ length: 30 }, (_, i) => `many.c${i % 3}:${i}|c`),
];

const TIME_DEPENDENT = /timestamp_lag|processing_time|calculationtime|flush_time|flush_length|last_flush/;

function canonical(flush: Flush | [string, number][]): Map<string, number> {
  const m = new Map<string, number>();
  for (const [rawName, value] of flush) {
    if (TIME_DEPENDENT.test(rawName)) continue;
    const n = normalizeMetricName(rawName);
    assert.ok(n.ok, `bad name ${rawName}`);
    assert.ok(!m.has(n.name), `${n.name} twice in one flush`);
    m.set(n.name, Number(value));
  }
  return m;
}

/** A sink that groups points into flushes; flush_length is the last point of each flush. */
function flushRecorder() {
  const flushes: [string, number][][] = [];
  let current: [string, number][] = [];
  let waiters: (() => void)[] = [];
  const sink: IngestSink = {
    add(name, _ts, value) {
      current.push([name, value]);
      if (name.includes('graphiteStats.flush_length')) {
        flushes.push(current);
        current = [];
        const w = waiters;
        waiters = [];
        for (const f of w) f();
      }
    },
    paused: false,
    onResume() {},
  };
  const waitFlush = (from: number, pred: (f: [string, number][]) => boolean = () => true) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching Carbonado flush')), 15_000);
      const check = () => {
        for (let i = from; i < flushes.length; i++) {
          if (pred(flushes[i])) {
            clearTimeout(timer);
            resolve(i);
            return;
          }
        }
        waiters.push(check);
      };
      check();
    });
  return { sink, flushes, waitFlush };
}

function send(port: number, packets: string[]): Promise<void> {
  const s = createSocket('udp4');
  return new Promise((resolve, reject) => {
    let left = packets.length;
    for (const p of packets) {
      s.send(p, port, '127.0.0.1', (err) => {
        if (err) reject(err);
        else if (--left === 0) s.close(() => resolve());
      });
    }
  });
}

async function differential(options: Record<string, unknown>, packetsName: string): Promise<void> {
  const config = { flushInterval: 1000, ...options };
  const etsy = await startEtsy(config);
  const ours = flushRecorder();
  const server = new StatsdServer({
    port: 0,
    adminPort: null,
    sink: ours.sink,
    config: parseStatsdConfig(config),
  });
  try {
    await server.start();
    // Both flush on whole seconds. Let each flush once (so both have their lag gauge from now on),
    // then send right after an Etsy flush so the data lands in the next flush of both.
    await ours.waitFlush(0);
    const base = etsy.flushes.length;
    await etsy.waitFlush(base);
    const oursBase = ours.flushes.length;
    await Promise.all([send(etsy.port, PACKETS), send(server.address().udp, PACKETS)]);

    const hasData = (f: Flush | [string, number][]) =>
      f.some(([n, v]) => n.includes(packetsName) && Number(v) > 0);
    const e = await etsy.waitFlush(base, hasData);
    const o = await ours.waitFlush(oursBase, hasData);
    await Promise.all([etsy.waitFlush(e + 2), ours.waitFlush(o + 2)]);
    for (let k = 0; k < 3; k++) {
      const want = canonical(etsy.flushes[e + k]);
      const got = canonical(ours.flushes[o + k]);
      if (k === 0) {
        const received = [...want].find(([n]) => n.includes(packetsName) && !n.endsWith('.rate'));
        assert.equal(received?.[1], PACKETS.length, 'Etsy got every packet in one flush');
      }
      assert.deepEqual(
        [...got.keys()].sort(),
        [...want.keys()].sort(),
        `names of flush ${k} (${k === 0 ? 'with the data' : 'idle'})`,
      );
      for (const [name, v] of want) assert.equal(got.get(name), v, `${name} in flush ${k}`);
      assert.ok(want.size >= (k === 0 ? 60 : 8), `flush ${k} has ${want.size} names`);
    }
  } finally {
    await server.stop();
    await etsy.stop();
  }
}

describe('statsd: Carbonado against Etsy statsd 0.9.0', { timeout: 60_000 }, () => {
  it('legacy namespace, percentiles, histograms, idle values kept', () =>
    differential(
      {
        percentThreshold: [90, -50, 99.9],
        histogram: [
          { metric: 'lat.api', bins: [10, 50.5, 'inf'] },
          { metric: 'lat', bins: [5, 100] },
        ],
      },
      'stats_counts.statsd.packets_received',
    ));

  it('new namespace with prefixes, suffix, deleteIdleStats, gaugesMaxTTL, calculatedTimerMetrics', () =>
    differential(
      {
        prefixStats: 'sd',
        deleteIdleStats: true,
        gaugesMaxTTL: 2,
        percentThreshold: [90, -20],
        calculatedTimerMetrics: ['count', 'mean', 'upper_percent', 'lower_percent', 'count_ps', 'histogram'],
        histogram: [{ metric: 'lat', bins: [10, 'inf'] }],
        graphite: {
          legacyNamespace: false,
          globalPrefix: 'pre',
          prefixCounter: 'cnt',
          prefixGauge: '',
          globalSuffix: 'h1',
        },
      },
      'sd.packets_received.count',
    ));
});
