import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatsdAggregator } from './aggregate.js';
import { parseStatsdConfig } from './config.js';
import { StatsdFlusher } from './flush.js';

/** Feeds packets, flushes at ts 1000 with a frozen clock, returns name → value (and checks ts). */
function setup(options: Record<string, unknown>) {
  const agg = new StatsdAggregator(parseStatsdConfig({ flushInterval: 2000, ...options }));
  const flusher = new StatsdFlusher(agg, 900);
  let ts = 1000;
  return {
    agg,
    flusher,
    flush(...packets: string[]): Map<string, number> {
      for (const p of packets) agg.ingestPacket(p);
      const out = new Map<string, number>();
      const n = flusher.flush(
        ts,
        (name, t, v) => {
          assert.equal(t, ts);
          assert.ok(!out.has(name), `${name} emitted twice`);
          out.set(name, v);
        },
        () => 5_000_000,
      );
      assert.equal(n, out.size);
      ts += 2;
      return out;
    },
  };
}

const TIME_DEPENDENT = /processing_time|calculationtime|flush_time|flush_length|last_flush/;
function withoutTimes(m: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...m].filter(([k]) => !TIME_DEPENDENT.test(k)));
}

describe('statsd flush, legacy namespace', () => {
  it('sends what Etsy sends for each type', () => {
    const s = setup({ percentThreshold: [50] });
    const got = s.flush('c:3|c\nc:1|c|@0.5\nt:4|ms:2|ms\ng:5|g\ng:-1|g\nu:x|s\nu:y|s\nu:x|s', 'bad line');
    assert.deepEqual(withoutTimes(got), {
      'stats.statsd.bad_lines_seen': 0.5,
      'stats_counts.statsd.bad_lines_seen': 1,
      'stats.statsd.packets_received': 1,
      'stats_counts.statsd.packets_received': 2,
      'stats.statsd.metrics_received': 4.5,
      'stats_counts.statsd.metrics_received': 9,
      'stats.c': 2.5,
      'stats_counts.c': 5,
      'stats.timers.t.count_50': 1,
      'stats.timers.t.mean_50': 2,
      'stats.timers.t.upper_50': 2,
      'stats.timers.t.sum_50': 2,
      'stats.timers.t.sum_squares_50': 4,
      'stats.timers.t.std': 1,
      'stats.timers.t.upper': 4,
      'stats.timers.t.lower': 2,
      'stats.timers.t.count': 2,
      'stats.timers.t.count_ps': 1,
      'stats.timers.t.sum': 6,
      'stats.timers.t.sum_squares': 20,
      'stats.timers.t.mean': 3,
      'stats.timers.t.median': 3,
      'stats.gauges.g': 4,
      'stats.sets.u.count': 2,
      // 3 own counters + c + t + g + u
      'statsd.numStats': 7,
      'stats.statsd.graphiteStats.last_exception': 0,
    });
    // The first flush reports the status before any hand-over: last_flush = start time.
    assert.equal(got.get('stats.statsd.graphiteStats.last_flush'), 900);
    assert.equal(got.get('stats.statsd.graphiteStats.flush_length'), 0);
  });

  it('keeps idle counters, timers and sets at 0 and gauges at their value; lag is a gauge', () => {
    const s = setup({});
    s.flush('c:3|c\nt:4|ms\ng:5|g\nu:x|s');
    const idle = s.flush();
    assert.equal(idle.get('stats.c'), 0);
    assert.equal(idle.get('stats_counts.c'), 0);
    assert.equal(idle.get('stats.timers.t.count'), 0);
    assert.equal(idle.get('stats.timers.t.count_ps'), 0);
    assert.equal(idle.has('stats.timers.t.mean'), false);
    assert.equal(idle.get('stats.gauges.g'), 5);
    assert.equal(idle.get('stats.sets.u.count'), 0);
    // second flush 2 s after the first, interval 2 s: no lag
    assert.equal(idle.get('stats.gauges.statsd.timestamp_lag'), 0);
    assert.equal(idle.get('statsd.numStats'), 8);
    // the previous hand-over's size: every line as "name value ts\n"
    assert.ok((idle.get('stats.statsd.graphiteStats.flush_length') ?? 0) > 500);
  });

  it('applies a gauge delta to the kept value, and starts a delta from 0', () => {
    const s = setup({});
    assert.equal(s.flush('g:+3|g').get('stats.gauges.g'), 3);
    assert.equal(s.flush('g:+2|g:-10|g').get('stats.gauges.g'), -5);
    assert.equal(s.flush('g:7|g').get('stats.gauges.g'), 7);
  });

  it('deletes idle stats with deleteIdleStats, gauges after gaugesMaxTTL flushes', () => {
    const s = setup({ deleteIdleStats: true, gaugesMaxTTL: 2 });
    const first = s.flush('c:1|c\nt:1|ms\ng:1|g\nu:1|s');
    assert.equal(first.get('stats.c'), 0.5);
    const second = s.flush();
    assert.deepEqual(
      [...second.keys()].filter((k) => !k.includes('statsd')),
      ['stats.gauges.g'],
      'only the gauge, on its second TTL flush',
    );
    assert.equal(second.get('stats_counts.statsd.packets_received'), 0, 'own counters are kept at 0');
    const third = s.flush();
    assert.equal(third.has('stats.gauges.g'), false);
    assert.equal(third.get('stats.gauges.statsd.timestamp_lag'), 0, 'the lag gauge has no TTL');
  });

  it('lets each delete* option override deleteIdleStats', () => {
    const s = setup({ deleteIdleStats: true, deleteCounters: false });
    s.flush('c:1|c\nt:1|ms');
    const idle = s.flush();
    assert.equal(idle.get('stats.c'), 0);
    assert.equal(idle.has('stats.timers.t.count'), false);
  });

  it('drops stats_counts with flush_counts false', () => {
    const got = s2();
    function s2() {
      return setup({ flush_counts: false }).flush('c:1|c');
    }
    assert.equal(got.has('stats_counts.c'), false);
    assert.equal(got.get('stats.c'), 0.5);
  });

  it('puts the global suffix before the tags and keeps tags sorted', () => {
    const got = setup({ graphite: { globalSuffix: 'host1' } }).flush(
      'req:2|c|#route:x,dc:east\nlat:5|ms|#b:1,a:2',
    );
    assert.equal(got.get('stats.req.host1;dc=east;route=x'), 1);
    assert.equal(got.get('stats_counts.req.host1;dc=east;route=x'), 2);
    assert.equal(got.get('stats.timers.lat.upper.host1;a=2;b=1'), 5);
    assert.equal(got.get('statsd.numStats.host1'), 5);
  });
});

