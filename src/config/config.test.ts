import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyConfigText, defaultConfig } from './config.js';

test('config file overrides defaults in carbon.conf style', () => {
  const c = applyConfigText(
    defaultConfig(),
    '[server]\ndata_dir = /var/lib/graphite/whisper\n[cache]\nmax_cache_size = 1000000\nmax_creates_per_minute = inf\nwal_fsync = no\n[listeners]\nudp_port = 0\n',
    'c.conf',
  );
  assert.equal(c.server.dataDir, '/var/lib/graphite/whisper');
  assert.equal(c.cache.maxCacheSize, 1_000_000);
  assert.equal(c.cache.maxCreatesPerMinute, Number.POSITIVE_INFINITY);
  assert.equal(c.cache.walFsync, false);
  assert.equal(c.listeners.udpPort, 0);
  assert.equal(c.listeners.linePort, 2003);
});

test('config errors name the option and the bad value', () => {
  const bad: Array<[string, RegExp]> = [
    ['[nope]\nx=1', /unknown section \[nope\]/],
    ['[server]\ndatadir = x', /\[server\] datadir: unknown option/],
    ['[listeners]\nhttp_port = eighty', /http_port: got 'eighty'/],
    ['[listeners]\nhttp_port = 70000', /listeners\.http_port got 70000/],
    ['[cache]\nwal_fsync = maybe', /wal_fsync: got 'maybe'; want true or false/],
    ['[cache]\nwrite_strategy = fastest', /write_strategy got 'fastest'/],
    ['[cache]\nmax_cache_size = -5', /max_cache_size: got '-5'/],
    ['[ingest]\nwarmup_points = 1000001', /ingest\.warmup_points got 1000001; want 0 \(off\) to 1000000/],
    ['[ingest]\nwarmup_points = inf', /ingest\.warmup_points got Infinity/],
    ['[ingest]\nwarmup_points = 2.5', /ingest\.warmup_points got 2\.5/],
  ];
  for (const [text, re] of bad)
    assert.throws(() => applyConfigText(defaultConfig(), text, 'c.conf'), re, text);
});

test('[statsd] takes Etsy option names, any case, and checks them', () => {
  const c = applyConfigText(
    defaultConfig(),
    '[statsd]\nport = 0\nflushInterval = 2000\npercentThreshold = 90,99\ngraphite.legacyNamespace = false\nhistogram = [{"metric":"","bins":[10,"inf"]}]\n',
    'c.conf',
  );
  assert.equal(c.statsd.port, 0);
  assert.equal(c.statsd.adminPort, 8126);
  assert.deepEqual(c.statsd.options, {
    flushInterval: '2000',
    percentThreshold: '90,99',
    graphite: { legacyNamespace: 'false' },
    histogram: [{ metric: '', bins: [10, 'inf'] }],
  });
  const bad: Array<[string, RegExp]> = [
    ['[statsd]\nflushIntervall = 5', /flushintervall: unknown option/],
    ['[statsd]\nflushInterval = soon', /flushInterval/],
    ['[statsd]\nhistogram = bins!', /want Etsy's JSON list/],
    ['[statsd]\ngraphite.legacyNamespace = perhaps', /legacyNamespace/],
  ];
  for (const [text, re] of bad)
    assert.throws(() => applyConfigText(defaultConfig(), text, 'c.conf'), re, text);
});
