import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { getJson, type RenderJson, sendUdp, until } from './support/net.js';
import { startServer } from './support/server.js';

// StatsD inside `carbonado serve`: packets in on UDP, Etsy's flushed names readable over /render,
// the admin interface answering — configured from Carbonado's config file in Etsy's terms.

function adminAsk(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const s = connect({ host: '127.0.0.1', port }, () => s.write(`${command}\n`));
    s.on('data', (d) => {
      out += d.toString();
      if (out.includes('END')) s.end();
    });
    s.on('error', reject);
    s.on('close', () => resolve(out));
  });
}

test('statsd counters, timers and gauges flow into the store through serve', async () => {
  const root = mkdtempSync(join(tmpdir(), 'carbonado-statsd-serve-'));
  const conf = join(root, 'carbonado.conf');
  writeFileSync(
    conf,
    // deleteCounters: after its first flush the counter is not sent again, so a second flush (200 ms later)
    // cannot overwrite its 7 with a 0 in the same whisper slot before the test reads it.
    '[statsd]\nflushInterval = 200\ngraphite.legacyNamespace = false\npercentThreshold = 90\ndeleteCounters = true\n',
  );
  const server = await startServer([
    '--config',
    conf,
    '--data-dir',
    join(root, 'data'),
    '--metric-interval',
    '0',
  ]);
  try {
    assert.ok(server.ports.statsd > 0 && server.ports.statsdAdmin > 0);
    await sendUdp(
      server.ports.statsd,
      'app.hits:3|c\napp.hits:2|c|@0.5\napp.lat:10|ms\napp.lat:30|ms\napp.temp:21.5|g\n',
    );
    const q = (t: string) =>
      getJson<RenderJson>(
        server.ports.http,
        `/render?target=${encodeURIComponent(t)}&from=-2min&format=json`,
      );
    const last = (r: RenderJson) => r[0]?.datapoints.filter(([v]) => v !== null).map(([v]) => v);
    let count: RenderJson = [];
    await until(async () => {
      count = await q('stats.counters.app.hits.count');
      return (last(count)?.length ?? 0) > 0;
    }, 'the statsd flush');
    // 3 + 2 sampled at 0.5 (counted as 4): Etsy's count is 7.
    assert.equal(last(count)?.[0], 7);
    const upper = await q('stats.timers.app.lat.upper');
    assert.equal(last(upper)?.[0], 30);
    const mean = await q('stats.timers.app.lat.mean');
    assert.equal(last(mean)?.[0], 20);
    const gauge = await q('stats.gauges.app.temp');
    assert.equal(last(gauge)?.[0], 21.5);
    const gauges = await adminAsk(server.ports.statsdAdmin, 'gauges');
    assert.match(gauges, /'app\.temp'/);
  } finally {
    await server.stop('SIGTERM');
    rmSync(root, { recursive: true, force: true });
  }
});