describe('statsd flush, new namespace', () => {
  it('sends Etsy names under the configured prefixes', () => {
    const s = setup({
      prefixStats: 'sd',
      calculatedTimerMetrics: ['count', 'upper_percent'],
      graphite: { legacyNamespace: false, globalPrefix: 'pre', prefixCounter: '', prefixTimer: 'tm' },
    });
    const got = withoutTimes(s.flush('c:3|c\nt:4|ms\ng:5|g\nu:x|s'));
    assert.deepEqual(got, {
      'pre.sd.bad_lines_seen.rate': 0,
      'pre.sd.bad_lines_seen.count': 0,
      'pre.sd.packets_received.rate': 0.5,
      'pre.sd.packets_received.count': 1,
      'pre.sd.metrics_received.rate': 2,
      'pre.sd.metrics_received.count': 4,
      'pre.c.rate': 1.5,
      'pre.c.count': 3,
      'pre.tm.t.upper_90': 4,
      'pre.tm.t.count': 1,
      'pre.gauges.g': 5,
      'pre.sets.u.count': 1,
      'pre.sd.numStats': 7,
      'pre.sd.graphiteStats.last_exception': 0,
    });
  });

  it('leaves out an empty global prefix', () => {
    const got = setup({ graphite: { legacyNamespace: false, globalPrefix: '' } }).flush('c:1|c');
    assert.equal(got.get('counters.c.rate'), 0.5);
    assert.equal(got.get('statsd.numStats'), 4);
  });
});

describe('statsd aggregator', () => {
  it('counts bad groups, lines and packets as Etsy; a junk packet changes nothing else', () => {
    const s = setup({});
    const junk = Buffer.alloc(65_000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) % 251;
    s.agg.ingestPacket('a:1|c:x|c\n\nb:1|zz\n');
    s.agg.ingestPacket(junk.toString());
    assert.equal(s.agg.internal.packets_received, 2);
    assert.deepEqual([...s.agg.counters], [['a', { value: 1 }]]);
    assert.equal(s.agg.timers.size + s.agg.gauges.size + s.agg.sets.size, 0);
    assert.ok(s.agg.internal.bad_lines_seen >= 3);
    assert.equal(s.agg.badLinesTotal, s.agg.internal.bad_lines_seen);
  });

  it('aggregates keys whose tags came in another order together', () => {
    const s = setup({});
    s.agg.ingestPacket('a:1|c|#x:1,y:2\na:2|c|#y:2,x:1');
    assert.deepEqual([...s.agg.counters], [['a;x=1;y=2', { value: 3 }]]);
  });
});
