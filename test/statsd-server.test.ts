import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { IngestSink } from '../src/ingest/sink.js';
import { parseStatsdConfig } from '../src/ingest/statsd/config.js';
import { StatsdServer } from '../src/ingest/statsd/server.js';
import { setQuiet } from '../src/log.js';

setQuiet(true);

/** A sink that records points. */
function recorder() {
  const points = new Map<string, [number, number]>();
  const sink: IngestSink = {
    add: (name, ts, value) => void points.set(name, [ts, value]),
    paused: false,
    onResume() {},
  };
  return { sink, points };
}

/** Resolves when `cond` holds, checking after each turn of the event loop; fails after `ms`. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

function sendUdp(port: number, packets: (string | Buffer)[]): Promise<void> {
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

/** Sends admin lines one by one, each after the previous reply, and returns every reply. */
async function admin(port: number, lines: string[]): Promise<string[]> {
  const s = connect(port, '127.0.0.1');
  s.setEncoding('utf8');
  const replies: string[] = [];
  let buf = '';
  let wake = () => {};
  s.on('data', (d: string) => {
    buf += d;
    wake();
  });
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  for (const line of lines) {
    s.write(`${line}\n`);
    if (line === 'quit') break;
    // Most replies end with a blank line; health and ERROR are one line; config ends with its last option.
    await new Promise<void>((r) => {
      wake = () => {
        if (/(\n\n|^health: \w+\n|^ERROR\n|globalSuffix: \n)$/.test(buf)) r();
      };
      wake();
    });
    replies.push(buf);
    buf = '';
  }
  if (lines.at(-1) === 'quit') await closed;
  else s.destroy();
  return replies;
}

describe('StatsdServer', { timeout: 20_000 }, () => {
  const { sink, points } = recorder();
  let clock = 1_700_000_000_000;
  const server = new StatsdServer({
    port: 0,
    adminPort: 0,
    sink,
    config: parseStatsdConfig({ flushInterval: 3_600_000 }),
    now: () => clock,
  });
  before(() => server.start());
  after(() => server.stop());

  it('binds UDP and TCP on one port and the admin port', () => {
    const a = server.address();
    assert.ok(a.udp > 0);
    assert.equal(a.tcp, a.udp);
    assert.ok(a.admin !== null && a.admin > 0 && a.admin !== a.udp);
  });

  it('aggregates UDP and TCP input and flushes it into the sink at the flush second', async () => {
    const { udp, tcp } = server.address();
    const junk = Buffer.alloc(65_000);
    for (let i = 0; i < junk.length; i++) junk[i] = 128 + (i % 100);
    await sendUdp(udp, ['hits:1|c\nhits:2|c|@0.5', 'lat:10|ms:20|ms', 'bad', junk]);
    const c = connect(tcp, '127.0.0.1');
    c.end('hits:4|c\r\nq:5|g\nu:a|s\nu:b|s\nlast:1|c');
    await until(() => server.stats().packetsReceivedSinceFlush === 6, 'six packets');
    clock += 1_600;
    assert.equal(server.flushNow(), points.size);
    const ts = Math.round(clock / 1000);
    const v = (n: string) => {
      const p = points.get(n);
      assert.ok(p, `no point ${n}`);
      assert.equal(p[0], ts);
      return p[1];
    };
    assert.equal(v('stats_counts.hits'), 9);
    assert.equal(v('stats.hits'), 9 / 3600);
    assert.equal(v('stats_counts.last'), 1, 'a last TCP line without newline counts at close');
    assert.equal(v('stats.timers.lat.mean'), 15);
    assert.equal(v('stats.timers.lat.upper_90'), 20);
    assert.equal(v('stats.gauges.q'), 5);
    assert.equal(v('stats.sets.u.count'), 2);
    assert.equal(v('stats_counts.statsd.packets_received'), 6);
    // lines: 2 + 1 + 1 + the junk (no newline in it) + 5 over TCP
    assert.equal(v('stats_counts.statsd.metrics_received'), 10);
    assert.equal(v('stats_counts.statsd.bad_lines_seen'), 2, '"bad" and the junk');
    assert.equal(v('statsd.numStats'), 3 + 5);
  });

  it('answers the admin commands as Etsy', async () => {
    const { udp, admin: port } = server.address();
    await sendUdp(udp, ['app.a:1|c\napp.b:2|c\nother:3|c\nt:5|ms\ng:7|g\nxx']);
    await until(() => server.stats().packetsReceivedSinceFlush === 1, 'the packet');
    assert.ok(port !== null);
    const r = await admin(port, [
      'help',
      'health',
      'health down',
      'counters',
      'delcounters app.* nope',
      'timers',
      'gauges',
      'delgauges g',
      'stats',
      'config',
      'bogus',
      'quit',
    ]);
    assert.equal(
      r[0],
      'Commands: stats, counters, timers, gauges, delcounters, deltimers, delgauges, health, config, quit\n\n',
    );
    assert.equal(r[1], 'health: up\n');
    assert.equal(r[2], 'health: down\n');
    assert.match(r[3], /^\{\n {2}'statsd\.bad_lines_seen': 1,\n {2}'statsd\.packets_received': 1,\n/);
    assert.match(
      r[3],
      / {2}hits: 0,\n {2}last: 0,\n {2}'app\.a': 1,\n {2}'app\.b': 2,\n {2}other: 3\n\}\nEND\n\n$/,
    );
    assert.equal(r[4], 'deleted: app.a\ndeleted: app.b\nmetric nope not found\nEND\n\n');
    assert.equal(r[5], '{ lat: [], t: [ 5 ] }\nEND\n\n');
    assert.equal(r[6], '{ q: 5, g: 7 }\nEND\n\n');
    assert.equal(r[7], 'deleted: g\nEND\n\n');
    assert.match(r[8], /^uptime: 2\nmessages\.last_msg_seen: \d+\nmessages\.bad_lines_seen: 3\n/);
    assert.match(
      r[8],
      /graphite\.last_flush: 0\ngraphite\.last_exception: 1700000002\ngraphite\.flush_time: \d+\n/,
    );
    assert.ok(r[8].endsWith('END\n\n'));
    assert.match(r[9], /^\nflushInterval: 3600000\npercentThreshold > 0: 90\n/);
    assert.match(r[9], /\ngraphite > legacyNamespace: true\n/);
    assert.equal(r[10], 'ERROR\n');

    points.clear();
    server.flushNow();
    assert.equal(points.has('stats.app.a'), false);
    assert.equal(points.get('stats_counts.other')?.[1], 3);
    assert.equal(points.has('stats.gauges.g'), false);
  });
});
